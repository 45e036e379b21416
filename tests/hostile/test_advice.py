"""No advice that breaks a correct program (issue 11, items 12-14).

Each test takes a correct program in the shape a red team used, applies what hotlint suggests
(its fixes, or its display-only rewrite) and checks that the program still behaves the same:
ThreadSanitizer finds no race after a memory-order fix, the struct-of-arrays rewrite prints the
same checksum, and one rule's fix does not set off another rule that would undo it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import analyze_source
from hotlint.fixes import apply_edits, select_fixes

CXX = shutil.which("g++")


def _build(path: Path, *flags: str) -> Path:
    if CXX is None:
        pytest.fail("g++ is required for this test (.ci/run installs it)")
    exe = path.with_suffix(".bin")
    proc = subprocess.run([CXX, "-std=c++20", *flags, str(path), "-o", str(exe)], capture_output=True, text=True)
    assert proc.returncode == 0, f"{path.name} does not compile:\n{proc.stderr}\n{path.read_text()}"
    return exe


def _run(exe: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------- item 12
# A reference count whose last decrement frees the object. Four threads each write their own
# slot of the object and drop their reference; whoever drops the last one deletes it, and the
# destructor reads every slot. Only acquire on the deciding decrement and release on every
# decrement order the slot writes before the destructor's reads: with a relaxed decrement
# ThreadSanitizer reports the race (the control test below proves it does).

_REFCOUNT = """\
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

struct Shared {
  std::atomic<int> refs{1};
  long slots[4] = {};
  ~Shared() { std::printf("%ld\\n", slots[0] + slots[1] + slots[2] + slots[3]); }
};

inline bool last_of(int old) { return old == 1; }

void retain(Shared* s) { RETAIN; }
HELPER

// true when the caller dropped the last reference and must delete `s`
bool release(Shared* s) {
  RELEASE
}

