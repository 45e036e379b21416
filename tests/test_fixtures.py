"""Every fixture through the engine: good files silent, bad files exactly as annotated."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import FIXTURES, engine_diagnostics, parse_expectations

CASES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".cpp", ".c", ".h", ".hpp"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_matches_annotations(path):
    text, expected = parse_expectations(path.read_text())
    if path.stem.startswith("good"):
        assert not expected, "good files carry no expectations"
    result = engine_diagnostics(path, text)
    assert not result.errors, [e.message for e in result.errors]
    got = Counter((d.range.start.line, d.rule) for d in result.diagnostics)
    missing = expected - got
    unexpected = got - expected
    detail = "\n".join(f"  {d.range.start.line}:{d.range.start.column} [{d.rule}] {d.message}"
                       for d in result.diagnostics)
    assert not missing and not unexpected, (
        f"missing {sorted(missing.elements())}, unexpected {sorted(unexpected.elements())}\n{detail}"
    )


def test_every_rule_has_a_fixture_pair():
    from hotlint.rule import load_rules

    for name in load_rules().names():
        assert (FIXTURES / name / "bad.cpp").is_file(), name
        assert (FIXTURES / name / "good.cpp").is_file(), name
