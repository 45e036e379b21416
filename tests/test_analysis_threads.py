"""analysis.threads: spawn sites, thread-id calls, joins, and the per-thread evidence
false-sharing reads (which element of an array each thread writes), on real <thread> code."""

from __future__ import annotations

import pytest

from _analysis_view import parse_view
from hotlint.analysis import threads as th
from hotlint.analysis.kinds import K

SOURCE = r"""
#include <atomic>
#include <functional>
#include <future>
#include <thread>
#include <vector>

extern "C" int omp_get_thread_num();
std::atomic<long> counts[8];
std::atomic<long> others[8];
struct Slot { std::atomic<long> v; };
Slot slots[8];

void worker(int id) {
  for (int i = 0; i < 100; ++i) counts[id].fetch_add(1, std::memory_order_relaxed);
}
void shifted(int id) {
  for (int i = 0; i < 100; ++i) others[id + 1].fetch_add(1);
  for (int i = 0; i < 100; ++i) others[1 + id].fetch_add(1);
  for (int i = 0; i < 100; ++i) others[2 - id].fetch_add(1);
  for (int i = 0; i < 100; ++i) others[0].fetch_add(1);
  for (int i = 0; i < 8; ++i) others[i].fetch_add(1);
}
void by_literal(int id) {
  for (int i = 0; i < 100; ++i) slots[id].v.fetch_add(1);
}
void once_by_literal(int id) {
  for (int i = 0; i < 100; ++i) counts[id].fetch_add(1);
}
void own_slot(std::atomic<long>& slot) {
  for (int i = 0; i < 100; ++i) slot.fetch_add(1);
}
void by_reference(int id) {
  std::atomic<long>& mine = counts[id];
  for (int i = 0; i < 100; ++i) mine.fetch_add(1);
}
void by_thread_id() {
  int me = omp_get_thread_num();
  for (int i = 0; i < 100; ++i) counts[me].fetch_add(1);
  for (int i = 0; i < 100; ++i) counts[sched_getcpu()].fetch_add(1);
}
int thread(int x) { return x; }

void spawn() {
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) ts.emplace_back(worker, t);
  for (int t = 0; t < 8; ++t) ts.emplace_back(&shifted, t);
  std::thread a(by_literal, 0), b(by_literal, 1);
  std::thread c(once_by_literal, 0);
  for (int t = 0; t < 8; ++t) ts.emplace_back(own_slot, std::ref(counts[t]));
  for (int t = 0; t < 8; ++t) ts.emplace_back([t] {
    for (int i = 0; i < 100; ++i) others[t].fetch_add(1);
  });
  for (auto& s : slots) ts.emplace_back([&s] {
    for (int i = 0; i < 100; ++i) s.v.fetch_add(1);
  });
  for (int t = 0; t < 8; ++t) {
    auto body = [t] { for (int i = 0; i < 100; ++i) counts[t].fetch_add(2); };
    std::jthread j(body);
  }
  for (int t = 0; t < 8; ++t) ts.emplace_back(by_reference, t);
  auto f = std::async(std::launch::async, worker, 3);
  std::vector<int> ints;
  ints.emplace_back(1);
  std::thread idle;
  thread(1);
  for (auto& x : ts) x.join();
  a.join(); b.join(); c.join();
}

std::atomic<int> flag_a, flag_b;
void handshake() {
  std::thread t([] {});
  flag_a.store(1);
  t.join();
  int seen = flag_b.load();
  for (int k = 0; k < 3; ++k) {
    std::thread u([] {});
    u.join();
    seen += flag_b.load();
  }
  flag_a.store(seen);
}
void elsewhere() { int seen = flag_b.load(); (void)seen; }
"""


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("threads"), SOURCE)


def _line(view, text: str, nth: int = 0) -> int:
    return [n for n, line in enumerate(view.lines, start=1) if text in line][nth]


def _spelled(nodes):
    return [" ".join(n.tokens) for n in nodes]


def test_spawn_arguments(view):
    found = {}
    for call in view.calls:
        args = th.spawn_arguments(call)
        if args is not None:
            found.setdefault(call.node.range.start.line, []).append(_spelled(args))
    assert found[_line(view, "emplace_back(worker, t)")] == [["worker", "t"]]
    assert found[_line(view, "std::thread a(by_literal")] == [["by_literal", "0"], ["by_literal", "1"]]
    assert found[_line(view, "std::jthread j(body)")] == [["body"]]
    assert found[_line(view, "std::async(")] == [["worker", "3"]]  # the launch policy dropped
    for absent in ("ints.emplace_back(1)", "std::thread idle", "  thread(1);"):
        assert _line(view, absent) not in found, absent


