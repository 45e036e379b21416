"""Column conversions. hotlint records columns as clang does (1-based UTF-8 byte
offsets); SARIF counts Unicode code points and LSP counts UTF-16 code units."""

from __future__ import annotations

from bisect import bisect_right

from .analysis.source import line_starts


class ByteOffsets:
    """Byte offsets in UTF-8 text of clang's (1-based line, 1-based byte column) positions,
    lines ended as clang ends them (``\\n``, ``\\r\\n``, a lone ``\\r``)."""

    def __init__(self, data: bytes):
        self.size = len(data)
        self.starts = line_starts(data)  # the offset where each line starts

    def of(self, line: int, column: int) -> int:
        """The offset of a position; past the end of the text, its end."""
        if line > len(self.starts):
            return self.size
        return min(self.starts[line - 1] + column - 1, self.size)

    def line_start(self, offset: int) -> int:
        """Where the line holding ``offset`` starts."""
        return self.starts[bisect_right(self.starts, offset) - 1]


def byte_to_char_column(line: str, byte_col: int) -> int:
    """1-based byte column -> 1-based code-point column on ``line``."""
    data = line.encode("utf-8")
    prefix = data[: max(0, byte_col - 1)]
    return len(prefix.decode("utf-8", errors="ignore")) + 1 + max(0, byte_col - 1 - len(data))


def byte_to_utf16(line: str, byte_col: int) -> int:
    """1-based byte column -> 0-based UTF-16 offset (an LSP character)."""
    data = line.encode("utf-8")
    prefix = data[: max(0, byte_col - 1)].decode("utf-8", errors="ignore")
    return len(prefix.encode("utf-16-le")) // 2 + max(0, byte_col - 1 - len(data))


def utf16_to_byte(line: str, character: int) -> int:
    """0-based UTF-16 offset -> 1-based byte column."""
    units = line.encode("utf-16-le")
    prefix = units[: max(0, character) * 2].decode("utf-16-le", errors="ignore")
    return len(prefix.encode("utf-8")) + 1
