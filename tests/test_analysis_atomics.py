"""analysis.atomics: the operations the view's walk records for std::atomic, atomic_ref,
atomic_flag, __sync builtins and C11 _Atomic, with their written orders, objects and roles."""

from __future__ import annotations

import dataclasses

import pytest

from _analysis_view import parse_view
from hotlint.analysis import atomics as at
from hotlint.analysis.kinds import K

SOURCE = r"""
#include <atomic>
#define ORDER std::memory_order_relaxed
std::atomic<int> a;
std::atomic<int>* pa = &a;
std::atomic<int> cells[4];
struct S { std::atomic<long> n; } s;
std::atomic_flag f;
int plain;
std::memory_order mo = std::memory_order_seq_cst;
int gcc_order = __ATOMIC_RELEASE;
template <class T> struct Q {
  std::atomic<T> v;
  std::atomic<T>* p;
  T get() { return v.load(); }
  T get_acquire() { return v.load(std::memory_order_acquire); }
  T through() { return p->exchange(T{}); }
};
void ops(int i) {
  int l1 = a.load();
  int l2 = a.load(std::memory_order_acquire);
  a.store(1, std::memory_order::release);
  a.fetch_add(1, ORDER);
  ++a;
  a += 2;
  int l3 = a;
  a = 7;
  std::atomic_fetch_add(&a, 1);
  std::atomic_fetch_add_explicit(&a, 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  pa->fetch_sub(1);
  (*pa).store(3);
  cells[i].store(2);
  s.n.fetch_add(1);
  f.test_and_set();
  f.clear(std::memory_order_release);
  int e = 0;
  a.compare_exchange_strong(e, 1, std::memory_order_acq_rel, std::memory_order_relaxed);
  a.compare_exchange_weak(e, 1, mo);
  __sync_fetch_and_add(&plain, 1);
  __sync_lock_release(&plain);
  __sync_synchronize();
  int l4 = __atomic_load_n(&plain, __ATOMIC_ACQUIRE);
  std::atomic_ref<int>(plain).fetch_add(1);
  (void)l1; (void)l2; (void)l3; (void)l4;
}
"""

C_SOURCE = r"""
#include <stdatomic.h>
_Atomic int x;
_Atomic int *px = &x;
atomic_flag fl = ATOMIC_FLAG_INIT;
struct Box { _Atomic long n; } box;
int y;
void ops(void) {
  x++;
  --x;
  x += 2;
  x |= 4;
  x = 3;
  if (x) y = 1;
  while (!*px) {}
  y = box.n;
  int e = 0;
  atomic_load(&x);
  atomic_load_explicit(&x, memory_order_acquire);
  atomic_store_explicit(&x, 1, memory_order_release);
  atomic_compare_exchange_strong_explicit(&x, &e, 1, memory_order_acq_rel, memory_order_relaxed);
  atomic_fetch_add(&x, 1);
  atomic_flag_test_and_set(&fl);
  atomic_flag_clear_explicit(&fl, memory_order_release);
  __c11_atomic_load(&x, __ATOMIC_SEQ_CST);
  y = y + 1;
}
"""


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("atomics"), SOURCE)


@pytest.fixture(scope="module")
def c_view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("atomics_c"), C_SOURCE, "case.c")


def _line(view, text: str) -> int:
    [number] = [n for n, line in enumerate(view.lines, start=1) if text in line]
    return number


def _ops(view, text: str):
    line = _line(view, text)
    return [op for op in view.atomic_ops if op.node.range.start.line == line]


def _op(view, text: str):
    [op] = _ops(view, text)
    return op


def _summary(op):
    return op.operation, op.api, op.orders, op.defaulted


# ------------------------------------------------------------------ C++

