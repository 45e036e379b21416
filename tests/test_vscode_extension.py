"""The VS Code extension builds with npm and packages to a .vsix offline (no marketplace); a
workspace cannot choose what it runs, and only a trusted workspace lets the server load the
project's rule packs."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest

from conftest import ROOT

EXTENSION = ROOT / "editors" / "vscode"
MACHINE_SETTINGS = {"hotlint.path", "hotlint.args", "hotlint.extraArgs", "hotlint.profile"}

pytestmark = [pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed"),
              pytest.mark.slow]  # npm install, a TypeScript build and vsce packaging


def npm(*args: str, cwd) -> None:
    proc = subprocess.run([shutil.which("npm"), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"npm {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The extension packaged to a .vsix, and src/launch.ts compiled alone to plain JavaScript."""
    tmp = tmp_path_factory.mktemp("vscode")
    work = tmp / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    npm("ci", "--no-audit", "--no-fund", cwd=work)
    npm("run", "compile", cwd=work)
    npm("exec", "--", "vsce", "package", "--no-dependencies", "--allow-missing-repository",
        "--out", str(tmp / "hotlint.vsix"), cwd=work)
    npm("exec", "--", "esbuild", "src/launch.ts", f"--outfile={tmp / 'launch.js'}", "--format=cjs",
        "--platform=node", "--target=node18", cwd=work)
    return tmp


def test_extension_compiles_and_packages(built):
    with zipfile.ZipFile(built / "hotlint.vsix") as vsix:
        names = set(vsix.namelist())
        manifest = json.loads(vsix.read("extension/package.json"))
        bundle = vsix.read("extension/out/extension.js").decode()
    assert manifest["main"] == "./out/extension.js"
    assert {"hotlint.path", "hotlint.args"} <= set(manifest["contributes"]["configuration"]["properties"])
    assert {"extension/README.md", "extension/LICENSE.txt"} <= names
    assert not any(n.startswith("extension/node_modules/") or n.startswith("extension/src/") for n in names)
    # the language client is bundled: the package needs no node_modules at run time
    assert "vscode-languageclient" in bundle or "LanguageClient" in bundle
    # ... and so is launch.ts, which the tests below run
    assert "HOTLINT_TRUSTED_FOLDERS" in bundle


def test_manifest_keeps_the_command_out_of_the_workspace(built):
    with zipfile.ZipFile(built / "hotlint.vsix") as vsix:
        manifest = json.loads(vsix.read("extension/package.json"))
    properties = manifest["contributes"]["configuration"]["properties"]
    # VS Code ignores a workspace's value of a machine-scoped setting (machine-overridable would not)
    assert {name: properties[name].get("scope") for name in MACHINE_SETTINGS} == dict.fromkeys(
        MACHINE_SETTINGS, "machine")
    untrusted = manifest["capabilities"]["untrustedWorkspaces"]
    assert untrusted["supported"] == "limited"
    assert untrusted["description"]
    assert set(untrusted["restrictedConfigurations"]) == MACHINE_SETTINGS | {"hotlint.compileCommands"}
    assert set(untrusted["restrictedConfigurations"]) <= set(properties)
    assert manifest["capabilities"]["virtualWorkspaces"]["supported"] is False


# Calls an export of the compiled launch.js with JSON arguments; `settings(values)` stands for a
# vscode.WorkspaceConfiguration whose `get` takes workspace values whatever the setting's scope
# (the worst case: an editor that ignores "scope").
_CALL = r"""
const launch = require(process.argv[1]);
const [name, args] = JSON.parse(process.argv[2]);
function settings(values) {
  return {
    inspect: (key) => values[key] && { key, ...values[key] },
    get: (key, fallback) => {
      const v = values[key] || {};
      return v.workspaceFolderValue ?? v.workspaceValue ?? v.globalValue ?? v.defaultValue ?? fallback;
    },
  };
}
const result = name.startsWith("server") && name !== "serverEnvironment"
  ? launch[name](settings(args[0])) : launch[name](...args);
process.stdout.write(JSON.stringify(result));
"""