def test_is_thread_id_call(view):
    ids = [c.name for c in view.calls if th.is_thread_id_call(c.node)]
    assert ids == ["omp_get_thread_num", "sched_getcpu"]


def test_joins(view):
    joins = th.Joins(view)
    assert [c.range.start.line for c in (s.node for s in joins.sites)] == [
        _line(view, "x.join()"), _line(view, "a.join()"), _line(view, "a.join()"), _line(view, "a.join()"),
        _line(view, "t.join()"), _line(view, "u.join()")]
    assert all(th.is_join(s) for s in joins.sites)
    assert not any(th.is_join(c) for c in view.calls if c.name == "emplace_back")


def _op(view, operation: str, line: int):
    [op] = [o for o in view.atomic_ops if o.operation == operation and o.node.range.start.line == line]
    return op


def test_joined_before(view):
    joins = th.Joins(view)
    first_load = _op(view, "load", _line(view, "int seen = flag_b.load()"))
    in_loop = _op(view, "load", _line(view, "seen += flag_b.load()"))
    store = _op(view, "store", _line(view, "flag_a.store(1)"))
    last = _op(view, "store", _line(view, "flag_a.store(seen)"))
    other = _op(view, "load", _line(view, "void elsewhere()"))
    assert joins.joined_before(first_load.node, first_load.function)
    assert not joins.joined_before(store.node, store.function)
    # the loop's own join is not before every run of the load, but the earlier one is
    assert joins.joined_before(in_loop.node, in_loop.function)
    assert joins.joined_before(last.node, last.function)
    assert not joins.joined_before(other.node, other.function)  # joins of another function


def test_joined_before_skips_a_join_in_a_loop_holding_the_node(tmp_path):
    view = parse_view(tmp_path, """
#include <atomic>
#include <thread>
std::atomic<int> x;
void f() {
  for (int k = 0; k < 3; ++k) {
    std::thread u([] {});
    u.join();
    int v = x.load();
    (void)v;
  }
}
""")
    [op] = view.atomic_ops
    assert not th.Joins(view).joined_before(op.node, op.function)


def test_joined_between(view):
    joins = th.Joins(view)
    store = _op(view, "store", _line(view, "flag_a.store(1)"))
    load = _op(view, "load", _line(view, "int seen = flag_b.load()"))
    last = _op(view, "store", _line(view, "flag_a.store(seen)"))
    assert joins.joined_between(store.function, store.node, load.node)
    assert not joins.joined_between(store.function, load.node, load.node)
    assert joins.joined_between(store.function, load.node, last.node)  # u.join() in the loop
    other = _op(view, "load", _line(view, "void elsewhere()"))
    assert not joins.joined_between(other.function, store.node, load.node)


@pytest.fixture(scope="module")
def bodies(view):
    return th.ThreadBodies(view)


def _element(view, bodies, text: str, nth: int = 0, operation: str = "fetch_add"):
    return bodies.per_thread_element(_op(view, operation, _line(view, text, nth)))


def test_thread_bodies(view, bodies):
    spelled = {b.node.spelling or "<lambda>": len(b.spawns) for b in bodies.bodies.values()}
    assert spelled["worker"] == 2 and spelled["by_literal"] == 2 and spelled["once_by_literal"] == 1
    assert spelled["shifted"] == 1  # spawned through &shifted
    # lambdas passed directly (three) or through a variable holding one (`std::jthread j(body)`)
    lambdas = [b.node.range.start.line for b in bodies.bodies.values() if b.node.spelling == ""]
    assert lambdas == [_line(view, "ts.emplace_back([t]"), _line(view, "ts.emplace_back([&s]"),
                       _line(view, "auto body = [t]"), _line(view, "std::thread t(["), _line(view, "std::thread u([")]


def test_a_parameter_fed_by_the_spawning_loop_indexes_per_thread(view, bodies):
    access, body = _element(view, bodies, "counts[id].fetch_add(1, std::memory_order_relaxed)")
    assert (access.shown, access.line, access.by_core, access.range_for) == (
        "counts[id]", _line(view, "counts[id].fetch_add(1, std::memory_order_relaxed)"), False, False)
    assert " ".join(access.sequence.tokens) == "counts" and body.node.spelling == "worker"


def test_literal_indexes_need_two_spawns_with_two_values(view, bodies):
    assert _element(view, bodies, "slots[id].v.fetch_add(1)") is not None
    assert _element(view, bodies, "counts[id].fetch_add(1);", 0) is None  # once_by_literal: one spawn


