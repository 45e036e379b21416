"""Layout questions shared by false-sharing and padding-waste.

Both rules read the same real record layouts; keeping the answers to "which
members hold an atomic", "does this file pin the layout" and "where may a
record's own fields start" in one place is what keeps the two rules from
contradicting each other.
"""

from __future__ import annotations

import os
import re
import weakref
from typing import Optional

from hotlint.model import FieldLayout, RecordLayout

# Kinds of atomic an object owns. ``std::atomic_ref`` is a pointer to some other
# object: writes through it land on that object's line, not on the holder's.
OWNED_ATOMICS = frozenset({"std::atomic", "std::atomic_flag", "_Atomic"})

_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".C", ".cp", ".CPP")
# Words that make a line depend on a record's size, offsets or object
# representation; a record named on such a line keeps its layout.
_LAYOUT_WORDS = re.compile(
    r"\b(sizeof|alignof|_Alignof|offsetof|__builtin_offsetof|static_assert|_Static_assert|"
    r"reinterpret_cast|static_cast|bit_cast|memcpy|memmove|memset|memcmp|fwrite|fread|mmap|"
    r"union)\b"
)


_PINNING_WORDS = re.compile(
    r"\b(offsetof|__builtin_offsetof|reinterpret_cast|bit_cast|memcpy|memmove|fwrite|fread|mmap)\b"
)


def owns_atomic(t, depth: int = 0) -> bool:
    """True when objects of type ``t`` hold an atomic inline (not through a pointer)."""
    if t is None or depth > 4 or t.is_reference or t.is_pointer:
        return False  # refers to an atomic that lives elsewhere
    kind = t.atomic_kind
    if kind is not None:
        return kind in OWNED_ATOMICS
    if t.is_array:
        return owns_atomic(t.element, depth + 1)
    if t.is_record:
        return any(owns_atomic(ft, depth + 1) for ft in t.field_types().values())
    return False


def atomic_members(record) -> list[tuple[FieldLayout, list[tuple[int, int]]]]:
    """Direct members (not bases, not arrays) that are, or inline-hold, an owned atomic,
    each with the (offset, size) in the record of every atomic it holds."""
    types = record.type.field_types()
    out = []
    for f in record.layout.fields:
        if f.is_base or f.is_bitfield:
            continue
        t = types.get(f.name)
        if t is None or t.is_array:
            continue
        spans = atomic_spans(t, f.offset)
        if spans:
            out.append((f, spans))
    return out


_SPANS: dict = {}  # (translation unit, type) -> spans at offset 0: std types recur in every record


def atomic_spans(t, offset: int = 0, depth: int = 0) -> list[tuple[int, int]]:
    """(offset, size) of each owned atomic in an object of type ``t`` placed at ``offset``:
    a large member holding one atomic is written at that atomic, not across its whole span."""
    if t is None or depth > 4 or t.is_reference or t.is_pointer:
        return []
    key = (t.unit_key, t.unqualified_name, depth)
    spans = _SPANS.get(key)
    if spans is None:
        if len(_SPANS) > 20000:
            _SPANS.clear()
        spans = _SPANS[key] = _atomic_spans_at_zero(t, depth)
    return [(o + offset, n) for o, n in spans]


def _atomic_spans_at_zero(t, depth: int) -> list[tuple[int, int]]:
    offset = 0
    kind = t.atomic_kind
    if kind is not None:
        return [(offset, t.size or 1)] if kind in OWNED_ATOMICS else []
    if not t.is_record:
        return []
    layout = t.layout()
    if layout is None:
        return []
    types = t.field_types()
    out = []
    for f in layout.fields:
        ft = types.get(f.name)
        if f.is_base or f.is_bitfield or ft is None or ft.is_array:
            continue
        out.extend(atomic_spans(ft, offset + f.offset, depth + 1))
    return out


def display_name(layout: RecordLayout) -> str:
    """The record's name for messages: qualified, template arguments kept, anonymous
    namespaces dropped (``leveldb::MergingIterator``)."""
    return layout.name.replace("(anonymous namespace)::", "")


def simple_name(layout: RecordLayout) -> str:
    """``Ring`` for ``ns::Ring<int>``, ``Counters`` for C's ``struct Counters``."""
    words = layout.name.split("<", 1)[0].split()
    name = words[-1].rsplit("::", 1)[-1] if words else ""
    return name if name.isidentifier() else ""


