"""Standard input (`hotlint - --stdin-filename`), --show-settings and shell completions (through the
real command line)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import ROOT, run_cli, run_json, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"
pytestmark = pytest.mark.usefixtures("trusted_projects")



@pytest.fixture()
def project(tmp_path):
    """A unit that parses only with its database's -D and -I, and a configuration."""
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n'
                                      "cache-line-size = 128\n")
    write(tmp_path / "inc" / "shape.h", "#ifndef NEEDED\n#error NEEDED comes from the build\n#endif\n"
                                        "struct Shape { char tag; double area; };\n")
    write(tmp_path / "src" / "a.cpp", '#include "shape.h"\nstruct A { Shape s; };\n')
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "compile_commands.json").write_text(json.dumps([{
        "directory": str(tmp_path), "file": "src/a.cpp",
        "arguments": ["c++", "-DNEEDED", f"-I{tmp_path / 'inc'}", "-c", "src/a.cpp"]}]))
    return tmp_path


def test_stdin_is_linted_as_the_named_file_with_its_flags(project):
    edited = '#include "shape.h"\nstruct Edited { Shape s; int more; };\n'
    proc, data = run_json("-", "--stdin-filename", "src/a.cpp", cwd=project, input=edited)
    assert proc.returncode == 1, proc.stderr
    assert not data["errors"]  # parsed with the database's -DNEEDED and -I
    assert [(d["path"], d["message"].split("`")[1]) for d in data["diagnostics"]] == [("src/a.cpp", "Edited")]
    assert (project / "src" / "a.cpp").read_text() != edited  # nothing written
    text = run_cli("-", "--stdin-filename", "src/a.cpp", cwd=project, input=edited)
    assert "struct Edited { Shape s; int more; };" in text.stdout  # the frame shows the text given
    # a file that does not exist yet is fine (an editor's new buffer): it borrows flags
    proc, data = run_json("-", "--stdin-filename", "src/new.cpp", cwd=project, input=edited)
    assert not data["errors"] and data["diagnostics"][0]["path"] == "src/new.cpp"
    # without --stdin-filename: default flags, a name of its own
    proc, data = run_json("-", cwd=project, input="struct S { int a; };\n")
    assert data["diagnostics"][0]["path"] == "stdin.cpp"
    # excludes hold for the name under --force-exclude (pre-commit, editors)
    proc, data = run_json("--force-exclude", "-", "--stdin-filename", "vendor/x.cpp", cwd=project,
                          input="struct S { int a; };\n")
    assert proc.returncode == 0 and data["diagnostics"] == []


def test_stdin_usage_errors(project):
    assert run_cli("-", "src/a.cpp", cwd=project, input="").returncode == 3
    assert run_cli("--fix", "-", cwd=project, input="").returncode == 3
    assert run_cli("--stdin-filename", "x.cpp", "src/a.cpp", cwd=project).returncode == 3
    bad = run_cli("-", cwd=project, input="int a;\x00\x00")
    assert bad.returncode == 3 and "standard input looks binary" in bad.stderr


def test_show_settings_prints_the_resolved_configuration(project):
    proc = run_cli("--show-settings", "--ignore", "padding-waste", "src/a.cpp", cwd=project)
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(" = ", 1) for line in proc.stdout.splitlines())
    assert lines["file"] == "src/a.cpp" and lines["configuration"] == ".hotlint.toml"
    assert lines["rules"] == '["demo-record"]' and lines["ignore"] == '["padding-waste"]'
    assert lines["cache-line-size"] == "128"
    assert lines["compile-commands"].endswith("build/compile_commands.json")
    assert "-DNEEDED" in lines["flags"]
    assert '"vendor"' in lines["exclude"]
    assert run_cli("--show-settings", "--cache-line-size", "256", "src/a.cpp", cwd=project).stdout.count(
        "cache-line-size = 256") == 1
    stdin = run_cli("--show-settings", "-", "--stdin-filename", "src/a.cpp", cwd=project)
    assert "file = src/a.cpp" in stdin.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_come_from_the_parser(shell, tmp_path):
    proc = run_cli("completion", shell, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for option in ("select", "extend-exclude", "stdin-filename", "format", "report-unused-suppressions"):
        assert (f"-l {option}" if shell == "fish" else f"--{option}") in proc.stdout
    assert "concise" in proc.stdout  # the choices of --format
    exe = shutil.which(shell)
    if exe is not None:  # the script is valid for its shell
        script = tmp_path / f"hotlint.{shell}"
        script.write_text(proc.stdout)
        check = [exe, "-n", str(script)] if shell != "fish" else [exe, "--no-execute", str(script)]
        assert subprocess.run(check, capture_output=True).returncode == 0


def test_completion_needs_a_known_shell_and_a_file_named_completion_is_still_lintable(tmp_path):
    assert run_cli("completion", "powershell", cwd=tmp_path).returncode == 3
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    write(tmp_path / "completion", "struct C { int a; };\n")
    proc, data = run_json("./completion", cwd=tmp_path)
    assert [d["path"] for d in data["diagnostics"]] == ["completion"], proc.stderr
