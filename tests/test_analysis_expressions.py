"""hotlint.analysis.expressions on real C++ parsed by libclang.

Each parameter that keeps a rule's old behaviour has a case where it changes the answer: the
port of that rule relies on it."""

from __future__ import annotations

from analysis_snippets import snippet
from hotlint.analysis import expressions as ex
from hotlint.analysis.kinds import BYTE_REINTERPRETING_CASTS, EXPLICIT_CASTS, WRAPPERS, K

CASTS = WRAPPERS | EXPLICIT_CASTS

WRAPPED = r"""
#include <string>
namespace ns { struct T { int a; }; }
void h(int);
void f(ns::T* p, void* v, int x) {
  int y = (x);
  int z = __atomic_load_n(&x, __ATOMIC_RELAXED);
  auto q = static_cast<ns::T*>(v);
  auto g = (void (*)(int count))h;
  std::string s = std::string("abc");
}
"""


def _init(s, name):
    return ex.initializer(s.decl(K.VAR_DECL, name))


def test_strip_by_first_child_enters_an_atomic_expression_by_only_child_stops_at_it(tmp_path):
    s = snippet(tmp_path, WRAPPED)
    atomic = _init(s, "z")  # UNEXPOSED_EXPR[&x, order]: a wrapper kind with two operands
    assert atomic.kind == K.UNEXPOSED_EXPR and len(atomic.children) == 2
    assert ex.strip(atomic).kind == K.UNARY_OPERATOR  # seq-cst's _bare: the pointer operand
    assert ex.strip(atomic, only_child=True) is atomic  # aos-layout's _strip: stays
    assert ex.unwrap(atomic, only_child=True) is None
    assert ex.unwrap(atomic) is atomic.children[0]


def test_strip_parentheses_and_implicit_casts_and_none(tmp_path):
    s = snippet(tmp_path, WRAPPED)
    paren = _init(s, "y")  # UNEXPOSED_EXPR[PAREN_EXPR[DECL_REF_EXPR x]]
    assert ex.strip(paren).kind == K.DECL_REF_EXPR
    assert ex.strip(paren, only_child=True).kind == K.DECL_REF_EXPR
    # alloc-in-loop's _bare_type looks through implicit casts only: (x) keeps its parentheses
    assert ex.strip(paren, through={K.UNEXPOSED_EXPR}).kind == K.PAREN_EXPR
    assert ex.strip(None) is None and ex.unwrap(None) is None
    ref = ex.strip(paren)
    assert ex.strip(ref) is ref and ex.unwrap(ref) is None


def test_explicit_casts_are_stripped_only_when_asked_with_their_operand_filter(tmp_path):
    s = snippet(tmp_path, WRAPPED)
    cast = _init(s, "q")  # CXX_STATIC_CAST_EXPR[NAMESPACE_REF, TYPE_REF, UNEXPOSED_EXPR[v]]
    assert ex.strip(cast) is cast
    # aliasing-vectorization's _strip: every explicit cast, name references ignored
    assert ex.strip(cast, through=CASTS, only_child=True, operands="no-name-refs").spelling == "v"
    assert ex.strip(cast, **ex.THROUGH_CASTS).spelling == "v"
    assert ex.strip(cast, through=CASTS, only_child=True) is cast  # three children
    fn_cast = _init(s, "g")  # CSTYLE_CAST_EXPR[PARM_DECL count, UNEXPOSED_EXPR[h]]
    assert ex.strip(fn_cast, through=CASTS, only_child=True, operands="expressions").spelling == "h"
    assert ex.strip(fn_cast, through=CASTS, only_child=True, operands="no-name-refs") is fn_cast


def test_a_functional_cast_is_seen_through_by_its_expression_operand(tmp_path):
    s = snippet(tmp_path, WRAPPED)
    init = _init(s, "s")  # std::string("abc"): alloc-in-loop's _constructor_call
    through = WRAPPERS | {K.CXX_FUNCTIONAL_CAST_EXPR}
    inner = ex.strip(init, through=through, only_child=True, operands="expressions")
    assert inner.kind == K.CALL_EXPR and inner.referenced.kind == K.CONSTRUCTOR
    assert ex.strip(init, through=through, only_child=True).kind == K.CXX_FUNCTIONAL_CAST_EXPR


