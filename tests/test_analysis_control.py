"""hotlint.analysis.control (and expressions.value_use, which asks it) on real C++ parsed by
libclang."""

from __future__ import annotations

from analysis_snippets import snippet
from hotlint.analysis import control as co
from hotlint.analysis import expressions as ex
from hotlint.analysis.kinds import K

STEPS = r"""
struct S { int i; };
void f(int n, int* p, S s) {
  for (int i = 0; i < n; ++i) {}
  for (int i = 0; i < n; i++) {}
  for (int i = 0; i < n; i += 1) {}
  for (int i = 0; i < n; i += 1u) {}
  for (int i = 0; i < n; i += 2) {}
  for (int i = n; i > 0; --i) {}
  for (int* q = p; q != p + n; q -= 2) {}
  for (int i = 0, j = 0; i < n; ++i, ++j) {}
  for (int i = 0; i < n; i = i + 1) {}
  for (; s.i < n; s.i++) {}
  for (int i = 0; i < n; ++(int&)i) {}
}
"""


def _increments(s):
    return [loop.parts()["increment"] for loop in s.view.loops]


def test_induction_steps(tmp_path):
    s = snippet(tmp_path, STEPS)
    steps = [co.induction_steps(inc) for inc in _increments(s)]
    shown = [None if st is None else [(x.operator, x.variable.spelling) for x in st] for st in steps]
    assert shown == [[("++", "i")], [("post++", "i")], [("+=", "i")], [("+=", "i")], [("+=", "i")],
                     [("--", "i")], [("-=", "q")], [("++", "i"), ("++", "j")], None, None, [("++", "i")]]
    assert steps[4][0].amount.tokens == ["2"] and steps[0][0].amount is None
    assert co.induction_steps(_increments(s)[7], commas=False) is None
    assert co.induction_steps(None) is None


def test_unit_step_variable_is_aos_layouts_reading(tmp_path):
    s = snippet(tmp_path, STEPS)
    found = [co.unit_step_variable(inc) for inc in _increments(s)]
    assert [None if v is None else v.spelling for v in found] == [
        "i", "i", "i", None, None, None, None, None, None, None, None]
    # `1u` is not spelled `1`; a comma list and a cast (through implicit wrappers only) are no unit step
    last = _increments(s)[-1]
    assert co.induction_steps(last) is not None and co.unit_step_variable(last) is None


WRITES = r"""
void f(int x, int& r, int* p, int y, int k) {
  int t = 0;
  t += 1;
  x = 2;
  r = 3;
  ++k;
  *p = 4;
  (int&)y = 5;
  int z = x + y;
  auto l = [&] { x = 6; };
  y += 7;
}
"""


def test_mutated_declarations(tmp_path):
    s = snippet(tmp_path, WRITES)
    body = ex.function_body(s.decl(K.FUNCTION_DECL, "f"))
    names = sorted(d.spelling for d in co.mutated_declarations([body]))
    # declared: t, z, l; written by name: x, k, y (through the cast); r is a reference
    assert names == ["k", "l", "t", "x", "y", "z"]


def test_reassigned_declarations_count_plain_assignment_only(tmp_path):
    s = snippet(tmp_path, WRITES)
    f = s.decl(K.FUNCTION_DECL, "f")
    assert sorted(d.spelling for d in co.reassigned_declarations(f)) == ["r", "x", "y"]  # the lambda's too



def test_file_analysis_answers_reassigned_once_per_function(tmp_path):
    s = snippet(tmp_path, WRITES + "void g(int a) { a = 1; }\n")
    f, g = s.decl(K.FUNCTION_DECL, "f"), s.decl(K.FUNCTION_DECL, "g")
    first = s.view.analysis.reassigned(f)
    assert sorted(d.spelling for d in first) == ["r", "x", "y"]
    assert s.view.analysis.reassigned(s.decl(K.FUNCTION_DECL, "f")) is first  # the same function: asked once
    assert [d.spelling for d in s.view.analysis.reassigned(g)] == ["a"]

