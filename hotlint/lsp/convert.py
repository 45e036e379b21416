"""hotlint's records as LSP values and back.

hotlint counts columns as clang does (1-based UTF-8 bytes); an LSP client counts
in the position encoding it negotiated (UTF-16 code units unless it asked for
another). Lines are those clang counts (``SourceText``: ``\\n``, ``\\r\\n`` and a lone ``\\r`` end
one; a form feed does not).
"""

from __future__ import annotations

import re
from typing import Optional

from lsprotocol import types

from ..analysis.source import SourceText
from ..model import Diagnostic, Edit, ErrorRecord, Position, Range, Severity
from ..positions import byte_to_char_column, byte_to_utf16, utf16_to_byte

SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}
SOURCE = "hotlint"
_WORD = re.compile(rb"[A-Za-z0-9_]+")


class Text:
    """One analyzed version of a document, for converting its positions."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.text = text
        self.source = SourceText(text)
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.encoding = encoding

    def line(self, number: int) -> str:
        """The 1-based line ``number`` without its end of line ('' past the end)."""
        return self.source.line(number)

    def end_of_line(self, number: int) -> Position:
        return Position(number, len(self.line(number).encode("utf-8")) + 1)

    def to_lsp(self, pos: Position) -> types.Position:
        last = self.source.last_line  # after a final line end, the empty line that follows it
        if pos.line > last:  # past the end: the end of the last line
            pos = self.end_of_line(last)
        line = self.line(pos.line)
        column = max(1, pos.column)
        if self.encoding == types.PositionEncodingKind.Utf8:
            character = min(column - 1, len(line.encode("utf-8")))
        elif self.encoding == types.PositionEncodingKind.Utf32:
            character = byte_to_char_column(line, column) - 1
        else:
            character = byte_to_utf16(line, column)
        return types.Position(line=max(0, pos.line - 1), character=character)

    def range_to_lsp(self, r: Range) -> types.Range:
        return types.Range(start=self.to_lsp(r.start), end=self.to_lsp(r.end))

    def from_lsp(self, pos: types.Position) -> Position:
        line = self.line(pos.line + 1)
        if self.encoding == types.PositionEncodingKind.Utf8:
            column = min(pos.character, len(line.encode("utf-8"))) + 1
        elif self.encoding == types.PositionEncodingKind.Utf32:
            column = len(line[: pos.character].encode("utf-8")) + 1
        else:
            column = utf16_to_byte(line, pos.character)
        return Position(pos.line + 1, column)

    def token_end(self, pos: Position) -> Position:
        """Just past the identifier (or the one character) at ``pos``."""
        data = self.line(pos.line).encode("utf-8")
        i = pos.column - 1
        if i >= len(data):
            return Position(pos.line, len(data) + 1)
        m = _WORD.match(data, i)
        if m:
            return Position(pos.line, m.end() + 1)
        j = i + 1
        while j < len(data) and data[j] & 0xC0 == 0x80:  # the rest of a UTF-8 sequence
            j += 1
        return Position(pos.line, j + 1)


def lsp_diagnostic(d: Diagnostic, text: Text) -> types.Diagnostic:
    message = d.message + "".join(f"\nnote: {n}" for n in d.notes)
    return types.Diagnostic(range=text.range_to_lsp(d.range), message=message, severity=SEVERITY[d.severity],
                            code=d.rule, source=SOURCE)


def error_range(e: ErrorRecord, text: Text) -> Range:
    """Where an error is shown: its own place in the file, else the first line."""
    if e.line:
        start = Position(e.line, e.column or 1)
        return Range(start, text.token_end(start))
    return Range(Position(1, 1), text.end_of_line(1))


def lsp_error(e: ErrorRecord, text: Text, severity=types.DiagnosticSeverity.Error) -> types.Diagnostic:
    message = e.message + (f"\nhint: {e.hint}" if e.hint else "")
    return types.Diagnostic(range=text.range_to_lsp(error_range(e, text)), message=message, severity=severity,
                            code=e.kind, source=SOURCE)


def lsp_text_edit(edit: Edit, text: Text) -> types.TextEdit:
    new_text = edit.new_text.replace("\n", text.newline) if text.newline != "\n" else edit.new_text
    return types.TextEdit(range=text.range_to_lsp(edit.range), new_text=new_text)


def overlaps(r: Range, start: Position, end: Optional[Position] = None) -> bool:
    """Whether ``r`` touches the span ``start``..``end`` (a point when ``end`` is None)."""
    end = end or start
    return r.start <= end and start <= r.end
