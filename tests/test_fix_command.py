"""`--fix` on every rule's bad fixture: the result compiles and the fixed findings are gone."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import FIXTURES, run_cli, run_json

CASES = sorted(p for p in FIXTURES.glob("*/bad*") if p.suffix in (".cpp", ".c"))


def _compile(path) -> subprocess.CompletedProcess:
    cmd = ["gcc", "-std=c17"] if path.suffix == ".c" else ["g++", "-std=c++20"]
    return subprocess.run(cmd + ["-fsyntax-only", "-pthread", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fix_compiles_and_removes_what_it_fixed(case, unsafe, tmp_path):
    rule = case.parent.name
    work = tmp_path / case.name
    shutil.copy(case, work)
    _, before = run_json("--no-cache", "--select", rule, work.name, cwd=tmp_path)
    applicable = {"safe", "unsafe"} if unsafe else {"safe"}
    fixable = [d for d in before["diagnostics"] if d.get("fix") and d["fix"]["applicability"] in applicable]
    flags = ["--fix", "--unsafe-fixes"] if unsafe else ["--fix"]
    proc = run_cli("--no-cache", *flags, "--select", rule, work.name, cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert _compile(work).returncode == 0, _compile(work).stderr
    _, after = run_json("--no-cache", "--select", rule, work.name, cwd=tmp_path)
    assert not after["errors"]
    assert len(after["diagnostics"]) <= len(before["diagnostics"]) - len(fixable), (
        [(d["line"], d["message"][:80]) for d in after["diagnostics"]])
    if not fixable:
        assert work.read_text() == case.read_text()  # nothing to fix: untouched