def test_is_written_in_looks_through_implicit_wrappers_only(tmp_path):
    s = snippet(tmp_path, WRITES)
    body = ex.function_body(s.decl(K.FUNCTION_DECL, "f"))

    def written(name):
        return co.is_written_in(body, s.decl(K.PARM_DECL, name))

    assert written("x") and written("k") and written("r")
    assert not written("p")  # *p is written, p is not
    # `(int&)y = 5` counts only for mutated_declarations, which looks through explicit casts;
    # y is still written by `y += 7`
    only_cast = snippet(tmp_path, "void g(int y) { (int&)y = 5; }\n", name="g.cpp")
    body = ex.function_body(only_cast.decl(K.FUNCTION_DECL, "g"))
    assert not co.is_written_in(body, only_cast.decl(K.PARM_DECL, "y"))
    assert [d.spelling for d in co.mutated_declarations([body])] == ["y"]


def test_is_invariant(tmp_path):
    s = snippet(tmp_path, "int g(int);\nvoid f(int* a, int* b, int n, int k, int m) {\n"
                          "  for (int i = 0; i < n; ++i) { a[i] = b[k] + g(k) + a[m++] + b[m]; }\n}\n")
    loop = s.view.loops[0]
    parts = loop.parts()
    mutated = co.mutated_declarations([parts["condition"], parts["increment"], parts["body"]])
    assert co.is_invariant(s.one(K.ARRAY_SUBSCRIPT_EXPR, "b[k]"), mutated)
    assert not co.is_invariant(s.one(K.ARRAY_SUBSCRIPT_EXPR, "a[i]"), mutated)
    assert not co.is_invariant(s.one(K.CALL_EXPR, "g(k)"), mutated)
    assert not co.is_invariant(s.one(K.ARRAY_SUBSCRIPT_EXPR, "a[m++]"), mutated)
    assert not co.is_invariant(s.one(K.ARRAY_SUBSCRIPT_EXPR, "b[m]"), mutated)  # m changes in the loop


BRANCHES = r"""
void g(int*);
void f(int n, bool c, int x) {
  for (int i = 0; i < n; ++i) {
    if (c) g(new int);
    c && (g(new int), true);
    for (int j = 0; j < n; ++j) g(new int);
    g(c ? new int : nullptr);
    g(new int);
  }
  for (int i = 0; i < n; ++i) if (c) x = 1;
}
"""


def test_under_branch_parameters(tmp_path):
    s = snippet(tmp_path, BRANCHES)
    outer = s.view.loops[0].node
    news = s.all(K.CXX_NEW_EXPR)

    def alloc(n):  # alloc-in-loop's reading
        return co.under_branch(n, outer, include_stop=False, logical_operators=True, nested_loops=True)

    def vectorizer(n):  # aliasing-vectorization's reading
        return co.under_branch(n, outer, include_stop=True, logical_operators=False, nested_loops=False)

    assert [alloc(n) for n in news] == [True, True, True, True, False]
    assert [vectorizer(n) for n in news] == [True, False, False, True, False]


def test_under_branch_counts_a_braceless_body_with_include_stop(tmp_path):
    s = snippet(tmp_path, BRANCHES)
    loop = s.view.loops[-1]
    body = loop.body
    assert body.kind == K.IF_STMT
    store = s.one(K.BINARY_OPERATOR, "x = 1")
    assert co.under_branch(store, body, include_stop=True, logical_operators=False, nested_loops=False)
    assert not co.under_branch(store, body, include_stop=False, logical_operators=False, nested_loops=False)


EXITS = r"""
#include <stdexcept>
void g(int*);
void f(int n) {
  auto later = [&] { g(new int); return; };
  for (int i = 0; i < n; ++i) {
    if (i == 1) { g(new int); break; }
    if (i == 2) { g(new int); return; }
    switch (i) { case 3: { g(new int); break; } }
    if (i == 4) throw new int;
    try { g(nullptr); } catch (...) { g(new int); }
    if (i == 5) { g(new int); throw std::runtime_error("x"); }
    if (i == 6) { g(new int); for (;;) { break; } }
    g(new int);
    later();
  }
}
"""


def test_runs_once_per_entry(tmp_path):
    s = snippet(tmp_path, EXITS)
    loop = s.view.loops[0]
    news = s.all(K.CXX_NEW_EXPR)
    once = [co.runs_once_per_entry(n, loop, inside_lambda=False) for n in news[1:]]
    # break (bound to the loop), return, break (of the switch), thrown, in a catch,
    # before a throw statement, before a loop's own break, the plain case
    assert once == [True, True, False, True, True, True, False, False]


