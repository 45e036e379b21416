"""The unit's target changes what the layout and atomic rules assume: an arm64 target (Apple's
128-byte lines, arm64's LDAR/STLR/LSE) against this machine's x86-64, on real C++ through real
headers, through the engine and the command line.

This machine has only x86-64 headers and no arm64 sysroot. clang parses for an arm64 target with
the host's libstdc++ and glibc headers (``-isystem``, as a cross build's compile command would name
its sysroot) at C++17 (C++20's <atomic> pulls in <bits/atomic_wait.h>, which x86-64's glibc
headers do not fit for another target). x86-64 glibc's <gnu/stubs.h> includes <gnu/stubs-32.h>
for any target but x86-64; that file only lists functions glibc does not implement, and the empty
one the tests add lists none. Without --target the same flags give the x86-64 result."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import assert_compiles, run_json
from hotlint.engine import EngineOptions, analyze
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Severity
from hotlint.view import Settings

APPLE = "--target=aarch64-apple-darwin"
LINUX_ARM = "--target=aarch64-linux-gnu"

# Two atomics 64 bytes apart, each written by its own function: one line each at 64 bytes, one
# line together at 128.
APART_64 = """\
#include <atomic>

struct Cursors {
  std::atomic<long> head{0};
  char pad[56];
  std::atomic<long> tail{0};
};
Cursors cursors;

void produce(int n) {
  for (int i = 0; i < n; ++i) cursors.head.fetch_add(1, std::memory_order_relaxed);
}
void consume(int n) {
  for (int i = 0; i < n; ++i) cursors.tail.fetch_add(1, std::memory_order_relaxed);
}
"""

# A counter updated and polled in loops, and a flag waited on: seq_cst by default everywhere.
POLL = """\
#include <atomic>

std::atomic<long> hits{0};
std::atomic<bool> ready{false};
int payload;