@pytest.mark.parametrize("text, expected", [
    ("a.load();", ("load", "member", (), True)),  # the defaulted order argument is not written
    ("a.load(std::memory_order_acquire)", ("load", "member", ("acquire",), False)),
    ("std::memory_order::release", ("store", "member", ("release",), False)),
    ("a.fetch_add(1, ORDER)", ("fetch_add", "member", ("relaxed",), False)),  # a macro, by its constant
    ("++a;", ("increment", "operator", (), True)),
    ("a += 2;", ("fetch_add", "operator", (), True)),
    ("int l3 = a;", ("load", "conversion", (), True)),
    ("a = 7;", ("store", "operator", (), True)),
    ("std::atomic_fetch_add(&a, 1)", ("fetch_add", "free", (), True)),
    ("std::atomic_fetch_add_explicit", ("fetch_add", "free", ("relaxed",), False)),
    ("f.test_and_set()", ("test_and_set", "member", (), True)),
    ("f.clear(", ("clear", "member", ("release",), False)),
    ("compare_exchange_strong", ("compare_exchange_strong", "member", ("acq_rel", "relaxed"), False)),
    ("compare_exchange_weak(e, 1, mo)", ("compare_exchange_weak", "member", ("other",), False)),
    ("__sync_fetch_and_add", ("fetch_and_add", "builtin", (), True)),
    ("__sync_lock_release", ("lock_release", "builtin", ("release",), False)),  # not a full barrier
    ("__sync_synchronize", ("synchronize", "builtin", (), True)),
    ("std::atomic_ref<int>(plain)", ("fetch_add", "member", (), True)),
])
def test_operations_the_walk_records(view, text, expected):
    assert _summary(_op(view, text)) == expected


def test_what_is_no_atomic_operation(view):
    for text in ("std::atomic_thread_fence", "__atomic_load_n"):
        assert _ops(view, text) == [], text


def test_dependent_members_in_a_template(view):
    get, acquire, through = (_op(view, t) for t in ("T get()", "T get_acquire()", "T through()"))
    assert _summary(get) == ("load", "member", (), True)
    assert _summary(acquire) == ("load", "member", ("acquire",), False)
    assert _summary(through) == ("exchange", "member", (), True)  # through `->`: the pointee's type
    assert through.atomic_type.declaration.qualified_name == "std::atomic"
    assert through.target.spelling == "p"


def test_objects_and_targets(view):
    def target(text):
        d = _op(view, text).target
        return (d.kind, d.spelling) if d is not None else None

    assert target("a.load();") == (K.VAR_DECL, "a")
    assert target("std::atomic_fetch_add(&a, 1)") == (K.VAR_DECL, "a")  # &a names a
    assert target("pa->fetch_sub") == (K.VAR_DECL, "pa")  # through a pointer: the pointer
    assert target("(*pa).store") == (K.VAR_DECL, "pa")  # *p names p
    assert target("cells[i].store") == (K.VAR_DECL, "cells")
    assert target("s.n.fetch_add") == (K.FIELD_DECL, "n")
    assert target("std::atomic_ref<int>(plain)") is None  # a temporary names nothing
    assert target("__sync_synchronize") is None and _op(view, "__sync_synchronize").object is None
    assert _op(view, "__sync_fetch_and_add").atomic_type is None


def test_function_and_loop_are_filled_by_the_walk(view):
    op = _op(view, "a.load();")
    assert op.function.name == "ops" and op.loop is None


def test_may_name_atomic_call():
    for name in ("load", "fetch_add", "operator++", "operator int", "", "__sync_fetch_and_add", "atomic_load",
                 "__c11_atomic_load", "__atomic_load_n"):
        assert at.may_name_atomic_call(name), name
    for name in ("push_back", "size", "operator+", "join"):
        assert not at.may_name_atomic_call(name), name


def _argument(view, text: str, index: int):
    return _op(view, text).node.arguments[index]


def test_order_name_reads_the_last_token(view):
    assert at.order_name(_argument(view, "a.load(std::memory_order_acquire)", 0)) == "acquire"
    assert at.order_name(_argument(view, "std::memory_order::release", 1)) == "release"
    assert at.order_name(_argument(view, "compare_exchange_weak(e, 1, mo)", 2)) == "other"
    # a macro's name is no order to the spelling, while the constant it names is
    macro = _argument(view, "a.fetch_add(1, ORDER)", 1)
    assert at.order_name(macro) == "other" and at.written_order(macro) == "relaxed"
    assert at.order_name(_argument(view, "a.load();", 0)) is None  # defaulted: no tokens


def test_order_name_reads_gcc_builtin_spellings(view):
    # the last token decides; an order written as GCC's macro inside a builtin is a literal without
    # tokens of its own (no name at all), so the rule is shown on a declaration ending in one
    declaration = next(n for n in view.nodes(K.VAR_DECL) if n.spelling == "gcc_order")
    assert declaration.tokens[-1] == "__ATOMIC_RELEASE" and at.order_name(declaration) == "release"
    load = next(n for n in view.nodes(K.INTEGER_LITERAL) if n.range.start.line == _line(view, "__atomic_load_n"))
    # no name, but the evaluator reads the macro's value
    assert at.order_name(load) is None and at.written_order(load) == "acquire"


