"""Declaration units: a quick answer for an edit anywhere in a file, then the whole file's.

Reparsing a C++20 file is slow wherever the edit is: clang instantiates every
``constexpr`` function the moment it is referenced, libstdc++'s containers are
``constexpr``, and everything below the ``#include`` lines is parsed again (a prefix
unit, see ``prefix``, saves only what lies above the edited declaration: nothing when
the edit is in the first one). The rules then walk the whole file again.

Yet an edit inside one declaration at file or namespace scope (a class, a function)
changes what is written in that declaration only. A *declaration unit* is a
translation unit holding just that declaration ``D``:

- the *head* (everything above ``D``) is a virtual header, precompiled once, as in a
  prefix unit (the main file starts with the head blanked and one ``#include``);
- then ``D`` as the user wrote it, at its own bytes, lines and columns;
- then nothing: the file below ``D`` is cut off (namespaces open around ``D`` are closed).

Each edit inside ``D`` reparses only ``D``; in either unit the rules walk only ``D``. The quick
result (``merge``) is the last whole-file result with its findings inside ``D`` replaced
by the declaration unit's. It is used only when that is a faithful picture of the new
text: the edit lies inside ``D`` and keeps the number of lines (so every position
outside ``D`` is where it was, and so is every line a message names), neither result
has a parse error, and no kept finding or fix touches the edited bytes. Otherwise the
server waits for the whole-file analysis.

What ``D`` does to the rest of the file (a loop that now names a field of a record
declared above, a callee whose body now allocates) shows in the whole-file analysis,
which the server runs on a second worker once typing pauses (``server.WHOLE_FILE_AFTER``)
and publishes for the same version: a quick answer is never the last word on a version
the user stops at.

A quick answer comes from one of two units per file. The *truncated unit* is the
worker's whole-file unit (its ``#include`` lines precompiled when the file was opened)
reparsed with the text up to the end of ``D``: cheap near the top of the file. When
what lies above ``D`` is larger than ``D`` and that reparse is slow, a *declaration
unit* (above) is built on a thread and answers once ready.

This module runs in the worker (``DeclUnits``) and in the server (``merge``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..analysis.kinds import K
from ..positions import ByteOffsets
from . import prefix


log = logging.getLogger("hotlint.lsp.worker")


class Declined(Exception):
    """No quick answer for this edit (the reason, for the log)."""


@dataclass
class Edit:
    """Where two texts differ: bytes ``[start, old_end)`` of the old became ``[start, new_end)``."""

    start: int
    old_end: int
    new_end: int


def difference(old: bytes, new: bytes) -> Optional[Edit]:
    """The one span the texts differ in (None when equal): common prefix and suffix removed."""
    start = prefix.first_difference(old, new)
    if start is None:
        return None
    room = min(len(old), len(new)) - start
    lo, hi = 0, room  # the longest common suffix within the room, by binary search (compared in C)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid:] == new[len(new) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return Edit(start, len(old) - lo, len(new) - lo)


@dataclass(frozen=True)
class Region:
    """The declaration an edit is in, with the rest of its last line: bytes ``[start, old_end)``
    of the base text are bytes ``[start, new_end)`` of the edited one."""

    start: int
    old_end: int
    new_end: int
    split: prefix.Split
    decl: int  # where the declaration itself starts (at ``start`` or further on that line)

    def to_json(self) -> dict:
        return {"start": self.start, "old_end": self.old_end, "new_end": self.new_end}


def _line_end(data: bytes, at: int) -> int:
    """Where the line holding byte ``at`` ends (its line break, or the end of the text)."""
    ends = [i for i in (data.find(b"\n", at), data.find(b"\r", at)) if i != -1]
    return min(ends) if ends else len(data)


def region_of(base: bytes, text: bytes, outline: list) -> tuple[Region, Edit]:
    """The declaration of ``base`` holding the edit that made ``text``, or ``Declined``."""
    edit = difference(base, text)
    if edit is None:
        raise Declined("the text is the one last analyzed")
    found = prefix.enclosing([prefix.Decl.from_json(d) for d in outline], edit.start, base)
    if found is None:
        raise Declined("the edit is in no declaration that can be cut out")
    split, decl = found
    if edit.start <= decl.start or edit.old_end >= decl.end:
        raise Declined("the edit reaches the edge of its declaration")
    old_span, new_span = base[edit.start:edit.old_end], text[edit.start:edit.new_end]
    if b"\r" in old_span or b"\r" in new_span or old_span.count(b"\n") != new_span.count(b"\n"):
        raise Declined("the edit adds or removes lines")
    end = _line_end(base, decl.end - 1)
    return Region(split.offset, end, end + len(text) - len(base), split, decl.start), edit


@dataclass
class DeclUnit:
    """A unit of the head (precompiled, as a header) and one declaration below it."""

    tu: Any
    args: list[str]
    used: list[str]
    notes: list[str]
    split: prefix.Split
    start: int  # where the declaration starts
    head: bytes  # the text above the split
    header: str
    header_text: str
    main_head: bytes

    def key(self) -> tuple:
        return (self.split, self.head, tuple(self.args), self.start)


@dataclass
class _Build:
    thread: threading.Thread
    key: tuple
    unit: Optional[DeclUnit] = None


# a declaration whose truncated reparse takes longer than this gets a unit of its own, built on a thread
OWN_UNIT_AFTER_MS = 30.0


class DeclUnits:
    """The fast path's units. Per file: the truncated unit (the worker's whole-file unit, reparsed
    with the text up to the end of the edited declaration) and the declaration unit of the
    declaration last edited, built in the background the first time an edit there is slow while
    more lies above it than in it; until it is ready the truncated unit answers."""

    def __init__(self, own_unit_after_ms: float = OWN_UNIT_AFTER_MS):
        self.units: dict[str, DeclUnit] = {}
        self.builds: dict[str, _Build] = {}
        self.own_unit_after_ms = own_unit_after_ms

    def close(self, path: str) -> None:
        from .. import clang

        build = self.builds.pop(path, None)
        if build is not None:
            build.thread.join()
        unit = self.units.pop(path, None)
        if unit is not None:
            clang.unalias_file(unit.header)

    def settle(self) -> None:
        for build in list(self.builds.values()):
            build.thread.join()

    def _adopt(self, path: str) -> None:
        from .. import clang

        build = self.builds.get(path)
        if build is None or build.thread.is_alive():
            return
        del self.builds[path]
        if build.unit is None:
            return
        old = self.units.pop(path, None)
        if old is not None:
            clang.unalias_file(old.header)
        self.units[path] = build.unit

    def _build(self, path: str, data: bytes, region: Region, args: list[str], used: list[str],
               notes: list[str]) -> None:
        """Start building the declaration unit for ``region`` on a thread (libclang only)."""
        from .. import clang
        from .worker import PREFIX_OPTIONS  # the head is precompiled whole, as a prefix unit's

        split = region.split
        main_head = prefix.blanked_head(data, split, path)
        if main_head is None or path in self.builds:
            return
        header = prefix.header_path(path)
        header_text = prefix.head_text(data, split).decode()
        unit = DeclUnit(None, list(args), list(used), list(notes), split, region.start, data[:split.offset], header,
                        header_text, main_head)
        main = (main_head + data[split.offset:region.new_end] + _closing(split)).decode()

        def run():
            try:
                unit.tu = clang.parse(path, unit.used, main, PREFIX_OPTIONS, None, [(header, header_text)])
                build.unit = unit
            except Exception as exc:  # noqa: BLE001 - the truncated unit goes on answering
                log.info("%s: no declaration unit: %s", os.path.basename(path), exc)

        build = _Build(threading.Thread(target=run, daemon=True, name="hotlint-decl"), unit.key())
        self.builds[path] = build
        build.thread.start()

    def analyze(self, path: str, text: str, args: list[str], engine_options, base: str, outline: list,
                truncated: Callable[[str, str, list[str]], tuple]) -> dict:
        """The findings of the edited declaration (``Declined`` when there is no quick answer).
        ``truncated(path, text, args)`` reparses the file's whole-file unit with ``text`` and
        returns ``(tu, flags used, notes)``."""
        from .. import clang
        from ..engine import analyze_unit_with_view

        started = time.perf_counter()
        data, old = text.encode(), base.encode()
        region, edit = region_of(old, data, outline)
        split = region.split
        self._adopt(path)
        unit = self.units.get(path)
        key = (split, data[:split.offset], tuple(args), region.start)
        if unit is not None and unit.key() == key:
            main = unit.main_head + data[split.offset:region.new_end] + _closing(split)
            try:
                clang.reparse(unit.tu, path, main.decode(), 0, [(unit.header, unit.header_text)])
            except clang.ParseFailure as exc:
                self.units.pop(path, None)
                clang.unalias_file(unit.header)
                raise Declined(f"the declaration unit could not be reparsed: {exc}") from None
            tu, used, notes, how = unit.tu, unit.used, unit.notes, "declaration unit"
            clang.alias_file(unit.header, path)  # the head is reported where it is written, in the file
        else:
            main = data[:region.new_end] + _closing(split)
            try:
                tu, used, notes = truncated(path, main.decode(), list(args))
            except clang.ParseFailure as exc:
                raise Declined(f"the truncated unit could not be parsed: {exc}") from None
            how = "truncated unit"
            if unit is not None and unit.key() != key:  # another declaration's: dropped
                self.units.pop(path, None)
                clang.unalias_file(unit.header)
            # a unit of its own pays when parsing what is above the declaration costs more than the
            # declaration itself (told by their sizes below the #include lines)
            above = split.offset - min((d[0] for d in outline), default=0)
            if (time.perf_counter() - started) * 1000 > self.own_unit_after_ms \
                    and above > region.new_end - split.offset \
                    and (path not in self.builds or self.builds[path].key != key):
                if path in self.builds:
                    self.builds.pop(path).thread.join()
                self._build(path, data, region, args, used, notes)
        parse_ms = round((time.perf_counter() - started) * 1000, 1)
        errors, _ = clang.error_records(tu, path)
        if errors:
            raise Declined(f"the declaration does not parse alone: {errors[0].message}")
        roots = _declaration_roots(clang.main_file_roots(tu, path), data, region.decl)
        if not roots:
            raise Declined("the declaration was not found in its unit")
        result, _ = analyze_unit_with_view(tu, path, text, used, engine_options, roots=roots)
        if result.errors:
            raise Declined(f"the analysis of the declaration failed: {result.errors[0].message}")
        offsets = ByteOffsets(data)
        inside = [d.to_json() for d in result.diagnostics
                  if os.path.abspath(d.path) == os.path.abspath(path)
                  and region.start <= offsets.of(d.range.start.line, d.range.start.column) < region.new_end]
        return {"diagnostics": inside, "warnings": notes, "region": region.to_json(),
                "edit": {"start": edit.start, "old_end": edit.old_end, "new_end": edit.new_end},
                "parse_ms": parse_ms, "unit": how}


def _closing(split: prefix.Split) -> bytes:
    """What ends a unit cut after the declaration: the namespaces open around it closed."""
    return b"\n" + b"}" * len(split.openers) + b"\n"


def _declaration_roots(roots, data: bytes, start: int) -> list:
    """The declaration starting at byte ``start`` among ``roots``, looked for inside namespaces."""
    offsets = ByteOffsets(data)
    pending = list(roots)
    while pending:
        node = pending.pop(0)
        r = node.range
        begin = offsets.of(r.start.line, r.start.column)
        end = offsets.of(r.end.line, r.end.column)
        if begin == start and node.kind != K.NAMESPACE:
            return [node]
        if node.kind == K.NAMESPACE and begin <= start < end:
            pending[:0] = [c for c in node.children if c.is_declaration]
    return []


def _json_ranges(d: dict):
    """Every range a finding's JSON holds (its own and its fix's edits), as ((line, column), (line, column))."""
    yield (d["line"], d["column"]), (d.get("end_line", d["line"]), d.get("end_column", d["column"]))
    for e in (d.get("fix") or {}).get("edits", ()):
        yield (e["line"], e["column"]), (e["end_line"], e["end_column"])


def edited_lines(base_text: str, edit: dict) -> tuple[int, int]:
    """The first and last line (1-based) of the base text that an edit (``Edit`` as JSON) touches."""
    starts = ByteOffsets(base_text.encode()).starts
    return bisect_right(starts, edit["start"]), bisect_right(starts, edit["old_end"])


def merge(base_result: dict, base_text: str, fast: dict) -> dict:
    """The base result (the whole file's, for ``base_text``) with the findings inside the edited
    declaration replaced by the declaration unit's (``DeclUnits.analyze``'s reply). ``Declined``
    when a kept finding or its fix touches the edited bytes."""
    if base_result.get("errors"):
        raise Declined("the last whole-file result has errors")
    region, edit = fast["region"], fast["edit"]
    old = base_text.encode()
    offsets = ByteOffsets(old)
    kept = []
    for d in base_result.get("diagnostics", ()):
        if region["start"] <= offsets.of(d["line"], d["column"]) < region["old_end"]:
            continue  # the declaration unit says what is found there now
        for start, end in _json_ranges(d):
            if offsets.of(*start) <= edit["old_end"] and offsets.of(*end) >= edit["start"]:
                raise Declined(f"a {d['rule']} finding outside the declaration touches the edited text")
        kept.append(d)
    merged = dict(base_result)
    diagnostics = kept + list(fast["diagnostics"])
    diagnostics.sort(key=lambda d: (d["path"], d["line"], d["column"], d["rule"], d["message"]))
    merged["diagnostics"] = diagnostics
    merged["warnings"] = list(fast.get("warnings") or base_result.get("warnings") or [])
    return merged
