"""seq-cst-default beyond the fixtures: fix output compiles, applicability, options, severity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, engine_diagnostics, parse_expectations
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Applicability, Severity
from hotlint.view import Settings

RULE = "seq-cst-default"


def _diagnostics(path: Path, text: str | None = None, **options):
    settings = Settings(rule_options={RULE: options}) if options else None
    result = engine_diagnostics(path, text, rules=[RULE], settings=settings)
    assert not result.errors, [e.message for e in result.errors]
    return result.diagnostics


def _compiles(path: Path) -> subprocess.CompletedProcess:
    if path.suffix == ".c":
        cmd = [shutil.which("gcc") or "gcc", "-std=c17", "-fsyntax-only", str(path)]
    else:
        cmd = [shutil.which("g++") or "g++", "-std=c++20", "-fsyntax-only", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True)


def _at(diags, line: int):
    found = [d for d in diags if d.range.start.line == line]
    assert found, f"no finding on line {line}: {[(d.range.start.line, d.message) for d in diags]}"
    return found[0]


@pytest.mark.parametrize("name", ["bad.cpp", "bad_c11.c"])
def test_every_fix_applied_together_still_compiles(tmp_path, name):
    source = FIXTURES / RULE / name
    text, _ = parse_expectations(source.read_text())
    path = tmp_path / name
    path.write_text(text)
    diags = _diagnostics(path)
    chosen, edits = select_fixes(diags, unsafe=True)
    assert len(chosen) >= len(diags) * 3 // 4, "most findings carry a fix"
    fixed = apply_edits(text, edits)
    assert fixed != text
    path.write_text(fixed)
    proc = _compiles(path)
    assert proc.returncode == 0, proc.stderr
    # what was fixed no longer fires; what had no fix still does
    after = _diagnostics(path)
    assert len(after) == len(diags) - len(chosen)
    assert all(d.fix is None for d in after)


def test_counter_read_after_join_is_a_safe_relaxed_fix(tmp_path):
    path = tmp_path / "counter.cpp"
    path.write_text(
        "#include <atomic>\n#include <thread>\n"
        "long run() {\n"
        "  std::atomic<long> done{0};\n"
        "  std::thread t([&] { for (int i = 0; i < 100; ++i) done++; });\n"
        "  t.join();\n"
        "  return done.load();\n"
        "}\n"
    )
    diags = _diagnostics(path)
    inc, load = _at(diags, 5), _at(diags, 7)
    for d in (inc, load):
        assert d.fix is not None and d.fix.applicability is Applicability.SAFE
        assert "std::memory_order_relaxed" in d.message
    assert "after the threads are joined (line 7)" in inc.notes[0]
    assert load.severity is Severity.INFO and "On x86-64 a seq_cst load is a plain `MOV`" in load.notes[1]
    assert "no instruction is saved there" in load.notes[1]
    fixed = apply_edits(path.read_text(), select_fixes(diags, unsafe=False)[1])
    assert "done.fetch_add(1, std::memory_order_relaxed)" in fixed
    assert "done.load(std::memory_order_relaxed)" in fixed


def test_a_counter_other_files_can_see_or_read_before_join_is_unsafe(tmp_path):
    path = tmp_path / "shared.cpp"
    path.write_text(
        "#include <atomic>\n#include <thread>\n"
        "std::atomic<long> g_done{0};\n"  # external linkage: other files may read it
        "std::atomic<long> g_live{0};\n"
        "long run() {\n"
        "  std::thread t([] { g_done++; g_live++; });\n"
        "  long seen = g_live.load();\n"  # read while the thread may still run
        "  t.join();\n"
        "  return g_done.load() + seen;\n"
        "}\n"
    )
    diags = _diagnostics(path)
    assert all(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in diags)
    assert "other files may use it too" in _at(diags, 9).notes[0]


def test_flag_gets_release_and_acquire_unsafe(tmp_path):
    path = tmp_path / "flag.cpp"
    path.write_text(
        "#include <atomic>\n"
        "std::atomic<bool> ready;\nint data;\n"
        "void put(int v) { data = v; ready.store(true); }\n"
        "int get() { while (!ready.load()) {} return data; }\n"
    )
    diags = _diagnostics(path)
    store, load = _at(diags, 4), _at(diags, 5)
    assert "use std::memory_order_release" in store.message and "XCHG" in store.notes[1]
    assert "use std::memory_order_acquire" in load.message
    assert store.fix.applicability is Applicability.UNSAFE
    assert load.fix.applicability is Applicability.UNSAFE


def test_report_loads_option(tmp_path):
    path = tmp_path / "loads.cpp"
    path.write_text(
        "#include <atomic>\n"
        "std::atomic<int> x;\n"
        "int f() { x.store(1); return x.load() + x; }\n"
    )
    assert len(_diagnostics(path)) == 3
    only_store = _diagnostics(path, **{"report-loads": False})
    assert [d.message.split(" ")[0] for d in only_store] == ["`store`"]


def test_severity_rises_in_a_hot_function(tmp_path):
    path = tmp_path / "hot.cpp"
    path.write_text(
        "#include <atomic>\n"
        "std::atomic<int> x;\n"
        "[[gnu::hot]] void hot() { x.store(1); }\n"
        "void cold_path() { x.store(2); }\n"
    )
    diags = _diagnostics(path)
    assert _at(diags, 3).severity is Severity.ERROR
    assert _at(diags, 4).severity is Severity.WARNING


def test_c_without_stdatomic_header_gets_no_fix(tmp_path):
    path = tmp_path / "bare.c"
    path.write_text("_Atomic int n;\nvoid f(void) { n++; }\nint g(void) { return n; }\n")
    diags = _diagnostics(path)
    assert len(diags) == 2
    assert all(d.fix is None for d in diags)


def _run(path: Path) -> str:
    exe = path.with_suffix("")
    build = subprocess.run([shutil.which("g++") or "g++", "-std=c++20", "-O2", str(path), "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout


def test_operator_whose_value_is_used_keeps_its_value(tmp_path):
    """``++n`` and ``n += 2`` yield the new value: the fix writes the standard's own definition
    (``n.fetch_add(1) + 1``), and the program prints the same before and after."""
    path = tmp_path / "used.cpp"
    text = (
        "#include <atomic>\n#include <cstdio>\n"
        "std::atomic<int> n;\n"
        "int f() { int a = ++n; int b = (n += 2); int c = n++; return a * 100 + b * 10 + c; }\n"
        "int main() { int r = f(); std::printf(\"%d %d\\n\", r, f()); }\n"
    )
    path.write_text(text)
    before = _run(path)
    diags = _diagnostics(path)
    assert len(diags) == 3
    assert [e.new_text for d in diags for e in d.fix.edits] == [
        "(n.fetch_add(1, std::memory_order_relaxed) + 1)",
        "(n.fetch_add(2, std::memory_order_relaxed) + 2)",
        "n.fetch_add(1, std::memory_order_relaxed)"]
    path.write_text(apply_edits(text, select_fixes(diags, unsafe=True)[1]))
    assert _run(path) == before == "133 577\n"


def test_promoted_or_repeated_operand_gets_no_value_rewrite(tmp_path):
    """``++s`` on an atomic<short> yields a short, ``fetch_add(1) + 1`` an int; ``n += g()``
    would call g twice. Neither is rewritten."""
    path = tmp_path / "promoted.cpp"
    path.write_text(
        "#include <atomic>\n"
        "std::atomic<short> s;\nstd::atomic<int> n;\nint g();\n"
        "auto f() { return ++s; }\n"
        "int h() { return n += g(); }\n"
    )
    diags = _diagnostics(path)
    assert len(diags) == 2
    assert all(d.fix is None for d in diags)


def test_order_spelled_through_a_macro_is_written(tmp_path):
    path = tmp_path / "macro.cpp"
    path.write_text(
        "#include <atomic>\n"
        "#define ORDER std::memory_order_relaxed\n"
        "std::atomic<int> n;\n"
        "int f() { n.fetch_add(1, ORDER); return n.load(ORDER); }\n"
    )
    assert _diagnostics(path) == []


def test_lone_carriage_return_line_ends_get_the_same_fixes(tmp_path):
    """Lines that end in a lone ``\\r`` are lines to clang: the rule reads the text through the
    source model, so such a file gets the fixes a ``\\n`` file gets (splitting at ``\\n`` found
    no call where clang pointed, and every fix was withheld)."""
    lines = ["#include <atomic>", "std::atomic<bool> ready;", "int data;",
             "void put(int v) { data = v; ready.store(true); }",
             "int get() { while (!ready) {} return data; }", ""]
    fixed = {}
    for name, end in (("lf.cpp", "\n"), ("cr.cpp", "\r")):
        path = tmp_path / name
        text = end.join(lines)
        path.write_bytes(text.encode())
        diags = _diagnostics(path)
        assert len(diags) == 2 and all(d.fix is not None for d in diags), [d.message for d in diags]
        fixed[name] = apply_edits(text, select_fixes(diags, unsafe=True)[1]).split(end)
    assert fixed["cr.cpp"] == fixed["lf.cpp"]
    assert fixed["cr.cpp"][3] == "void put(int v) { data = v; ready.store(true, std::memory_order_release); }"
    assert fixed["cr.cpp"][4] == "int get() { while (!ready.load(std::memory_order_acquire)) {} return data; }"


def test_an_order_chosen_by_a_template_or_a_constant_is_written(tmp_path):
    # the author chose relaxed through a policy class, a constexpr copy or a function
    # parameter: nothing to say there, and no "use relaxed" advice elsewhere contradicting it;
    # the one call that writes no order is still reported
    path = tmp_path / "policy.cpp"
    path.write_text(
        "#include <atomic>\n#include <cstdint>\n"
        "struct Relaxed { static constexpr std::memory_order order = std::memory_order_relaxed; };\n"
        "template <class P> struct Stats {\n"
        "  std::atomic<std::uint64_t> hits{0}, misses{0};\n"
        "  void hit() { hits.fetch_add(1, P::order); }\n"
        "  void miss() { constexpr auto o = P::order; misses.fetch_add(1, o); }\n"
        "  void miss_again() { misses.fetch_add(1); }\n"
        "};\n"
        "template <std::memory_order O> void bump(std::atomic<int>& n) { n.fetch_add(1, O); }\n"
        "void bump_to(std::atomic<int>& n, std::memory_order o) { n.fetch_add(1, o); }\n"
        "void use(std::atomic<int>& n) { Stats<Relaxed> s; s.hit(); s.miss(); s.miss_again();\n"
        "  bump<std::memory_order_relaxed>(n); bump_to(n, std::memory_order_relaxed); }\n"
    )
    diags = _diagnostics(path)
    assert [d.range.start.line for d in diags] == [8]
    assert "`misses` is also incremented or decremented at line 7" in diags[0].notes


def test_a_named_seq_cst_constant_takes_part_in_a_handshake(tmp_path):
    # one side writes seq_cst through a constant, the other writes nothing: a Dekker
    # handshake, whose defaulted side must stay seq_cst (was: "a flag: use release")
    path = tmp_path / "dekker.cpp"
    path.write_text(
        "#include <atomic>\n"
        "std::atomic<int> x, y;\n"
        "constexpr auto kSeqCst = std::memory_order_seq_cst;\n"
        "int r1, r2;\n"
        "void t1() { x.store(1, kSeqCst); r1 = y.load(kSeqCst); }\n"
        "void t2() { y.store(1); r2 = x.load(); }\n"
    )
    diags = _diagnostics(path)
    assert [d.range.start.line for d in diags] == [6, 6]
    for d in diags:
        assert "store-to-load handshake: write std::memory_order_seq_cst" in d.message
        assert "memory_order_release" not in d.message


def test_c11_order_held_in_a_constant_is_written(tmp_path):
    path = tmp_path / "orders.c"
    path.write_text(
        "#include <stdatomic.h>\n"
        "_Atomic unsigned long hits;\n"
        "static const memory_order kRelaxed = memory_order_relaxed;\n"
        "void bump(memory_order o) { atomic_fetch_add_explicit(&hits, 1, o); }\n"
        "void bump_named(void) { atomic_fetch_add_explicit(&hits, 1, kRelaxed); }\n"
        "void bump_default(void) { atomic_fetch_add(&hits, 1); }\n"
    )
    diags = _diagnostics(path)
    assert [d.range.start.line for d in diags] == [6]