def test_is_order_typed(view):
    call = _op(view, "a.store(1, std::memory_order::release)").node
    value, order = call.arguments
    assert at.is_order_typed(order) and not at.is_order_typed(value)


@pytest.mark.parametrize("text, role", [
    ("a.load();", at.LOAD), ("f.clear(", at.STORE), ("a = 7;", at.STORE), ("++a;", at.ADD),
    ("a += 2;", at.ADD), ("__sync_fetch_and_add", at.ADD), ("compare_exchange_strong", at.RMW),
    ("f.test_and_set()", at.RMW), ("__sync_lock_release", at.RMW), ("__sync_synchronize", at.FENCE),
])
def test_operation_role(view, text, role):
    assert at.operation_role(_op(view, text)) == role


def test_operation_role_ignores_the_flag_prefix_but_read_operations_do_not(view):
    # std::atomic_flag_test / atomic_flag_wait (C++20) are `flag_test` / `flag_wait`: loads by role,
    # yet false-sharing counts them as writes (not in READ_OPERATIONS). This libstdc++ has neither,
    # so the operation is renamed on a real load.
    load = _op(view, "a.load();")
    for name in ("flag_test", "flag_wait"):
        op = dataclasses.replace(load, operation=name)
        assert at.operation_role(op) == at.LOAD and op.operation not in at.READ_OPERATIONS
    assert at.operation_role(dataclasses.replace(load, operation="flag_clear")) == at.STORE
    assert {"load", "test", "wait"} == at.READ_OPERATIONS


# ------------------------------------------------------------------ C11

@pytest.mark.parametrize("text, expected", [
    ("x++;", ("increment", "c11", (), True)),
    ("--x;", ("decrement", "c11", (), True)),
    ("x += 2;", ("fetch_add", "c11", (), True)),
    ("x |= 4;", ("fetch_or", "c11", (), True)),
    ("x = 3;", ("store", "c11", (), True)),
    ("if (x)", ("load", "c11", (), True)),  # an implicit read
    ("while (!*px)", ("load", "c11", (), True)),
    ("y = box.n;", ("load", "c11", (), True)),
    ("atomic_load(&x);", ("load", "c11", (), True)),
    ("atomic_load_explicit", ("load", "c11", ("acquire",), False)),
    ("atomic_store_explicit", ("store", "c11", ("release",), False)),
    ("atomic_compare_exchange_strong_explicit", ("compare_exchange_strong", "c11", ("acq_rel", "relaxed"), False)),
    ("atomic_fetch_add(&x, 1)", ("fetch_add", "c11", (), True)),
    ("atomic_flag_test_and_set", ("test_and_set", "c11", (), True)),
    ("atomic_flag_clear_explicit", ("clear", "c11", ("release",), False)),
])
def test_c11_operations(c_view, text, expected):
    assert _summary(_op(c_view, text)) == expected


def test_c11_what_is_no_operation(c_view):
    for text in ("__c11_atomic_load", "y = y + 1", "int e = 0"):
        assert _ops(c_view, text) == [], text


def test_c11_objects_and_targets(c_view):
    assert _op(c_view, "x++;").target.spelling == "x"
    assert _op(c_view, "while (!*px)").target.spelling == "px"
    assert _op(c_view, "y = box.n;").target.kind == K.FIELD_DECL
    # the flag's macro works on &(flag)->_Value: the operation names the flag
    flag = _op(c_view, "atomic_flag_test_and_set")
    assert flag.target.spelling == "fl" and flag.object.kind == K.UNARY_OPERATOR
    assert all(op.atomic_type.atomic_kind == "_Atomic" for op in c_view.atomic_ops)


def test_is_c11_function_call(c_view):
    assert at.is_c11_function_call(_op(c_view, "atomic_load(&x);"))
    assert at.is_c11_function_call(_op(c_view, "atomic_flag_clear_explicit"))
    for text in ("x++;", "if (x)", "x = 3;"):
        assert not at.is_c11_function_call(_op(c_view, text)), text


def test_c11_recognizer_runs_only_where_atomics_can_be(tmp_path):
    # C++ without `_Atomic` in its text skips the check on every operator
    view = parse_view(tmp_path, "int y; void f() { y++; y += 2; }\n")
    assert view.atomic_ops == [] and view._c11 is False


