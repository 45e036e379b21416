"""No code from a checkout runs: its rule packs (until trusted), its Python modules next to the
working directory, its ``*.dist-info`` entry points, and its compile flags that load plugins.

Every planted module writes a marker file when it is imported; a test fails if any marker exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, run_json

RULEPACK = ROOT / "tests" / "data" / "rulepack"
RECORD = "struct Record { char a; double b; char c; };\nRecord records[8];\n"
STDLIB_NAMES = ("json", "argparse", "selectors", "socket", "signal", "threading", "tempfile", "shlex",
                "hashlib", "importlib_metadata", "rich", "clang", "difflib", "fnmatch", "pickle")


def planted_pack(folder: Path, marker: Path) -> Path:
    """A rule pack that records being imported (and still works as the demo pack)."""
    folder.mkdir(parents=True, exist_ok=True)
    code = f"open({str(marker)!r}, 'a').write('imported\\n')\n" + (RULEPACK / "demo_rules.py").read_text()
    (folder / "pack_rules.py").write_text(code)
    return folder


def plant_modules(folder: Path, markers: Path) -> None:
    """Modules named like the standard library's and hotlint's dependencies, each leaving a marker."""
    markers.mkdir(exist_ok=True)
    for name in STDLIB_NAMES:
        (folder / f"{name}.py").write_text(f"open({str(markers / name)!r}, 'w').write('ran')\n")
    package = folder / "multiprocessing"  # a package shadowing the one the workers start from
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(markers / 'multiprocessing')!r}, 'w').write('ran')\n")
    dist = folder / "evil-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hotlint.rules]\nevil = evil_rules\n")
    (folder / "evil_rules.py").write_text(f"open({str(markers / 'evil_rules')!r}, 'w').write('ran')\n")


def hotlint_script() -> str:
    """The installed console script, as pre-commit and CI run it (not ``python -m``, whose
    working directory Python itself puts on the path)."""
    script = Path(sys.executable).parent / "hotlint"
    if script.exists():
        return str(script)
    found = shutil.which("hotlint")
    assert found, "the hotlint console script is not installed"
    return found


def test_rule_paths_of_an_untrusted_project_are_not_imported(tmp_path):
    marker = tmp_path / "IMPORTED"
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    planted_pack(project / "tools", marker)
    (project / ".hotlint.toml").write_text('rule-paths = ["tools"]\nselect = ["demo-record"]\n')
    (project / "a.cpp").write_text(RECORD)
    env = {"HOTLINT_TRUSTED_FOLDERS": "", "XDG_CONFIG_HOME": str(tmp_path / "userconfig")}

    proc, data = run_json("--no-cache", "a.cpp", cwd=project, env=env)
    assert proc.returncode == 0, proc.stderr  # the pack's rule did not run; nothing else selected
    assert data["diagnostics"] == [] and data["errors"] == []
    assert "skipped its `rule-paths`: the project is not trusted" in proc.stderr
    assert "--trust" in proc.stderr and "`demo-record`" in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if "skipped its" in line]) == 1

    for argv in (["rules"], ["rule", "demo-record"]):
        out = run_cli(*argv, cwd=project, env=env)
        assert "skipped its `rule-paths`" in out.stderr, out.stderr
    assert not marker.exists()

    # the same project, trusted three ways: the pack loads and its rule runs
    user = tmp_path / "userconfig" / "hotlint"
    for how, extra_env, flags in (
        ("flag", {}, ["--trust"]),
        ("environment", {"HOTLINT_TRUSTED_FOLDERS": str(project)}, []),
        ("user configuration", {}, []),
    ):
        if how == "user configuration":
            user.mkdir(parents=True)
            (user / "config.toml").write_text(f"trusted-folders = [{json.dumps(str(project))}]\n")
        proc, data = run_json("--no-cache", *flags, "a.cpp", cwd=project, env={**env, **extra_env})
        assert [d["rule"] for d in data["diagnostics"]] == ["demo-record"], (how, proc.stderr)
        assert "skipped" not in proc.stderr
    assert marker.read_text().count("imported") >= 3


def test_a_configuration_above_the_project_root_never_loads_rule_packs(tmp_path):
    """A shared folder (``/tmp``) above a repository: its configuration may select rules, but its
    rule packs never load, even with --trust."""
    marker = tmp_path / "IMPORTED"
    shared = tmp_path / "shared"
    planted_pack(shared / "packs", marker)
    (shared / ".hotlint.toml").write_text('rule-paths = ["packs"]\n')
    repo = shared / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a.cpp").write_text(RECORD)
    proc, data = run_json("--no-cache", "--trust", "a.cpp", cwd=repo)
    assert "lies above the project root" in proc.stderr, proc.stderr
    assert not marker.exists()
    env = {"HOTLINT_TRUSTED_FOLDERS": str(shared)}
    proc, _ = run_json("--no-cache", "a.cpp", cwd=repo, env=env)
    assert not marker.exists() and "lies above the project root" in proc.stderr


def test_a_broken_user_configuration_is_a_clear_error(tmp_path):
    user = tmp_path / "cfg" / "hotlint"
    user.mkdir(parents=True)
    (user / "config.toml").write_text('trusted-folders = "not a list"\n')
    (tmp_path / "a.cpp").write_text(RECORD)
    proc = run_cli("--no-cache", "a.cpp", cwd=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert proc.returncode == 3
    assert "config.toml: `trusted-folders` must be a list of folder paths" in proc.stderr


@pytest.mark.parametrize("start_method", ["fork", "forkserver", "spawn"])
def test_cli_workers_import_nothing_from_the_working_directory(tmp_path, start_method):
    """The console script in a checkout holding modules named like the standard library's:
    neither the command line nor its workers (a fork server too, as in a terminal) import them,
    and the checkout's dist-info registers no rule pack."""
    plant_modules(tmp_path, tmp_path / "markers")
    for i in range(3):
        (tmp_path / f"u{i}.cpp").write_text(RECORD)
    env = {"HOTLINT_START_METHOD": start_method, "HOTLINT_CACHE_DIR": str(tmp_path / "cache")}
    import os

    proc = subprocess.run([hotlint_script(), "--min-severity", "info", "--format", "json", "-j", "2", "."], cwd=tmp_path,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert {d["rule"] for d in json.loads(proc.stdout)["diagnostics"]} == {"padding-waste"}
    listed = subprocess.run([hotlint_script(), "rules"], cwd=tmp_path, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=120)
    assert "evil" not in listed.stdout and listed.returncode == 0
    assert sorted(p.name for p in (tmp_path / "markers").iterdir()) == []


def test_entry_points_come_from_installed_packages_only(tmp_path):
    """``python -m hotlint`` puts the working directory on the path; its dist-info still
    registers nothing (a pack installed on PYTHONPATH does: see test_cli)."""
    markers = tmp_path / "markers"
    markers.mkdir()
    dist = tmp_path / "evil-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hotlint.rules]\nevil = evil_rules\n")
    (tmp_path / "evil_rules.py").write_text(f"open({str(markers / 'evil_rules')!r}, 'w').write('ran')\n")
    (tmp_path / "a.cpp").write_text(RECORD)
    proc, _ = run_json("--min-severity", "info", "--no-cache", "a.cpp", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert list(markers.iterdir()) == []


def test_language_server_loads_a_project_pack_only_when_trusted(tmp_path):
    """The server: an untrusted project's pack is skipped (a message says so); the same project
    listed in HOTLINT_TRUSTED_FOLDERS (as the VS Code extension does for a trusted workspace)
    gets its pack's findings."""
    from lspwire import Wire

    marker = tmp_path / "IMPORTED"
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    planted_pack(project / "tools", marker)
    (project / ".hotlint.toml").write_text('rule-paths = ["tools"]\nselect = ["demo-record"]\n')
    (project / "a.cpp").write_text(RECORD)
    for trusted in (False, True):
        env = {"HOTLINT_TRUSTED_FOLDERS": str(project) if trusted else "",
               "XDG_CONFIG_HOME": str(tmp_path / "none")}
        wire = Wire(project, env)
        try:
            wire.initialize(project)
            uri = wire.open(project / "a.cpp")
            rules = [d.get("code") for d in wire.diagnostics(uri)]
            if trusted:
                assert rules == ["demo-record"]
            else:
                assert rules == []
                wire.wait_for(lambda m: "skipped its `rule-paths`" in json.dumps(m))
                assert not marker.exists()
        finally:
            wire.close()
    assert marker.exists()


def test_language_server_started_in_a_checkout_imports_nothing_from_it(tmp_path):
    from lspwire import Wire

    plant_modules(tmp_path, tmp_path / "markers")
    (tmp_path / "a.cpp").write_text(RECORD)
    wire = Wire(tmp_path, {}, [hotlint_script(), "lsp"])
    try:
        wire.initialize(tmp_path)
        uri = wire.open(tmp_path / "a.cpp")
        assert [d.get("code") for d in wire.diagnostics(uri)] == ["padding-waste"]
    finally:
        wire.close()
    assert sorted(p.name for p in (tmp_path / "markers").iterdir()) == []




@pytest.mark.parametrize("route", ["database", "extra-args", "command-line", "response-file"])
def test_plugin_flags_never_load_from_any_flag_source(tmp_path, evil_plugin, route):
    so, marker = evil_plugin
    loading = [f"-fplugin={so}", "-Xclang=-load", f"-Xclang={so}", "-Xclang", "-load", "-Xclang", str(so),
               f"-fpass-plugin={so}"]
    (tmp_path / "u.cpp").write_text(RECORD)
    argv = ["--no-cache", "u.cpp"]
    if route == "database":
        (tmp_path / "compile_commands.json").write_text(json.dumps(
            [{"directory": str(tmp_path), "file": "u.cpp", "arguments": ["c++", *loading, "-c", "u.cpp"]}]))
    elif route == "response-file":
        (tmp_path / "flags.rsp").write_text(" ".join(loading))
        (tmp_path / "compile_commands.json").write_text(json.dumps(
            [{"directory": str(tmp_path), "file": "u.cpp", "arguments": ["c++", "@flags.rsp", "-c", "u.cpp"]}]))
    elif route == "extra-args":
        (tmp_path / ".hotlint.toml").write_text(f"extra-args = {json.dumps(loading)}\n")
    else:
        argv = [*(f"--extra-arg={a}" for a in loading), *argv]
    proc, data = run_json("--min-severity", "info", *argv, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert not marker.exists()
    assert "it would load code into the analyzer" in proc.stderr