def test_outermost_wrapper_and_parent_past(tmp_path):
    s = snippet(tmp_path, WRAPPED)
    x = ex.strip(_init(s, "y"))
    assert ex.outermost_wrapper(x).kind == K.UNEXPOSED_EXPR
    assert ex.outermost_wrapper(x, through={K.PAREN_EXPR}).kind == K.PAREN_EXPR  # aliasing's _outer
    outer, parent = ex.parent_past(x)
    assert outer.kind == K.UNEXPOSED_EXPR and parent.kind == K.VAR_DECL

    pointer = _init(s, "z").children[0]  # &x inside the two-operand atomic expression
    assert ex.parent_past(pointer)[1].kind == K.VAR_DECL
    child, stop = ex.parent_past(pointer, only_child=True)  # aliasing's _called_by
    assert child is pointer and stop is _init(s, "z")

    v = s.one(K.DECL_REF_EXPR, "v")
    assert ex.parent_past(v)[1].kind == K.CXX_STATIC_CAST_EXPR
    # the arena rewrite's _local: the holder past implicit and byte-reinterpreting casts
    assert ex.parent_past(v, through=WRAPPERS | BYTE_REINTERPRETING_CASTS)[1].spelling == "q"


CALLS = r"""
#include <memory>
#include <vector>
struct S { std::vector<int> v; };
void f(S& s, std::vector<int>& a, std::unique_ptr<int>& up, int* p, int i, int operator_index) {
  a.push_back(i);
  int x = s.v[i];
  int y = a[i];
  bool n = up == nullptr;
  bool m = p == nullptr;
  int z = a[operator_index];
  int w[3] = {1, 2, 3};
  int u = w[i];
}
"""


def test_call_object_of_member_calls_and_operators(tmp_path):
    s = snippet(tmp_path, CALLS)
    push = s.one(K.CALL_EXPR, "a.push_back(i)")
    assert ex.call_object(push).spelling == "a"
    subscript = s.one(K.CALL_EXPR, "a[i]")
    assert ex.call_object(subscript).spelling == "a"
    assert ex.call_object(subscript, operators=False) is None  # a member call's object only
    compare = s.one(K.CALL_EXPR, "up == nullptr")  # a free operator==: its object comes wrapped
    assert ex.call_object(compare).kind == K.DECL_REF_EXPR
    assert ex.call_object(compare, stripped=False).kind == K.UNEXPOSED_EXPR
    assert ex.call_object(s.one(K.BINARY_OPERATOR, "p == nullptr")) is None


def test_call_object_of_an_operator_on_a_member_names_the_outer_object(tmp_path):
    s = snippet(tmp_path, CALLS)
    member_subscript = s.one(K.CALL_EXPR, "s.v[i]")
    assert ex.call_object(member_subscript).spelling == "s"  # every copy's order: member test first
    fixed = ex.call_object(member_subscript, operators_first=True)
    assert fixed.kind == K.MEMBER_REF_EXPR and fixed.spelling == "v"


def test_operator_operands_leave_the_callee_out(tmp_path):
    s = snippet(tmp_path, CALLS)
    compare = s.one(K.CALL_EXPR, "up == nullptr")
    assert [ex.strip(o).kind for o in ex.operator_operands(compare)] == [
        K.DECL_REF_EXPR, K.CXX_NULL_PTR_LITERAL_EXPR]
    builtin = s.one(K.BINARY_OPERATOR, "p == nullptr")
    assert ex.operator_operands(builtin) == builtin.children
    assert [ex.strip(o).spelling for o in ex.operator_operands(s.one(K.CALL_EXPR, "a[i]"))] == ["a", "i"]