def test_runs_once_inside_a_lambda(tmp_path):
    s = snippet(tmp_path, EXITS)
    loop = s.view.loops[0]
    in_lambda = s.all(K.CXX_NEW_EXPR)[0]
    # the lambda's `return` leaves the lambda, not the loop that calls it
    assert not co.runs_once_per_entry(in_lambda, loop, inside_lambda=True)
    assert co.runs_once_per_entry(in_lambda, loop, inside_lambda=False)


def test_leaves_loop(tmp_path):
    s = snippet(tmp_path, EXITS)
    loop = s.view.loops[0]
    breaks = s.all(K.BREAK_STMT)
    assert co.leaves_loop(breaks[0], breaks[0].parent, loop)
    assert not co.leaves_loop(breaks[1], breaks[1].parent, loop)  # the switch's
    assert not co.leaves_loop(breaks[2], breaks[2].parent, loop)  # the inner loop's
    thrown = s.one(K.CXX_THROW_EXPR, 'throw std::runtime_error("x")')
    assert thrown.parent.kind == K.UNEXPOSED_EXPR  # a throw statement can come wrapped
    assert co.leaves_loop(thrown.parent, thrown.parent.parent, loop)
    assert co.leaves_loop(s.one(K.RETURN_STMT, line=s.line_of("i == 2")), None, loop)


def test_contains_return(tmp_path):
    s = snippet(tmp_path, "void f(int n) {\n  for (int i = 0; i < n; ++i) { [] { return; }(); }\n"
                          "  for (int i = 0; i < n; ++i) { if (i) return; }\n}\n")
    first, second = (loop.body for loop in s.view.loops)
    assert not co.contains_return(first)
    assert co.contains_return(first, into_lambdas=True)
    assert co.contains_return(second)


CONDITIONS = r"""
#include <atomic>
std::atomic<bool> flag;
int f(int n);
void g(int n) {
  for (f(1); f(2); f(3)) { f(4); }
  do { f(5); } while (f(6));
  while (flag.load()) { f(7); }
  if (f(8)) { f(9); }
  switch (f(10)) { default: f(11); }
  f(12);
}
"""


def _call(s, k):
    return s.one(K.CALL_EXPR, f"f({k})")


def _statement_child(node):
    """The child of the statement holding ``node`` that ``node`` is in."""
    cur = node
    while cur.parent is not None and cur.parent.kind not in (
            K.FOR_STMT, K.DO_STMT, K.WHILE_STMT, K.IF_STMT, K.SWITCH_STMT):
        cur = cur.parent
    return cur.parent, cur


SHAPES = r"""
#include <algorithm>
#include <cmath>
#include <cstdio>
static float twice(float v) { return 2 * v; }
void f(float* y, const float* x, int n, volatile int* v, _Atomic(int)* a) {
  for (int i = 0; i < n; ++i) y[i] = std::min(x[i], 1.0f) + twice(x[i]);  // straight
  for (int i = 0; i < n; ++i) { if (x[i] > 0) y[i] = x[i]; }               // a branch is no exit
  for (int i = 0; i < n; ++i) { if (x[i] < 0) break; y[i] = x[i]; }        // break
  for (int i = 0; i < n; ++i) { if (x[i] < 0) continue; y[i] = x[i]; }     // continue
  for (int i = 0; i < n; ++i) { for (int j = 0; j < 2; ++j) y[i] += x[j]; } // nested loop
  for (int i = 0; i < n; ++i) y[i] = std::sqrt(x[i]);                      // may set errno
  for (int i = 0; i < n; ++i) std::printf("%f", x[i]);                     // opaque call
  for (int i = 0; i < n; ++i) y[i] = [&] { return x[i]; }();               // lambda
  for (int i = 0; i < *v; ++i) y[i] = x[i];                                // volatile bound
  for (int i = 0; i < n; ++i) y[i] = *a;                                   // atomic
}
"""


