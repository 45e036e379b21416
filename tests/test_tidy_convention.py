"""clang-tidy's calling convention (``hotlint.tidy``): ``FILE -- <compile command>``,
``--extra-arg-before``, ``--export-fixes`` and a real CMake build with ``CMAKE_CXX_CLANG_TIDY``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hotlint import tidy
from hotlint.cli import main

HOTLINT = [sys.executable, "-m", "hotlint"]

TALLY_H = """\
#pragma once
void record_hit();
void record_miss();
unsigned total();
const char* label(unsigned n);
"""

# The finding: two counters written by different threads in one cache line (a safe fix).
TALLY_CPP = """\
#include "tally.h"
#include <atomic>

// Hits and misses are counted by different threads.
struct Tally {
  std::atomic<unsigned> hits{0};
  std::atomic<unsigned> misses{0};
};

static Tally tally;

void record_hit() { tally.hits.fetch_add(1, std::memory_order_relaxed); }
void record_miss() { tally.misses.fetch_add(1, std::memory_order_relaxed); }
unsigned total() {
  return tally.hits.load(std::memory_order_relaxed) + tally.misses.load(std::memory_order_relaxed);
}
"""

NAMES_CPP = """\
#include "tally.h"

const char* label(unsigned n) { return n % 2 ? "odd" : "even"; }
"""

# Does not parse without the build's -D and -I: a unit linted without them is an error (exit 2).
MAIN_CPP = """\
#include <cstdio>
#include <thread>
#include "tally.h"
#ifndef METER_ROUNDS
#error METER_ROUNDS comes from the build
#endif

