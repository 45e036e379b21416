"""The wheel a user installs holds every module of hotlint and its rules (a package missing from
pyproject's explicit list works in an editable checkout and breaks every real install)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.slow  # builds the wheel as pip would for a user (its build requirements from PyPI)
def test_the_wheel_holds_every_module(tmp_path):
    import shutil

    tree = tmp_path / "src"  # a clean copy: a checkout's stale build/ folder would fill the wheel by itself
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", ".git", "node_modules",
                                                              ".hotlint_cache*", "__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(tree)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    [wheel] = tmp_path.glob("hotlint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"hotlint/{p.relative_to(ROOT / 'hotlint').as_posix()}" for p in (ROOT / "hotlint").rglob("*.py")}
    expected |= {f"hotlint/rules/{p.relative_to(ROOT / 'rules').as_posix()}" for p in (ROOT / "rules").rglob("*.py")}
    expected |= {f"hotlint/bench_fixtures/{p.relative_to(ROOT / 'bench_fixtures').as_posix()}"
                 for p in (ROOT / "bench_fixtures").rglob("*") if p.suffix in (".cpp", ".h", ".json", ".md", ".py")}
    assert not {n for n in expected if "__pycache__" not in n} - names