def test_vectorizable_shape(tmp_path):
    s = snippet(tmp_path, SHAPES)
    got = []
    for loop in s.view.loops:
        if loop.depth != 1:
            continue
        parts = loop.parts()
        scope = [parts["condition"], parts["increment"], parts["body"]]
        got.append(co.vectorizable_shape(scope, parts["body"]))
    assert got == [True, True] + [False] * 8

def test_in_condition(tmp_path):
    s = snippet(tmp_path, CONDITIONS)
    answers = {}
    for k in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11):
        stmt, child = _statement_child(_call(s, k))
        answers[k] = co.in_condition(stmt, child)
    assert answers == {1: False, 2: True, 3: False, 4: False, 5: False, 6: True, 8: True, 9: False, 10: True,
                       11: False}


def test_in_loop_condition(tmp_path):
    s = snippet(tmp_path, CONDITIONS)
    load = s.one(K.CALL_EXPR, "flag.load()")
    assert co.in_loop_condition(s.view, load)
    assert co.in_loop_condition(s.view, _call(s, 2)) and co.in_loop_condition(s.view, _call(s, 6))
    assert not co.in_loop_condition(s.view, _call(s, 7)) and not co.in_loop_condition(s.view, _call(s, 12))


def test_value_use(tmp_path):
    s = snippet(tmp_path, r"""
#include <string>
int f();
void g(int);
void uses(std::string a, std::string b, int c) {
  f();
  if (f()) {}
  for (f(); f(); f()) {}
  do f(); while (f());
  int v = c ? f() : 2;
  (void)f();
  static_cast<void>(f());
  bool t = c == f();
  f(), g(f());
  bool n = !f();
  bool same = a == b;
  switch (f()) { default: break; }
  while (f()) {}
  int stored = f();
  if (stored > 3) {}
  int kept = f();
  g(kept);
}
""")
    at = {}
    for call in s.all(K.CALL_EXPR, "f()"):
        at.setdefault(call.range.start.line, []).append(ex.value_use(call))
    line = s.line_of
    assert at[line("  f();")] == ["unused"]
    assert at[line("if (f())")] == ["tested"]
    assert at[line("for (f()")] == ["unused", "tested", "unused"]
    assert at[line("do f()")] == ["unused", "tested"]
    assert at[line("int v = c ?")] == ["value"]
    assert at[line("(void)f()")] == ["unused"]
    assert at[line("static_cast<void>")] == ["value"]  # as seq-cst-default read it
    assert at[line("bool t =")] == ["tested"]
    assert at[line("f(), g(f())")] == ["unused", "value"]
    assert at[line("bool n =")] == ["tested"]
    assert at[line("switch (f())")] == ["tested"]
    assert at[line("while (f()) {}")] == ["tested"]
    assert ex.value_use(ex.strip(s.one(K.CONDITIONAL_OPERATOR).children[0])) == "tested"
    assert ex.value_use(s.one(K.DECL_REF_EXPR, "a", line=line("bool same"))) == "tested"  # overloaded ==

    body = ex.function_body(s.decl(K.FUNCTION_DECL, "uses"))
    stored = ex.initializer(s.decl(K.VAR_DECL, "stored"))
    assert ex.value_use(stored) == "value"
    assert ex.traced_value_use(stored, body) == "tested"  # `if (stored > 3)`
    assert ex.traced_value_use(stored, None) == "value"
    assert ex.traced_value_use(ex.initializer(s.decl(K.VAR_DECL, "kept")), body) == "value"


IFS = r"""
int* make();
void f(int x) {
  if (x) x = 1;
  if (int* q = make()) { x = 2; }
  if (int k = 2; k > x) { x = 3; } else { x = 4; }
}
"""


def test_if_parts(tmp_path):
    s = snippet(tmp_path, IFS)
    plain, declared, with_init = s.all(K.IF_STMT)

    def shown(parts):
        return tuple(p.kind for p in parts)

    assert shown(co.if_parts(plain)) == shown(co.if_parts(plain, with_declarations=True)) == (
        K.UNEXPOSED_EXPR, K.BINARY_OPERATOR)
    # alloc-in-loop's reading: children[0], children[1] — a declaration and the condition
    assert shown(co.if_parts(declared)) == (K.VAR_DECL, K.UNEXPOSED_EXPR)
    assert shown(co.if_parts(declared, with_declarations=True)) == (K.UNEXPOSED_EXPR, K.COMPOUND_STMT)
    assert shown(co.if_parts(with_init)) == (K.DECL_STMT, K.BINARY_OPERATOR)
    cond, then = co.if_parts(with_init, with_declarations=True)
    assert cond.kind == K.BINARY_OPERATOR and "".join(then.tokens) == "{x=3;}"


