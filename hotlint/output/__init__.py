"""Output formats: text (clang/ruff style), json (SPEC.md), sarif 2.1.0, github annotations."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ..model import Diagnostic, ErrorRecord


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, note) about flags etc.
    files: int = 0
    cached: int = 0
    fixed: Optional[int] = None  # with --fix: findings fixed (``diagnostics`` are those remaining)
    # findings below --min-severity, per file: counted in the summary, never shown
    hidden_by_path: dict[str, Counter] = field(default_factory=dict)
    # each finding's fingerprint by id (hotlint.baseline), computed before the baseline left any out
    fingerprints: dict[int, str] = field(default_factory=dict)

    @property
    def hidden(self) -> Counter:
        total: Counter = Counter()
        for c in self.hidden_by_path.values():
            total.update(c)
        return total

    def sort(self) -> None:
        self.diagnostics.sort(key=Diagnostic.sort_key)
        self.errors.sort(key=ErrorRecord.sort_key)


# What must never reach a reader's terminal or a CI log raw: C0 and C1 control characters (ESC
# starts ANSI and OSC sequences: clipboard writes, screen clears, hyperlinks), DEL, line and
# paragraph separators, bidirectional overrides (text that reads other than it is), and lone
# surrogates (a file name that is not UTF-8, which would also fail to encode).
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: "re.Match[str]") -> str:
    ch = m.group()
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    return {"\n": "\\n", "\r": "\\r"}.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


# GitHub Actions reads a workflow command from any line of a log that starts (after blanks) with
# `::name ...::`, and from `##[name]` anywhere in a line: text that would be read so gets a backslash.
_COMMAND_AT_START = re.compile(r"^(\s*):(?=:)")


def safe(text: str) -> str:
    """``text`` with every character a terminal or log would act on shown as an escape
    (``\\x1b``, ``\\n``, ``\\u202e``; tabs are kept), and no GitHub workflow command in it
    (``\\::error::``, ``##\\[group]``). For everything hotlint prints as text."""
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(_escape, text)
    if "##[" in text:
        text = text.replace("##[", "##\\[")
    if "::" in text:
        text = _COMMAND_AT_START.sub(r"\1\\:", text)
    return text


def safe_json(rendered: str) -> str:
    """JSON text (already ASCII-escaped) with ``##[`` written ``##\\u005b``: the same data, no
    workflow command for a CI log that shows it."""
    return rendered.replace("##[", "##\\u005b")


def display_path(path: str) -> str:
    """Relative to the working directory when below it (as ruff and clang print)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


_LINES: dict[str, list[str]] = {}


def remember_text(path: str, text: str) -> None:
    """Source frames for ``path`` show ``text`` (standard input linted under that name)."""
    from ..analysis.source import SourceText  # noqa: PLC0415

    _LINES[path] = SourceText(text).lines


def read_lines(path: str, _cache: dict = _LINES) -> list[str]:  # noqa: B006 - per-process memo
    """The file's lines as clang numbers them (a form feed ends no line), for source frames and
    SARIF columns."""
    if path not in _cache:
        from ..analysis.source import SourceText  # noqa: PLC0415
        from ..safeio import SOURCE_LIMIT, read_regular  # noqa: PLC0415

        try:  # never a FIFO or a device: an error record may name one
            _cache[path] = SourceText(read_regular(path, SOURCE_LIMIT).decode("utf-8", "replace")).lines
        except OSError:
            _cache[path] = []
    return _cache[path]
