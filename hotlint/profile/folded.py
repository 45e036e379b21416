"""Folded stacks, one stack a line, root first: ``main;World::step;operator new 1234``, the
export of perf (stackcollapse-perf), pprof, bpftrace, async-profiler and others. A frame may end
with its source position, ``name file:line``, ``name [file:line]`` or ``name (file:line)``, and
may carry stackcollapse's annotation (``_[k]`` kernel, ``_[i]`` inlined, ``_[j]`` JIT)."""

from __future__ import annotations

import math
from typing import Optional, Union

from .builder import Frame, ProfileBuilder
from .model import Profile, ProfileError
from .names import counted

_ANNOTATIONS = ("_[k]", "_[i]", "_[j]", "_[w]")


def _count(token: str) -> Optional[Union[int, float]]:
    if token.isdigit():
        return int(token)
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _line(text: str) -> Optional[tuple[list[str], Union[int, float]]]:
    parts = text.rsplit(None, 1)
    if len(parts) != 2:
        return None
    stack, count = parts
    value = _count(count) if stack.strip() else None
    if value is None:
        return None
    return stack.strip().split(";"), value


def _position(frame: str) -> tuple[str, Optional[str], Optional[int]]:
    """``name``, file and line of a frame written ``name file:line`` / ``[file:line]`` /
    ``(file:line)``; a frame without a position is all name."""
    f = frame.strip()
    for ann in _ANNOTATIONS:
        if f.endswith(ann):
            f = f[:-len(ann)]
            break
    body, closing = f, ""
    if f.endswith("]") or f.endswith(")"):
        opening = "[" if f.endswith("]") else "("
        i = f.rfind(opening)
        if i <= 0:
            return f, None, None
        body, closing = f[:i], f[i + 1:-1]
        place = closing
    else:
        i = f.rfind(" ")
        if i <= 0:
            return f, None, None
        body, place = f[:i], f[i + 1:]
    file, colon, number = place.rpartition(":")
    if not colon or not file or not number.isdigit() or " " in file or (closing and "(" in file):
        return f, None, None
    name = body.rstrip()
    if not name:
        return f, None, None
    return name, file, int(number)


def looks_like(lines: list[str]) -> bool:
    """The first line, and most of the first lines, are ``frame;frame... count``."""
    meaningful = [ln for ln in lines if ln.strip()][:20]
    if not meaningful or _line(meaningful[0]) is None:
        return False
    return 4 * sum(_line(ln) is not None for ln in meaningful) >= 3 * len(meaningful)


def parse(text: str, path: str) -> Profile:
    builder = ProfileBuilder(path, "folded", "samples")
    bad: list[int] = []
    stacks = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parsed = _line(raw)
        if parsed is None:
            bad.append(lineno)
            continue
        frames, count = parsed
        leaf_first: list[Frame] = []
        for frame in reversed(frames):
            name, file, line = _position(frame)
            leaf_first.append((name, None, file, line))
        builder.add_stack(leaf_first, count)
        stacks += 1
    if not stacks:
        raise ProfileError(path, "has no folded stack in it")
    if bad:
        builder.note(f"{path}: {counted(len(bad), 'line')} not of the form `frame;frame count` skipped "
                     f"(the first is line {bad[0]})")
    return builder.build()