NULL_TESTS = r"""
#include <cstddef>
#include <memory>
void f(int* p, int* q, std::unique_ptr<int>& up, bool c) {
  if (!p) {}
  if (p == nullptr) {}
  if (nullptr == p) {}
  if (p == NULL) {}
  if (p == 0) {}
  if (p == (int*)0) {}
  if ((p) == nullptr) {}
  if (c && !p) {}
  if (p != nullptr) {}
  if (c || !p) {}
  if (!q) {}
  if (!up) {}
  if (up == nullptr) {}
  if (p == q) {}
}
"""


def test_tests_null(tmp_path):
    s = snippet(tmp_path, NULL_TESTS)
    p, up = s.decl(K.PARM_DECL, "p"), s.decl(K.PARM_DECL, "up")
    conditions = [co.if_parts(i)[0] for i in s.all(K.IF_STMT)]
    assert [co.tests_null(c, p) for c in conditions] == [
        True, True, True, True, True, True, True, True, False, False, False, False, False, False]
    assert [co.tests_null(c, up) for c in conditions[-3:]] == [True, True, False]
    assert not co.tests_null(None, p)


LAMBDAS = r"""
void work(int*);
void f(int n) {
  for (int i = 0; i < n; ++i) { work(new int); }
  for (int i = 0; i < n; ++i) { [&] { work(new int); }(); }
  auto each = [&] { work(new int); };
  for (int i = 0; i < n; ++i) each();
  auto never = [&] { work(new int); };
  never();
  work(new int);
  auto outer = [] { auto inner = [] { return 1; }; return inner(); };
}
"""


def test_repeating_loop(tmp_path):
    s = snippet(tmp_path, LAMBDAS)
    news = s.all(K.CXX_NEW_EXPR)
    found = [co.repeating_loop(s.view, n) for n in news]
    loops = s.view.loops
    assert found[0] == (loops[0], None)
    loop, call = found[1]
    assert loop is loops[1] and call.kind == "immediate" and call.holder is call.call
    assert call.call.spelling == "operator()"
    loop, call = found[2]
    assert loop is loops[2] and call.kind == "variable" and call.holder.spelling == "each"
    assert call.call.range.start.line == s.line_of("each();")
    assert found[3] == (None, None) and found[4] == (None, None)


def test_outermost_function(tmp_path):
    s = snippet(tmp_path, LAMBDAS)
    inner = next(fn for fn in s.view.functions if "".join(fn.node.tokens) == "[]{return1;}")
    assert co.outermost_function(s.view, inner).name == "f"
    f = next(fn for fn in s.view.functions if fn.name == "f")
    assert co.outermost_function(s.view, f) is f


LAZY = r"""
#include <memory>
struct Holder { std::unique_ptr<int> up; };
void f(int n, int* p, Holder& h, bool c) {
  for (int i = 0; i < n; ++i) {
    if (p == nullptr) p = new int(1);
    if (p == nullptr) { c = true; } else { p = new int(2); }
    if (!h.up) h.up = std::make_unique<int>(3);
    if (c) p = new int(4);
    int* q = nullptr;
    if (!p) q = new int(5);
    if (!p) { if (c) p = new int(6); }
  }
  if (!p) {
    for (int i = 0; i < n; ++i) p = new int(7);
  }
}
"""


def test_stored_when_null(tmp_path):
    s = snippet(tmp_path, LAZY)
    loops = s.all(K.FOR_STMT)
    news = s.all(K.CXX_NEW_EXPR)
    shown = [co.stored_when_null(n, loops[0]) for n in news[:5]]
    # filled under its own null test (also nested, also through operator=); not in the else
    # branch, not under another test, not when the test is of another entity
    assert shown == [True, False, False, False, True]
    make = next(n for n in s.all(K.CALL_EXPR) if n.spelling == "make_unique")
    assert co.stored_when_null(make, loops[0])
    # the walk stops at the loop: the test outside it does not count
    assert not co.stored_when_null(news[5], loops[1])
    assert co.stored_when_null(news[5], s.view.nodes(K.FUNCTION_DECL)[0])


