"""Every fix and rewrite hotlint offers on a fixture, run: before and after, under ASan and UBSan.

For each ``fixtures/<rule>/bad*`` file that offers a fix or a rewrite (safe, unsafe or
display-only, from any rule, info findings included), a driver in
``tests/data/fix_drivers/<rule>/<stem>.driver.cpp`` (``.driver.c`` for a C fixture)
``#include``s the fixture and calls its functions on several inputs, printing what they return
and leave behind. The driver is compiled with the original fixture and with each changed version
of it - ``--fix --unsafe-fixes``, ``--fix`` alone when it differs, and every distinct
display-only rewrite applied to the original - under ``-fsanitize=address,undefined
-fno-sanitize-recover=all``; each must run clean and print exactly what the original prints.
A driver may print lines between ``@unsafe-may-change`` and ``@end``: output an unsafe fix is
allowed to change (bytes copied as the old layout, a weaker memory order observed by a race the
driver stages on purpose); they are compared for safe fixes and rewrites, not for unsafe ones.
The original's run is also measured with gcov: every fix's finding whose line is executable must
have run, so a driver cannot skip the code a fix changes.

A fixture that offers a fix and has no driver fails here, naming the driver to write; so does a
driver whose fixture no longer offers anything (it would check nothing).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli, run_json
from hotlint.fixes import apply_edits
from hotlint.model import Fix

DRIVERS = ROOT / "tests" / "data" / "fix_drivers"
SOURCES = (".cpp", ".c", ".hpp", ".h")
# good files are silent (tests/test_fixtures.py), so they offer nothing to run
CASES = sorted(p for p in FIXTURES.glob("*/bad*") if p.suffix in SOURCES)
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
CXX = ["g++", "-std=c++20", "-O1", "-pthread", *SANITIZE]
CC = ["gcc", "-std=c17", "-O1", "-pthread", *SANITIZE]
# standard headers the fixtures use, precompiled once per test process: a sanitized compile of a
# fixture spends most of its time in them
PCH_HEADERS = ["algorithm", "array", "atomic", "cmath", "cstddef", "cstdint", "cstdio", "cstdlib", "cstring",
               "deque", "functional", "list", "map", "memory", "memory_resource", "mutex", "new", "numeric",
               "set", "shared_mutex", "span", "string", "string_view", "thread", "unordered_map",
               "unordered_set", "vector"]
ENV = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1"}


def comparable(output: str, unsafe: bool) -> str:
    """``output`` without its ``@unsafe-may-change`` ... ``@end`` sections when unsafe fixes were
    applied."""
    if not unsafe:
        return output
    kept, skipping = [], False
    for line in output.splitlines(keepends=True):
        if line.strip() == "@unsafe-may-change":
            skipping = True
        elif line.strip() == "@end":
            skipping = False
        elif not skipping:
            kept.append(line)
    assert not skipping, "an @unsafe-may-change section has no @end"
    return "".join(kept)


def driver_for(case: Path) -> Path:
    return DRIVERS / case.parent.name / (case.stem + (".driver.c" if case.suffix == ".c" else ".driver.cpp"))


def _id(case: Path) -> str:
    return f"{case.parent.name}/{case.name}"


def offered(case: Path, work: Path) -> list[dict]:
    """The findings on ``case`` (every rule, info included) that carry a fix or a rewrite."""
    shutil.copy(case, work / case.name)
    _, data = run_json("--no-cache", "--min-severity", "info", case.name, cwd=work)
    assert not data["errors"], data["errors"]
    return [d for d in data["diagnostics"] if d.get("fix")]


def variants(case: Path, fixes: list[dict], work: Path) -> dict[str, str]:
    """name -> text of each distinct changed version of the fixture."""
    original = case.read_text()
    kinds = {d["fix"]["applicability"] for d in fixes}
    out: dict[str, str] = {}
    runs = [("fix-unsafe", ["--fix", "--unsafe-fixes"])] if kinds & {"safe", "unsafe"} else []
    if {"safe", "unsafe"} <= kinds:
        runs.append(("fix-safe", ["--fix"]))
    for name, flags in runs:
        folder = work / name
        folder.mkdir()
        shutil.copy(case, folder / case.name)
        proc = run_cli("--no-cache", "--min-severity", "info", *flags, case.name, cwd=folder)
        assert "Traceback" not in proc.stderr, proc.stderr
        text = (folder / case.name).read_text()
        assert text != original, f"{' '.join(flags)} changed nothing though fixes were offered:\n{proc.stdout}"
        out[name] = text
    for d in fixes:
        if d["fix"]["applicability"] == "display-only":
            out[f"rewrite@{d['line']}"] = apply_edits(original, Fix.from_json(d["fix"]).edits)
    distinct: dict[str, str] = {}
    for name, text in out.items():
        if text not in distinct.values():
            distinct[name] = text
    return distinct


@pytest.fixture(scope="session")
def pch(tmp_path_factory) -> list[str]:
    """``-include`` flags for a precompiled header of the usual standard headers (none if gcc
    cannot build one here: the compiles are only slower)."""
    folder = tmp_path_factory.mktemp("pch")
    header = folder / "fix_std.h"
    header.write_text("".join(f"#include <{h}>\n" for h in PCH_HEADERS))
    proc = subprocess.run([*CXX, "-x", "c++-header", str(header), "-o", str(header) + ".gch"],
                          capture_output=True, text=True)
    return ["-include", str(header)] if proc.returncode == 0 else []


def build_and_run(case: Path, text: str, folder: Path, pch: list[str], coverage: bool = False):
    """Compile the driver with ``text`` as the fixture, in ``folder``, and run it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / case.name).write_text(text)
    driver = driver_for(case)
    src = folder / driver.name
    shutil.copy(driver, src)
    exe = folder / "driver"
    cmd = (CC if case.suffix == ".c" else [*CXX, *pch]) + (["--coverage"] if coverage else [])
    proc = subprocess.run([*cmd, "-g", src.name, "-o", exe.name], cwd=folder, capture_output=True, text=True)
    assert proc.returncode == 0, f"{folder.name}: the driver does not compile with it:\n{proc.stderr[-6000:]}"
    run = subprocess.run([str(exe)], cwd=folder, capture_output=True, text=True, timeout=300, env=ENV)
    assert run.returncode == 0, (f"{folder.name}: exit {run.returncode}\n{run.stderr[-6000:]}\n"
                                 f"--- stdout ---\n{run.stdout[-2000:]}")
    return run.stdout


