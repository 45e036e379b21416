"""Prefix units: reparsing only the part of a file below the function being edited.

A libclang reparse reuses a precompiled preamble for the leading ``#include`` lines,
but it parses everything below them again, and in C++20 that is expensive: clang
instantiates every ``constexpr`` function the moment it is referenced, and
libstdc++'s containers and algorithms are ``constexpr`` in C++20, so each reparse of
a file full of ``std::vector<Record>`` members and ``push_back`` calls repeats
the same instantiations (about 180 ms for the benchmark's 420-line file).

While a user types in one function, everything above it is unchanged. A prefix
unit splits the file there, at a line where a declaration starts at file or
namespace scope:

- the *head* (everything above the split) becomes a virtual header, given to
  libclang as an unsaved file beside the main file;
- the main file becomes the head blanked out (every byte but line ends replaced
  by a space) with one ``#include`` of that header written into a blank line,
  followed by the *tail* as the user wrote it.

The ``#include`` is then the whole preamble, so the head, its includes and its
instantiations are compiled once and every edit below the split reparses only the
tail. Every byte keeps its offset, line and column, so positions need no mapping:
the clang boundary reports what it finds in the header as being in the main file.
Namespaces open at the split are closed at the end of the head and opened again
(with their own words) in the blank area before the tail.

This module only cuts text; ``worker`` decides when to build a prefix unit, and
uses one only after its result for the text it was built from matched the
ordinary parse's.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from typing import Optional, Sequence

from ..analysis.kinds import K
from ..positions import ByteOffsets

# A namespace header copied into the tail: `namespace a {`, `inline namespace v2 {`,
# `namespace a::b {`, `namespace {`. Anything else (a macro call, an attribute) is not.
# No two parts of the pattern can match the same whitespace, so a header that fails (300,000
# spaces before a `(`) fails in linear time; `\s+NAME[\w:\s]*\s*\{` backtracked quadratically.
_NAMESPACE_HEADER = re.compile(rb"(?:inline\s+)?namespace(?:\s+[A-Za-z_][\w:\s]*|\s*)\{")
_CONDITIONAL = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|endif)\b", re.M)


@dataclass(frozen=True)
class Split:
    """Where a file is cut: the tail starts at byte ``offset`` (a line start), inside the
    namespaces whose headers ``openers`` holds, outermost first."""

    offset: int
    openers: tuple[bytes, ...] = ()


def header_path(path: str) -> str:
    """The virtual header holding ``path``'s head: beside it (so quoted includes in the head
    resolve as they do in the file), with a short name unique to the file."""
    name = os.path.basename(path)
    return os.path.join(os.path.dirname(path), f"~hl{zlib.crc32(name.encode()) & 0xFFFFFF:06x}~")


def include_line(path: str) -> bytes:
    return b'#include "' + os.path.basename(header_path(path)).encode() + b'"'


def first_difference(old: bytes, new: bytes) -> Optional[int]:
    """The offset of the first byte where ``old`` and ``new`` differ (None when equal)."""
    if old == new:
        return None
    n = min(len(old), len(new))
    lo, hi = 0, n  # binary search on equal prefixes: bytes comparison runs in C
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


@dataclass(frozen=True)
class Decl:
    """A declaration of a file's outline: its bytes ``[start, end)``; a namespace holds ``children``."""

    start: int
    end: int
    namespace: bool = False
    children: tuple["Decl", ...] = ()

    def to_json(self) -> list:
        return [self.start, self.end, [c.to_json() for c in self.children] if self.namespace else None]

    @classmethod
    def from_json(cls, data) -> "Decl":
        start, end, children = data
        return cls(int(start), int(end), children is not None, tuple(cls.from_json(c) for c in children or ()))


def outline(roots: Sequence, data: bytes) -> list[Decl]:
    """The file's declarations at file scope, namespaces with theirs, as byte spans (what
    ``enclosing`` needs, sent between processes as plain data)."""
    offsets = ByteOffsets(data)

    def decl(node) -> Decl:
        r = node.range
        start, end = offsets.of(r.start.line, r.start.column), offsets.of(r.end.line, r.end.column)
        if node.kind == K.NAMESPACE:
            return Decl(start, end, True, tuple(decl(c) for c in node.children if c.is_declaration))
        return Decl(start, end)

    return [decl(r) for r in roots]