def test_is_range_variable(tmp_path):
    s = snippet(tmp_path, r"""
void f(int (&xs)[4], int n) {
  for (int x : xs) { int y = x; (void)y; }
  for (int i = 0; i < n; ++i) {}
}
""")
    range_loop, counted = s.view.loops
    x, y, i = (s.decl(K.VAR_DECL, name) for name in ("x", "y", "i"))
    assert co.is_range_variable(range_loop, x)
    assert not co.is_range_variable(range_loop, y)
    assert not co.is_range_variable(counted, i)


COUNTED = r"""
#include <cstddef>
#include <vector>
void f(std::vector<float>& v, float* p, std::size_t n, float (&arr)[8]) {
  std::size_t i = 0;
  while (i < n) { p[i] = 0; ++i; }                       // counted
  i = 0;
  do { p[i] = 1; i += 2; } while (i < n);                // counted, by two
  i = 0;
  while (i < n) { if (p[i] > 0) ++i; ++i; }              // stepped under a branch too
  i = 0;
  while (p[i] != 0) { ++i; }                             // counted: the condition reads i
  std::size_t j = 0;
  while (i < n) { ++j; }                                 // steps what the condition does not read
  for (float& e : v) e = 0;                              // range-for by reference
  for (float e : v) p[0] += e;                           // by value: not an element reference
  for (float& e : arr) e = 1;                            // over an array
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = 2;  // container accessors
}
"""


def test_body_induction_steps_and_counted_loop_scope(tmp_path):
    s = snippet(tmp_path, COUNTED)
    loops = [loop for loop in s.view.loops]
    got = []
    for loop in loops:
        counted = co.counted_loop_scope(loop, set())
        got.append(None if counted is None else (len(counted[0]), [d.spelling for d in counted[1]]))
    assert got == [(2, []), (2, []), None, (2, []), None, (1, ["e"]), None, (1, ["e"]), (3, [])]
    steps = co.body_induction_steps(loops[1].parts()["body"], loops[1].parts()["condition"])
    assert [(st.operator, st.variable.spelling) for st in steps] == [("+=", "i")]


def test_vectorizable_shape_takes_container_accessors_when_asked(tmp_path):
    s = snippet(tmp_path, COUNTED)
    loop = s.view.loops[-1]
    parts = loop.parts()
    scope = [parts["condition"], parts["increment"], parts["body"]]
    assert not co.vectorizable_shape(scope, parts["body"])  # v.size() and v[k] are library calls
    assert co.vectorizable_shape(scope, parts["body"], containers=True)


SEARCHES = r"""
struct R { long key; char pad[100]; };
int a(const R* r, int n, long k) {
  int lo = 0, hi = n;
  while (lo < hi) { int mid = lo + (hi - lo) / 2; if (r[mid].key < k) lo = mid + 1; else hi = mid; }
  return lo;
}
int b(const R* r, int n, long k) {
  int lo = 0, hi = n - 1, mid = 0;
  while (lo <= hi) { mid = (lo + hi) >> 1; if (r[mid].key == k) return mid; if (r[mid].key < k) lo = mid + 1; else hi = mid - 1; }
  return -1;
}
int c(const R* r, int n) {
  int lo = 0, hi = n;
  while (lo < hi) { int mid = lo + hi; lo = mid; }
  return lo;
}
int d(const R* r, int n) {
  int lo = 0, hi = n, s = 0;
  while (lo < hi) { int half = (lo + hi) / 2; s += r[half].key; ++lo; }
  return s;
}
"""


def test_bisection_midpoint(tmp_path):
    s = snippet(tmp_path, SEARCHES)
    found = [co.bisection_midpoint(loop) for loop in s.view.loops]
    # c does not halve; d halves but never moves an end to the midpoint
    assert [None if m is None else m.spelling for m in found] == ["mid", "mid", None, None]