void count(int n) {
  for (int i = 0; i < n; ++i) hits.fetch_add(1);
}
long poll(int n) {
  long seen = 0;
  for (int i = 0; i < n; ++i) seen += hits.load();  // @poll
  return seen;
}
void publish(int v) {
  payload = v;
  ready.store(true, std::memory_order_release);
}
int wait_ready() {
  while (!ready.load()) {  // @wait
  }
  return payload;
}
"""


@pytest.fixture(scope="module")
def host_headers(tmp_path_factory) -> list[str]:
    """The host's C++ and C include folders as -isystem flags (g++ lists them), clang's own
    builtin headers left to clang, plus a folder with the empty <gnu/stubs-32.h>."""
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.fail("g++ is required for this test (.ci/run installs it)")
    proc = subprocess.run([gxx, "-x", "c++", "-E", "-v", "-"], input="", capture_output=True, text=True)
    lines = proc.stderr.splitlines()
    start = lines.index("#include <...> search starts here:") + 1
    end = lines.index("End of search list.")
    folders = [d.strip() for d in lines[start:end] if "/lib/gcc/" not in d]
    stub = tmp_path_factory.mktemp("stubs")
    (stub / "gnu").mkdir()
    (stub / "gnu" / "stubs-32.h").write_text("")
    return [f"-isystem{d}" for d in folders] + [f"-isystem{stub}"]


def _analyze(tmp_path: Path, source: str, rules, host_headers, *target, settings=None):
    path = tmp_path / "unit.cpp"
    path.write_text(source)
    args = ["-x", "c++", "-std=c++17", *host_headers, *target]
    result = analyze(str(path), source, args, EngineOptions(rules=tuple(rules), settings=settings or Settings()))
    assert not result.errors, [e.message for e in result.errors]
    return path, result.diagnostics


def _line(source: str, marker: str) -> int:
    return next(n for n, text in enumerate(source.splitlines(), 1) if text.endswith(f"// @{marker}"))


def test_atomics_64_bytes_apart_share_a_line_on_apple_arm64_only(tmp_path, host_headers):
    _, on_x86 = _analyze(tmp_path, APART_64, ["false-sharing"], host_headers)
    assert on_x86 == []  # 64-byte lines: head and tail are on lines 0 and 1
    path, (d,) = _analyze(tmp_path, APART_64, ["false-sharing"], host_headers, APPLE)
    assert d.message == "`head` and `tail` of `Cursors` share cache line 0: start `tail` on a cache line of its own"
    assert d.notes[0].startswith("`head` (offset 0) and `tail` (offset 64) of `Cursors` share cache line 0")
    assert "on aarch64-apple-darwin, 128-byte cache lines (Apple arm64 cores have 128-byte lines" in d.notes[1]
    # the compiler's constant for the target is 256 (every AArch64 target): the note says why 128
    assert any("would be 256 here" in n and "the fix writes 128" in n for n in d.notes), d.notes
    assert "alignas(128)" in d.fix.description
    fixed = apply_edits(APART_64, select_fixes([d], unsafe=True)[1])
    assert "alignas(128) std::atomic<long> tail{0};" in fixed
    path.write_text(fixed)
    assert_compiles(path)
    _, after = _analyze(tmp_path, fixed, ["false-sharing", "padding-waste"], host_headers, APPLE)
    assert after == []


def test_the_line_size_follows_the_cpu_and_the_setting(tmp_path, host_headers):
    # Neoverse cores have 64-byte lines whatever the compiler's AArch64-wide constant says
    _, neoverse = _analyze(tmp_path, APART_64, ["false-sharing"], host_headers, LINUX_ARM, "-mcpu=neoverse-n1")
    assert neoverse == []
    # Apple's core named on another OS's triple
    _, (d,) = _analyze(tmp_path, APART_64, ["false-sharing"], host_headers, LINUX_ARM, "-mcpu=apple-m2")
    assert "128-byte cache lines (for apple-m2: Apple cores" in d.notes[1] and "alignas(128)" in d.fix.description
    # a configured size wins over the target's
    _, configured = _analyze(tmp_path, APART_64, ["false-sharing"], host_headers, APPLE,
                             settings=Settings(cache_line_size=64))
    assert configured == []


def test_seq_cst_load_gains_on_arm64_and_not_on_x86_64(tmp_path, host_headers):
    poll, wait = _line(POLL, "poll"), _line(POLL, "wait")

    def at(diags, line):
        (d,) = [d for d in diags if d.range.start.line == line]
        return d

    _, x86 = _analyze(tmp_path, POLL, ["seq-cst-default"], host_headers)
    load = at(x86, poll)
    assert load.severity is Severity.INFO  # as before: the same MOV under every order
    assert load.notes[1] == ("On x86-64 a seq_cst load is a plain `MOV`, as a relaxed one is: no instruction is saved "
                             "there, only the compiler's freedom to merge or hoist the load (weakly ordered targets "
                             "such as arm64 differ).")
    rmw = next(d for d in x86 if "fetch_add" in d.message)
    assert "a `LOCK`-prefixed instruction, as a relaxed one is: no instruction is saved" in rmw.notes[1]

    _, apple = _analyze(tmp_path, POLL, ["seq-cst-default"], host_headers, APPLE)
    load = at(apple, poll)
    assert load.severity is Severity.WARNING  # LDAR -> LDR in a loop
    assert load.notes[1] == ("On aarch64-apple-darwin a seq_cst load is an `LDAR` and a relaxed one a plain `LDR`: "
                             "a plain load orders nothing around it.")
    wait_load = at(apple, wait)  # acquire: LDAPR with RCpc, which Apple's cores have
    assert "use std::memory_order_acquire" in wait_load.message and wait_load.severity is Severity.WARNING
    assert "an `LDAR` and an acquire one an `LDAPR`" in wait_load.notes[1]
    rmw = next(d for d in apple if "fetch_add" in d.message)
    assert "`LDADDAL`" in rmw.notes[1] and "a relaxed one an LSE atomic (`LDADD`" in rmw.notes[1]

    # armv8.0 (no RCpc, no LSE): an acquire load is the same LDAR, so no gain is claimed for it
    _, generic = _analyze(tmp_path, POLL, ["seq-cst-default"], host_headers, LINUX_ARM)
    wait_load = at(generic, wait)
    assert wait_load.severity is Severity.INFO
    assert wait_load.notes[1].startswith("On aarch64-linux-gnu a seq_cst load is an `LDAR`, as an acquire one is: "
                                         "no instruction is saved there")
    assert "`LDAXR`/`STLXR` loop" in next(d for d in generic if "fetch_add" in d.message).notes[1]


def test_command_line_target_and_evidence_machine(tmp_path, host_headers):
    """--extra-arg carries the target through the CLI (Apple's -arch too); the evidence says the
    figures were measured on x86-64, not on the target."""
    path = tmp_path / "unit.cpp"
    path.write_text(APART_64)
    extra = [f"--extra-arg={a}" for a in ["-std=c++17", *host_headers]]
    _, plain = run_json("--no-cache", "--select", "false-sharing", "--min-severity", "info", *extra, str(path))
    assert plain["diagnostics"] == []
    proc, data = run_json("--no-cache", "--select", "false-sharing", "--min-severity", "info", *extra,
                          "--extra-arg=-arch", "--extra-arg=arm64", str(path),
                          env={"HOTLINT_BENCH_RESULTS": str(tmp_path / "none.json")})  # the shipped figures
    assert proc.returncode == 1, proc.stderr
    (d,) = data["diagnostics"]
    assert "on arm64-apple-darwin, 128-byte cache lines" in d["notes"][1]
    assert "x86-64" in d["evidence"] and "arm64" not in d["evidence"]
