"""Bad input through the command line: a corpus generated here, not hand-picked to pass.

For every input: no traceback, one clear line naming the file and the cause, the exit
code of SPEC.md, and every other file still analyzed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli, run_json

RULEPACK = ROOT / "tests" / "data" / "rulepack"

# these tests load the demo rule pack from project configuration files
pytestmark = pytest.mark.usefixtures("trusted_projects")
SEED = 20261121


def _fixture_texts() -> list[str]:
    return [p.read_text() for p in sorted(FIXTURES.glob("*/bad.cpp"))]


def build_corpus(d: Path) -> dict[str, str]:
    """Write the corpus; returns {relative path: the kind of trouble it carries}."""
    rng = random.Random(SEED)
    kinds: dict[str, str] = {}
    texts = _fixture_texts()
    for i, text in enumerate(texts):
        cut = rng.randrange(len(text) // 4, len(text) - 1)
        (d / f"truncated_{i}.cpp").write_text(text[:cut])
        kinds[f"truncated_{i}.cpp"] = "maybe-parse-error"
        lines = text.split("\n")
        for _ in range(5):
            k = rng.randrange(len(lines))
            op = rng.choice(["delete", "dup", "junk"])
            if op == "delete":
                del lines[k]
            elif op == "dup":
                lines.insert(k, lines[k])
            else:
                lines.insert(k, rng.choice(["}", "{", "template <", "#if 1", ")", "struct ;", "#endif", "operator"]))
        (d / f"broken_{i}.cpp").write_text("\n".join(lines))
        kinds[f"broken_{i}.cpp"] = "maybe-parse-error"
    (d / "random_bytes.cpp").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    kinds["random_bytes.cpp"] = "binary"
    (d / "latin1.cpp").write_bytes("// Größe\nstruct L { int a; };\n".encode("latin-1"))
    kinds["latin1.cpp"] = "encoding"
    (d / "mixed.cpp").write_bytes("// naïve\n".encode() + "// café\n".encode("latin-1") + b"int m;\n")
    kinds["mixed.cpp"] = "encoding"
    (d / "utf16.cpp").write_bytes("struct U { int a; };\n".encode("utf-16"))
    kinds["utf16.cpp"] = "binary"
    (d / "crlf.cpp").write_bytes(b"struct Crlf { int a; };\r\nint f() { return 1; }\r\n")
    kinds["crlf.cpp"] = "ok"
    (d / "bom.cpp").write_bytes(b"\xef\xbb\xbfstruct Bom { int a; };\n")
    kinds["bom.cpp"] = "ok"
    (d / "empty.cpp").write_bytes(b"")
    kinds["empty.cpp"] = "ok"
    big = ["static const int table[] = {"] + [f"    {n}," for n in range(99_998)] + ["};"]
    (d / "huge.cpp").write_text("\n".join(big) + "\nstruct Huge { int a; };\n")
    kinds["huge.cpp"] = "ok"
    (d / "deep_templates.cpp").write_text(
        "template <int N> struct D { using T = typename D<N - 1>::T; static const int v = D<N - 1>::v + 1; };\n"
        "template <> struct D<0> { using T = int; static const int v = 0; };\n"
        "int deep = D<900>::v;\nstruct Deep { int a; };\n")
    kinds["deep_templates.cpp"] = "ok"
    macros = ["#define M0(x) (x)"] + [f"#define M{i}(x) M{i - 1}(M{i - 1}(x))" for i in range(1, 12)]
    (d / "deep_macros.cpp").write_text("\n".join(macros) + "\nint macro_value = M11(1);\nstruct Mac { int a; };\n")
    # 2**11 nested parentheses: libclang's parser overflows its stack on this one (a real crash,
    # which must cost this file only)
    kinds["deep_macros.cpp"] = "crash"
    os.symlink("loop_b.cpp", d / "loop_a.cpp")
    os.symlink("loop_a.cpp", d / "loop_b.cpp")
    kinds["loop_a.cpp"] = kinds["loop_b.cpp"] = "unreadable"
    (d / "dirloop").mkdir()
    os.symlink("..", d / "dirloop" / "up")
    (d / "fine.cpp").write_text("struct Fine { int a; };\n")
    kinds["fine.cpp"] = "ok"
    return kinds


def _config(d: Path) -> None:
    (d / ".hotlint.toml").write_text(f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n'
                                     "timeout = 60\n")


def test_generated_corpus(tmp_path):
    kinds = build_corpus(tmp_path)
    _config(tmp_path)
    proc, data = run_json("--no-cache", ".", "missing.cpp", cwd=tmp_path, timeout=900)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.returncode == 2
    errors: dict[str, list] = {}
    for e in data["errors"]:
        errors.setdefault(e["path"], []).append(e)
        assert "\n" not in e["message"], e  # one line
        assert e["message"], e
    found = {d["path"] for d in data["diagnostics"]}
    for name, kind in kinds.items():
        if kind == "ok":
            assert name not in errors, (name, errors.get(name))
        elif kind == "binary":
            assert "NUL bytes" in errors[name][0]["message"]
        elif kind == "encoding":
            assert "not valid UTF-8" in errors[name][0]["message"]
        elif kind == "crash":
            assert errors[name][0]["kind"] == "crash", errors[name]
        elif kind == "unreadable":
            assert "symbolic links" in errors[name][0]["message"]
    assert errors["missing.cpp"][0]["kind"] == "missing-file"
    for name in ("crlf.cpp", "bom.cpp", "huge.cpp", "deep_templates.cpp", "fine.cpp"):
        assert name in found, name
    huge = next(d for d in data["diagnostics"] if d["path"] == "huge.cpp")
    assert huge["line"] == 100_001
    bom = next(d for d in data["diagnostics"] if d["path"] == "bom.cpp")
    assert (bom["line"], bom["column"]) == (1, 8)
    # text output: each error is one line naming the file, then a help line at most
    text = run_cli("--no-cache", ".", cwd=tmp_path, timeout=900)
    for line in text.stdout.splitlines():
        if ": error: " in line:
            assert line.split(":")[0] in kinds, line


def test_a_directory_of_2000_files(tmp_path):
    _config(tmp_path)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(2000):
        (many / f"f{i:04}.c").write_text(f"struct S{i} {{ int a; }};\n")
    (many / "f0007.c").write_bytes(b"\xff\xfe bad")
    proc, data = run_json("--no-cache", "many", cwd=tmp_path, timeout=900)
    assert proc.returncode == 2
    assert len(data["diagnostics"]) == 1999
    assert [e["path"] for e in data["errors"]] == ["many/f0007.c"]


@pytest.mark.parametrize("content, note", [
    ("{ not json", "not valid JSON"),
    ("", "not valid JSON"),
    ('{"directory": "."}', "expected a JSON array"),
    ('[{"directory": ".", "file": "nowhere/gone.cpp", "command": "c++ -c gone.cpp"}]', None),
    ('[{"directory": ".", "file": "h.cpp", "command": "c++ -Xclang -load -Xclang /nonexistent/evil.so '
     '-fplugin=/nonexistent/p.so \\"unterminated -c h.cpp"}]', "cannot split"),
    ('[{"directory": ".", "file": "h.cpp", "arguments": ["c++", "-fplugin=/nonexistent/p.so", '
     '"--config=/nonexistent/cfg", "-B/nonexistent", "-c", "h.cpp"]}]', "would load code"),
])
def test_bad_compile_databases(tmp_path, content, note):
    _config(tmp_path)
    (tmp_path / "compile_commands.json").write_text(content)
    (tmp_path / "h.cpp").write_text("struct H { int a; };\n")
    proc, data = run_json("--no-cache", "h.cpp", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, (proc.stderr, data)
    assert [d["path"] for d in data["diagnostics"]] == ["h.cpp"]
    if note:
        assert note in proc.stderr


@pytest.mark.slow  # interrupts a real run at several moments
def test_sigint_and_sigterm_leave_sources_and_cache_whole(tmp_path):
    """Interrupt --fix runs at random moments: every file is either untouched or fully fixed."""
    _config(tmp_path)
    original = {}
    for i in range(40):
        text = "#include <vector>\n#include <map>\n" + f"struct R{i} {{ int a; }};\n"
        (tmp_path / f"r{i}.cpp").write_text(text)
        original[f"r{i}.cpp"] = text
    env = dict(os.environ, HOTLINT_CACHE_DIR=str(tmp_path / "cache"))
    rng = random.Random(SEED)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen([sys.executable, "-m", "hotlint", "--min-severity", "info", "--fix", "-j", "2", "."], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.5, 2.0))  # interrupting at an arbitrary moment is the point here
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, 1, 2, 130, 143), (proc.returncode, err)
    import re

    whole = re.compile(r"#include <vector>\n#include <map>\nstruct R\d+ \{ int a; \}( /\* 4 bytes \*/)*;\n")
    for name in original:
        now = (tmp_path / name).read_text()
        assert whole.fullmatch(now), now  # untouched, or fixed whole: never half-written
    assert not list(tmp_path.glob("*.hotlint-tmp"))
    for entry in (tmp_path / "cache").rglob("*.json"):
        json.loads(entry.read_text())  # never half-written
    # and a later full run completes normally from whatever the cache holds
    final = run_cli("--min-severity", "info", ".", cwd=tmp_path, env={"HOTLINT_CACHE_DIR": str(tmp_path / "cache")})
    assert final.returncode in (0, 1)


def test_symlink_outside_the_project_is_said(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.cpp").write_text("struct Secret { int a; };\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    _config(proj)
    os.symlink(outside / "secret.cpp", proj / "link.cpp")
    proc, data = run_json("--no-cache", ".", cwd=proj)
    assert [d["path"] for d in data["diagnostics"]] == ["link.cpp"]
    assert "link.cpp: note: resolves outside the project" in proc.stderr
