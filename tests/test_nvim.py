"""A real editor: headless Neovim with editors/nvim receives hotlint's diagnostics for a fixture."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from conftest import FIXTURES, ROOT, parse_expectations

NVIM = shutil.which("nvim")
FIXTURE = FIXTURES / "padding-waste" / "bad.cpp"

INIT = """\
vim.opt.runtimepath:prepend({plugin})
require("hotlint").setup({{ cmd = {cmd}, settings = {{ debounce = 0 }} }})
"""

# Runs once the file is loaded (-c): waits, bounded, for the diagnostics, writes them, quits.
CHECK = """\
local received = vim.wait(120000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local out = {{ received = received, version = tostring(vim.version().major) .. "." .. tostring(vim.version().minor),
               diagnostics = {{}} }}
for _, d in ipairs(vim.diagnostic.get(0)) do
  local lsp = d.user_data and d.user_data.lsp or {{}}
  local shown = vim.diagnostic.config(nil, d.namespace).virtual_text
  local inline = type(shown) == "table" and shown.format and shown.format(d) or d.message
  table.insert(out.diagnostics, {{ line = d.lnum + 1, code = d.code or lsp.code, source = d.source,
                                  message = d.message, inline = inline }})
end
local f = io.open({result}, "w")
f:write(vim.fn.json_encode(out))
f:close()
vim.cmd("qa!")
"""


def lua_string(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid Lua string literal for these paths


@pytest.mark.slow  # a real editor and server
@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (CI installs Debian's neovim)")
def test_neovim_receives_the_fixture_diagnostics(tmp_path):
    cmd = "{" + ", ".join(lua_string(a) for a in (sys.executable, "-m", "hotlint", "lsp")) + "}"
    init = tmp_path / "init.lua"
    init.write_text(INIT.format(plugin=lua_string(str(ROOT / "editors" / "nvim")), cmd=cmd))
    check = tmp_path / "check.lua"
    result = tmp_path / "result.json"
    check.write_text(CHECK.format(result=lua_string(str(result))))
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}

    proc = subprocess.run([NVIM, "--headless", "--clean", "-u", str(init), str(FIXTURE), "-c", f"luafile {check}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert result.exists(), f"nvim exited {proc.returncode} without a result:\n{proc.stdout}\n{proc.stderr}"
    data = json.loads(result.read_text())
    assert data["received"], f"no diagnostics reached Neovim {data['version']}"

    _, expected = parse_expectations(FIXTURE.read_text())
    got = Counter((d["line"], d["code"]) for d in data["diagnostics"])
    assert got == expected
    assert {d["source"] for d in data["diagnostics"]} == {"hotlint"}
    # the inline text is the headline alone; the notes stay in the message the float shows
    for d in data["diagnostics"]:
        assert "\n" in d["message"] and d["inline"] == d["message"].split("\n")[0], d