def call(built, name: str, *args):
    proc = subprocess.run([shutil.which("node"), "-e", _CALL, str(built / "launch.js"), json.dumps([name, args])],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_untrusted_workspace_adds_no_trusted_folders(built):
    env = {"PATH": "/usr/bin", "HOME": "/home/u"}
    result = call(built, "serverEnvironment", False, ["/projects/one", "/projects/two"], env, ":")
    assert result == {"env": env, "skipped": []}
    # what the user's own environment trusts stays trusted
    env["HOTLINT_TRUSTED_FOLDERS"] = "/srv/mine"
    assert call(built, "serverEnvironment", False, ["/projects/one"], env, ":")["env"] == env


def test_trusted_workspace_appends_its_folders(built):
    env = {"PATH": "/usr/bin", "HOTLINT_TRUSTED_FOLDERS": "/srv/mine"}
    result = call(built, "serverEnvironment", True, ["/projects/one", "/projects/two"], env, ":")
    assert result == {"env": {"PATH": "/usr/bin", "HOTLINT_TRUSTED_FOLDERS": "/srv/mine:/projects/one:/projects/two"},
                      "skipped": []}
    result = call(built, "serverEnvironment", True, ["/projects/one", "/srv/mine"], {"PATH": "/usr/bin"}, ":")
    assert result["env"]["HOTLINT_TRUSTED_FOLDERS"] == "/projects/one:/srv/mine"
    # the delimiter is the platform's (path.delimiter) unless given
    result = call(built, "serverEnvironment", True, ["C:\\work\\one", "D:\\two"], {"HOTLINT_TRUSTED_FOLDERS": ""}, ";")
    assert result["env"]["HOTLINT_TRUSTED_FOLDERS"] == "C:\\work\\one;D:\\two"
    result = call(built, "serverEnvironment", True, ["/projects/one"], {})
    assert result["env"]["HOTLINT_TRUSTED_FOLDERS"] == "/projects/one"


def test_trusted_workspace_never_lists_a_folder_it_did_not_name(built):
    # "/projects/a:/home/u" would read back as two folders, the second never trusted
    env = {"HOTLINT_TRUSTED_FOLDERS": "/srv/mine"}
    result = call(built, "serverEnvironment", True, ["/projects/a:/home/u", "/projects/b", "/srv/mine"], env, ":")
    assert result == {"env": {"HOTLINT_TRUSTED_FOLDERS": "/srv/mine:/projects/b"}, "skipped": ["/projects/a:/home/u"]}


def test_workspace_values_never_choose_the_command_or_flags(built):
    hostile = {
        "path": {"defaultValue": "hotlint", "workspaceValue": "/tmp/evil"},
        "args": {"defaultValue": ["lsp"], "workspaceFolderValue": ["-c", "import os"]},
        "extraArgs": {"defaultValue": [], "workspaceValue": ["-Xclang", "-load"]},
        "profile": {"defaultValue": [], "workspaceValue": ["/dev/zero"]},
        "select": {"defaultValue": [], "workspaceValue": ["alloc-in-loop"]},
        "config": {"workspaceValue": "evil.toml"},
    }
    assert call(built, "serverCommand", hostile) == {"command": "hotlint", "args": ["lsp"]}
    sent = call(built, "serverSettings", hostile)
    # only the declared settings reach the server; window-scoped ones from the workspace do
    assert sent == {"select": ["alloc-in-loop"], "ignore": [], "extraArgs": [], "compileCommands": "",
                    "debounce": 250, "minSeverity": "", "profile": [], "hotThreshold": None,
                    "pullDiagnostics": False}
    users = {
        "path": {"defaultValue": "hotlint", "globalValue": "/opt/venv/bin/hotlint", "workspaceValue": "/tmp/evil"},
        "args": {"defaultValue": ["lsp"], "globalValue": ["lsp", "-v"]},
        "extraArgs": {"defaultValue": [], "globalValue": ["-I/opt/include"], "workspaceValue": ["-Xclang"]},
    }
    assert call(built, "serverCommand", users) == {"command": "/opt/venv/bin/hotlint", "args": ["lsp", "-v"]}
    assert call(built, "serverSettings", users)["extraArgs"] == ["-I/opt/include"]
