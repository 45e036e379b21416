"""Suppression comments are checked: a misspelt rule name and a lone NOLINTBEGIN/NOLINTEND are errors
naming file:line, and unused suppressions are reported when asked (through the real command line)."""

from __future__ import annotations


import pytest

from conftest import ROOT, run_cli, run_json, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"
pytestmark = pytest.mark.usefixtures("trusted_projects")



@pytest.fixture()
def project(tmp_path):
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    return tmp_path


def test_unknown_rule_names_are_errors_naming_the_line(project):
    write(project / "s.cpp", """
        struct A { int a; };  // hotlint: ignore[demo-recrod]
        struct B { int a; };  // NOLINT(bugprone-foo, hotlint-demo-recod)
        struct C { int a; };  // NOLINT(bugprone-whatever)
        struct D { int a; };  // hotlint: ignore[demo-*, hotlint-demo-record]
    """)
    proc, data = run_json("--no-cache", "s.cpp", cwd=project)
    assert proc.returncode == 2
    errors = [(e["kind"], e["line"], e["message"]) for e in data["errors"]]
    assert errors == [
        ("invalid-suppression", 1, "`hotlint: ignore` names unknown rule `demo-recrod` (did you mean `demo-record`?); "
                                   "it silences nothing"),
        ("invalid-suppression", 2, "`NOLINT` names unknown rule `demo-recod` (did you mean `demo-record`?); "
                                   "it silences nothing"),
    ]
    # the misspelt comments silence nothing; other tools' names and globs are left alone
    assert [d["message"].split("`")[1] for d in data["diagnostics"]] == ["A", "B", "C"]
    text = run_cli("--no-cache", "s.cpp", cwd=project)
    assert "s.cpp:1:23: error: `hotlint: ignore` names unknown rule `demo-recrod`" in text.stdout
    assert "1 invalid suppression comment" not in text.stdout and "2 invalid suppression comments" in text.stdout
    assert "could not be fully analyzed" not in text.stdout
    # --ignore names the category, as any other error's
    assert run_cli("--no-cache", "--ignore", "invalid-suppression", "s.cpp", cwd=project).returncode == 1


def test_unmatched_nolintbegin_and_nolintend_are_errors(project):
    write(project / "r.cpp", """
        // NOLINTBEGIN(hotlint-demo-record)
        struct A { int a; };
        // NOLINTEND(hotlint-padding-waste)
        struct B { int a; };
    """)
    proc, data = run_json("--no-cache", "r.cpp", cwd=project)
    assert proc.returncode == 2
    assert [(e["line"], e["message"].split(" without")[0]) for e in data["errors"]] == [
        (1, "NOLINTBEGIN"), (3, "NOLINTEND")]
    assert data["diagnostics"] == []  # as before: an unterminated region runs to the end of the file
    write(project / "ok.cpp", "// NOLINTBEGIN(hotlint-demo-record)\nstruct A { int a; };\n// NOLINTEND(hotlint-demo-record)\n")
    proc, data = run_json("--no-cache", "ok.cpp", cwd=project)
    assert proc.returncode == 0 and data["errors"] == [] and data["diagnostics"] == []


def test_unused_suppressions_are_reported_when_asked(project):
    write(project / "u.cpp", """
        struct A { int a; };  // hotlint: ignore[demo-record]
        int x;  // hotlint: ignore[demo-record]
        int y;  // NOLINT(hotlint-demo-record, bugprone-foo)
        int z;  // NOLINT
        // NOLINTBEGIN(hotlint-demo-*)
        int w;
        // NOLINTEND(hotlint-demo-*)
        int v;  // hotlint: ignore[padding-waste]
    """)
    proc, data = run_json("--no-cache", "u.cpp", cwd=project)
    assert proc.returncode == 0 and data["diagnostics"] == []  # opt-in: nothing said by default
    proc, data = run_json("--no-cache", "--report-unused-suppressions", "u.cpp", cwd=project)
    assert proc.returncode == 1
    found = [(d["rule"], d["line"], d["message"]) for d in data["diagnostics"]]
    assert found == [
        ("unused-suppression", 2, "unused suppression: `hotlint: ignore` silences no `demo-record` finding here"),
        ("unused-suppression", 3, "unused suppression: `NOLINT` silences no `hotlint-demo-record` finding here"),
        ("unused-suppression", 5, "unused suppression: `NOLINTBEGIN` silences no `hotlint-demo-*` finding here"),
    ]  # a bare NOLINT may be clang-tidy's; padding-waste did not run (not selected)
    write(project / ".hotlint.toml", (project / ".hotlint.toml").read_text() + "report-unused-suppressions = true\n")
    _, data = run_json("--no-cache", "u.cpp", cwd=project)
    assert [d["line"] for d in data["diagnostics"]] == [2, 3, 5]
    # the cache keeps the two runs apart
    _, cached = run_json("u.cpp", cwd=project)
    assert [d["line"] for d in cached["diagnostics"]] == [2, 3, 5]
    write(project / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    _, cached = run_json("u.cpp", cwd=project)
    assert cached["diagnostics"] == []


def test_a_file_with_a_parse_error_reports_no_unused_suppression(project):
    write(project / "p.cpp", '#include "gone.h"\nint x;  // hotlint: ignore[demo-record]\n')
    _, data = run_json("--no-cache", "--report-unused-suppressions", "p.cpp", cwd=project)
    assert [e["kind"] for e in data["errors"]] == ["parse-error"] and data["diagnostics"] == []
