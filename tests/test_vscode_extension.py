"""The VS Code extension builds with npm and packages to a .vsix offline (no marketplace)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest

from conftest import ROOT

EXTENSION = ROOT / "editors" / "vscode"

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")


def npm(*args: str, cwd) -> None:
    proc = subprocess.run([shutil.which("npm"), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"npm {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


def test_extension_compiles_and_packages(tmp_path):
    work = tmp_path / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    npm("ci", "--no-audit", "--no-fund", cwd=work)
    npm("run", "compile", cwd=work)
    npm("exec", "--", "vsce", "package", "--no-dependencies", "--allow-missing-repository",
        "--out", str(tmp_path / "hotlint.vsix"), cwd=work)

    with zipfile.ZipFile(tmp_path / "hotlint.vsix") as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        bundle = vsix.read("extension/out/extension.js").decode()
    assert manifest["main"] == "./out/extension.js"
    assert {"hotlint.path", "hotlint.args"} <= set(manifest["contributes"]["configuration"]["properties"])
    assert {"extension/README.md", "extension/LICENSE.txt"} <= names
    assert not any(n.startswith("extension/node_modules/") or n.startswith("extension/src/") for n in names)
    # the language client is bundled: the package needs no node_modules at run time
    assert "vscode-languageclient" in bundle or "LanguageClient" in bundle
