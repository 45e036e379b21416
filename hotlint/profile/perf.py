"""``perf script`` text: one header line per sample, then its stack, leaf first, one indented
frame a line (``addr symbol+off (dso)``); ``perf script -F +srcline`` adds ``  file:line`` under
a frame. Samples are weighted by their period when the header has one (``perf record``'s
frequency mode gives each sample a different period), else counted."""

from __future__ import annotations

import re
from collections import Counter
from typing import Optional

from .builder import Frame, ProfileBuilder
from .model import Profile, ProfileError
from .names import counted

_OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")
_EVENT_MODIFIERS = re.compile(r":[ukhHGpPSDIWe]{1,5}$")
_PID = re.compile(r"-?\d+(?:/-?\d+)?$")
_CPU = re.compile(r"\[\d+\]$")
_TIME = re.compile(r"\d+\.\d+:$")
_HEX = re.compile(r"[0-9a-fA-F]+$")


class _Header:
    def __init__(self, event: str, period: Optional[int], rest: str):
        self.event = event
        self.period = period
        self.rest = rest


def _header(line: str) -> Optional[_Header]:
    """``comm pid[/tid] [cpu] time: [period] event: [ip sym (dso)]``, read by tokens (the command
    name can hold blanks), never by a pattern that could backtrack over a long line."""
    tokens = line.split()
    for i in range(1, len(tokens)):
        if not _PID.match(tokens[i]):
            continue
        j = i + 1
        if j < len(tokens) and _CPU.match(tokens[j]):
            j += 1
        if j < len(tokens) and _TIME.match(tokens[j]):
            j += 1
        period = None
        if j < len(tokens) and tokens[j].isdigit():
            period = int(tokens[j])
            j += 1
        if j < len(tokens) and len(tokens[j]) > 1 and tokens[j].endswith(":") and tokens[j][0] != ":":
            return _Header(_EVENT_MODIFIERS.sub("", tokens[j][:-1]), period, " ".join(tokens[j + 1:]))
    return None


def _frame(text: str) -> Optional[tuple[str, Optional[str]]]:
    """``addr symbol+off (dso)``: the symbol without its offset, and the dso."""
    s = text.strip()
    if not s.endswith(")"):
        return None
    depth = 0
    for i in range(len(s) - 1, -1, -1):  # the parenthesis that opens the dso
        if s[i] == ")":
            depth += 1
        elif s[i] == "(":
            depth -= 1
            if depth == 0:
                break
    else:
        return None
    dso = s[i + 1:-1].strip() or None
    head = s[:i].split(None, 1)
    if len(head) != 2 or not _HEX.match(head[0]):
        return None
    sym = _OFFSET.sub("", head[1].strip())
    if sym == "[unknown]":
        sym = f"[unknown in {dso}]" if dso and dso != "[unknown]" else "[unknown]"
    return sym, dso


def _srcline(text: str) -> Optional[tuple[str, int]]:
    """``  file:line`` under a frame (``perf script -F +srcline``); None for ``??:0``."""
    file, _, number = text.strip().rpartition(":")
    if not file or not number.isdigit() or file == "??" or not int(number):
        return None
    return file, int(number)


def looks_like(lines: list[str]) -> bool:
    """A sample header followed by an indented frame (or with the frame on it, without -g)."""
    meaningful = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    if not meaningful or meaningful[0][0].isspace():
        return False
    head = _header(meaningful[0])
    if head is None:
        return False
    if head.rest and _frame(head.rest):
        return True
    return len(meaningful) > 1 and meaningful[1][0].isspace() and _frame(meaningful[1]) is not None


def parse(text: str, path: str) -> Profile:
    events: Counter = Counter()
    samples: list[tuple[str, int, list[Frame]]] = []
    weighted = True
    bad: list[int] = []
    current: Optional[list[Frame]] = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            current = None
            continue
        if not line[0].isspace():
            head = _header(line)
            if head is None:
                bad.append(lineno)
                current = None
                continue
            weighted = weighted and head.period is not None
            current = []
            samples.append((head.event, head.period or 1, current))
            events[head.event] += 1
            frame = _frame(head.rest) if head.rest else None
            if frame:
                current.append((frame[0], frame[1], None, None))
            continue
        if current is None:
            bad.append(lineno)
            continue
        frame = _frame(line)
        if frame:
            current.append((frame[0], frame[1], None, None))
            continue
        if current:  # the srcline of the frame above; ``??:0`` and ``prog[1080]`` carry no line
            src = _srcline(line)
            if src is not None:
                name, dso, _, _ = current[-1]
                current[-1] = (name, dso, src[0], src[1])
            continue
        bad.append(lineno)
    if not samples:
        raise ProfileError(path, "is perf script output without any sample")
    event = events.most_common(1)[0][0]
    builder = ProfileBuilder(path, "perf-script", event if weighted else "samples")
    if len(events) > 1:
        others = ", ".join(f"{counted(n, 'sample')} of {e}" for e, n in events.items() if e != event)
        builder.note(f"{path}: the profile mixes events; only its {counted(events[event], 'sample')} of "
                     f"{event} are used, not its {others}")
    empty = 0
    for ev, period, frames in samples:
        if ev != event:
            continue
        if not frames:
            empty += 1
            continue
        builder.add_stack(frames, period if weighted else 1)
    if empty:
        builder.note(f"{path}: {counted(empty, 'sample')} without a stack not counted")
    if bad:
        builder.note(f"{path}: {counted(len(bad), 'line')} that perf script does not write skipped "
                     f"(the first is line {bad[0]})")
    return builder.build()