def layout_pinned(view, layout: RecordLayout) -> bool:
    """The file treats the record's bytes as a format: a ``static_assert`` on its size,
    alignment or offsets, or a line naming it next to ``offsetof``, a reinterpreting
    cast, ``memcpy``/``memmove``, ``fwrite``/``fread`` or ``mmap``."""
    name = simple_name(layout)
    if not name:
        return False
    if asserted(view, layout):
        return True
    word = re.compile(rf"\b{re.escape(name)}\b")
    return any(word.search(line) for line in _pinning_lines(view))


_PINNING_LINES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _pinning_lines(view) -> list[str]:
    """The file's lines that hold a word of _PINNING_WORDS, found once per view."""
    lines = _PINNING_LINES.get(view)
    if lines is None:
        lines = _PINNING_LINES[view] = [line for line in view.lines if _PINNING_WORDS.search(line)]
    return lines


def asserted(view, layout: RecordLayout) -> bool:
    """A ``static_assert`` on the record's size, alignment or offsets: changing them fails the build."""
    name = simple_name(layout)
    if not name:
        return False
    for node in view.nodes("STATIC_ASSERT"):
        toks = node.tokens
        if name in toks and any(t in toks for t in ("sizeof", "alignof", "offsetof", "_Alignof",
                                                     "__builtin_offsetof")):
            return True
    return False


def layout_dependent_lines(view, layout: RecordLayout) -> list[int]:
    """Lines that name the record next to a size/offset/representation operation.

    Deliberately textual and over-inclusive: it only ever turns a safe fix into an
    unsafe one.
    """
    name = simple_name(layout)
    if not name:
        return []
    word = re.compile(rf"\b{re.escape(name)}\b")
    return [i for i, line in enumerate(view.lines, start=1) if word.search(line) and _LAYOUT_WORDS.search(line)]


def enclosing_records(view, layout: RecordLayout, depth: int = 0) -> list[RecordLayout]:
    """Records of this file that hold ``layout`` as a member (or array of it) or a base,
    directly or through each other: their layouts change with it."""
    if depth > 3:
        return []
    name, short = layout.name, simple_name(layout)
    out = []
    for other, bases, members in _contents(view):
        if other is layout or other.name == name:
            continue
        if name in members or any(b == name or b.rsplit("::", 1)[-1] == short for b in bases):
            out.append(other)
            out.extend(enclosing_records(view, other, depth + 1))
    return out


_CONTENTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _contents(view) -> list[tuple[RecordLayout, set[str], set[str]]]:
    """For each record of the file: its layout, the type names of its bases and those of its
    members (array elements for arrays). Read once per view: every record asks about all."""
    cached = _CONTENTS.get(view)
    if cached is None:
        cached = []
        for rec in view.records:
            bases = {f.type_name for f in rec.layout.fields if f.is_base}
            members = set()
            for t in rec.type.field_types().values():
                while t is not None and t.is_array:
                    t = t.element
                if t is not None:
                    members.add(t.unqualified_name)
            cached.append((rec.layout, bases, members))
        _CONTENTS[view] = cached
    return cached


def is_source_file(path: str) -> bool:
    """A .c/.cpp file (not a header): its records are not shared with other translation units."""
    return os.path.splitext(path)[1] in _SOURCE_SUFFIXES


def same_file(a: Optional[str], b: str) -> bool:
    return a is not None and os.path.abspath(a) == os.path.abspath(b)


def align_up(n: int, a: int) -> int:
    return -(-n // a) * a if a > 1 else n


def fields_start(layout: RecordLayout) -> Optional[int]:
    """The offset at which the record's own fields may begin, never below the true one.

    Bases and the vtable pointer come first and stay there. A base's tail padding
    may be reused by the derived fields (Itanium ABI, non-POD bases), which the
    layout shows when a field sits inside the base; otherwise the base's end is
    used, which can only understate what a reorder saves. None when a base is
    laid out after the fields (a virtual base): no safe answer.
    """
    own = [f for f in layout.fields if not f.is_base]
    first = min((f.offset for f in own), default=0)
    start = 0
    for b in layout.fields:
        if not b.is_base:
            continue
        if b.size > 1 and b.offset >= first and own:
            return None
        start = max(start, min(b.end, first))
    if layout.has_vtable:
        start = max(start, first)
    return start


def simulated_size(order: list[FieldLayout], start: int, record_align: int) -> int:
    """sizeof the record with its own fields in ``order`` (no bitfields, no overlap)."""
    cursor = start
    for f in order:
        cursor = align_up(cursor, f.align) + f.size
    return max(align_up(cursor, record_align), record_align if cursor == 0 else 0, 1)
