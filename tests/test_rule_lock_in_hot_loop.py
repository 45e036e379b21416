"""lock-in-hot-loop on real C++ through the real headers: evidence and severity, the blocking-loop
and spin traps, the option, and the spin bench pair that `hotlint bench` does not discover."""

from __future__ import annotations

import os
import tempfile

import pytest

from conftest import ROOT, analyze_source, run_json
from hotlint import bench
from hotlint.model import Severity
from hotlint.view import Settings

RULE = "lock-in-hot-loop"
HEADERS = """\
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
std::mutex m;
std::condition_variable cv;
std::deque<int> q;
std::uint64_t total = 0;
bool running = true;
std::atomic<bool> ready{false};
std::atomic<int> owner{0};
"""
SUM = """\
void add(const std::vector<int>& v) {
    for (int x : v) {
        std::lock_guard<std::mutex> g(m);
        total += x;
    }
}
"""


def findings(tmp_path, body, settings=None):
    _, diags = analyze_source(tmp_path, HEADERS + body, rules=[RULE], settings=settings)
    return diags


def line_of(body, text):
    lines = (HEADERS + body).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_a_lock_in_a_function_threads_run_is_a_warning_naming_the_spawn(tmp_path):
    body = SUM + "void run(const std::vector<int>& v) { std::thread t(add, std::cref(v)); t.join(); }\n"
    [d] = findings(tmp_path, body)
    assert d.severity == Severity.WARNING
    assert d.range.start.line == line_of(body, "lock_guard")
    assert d.message.startswith("`m` locked on every iteration of this loop")
    assert f"threads started at line {line_of(body, 'std::thread t')} run `add`" in " ".join(d.notes)
    assert "13.5x" in " ".join(d.notes)


def test_without_evidence_of_threads_loops_or_heat_it_is_an_info(tmp_path):
    [d] = findings(tmp_path, SUM)
    assert d.severity == Severity.INFO
    assert "nothing in this file shows `add` running on several threads" in " ".join(d.notes)


def test_a_loop_calling_the_function_is_evidence(tmp_path):
    body = SUM + "void all(const std::vector<std::vector<int>>& vs) { for (const auto& v : vs) add(v); }\n"
    [d] = findings(tmp_path, body)
    assert d.severity == Severity.WARNING
    assert f"`add` is called in a loop at line {line_of(body, 'add(v)')}" in d.notes


def test_the_consumer_loop_that_waits_is_silent_and_the_same_loop_without_the_wait_is_not(tmp_path):
    waits = """\
void consume() {
    while (running) {
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [] { return !q.empty(); });
        total += q.front();
        q.pop_front();
    }
}
"""
    assert findings(tmp_path, waits) == []
    [d] = findings(tmp_path, waits.replace("        cv.wait(l, [] { return !q.empty(); });\n", ""))
    assert d.range.start.line == line_of(waits, "unique_lock")


def test_blocking_functions_option_names_a_users_waiting_call(tmp_path):
    body = """\
struct Queue { int wait_pop(); };
void drain(Queue& in) {
    for (;;) {
        int x = in.wait_pop();
        std::lock_guard<std::mutex> g(m);
        total += x;
    }
}
"""
    assert len(findings(tmp_path, body)) == 1
    settings = Settings(rule_options={RULE: {"blocking-functions": ["*::wait_pop"]}})
    assert findings(tmp_path, body, settings) == []


def test_lock_taken_once_deferred_or_tried_is_silent(tmp_path):
    body = """\
void once(const std::vector<int>& v) {
    std::lock_guard<std::mutex> g(m);
    for (int x : v) total += x;
}
void tries(int n) {
    for (int i = 0; i < n; ++i) {
        std::unique_lock<std::mutex> l(m, std::try_to_lock);
        if (l.owns_lock()) ++total;
        std::unique_lock<std::mutex> d(m, std::defer_lock);
    }
}
"""
    assert findings(tmp_path, body) == []


@pytest.mark.parametrize("loop,reported", [
    ("while (!ready.load(std::memory_order_acquire)) {}", True),
    ("while (!ready.load(std::memory_order_acquire)) _mm_pause();", False),
    ("while (!ready.load(std::memory_order_acquire)) std::this_thread::yield();", False),
    ("while (!ready.load(std::memory_order_acquire)) ready.wait(false);", False),
    ("for (int i = 0; i < 100 && !ready.load(std::memory_order_acquire); ++i) {}", False),
    ("int n = 0; while (!ready.load(std::memory_order_acquire) && n < 64) ++n;", False),
    ("int e = 0; while (!owner.compare_exchange_weak(e, 1)) { e = 0; }", True),
    ("int e = 0; while (!owner.compare_exchange_weak(e, e + 1)) {}", False),
])
def test_spin_waits(tmp_path, loop, reported):
    body = f"void spin() {{\n    {loop}\n}}\n"
    got = findings(tmp_path, body)
    assert len(got) == (1 if reported else 0), [d.message for d in got]
    if reported:
        assert got[0].severity == Severity.WARNING
        assert len(got[0].message) < 120
        assert "_mm_pause" in got[0].message


def test_headlines_stay_short_on_the_fixture():
    from conftest import FIXTURES, engine_diagnostics, parse_expectations

    path = FIXTURES / RULE / "bad.cpp"
    text, _ = parse_expectations(path.read_text())
    diags = [d for d in engine_diagnostics(path, text, rules=[RULE]).diagnostics]
    assert len(diags) >= 12
    assert all(len(d.message) < 120 for d in diags), [d.message for d in diags if len(d.message) >= 120]


SPIN = ROOT / "bench_fixtures" / RULE


def test_the_spin_pair_builds_agrees_is_flagged_and_its_fixes_are_clean():
    pair = bench.discover(str(SPIN))["spin"]
    assert [p.name for p in pair.programs] == ["slow", "fast", "fast_wait", "fast_yield"]
    with tempfile.TemporaryDirectory() as tmp:
        bench.build(pair, bench.find_compiler(), bench.compile_flags(False), tmp)
        sums = {p.name: bench.run_program(p, quick=True)[0] for p in pair.programs}
    assert len(set(sums.values())) == 1, sums
    rel = os.path.relpath(pair.directory, ROOT)
    _, slow = run_json("--min-severity", "info", "--no-cache", "--select", RULE, f"{rel}/slow.cpp")
    assert [d["line"] for d in slow["diagnostics"]] == [18, 27]
    for p in pair.programs[1:]:
        _, fast = run_json("--min-severity", "info", "--no-cache", os.path.relpath(p.source, ROOT))
        assert fast["diagnostics"] == [], (p.name, fast["diagnostics"])
