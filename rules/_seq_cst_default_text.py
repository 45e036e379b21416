"""Source text at clang ranges (1-based lines, 1-based UTF-8 byte columns, end exclusive),
shared by seq-cst-default and alloc-in-loop to build and check their edits."""

from __future__ import annotations

import os
from typing import Optional

from hotlint.model import Position, Range


def _lines(view) -> list[bytes]:
    cached = getattr(view, "_hotlint_byte_lines", None)
    if cached is None:
        cached = [line.encode("utf-8") for line in view.text.split("\n")]
        view._hotlint_byte_lines = cached
    return cached


def text_at(view, r: Range) -> Optional[str]:
    """The text ``r`` covers, or None when it does not lie in the file."""
    lines = _lines(view)
    s, e = r.start, r.end
    if not (0 < s.line <= len(lines) and 0 < e.line <= len(lines)) or e < s:
        return None
    if s.line == e.line:
        chunk = lines[s.line - 1][s.column - 1:e.column - 1]
    else:
        parts = [lines[s.line - 1][s.column - 1:]]
        parts.extend(lines[s.line:e.line - 1])
        parts.append(lines[e.line - 1][:e.column - 1])
        chunk = b"\n".join(parts)
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None


def line_indent(view, line: int) -> str:
    lines = _lines(view)
    if not 0 < line <= len(lines):
        return ""
    raw = lines[line - 1].decode("utf-8", errors="replace")
    return raw[: len(raw) - len(raw.lstrip(" \t"))]


def shifted(p: Position, columns: int) -> Position:
    return Position(p.line, p.column + columns)


def in_main_file(view, node) -> bool:
    f = node.file
    return f is not None and os.path.abspath(f) == os.path.abspath(view.path)