def test_operator_operands_callee_spelling_keeps_an_operand_named_like_an_operator(tmp_path):
    s = snippet(tmp_path, CALLS)
    odd = s.one(K.CALL_EXPR, "a[operator_index]")
    # alloc-in-loop's _operands drops any DECL_REF_EXPR spelled operator…, the index too
    assert [ex.strip(o).spelling for o in ex.operator_operands(odd)] == ["a"]
    # aos-layout's _indexed_container drops only the callee, spelled as the call
    assert [ex.strip(o).spelling for o in ex.operator_operands(odd, callee_spelling="call-spelling")] == [
        "a", "operator_index"]


def test_operand_list_and_subscript_parts(tmp_path):
    s = snippet(tmp_path, CALLS)
    compare = s.one(K.CALL_EXPR, "up == nullptr")
    assert [ex.strip(a).kind for a in ex.operand_list(compare)] == [K.DECL_REF_EXPR, K.CXX_NULL_PTR_LITERAL_EXPR]
    builtin = s.one(K.BINARY_OPERATOR, "p == nullptr")
    assert ex.operand_list(builtin) == builtin.children
    base, index = ex.subscript_parts(s.one(K.CALL_EXPR, "a[i]"))
    assert base.spelling == "a" and ex.strip(index).spelling == "i"
    base, index = ex.subscript_parts(s.one(K.ARRAY_SUBSCRIPT_EXPR, "w[i]"))
    assert ex.strip(base).spelling == "w" and ex.strip(index).spelling == "i"
    assert ex.subscript_parts(s.one(K.CALL_EXPR, "a.push_back(i)")) is None


ARGUMENTS = r"""
#define PASTE(x) x##_v
struct P { int a; };
int g(int a, int b = 3);
int f(int n_v) {
  P* plain;
  int two = g(1, 2);
  int one = g(PASTE(n));
  return two + one;
}
"""


def test_written_arguments_count_macro_written_ones_only_from_macros(tmp_path):
    s = snippet(tmp_path, ARGUMENTS)
    both = s.one(K.CALL_EXPR, "g(1, 2)")
    assert len(ex.written_arguments(both)) == 2 == len(ex.written_arguments(both, from_macros=False))
    pasted = s.one(K.CALL_EXPR, "g(PASTE(n))")
    first, defaulted = pasted.arguments
    assert not first.tokens and first.children  # pasted in a macro: no tokens, one child
    assert ex.is_written_argument(first) and not ex.is_written_argument(first, from_macros=False)
    assert not ex.is_written_argument(defaulted)
    assert ex.written_arguments(pasted) == [first]
    assert ex.written_arguments(pasted, from_macros=False) == []


def test_parameters_initializer_and_body(tmp_path):
    s = snippet(tmp_path, ARGUMENTS)
    f = s.decl(K.FUNCTION_DECL, "f")
    assert [p.spelling for p in ex.parameters(f)] == ["n_v"]
    assert ex.function_body(f).kind == K.COMPOUND_STMT
    assert ex.function_body(s.decl(K.FUNCTION_DECL, "g")) is None
    assert ex.initializer(s.decl(K.VAR_DECL, "two")).kind == K.CALL_EXPR
    plain = s.decl(K.VAR_DECL, "plain")
    assert ex.initializer(plain) is None
    assert ex.initializer(plain, any_kind=True).kind == K.TYPE_REF  # false-sharing's children[-1]


def test_takes_mutable_reference(tmp_path):
    s = snippet(tmp_path, "using Ref = int&;\n"
                          "void f(int& a, const int& b, int c, int&& d, Ref e, ...);\n")
    f = s.decl(K.FUNCTION_DECL, "f")
    assert [ex.takes_mutable_reference(f, i) for i in range(4)] == [True, False, False, False]
    assert not ex.takes_mutable_reference(f, 4)  # the typedef's kind, not the canonical reference
    assert not ex.takes_mutable_reference(f, 5) and not ex.takes_mutable_reference(f, -1)  # no such parameter


