"""The command line over configuration files, error categories in `ignore`, and the exit-code flags
(through the real command line)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, run_json, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"
pytestmark = pytest.mark.usefixtures("trusted_projects")



def config(root: Path, extra: str = "") -> None:
    write(root / ".hotlint.toml", f'rule-paths = ["{RULEPACK.as_posix()}"]\n' + textwrap.dedent(extra))


def test_select_on_the_command_line_wins_over_the_files_ignore(tmp_path):
    config(tmp_path, 'ignore = ["demo-record"]\n')
    write(tmp_path / "a.cpp", "struct A { int a; };\n")
    _, data = run_json("--no-cache", "--min-severity", "info", "a.cpp", cwd=tmp_path)
    assert not any(d["rule"] == "demo-record" for d in data["diagnostics"])
    proc, data = run_json("--no-cache", "--select", "demo-record", "a.cpp", cwd=tmp_path)
    assert [d["rule"] for d in data["diagnostics"]] == ["demo-record"], proc.stderr
    # --ignore on the command line still adds to it
    _, data = run_json("--no-cache", "--select", "demo-record", "--ignore", "demo-record", "a.cpp", cwd=tmp_path)
    assert data["diagnostics"] == []


def test_per_file_ignores_still_apply_under_a_command_line_select(tmp_path):
    config(tmp_path, 'per-file-ignores = { "legacy/*" = ["demo-record"] }\n')
    write(tmp_path / "legacy" / "l.cpp", "struct L { int a; };\n")
    write(tmp_path / "a.cpp", "struct A { int a; };\n")
    _, data = run_json("--no-cache", "--select", "demo-record", ".", cwd=tmp_path)
    assert [d["path"] for d in data["diagnostics"]] == ["a.cpp"]


@pytest.fixture()
def broken(tmp_path):
    config(tmp_path, 'select = ["demo-record"]\n')
    write(tmp_path / "legacy" / "old.cpp", '#include "gone.h"\nstruct Old { int a; };\n')
    write(tmp_path / "ok.cpp", "int f() { return 1; }\n")
    return tmp_path


def test_error_categories_are_named_in_ignore_and_per_file_ignores(broken):
    proc, data = run_json("--no-cache", ".", cwd=broken)
    assert proc.returncode == 2 and [e["kind"] for e in data["errors"]] == ["parse-error"]
    proc, data = run_json("--no-cache", "--ignore", "parse-error", ".", cwd=broken)
    assert proc.returncode == 0 and data["errors"] == [], proc.stderr
    config(broken, 'select = ["demo-record"]\nper-file-ignores = { "legacy/*" = ["parse-error"] }\n')
    proc, data = run_json("--no-cache", ".", cwd=broken)
    assert proc.returncode == 0 and data["errors"] == [], proc.stderr
    config(broken, 'select = ["demo-record"]\nignore = ["parse-error"]\n')
    proc, data = run_json("--no-cache", ".", cwd=broken)
    assert proc.returncode == 0 and data["errors"] == []
    # a category silences only itself: a missing file is still reported
    proc, data = run_json("--no-cache", "--ignore", "parse-error", ".", "nothere.cpp", cwd=broken)
    assert proc.returncode == 2 and [e["kind"] for e in data["errors"]] == ["missing-file"]
    # an error category is not something to select
    proc = run_cli("--no-cache", "--select", "parse-error", ".", cwd=broken)
    assert proc.returncode == 3 and "error category" in proc.stderr
    config(broken, 'select = ["parse-error"]\n')
    proc = run_cli("--no-cache", ".", cwd=broken)
    assert proc.returncode == 3 and "error category" in proc.stderr


def test_exit_zero_covers_findings_and_exit_zero_on_errors_covers_analysis_errors(broken):
    write(broken / "rec.cpp", "struct R { int a; };\n")
    assert run_cli("--no-cache", ".", cwd=broken).returncode == 2
    assert run_cli("--no-cache", "--exit-zero", ".", cwd=broken).returncode == 2
    assert run_cli("--no-cache", "--exit-zero-on-errors", ".", cwd=broken).returncode == 1  # the finding
    proc = run_cli("--no-cache", "--exit-zero", "--exit-zero-on-errors", ".", cwd=broken)
    assert proc.returncode == 0 and "'gone.h' file not found" in proc.stdout  # still printed
    assert run_cli("--no-cache", "--exit-zero-on-errors", "ok.cpp", "legacy", cwd=broken).returncode == 0
    # a usage error is never covered
    assert run_cli("--exit-zero", "--exit-zero-on-errors", "--select", "no-such-rule", ".", cwd=broken).returncode == 3