def test_view_reexports_the_recognizers_names():
    import hotlint.view as view_module

    assert view_module.AtomicOp is at.AtomicOp and view_module.order_name is at.order_name
    assert view_module.MEMORY_ORDERS == at.MEMORY_ORDERS == (
        "relaxed", "consume", "acquire", "release", "acq_rel", "seq_cst")
    assert view_module.LOOP_KINDS == {K.FOR_STMT, K.CXX_FOR_RANGE_STMT, K.WHILE_STMT, K.DO_STMT}
    assert "LAMBDA_EXPR" in view_module.FUNCTION_KINDS and "UNION_DECL" in view_module.RECORD_KINDS


def test_is_decrement(tmp_path):
    view = parse_view(tmp_path, "#include <atomic>\n"
                      "std::atomic<int> a; int plain; int n;\n"
                      "void f() {\n"
                      "  a.fetch_sub(1);\n  a--;\n  a -= 2;\n  __sync_fetch_and_sub(&plain, 1);\n"
                      "  a.fetch_add(-1);\n  a.fetch_add(-n, std::memory_order_relaxed);\n  a += -2;\n"
                      "  std::atomic_fetch_add(&a, -1);\n  __sync_add_and_fetch(&plain, -(1));\n"
                      "  a.fetch_add(1);\n  a += 2;\n  ++a;\n  std::atomic_fetch_add(&a, 1);\n"
                      "  a.fetch_add(n - 1);\n  a.exchange(-1);\n  a.store(-1);\n"
                      "}\n")
    ops = {op.node.range.start.line: op for op in view.atomic_ops}
    assert [line for line in sorted(ops) if at.is_decrement(ops[line])] == list(range(4, 13))
    assert len(ops) == 16


# ------------------------------------------------------------------ how an operation is written

WRITTEN = r"""
#include <atomic>
struct S { std::atomic<int> hits; std::atomic<bool> ready; };
std::atomic<int> a;
int plain;
#define LOAD(x) x.load()
void f(S& s, S* p, int v) {
  s.hits.fetch_add(1);
  p->ready.store(true);
  a.load();
  a.fetch_sub(2, std::memory_order_relaxed);
  std::atomic_fetch_add(&a, 1);
  std::atomic_fetch_add_explicit(&a, 1, std::memory_order_relaxed);
  int e = 0;
  a.compare_exchange_strong(e, 1);
  std::atomic_compare_exchange_weak(&a, &e, 2);
  __sync_fetch_and_add(&plain, 1);
  __sync_fetch_and_add_4(&plain, 1);
  __sync_lock_test_and_set(&plain, 1);
  ++a;
  a -= v;
  int l = a;
  (void)LOAD(a);
  a.  load  (  );
}
"""

C_WRITTEN = r"""
#include <stdatomic.h>
_Atomic int x;
int y;
void g(void) {
  atomic_load(&x);
  atomic_compare_exchange_strong(&x, &y, 1);
  x += 2;
  x--;
  y = x;
}
"""


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("written"), WRITTEN)


@pytest.fixture(scope="module")
def c_written(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("written_c"), C_WRITTEN, "case.c")


def test_operator_spelling(written, c_written):
    assert at.operator_spelling(_op(written, "++a;")) == "++"
    assert at.operator_spelling(_op(written, "a -= v;")) == "-="
    assert at.operator_spelling(_op(written, "a.load();")) == "load"  # no operator performs it
    assert [at.operator_spelling(_op(c_written, t)) for t in ("x += 2;", "x--;", "y = x;")] == ["+=", "--", "load"]
    assert at.OPERATOR_SPELLINGS == {"increment": "++", "decrement": "--", "store": "=", "fetch_add": "+=",
                                     "fetch_sub": "-=", "fetch_and": "&=", "fetch_or": "|=", "fetch_xor": "^="}


def test_object_text_as_written_without_whitespace(written, c_written):
    src = written.source
    assert at.object_text(src, _op(written, "s.hits.fetch_add")) == "s.hits"
    assert at.object_text(src, _op(written, "p->ready.store")) == "p->ready"
    assert at.object_text(src, _op(written, "std::atomic_fetch_add(&a, 1);")) == "&a"
    assert at.object_text(src, _op(written, "int l = a;")) == "a"
    assert at.object_text(src, _op(written, "(void)LOAD(a);")) == ""  # a macro argument: no text of its own
    # <stdatomic.h>'s functions are macros over clang's builtins: their operands have no text of their own
    assert at.object_text(c_written.source, _op(c_written, "atomic_load(&x);")) == ""
    assert at.object_text(c_written.source, _op(c_written, "x += 2;")) == "x"