int main() {
  Shared* s = new Shared;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    retain(s);
    threads.emplace_back([s, t] {
      s->slots[t] = t + 1;
      if (release(s)) delete s;
    });
  }
  if (release(s)) delete s;
  for (auto& th : threads) th.join();
}
"""

# (how the increment is spelled, a helper, the body of release()) for every shape the issue lists
_SHAPES = {
    "pre-decrement tested": ("++s->refs", "", "if (--s->refs == 0) return true;\n  return false;"),
    "fetch_sub compared in if": ("s->refs.fetch_add(1)", "",
                                 "if (s->refs.fetch_sub(1) == 1) return true;\n  return false;"),
    "fetch_sub compared in return": ("s->refs++", "", "return s->refs.fetch_sub(1) == 1;"),
    "result kept in a variable": ("s->refs += 1", "", "auto old = s->refs.fetch_sub(1);\n  return old == 1;"),
    "bool from the comparison": ("++s->refs", "", "bool last = (--s->refs == 0);\n  return last;"),
    "new count returned": ("++s->refs", "int drop(Shared* s) { return --s->refs; }", "return drop(s) == 0;"),
    "result passed to a function": ("s->refs.fetch_add(1)", "", "return last_of(s->refs.fetch_sub(1));"),
    "postfix decrement": ("s->refs++", "", "int old = s->refs--;\n  return old == 1;"),
    "compound subtraction": ("s->refs += 1", "", "int now = (s->refs -= 1);\n  return now == 0;"),
    "negative fetch_add": ("s->refs.fetch_add(1)", "", "return s->refs.fetch_add(-1) == 1;"),
}


def _refcount(retain: str, release: str, helper: str = "") -> str:
    return _REFCOUNT.replace("RETAIN", retain).replace("HELPER", helper).replace("RELEASE", release)


def _tsan_run(path: Path) -> subprocess.CompletedProcess:
    return _run(_build(path, "-O1", "-g", "-fsanitize=thread"))


@pytest.mark.parametrize("shape", sorted(_SHAPES))
def test_refcount_decrement_gets_acq_rel_and_the_fixed_program_has_no_race(shape, tmp_path):
    retain, helper, release = _SHAPES[shape]
    source = _refcount(retain, release, helper)
    path, diags = analyze_source(tmp_path, source, rules=["seq-cst-default"])
    retain_line = next(k for k, ln in enumerate(source.splitlines(), 1) if ln.startswith("void retain"))
    assert len(diags) == 2, [(d.range.start.line, d.message) for d in diags]
    increment, decrement = sorted(diags, key=lambda d: d.range.start.line != retain_line)
    assert increment.range.start.line == retain_line
    assert "std::memory_order_acq_rel" in decrement.message
    assert "relaxed" not in decrement.message.split(": use ")[-1]
    # it says why, and does not promise x86-64 a speed-up it cannot have
    assert "must see every other thread's writes before the free" in decrement.message
    assert "std::atomic_thread_fence(std::memory_order_acquire)" in decrement.message
    assert "LOCK-prefixed on x86-64 under any order" in decrement.message
    assert not any(w in decrement.message.lower() for w in ("faster", "speed-up", "speedup"))
    assert increment.message.endswith("use std::memory_order_relaxed.")
    assert decrement.fix is not None, "every shape here has a rewrite that keeps its value"
    fixed = apply_edits(source, select_fixes(diags, unsafe=True)[1])
    assert "memory_order_acq_rel" in fixed and "memory_order_relaxed" in fixed
    path.write_text(fixed)
    proc = _tsan_run(path)
    assert "ThreadSanitizer" not in proc.stderr, proc.stderr
    assert proc.returncode == 0 and proc.stdout == "10\n", (proc.returncode, proc.stdout, proc.stderr)


def test_control_a_relaxed_decrement_is_the_race_tsan_reports(tmp_path):
    """What the rule used to suggest: ThreadSanitizer catches it, so the test above can fail."""
    source = _refcount("s->refs.fetch_add(1, std::memory_order_relaxed)",
                       "return s->refs.fetch_sub(1, std::memory_order_relaxed) == 1;")
    path = tmp_path / "relaxed.cpp"
    path.write_text(source)
    proc = _tsan_run(path)
    assert "WARNING: ThreadSanitizer: data race" in proc.stderr


def test_a_discarded_decrement_of_a_reference_count_needs_release(tmp_path):
    """A thread that knows it does not hold the last reference still hands its writes to the
    one that frees the object: release, not relaxed; the fixed program has no race."""
    source = _refcount("s->refs.fetch_add(1)", "return s->refs.fetch_sub(1) == 1;").replace(
        "      if (release(s)) delete s;\n", "      drop_borrowed(s);\n").replace(
        "int main() {", "void drop_borrowed(Shared* s) { s->refs.fetch_sub(1); }\n\nint main() {").replace(
        "  if (release(s)) delete s;\n  for (auto& th : threads) th.join();\n",
        "  for (auto& th : threads) th.join();\n  if (release(s)) delete s;\n")
    path, diags = analyze_source(tmp_path, source, rules=["seq-cst-default"])
    line = next(k for k, ln in enumerate(source.splitlines(), 1) if ln.startswith("void drop_borrowed"))
    dropped = next(d for d in diags if d.range.start.line == line)
    assert dropped.message.endswith("use std::memory_order_release.")
    assert "still publishes this thread's writes" in dropped.message
    path.write_text(apply_edits(source, select_fixes(diags, unsafe=True)[1]))
    proc = _tsan_run(path)
    assert "ThreadSanitizer" not in proc.stderr, proc.stderr
    assert proc.stdout == "10\n"


def test_a_plain_counter_whose_results_are_discarded_stays_relaxed(tmp_path):
    """No decrement result is used: it is a statistic, and relaxed is still the advice."""
    source = (
        "#include <atomic>\n"
        "static std::atomic<long> g_inflight{0};\n"
        "void begin() { g_inflight++; }\n"
        "void end() { g_inflight.fetch_sub(1); g_inflight -= 1; }\n"
    )
    _, diags = analyze_source(tmp_path, source, rules=["seq-cst-default"])
    assert len(diags) == 3
    assert all(d.message.endswith("use std::memory_order_relaxed.") for d in diags)
