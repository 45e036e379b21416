"""hotlint.analysis.calls on real C++ parsed by libclang."""

from __future__ import annotations

from analysis_snippets import snippet
from hotlint.analysis import calls
from hotlint.analysis.expressions import parameters
from hotlint.analysis.kinds import K

CALLEES = r"""
#include <algorithm>
#include <cmath>
static int leaf(int v) { return v * 2; }
static int looping(int v) { int s = 0; for (int i = 0; i < v; ++i) s += i; return s; }
static int calling(int v) { return leaf(v) + 1; }
int declared_only(int v);
void user(float a, float b, int c) {
    (void)std::min(a, b);
    (void)std::fabs(a);
    (void)std::sqrt(a);
    (void)leaf(c);
    (void)looping(c);
    (void)calling(c);
    (void)declared_only(c);
}
"""


def test_is_transparent_call_sees_through_pure_helpers_and_leaf_functions(tmp_path):
    s = snippet(tmp_path, CALLEES)
    user = s.decl(K.FUNCTION_DECL, "user")
    seen = {c.spelling: calls.is_transparent_call(c) for c in user.walk() if c.kind == K.CALL_EXPR}
    assert seen == {
        "min": True, "fabs": True,
        "sqrt": False,  # may set errno
        "leaf": True,
        "looping": False, "calling": False,  # a loop or a call in its body: not a leaf
        "declared_only": False,  # no body in the translation unit
    }


CALLERS = r"""
static void axpy(float* y, const float* x, int n) {
    for (int i = 0; i < n; ++i) y[i] += x[i];
}
void exported(float* y, const float* x, int n) { axpy(y, x, n); }
namespace { void hidden(float* y) { y[0] = 1; } }
struct S { static void member(float* y) { y[0] = 1; } };
static void escapes(float* y) { y[0] = 1; }
void (*keep)(float*) = escapes;
static void caller(float* a, float* b) {
    axpy(a, b, 4);
    axpy(b, a, 4);
    hidden(a);
    S::member(a);
}
"""


def test_only_called_from_file_wants_internal_linkage_in_a_source_file(tmp_path):
    s = snippet(tmp_path, CALLERS)
    assert calls.only_called_from_file(s.view, s.decl(K.FUNCTION_DECL, "axpy"))
    assert calls.only_called_from_file(s.view, s.decl(K.FUNCTION_DECL, "hidden"))  # anonymous namespace
    assert not calls.only_called_from_file(s.view, s.decl(K.FUNCTION_DECL, "exported"))  # external linkage
    assert not calls.only_called_from_file(s.view, s.decl(K.CXX_METHOD, "member"))  # not a free function
    header = snippet(tmp_path, CALLERS, "callers.h")
    assert not calls.only_called_from_file(header.view, header.decl(K.FUNCTION_DECL, "axpy"))


def test_only_called_from_file_not_when_an_include_follows_the_declaration(tmp_path):
    s = snippet(tmp_path, "static int twice(int v) { return 2 * v; }\n#include <cstddef>\nint use() { return twice(1); }\n")
    assert not calls.only_called_from_file(s.view, s.decl(K.FUNCTION_DECL, "twice"))
    s = snippet(tmp_path, "#include <cstddef>\nstatic int twice(int v) { return 2 * v; }\nint use() { return twice(1); }\n")
    assert calls.only_called_from_file(s.view, s.decl(K.FUNCTION_DECL, "twice"))


def test_direct_calls_by_spelling_none_when_the_address_is_taken(tmp_path):
    s = snippet(tmp_path, CALLERS)
    found = calls.direct_calls(s.view, s.decl(K.FUNCTION_DECL, "axpy"))
    assert [(c.range.start.line, "".join(c.tokens)) for c in found] == [
        (5, "axpy(y,x,n)"), (11, "axpy(a,b,4)"), (12, "axpy(b,a,4)")]
    assert calls.direct_calls(s.view, s.decl(K.FUNCTION_DECL, "escapes")) is None  # `keep = escapes`
    assert calls.direct_calls(s.view, s.decl(K.FUNCTION_DECL, "caller")) == []


def test_direct_calls_none_when_a_template_calls_by_an_unresolved_name(tmp_path):
    s = snippet(tmp_path, "void f(int* p);\ntemplate <class T> void f(T* p);\n"
                          "template <class T> void g(T* x) { f(x); }\n")
    assert calls.direct_calls(s.view, s.decl(K.FUNCTION_DECL, "f")) is None