def test_function_body_of_a_function_try_block_is_none(tmp_path):
    s = snippet(tmp_path, "void k() try { } catch (...) { }\n")
    assert ex.function_body(s.decl(K.FUNCTION_DECL, "k")) is None


CONSTANTS = r"""
#define N 16
enum E { A = 3, B = A * 2 };
constexpr int k = 5;
struct S { int a[4]; };
void f(int x) {
  int octal = 010;
  int grouped = 1'000;
  int hex = 0x1;
  int one = 1;
  unsigned long suffixed = 5ul;
  int macro = N;
  int enumerator = B;
  int size = sizeof(S);
  int arithmetic = k + 1;
  int variable = x;
  double floating = 1.5;
  int negated = -(x + 1);
  int minus = x - 1;
  void* n1 = 0;
  void* n2 = (void*)0;
  void* n3 = (void*)(0);
  void* n4 = __null;
  int* n5 = nullptr;
  void* n6 = 0x0;
}
"""


def test_integer_literal_reads_the_spelling(tmp_path):
    s = snippet(tmp_path, CONSTANTS)
    value = {name: ex.integer_literal(_init(s, name)) for name in (
        "octal", "grouped", "hex", "one", "suffixed", "macro", "enumerator", "variable")}
    assert value == {"octal": None, "grouped": None, "hex": 1, "one": 1, "suffixed": 5, "macro": 16,
                     "enumerator": None, "variable": None}
    assert ex.integer_literal(_init(s, "suffixed"), suffixes="") is None
    assert ex.integer_literal(None) is None


def test_integer_in_text():
    assert ex.integer_in_text(" 16 ") == 16 and ex.integer_in_text("0x10u") == 16
    assert ex.integer_in_text("8zu") == 8
    assert ex.integer_in_text("8zu", suffixes="uUlL") is None  # nodes.py's alignas reading
    assert ex.integer_in_text("n") is None and ex.integer_in_text("010") is None


def test_literal_spelling_tells_spellings_apart(tmp_path):
    s = snippet(tmp_path, CONSTANTS)
    assert ex.literal_spelling(_init(s, "one")) == ("1",)
    assert ex.literal_spelling(_init(s, "hex")) == ("0x1",)
    assert ex.literal_spelling(_init(s, "variable")) is None


def test_null_constants(tmp_path):
    s = snippet(tmp_path, CONSTANTS)
    assert [ex.is_null_constant(_init(s, f"n{i}")) for i in range(1, 7)] == [True, True, True, True, True, False]
    assert not ex.is_null_constant(_init(s, "one")) and not ex.is_null_constant(None)


def test_is_negated(tmp_path):
    s = snippet(tmp_path, CONSTANTS)
    assert ex.is_negated(_init(s, "negated"))
    assert not ex.is_negated(_init(s, "minus")) and not ex.is_negated(None)


def test_constant_value_uses_clangs_evaluator(tmp_path):
    s = snippet(tmp_path, CONSTANTS)
    value = {name: ex.constant_value(_init(s, name)) for name in (
        "octal", "grouped", "hex", "suffixed", "macro", "enumerator", "size", "arithmetic", "variable",
        "floating")}
    # where integer_literal reads the spelling, the evaluator answers octal, separators, macros,
    # enumerators, sizeof and constant arithmetic
    assert value == {"octal": 8, "grouped": 1000, "hex": 1, "suffixed": 5, "macro": 16, "enumerator": 6,
                     "size": 16, "arithmetic": 6, "variable": None, "floating": None}
    one = s.decl(K.VAR_DECL, "one")
    assert one.constant_value == 1 and ex.constant_value(one) is None  # a declaration is no expression
    assert ex.constant_value(None) is None


WRITES = r"""
void f(int x, int* p, int i) {
  x = 1;
  x += 2;
  ++x;
  x--;
  bool same = x == 1;
  int neg = -x;
  (x) = 3;
  ((int&)x) = 4;
  p[i] = 5;
  p[i] += x;
  int y = x;
}
"""


