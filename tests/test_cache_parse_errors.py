"""A result with a parse error is cached like any other, and invalidated when the missing header
appears (through the real command line)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"
pytestmark = pytest.mark.usefixtures("trusted_projects")



def run(root: Path, *args: str):
    proc = run_cli(*args, "a.cpp", "other/ok.cpp", cwd=root, env={"HOTLINT_CACHE_DIR": str(root / ".cache")})
    m = re.search(r"\((\d+) from cache\)", proc.stdout)
    return proc, int(m.group(1)) if m else 0


@pytest.mark.parametrize("spelled, where", [
    ("gone.h", "gone.h"),  # beside the file
    ("sub/gone.h", "sub/gone.h"),  # in a folder that exists already
    ("new/deeper/gone.h", "new/deeper/gone.h"),  # in folders that do not exist yet
    ("lib.h", "inc/lib.h"),  # on an include path
])
def test_a_parse_error_is_cached_until_the_header_appears(tmp_path, spelled, where):
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n'
                                      f'extra-args = ["-I{(tmp_path / "inc").as_posix()}"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "inc").mkdir()
    write(tmp_path / "a.cpp", f'#include "{spelled}"\nstruct A {{ int a; }};\n')
    write(tmp_path / "other" / "ok.cpp", "struct B { int b; };\n")
    first, cached = run(tmp_path)
    assert first.returncode == 2 and f"'{spelled}' file not found" in first.stdout and cached == 0
    second, cached = run(tmp_path)
    assert cached == 2, second.stdout  # the parse error is served from the cache too
    assert second.returncode == 2 and f"'{spelled}' file not found" in second.stdout
    write(tmp_path / where, "#pragma once\nstruct FromHeader { int h; };\n")
    third, cached = run(tmp_path)
    # a.cpp parsed again, now cleanly (ok.cpp too when the header appeared on the include path it searches)
    assert cached == (0 if where.startswith("inc/") else 1) and third.returncode == 1, third.stdout
    assert "file not found" not in third.stdout
