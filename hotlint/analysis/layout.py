"""Record layouts: which members hold atomics and where, what a reorder of the fields would
cost, which records of the file hold others, and which of the file's uses depend on a layout.

false-sharing, padding-waste and aos-layout read the same real layouts; asking these
questions in one place is what keeps them from contradicting each other (a record laid out
per cache line is never a padding reorder nor a struct-of-arrays candidate).

``FileLayouts`` and ``LayoutUses`` are per-file: construct one from a view and ask it; each
computes what a question needs on first use.
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Optional

from ..model import FieldLayout, RecordLayout
from .expressions import strip
from .kinds import EXPLICIT_CASTS, WRAPPERS, K
from .types import OWNED_ATOMICS as OWNED_ATOMICS  # false-sharing reads it with the atomic members
from .types import atomic_spans, holds_record, inline_fields, record_beneath, without_arrays

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node, Type
    from ..view import FileView, Record


# ------------------------------------------------------------------ one record

def atomic_members(record: "Record") -> list[tuple[FieldLayout, list[tuple[int, int]]]]:
    """Direct members (not bases, bitfields or arrays) that are, or inline-hold, an owned atomic,
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


def display_name(layout: RecordLayout) -> str:
    """The record's name for messages: qualified, template arguments kept, anonymous namespaces
    dropped (``leveldb::MergingIterator``)."""
    return layout.name.replace("(anonymous namespace)::", "")


def simple_name(layout: RecordLayout) -> str:
    """``Ring`` for ``ns::Ring<int>``, ``Counters`` for C's ``struct Counters``; '' when the last
    word is no identifier."""
    words = layout.name.split("<", 1)[0].split()
    name = words[-1].rsplit("::", 1)[-1] if words else ""
    return name if name.isidentifier() else ""