int main() {
  std::thread a([] { for (int i = 0; i < METER_ROUNDS; ++i) record_hit(); });
  std::thread b([] { for (int i = 0; i < METER_ROUNDS; ++i) record_miss(); });
  a.join();
  b.join();
  std::printf("%u %s\\n", total(), label(total()));
  return 0;
}
"""

CMAKELISTS = """\
cmake_minimum_required(VERSION 3.16)
project(meter CXX)
add_executable(meter src/main.cpp src/tally.cpp src/names.cpp)
target_include_directories(meter PRIVATE include)
target_compile_definitions(meter PRIVATE METER_ROUNDS=3)
target_compile_features(meter PRIVATE cxx_std_17)
"""


def write_project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "include").mkdir()
    (root / "CMakeLists.txt").write_text(CMAKELISTS)
    (root / "include" / "tally.h").write_text(TALLY_H)
    (root / "src" / "tally.cpp").write_text(TALLY_CPP)
    (root / "src" / "names.cpp").write_text(NAMES_CPP)
    (root / "src" / "main.cpp").write_text(MAIN_CPP)
    return root


def lint(args, cwd, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- -- <compile command>


def test_split_command():
    assert tidy.split_command(["-q", "a.cpp", "--", "c++", "-DX", "--", "y"]) == (
        ["-q", "a.cpp"], ["c++", "-DX", "--", "y"])
    assert tidy.split_command(["a.cpp"]) == (["a.cpp"], None)
    assert tidy.split_command(["a.cpp", "--"]) == (["a.cpp"], [])


def test_command_flags_reach_the_parse_and_are_cleaned(tmp_path, capsys, monkeypatch):
    root = write_project(tmp_path / "p")
    build = root / "build"
    build.mkdir()
    unit = root / "src" / "main.cpp"
    # without the build's flags the unit does not parse
    code, out, _ = lint(["--no-cache", unit, "--", "/usr/bin/c++", "-c", unit], build, capsys, monkeypatch)
    assert code == 2 and "parse error" in out
    # -D and a relative -I (against the working folder, as the compiler reads it) reach the parse;
    # output, dependency and plugin flags are dropped, named with -v
    command = ["/usr/bin/c++", "-DMETER_ROUNDS=3", "-I", "../include", "-std=gnu++17", "-MD", "-MT", "m.o",
               "-MF", "m.o.d", "-Wp,-MD,x.d", "-dependency-file", "dep.d", "-fplugin=./evil.so", "-o", "m.o",
               "-c", str(unit)]
    code, out, err = lint(["-v", "--no-cache", unit, "--", *command], build, capsys, monkeypatch)
    assert code == 0, out + err
    line = next(ln for ln in err.splitlines() if ln.startswith("hotlint: ") and "(from the command line" in ln)
    shown = line.split(": ", 2)[2].split("  (from")[0].split()
    assert shown == ["-x", "c++", "-DMETER_ROUNDS=3", f"-I{root / 'include'}", "-std=gnu++17"]
    assert "dropped `-fplugin=./evil.so`: it would load code into the analyzer" in err
    assert not any(p.name.endswith(".d") for p in build.iterdir())  # nothing the command names was written


def test_a_command_needs_its_files_named(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.cpp").write_text("int f();\n")
    code, _, err = lint(["--", "a.cpp"], tmp_path, capsys, monkeypatch)
    assert code == 3 and "name them" in err
    code, out, _ = lint(["--show-settings", "--extra-arg-before=-DB", "a.cpp", "--", "clang++", "-DC", "-Iinc"],
                        tmp_path, capsys, monkeypatch)
    assert code == 0 and f'flags = ["-x", "c++", "-DB", "-DC", "-I{tmp_path / "inc"}"]' in out
    assert "compile-commands = (none: the compile command after --)" in out


def test_command_compiler_name_gives_the_family(tmp_path):
    src = tmp_path / "a.cpp"
    src.write_text("int f();\n")
    for compiler, family in (("/usr/bin/clang++-17", "clang"), ("/usr/bin/c++", "gcc"), ("-DX", "")):
        flags = tidy.CommandFlags([compiler, "-DY", "-c", str(src)], str(tmp_path)).flags_for(str(src), [])
        assert flags.compiler == family, compiler
        assert "-DY" in flags.args and str(src) not in flags.args
    c_file = tmp_path / "b.c"
    assert tidy.CommandFlags(["cc", "-c", "b.c"], str(tmp_path)).flags_for(str(c_file), []).args[:2] == ["-x", "c"]


def test_extra_arg_before_and_after_order(tmp_path):
    src = tmp_path / "a.cpp"
    src.write_text("int f();\n")
    resolver = tidy.CommandFlags(["c++", "-DMIDDLE", "-c", "a.cpp"], str(tmp_path), before=["-DFIRST", "-MF", "x"])
    args = resolver.flags_for(str(src), ["-DLAST"]).args
    assert [a for a in args if a.startswith("-D")] == ["-DFIRST", "-DMIDDLE", "-DLAST"]
    assert "-MF" not in args and "x" not in args
    # flags from a database or the defaults: --extra-arg-before goes first too
    ns = type("NS", (), {"extra_arg_before": ["--driver-mode=g++", "-DFIRST"]})()
    from hotlint.compdb import FlagResolver

    flags = tidy.flags_for(ns, FlagResolver(None, [str(src)]), str(src), ["-DLAST"])
    assert flags.args[:2] == ["--driver-mode=g++", "-DFIRST"] and flags.args[-1] == "-DLAST"


def test_extra_arg_before_macro_is_overridden_by_the_command(tmp_path, capsys, monkeypatch):
    """Before means the compile command's own definition wins; --extra-arg comes last and wins."""
    src = tmp_path / "w.cpp"
    src.write_text("#if WIDTH != 2\n#error WIDTH is not the command's\n#endif\nint f();\n")
    code, out, err = lint(["--no-cache", "--extra-arg-before=-DWIDTH=1", src, "--", "c++", "-DWIDTH=2"],
                          tmp_path, capsys, monkeypatch)
    assert code == 0, out + err
    code, out, _ = lint(["--no-cache", "--extra-arg=-UWIDTH", "--extra-arg=-DWIDTH=3", src, "--", "c++",
                         "-DWIDTH=2"], tmp_path, capsys, monkeypatch)
    assert code == 2 and "WIDTH is not the command's" in out


def test_quiet_with_a_command_prints_nothing_for_a_clean_unit(tmp_path, capsys, monkeypatch):
    src = tmp_path / "clean.cpp"
    src.write_text("int twice(int x) { return 2 * x; }\n")
    code, out, err = lint(["--quiet", src, "--", "c++", "-c", src], tmp_path, capsys, monkeypatch)
    assert (code, out, err) == (0, "", "")
    assert not (tmp_path / ".hotlint_cache").exists()  # inside a build, no cache unless one is named
    code, out, _ = lint(["--quiet", src], tmp_path, capsys, monkeypatch)  # outside a build: the summary
    assert code == 0 and "No findings" in out


