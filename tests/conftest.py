"""Shared helpers: fixture expectations, running the engine and the CLI."""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# hotlint keeps user-level state (the cache key, the language server's stored precompiled headers)
# under $XDG_CACHE_HOME: the tests' processes keep theirs in a folder of the test run's own, never in
# the running user's ~/.cache (a test that needs another sets its own)
_XDG = tempfile.mkdtemp(prefix="hotlint-tests-xdg-")
os.environ["XDG_CACHE_HOME"] = _XDG
atexit.register(shutil.rmtree, _XDG, True)
FIXTURES = ROOT / "fixtures"
# a record whose two atomics, each written by its own thread, share a cache line: the case
# false-sharing is about, through the engine and through the language server
QUEUE = """
#include <atomic>
#include <cstdint>
#include <cstring>
struct QueueIndices {
  std::atomic<std::uint64_t> enqueue_pos{0};
  std::atomic<std::uint64_t> dequeue_pos{0};
  bool closed = false;
};
QueueIndices q;
void produce() { q.enqueue_pos.fetch_add(1, std::memory_order_release); }
void consume() { q.dequeue_pos.fetch_add(1, std::memory_order_release); }
"""

_EXPECT = re.compile(r"//\s*expect(@[+-]\d+)?:\s*([a-z0-9, -]+?)\s*$")


def parse_expectations(text: str) -> tuple[str, Counter]:
    """Blank the ``// expect:`` markers (keeping line numbers) and count (line, rule) pairs."""
    expected: Counter = Counter()
    out_lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        m = _EXPECT.search(line)
        if m:
            offset = int(m.group(1)[1:]) if m.group(1) else 0
            for rule in m.group(2).split(","):
                rule = rule.strip()
                if rule:
                    expected[(number + offset, rule)] += 1
            line = line[: m.start()].rstrip()
        out_lines.append(line)
    return "\n".join(out_lines), expected


def engine_diagnostics(path: Path, text: str | None = None, rules=None, settings=None):
    from hotlint.compdb import default_flags
    from hotlint.engine import EngineOptions, analyze
    from hotlint.rule import load_rules
    from hotlint.view import Settings

    names = rules or load_rules().names()
    opts = EngineOptions(rules=tuple(names), settings=settings or Settings())
    return analyze(str(path), text, default_flags(str(path)), opts)


def write(path: Path, text: str) -> Path:
    """Write ``text`` (dedented, leading blank lines dropped) to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


_MARKER = re.compile(r"//\s*@([\w-]+)\s*$")


def markers(path: Path) -> dict[str, int]:
    """``// @name`` markers at line ends in a C++ file: name -> 1-based line."""
    return {m.group(1): n for n, line in enumerate(path.read_text().splitlines(), start=1)
            if (m := _MARKER.search(line))}


def run_cli(*args: str, cwd: Path | str | None = None, env=None, input=None, timeout=600):
    e = dict(os.environ)
    e.setdefault("HOTLINT_CACHE_DIR", str(Path(cwd or ROOT) / ".hotlint_cache_tests"))
    if env:
        e.update(env)
    return subprocess.run([sys.executable, "-m", "hotlint", *args], cwd=cwd or ROOT, env=e,
                          capture_output=True, text=True, input=input, timeout=timeout)


def run_json(*args: str, **kw):
    proc = run_cli("--format", "json", *args, **kw)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"not JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc, data


def assert_compiles(path: Path, *extra: str) -> None:
    """``path`` compiles (syntax and semantics) with g++ -std=c++20, or gcc -std=c17 for C."""
    import shutil

    compiler = shutil.which("gcc" if path.suffix == ".c" else "g++")
    if compiler is None:
        pytest.fail("g++/gcc is required for this test (.ci/run installs it)")
    std = "-std=c17" if path.suffix == ".c" else "-std=c++20"
    proc = subprocess.run([compiler, std, "-fsyntax-only", *extra, str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def analyze_source(tmp_path: Path, source: str, name: str = "case.cpp", rules=None, settings=None):
    """Write ``source`` to ``tmp_path/name`` and analyze it; the file must parse cleanly."""
    path = tmp_path / name
    path.write_text(source)
    result = engine_diagnostics(path, source, rules=list(rules) if rules else None, settings=settings)
    assert not result.errors, [e.message for e in result.errors]
    return path, result.diagnostics


@pytest.fixture()
def trusted_projects(monkeypatch, tmp_path_factory):
    """Trust every project under the test run's temporary folder: tests that load the demo rule
    pack through a project's `rule-paths` need the trust a user would give (HOTLINT_TRUSTED_FOLDERS)."""
    monkeypatch.setenv("HOTLINT_TRUSTED_FOLDERS", str(tmp_path_factory.getbasetemp()))


@pytest.fixture()
def evil_plugin(tmp_path):
    """A shared object that, if ever loaded (as a compiler plugin would be), writes a marker file."""
    src = tmp_path / "evil.c"
    marker = tmp_path / "LOADED"
    src.write_text(textwrap.dedent(f"""
        #include <stdio.h>
        __attribute__((constructor)) static void hit(void) {{
            FILE *f = fopen("{marker}", "w");
            if (f) {{ fputs("loaded", f); fclose(f); }}
        }}
    """))
    so = tmp_path / "evil.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    return so, marker


def parse_roots(tmp_path: Path, text: str, name: str = "t.cpp", args=("-x", "c++", "-std=c++20")):
    """The main file's top-level nodes of ``text`` saved as ``tmp_path/name`` and parsed with
    ``args`` (errors allowed: some cases are about what clang makes of broken code)."""
    from hotlint import clang

    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    tu = clang.parse(str(path), list(args), text)
    return clang.main_file_roots(tu, str(path))


def nodes(roots, kind, spelling=None) -> list:
    """Every node of ``kind`` (spelled ``spelling``, when given) under ``roots``, in walk order."""
    return [n for r in roots for n in r.walk() if n.kind == kind and (spelling is None or n.spelling == spelling)]


def one(roots, kind, spelling=None):
    """The one node of ``kind`` (spelled ``spelling``) under ``roots``."""
    [n] = nodes(roots, kind, spelling)
    return n
