"""Every fixture's findings pinned, in full, by a snapshot stored beside it.

Each ``fixtures/<rule>/<name>.snap`` holds, per diagnostic: its range, severity, rule, message,
notes, the fix's description and applicability, and the fix applied on its own as a unified diff.
A change to what hotlint says about a fixture shows up as a diff of that file in review.

Regenerate after an intended change (then read the diff):

    python -m pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from conftest import FIXTURES, engine_diagnostics, parse_expectations

CASES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".cpp", ".c", ".h", ".hpp"))


class BesideTheFixture(SingleFileSnapshotExtension):
    """One text file per fixture, next to it: ``fixtures/<rule>/<name>.snap`` (the test's
    parameter id is ``<rule>/<name>``)."""

    _write_mode = WriteMode.TEXT
    file_extension = "snap"

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(FIXTURES)

    @classmethod
    def discovery_dirname(cls, *, test_location) -> str:
        return str(FIXTURES)

    @classmethod
    def get_file_basename(cls, *, test_location, index) -> str:
        name = test_location.snapshot_name
        return name[name.index("[") + 1:name.rindex("]")]

    @classmethod
    def matches_test_location(cls, *, test_location, snapshot_location) -> bool:
        return Path(snapshot_location) == Path(FIXTURES, cls.get_file_basename(
            test_location=test_location, index=0) + ".snap")


def rendered(path: Path) -> str:
    from hotlint.fixes import apply_edits, unified_diff

    text, _ = parse_expectations(path.read_text())
    result = engine_diagnostics(path, text)
    name = f"{path.parent.name}/{path.name}"
    out = [f"# hotlint's findings on fixtures/{name} (tests/test_snapshots.py; regenerate with --snapshot-update)"]
    for e in result.errors:
        out.append(f"error {e.line}:{e.column} [{e.kind}] {e.message}")
    for d in result.diagnostics:
        r = d.range
        out.append("")
        out.append(f"{r.start.line}:{r.start.column}-{r.end.line}:{r.end.column} {d.severity.value} [{d.rule}] "
                   f"{d.message}")
        out.extend(f"  note: {n}" for n in d.notes)
        if d.fix is not None:
            out.append(f"  fix ({d.fix.applicability.value}): {d.fix.description}")
            diff = unified_diff(name, text, apply_edits(text, d.fix.edits))
            out.extend("    " + line for line in diff.splitlines())
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_snapshot(path, snapshot):
    assert rendered(path) == snapshot(extension_class=BesideTheFixture)


def test_every_fixture_has_a_snapshot_and_every_snapshot_a_fixture():
    snaps = {p.with_suffix("") for p in FIXTURES.glob("*/*.snap")}
    assert snaps == set(CASES), "run `python -m pytest tests/test_snapshots.py --snapshot-update`"