def align_up(n: int, a: int) -> int:
    """``n`` rounded up to a multiple of ``a`` (unchanged for ``a`` of 1 or less)."""
    return -(-n // a) * a if a > 1 else n


def fields_start(layout: RecordLayout) -> Optional[int]:
    """The offset at which the record's own fields may begin, never below the true one.

    Bases and the vtable pointer come first and stay there. A base's tail padding may be
    reused by the derived fields (Itanium ABI, non-POD bases), which the layout shows when a
    field sits inside the base; otherwise the base's end is used, which can only understate
    what a reorder saves. None when a base (larger than one byte) is laid out after the first
    field (a virtual base): no safe answer.
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
    """sizeof the record with its own fields laid out in ``order`` from ``start`` (no bitfields,
    no overlap): at least one byte, and a whole multiple of ``record_align``."""
    cursor = start
    for f in order:
        cursor = align_up(cursor, f.align) + f.size
    return max(align_up(cursor, record_align), record_align if cursor == 0 else 0, 1)


def own_holes(layout: RecordLayout, own: list[FieldLayout],
              start: int) -> list[tuple[int, int, Optional[str], Optional[str]]]:
    """(offset, bytes, field before, field after) of each gap among the own fields laid out from
    ``start``, in offset order: the field before is None for a gap ahead of the first field; the
    field after is None for the tail padding (reported only when there is a field)."""
    holes: list[tuple[int, int, Optional[str], Optional[str]]] = []
    cursor, previous = start, None
    for f in sorted(own, key=lambda f: f.offset):
        if f.offset > cursor:
            holes.append((cursor, f.offset - cursor, previous.name if previous else None, f.name))
        cursor, previous = f.end, f
    if layout.size > cursor and previous is not None:
        holes.append((cursor, layout.size - cursor, previous.name, None))
    return holes


def laid_out_per_cache_line(layout: RecordLayout, line: int) -> bool:
    """A record laid out for coherence, not streaming: aligned to the cache line (``alignas`` on
    the record or a member, also one whose value is no literal, or inherited from a member), or
    padded with deliberate padding members (false-sharing's fix)."""
    aligns = [layout.explicit_align] + [f.explicit_align for f in layout.fields]
    if any(a is not None and (a < 0 or a >= line) for a in aligns) or layout.align >= line:
        return True
    return any(f.is_padding_array for f in layout.fields)


def member_offset(element: Optional["Type"],
                  members: list["Node"]) -> Optional[tuple[int, int, str, int, int]]:
    """(offset, size, top name, top offset, top size) of a chain of members (``e.pos.x`` →
    [pos, x], FIELD_DECLs or member expressions, matched by name) in ``element``, by the
    layouts of each record along it; None for an empty chain, a record without layout, or a
    member that is inherited or unnamed."""
    if not members:
        return None
    record = element
    offset, size, top = 0, 0, ("", 0, 0)
    for i, m in enumerate(members):
        layout = record.layout() if record is not None else None
        if layout is None:
            return None
        f = next((f for f in layout.fields if f.name == m.spelling and not f.is_base), None)
        if f is None:
            return None
        offset += f.offset
        size = f.size
        if i == 0:
            top = (f.name, f.offset, f.size)
        record = m.type
    return offset, size, top[0], top[1], top[2]


def atomic_paths(t: Optional["Type"], name: str, offset: int = 0) -> list[tuple[str, int]]:
    """(dotted name, offset) of each owned atomic (OWNED_ATOMICS) in an object of type ``t``
    named ``name`` and placed at ``offset``, where writes to it land: the object itself when it
    is one (``("hits", 8)``); for a record, each atomic it holds inline (``stats`` at 24 holding
    ``hits`` at 0 gives ``("stats.hits", 24)``). Fields that are bases, bitfields, arrays,
    pointers or references are skipped, and so are records nested more than four levels below
    ``t``; any other type holds none."""
    if t is not None and t.atomic_kind is not None:
        return [(name, offset)] if t.atomic_kind in OWNED_ATOMICS else []
    return _atomic_paths(t, name, offset, 0)


def _atomic_paths(t: Optional["Type"], prefix: str, offset: int, depth: int) -> list[tuple[str, int]]:
    if t is None or depth > 4:
        return []
    out = []
    for f, ft in inline_fields(t):
        if ft.is_pointer or ft.is_reference:
            continue
        if ft.atomic_kind is not None:
            if ft.atomic_kind in OWNED_ATOMICS:
                out.append((f"{prefix}.{f.name}", offset + f.offset))
        else:
            out.extend(_atomic_paths(ft, f"{prefix}.{f.name}", offset + f.offset, depth + 1))
    return out


def bytes_covered(spans: Iterable[tuple[int, int]]) -> int:
    """How many bytes the (offset, size) spans cover together: overlaps and repeats count once."""
    total, end = 0, -1
    for start, size in sorted(spans):
        stop = start + size
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def lines_touched(spans: list[tuple[int, int]], phase: int, line: int) -> set[int]:
    """The cache lines (numbered from the object's first) that the (offset, size) spans occupy
    when the object starts ``phase`` bytes into a line; an empty span occupies its first byte."""
    out: set[int] = set()
    for offset, size in spans:
        start = phase + offset
        out.update(range(start // line, (start + max(size, 1) - 1) // line + 1))
    return out


def sweep_line_usage(size: int, spans: Iterable[tuple[int, int]], line: int) -> tuple[int, int, float]:
    """For a sequential walk over records of ``size`` bytes using the (offset, size) ``spans`` of
    each (records assumed to start on a line boundary): (lines touched, lines spanned) per
    repeating period of lcm(size, line) bytes, and the share of the fetched bytes that are used
    (1.0 when nothing is fetched). Empty spans are left out."""
    period = size * line // math.gcd(size, line)
    records = period // size
    used = sorted(spans)
    nonempty = [s for s in used if s[1] > 0]
    touched: set[int] = set()
    for k in range(records):
        touched |= lines_touched(nonempty, k * size, line)
    fetched = len(touched) * line
    useful = bytes_covered(used) * records
    return len(touched), period // line, (useful / fetched if fetched else 1.0)


# ------------------------------------------------------------------ the file's records

class FileLayouts:
    """Layout questions about the records of one file: what each record holds and which records
    hold others (the uses that depend on a layout are LayoutUses'). Built from a view; each
    answer is gathered on first use and kept for the view's life."""

    def __init__(self, view: "FileView") -> None:
        self._view = view

    @cached_property
    def contents(self) -> list[tuple[RecordLayout, set[str], set[str]]]:
        """For each record of the file (``view.records``): its layout, the type names of its
        bases and those of its members (array elements for arrays)."""
        out = []
        for rec in self._view.records:
            bases = {f.type_name for f in rec.layout.fields if f.is_base}
            members = set()
            for t in rec.type.field_types().values():
                t = without_arrays(t)
                if t is not None:
                    members.add(t.unqualified_name)
            out.append((rec.layout, bases, members))
        return out

    @cached_property
    def _loop_member_refs(self) -> dict[tuple, list[int]]:
        """(field range, field name) -> the first lines of the innermost loops whose code names
        that field (a member expression in the loop, its header included), sorted."""
        loops = sorted(self._view.loops, key=lambda lp: -lp.depth)  # innermost first
        out: dict[tuple, set[int]] = {}
        for ref in self._view.nodes(K.MEMBER_REF_EXPR):
            field = ref.referenced
            if field is None or field.kind != K.FIELD_DECL:
                continue
            loop = next((lp for lp in loops if lp.node.range.contains(ref.range)), None)
            if loop is not None:
                out.setdefault((field.range, field.spelling), set()).add(loop.node.range.start.line)
        return {k: sorted(v) for k, v in out.items()}

    def loop_fields(self, layout: RecordLayout) -> dict[str, list[int]]:
        """The fields of ``layout`` that the file's loops name (``e.x``, ``p->x``, ``x`` in a
        member function), each with the first lines of the innermost loops that name it: which
        bytes of the record the file's hot code reaches for."""
        refs = self._loop_member_refs
        return {f.name: refs[(f.range, f.name)] for f in layout.fields
                if not f.is_base and (f.range, f.name) in refs}

    def enclosing_records(self, layout: RecordLayout) -> list[RecordLayout]:
        """Records of the file that hold ``layout`` as a member (or an array of it) or a base
        (matched by qualified or simple name), directly or through each other, up to four
        levels out, depth first in the order of ``view.records`` (a record may repeat): their
        layouts change with it."""
        return self._enclosing(layout, 0)

    def _enclosing(self, layout: RecordLayout, depth: int) -> list[RecordLayout]:
        if depth > 3:
            return []
        name, short = layout.name, simple_name(layout)
        out = []
        for other, bases, members in self.contents:
            if other is layout or other.name == name:
                continue
            if name in members or any(b == name or b.rsplit("::", 1)[-1] == short for b in bases):
                out.append(other)
                out.extend(self._enclosing(other, depth + 1))
        return out



# ------------------------------------------------------------------ uses that depend on a layout

# Calls that read or write an object's bytes: its field order is part of what they move.
BYTE_CALLS = frozenset({
    "memcpy", "memmove", "memcmp", "memccpy", "bcopy", "bcmp", "__builtin_memcpy", "__builtin_memmove",
    "__builtin_memcmp", "fwrite", "fread", "write", "read", "pwrite", "pread", "send", "recv", "sendto",
    "recvfrom", "mmap", "bit_cast", "__builtin_bit_cast", "as_bytes", "as_writable_bytes",
})
# Calls that construct their element from an argument list: for an aggregate, C++20 initializes
# its fields by position from those arguments.
FORWARDING_CALLS = frozenset({
    "emplace", "emplace_back", "emplace_front", "emplace_hint", "try_emplace", "make_unique", "make_shared",
    "allocate_shared", "make_optional", "construct_at", "construct",
})
# Memory fresh from these has no object to reinterpret yet.
ALLOCATION_CALLS = frozenset({"malloc", "calloc", "realloc", "aligned_alloc", "operator new", "operator new[]"})
ORDERING_OPERATORS = frozenset({"operator<=>", "operator<", "operator>", "operator<=", "operator>="})
# kinds.BYTE_REINTERPRETING_CASTS in padding-waste's order (view.nodes keeps it for casts starting together)
_POINTER_CASTS = (K.CXX_REINTERPRET_CAST_EXPR, K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR)

# A record whose type is written in one of these pins its layout (padding-waste leaves it alone): an
# offset, a reinterpreting cast, a bit cast, a byte copy, a file or memory-map read or write.
PINNING_OPERATIONS = frozenset({
    "offsetof", "reinterpret_cast", "bit_cast", "memcpy", "memmove", "__builtin_memcpy", "__builtin_memmove",
    "fwrite", "fread", "mmap",
})
# calls LayoutUses.operations gathers: the byte calls and the fills
LAYOUT_CALLS = BYTE_CALLS | {"memset", "__builtin_memset"}
# the first token of a sizeof-like expression (CXX_UNARY_EXPR) and the word it is gathered as
_MEASURE_WORDS = {"sizeof": "sizeof", "alignof": "alignof", "_Alignof": "alignof", "__alignof__": "alignof",
                  "__alignof": "alignof"}
_RESULT_CONVERSIONS = WRAPPERS | EXPLICIT_CASTS


@dataclass(frozen=True)
class LayoutUse:
    """A place where the file's code depends on record layouts, found in the AST.

    ``word`` says what it is: ``sizeof``, ``alignof``, ``offsetof``, ``static_assert``,
    ``reinterpret_cast``, ``static_cast``, ``bit_cast`` (``__builtin_bit_cast``; ``std::bit_cast`` is
    a call), ``union`` or the name of a call in LAYOUT_CALLS (``memcpy``, ``fwrite``, ...).
    ``named``: the records whose type is written in it (a TYPE_REF, through pointers, references
    and arrays, by ``record_beneath``) and, for a call, those its result is converted to;
    ``templates``: class templates named in it (``sizeof(Ring<int>)`` writes no TYPE_REF for
    ``Ring<int>``); ``objects``: the records of what it reads or makes (by ``record_beneath``): a
    ``sizeof``'s operand, a cast's operand and result, a call's arguments (under implicit
    conversions) and result, any expression of a ``static_assert``, the members of a union (and
    arrays of them); ``measures``: a ``static_assert``'s ``sizeof``/``alignof``/``offsetof``
    uses. Comments and strings are no use."""

    node: "Node"
    word: str
    named: frozenset[str]
    templates: frozenset[str]
    objects: frozenset[str]
    measures: tuple["LayoutUse", ...] = ()

    @property
    def line(self) -> int:
        return self.node.range.start.line

    def names(self, layout: RecordLayout) -> bool:
        """The record's type is written in it (a class template instantiation: its template's
        name)."""
        if layout.name in self.named:
            return True
        return "<" in layout.name and simple_name(layout) in self.templates

    def touches(self, layout: RecordLayout) -> bool:
        """It names the record or has an object of it."""
        return layout.name in self.objects or self.names(layout)

    def asserts(self, layout: RecordLayout) -> bool:
        """A ``static_assert`` whose ``sizeof``, ``alignof`` or ``offsetof`` touches the record."""
        return any(m.touches(layout) for m in self.measures)


def is_offsetof(node: "Node") -> bool:
    """``offsetof(T, m)`` / ``__builtin_offsetof``: libclang has no kind for it; it is the
    UNEXPOSED_EXPR whose first child is the TYPE_REF of ``T`` and which holds the MEMBER_REF of
    each designated member."""
    kids = node.children if node.kind == K.UNEXPOSED_EXPR else ()
    return bool(kids) and kids[0].kind == K.TYPE_REF and any(c.kind == K.MEMBER_REF for c in kids)


def _measure_word(node: "Node") -> str:
    toks = node.tokens
    return _MEASURE_WORDS.get(toks[0], "sizeof") if toks else "sizeof"


def _written_in(node: "Node") -> tuple[set[str], set[str]]:
    """(records whose type is written, class templates named) under ``node``."""
    named, templates = set(), set()
    for n in node.walk():
        if n.kind == K.TYPE_REF:
            r = record_beneath(n.type)
            if r is not None:
                named.add(r)
        elif n.kind == K.TEMPLATE_REF:
            templates.add(n.spelling)
    return named, templates


def _records_of(nodes: "Iterable[Node]") -> set[str]:
    return {r for n in nodes for r in [record_beneath(n.type)] if r is not None}


def layout_use(node: "Node", word: str) -> LayoutUse:
    """The LayoutUse of ``node`` gathered as ``word`` (see LayoutUse)."""
    named, templates = _written_in(node)
    measures: tuple[LayoutUse, ...] = ()
    if word == "static_assert":
        objects = _records_of(n for n in node.walk() if n.is_expression)
        measures = tuple(layout_use(n, _measure_word(n)) if n.kind == K.CXX_UNARY_EXPR else layout_use(n, "offsetof")
                         for n in node.walk() if n.kind == K.CXX_UNARY_EXPR or is_offsetof(n))
    elif word == "union":
        objects = set()
        for c in node.children:
            t = without_arrays(c.type) if c.kind == K.FIELD_DECL else None
            if t is not None and t.is_record:
                objects.add(t.unqualified_name)
    elif node.kind == K.CALL_EXPR:
        objects = _records_of([node, *(strip(a) for a in node.arguments)])
        p = node.parent
        while p is not None and p.kind in _RESULT_CONVERSIONS:  # `(Header*)mmap(...)`
            r = record_beneath(p.type)
            if r is not None:
                named.add(r)
            p = p.parent
    else:  # a sizeof's operand, a cast's operand and result; an offsetof has none
        objects = _records_of([node, *(c for c in node.children if c.is_expression)])
    return LayoutUse(node, word, frozenset(named), frozenset(templates), frozenset(objects), measures)


class LayoutUses:
    """The file's uses that depend on record layouts: byte copies, pointer casts, positional
    constructions, structured bindings, defaulted orderings, ``extern "C"`` blocks,
    constructors and brace lists. Each list is gathered on first use from what the view already
    holds, reduced to the records it touches, so that every record's question is a lookup.
    ``layouts`` is the file's ``FileLayouts`` (one is made when not given)."""

    def __init__(self, view: "FileView", layouts: Optional[FileLayouts] = None) -> None:
        self._view = view
        self._layouts = layouts if layouts is not None else FileLayouts(view)

    @cached_property
    def byte_calls(self) -> list[tuple["Node", set]]:
        """(call, records its result or any expression in its arguments has) for calls named in
        BYTE_CALLS (records by ``record_beneath``; the set may hold None)."""
        out = []
        for site in self._view.calls:
            if site.name in BYTE_CALLS:
                call = site.node
                touched = {record_beneath(call.type)}
                touched.update(record_beneath(n.type) for a in call.arguments for n in a.walk() if n.is_expression)
                out.append((call, touched))
        return out

    @cached_property
    def forwarding(self) -> list[tuple["Node", str, Optional[str]]]:
        """(call, the canonical spelling of its type and of its object's, the record of a lone
        argument) for FORWARDING_CALLS with written arguments."""
        out = []
        for site in self._view.calls:
            if site.name not in FORWARDING_CALLS:
                continue
            call = site.node
            args = [a for a in call.arguments if a.is_written]
            if not args:
                continue
            kids = call.children
            holder = kids[0].children[0] if kids and kids[0].kind == K.MEMBER_REF_EXPR and kids[0].children else None
            spelled = call.type.canonical.spelling + " " + (holder.type.canonical.spelling if holder else "")
            out.append((call, spelled, record_beneath(args[0].type) if len(args) == 1 else None))
        return out

    @cached_property
    def pointer_casts(self) -> list[tuple["Node", Optional[str], Optional[str], bool]]:
        """(cast, record pointed from, record pointed to, whether both sides point to records)
        for C-style, static and reinterpret casts between pointers or references that touch a
        record, leaving out memory fresh from an allocation function."""
        out = []
        for cast in self._view.nodes(*_POINTER_CASTS):
            operand = [c for c in cast.children if c.is_expression]
            if not operand:
                continue
            src, dst = operand[-1].type, cast.type
            if not (src.is_pointer or src.is_reference) or not (dst.is_pointer or dst.is_reference):
                continue
            inner = strip(operand[-1], only_child=True)
            if inner.kind == K.CALL_EXPR and inner.spelling in ALLOCATION_CALLS:
                continue
            a, b = record_beneath(src), record_beneath(dst)
            if a is not None or b is not None:
                out.append((cast, a, b, src.pointee.is_record and dst.pointee.is_record))
        return out

    @cached_property
    def paren_inits(self) -> list[tuple["Node", str]]:
        """(C++20 parenthesized aggregate initialization, the type it makes)."""
        return [(n, n.type.unqualified_name) for n in self._view.nodes(K.CXX_PAREN_LIST_INIT_EXPR)]

    @cached_property
    def bindings(self) -> list[tuple["Node", Optional[str]]]:
        """(structured binding declaration, the record it binds)."""
        return [(n, record_beneath(n.type)) for n in self._view.nodes(K.UNEXPOSED_DECL)
                if n.spelling.startswith("[")]

    @cached_property
    def orderings(self) -> list[tuple["Node", set]]:
        """(defaulted ordering operator, the records of its parameters)."""
        return [(n, {record_beneath(p.type) for p in n.children if p.kind == K.PARM_DECL})
                for n in self._view.nodes(K.FUNCTION_DECL, K.CXX_METHOD)
                if n.spelling in ORDERING_OPERATORS and n.tokens[-1:] == ["default"]]

    @cached_property
    def linkage(self) -> list["Node"]:
        """The file's ``extern "C"`` (and other linkage) blocks."""
        return self._view.nodes(K.LINKAGE_SPEC)

    @cached_property
    def constructors(self) -> list["Node"]:
        """The file's constructors."""
        return self._view.nodes(K.CONSTRUCTOR)

    @cached_property
    def _init_lists(self) -> list["Node"]:
        return self._view.nodes(K.INIT_LIST_EXPR)

    def brace_initialization_lines(self, layout: RecordLayout) -> list[int]:
        """Lines of brace lists that set the record's fields by position: its own non-empty
        lists, and lists of an array or a record holding it whose braces around it are elided
        (``Order pair[2] = {true, 1.0, 2, false, 2.0, 3}``)."""
        name = layout.name
        holders = {r.name for r in self._layouts.enclosing_records(layout)}
        out = []
        for n in self._init_lists:
            t = n.type
            if t.unqualified_name == name:
                if n.tokens[1:2] != ["}"]:
                    out.append(n.range.start.line)
            elif holds_record(t, name, holders) and _elides_braces(n, name, holders):
                out.append(n.range.start.line)
        return out

    @cached_property
    def operations(self) -> list[LayoutUse]:
        """Every use of the file that depends on a layout, from the AST, in source order: each
        ``sizeof``/``alignof``, ``offsetof``, ``static_assert``, ``reinterpret_cast``,
        ``static_cast``, ``__builtin_bit_cast``, call in LAYOUT_CALLS and union (see LayoutUse)."""
        view = self._view
        found: list[tuple["Node", str]] = [(n, _measure_word(n)) for n in view.nodes(K.CXX_UNARY_EXPR)]
        seen: set[int] = set()
        for member in view.nodes(K.MEMBER_REF):  # offsetof holds one per designated member
            p = member.parent
            if p is not None and id(p) not in seen and is_offsetof(p):
                seen.add(id(p))
                found.append((p, "offsetof"))
        for kind, word in ((K.STATIC_ASSERT, "static_assert"), (K.CXX_REINTERPRET_CAST_EXPR, "reinterpret_cast"),
                           (K.CXX_STATIC_CAST_EXPR, "static_cast"), (K.BUILTIN_BIT_CAST_EXPR, "bit_cast"),
                           (K.UNION_DECL, "union")):
            found.extend((n, word) for n in view.nodes(kind))
        found.extend((site.node, site.name) for site in view.calls if site.name in LAYOUT_CALLS)
        found.sort(key=lambda f: f[0].range.start)
        return [layout_use(n, word) for n, word in found]

    def asserting(self, layout: RecordLayout) -> Optional[LayoutUse]:
        """The first ``static_assert`` whose ``sizeof``, ``alignof`` or ``offsetof`` touches the
        record: changing its layout fails the build."""
        return next((u for u in self.operations if u.word == "static_assert" and u.asserts(layout)), None)

    def pinning_use(self, layout: RecordLayout) -> Optional[LayoutUse]:
        """The first use that makes the record's bytes a format, so that its layout must not
        change: a ``static_assert`` on its size, alignment or offsets, or its type written in a
        PINNING_OPERATIONS use (``offsetof(T, m)``, ``reinterpret_cast<T*>``, ``bit_cast<T>``,
        ``fwrite(p, sizeof(T), 1, f)``, ``(T*)mmap(...)``). Objects of it copied as bytes without
        its type written do not pin it (``format_use``/``byte_calls`` see them)."""
        for use in self.operations:
            if use.asserts(layout) if use.word == "static_assert" else (
                    use.word in PINNING_OPERATIONS and use.names(layout)):
                return use
        return None

    def format_use(self, layout: RecordLayout) -> Optional[LayoutUse]:
        """The first use that reads the record as a format: a pinning use, any ``static_assert``
        that names it or an object of it (``std::is_trivially_copyable_v<T>``), a union holding
        it (or an array of it) as a member, a BYTE_CALLS call with its type written
        (``memcmp(p, q, sizeof(T))``)."""
        for use in self.operations:
            word = use.word
            if word == "static_assert":
                hit = use.touches(layout)
            elif word == "union":
                hit = layout.name in use.objects
            else:
                hit = (word in PINNING_OPERATIONS or word in BYTE_CALLS) and use.names(layout)
            if hit:
                return use
        return None

    def dependent_lines(self, layout: RecordLayout) -> list[int]:
        """Lines (sorted, once each) of every use in ``operations`` that names the record or has
        an object of it: where the file measures, asserts, casts, copies, fills or overlays the
        record, read from the AST."""
        return sorted({use.line for use in self.operations if use.touches(layout)})


def _elides_braces(init: "Node", name: str, holders: set[str]) -> bool:
    """True when an element of the brace list that is (or holds) the record is given without
    braces of its own: its fields then take the following values by position. Conservative
    where the elements are not known one by one (bases, more values than elements)."""
    t = init.type
    kids = [c for c in init.children if c.is_expression]
    if not kids:
        return False
    if t.is_array:
        slots = [t.element] * len(kids)
    elif t.record_name == "std::array" and t.template_arguments:
        slots = [t.template_arguments[0]] * len(kids)  # `a{o1, o2}` elides only its inner array's braces
    else:
        layout = t.layout()
        if layout is None or any(f.is_base for f in layout.fields):
            return True
        slots = list(t.field_types().values())
    if len(kids) > len(slots):
        return True
    for kid, slot in zip(kids, slots):
        kid = strip(kid, only_child=True)
        if kid.kind == K.INIT_LIST_EXPR or not holds_record(slot, name, holders):
            continue
        if kid.type.unqualified_name != slot.unqualified_name:
            return True  # a scalar where the record (or its holder) goes: braces elided
    return False