def test_write_at(tmp_path):
    s = snippet(tmp_path, WRITES)
    w = ex.write_at(s.one(K.BINARY_OPERATOR, "x = 1"))
    assert w.operator == "=" and w.target.spelling == "x"
    assert ex.write_at(s.one(K.COMPOUND_ASSIGNMENT_OPERATOR, "x += 2")).operator == "+="
    assert ex.write_at(s.one(K.UNARY_OPERATOR, "++x")).operator == "++"
    assert ex.write_at(s.one(K.UNARY_OPERATOR, "x--")).operator == "post--"
    assert ex.write_at(s.one(K.BINARY_OPERATOR, "x == 1")) is None
    assert ex.write_at(s.one(K.UNARY_OPERATOR, "-x")) is None
    assert ex.write_at(s.one(K.BINARY_OPERATOR, "(x) = 3")).target.kind == K.DECL_REF_EXPR


def test_write_at_options_change_the_answer(tmp_path):
    s = snippet(tmp_path, WRITES)
    # aliasing's reassigned set: plain `=` only
    assert ex.write_at(s.one(K.COMPOUND_ASSIGNMENT_OPERATOR, "x += 2"), operators={"="}) is None
    assert ex.write_at(s.one(K.UNARY_OPERATOR, "++x"), increments=False) is None
    cast = s.one(K.BINARY_OPERATOR, "((int&)x) = 4")
    assert ex.write_at(cast).target.kind == K.CSTYLE_CAST_EXPR
    assert ex.write_at(cast, through=CASTS, operands="no-name-refs").target.spelling == "x"


def test_write_at_first_child_target(tmp_path):
    s = snippet(tmp_path, "void f(int x, int y) { __builtin_choose_expr(1, x, y) = 3; }\n")
    store = s.one(K.BINARY_OPERATOR)  # the target is a wrapper of three operands (GNU ChooseExpr)
    assert ex.write_at(store).target.kind == K.UNEXPOSED_EXPR
    # alloc-in-loop's _assigned_entity stripped by first child: the condition, not an lvalue
    assert ex.write_at(store, only_child=False).target.kind == K.INTEGER_LITERAL


def test_writes_in(tmp_path):
    s = snippet(tmp_path, WRITES)
    body = ex.function_body(s.decl(K.FUNCTION_DECL, "f"))
    assert [w.operator for w in ex.writes_in([body])] == ["=", "+=", "++", "post--", "=", "=", "=", "+="]
    assert [w.operator for w in ex.writes_in([body], operators={"="}, increments=False)] == ["="] * 4


def test_is_store_target(tmp_path):
    s = snippet(tmp_path, WRITES)
    refs = {(r.range.start.line, r.range.start.column): r for r in s.all(K.DECL_REF_EXPR, "x")}
    line = s.line_of

    def at(marker, index=0):
        return [r for (ln, _), r in sorted(refs.items()) if ln == line(marker)][index]

    assert ex.is_store_target(at("x = 1;"))
    assert ex.is_store_target(at("x += 2;"))
    assert ex.is_store_target(at("++x;"))
    assert ex.is_store_target(at("(x) = 3;"))  # inside parentheses
    assert not ex.is_store_target(at("bool same"))
    assert not ex.is_store_target(at("int y = x;"))
    assert not ex.is_store_target(at("p[i] += x;"))  # the right-hand side
    assert not ex.is_store_target(at("((int&)x) = 4;"))  # under a cast: not a plain store
    assert ex.is_store_target(s.one(K.ARRAY_SUBSCRIPT_EXPR, "p[i]", line=line("p[i] = 5;")))


MEMBERS = r"""
#include <string>
struct S { int a; int b; int arr[4]; std::string s; };
void by_const(const std::string&);
void by_ref(std::string&);
void f(S& e, const S& ce, bool c, int k) {
  e.a = 1;
  int v = e.a;
  e.a += 2;
  ++e.a;
  int* p = &e.a;
  e.arr[k] = 3;
  int* q = e.arr;
  by_const(e.s);
  by_ref(e.s);
  (c ? e.a : e.b) = 4;
  const int& r = ce.b;
  int& m = e.b;
  S copy{e.a, e.b};
}
"""