def executed_lines(case: Path, folder: Path) -> dict[int, int]:
    """gcov's count per executable line of the fixture, after a coverage run in ``folder``."""
    gcda = [p.name for p in folder.glob("*.gcda")]
    proc = subprocess.run(["gcov", "--json-format", "--stdout", *gcda], cwd=folder, capture_output=True, text=True)
    counts: dict[int, int] = {}
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        for f in json.loads(line)["files"]:
            if Path(f["file"]).name == case.name:
                for ln in f["lines"]:
                    counts[ln["line_number"]] = counts.get(ln["line_number"], 0) + ln["count"]
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fixes_and_rewrites_keep_the_output(case, tmp_path, pch):
    fixes = offered(case, tmp_path)
    driver = driver_for(case)
    if not fixes:
        assert not driver.exists(), f"{driver.relative_to(ROOT)} drives {_id(case)}, which offers no fix any more"
        return
    assert driver.exists(), (
        f"{_id(case)} offers {len(fixes)} fixes or rewrites "
        f"({', '.join(sorted({d['rule'] + ' ' + d['fix']['applicability'] for d in fixes}))}) "
        f"but has no driver: write {driver.relative_to(ROOT)}, which #includes \"{case.name}\", calls its "
        f"functions on several inputs and prints the results")
    expected = build_and_run(case, case.read_text(), tmp_path / "original", pch, coverage=True)
    assert expected.strip(), "the driver prints nothing to compare"
    assert list((tmp_path / "original").glob("*.gcda")), "the coverage run left no counts"
    counts = executed_lines(case, tmp_path / "original")  # empty for a fixture of declarations only
    unrun = sorted({(d["line"], d["rule"]) for d in fixes if counts.get(d["line"]) == 0})
    assert not unrun, f"the driver never runs these fixed lines of {_id(case)}: {unrun}"
    changed = variants(case, fixes, tmp_path)
    assert changed
    print(f"{_id(case)}: {len(fixes)} fixes and rewrites offered, {len(changed)} changed versions run "
          f"({', '.join(changed)})")
    for name, text in changed.items():
        got = build_and_run(case, text, tmp_path / name.replace("@", "-"), pch)
        unsafe = name == "fix-unsafe"
        got, want = comparable(got, unsafe), comparable(expected, unsafe)
        assert got == want, f"{name} changes what the driver prints:\n" + "".join(
            difflib.unified_diff(want.splitlines(True), got.splitlines(True), "original", name))


def test_every_driver_has_its_fixture():
    for driver in DRIVERS.glob("*/*.driver.*"):
        stem = driver.name.split(".driver.")[0]
        assert any((FIXTURES / driver.parent.name / (stem + s)).is_file() for s in SOURCES), driver


def test_introduced_findings_are_those_of_a_rule_that_grew_with_new_messages():
    from hotlint.verify_fixes import introduced

    def d(rule, message, line=1):
        return {"rule": rule, "message": message, "line": line}

    before = [d("false-sharing", "`a` and `b` share a line"), d("padding-waste", "8 bytes of holes")]
    moved = [d("padding-waste", "8 bytes of holes", 9)]  # the same finding on another line
    assert introduced(before, moved) == []
    padded = moved + [d("aos-layout", "the loop reads 8 of 128 bytes of `Padded`", 20)]
    assert introduced(before, padded) == [padded[1]]
    again = before + [d("false-sharing", "`c` and `d` share a line")]
    assert introduced(before, again) == [again[2]]


@pytest.mark.slow
def test_verify_fixes_runs_over_fixtures_and_examples(tmp_path):
    """``hotlint bench --verify-fixes``'s check of the fixtures and examples: --fix applies every
    fix it offers, the result compiles, and nothing new is reported (the false-sharing fixture's
    padded records set off no aos-layout finding)."""
    from hotlint.verify_fixes import _sources, source_folders, verify_sources

    folders = source_folders()
    assert {Path(f).name for f in folders} == {"fixtures", "examples"}
    files = [f for f in _sources(folders, ["false-sharing"]) if "/fixtures/" not in f or "false-sharing" in f]
    assert any(f.endswith("ring_counter.cpp") for f in files)
    assert all("/fixtures/false-sharing/" in f or "/examples/" in f for f in files)
    rows = {r["file"]: r for r in verify_sources(files, str(tmp_path), str(ROOT))}
    bad = rows["fixtures/false-sharing/bad.cpp"]
    assert bad["offered"] == bad["fixed"] == 11 and bad["regions"] >= 11 and bad["findings_after"] == 0, bad
    assert not bad["introduced"] and not bad["problems"], bad
    example = rows["examples/ring_counter.cpp"]
    assert example["offered"] == example["fixed"] > 0 and not example["problems"], example
    assert all(not r["offered"] and not r["problems"] for f, r in rows.items() if "/good" in f)
