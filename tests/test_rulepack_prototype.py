"""A rule written only against the analysis layer, as the contributor's guide shows: one small
module, loaded as a rule pack, finding what it should on real C++."""

from __future__ import annotations

import ast

from conftest import ROOT, run_json

PACK = ROOT / "tests" / "data" / "rulepack_dispatch"


def test_the_prototype_rule_is_small_and_asks_only_the_layer():
    source = (PACK / "dispatch_in_loop.py").read_text()
    assert len(source.splitlines()) < 100
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"hotlint.analysis.control", "hotlint.analysis.expressions", "hotlint.analysis.kinds",
                        "hotlint.analysis.types", "hotlint.model", "hotlint.rule"}


def test_the_prototype_rule_finds_dispatch_the_loop_does_not_change(tmp_path):
    (tmp_path / "d.cpp").write_text((PACK / "example.cpp").read_text())
    (tmp_path / ".hotlint.toml").write_text(f'rule-paths = ["{PACK.as_posix()}"]\nselect = ["dispatch-in-loop"]\n')
    proc, data = run_json("--min-severity", "info", "--no-cache", "--trust", "d.cpp", cwd=tmp_path)
    assert data["errors"] == [], data
    # line 7: through a pointer that never changes; 22: a std::function; 27: through a reference.
    # Not line 12 or 32 (a final class), nor 17 (a different object each iteration).
    assert [(d["line"], d["rule"]) for d in data["diagnostics"]] == [
        (7, "dispatch-in-loop"), (22, "dispatch-in-loop"), (27, "dispatch-in-loop")]
