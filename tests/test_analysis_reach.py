"""analysis.reach: what the code under some nodes reaches, followed through the file's function
definitions, on real C++ through the real headers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from _analysis_view import parse_view, type_of
from hotlint.analysis.kinds import K
from hotlint.analysis.reach import TypeReach

SOURCE = r"""
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

struct Entity { float x, y; char name[56]; };
std::vector<Entity> g;

struct Holder { Entity e; int k; };
struct Logger { Logger() {} ~Logger() { g.clear(); } int n; };
struct Wrap { Logger l; };
struct Quiet { int a; std::string s; };
struct Base { virtual void f(); };

float undefined(float v);
float mutual2(float v);
float mutual1(float v) { return mutual2(v) + 1; }
float mutual2(float v) { return v > 0 ? mutual1(v - 1) : 0; }
float total(const std::vector<Entity>& es) { float s = 0; for (const auto& e : es) s += e.x; return s; }
float inner() { return total(g); }
float outer() { return inner(); }
float math(float v) { return std::sqrt(v) + std::min(v, 1.0f) + std::fabs(v); }
float (*fp)(float);
std::function<float(float)> fn;

float clean(float v) { Quiet q{}; std::string s = "x"; s += "y"; return mutual1(v) + math(v) + q.a + s.size(); }
float chain() { return outer(); }
float opaque(float v) { return undefined(v); }
void dispatch(Base& b) { b.f(); }
float pointer(float v) { return (*fp)(v); }
struct Callbacks { float (*on)(float); };
float held(float v, float (*pp)(float), Callbacks cb) { return pp(v) + fp(v) + cb.on(v); }
void print(float v) { std::printf("%f", v); }
float callback(float v) { return fn(v); }
int holder() { Holder h{}; return h.k; }
int library_holder() { std::vector<Holder> hs; return int(hs.size()); }
int logger() { Logger l; return l.n; }
int wrapped() { Wrap w; return w.l.n; }
float element(const Entity& e) { return e.x; }
"""


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("reach"), SOURCE)


def _body(view, name):
    fn = next(f for f in view.functions if f.name == name)
    return fn.body


def _contact(view, name, **kw):
    reach = TypeReach(type_of(view, "g").template_arguments[0], **kw)
    return reach.first_contact([_body(view, name)])


def test_code_that_keeps_to_its_own_values_reaches_nothing(view):
    # followed through a mutual recursion, pure <cmath>/<algorithm> functions, the members of
    # standard strings and a record whose special members are the library's
    assert _contact(view, "clean") is None


def test_a_use_of_the_record_is_found_through_the_calls_that_lead_to_it(view):
    c = _contact(view, "chain")
    assert c.kind == "uses-type"
    assert [f.spelling for f in c.via] == ["outer", "inner", "total"]
    assert c.node.kind == K.PARM_DECL and c.node.spelling == "es"


def test_a_parameter_of_the_record_type_is_a_use(view):
    reach = TypeReach(type_of(view, "g").template_arguments[0])
    fn = next(f for f in view.functions if f.name == "element")
    c = reach.first_contact([fn.node])
    assert c.kind == "uses-type" and c.node.kind == K.PARM_DECL


@pytest.mark.parametrize("function, kind, name", [
    ("opaque", "no-body", "undefined"),
    ("dispatch", "virtual-call", "Base::f"),
    ("print", "library-call", "printf"),
    ("callback", "passes-user-types", "std::function::operator()"),
    ("holder", "holds-type", "Entity"),  # constructing a Holder constructs its Entity
    ("library_holder", "opaque-record", "std::vector<Holder>"),
])
def test_what_cannot_be_followed_is_named(view, function, kind, name):
    c = _contact(view, function)
    assert (c.kind, c.name, c.via) == (kind, name, ())


def test_a_call_through_a_pointer_is_unresolved(view):
    c = _contact(view, "pointer")
    assert c.kind == "unresolved-call" and c.node.kind == K.CALL_EXPR


def test_a_call_through_a_variable_holding_a_function_pointer_is_unresolved(view):
    # libclang resolves `pp(v)` to the parameter pp, `fp(v)` to the variable, `cb.on(v)` to the
    # field: none is a function whose body could be followed
    reach = TypeReach(type_of(view, "g").template_arguments[0])
    calls = [n for n in _body(view, "held").walk() if n.kind == K.CALL_EXPR]
    assert [c.referenced.kind for c in calls] == [K.PARM_DECL, K.VAR_DECL, K.FIELD_DECL]
    assert [reach.call(c).kind for c in calls] == ["unresolved-call"] * 3


def test_a_local_records_special_members_are_followed(view):
    # Logger's destructor clears the sequence; Wrap's implicit destructor runs Logger's
    c = _contact(view, "logger")
    assert (c.kind, c.name, [f.spelling for f in c.via]) == ("passes-user-types", "std::vector::clear", ["~Logger"])
    c = _contact(view, "wrapped")
    assert (c.kind, [f.spelling for f in c.via]) == ("passes-user-types", ["~Logger"])


def test_skipped_subtrees_and_the_budget(view):
    reach = TypeReach(type_of(view, "g").template_arguments[0])
    body = _body(view, "chain")
    assert reach.first_contact([body], skip=[body.children[0]]) is None
    assert _contact(view, "clean", budget=3).kind == "budget"


def test_what_is_learnt_about_a_function_is_remembered(view):
    reach = TypeReach(type_of(view, "g").template_arguments[0])
    first = reach.first_contact([_body(view, "chain")])
    again = reach.first_contact([_body(view, "inner")])
    # total's answer was learnt on the way, with total's own chain
    assert again == replace(first, via=first.via[2:])