def choose_split(roots: Sequence, change: int, data: bytes) -> Optional[Split]:
    """The split for an edit at byte ``change``: the line where the declaration holding it
    starts, descending into namespaces. None when there is no useful, safe split."""
    found = enclosing(outline(roots, data), change, data)
    return found[0] if found is not None else None


def enclosing(decls: Sequence[Decl], change: int, data: bytes) -> Optional[tuple[Split, Decl]]:
    """The split above the declaration that holds byte ``change`` (descending into namespaces),
    and that declaration. None when there is no useful, safe split."""
    openers: list[bytes] = []
    outer_brace = -1  # the `{` of the innermost namespace entered
    decls = list(decls)
    while True:
        index = next((i for i, d in enumerate(decls) if d.end > change), None)
        if index is None:
            return None
        target = decls[index]
        start, end = target.start, target.end
        if target.namespace and start < change:
            brace = data.find(b"{", start, end)
            header = data[start:brace + 1] if brace != -1 else b""
            if start < outer_brace:  # `b` in `namespace a::b {`: opened by a's header already
                brace = outer_brace
            elif brace == -1 or not _NAMESPACE_HEADER.fullmatch(header) or brace >= change:
                return None
            else:
                openers.append(header)
            outer_brace = brace
            decls = list(target.children)
            continue
        break
    split = ByteOffsets(data).line_start(start)
    if split == 0 or data[split:start].strip() or (index > 0 and decls[index - 1].end > split):
        return None
    if index == 0 and not openers:
        return None  # nothing above it but the includes: the ordinary preamble holds those
    head = data[:split]
    opened = sum(1 for m in _CONDITIONAL.finditer(head) if m.group(1) != b"endif")
    if opened != len(_CONDITIONAL.findall(head)) - opened:
        return None  # the split would fall inside an #if
    return Split(split, tuple(openers)), target


def _continued(room: list[tuple[int, int]], first_needs: int, last_needs: int) -> Optional[tuple[int, int]]:
    """Lines ``first`` .. ``last`` to spread a directive over with line splices: the first with
    ``first_needs`` bytes, the last with ``last_needs``, none empty between them."""
    for first, (_, n) in enumerate(room):
        if n < first_needs:
            continue
        for last in range(first + 1, len(room)):
            if room[last][1] >= last_needs:
                return first, last
            if room[last][1] < 1:
                break
    return None


def head_text(data: bytes, split: Split) -> bytes:
    """The virtual header: the head, then a `}` for each namespace still open."""
    return data[:split.offset] + b"}\n" * len(split.openers)


def main_text(data: bytes, split: Split, path: str) -> Optional[bytes]:
    """What libclang parses as the main file: the head blanked, then the tail unchanged."""
    head = blanked_head(data, split, path)
    return None if head is None else head + data[split.offset:]


# every byte but the line ends becomes a space
_BLANK = bytes(b if b in (10, 13) else 32 for b in range(256))


def blanked_head(data: bytes, split: Split, path: str) -> Optional[bytes]:
    """The head blanked, holding the ``#include`` of the header and the namespace headers
    again (the same for every text with this head). None when the blank lines are too short
    to hold them."""
    blank = bytearray(data[:split.offset].translate(_BLANK))
    lines = ByteOffsets(bytes(blank)).starts
    room = [(s, (lines[i + 1] - 1 if i + 1 < len(lines) else len(blank)) - s) for i, s in enumerate(lines)]
    room = [(s, n - (1 if n and blank[s + n - 1] == 13 else 0)) for s, n in room if s < len(blank)]
    directive = include_line(path)
    at = next((i for i, (_, n) in enumerate(room) if n >= len(directive)), None)
    if at is not None:
        start, _ = room[at]
        blank[start:start + len(directive)] = directive
    else:  # no line is long enough: `#include \\`, then `\\` on each line until one holds the name
        keyword, name = directive.split(b" ", 1)
        lines_used = _continued(room, len(keyword) + 2, len(name))
        if lines_used is None:
            return None
        first, at = lines_used
        start, _ = room[first]
        blank[start:start + len(keyword)] = keyword
        for i in range(first, at):
            start, n = room[i]
            blank[start + n - 1] = ord("\\")
        start, _ = room[at]
        blank[start:start + len(name)] = name
    words = [w for header in split.openers for w in header.split()]
    line = at + 1
    used = 0
    for word in words:
        while line < len(room) and room[line][1] - used < len(word):
            line, used = line + 1, 0
        if line >= len(room):
            return None
        start, _ = room[line]
        blank[start + used:start + used + len(word)] = word
        used += len(word) + 1
    return bytes(blank)