def test_fail_on(tmp_path, capsys, monkeypatch):
    root = write_project(tmp_path / "p")
    unit = root / "src" / "tally.cpp"
    command = ["--", "c++", f"-I{root / 'include'}"]
    for extra, expected in (([], 1), (["--fail-on", "warning"], 1), (["--fail-on", "error"], 0),
                            (["--exit-zero"], 0)):
        code, out, _ = lint(["--no-cache", *extra, unit, *command], tmp_path, capsys, monkeypatch)
        assert code == expected, extra
        assert "[false-sharing]" in out  # shown whatever the policy


# --------------------------------------------------------------------------- --export-fixes

PADDED_CPP = """\
#include <cstdint>
// Weights of "rows"\tand a tab	here
struct Row {
  bool live;      // still counted, "quoted"\tescape
  double weight;
  std::int32_t id;
};
Row rows[4];
double sum() { double s = 0; for (auto& r : rows) s += r.weight * r.live + r.id; return s; }
"""

# A byte-order mark, CRLF line ends and UTF-8 before the fix: offsets are bytes of the file on disk.
CRLF_CPP = ("\ufeff#include <atomic>\r\n// \u00e9t\u00e9 counters\r\nstruct Pair {\r\n  std::atomic<long> left{0};\r\n"
            "  std::atomic<long> right{0};\r\n};\r\nPair pair;\r\n"
            "void l() { pair.left.fetch_add(1, std::memory_order_relaxed); }\r\n"
            "void r() { pair.right.fetch_add(1, std::memory_order_relaxed); }\r\n")