def test_order_spelling_by_api_and_language(written, c_written):
    member, builtin = _op(written, "a.load();"), _op(written, "__sync_fetch_and_add(&plain, 1);")
    assert at.order_spelling(member, "acquire", language="c++") == "std::memory_order_acquire"
    assert at.order_spelling(builtin, "acq_rel", language="c++") == "__ATOMIC_ACQ_REL"
    assert at.order_spelling(_op(c_written, "atomic_load(&x);"), "relaxed", language="c") == "memory_order_relaxed"


def test_written_as_call(written, c_written):
    calls = ("a.load();", "std::atomic_fetch_add(&a, 1);", "__sync_fetch_and_add(&plain, 1);")
    assert all(at.written_as_call(_op(written, t)) for t in calls)
    assert not any(at.written_as_call(_op(written, t)) for t in ("++a;", "a -= v;", "int l = a;"))
    assert at.written_as_call(_op(c_written, "atomic_load(&x);"))
    assert not at.written_as_call(_op(c_written, "x += 2;"))


def _ordered(view, text, order="acquire", language="c++"):
    """The line holding ``text`` after order_argument_edits, or None without edits."""
    from hotlint.fixes import apply_edits

    edits = at.order_argument_edits(view.source, _op(view, text), order, language=language)
    return None if edits is None else apply_edits(view.text, edits).splitlines()[_line(view, text) - 1].strip()


def test_order_argument_edits_write_the_order_into_the_call(written, c_written):
    assert _ordered(written, "s.hits.fetch_add(1);", "relaxed") == "s.hits.fetch_add(1, std::memory_order_relaxed);"
    assert _ordered(written, "a.load();") == "a.load(std::memory_order_acquire);"
    assert _ordered(written, "a.  load  (  );") == "a.  load  (  std::memory_order_acquire);"
    # a free function becomes its _explicit form; a compare-exchange gets the derived failure order too
    assert _ordered(written, "std::atomic_fetch_add(&a, 1);", "release") == \
        "std::atomic_fetch_add_explicit(&a, 1, std::memory_order_release);"
    assert _ordered(written, "std::atomic_compare_exchange_weak(&a, &e, 2);", "release") == \
        "std::atomic_compare_exchange_weak_explicit(&a, &e, 2, std::memory_order_release, std::memory_order_relaxed);"
    assert _ordered(written, "a.compare_exchange_strong(e, 1);", "acq_rel") == \
        "a.compare_exchange_strong(e, 1, std::memory_order_acq_rel);"  # a member takes one order
    assert _ordered(written, "__sync_fetch_and_add(&plain, 1);", "relaxed") == \
        "__atomic_fetch_add(&plain, 1, __ATOMIC_RELAXED);"
    assert _ordered(c_written, "atomic_compare_exchange_strong(&x, &y, 1);", "acq_rel", "c") == \
        "atomic_compare_exchange_strong_explicit(&x, &y, 1, memory_order_acq_rel, memory_order_acquire);"
    assert _ordered(c_written, "atomic_load(&x);", "acquire", "c") == "atomic_load_explicit(&x, memory_order_acquire);"


def test_order_argument_edits_none_where_the_text_does_not_read_as_the_call(written, c_written):
    for text in ("std::atomic_fetch_add_explicit(&a, 1, std::memory_order_relaxed);",  # _explicit already
                 "__sync_fetch_and_add_4(&plain, 1);",  # a sized form
                 "__sync_lock_test_and_set(&plain, 1);",  # no __atomic form to rename to
                 "(void)LOAD(a);",  # a macro writes it
                 "++a;", "int l = a;"):  # no call
        assert _ordered(written, text) is None, text
    assert _ordered(c_written, "x += 2;", "relaxed", "c") is None


# ------------------------------------------------------------------ order expressions

