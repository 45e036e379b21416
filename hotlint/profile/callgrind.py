"""valgrind's callgrind output: costs per function, per source line and per call site.

The format (valgrind's "Callgrind Format Specification"): ``fl=``/``fi=``/``fe=`` switch the
source file of the following cost lines, ``fn=`` the function; ``cfi=``/``cfn=``/``calls=`` say
that the next cost line is the inclusive cost of calls from that line; ``(id) name`` defines a
compressed name and ``(id)`` repeats it; a position may be written relative to the previous cost
line's (``+n``, ``-n``, ``*``). Positions are read as KCachegrind reads them: every cost line,
call cost lines included, moves the current position; the target position of ``calls=`` and
``jump=`` does not.
"""

from __future__ import annotations

import re
from typing import Optional

from .builder import Key, ProfileBuilder
from .model import Profile, ProfileError

_COMPRESSED = re.compile(r"\((\d+)\)(?:\s+(.*))?$")
_HEADER = re.compile(r"([A-Za-z][A-Za-z ()]*):(.*)$")
_SPEC = re.compile(r"(ob|fl|fi|fe|fn|cob|cfi|cfl|cfn|calls|rcalls|jump|jcnd|jfi|jfn)=(.*)$")
_NO_FILE = "???"  # callgrind's file for code without debug information

_MARKERS = ("# callgrind format", "version:", "creator:", "events:", "positions:", "cmd:", "pid:")


def looks_like(lines: list[str]) -> bool:
    """The first lines of a callgrind file: its header keys, or ``events:`` near the top (how
    KCachegrind recognizes the format)."""
    meaningful = [ln for ln in lines if ln.strip()]
    if not meaningful:
        return False
    first = meaningful[0]
    if first.startswith("# callgrind format") or first.startswith("creator: callgrind"):
        return True
    heads = [ln for ln in meaningful if not ln.startswith("#")]
    return bool(heads) and heads[0].startswith(_MARKERS[1:]) and any(
        ln.startswith("events:") for ln in heads)