ROLES = r"""
struct Plain { int a; float b; };
struct Holder { int* p; };
void f(float* y, const float* x, int* k, int n, void* v, Plain* s, const float& r, unsigned* u);
void pointers(float* y, float** pp);
void holders(Holder* y, float* x);
void by_value(float* y, Holder h);
void unsigned_target(int* y, unsigned* u, float* f);
"""


def _params(s, name):
    return parameters(s.decl(K.FUNCTION_DECL, name))


def test_parameter_roles_follow_strict_aliasing(tmp_path):
    s = snippet(tmp_path, ROLES)
    params = _params(s, "f")
    # y restricted; x and r may alias a float, v and s may hold anything; int, unsigned and n cannot
    assert calls.parameter_roles(params, [params[0]]) == [True, True, False, False, True, True, True, False]
    p = _params(s, "unsigned_target")
    assert calls.parameter_roles(p, [p[0]]) == [True, True, False]  # signed and unsigned int alias


def test_parameter_roles_none_when_a_parameter_may_hold_a_pointer_to_the_memory(tmp_path):
    s = snippet(tmp_path, ROLES)
    p = _params(s, "pointers")
    assert calls.parameter_roles(p, [p[0]]) is None  # float** may point at y's pointer's target
    p = _params(s, "holders")
    assert calls.parameter_roles(p, [p[0]]) is None  # the restricted object holds a pointer
    assert calls.parameter_roles(p, [p[1]]) is None  # a Holder* reaches a record holding pointers
    p = _params(s, "by_value")
    assert calls.parameter_roles(p, [p[0]]) is None  # a by-value record holding a pointer


REACHED = r"""
#include <cstdio>
float table[8];
float other[8];
float* where;
static float helper(int i) { return other[i]; }
static void names_globals(float* y) { y[0] = table[0] + helper(1); }
static void names_pointer(float* y) { y[0] = *where; }
static void opaque(float* y) { std::printf("%f", y[0]); }
static void local_static(float* y) { static float last; last = y[0]; }
void no_body(float* y);
"""


def test_objects_reached_directly_through_leaf_helpers(tmp_path):
    s = snippet(tmp_path, REACHED)
    reached = calls.objects_reached_directly(s.decl(K.FUNCTION_DECL, "names_globals"))
    assert [d.spelling for d in reached] == ["table", "other"]
    assert [d.spelling for d in calls.objects_reached_directly(s.decl(K.FUNCTION_DECL, "local_static"))] == ["last"]


def test_objects_reached_directly_none_for_pointers_opaque_calls_and_no_body(tmp_path):
    s = snippet(tmp_path, REACHED)
    assert calls.objects_reached_directly(s.decl(K.FUNCTION_DECL, "names_pointer")) is None
    assert calls.objects_reached_directly(s.decl(K.FUNCTION_DECL, "opaque")) is None
    assert calls.objects_reached_directly(s.decl(K.FUNCTION_DECL, "no_body")) is None


DISTINCT = r"""
#include <vector>
float g[16];
static void axpy(float* y, const float* x, int n) {
    for (int i = 0; i < n; ++i) y[i] += x[i];
}
static void scale(float* y, const float* x, int n) {
    for (int i = 0; i < n; ++i) y[i] = x[i] * g[0];
}
static void pointer_arg(float* y, const float* x, int n) {
    for (int i = 0; i < n; ++i) y[i] = x[i];
}
void distinct() {
    float a[16], b[16];
    std::vector<float> v(16), w(16);
    axpy(a, b, 16);
    axpy(&a[0], b + 1, 15);
    axpy(v.data(), &w[0], 16);
    scale(a, b, 16);
    float* p = a;
    pointer_arg(p, b, 16);
}
"""


def test_callers_pass_distinct_objects(tmp_path):
    s = snippet(tmp_path, DISTINCT)
    axpy = s.decl(K.FUNCTION_DECL, "axpy")
    y = parameters(axpy)[0]
    assert calls.callers_pass_distinct_objects(s.view, axpy, [y])
    scale = s.decl(K.FUNCTION_DECL, "scale")
    assert calls.callers_pass_distinct_objects(s.view, scale, [parameters(scale)[0]])
    pointer_arg = s.decl(K.FUNCTION_DECL, "pointer_arg")  # `p` is a pointer variable: where it points is not known
    assert not calls.callers_pass_distinct_objects(s.view, pointer_arg, [parameters(pointer_arg)[0]])


