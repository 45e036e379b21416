"""analysis.sync: which calls take a mutex, which block, and which loops spin idle."""

from __future__ import annotations

from _analysis_view import parse_view
from hotlint.analysis.sync import blocking_call, blocking_loops, lock_acquisition, spin_wait

SOURCE = """\
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <pthread.h>
#include <shared_mutex>
std::mutex m;
std::recursive_mutex rm;
std::shared_mutex sm;
pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
std::condition_variable cv;
std::atomic<int> flag{0};
void f(std::future<int>& fut) {
    std::lock_guard<std::mutex> a(m);
    std::unique_lock<std::mutex> b(m, std::defer_lock);
    std::scoped_lock c(m, rm);
    std::shared_lock d(sm);
    m.lock();
    m.try_lock();
    sm.lock_shared();
    pthread_mutex_lock(&pm);
    std::lock(m, rm);
    cv.wait(b);
    fut.get();
    while (flag.load() == 0) {}
    while (flag.load() == 0) { flag.wait(0); }
}
"""


def test_lock_acquisitions_and_blocking_calls(tmp_path):
    view = parse_view(tmp_path, SOURCE)
    locks = {c.node.range.start.line: lock_acquisition(c) for c in view.calls}
    got = {line: (a.how, [m.spelling or m.tokens[-1] for m in a.mutexes]) for line, a in locks.items() if a}
    assert got == {
        14: ("std::lock_guard", ["m"]),
        16: ("std::scoped_lock", ["m", "rm"]),
        17: ("std::shared_lock", ["sm"]),
        18: ("std::mutex::lock", ["m"]),
        20: ("std::shared_mutex::lock_shared", ["sm"]),
        21: ("pthread_mutex_lock", ["pm"]),
        22: ("std::lock", ["m", "rm"]),
    }
    blocking = {c.node.range.start.line: blocking_call(c) for c in view.calls if blocking_call(c)}
    assert blocking == {23: "std::condition_variable::wait", 24: "std::future::get", 26: "std::atomic::wait"}


def test_spin_wait_and_blocking_loops(tmp_path):
    view = parse_view(tmp_path, SOURCE)
    spins = {}
    for loop in view.loops:
        op = spin_wait(view, loop, [o for o in view.atomic_ops if o.loop is loop])
        spins[loop.node.range.start.line] = op.operation if op else None
    assert spins == {25: "load", 26: None}
    blocked = blocking_loops(view)
    assert [lp.node.range.start.line for lp in view.loops if id(lp.node) in blocked] == [26]