class _Parser:
    def __init__(self, path: str):
        self.path = path
        self.builder: Optional[ProfileBuilder] = None
        self.positions = ["line"]
        self.line_at: Optional[int] = 0
        self.last = [0]
        self.events: list[str] = []
        self.event_at = 0
        self.tables: dict[str, dict[str, object]] = {"file": {}, "fn": {}, "ob": {}}
        self.ob: Optional[str] = None
        self.file: Optional[str] = None
        self.fn: Optional[Key] = None
        self.cob: Optional[str] = None
        self.cfile: Optional[str] = None
        self.cfn: Optional[Key] = None
        self.pending_calls: Optional[int] = None
        self.jump_pending = False
        self.spent = 0
        self.totals: list[int] = []
        self.summaries: list[int] = []
        self.lineno = 0

    def fail(self, what: str) -> ProfileError:
        return ProfileError(self.path, f"line {self.lineno}: {what}; the callgrind file is damaged or truncated")

    # ------------------------------------------------------------------ names

    def _name(self, table: str, value: str) -> tuple[Optional[str], Optional[str]]:
        """(id, name) of a possibly compressed ``value``; name is None for a bare ``(id)``."""
        m = _COMPRESSED.match(value.strip())
        if not m:
            return None, value.strip()
        return m.group(1), m.group(2)

    def _string(self, table: str, value: str) -> str:
        cid, name = self._name(table, value)
        if cid is None:
            return name or ""
        if name is not None:
            self.tables[table][cid] = name
            return name
        if cid not in self.tables[table]:
            raise self.fail(f"the compressed name ({cid}) is used before it is defined")
        return self.tables[table][cid]  # type: ignore[return-value]

    def _function(self, value: str, file: Optional[str], ob: Optional[str]) -> Key:
        cid, name = self._name("fn", value)
        if cid is not None and name is None:
            key = self.tables["fn"].get(cid)
            if key is None:
                raise self.fail(f"the compressed function name ({cid}) is used before it is defined")
            return key  # type: ignore[return-value]
        key = (name or "", file if file != _NO_FILE else None, ob)
        if cid is not None:
            self.tables["fn"][cid] = key
        return key

    # ------------------------------------------------------------------ lines

    def _positions(self, tokens: list[str], update: bool) -> list[int]:
        out = []
        for i, tok in enumerate(tokens):
            try:
                if tok == "*":
                    v = self.last[i]
                elif tok[0] in "+-":
                    v = self.last[i] + int(tok)
                elif tok.startswith("0x"):
                    v = int(tok, 16)
                else:
                    v = int(tok)
            except (ValueError, IndexError):
                raise self.fail(f"`{tok}` is not a position") from None
            out.append(v)
        if update:
            self.last = out
        return out

    def _cost_line(self, text: str) -> None:
        if self.builder is None:
            raise self.fail("a cost line comes before the `events:` line")
        tokens = text.split()
        n = len(self.positions)
        if len(tokens) < n:
            raise self.fail(f"the cost line `{text.strip()}` has fewer than {n} positions")
        pos = self._positions(tokens[:n], update=True)
        line = pos[self.line_at] if self.line_at is not None else None
        values = tokens[n:]
        if self.jump_pending:  # the source position of a jump= / jcnd= line: no cost
            self.jump_pending = False
            return
        try:
            cost = int(values[self.event_at]) if self.event_at < len(values) else 0
        except ValueError:
            raise self.fail(f"`{values[self.event_at]}` is not a cost") from None
        if self.fn is None:
            raise self.fail("a cost line comes before any `fn=` line")
        file = self.file if self.file != _NO_FILE else None
        if self.pending_calls is not None:
            if self.cfn is None:
                raise self.fail("`calls=` has no `cfn=` before it")
            self.builder.add_call(self.fn, self.cfn, cost, file, line, self.pending_calls)
            self.pending_calls = None
            self.cfile = self.cob = None
        else:
            self.builder.add_self(self.fn, cost, file, line)
            self.spent += cost

    def _spec(self, key: str, value: str) -> None:
        if key == "ob":
            self.ob = self._string("ob", value)
        elif key in ("fl", "fi", "fe"):
            self.file = self._string("file", value)
        elif key == "fn":
            self.fn = self._function(value, self.file, self.ob)
        elif key == "cob":
            self.cob = self._string("ob", value)
        elif key in ("cfi", "cfl"):
            self.cfile = self._string("file", value)
        elif key == "cfn":
            self.cfn = self._function(value, self.cfile or self.file, self.cob or self.ob)
        elif key in ("calls", "rcalls"):
            parts = value.split()
            try:
                self.pending_calls = int(parts[0])
            except (ValueError, IndexError):
                raise self.fail(f"`calls={value}` has no call count") from None
        elif key in ("jump", "jcnd"):
            self.jump_pending = True
        elif key == "jfi":
            self._string("file", value)
        elif key == "jfn":
            self._function(value, self.file, self.ob)

    def _header(self, key: str, value: str) -> None:
        if key == "positions":
            self.positions = value.split() or ["line"]
            self.line_at = self.positions.index("line") if "line" in self.positions else None
            self.last = [0] * len(self.positions)
        elif key == "events":
            events = value.split()
            if not events:
                raise self.fail("`events:` names no event")
            unit = "Ir" if "Ir" in events else events[0]
            if self.builder is None:
                self.builder = ProfileBuilder(self.path, "callgrind", unit)
            elif unit not in events or unit != self.builder.unit:
                raise self.fail(f"a later part counts {' '.join(events)}, not {self.builder.unit}")
            self.events = events
            self.event_at = events.index(unit)
        elif key in ("summary", "totals"):
            if not self.events:
                raise self.fail(f"`{key}:` comes before the `events:` line")
            values = value.split()
            try:
                v = int(values[self.event_at]) if self.event_at < len(values) else 0
            except ValueError:
                raise self.fail(f"`{key}: {value.strip()}` is not a list of costs") from None
            (self.totals if key == "totals" else self.summaries).append(v)

    def parse(self, text: str) -> Profile:
        lines = text.splitlines()
        # valgrind writes whole lines: text after the last line end is a line cut off mid-way (a
        # copy or a run stopped while writing), whose numbers cannot be trusted; it is left out
        # and the `summary:`/`totals:` check below tells whether costs went with it
        cut_off = bool(lines) and not text.endswith(("\n", "\r"))
        if cut_off:
            lines.pop()
        for self.lineno, raw in enumerate(lines, start=1):
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                self._cost_line(line)
                continue
            m = _SPEC.match(line)
            if m:
                self._spec(m.group(1), m.group(2))
                continue
            m = _HEADER.match(line)
            if m:
                self._header(m.group(1).strip(), m.group(2))
                continue
            raise self.fail(f"`{line[:80]}` is not callgrind output")
        if self.builder is None:
            raise ProfileError(self.path, "is a callgrind file without an `events:` line: it was cut "
                                          "off before its first cost, or is not a profile")
        declared = sum(self.totals) if self.totals else sum(self.summaries) if self.summaries else None
        if declared is None:
            cut = f"its last line (line {len(lines) + 1}) is cut off and " if cut_off else ""
            self.builder.note(f"{self.path}: {cut}no `summary:` or `totals:` line, so whether the profile "
                              f"is complete cannot be checked")
        elif declared != self.spent:
            which = "totals" if self.totals else "summary"
            raise ProfileError(
                self.path,
                f"its costs add up to {self.spent:,} {self.builder.unit} but its `{which}:` line says "
                f"{declared:,}: the callgrind file is truncated or damaged (was valgrind still running?)")
        return self.builder.build(total=self.spent, inclusive_from_calls=True)


def parse(text: str, path: str) -> Profile:
    return _Parser(path).parse(text)
