"""Every rule's message is a headline: under 120 characters, what is wrong here and what to write
instead. The mechanism, figures and evidence are notes (printed once per rule in the text output,
in full in JSON, SARIF and the editor's hover).

Runs every fixture of every rule found under ``rules/``, so a new rule is held to it when it lands.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES, engine_diagnostics, parse_expectations

HEADLINE = 120
CASES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".cpp", ".c", ".h", ".hpp"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_message_on_the_fixtures_is_a_headline(path):
    text, _ = parse_expectations(path.read_text())
    long = [f"{d.range.start.line}: [{d.rule}] ({len(d.message)} characters) {d.message}"
            for d in engine_diagnostics(path, text).diagnostics if len(d.message) > HEADLINE]
    assert not long, "messages over 120 characters (move the mechanism and figures to notes):\n" + "\n".join(long)


def test_a_long_message_is_caught(tmp_path):
    """The check above sees messages at all: a fixture-shaped file with a finding gives one."""
    path = tmp_path / "pad.cpp"
    path.write_text("struct Rec { char a; double b; char c; };\nRec r;\n")
    messages = [d.message for d in engine_diagnostics(path).diagnostics]
    assert messages and all(0 < len(m) <= HEADLINE for m in messages), messages
