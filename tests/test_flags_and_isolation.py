"""Untrusted compile commands and crashing parses."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, run_json
from hotlint.compdb import CompilationDatabase, clean_flags

RULEPACK = ROOT / "tests" / "data" / "rulepack"

# these tests load the demo rule pack from project configuration files
pytestmark = pytest.mark.usefixtures("trusted_projects")


def _config(d: Path) -> None:
    (d / ".hotlint.toml").write_text(f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')




def test_code_loading_flags_are_stripped(tmp_path, evil_plugin):
    so, marker = evil_plugin
    _config(tmp_path)
    (tmp_path / "u.cpp").write_text("struct U { int a; };\n")
    db = [
        {"directory": str(tmp_path), "file": "u.cpp",
         "arguments": ["clang++", f"-fplugin={so}", "-Xclang", "-load", "-Xclang", str(so),
                       f"-fpass-plugin={so}", "-Xclang", "-add-plugin", "-Xclang", "evil", "-c", "u.cpp"]},
    ]
    (tmp_path / "compile_commands.json").write_text(json.dumps(db))
    proc = run_cli("--no-cache", "-v", "u.cpp", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert not marker.exists()
    assert f"dropped `-fplugin={so}`: it would load code into the analyzer" in proc.stderr
    assert f"dropped `-Xclang -load -Xclang {so}`: it would load code into the analyzer" in proc.stderr
    assert "dropped `-Xclang -add-plugin -Xclang evil`" in proc.stderr
    flags_line = next(line for line in proc.stderr.splitlines() if line.startswith("hotlint: u.cpp: -x"))
    assert "evil" not in flags_line and "plugin" not in flags_line and "-load" not in flags_line


def test_response_files_are_cleaned_too(tmp_path, evil_plugin):
    so, marker = evil_plugin
    (tmp_path / "flags.rsp").write_text(f"-DFROM_RSP=1 -fplugin={so}\n")
    cleaned = clean_flags(["c++", "@flags.rsp", "-c", "x.cpp"], "x.cpp", str(tmp_path))
    assert cleaned.args == ["-DFROM_RSP=1"]
    assert any("-fplugin" in w for w in cleaned.warnings)


def test_side_effect_and_gcc_only_flags_are_dropped(tmp_path):
    _config(tmp_path)
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "h.h").write_text("#ifndef NEEDED\n#error no\n#endif\nstruct H { int a; };\n")
    (tmp_path / "v.cpp").write_text('#include "h.h"\nstruct V { H h; };\n')
    cmd = ("g++ -DNEEDED -Iinc -MD -MF v.d -MT v.o -o v.o --save-temps -fconserve-stack -fno-tree-vrp "
           "-fanalyzer -mabi=lp64 -march=not-a-cpu -Wall -Werror -Wbogus-warning -include-pch stale.pch -c v.cpp")
    (tmp_path / "compile_commands.json").write_text(json.dumps([{"directory": ".", "file": "v.cpp", "command": cmd}]))
    proc, data = run_json("--no-cache", "v.cpp", cwd=tmp_path)
    assert not data["errors"], data
    assert [d["message"].split("`")[1] for d in data["diagnostics"]] == ["V"]
    assert not (tmp_path / "v.d").exists() and not (tmp_path / "v.o").exists()
    assert not list(tmp_path.glob("*.ii")) and not list(tmp_path.glob("*.s"))
    assert "-march=not-a-cpu" in proc.stderr  # said, not silent


def test_database_forms_and_relative_directories(tmp_path):
    (tmp_path / "build").mkdir()
    db = tmp_path / "build" / "compile_commands.json"
    db.write_text(json.dumps([
        {"directory": "..", "file": "a.cpp", "command": "c++ -DA=1 -I include -c a.cpp"},
        {"directory": str(tmp_path), "file": str(tmp_path / "b.cpp"), "arguments": ["c++", "-DB=2", "-c", "b.cpp"]},
        {"file": "broken.cpp"},
    ]))
    cdb = CompilationDatabase(str(db))
    a = cdb.lookup(str(tmp_path / "a.cpp"))
    assert a is not None and a.directory == str(tmp_path)
    assert clean_flags(a.argv, a.file, a.directory).args == ["-DA=1", f"-I{tmp_path / 'include'}"]
    b = cdb.lookup(str(tmp_path / "b.cpp"))
    assert clean_flags(b.argv, b.file, b.directory).args == ["-DB=2"]
    assert any("entry 2 lacks" in p for p in cdb.problems)


@pytest.mark.parametrize("content", ["{ not json", "[]", '{"a": 1}', '[{"directory": ".", "file": "gone.cpp", '
                                                                     '"command": "c++ -c gone.cpp"}]'])
def test_bad_databases_fall_back_to_defaults(tmp_path, content):
    _config(tmp_path)
    (tmp_path / "compile_commands.json").write_text(content)
    (tmp_path / "w.cpp").write_text("struct W { int a; };\n")
    proc, data = run_json("--no-cache", "w.cpp", cwd=tmp_path)
    assert proc.returncode == 1 and not data["errors"]
    if content.startswith("{"):
        assert "compile_commands.json" in proc.stderr


@pytest.mark.parametrize("recovery", ["contained", "process-dies"])
def test_a_crashing_parse_is_reported_and_the_run_completes(tmp_path, recovery):
    """libclang's crash recovery contains the crash; without it the worker process dies."""
    _config(tmp_path)
    (tmp_path / "crash.cpp").write_text("struct Before { int a; };\n#pragma clang __debug parser_crash\n")
    for i in range(3):
        (tmp_path / f"fine{i}.cpp").write_text(f"struct Fine{i} {{ int a; }};\n")
    env = {"LIBCLANG_DISABLE_CRASH_RECOVERY": "1"} if recovery == "process-dies" else {}
    proc, data = run_json("--no-cache", "-j", "2", ".", cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert [e["path"] for e in data["errors"]] == ["crash.cpp"]
    assert data["errors"][0]["kind"] == "crash"
    expected = "crashed with SIG" if recovery == "process-dies" else "libclang crashed while parsing"
    assert expected in data["errors"][0]["message"]
    assert sorted(d["path"] for d in data["diagnostics"]) == ["fine0.cpp", "fine1.cpp", "fine2.cpp"]
    assert "Traceback" not in proc.stderr


def test_a_killed_worker_is_reported_and_the_run_completes(tmp_path):
    """Kill the worker process while it parses, from outside, as the OOM killer would."""
    from hotlint.engine import EngineOptions
    from hotlint.workers import Task, run_tasks

    (tmp_path / "slow.cpp").write_text("#include <vector>\n#include <map>\n#include <string>\nint x;\n")
    (tmp_path / "ok.cpp").write_text("int y;\n")
    results = []
    killed = []

    def on_result(res):
        results.append(res)

    import hotlint.workers as workers

    original = workers._Worker.submit

    def submit_and_kill(self, task):
        original(self, task)
        if task.path.endswith("slow.cpp") and not killed:
            killed.append(self.proc.pid)
            self.proc.kill()

    workers._Worker.submit = submit_and_kill
    try:
        tasks = [Task(str(tmp_path / n), ["-x", "c++", "-std=c++20"], EngineOptions(rules=())) for n in ("slow.cpp", "ok.cpp")]
        run_tasks(tasks, 1, on_result)
    finally:
        workers._Worker.submit = original
    by = {Path(r.path).name: r for r in results}
    assert killed
    assert by["slow.cpp"].errors[0].kind == "crash" and "SIGKILL" in by["slow.cpp"].errors[0].message
    assert by["ok.cpp"].errors == []


def test_per_file_time_limit(tmp_path):
    _config(tmp_path)
    # constant evaluation with the step limit lifted: clang would spend minutes on it
    (tmp_path / "slow.cpp").write_text(textwrap.dedent("""
        constexpr long spin() { long s = 0; for (long i = 0; i < 4000000000; ++i) s += i % 7; return s; }
        constexpr long value = spin();
    """))
    (tmp_path / "quick.cpp").write_text("struct Q { int a; };\n")
    proc, data = run_json("--no-cache", "--timeout", "3", "--extra-arg=-fconstexpr-steps=2147483647", ".", cwd=tmp_path)
    kinds = {e["path"]: e["kind"] for e in data["errors"]}
    assert kinds.get("slow.cpp") == "timeout", (data, proc.stderr)
    assert any(d["path"] == "quick.cpp" for d in data["diagnostics"])