def test_index_arithmetic(view, bodies):
    assert _element(view, bodies, "others[id + 1]") is not None
    assert _element(view, bodies, "others[1 + id]") is not None
    assert _element(view, bodies, "others[2 - id]") is None  # not a per-thread index once negated
    assert _element(view, bodies, "others[0]") is None
    assert _element(view, bodies, "others[i].fetch_add(1)") is None  # every thread sweeps every index


def test_an_element_handed_by_reference(view, bodies):
    access, body = _element(view, bodies, "slot.fetch_add(1)")
    assert access.shown == "counts[t]" and body.node.spelling == "own_slot"


def test_a_reference_variable_bound_to_an_element(view, bodies):
    access, body = _element(view, bodies, "mine.fetch_add(1)")
    assert access.shown == "counts[id]" and body.node.spelling == "by_reference"


def test_captured_loop_variables(view, bodies):
    access, body = _element(view, bodies, "others[t].fetch_add(1)")
    assert access.shown == "others[t]" and body.node.spelling == ""
    # through a variable holding the lambda
    access, _body = _element(view, bodies, "counts[t].fetch_add(2)")
    assert access.shown == "counts[t]"


def test_a_range_for_element_captured_by_a_spawned_lambda(view, bodies):
    access, _body = _element(view, bodies, "s.v.fetch_add(1)")
    assert (access.shown, access.range_for, access.line) == ("s", True, _line(view, "for (auto& s : slots)"))


def test_thread_id_calls_index_per_thread_without_a_body(view, bodies):
    access, body = _element(view, bodies, "counts[me].fetch_add(1)")
    assert body is None and not access.by_core and access.shown == "counts[me]"
    access, body = _element(view, bodies, "counts[sched_getcpu()]")
    assert body is None and access.by_core


def test_bodies_key_per_thread_names_by_position(view, bodies):
    [worker] = [b for b in bodies.bodies.values() if b.node.spelling == "worker"]
    [param] = [n for n in worker.node.children if n.kind == K.PARM_DECL]
    assert worker.per_thread == {(param.range, "id")} and worker.element_params == {}
    [own_slot] = [b for b in bodies.bodies.values() if b.node.spelling == "own_slot"]
    assert [access.shown for access in own_slot.element_params.values()] == ["counts[t]"]


CATEGORIES = r"""
#include <atomic>
#include <thread>
enum Kind : unsigned { kA, kB, kCount };
std::atomic<long> shared[kCount];
std::atomic<long> solo[kCount];
std::atomic<long> same[kCount];
std::atomic<long> own[8];
void bump(Kind k) { shared[k].fetch_add(1); }
void via(Kind k) { bump(k); }
void first() { for (int i = 0; i < 9; ++i) via(kA); }
void second() { for (int i = 0; i < 9; ++i) bump(kB); }
void alone() { solo[kA].fetch_add(1); solo[kB].fetch_add(1); }
void same_one() { same[kA].fetch_add(1); }
void mine(int id) { for (int i = 0; i < 9; ++i) own[id].fetch_add(1); }
void run() {
  std::thread a(first), b(second), c(alone);
  for (int t = 0; t < 2; ++t) { std::thread d(same_one); d.join(); }
  for (int t = 0; t < 8; ++t) { std::thread e(mine, t); e.join(); }
  a.join(); b.join(); c.join();
}
"""


def test_spawns_running_follows_calls_from_thread_bodies(tmp_path):
    view = parse_view(tmp_path, CATEGORIES)
    threads = view.analysis.threads
    fn = {f.name: f for f in view.functions}
    spawned = {name: sorted(s.range.start.line for s in threads.spawns_running(fn[name]))
               for name in ("bump", "via", "first", "second", "alone", "run")}
    # bump is reached from first (through via) and from second, both spawned on line 17
    assert spawned == {"bump": [17, 17], "via": [17], "first": [17], "second": [17], "alone": [17], "run": []}
    d = next(s for s in threads.spawns_running(fn["same_one"]))
    assert threads.thread_count({d}) == 2  # a spawn in a loop starts many
    assert threads.thread_count(threads.spawns_running(fn["alone"])) == 1


def test_shared_element_writes_need_two_threads_and_two_elements(tmp_path):
    view = parse_view(tmp_path, CATEGORIES)
    threads = view.analysis.threads
    writes = [op for op in view.atomic_ops if op.function is not None]
    found = threads.shared_element_writes(writes)
    # shared: two threads, an index that varies; solo: one thread; same: one element;
    # own: each thread's own element (per_thread_element's case)
    assert [[view.source.text(op.object.range) for op in ops] for ops, _ in found] == [["shared[k]"]]
    ops, spawns = found[0]
    assert threads.thread_count(spawns) == 2