ORDER_EXPRESSIONS = r"""
#include <atomic>
#include <cstdint>
std::atomic<std::uint64_t> hits;
constexpr std::memory_order kRelaxed = std::memory_order_relaxed;
constexpr auto kRelease = std::memory_order_release;
struct Policy { static constexpr std::memory_order order = std::memory_order_relaxed; };
struct Options { std::memory_order order; };
template <std::memory_order O> void bump_chosen() { hits.fetch_add(1, O); }
void bump_param(std::memory_order o) { hits.fetch_add(1, o); }
void bump_ternary(bool fast) { hits.fetch_add(1, fast ? std::memory_order_relaxed : std::memory_order_seq_cst); }
void bump_member(const Options& opt) { hits.fetch_add(1, opt.order); }
void bump_named() { hits.fetch_add(1, kRelaxed); }
void publish_named() { hits.store(1, kRelease); }
void bump_policy_member() { hits.fetch_add(1, Policy::order); }
void bump_hle() { hits.fetch_add(1, std::memory_order_acquire | std::__memory_order_hle_acquire); }
template <class P> struct Stats {
  std::atomic<std::uint64_t> n;
  void add() { n.fetch_add(1, P::order); }
  void add_copy() { constexpr auto o = P::order; n.fetch_add(1, o); }
};
template <class T, class P> struct Cell {
  std::atomic<T> v;
  void put(T x) { v.store(x, P::order); }
  void put_default(T x) { v.store(x); }
  T get() { return v.load(P::order); }
  bool swap(T& e, T d) { return v.compare_exchange_weak(e, d, P::order, P::order); }
  bool swap_default(T& e, T d) { return v.compare_exchange_weak(e, d); }
};
template <auto O> struct Auto { std::atomic<int> n; void add() { n.fetch_add(1, O); } };
void use() {
  bump_chosen<std::memory_order_relaxed>();
  Stats<Policy> s; s.add(); s.add_copy();
  Cell<int, Policy> c; int e = 0; c.put(1); c.put_default(1); (void)c.get(); c.swap(e, 1); c.swap_default(e, 1);
  Auto<std::memory_order_relaxed> a; a.add();
}
"""


@pytest.fixture(scope="module")
def order_view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("atomic_orders"), ORDER_EXPRESSIONS)


@pytest.mark.parametrize("text, orders", [
    # known constants are read as the order they hold
    ("hits.fetch_add(1, kRelaxed)", ("relaxed",)),
    ("hits.store(1, kRelease)", ("release",)),
    ("hits.fetch_add(1, Policy::order)", ("relaxed",)),
    ("__memory_order_hle_acquire", ("acquire",)),  # libstdc++'s lock-elision hint bits aside
    # chosen by a template parameter, a parameter, a member or a condition: written, value unknown
    ("hits.fetch_add(1, O)", ("other",)),
    ("hits.fetch_add(1, o)", ("other",)),
    ("hits.fetch_add(1, opt.order)", ("other",)),
    ("fast ? std::memory_order_relaxed", ("other",)),  # not the first enumerator it mentions
    # types known only at instantiation, at the member's order positions
    ("n.fetch_add(1, P::order)", ("other",)),
    ("constexpr auto o = P::order", ("other",)),
    ("v.store(x, P::order)", ("other",)),
    ("return v.load(P::order)", ("other",)),
    ("v.compare_exchange_weak(e, d, P::order, P::order)", ("other", "other")),
    ("n.fetch_add(1, O); } };", ("other",)),  # template <auto O>
])
def test_an_order_expression_is_a_written_order(order_view, text, orders):
    op = _op(order_view, text)
    assert (op.orders, op.defaulted) == (orders, False)


@pytest.mark.parametrize("text, operation", [
    # a dependent operand in an operand's place is no order: these are still defaulted
    ("v.store(x); }", "store"),
    ("v.compare_exchange_weak(e, d); }", "compare_exchange_weak"),
])
def test_a_dependent_operand_is_no_order(order_view, text, operation):
    op = _op(order_view, text)
    assert (op.operation, op.orders, op.defaulted) == (operation, (), True)


C_ORDER_EXPRESSIONS = r"""
#include <stdatomic.h>
_Atomic unsigned long hits;
static const memory_order kRelaxed = memory_order_relaxed;
enum { kRelease = memory_order_release };
void bump_param(memory_order o) { atomic_fetch_add_explicit(&hits, 1, o); }
void bump_named(void) { atomic_fetch_add_explicit(&hits, 1, kRelaxed); }
void publish_enum(void) { atomic_store_explicit(&hits, 1, kRelease); }
void publish_ternary(int f) { atomic_store_explicit(&hits, 1, f ? memory_order_relaxed : memory_order_seq_cst); }
"""


@pytest.mark.parametrize("text, orders", [
    ("&hits, 1, o)", ("other",)),
    ("&hits, 1, kRelaxed)", ("relaxed",)),
    ("&hits, 1, kRelease)", ("release",)),
    ("f ? memory_order_relaxed", ("other",)),
])
def test_c11_order_expressions(tmp_path, text, orders):
    view = parse_view(tmp_path, C_ORDER_EXPRESSIONS, "orders.c")
    op = _op(view, text)
    assert (op.api, op.orders, op.defaulted) == ("c11", orders, False)
