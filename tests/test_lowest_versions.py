"""hotlint works with the lowest versions its runtime dependencies' ranges allow.

pyproject.toml gives ranges, so a user's environment may hold any release inside them; the
lowest is the one a range claims most about and the one no developer runs. ``.ci/lowest-constraints.txt``
pins every ``[project].dependencies`` entry at its lower bound; this test installs the project into a
fresh virtual environment with those pins (no test extras, no system site-packages) and drives the
installed ``hotlint`` through every dependency: libclang (a finding on a small C++ file), pathspec
(a ``.gitignore``d folder skipped), rich (the text output), shtab (completions), cxxfilt (the profile
demangler) and pygls/lsprotocol (a language-server session that publishes the finding). A lower bound
that is too low for the code (an API it calls is missing) fails here.

It needs the package index: without a network it fails with a message saying so (it does not skip).
pip's cache is used, so a repeated run installs from local wheels."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONSTRAINTS = ROOT / ".ci" / "lowest-constraints.txt"

HOT_CPP = """\
#include <atomic>
#include <vector>

std::atomic<long> done_count{0};

void drain(std::vector<int>& work) {
    for (int item : work) {
        if (item > 0) {
            done_count.store(item);
        }
    }
}
"""
FINDING_LINE = 9  # the done_count.store(item) line

# pip's words for an index it cannot reach (urllib3/requests errors, DNS failures).
_OFFLINE = re.compile(r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
                      r"resolution|Name or service not known|Network is unreachable|ConnectTimeout|ReadTimeout"
                      r"|Max retries exceeded|Could not fetch URL|connection error|ProxyError|SSLError")


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def _pins() -> dict[str, Requirement]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[req.name.lower()] = req
    return pins


def _lower_bound(req: Requirement) -> Version:
    [lower] = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
    return lower


def test_every_runtime_dependency_is_pinned_at_its_lower_bound():
    """The constraints file follows pyproject: one pin per runtime dependency, inside its range, at its
    lower bound itself (``>=13`` pins 13.0.0: a bound no release matches is raised in pyproject to the
    first release that installs), with the same environment marker; nothing else pinned."""
    pins = _pins()
    reqs = _runtime_requirements()
    assert set(pins) == {r.name.lower() for r in reqs}
    for req in reqs:
        pin = pins[req.name.lower()]
        [spec] = list(pin.specifier)
        assert spec.operator == "==", pin
        version = Version(spec.version)
        assert version in req.specifier, f"{pin} is outside pyproject's {req}"
        assert version == _lower_bound(req), f"{pin} is not {req}'s lower bound"
        assert str(pin.marker or "") == str(req.marker or ""), f"{pin} and {req} apply to different Pythons"


def _copy_checkout(dest: Path) -> Path:
    """The checkout without build output or caches: pip builds in the tree it is given, and this one is shared."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        "build", "dist", "*.egg-info", ".git", "node_modules", ".hotlint_cache*", "__pycache__", ".venv", "venv"))
    return dest


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def _lsp_diagnostics(hotlint: Path, project: Path, env: dict) -> list[dict]:
    """The diagnostics a real ``hotlint lsp`` publishes for ``hot.cpp`` after initialize and didOpen."""
    proc = subprocess.Popen([str(hotlint), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=project, env=env)
    inbox: queue.Queue = queue.Queue()

    def read():
        while True:
            length = None
            while (line := proc.stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line or length is None:
                inbox.put(None)
                return
            inbox.put(json.loads(proc.stdout.read(length)))

    def send(message: dict):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        proc.stdin.flush()

    def until(predicate, what: str, deadline: float) -> dict:
        while True:
            left = deadline - time.monotonic()
            try:
                message = inbox.get(timeout=max(left, 0.01))
            except queue.Empty:
                pytest.fail(f"hotlint lsp sent no {what} within its time; stderr: {proc.stderr.read1(4000)!r}")
            if message is None:
                pytest.fail(f"hotlint lsp closed its output before {what}; stderr: {proc.stderr.read().decode()[-2000:]}")
            if "method" in message and "id" in message:  # a request from the server: answer it
                send({"id": message["id"], "result": None})
            if predicate(message):
                return message

    threading.Thread(target=read, daemon=True).start()
    uri = (project / "hot.cpp").as_uri()
    deadline = time.monotonic() + 60
    try:
        send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": project.as_uri(),
                                                           "capabilities": {}}})
        init = until(lambda m: m.get("id") == 1, "initialize response", deadline)
        assert "result" in init, init
        send({"method": "initialized", "params": {}})
        send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "cpp", "version": 1, "text": HOT_CPP}}})
        published = until(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and m["params"]["diagnostics"],
                          "diagnostics for hot.cpp", deadline)
        send({"id": 2, "method": "shutdown"})
        until(lambda m: m.get("id") == 2, "shutdown response", deadline)
        send({"method": "exit"})
        proc.wait(timeout=20)
        return published["params"]["diagnostics"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow  # a fresh virtual environment and a pip install from the package index (pip's cache helps)
def test_hotlint_runs_on_the_lowest_allowed_dependencies(tmp_path):
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    hotlint = venv / "bin" / "hotlint"
    checkout = _copy_checkout(tmp_path / "src")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    install = _run([str(python), "-m", "pip", "install", "-vv", "--disable-pip-version-check", "--constraint",
                    str(CONSTRAINTS), str(checkout)], env=env, timeout=600)
    if install.returncode != 0:
        # -vv: pip names an index it cannot reach only in its debug lines; show the lines that say why
        output = "\n".join(line for line in (install.stdout + install.stderr).splitlines() if re.search(
            r"ERROR|conflict|depends on|requested|Could not fetch|Retrying|No matching|Could not find", line))[-4000:]
        unreachable = _OFFLINE.search(install.stdout + install.stderr)
        if unreachable:
            pytest.fail("cannot install the lowest dependency versions: the package index is unreachable "
                        f"({unreachable.group(0)}); this test needs a network (CI has one). pip said:\n" + output)
        pytest.fail("pip cannot install hotlint with .ci/lowest-constraints.txt (a pin pyproject's ranges reject, or "
                    "a release with no wheel for this Python/platform: raise the bound in pyproject and the pin):\n"
                    + output)

    # The environment holds exactly the pinned releases.
    frozen = _run([str(python), "-m", "pip", "list", "--format", "json"], env=env)
    installed = {p["name"].lower(): p["version"] for p in json.loads(frozen.stdout)}
    for name, pin in _pins().items():
        if pin.marker is None or pin.marker.evaluate():
            [spec] = list(pin.specifier)
            assert Version(installed.get(name, "0")) == Version(spec.version), (name, installed.get(name))
    print("installed:", ", ".join(f"{n}=={installed[n]}" for n in sorted(_pins()) if n in installed))

    version = _run([str(hotlint), "--version"], env=env)
    assert version.returncode == 0 and version.stdout.startswith("hotlint "), version
    rules = _run([str(hotlint), "rules"], env=env)
    assert rules.returncode == 0, rules.stderr
    assert "seq-cst-default" in rules.stdout and "alloc-in-loop" in rules.stdout

    # A project with a finding, and a copy of it in a .gitignored folder that a folder walk skips.
    project = tmp_path / "project"
    (project / "generated").mkdir(parents=True)
    (project / "hot.cpp").write_text(HOT_CPP)
    (project / "generated" / "hot_copy.cpp").write_text(HOT_CPP)
    (project / ".gitignore").write_text("generated/\n")
    (project / ".git").mkdir()  # the root a .gitignore belongs to

    lint = [str(hotlint), "--min-severity", "info", "--no-cache", "."]
    result = _run(lint + ["--format", "json"], cwd=project, env=env)
    assert result.returncode == 1 and result.stdout.startswith("{"), result.stderr[-3000:]  # 1: findings
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    found = {(d["path"], d["line"], d["rule"]) for d in report["diagnostics"]}
    assert found == {("hot.cpp", FINDING_LINE, "seq-cst-default")}, found

    text = _run(lint, cwd=project, env={**env, "FORCE_COLOR": "1", "COLUMNS": "100"})
    assert text.returncode == 1, text.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text.stdout)
    assert f"hot.cpp:{FINDING_LINE}:" in plain and "[seq-cst-default]" in plain and "\x1b[" in text.stdout, plain

    completion = _run([str(hotlint), "completion", "bash"], env=env)
    assert completion.returncode == 0, completion.stderr
    assert "--min-severity" in completion.stdout and "complete " in completion.stdout

    demangled = _run([str(python), "-c", "from hotlint.profile.names import demangle; "
                      "print(demangle(['_ZN5queue4pushEi']))"], env=env)
    assert demangled.returncode == 0, demangled.stderr
    assert "({'_ZN5queue4pushEi': 'queue::push(int)'}, None)" in demangled.stdout, demangled.stdout

    diagnostics = _lsp_diagnostics(hotlint, project, env)
    assert any(d.get("code") == "seq-cst-default" and d["range"]["start"]["line"] == FINDING_LINE - 1
               for d in diagnostics), diagnostics