def test_export_fixes_applied_by_clang_apply_replacements_equals_fix(tmp_path, capsys, monkeypatch):
    car = shutil.which("clang-apply-replacements")
    if car is None:
        pytest.fail("clang-apply-replacements is required (pip install -e '.[test]' installs it)")
    sources = {"tally.cpp": TALLY_CPP, "padded.cpp": PADDED_CPP, "crlf.cpp": CRLF_CPP}
    copies = {}
    for name in ("exported", "fixed"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "tally.h").write_text(TALLY_H)
        for file, text in sources.items():
            (folder / file).write_bytes(text.encode("utf-8"))
        copies[name] = folder
    fixes = tmp_path / "fixes"
    fixes.mkdir()
    files = sorted(sources)
    opts = ["--no-cache", "--min-severity", "info", "--select", "false-sharing,padding-waste"]
    code, out, _ = lint([*opts, "--export-fixes", fixes / "units.yaml", *files, "--", "c++", "-c"],
                        copies["exported"], capsys, monkeypatch)
    assert code == 1 and "[padding-waste]" in out and "[false-sharing]" in out, out
    exported = (fixes / "units.yaml").read_text(encoding="utf-8")
    assert exported.startswith("---\nMainSourceFile:") and exported.count("DiagnosticName:") == 3
    assert "hotlint-padding-waste" in exported and "hotlint-false-sharing" in exported
    for file, text in sources.items():  # exporting changed nothing
        assert (copies["exported"] / file).read_bytes() == text.encode("utf-8")
    run = subprocess.run([car, str(fixes)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    code, _, _ = lint([*opts, "--fix", *files, "--", "c++", "-c"], copies["fixed"], capsys, monkeypatch)
    assert code == 0
    for file, text in sources.items():
        fixed = (copies["fixed"] / file).read_bytes()
        assert fixed != text.encode("utf-8"), file  # each file had a fix to apply
        assert (copies["exported"] / file).read_bytes() == fixed, file


def test_export_fixes_only_safe_unless_unsafe_and_always_written(tmp_path, capsys, monkeypatch):
    src = tmp_path / "seq.cpp"
    src.write_text(textwrap.dedent("""\
        #include <atomic>
        std::atomic<long> hits;
        void count() { hits.fetch_add(1); }
        """))
    out_file = tmp_path / "seq.yaml"
    out_file.write_text("stale fixes of an earlier run\n")
    base = ["--no-cache", "--min-severity", "info", "--select", "seq-cst-default", "--export-fixes", out_file]
    code, out, _ = lint([*base, src, "--", "c++"], tmp_path, capsys, monkeypatch)
    assert code == 1 and "fix (unsafe)" in out
    assert "Diagnostics:     []" in out_file.read_text()  # the unsafe fix is not exported
    code, _, _ = lint([*base, "--unsafe-fixes", src, "--", "c++"], tmp_path, capsys, monkeypatch)
    text = out_file.read_text()
    assert "hotlint-seq-cst-default" in text and "std::memory_order_relaxed" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq.cpp", "seq.yaml"]  # no temporary left
    code, out, _ = lint(["--no-cache", "--export-fixes", tmp_path / "no" / "such" / "x.yaml", src, "--", "c++"],
                        tmp_path, capsys, monkeypatch)
    assert code == 2 and "--export-fixes: cannot write it" in out


# --------------------------------------------------------------------------- CMake


def _cmake_build(root: Path, build: str, tool: list[str], *build_args: str) -> subprocess.CompletedProcess:
    subprocess.run(["cmake", "-S", str(root), "-B", str(root / build), f"-DCMAKE_CXX_CLANG_TIDY={';'.join(tool)}"],
                   check=True, capture_output=True, text=True)
    return subprocess.run(["cmake", "--build", str(root / build), "-j2", *build_args], capture_output=True, text=True)


@pytest.mark.slow
def test_cmake_clang_tidy_build_fails_or_passes_by_policy(tmp_path):
    if shutil.which("cmake") is None:
        pytest.fail("cmake is required for this test (.ci/run installs it)")
    root = write_project(tmp_path / "meter")

    # fail on any warning (the default): the build stops at the unit with the finding
    failing = _cmake_build(root, "build-fail", [*HOTLINT, "--quiet"], "--", "-k")
    log = failing.stdout + failing.stderr
    assert failing.returncode != 0, log
    assert "src/tally.cpp:7:3: warning:" in log and "[false-sharing]" in log
    assert "parse error" not in log and "No findings" not in log  # quiet: clean units print nothing
    assert not (root / "build-fail" / "meter").exists()
    assert not list(root.rglob(".hotlint_cache"))  # no cache written into the build tree

    # warn only: the finding is printed, the build succeeds; two units at once share one cache
    cache = tmp_path / "cache"
    tool = [*HOTLINT, "--exit-zero", f"--cache-dir={cache}"]
    passing = _cmake_build(root, "build-pass", tool)
    log = passing.stdout + passing.stderr
    assert passing.returncode == 0, log
    assert "[false-sharing]" in log and "Found 1 finding (1 warning) in 1 file" in log
    assert log.count("No findings in 1 file") == 2  # main.cpp parsed with the build's -D and -I
    assert subprocess.run([str(root / "build-pass" / "meter")], capture_output=True, text=True).stdout == "6 even\n"
    again = subprocess.run(["cmake", "--build", str(root / "build-pass"), "-j2", "--clean-first"],
                           capture_output=True, text=True)
    log = again.stdout + again.stderr
    assert again.returncode == 0 and log.count("(1 from cache)") == 3, log  # entries written at -j2 read back
    assert "[false-sharing]" in log


def test_cmake_invocation_shape(tmp_path, capsys, monkeypatch):
    """The exact argument shape CMake 3.25 passes (checked against a real build in the slow test)."""
    root = write_project(tmp_path / "p")
    build = root / "build"
    build.mkdir()
    unit = str(root / "src" / "main.cpp")
    argv = ["--quiet", "--extra-arg-before=--driver-mode=g++", unit, "--", "/usr/bin/c++", "-DMETER_ROUNDS=3",
            f"-I{root / 'include'}", "-std=gnu++17", "-MD", "-MT", "CMakeFiles/meter.dir/src/main.cpp.o", "-MF",
            "CMakeFiles/meter.dir/src/main.cpp.o.d", "-o", "CMakeFiles/meter.dir/src/main.cpp.o", "-c", unit]
    assert lint(argv, build, capsys, monkeypatch) == (0, "", "")
    code, out, _ = lint(["--format", "json", *argv[1:]], build, capsys, monkeypatch)
    assert code == 0 and json.loads(out)["errors"] == []