def test_callers_pass_distinct_objects_not_for_one_array_twice_or_a_global_the_callee_names(tmp_path):
    twice = DISTINCT.replace("axpy(v.data(), &w[0], 16);", "axpy(a, a + 1, 15);")
    s = snippet(tmp_path, twice)
    axpy = s.decl(K.FUNCTION_DECL, "axpy")
    assert not calls.callers_pass_distinct_objects(s.view, axpy, [parameters(axpy)[0]])
    into_global = DISTINCT.replace("scale(a, b, 16);", "scale(g, b, 16);")
    s = snippet(tmp_path, into_global)
    scale = s.decl(K.FUNCTION_DECL, "scale")
    assert not calls.callers_pass_distinct_objects(s.view, scale, [parameters(scale)[0]])


def test_call_passes_distinct_objects_per_call(tmp_path):
    s = snippet(tmp_path, DISTINCT)
    axpy = s.decl(K.FUNCTION_DECL, "axpy")
    params = parameters(axpy)
    roles = calls.parameter_roles(params, [params[0]])
    assert roles == [True, True, False]
    found = calls.direct_calls(s.view, axpy)
    assert [calls.call_passes_distinct_objects(c.arguments, roles, [params[0]], params, []) for c in found] == [
        True, True, True]
    a = s.decl(K.VAR_DECL, "a")  # the callee naming `a` itself: passing it for `y` overlaps
    assert not calls.call_passes_distinct_objects(found[0].arguments, roles, [params[0]], params, [a])
    assert not calls.call_passes_distinct_objects(found[0].arguments[:2], roles, [params[0]], params, [])


ALLOCATING = r"""
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
struct Node { int v; };
void sink(...);
void take(const std::string&);
void take_vec(const std::vector<int>&);
static void builds(int x) {
  std::vector<int> tmp(x);
  auto p = std::make_unique<Node>();
  sink(new Node{tmp[0]});
  if (x < 0) throw std::runtime_error(std::string("bad ") + "x");
  auto later = [] { return new Node{1}; };
}
static int plain(int x) { return x + 1; }
static int recurse(int x) { return x ? recurse(x - 1) : 0; }
void caller(const char* s, std::string owned) {
  builds(1);
  plain(2);
  take(std::string(s, 3));
  take_vec(std::vector<int>{1, 2});
  take(s);
  take(owned);
  take(std::to_string(4));
  take_vec({});
}
"""


def test_inline_callee_and_its_body_allocations(tmp_path):
    s = snippet(tmp_path, ALLOCATING)
    call = s.one(K.CALL_EXPR, "builds(1)")
    found = calls.inline_callee(s.view, call)
    assert found is not None and found[0].spelling == "builds"
    containers = calls.body_allocations(found[1], lambda var: var.spelling == "tmp")
    # the throw's string and the lambda's new are left out
    assert ["".join(n.tokens)[:16] if n.kind != K.VAR_DECL else n.spelling for n in containers] == [
        "tmp", "std::make_unique", "newNode{tmp[0]}"]
    assert calls.heap_allocating_call(containers[1]) == "std::make_unique"
    assert calls.body_allocations(calls.inline_callee(s.view, s.one(K.CALL_EXPR, "plain(2)"))[1],
                                  lambda var: True) == []
    inner = s.one(K.CALL_EXPR, "recurse(x-1)")
    assert calls.inline_callee(s.view, inner) is None  # recursion
    assert calls.inline_callee(s.view, s.one(K.CALL_EXPR, "take(s)")) is None  # no body in the file


def test_argument_temporary(tmp_path):
    s = snippet(tmp_path, ALLOCATING)

    def form(text):
        call = s.one(K.CALL_EXPR, text)
        found = calls.argument_temporary(call.arguments[0])
        return None if found is None else found[1]

    assert form("take(std::string(s,3))") == "written"
    assert form("take_vec(std::vector<int>{1,2})") == "written"
    assert form("take(s)") == "converted"
    assert form("take(owned)") is None  # names an existing object, bound by reference
    assert form("take(std::to_string(4))") == "returned"
    assert form("plain(2)") is None
