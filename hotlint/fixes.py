"""Applying fixes: non-overlapping edits, a unified diff, and atomic writes that keep
the file's encoding, byte-order mark and line endings."""

from __future__ import annotations

import difflib
import os
import tempfile
from typing import Iterable

from .model import Applicability, Diagnostic, Edit, Fix
from .positions import ByteOffsets


def applicable(fix: Fix, unsafe: bool) -> bool:
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe and fix.applicability is Applicability.UNSAFE


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits given in clang's 1-based line / byte columns. Later edits first."""
    data = text.encode("utf-8")
    offset = ByteOffsets(data).of
    spans = sorted(((offset(e.range.start.line, e.range.start.column), offset(e.range.end.line, e.range.end.column),
                     e.new_text) for e in edits), reverse=True)
    for a, b, new in spans:
        data = data[:a] + new.encode("utf-8") + data[b:]
    return data.decode("utf-8")


def select_fixes(diagnostics: Iterable[Diagnostic], unsafe: bool) -> tuple[list[Diagnostic], list[Edit]]:
    """The diagnostics whose fixes apply together without overlapping, and their edits."""
    chosen, edits, taken = [], [], []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        if d.fix is None or not applicable(d.fix, unsafe):
            continue
        spans = [(e.range.start, e.range.end) for e in d.fix.edits]
        if any(not (b <= s or e <= a) or (a == b == s == e) for a, b in spans for s, e in taken):
            continue  # overlaps an earlier fix: the next run picks it up
        taken.extend(spans)
        chosen.append(d)
        edits.extend(d.fix.edits)
    return chosen, edits


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    ))


def read_for_fix(path: str) -> tuple[str, bytes, str]:
    """(text with LF endings, BOM prefix, newline) as the file is on disk."""
    with open(path, "rb") as fh:
        raw = fh.read()
    bom = b""
    if raw.startswith(b"\xef\xbb\xbf"):
        bom, raw = raw[:3], raw[3:]
    text = raw.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    return text, bom, newline


def write_atomic(path: str, text: str, bom: bytes = b"") -> None:
    """Replace ``path`` in one rename: an interrupted write leaves the old file whole."""
    directory = os.path.dirname(os.path.abspath(path))
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".hotlint-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(bom + text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