def test_lvalue_use(tmp_path):
    s = snippet(tmp_path, MEMBERS)
    line = s.line_of

    def use(marker, spelling, index=0):
        nodes = [n for n in s.all(K.MEMBER_REF_EXPR, line=line(marker)) if n.spelling == spelling]
        return ex.lvalue_use(nodes[index])

    READ, WRITE, ESCAPES = ex.READ, ex.WRITE, ex.ESCAPES
    assert use("e.a = 1;", "a") == WRITE
    assert use("int v = e.a;", "a") == READ
    assert use("e.a += 2;", "a") == READ | WRITE
    assert use("++e.a;", "a") == READ | WRITE
    assert use("int* p = &e.a;", "a") == ESCAPES
    assert use("e.arr[k] = 3;", "arr") == WRITE  # the element's use is the array's
    assert use("int* q = e.arr;", "arr") == ESCAPES  # decays to a pointer
    assert use("by_const(e.s);", "s") == READ  # a no-op cast to const
    assert use("by_ref(e.s);", "s") == READ | WRITE
    assert use("(c ? e.a : e.b) = 4;", "a") == WRITE  # through ?: and parentheses
    assert use("const int& r = ce.b;", "b") == READ
    assert use("int& m = e.b;", "b") == ESCAPES
    assert use("S copy{", "a") == READ


IDENTITY = r"""
extern int g;
void f() { g = 1; }
int g = 2;
"""


def test_same_cursor_same_entity_and_position_key(tmp_path):
    s = snippet(tmp_path, IDENTITY)
    declared, defined = s.decl(K.VAR_DECL, "g"), s.decl(K.VAR_DECL, "g", index=1)
    used = s.one(K.DECL_REF_EXPR, "g").referenced
    assert ex.same_cursor(used, declared) and not ex.same_cursor(used, defined)
    assert ex.same_entity(used, defined) and ex.same_entity(used, declared)
    assert not ex.same_cursor(None, None) and not ex.same_entity(None, declared)
    assert ex.position_key(used) == ex.position_key(declared) != ex.position_key(defined)


def test_top_level_nodes_have_no_parent_to_walk_to(tmp_path):
    s = snippet(tmp_path, "int x = 1;\n")
    x = s.decl(K.VAR_DECL, "x")
    assert ex.parent_past(x) == (x, None) and ex.outermost_wrapper(x) is x


def test_operator_operands_callee_through_only_child_keeps_a_gnu_choice(tmp_path):
    s = snippet(tmp_path, "#include <vector>\nconstexpr bool operator_on = true;\n"
                          "int f(std::vector<int>& a) { return a[__builtin_choose_expr(operator_on, 0, 1)]; }\n")
    call = s.one(K.CALL_EXPR, "a[__builtin_choose_expr(operator_on, 0, 1)]")
    # the index is a wrapper of three operands whose first is a name starting with `operator`
    assert [ex.strip(o).spelling for o in ex.operator_operands(call)] == ["a"]
    kept = ex.operator_operands(call, callee_through="only-child")
    assert len(kept) == 2 and ex.strip(kept[1], only_child=True).kind == K.UNEXPOSED_EXPR


def test_use_context(tmp_path):
    s = snippet(tmp_path, r"""
#include <memory>
void take(std::shared_ptr<int> p, int k);
void f() {
  auto p = std::make_shared<int>(1);
  take(p, 2);
  auto q = p;
  p;
}
""")
    p = s.decl(K.VAR_DECL, "p")
    uses = [r for r in s.all(K.DECL_REF_EXPR) if r.referenced == p]
    shown = ["".join(ex.use_context(r).tokens) for r in uses]
    # the call it is passed to; the copy that initializes q (up to its declaration statement);
    # the name itself as a statement of its own
    assert shown == ["take(p,2)", "autoq=p", "p"]
