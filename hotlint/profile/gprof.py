"""gprof's flat profile (``gprof -b -p prog gmon.out``): self seconds per function and, for code
built with ``-pg``, calls and the total (self and descendants) time per call. With ``gprof -l``
a row is a source line: ``name (file:line @ addr)``."""

from __future__ import annotations

import re
from typing import Optional

from .builder import ProfileBuilder
from .model import Profile, ProfileError

_PER_CALL = {"Ks/call": 1000.0, "s/call": 1.0, "ms/call": 1e-3, "us/call": 1e-6, "ns/call": 1e-9}


def looks_like(lines: list[str]) -> bool:
    return any(ln.strip() == "Flat profile:" for ln in lines)


_ROW = re.compile(
    r"\s*(?P<pct>\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?\s+(?P<self>\d+(?:\.\d+)?)\s+"
    r"(?:(?P<calls>\d+)\s+\d+(?:\.\d+)?\s+(?P<total>\d+(?:\.\d+)?)\s+)?(?P<name>\S.*)$")


def _row(text: str) -> Optional[tuple[float, Optional[int], Optional[float], str]]:
    """Self seconds, calls, total time per call (in the table's unit) and the name of one row;
    the name is the rest of the line as written (it can hold blanks: ``f(int, char)``)."""
    m = _ROW.match(text.rstrip())
    if not m:
        return None
    calls = int(m.group("calls")) if m.group("calls") else None
    total = float(m.group("total")) if m.group("total") else None
    return float(m.group("self")), calls, total, m.group("name")


def _name(text: str) -> tuple[str, Optional[str], Optional[int]]:
    """The function's name without gprof's `` [12]`` index and `` <cycle 1>``, and the source
    position ``gprof -l`` writes after it (`` (world.cpp:32 @ 401136)``)."""
    name = text.strip()
    if name.endswith("]"):
        i = name.rfind(" [")
        if i > 0 and name[i + 2:-1].isdigit():
            name = name[:i].rstrip()
    if name.endswith(">"):
        i = name.rfind(" <cycle ")
        if i > 0 and name[i + 8:-1].isdigit():
            name = name[:i].rstrip()
    if name.endswith(")"):
        i = name.rfind(" (")
        place = name[i + 2:-1].split(" @ ")[0] if i > 0 else ""
        file, colon, number = place.rpartition(":")
        if colon and file and number.isdigit():
            return name[:i].rstrip(), file, int(number)
    return name, None, None


def parse(text: str, path: str) -> Profile:
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "Flat profile:")
    header = None
    for i in range(start + 1, min(start + 12, len(lines))):
        if lines[i].split()[-1:] == ["name"]:
            header = i
            break
    if header is None:
        raise ProfileError(path, "has a `Flat profile:` line but no table under it (gprof's "
                                 "`%time cumulative self ... name` columns)")
    units = re.findall(r"\S+/call", lines[header])
    scale = _PER_CALL.get(units[-1]) if units else None
    builder = ProfileBuilder(path, "gprof", "seconds")
    rows = 0
    for ln in lines[header + 1:]:
        if not ln.strip():
            break
        row = _row(ln)
        if row is None:
            break
        self_s, calls, total_per_call, name = row
        name, file, line = _name(name)
        key = (name, file, None)
        builder.add_self(key, self_s, file, line)
        if calls is not None and total_per_call is not None and scale is not None:
            builder.set_inclusive(key, calls * total_per_call * scale)
        rows += 1
    if not rows:
        raise ProfileError(path, "has a gprof flat profile with no rows (was the program built "
                                 "with -pg and run to completion?)")
    return builder.build()
