"""padding-waste: a field order that wastes bytes a reorder would save."""

from __future__ import annotations

import itertools
import re
from functools import cached_property
from typing import Iterator, Optional

from hotlint.model import Applicability, Edit, FieldLayout, Fix, Position, Range, Severity
from hotlint.rule import Finding, Option, Rule, fix

from ._padding_waste_layout import (
    atomic_members,
    display_name,
    enclosing_records,
    fields_start,
    is_source_file,
    layout_pinned,
    same_file,
    simple_name,
    simulated_size,
)

_EXHAUSTIVE = 6  # 720 orders
_AFTER_DECLARATION = re.compile(r"\s*;\s*(//.*|/\*.*?\*/\s*)?")


class PaddingWaste(Rule):
    """A field order that wastes bytes a reorder would save.

    ## What it does
    Reads the real layout of every record defined in the file (class templates as
    instantiated by the file included), computes the size the same fields would have
    in the best order, sorted by alignment from largest to smallest (declaration
    order kept among equals), with the compiler's alignment arithmetic including
    tail padding to the record's alignment, and reports the record when that order
    saves at least `min-bytes` bytes or needs fewer cache lines. The message gives
    the current size, the best size and the best order; notes list each hole.

    Bases and the vtable pointer stay first: only the record's own fields move. A
    base's reusable tail padding (Itanium ABI) counts only when the real layout
    already puts a field in it; otherwise the base's full size is assumed, which can
    understate a saving but never invent one. After such a base, up to six fields
    are ordered by exhaustive search.

    The finding is `info`, raised to `warning` when the reorder saves a cache line
    per object.

    Not reported: unions; packed records (`#pragma pack`, `__attribute__((packed))`);
    records whose padding is deliberate (a member with `alignas` /
    `__attribute__((aligned))`, or a padding array such as `char pad_[56]`: that is
    the false-sharing fix, and the two rules never contradict each other); records
    holding two or more atomics (their layout is about cache lines, which
    false-sharing judges); records whose layout the file treats as a format (a
    `static_assert` on their size or offsets, or a line naming them next to
    `offsetof`, `reinterpret_cast`, `std::bit_cast`, `memcpy`, `fwrite`, `fread` or
    `mmap`);
    records with bitfields, anonymous members, overlapping members
    (`[[no_unique_address]]`), flexible array members or virtual bases; records
    already minimal; anything outside the linted file.

    ## Why is this bad?
    Every object pays for its holes: arrays and containers of the record carry the
    padding in every element, so fewer objects fit in each cache line and in the
    caches, and every scan over them moves the wasted bytes through the memory
    hierarchy. A record pushed past a line boundary by padding costs a second line
    per object. `hotlint bench padding-waste` runs the pair (a scan over records in
    declaration order vs the reordered record) and prints the measured slow/fast
    ratio on your machine.

    ## Example
    ```cpp
    struct Order {
      bool active;      // 1 byte, then 7 bytes of padding
      double price;
      int quantity;     // 4 bytes, then 4 bytes of tail padding
    };                  // 24 bytes
    ```

    ## Use instead
    ```cpp
    struct Order {
      double price;
      int quantity;
      bool active;
    };                  // 16 bytes
    ```

    ## Fix safety
    The fix moves whole field declarations (each with the comments on its line and
    the `//` comment lines directly above it) into the best order. Moving fields
    changes the record's field offsets, what positional initialization sets, and the
    order members are initialized and destroyed in, so it is **safe** (applied by
    `--fix`) only when the file shows that nothing observes any of that:

    - the record is defined in the linted source file (not a header, whose records
      other translation units share), outside `extern "C"` and never named in an
      `extern "C"` declaration, and no member has `[[no_unique_address]]`;
    - nothing reads or writes its bytes, nor those of a record or union holding it:
      no `memcpy`/`memmove`/`memcmp`, `fwrite`/`fread`, `read`/`write`,
      `send`/`recv`, `mmap` or `bit_cast` on it, no cast between a pointer to it and
      a pointer to anything else (`reinterpret_cast`, C casts, `static_cast` from
      `void*`; memory fresh from `malloc` excepted), no union holding it, and no line
      naming it next to `offsetof`, `static_assert`, `union` or those calls;
    - nothing uses the fields by position: no C++20 parenthesized aggregate
      initialization (`Order o(true, 1.0, 2)`, or `emplace_back` / `make_unique` /
      `try_emplace` ... with field values for an aggregate), no structured binding,
      no defaulted `<=>` / `<` / `>` / `<=` / `>=` (lexicographic in declaration
      order), and no declaration among the fields names a field outside a
      function body (`decltype(n) m;`, a trailing `-> decltype(n)`): it could no
      longer see the field once the field moves below it;
    - initialization order is unobservable: no default member initializer or
      constructor member initializer calls a function (other than a constructor,
      `std::move`, `std::forward`), has a side effect, reads another member or
      `this`; every constructor's member-initializer list still follows the new
      order; and members whose construction or destruction runs the program's own
      code (or joins a thread, holds a lock, flushes a stream) keep their order among
      themselves. Reading and writing members by name, `sizeof`, `memset`,
      containers of the record and value initialization (`Order o{}`) are all fine.

    Otherwise the fix is **unsafe** and its description says why. No fix is offered
    when fields are declared several to a line (`int a, b;`), share a line with
    other code, sit in different access sections or between preprocessor lines,
    when the file brace-initializes the record, directly or with its own braces
    elided in the list of an array or a record holding it (positional initializers
    would no longer match; designated initializers would no longer compile in
    C++), when a record that holds it has a pinned layout, or for class templates
    (the best order can depend on the template arguments); the message still
    gives the best order.

    ## Options
    - `min-bytes` (int, default `8`): report a record only when the best order saves
      at least this many bytes per object, or when it needs fewer cache lines.

    ## References
    - Eric S. Raymond, *The Lost Art of C Structure Packing*
    - Itanium C++ ABI, section 2.4 (data size and the reuse of a base's tail padding)
    - clang-tidy `altera-struct-pack-align`, clang `-Wpadded`
    """

    name = "padding-waste"
    summary = "a record whose field order wastes bytes that a reorder would save"
    severity = Severity.INFO
    needs_layout = True
    options = {
        "min-bytes": Option(8, "report only when the best order saves at least this many bytes per object",
                            int, minimum=1),
    }

    def check(self, view) -> Iterator[Finding]:
        line = view.settings.cache_line_size
        min_bytes = self.option(view, "min-bytes")
        chosen: dict = {}  # one finding per definition: the instantiation that wastes most
        for rec in view.records:
            result = _analyze(view, rec)
            if result is None:
                continue
            own, best, best_size, start = result
            layout = rec.layout
            saved = layout.size - best_size
            fewer_lines = layout.cache_lines(line) > -(-best_size // line)
            if saved < min_bytes and not (saved > 0 and fewer_lines):
                continue
            key = rec.node.name_range  # the definition (layout.name_range may be a forward declaration)
            if key in chosen and chosen[key][1] >= saved:
                continue
            chosen[key] = (rec, saved, own, best, best_size, start)
        uses = _LayoutUses(view)  # gathered on first use: only a fix that could be safe asks
        for key in sorted(chosen, key=lambda r: r.start):
            rec, saved, own, best, best_size, start = chosen[key]
            layout = rec.layout
            fewer_lines = layout.cache_lines(line) > -(-best_size // line)
            base = Severity.WARNING if fewer_lines else self.severity
            reorder, why_not = _reorder_fix(view, rec, own, best, best_size, uses)
            notes = _holes(rec.layout, own, start) + ([why_not] if why_not else [])
            yield Finding(
                key,
                _message(layout, own, best, best_size, start, line),
                severity=self.severity_for(view, rec.node, base),
                fix=reorder,
                notes=tuple(notes),
            )


def _analyze(view, rec):
    """(own fields, best order, best size, fields start) or None when the record is out of scope."""
    layout = rec.layout
    if layout.is_union or layout.packed or rec.node is None or not same_file(rec.node.file, view.path):
        return None
    own = [f for f in layout.fields if not f.is_base]
    if len(own) < 2:
        return None
    for f in own:
        if f.is_bitfield or f.explicit_align is not None or f.is_padding_array or f.size <= 0:
            return None
        if not f.name.isidentifier():
            return None  # anonymous struct/union members
    by_offset = sorted(own, key=lambda f: f.offset)
    if any(b.offset < a.end for a, b in zip(by_offset, by_offset[1:])):
        return None  # [[no_unique_address]] members overlap
    if len(atomic_members(rec)) >= 2 or layout_pinned(view, layout):
        return None
    start = fields_start(layout)
    if start is None or simulated_size(own, start, layout.align) != layout.size:
        return None  # a layout rule this model does not know: say nothing rather than guess
    best = _best_order(own, start, layout.align)
    best_size = simulated_size(best, start, layout.align)
    if best_size >= layout.size or [f.name for f in best] == [f.name for f in own]:
        return None
    return own, best, best_size, start


def _best_order(own: list[FieldLayout], start: int, align: int) -> list[FieldLayout]:
    """Largest alignment first: optimal when the fields start aligned to the largest
    alignment (every size is a multiple of its alignment, so nothing is left between
    them). After a base whose tail they may reuse, small fields can fill the gap first:
    few fields are searched exhaustively, more get the two monotone orders."""
    descending = sorted(own, key=lambda f: -f.align)
    if start % max(f.align for f in own) == 0:
        return descending
    candidates = [descending, sorted(own, key=lambda f: f.align)]
    if len(own) <= _EXHAUSTIVE:
        candidates.extend(list(p) for p in itertools.permutations(own))
    return min(candidates, key=lambda order: simulated_size(order, start, align))  # first wins ties


def _message(layout, own, best, best_size, start, line: int) -> str:
    padding = layout.size - start - sum(f.size for f in own)
    now_lines, best_lines = layout.cache_lines(line), -(-best_size // line)
    order = ", ".join(f.name for f in best)
    lines = (f" and fits it in {_lines(best_lines)} of {line} bytes instead of {now_lines}"
             if best_lines < now_lines else "")
    return (
        f"`{display_name(layout)}` is {layout.size} bytes, {padding} of them padding; ordering its fields "
        f"`{order}` makes it {best_size} bytes{lines} ({layout.size - best_size} bytes saved per object)"
    )


def _lines(n: int) -> str:
    return "one cache line" if n == 1 else f"{n} cache lines"


def _holes(layout, own, start: int) -> list[str]:
    notes = []
    cursor, previous = start, None
    for f in sorted(own, key=lambda f: f.offset):
        if f.offset > cursor:
            where = f"after `{previous.name}`" if previous else f"before `{f.name}`"
            notes.append(f"{f.offset - cursor} bytes of padding {where} (offset {cursor})")
        cursor, previous = f.end, f
    if layout.size > cursor and previous is not None:
        notes.append(f"{layout.size - cursor} bytes of tail padding after `{previous.name}` (offset {cursor})")
    return notes


def _brace_initializations(view, layout) -> list[int]:
    """Lines of brace lists that set the record's fields by position: its own lists, and lists
    of an array or a record holding it whose braces around it are elided
    (`Order pair[2] = {true, 1.0, 2, false, 2.0, 3}`)."""
    name = layout.name
    holders = {r.name for r in enclosing_records(view, layout)}
    out = []
    for n in view.nodes("INIT_LIST_EXPR"):
        t = n.type
        if t.unqualified_name == name:
            if n.tokens[1:2] != ["}"]:
                out.append(n.range.start.line)
        elif _holds(t, name, holders) and _elides_braces(n, name, holders):
            out.append(n.range.start.line)
    return out


def _holds(t, name: str, holders: set) -> bool:
    """``t`` is the record, an array of it, a `std::array` of it or a record of the file holding it."""
    for _ in range(8):
        if t is None:
            return False
        if t.is_array:
            t = t.element
        elif t.record_name == "std::array" and t.template_arguments:
            t = t.template_arguments[0]
        else:
            return t.unqualified_name == name or t.unqualified_name in holders
    return False


def _elides_braces(init, name: str, holders: set) -> bool:
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
        while kid.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and len(kid.children) == 1:
            kid = kid.children[0]
        if kid.kind == "INIT_LIST_EXPR" or not _holds(slot, name, holders):
            continue
        if kid.type.unqualified_name != slot.unqualified_name:
            return True  # a scalar where the record (or its holder) goes: braces elided
    return False


def _reorder_fix(view, rec, own: list[FieldLayout], best: list[FieldLayout],
                 best_size: int, uses: "_LayoutUses") -> tuple[Optional[Fix], Optional[str]]:
    """The reorder edit, or None and the reason no mechanical edit is offered."""
    layout, node = rec.layout, rec.node
    if layout.is_template_instantiation or node.kind == "CLASS_TEMPLATE":
        return None, (f"layout of the instantiation `{display_name(layout)}`; the best order of a class template "
                      "can depend on its arguments, so no fix is offered")
    inits = _brace_initializations(view, layout)
    if inits:
        return None, (f"brace-initialized on line {inits[0]}: positional initializers follow the field "
                      "order, so no fix is offered")
    pinned = next((r for r in enclosing_records(view, layout) if layout_pinned(view, r)), None)
    if pinned is not None:
        return None, (f"`{display_name(pinned)}` holds it and its layout is pinned (a `static_assert`, "
                      "or read and written as bytes), so no fix is offered")
    slots = [_slot(view, f) for f in own]
    if None in slots or any(b[0] <= a[1] for a, b in zip(slots, slots[1:])):
        return None, ("fields share lines with each other or with other code (`int a, b;`), "
                      "so no fix is offered")
    first, last = slots[0][0], slots[-1][1]
    if any(view.line_text(n).lstrip().startswith("#") for n in range(first, last + 1)):
        return None, "preprocessor lines sit between the fields, so no fix is offered"
    if any(c.kind == "CXX_ACCESS_SPEC_DECL" and first <= c.range.start.line <= last for c in node.children):
        return None, ("the fields are in different access sections; moving one across a `public:` / "
                      "`private:` line would change its access, so no fix is offered")
    text = {f.name: "\n".join(view.lines[top - 1:bottom]) for f, (top, bottom) in zip(own, slots)}
    edits = []
    for (top, bottom), f in zip(slots, best):
        end_col = len(view.line_text(bottom).encode()) + 1
        edits.append(Edit(Range(Position(top, 1), Position(bottom, end_col)), text[f.name]))
    description = (f"reorder the fields of `{display_name(layout)}` to `{', '.join(f.name for f in best)}` "
                   f"({layout.size} -> {best_size} bytes)")
    risk = _reorder_risk(view, rec, own, best, uses)
    if risk is None:
        return fix(description, edits, Applicability.SAFE), None
    return fix(f"{description}; unsafe: {risk}", edits, Applicability.UNSAFE), None


def _slot(view, f: FieldLayout) -> Optional[tuple[int, int]]:
    """The whole lines a field declaration occupies, with the `//` lines just above it."""
    r = f.range
    head = view.line_text(r.start.line).encode()
    if head[: r.start.column - 1].strip():
        return None
    tail = view.line_text(r.end.line).encode()[r.end.column - 1:].decode(errors="replace")
    if not _AFTER_DECLARATION.fullmatch(tail):
        return None
    declared = "\n".join(view.lines[r.start.line - 1:r.end.line])
    if not re.search(rf"\b{re.escape(f.name)}\b", declared):
        return None  # made by a macro
    top = r.start.line
    while top > 1 and view.line_text(top - 1).lstrip().startswith("//"):
        top -= 1
    return top, r.end.line


# --------------------------------------------------------------------------- fix safety

# Calls that read or write an object's bytes: its field order is part of what they move.
_BYTE_CALLS = frozenset({
    "memcpy", "memmove", "memcmp", "memccpy", "bcopy", "bcmp", "__builtin_memcpy", "__builtin_memmove",
    "__builtin_memcmp", "fwrite", "fread", "write", "read", "pwrite", "pread", "send", "recv", "sendto",
    "recvfrom", "mmap", "bit_cast", "__builtin_bit_cast", "as_bytes", "as_writable_bytes",
})
# Calls that construct their element from an argument list: for an aggregate, C++20 initializes
# its fields by position from those arguments.
_FORWARDING = frozenset({
    "emplace", "emplace_back", "emplace_front", "emplace_hint", "try_emplace", "make_unique", "make_shared",
    "allocate_shared", "make_optional", "construct_at", "construct",
})
_ALLOCATIONS = frozenset({"malloc", "calloc", "realloc", "aligned_alloc", "operator new", "operator new[]"})
_ORDERING = frozenset({"operator<=>", "operator<", "operator>", "operator<=", "operator>="})
_CASTS = ("CXX_REINTERPRET_CAST_EXPR", "CSTYLE_CAST_EXPR", "CXX_STATIC_CAST_EXPR")
# Textual, over-inclusive: a line naming the record next to these words keeps the fix unsafe.
_FORMAT_WORDS = re.compile(
    r"\b(offsetof|__builtin_offsetof|reinterpret_cast|bit_cast|memcpy|memmove|memcmp|fwrite|fread|mmap|"
    r"union|static_assert|_Static_assert)\b"
)
# Standard types whose construction or destruction is visible (a thread joins, a lock is
# held, a file is flushed): their order relative to each other matters.
_STD_EFFECTS = frozenset({
    "std::thread", "std::jthread", "std::lock_guard", "std::unique_lock", "std::scoped_lock",
    "std::shared_lock", "std::basic_ofstream", "std::basic_ifstream", "std::basic_fstream",
    "std::basic_filebuf", "std::future", "std::shared_future", "std::promise", "std::packaged_task",
})
_EFFECT_KINDS = frozenset({"CXX_THIS_EXPR", "CXX_NEW_EXPR", "CXX_DELETE_EXPR", "CXX_THROW_EXPR", "LAMBDA_EXPR",
                           "COMPOUND_ASSIGNMENT_OPERATOR", "STMT_EXPR"})


class _LayoutUses:
    """The file's byte copies, pointer casts, positional constructions, structured bindings,
    defaulted orderings, `extern "C"` blocks and constructors, each gathered on first use from
    the lists the view already holds and reduced to the records it touches, so that every
    record's question is a set lookup."""

    def __init__(self, view):
        self._view = view

    @cached_property
    def format_lines(self) -> list[tuple[int, str, str]]:
        """(line, text, word) for each line holding a word of _FORMAT_WORDS."""
        out = []
        for number, text in enumerate(self._view.lines, start=1):
            m = _FORMAT_WORDS.search(text)
            if m:
                out.append((number, text, m.group(1)))
        return out

    @cached_property
    def byte_calls(self) -> list[tuple[object, set]]:
        """(call, records its result or any part of its arguments has)."""
        out = []
        for site in self._view.calls:
            if site.name in _BYTE_CALLS:
                call = site.node
                touched = {_record_of(call.type)}
                touched.update(_record_of(n.type) for a in call.arguments for n in a.walk() if n.is_expression)
                out.append((call, touched))
        return out

    @cached_property
    def forwarding(self) -> list[tuple[object, str, Optional[str]]]:
        """(call, the spelling of its type and its object's, the record of a lone argument)
        for `emplace`-like calls with arguments."""
        out = []
        for site in self._view.calls:
            if site.name not in _FORWARDING:
                continue
            call = site.node
            args = [a for a in call.arguments if a.is_written]
            if not args:
                continue
            kids = call.children
            holder = kids[0].children[0] if kids and kids[0].kind == "MEMBER_REF_EXPR" and kids[0].children else None
            spelled = call.type.canonical.spelling + " " + (holder.type.canonical.spelling if holder else "")
            out.append((call, spelled, _record_of(args[0].type) if len(args) == 1 else None))
        return out

    @cached_property
    def pointer_casts(self) -> list[tuple[object, Optional[str], Optional[str], bool]]:
        """(cast, record pointed from, record pointed to, whether both sides point to records)
        for explicit casts between pointers or references, leaving out memory fresh from an
        allocation function."""
        out = []
        for cast in self._view.nodes(*_CASTS):
            operand = [c for c in cast.children if c.is_expression]
            if not operand:
                continue
            src, dst = operand[-1].type, cast.type
            if not (src.is_pointer or src.is_reference) or not (dst.is_pointer or dst.is_reference):
                continue
            inner = operand[-1]
            while inner.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and len(inner.children) == 1:
                inner = inner.children[0]
            if inner.kind == "CALL_EXPR" and inner.spelling in _ALLOCATIONS:
                continue  # nothing to reinterpret yet
            a, b = _record_of(src), _record_of(dst)
            if a is not None or b is not None:
                out.append((cast, a, b, src.pointee.is_record and dst.pointee.is_record))
        return out

    @cached_property
    def paren_inits(self) -> list[tuple[object, str]]:
        return [(n, n.type.unqualified_name) for n in self._view.nodes("CXX_PAREN_LIST_INIT_EXPR")]

    @cached_property
    def bindings(self) -> list[tuple[object, Optional[str]]]:
        return [(n, _record_of(n.type)) for n in self._view.nodes("UNEXPOSED_DECL") if n.spelling.startswith("[")]

    @cached_property
    def orderings(self) -> list[tuple[object, set]]:
        return [(n, {_record_of(p.type) for p in n.children if p.kind == "PARM_DECL"})
                for n in self._view.nodes("FUNCTION_DECL", "CXX_METHOD")
                if n.spelling in _ORDERING and n.tokens[-1:] == ["default"]]

    @cached_property
    def linkage(self) -> list:
        return self._view.nodes("LINKAGE_SPEC")

    @cached_property
    def constructors(self) -> list:
        return self._view.nodes("CONSTRUCTOR")


def _reorder_risk(view, rec, own: list[FieldLayout], best: list[FieldLayout], uses: _LayoutUses) -> Optional[str]:
    """Why moving the fields could change what the program does, or None when it cannot: the
    record lives in this source file only, nothing reads it as bytes or by position, and the
    order its members are initialized in is unobservable."""
    layout, node = rec.layout, rec.node
    if not is_source_file(view.path):
        return "the record is in a header, where other translation units share its layout"
    line = _extern_c(node, layout, uses)
    if line:
        return f"C code shares its layout (`extern \"C\"` on line {line})"
    overlapping = next((f.name for f in own if "no_unique_address" in _field_text(view, f)), None)
    if overlapping:
        return f"`[[no_unique_address]]` on `{overlapping}` lets fields share storage"
    affected = [layout, *enclosing_records(view, layout)]
    union = next((r for r in affected if r.is_union), None)
    if union is not None:
        return f"the union `{display_name(union)}` holds it"
    names = {r.name for r in affected}
    reason = _byte_use(affected, names, uses)
    if reason:
        return reason
    reason = _positional_use(node, layout, uses) or _declaration_order_risk(node, own)
    if reason:
        return reason
    return _initialization_order_risk(view, rec, own, best, uses)


def _line(node) -> int:
    return node.range.start.line


def _field_text(view, f: FieldLayout) -> str:
    return "\n".join(view.lines[f.range.start.line - 1:f.range.end.line])


def _extern_c(node, layout, uses) -> Optional[int]:
    for a in node.ancestors():
        if a.kind == "LINKAGE_SPEC":
            return _line(a)
    name = simple_name(layout)
    for spec in uses.linkage:
        if name and name in spec.tokens:
            return _line(spec)
    return None


def _record_of(t) -> Optional[str]:
    """The record ``t`` is, or points, refers or holds an array of: its name, else None."""
    for _ in range(8):
        if t is None:
            return None
        if t.is_reference or t.is_pointer:
            t = t.pointee
        elif t.is_array:
            t = t.element
        else:
            return t.unqualified_name if t.is_record else None
    return None


def _byte_use(affected, names, uses) -> Optional[str]:
    """A line, call or cast that treats the record (or one holding it) as bytes."""
    for r in affected:
        name = simple_name(r)
        if not name:
            continue
        word = re.compile(rf"\b{re.escape(name)}\b")
        for number, text, found in uses.format_lines:
            if word.search(text):
                return f"line {number} names `{display_name(r)}` next to `{found}`"
    for call, touched in uses.byte_calls:
        if not touched.isdisjoint(names):
            return f"`{call.spelling}` on line {_line(call)} reads or writes its bytes"
    for cast, src, dst, both_records in uses.pointer_casts:
        a, b = src in names, dst in names
        if not (a or b):
            continue
        if cast.kind != "CXX_REINTERPRET_CAST_EXPR":
            if a == b:
                continue  # between records that move together
            if cast.kind == "CXX_STATIC_CAST_EXPR" and both_records:
                continue  # up or down a class hierarchy: no bytes reinterpreted
        return f"the cast on line {_line(cast)} reinterprets its bytes"
    return None


def _positional_use(node, layout, uses) -> Optional[str]:
    """Code that relies on the field order by position: C++20 parenthesized aggregate
    initialization, direct or through `emplace`-like calls, structured bindings and defaulted
    ordering comparisons (lexicographic in declaration order)."""
    name = layout.name
    for n, made in uses.paren_inits:
        if made == name:
            return f"line {_line(n)} initializes its fields by position"
    if not any(c.kind == "CONSTRUCTOR" for c in node.children):  # an aggregate
        word = re.compile(rf"(?<![\w:]){re.escape(name)}\b")
        for call, spelled, lone in uses.forwarding:
            if lone != name and word.search(spelled):  # a lone argument of its own type is a copy
                return f"`{call.spelling}` on line {_line(call)} initializes its fields by position"
    for n, bound in uses.bindings:
        if bound == name:
            return f"the structured binding on line {_line(n)} binds its fields by position"
    for n, compared in uses.orderings:
        if name in compared:
            return f"the defaulted `{n.spelling}` on line {_line(n)} compares its fields in declaration order"
    return None


_COMPLETE_CLASS_BODIES = frozenset({"CXX_METHOD", "CONSTRUCTOR", "DESTRUCTOR", "CONVERSION_FUNCTION",
                                    "FUNCTION_TEMPLATE", "FRIEND_DECL"})


def _declaration_order_risk(node, own) -> Optional[str]:
    """A declaration among the fields that names a field (`decltype(n) m;`, `char buf[sizeof n]`,
    a signature `-> decltype(n)`): outside function bodies a class member is only visible
    after its declaration, so moving the field below it would not compile."""
    names = {f.name for f in own}
    first, last = min(f.range.start.line for f in own), max(f.range.end.line for f in own)
    for c in node.children:
        if not first <= c.range.start.line <= last:
            continue
        toks = c.tokens
        stop = ("{", "=", ":") if c.kind in _COMPLETE_CLASS_BODIES or c.kind == "FIELD_DECL" else ()
        head = next((toks[:i] for i, t in enumerate(toks) if t in stop), toks)
        named = {t for t in head if t in names} - ({c.spelling} if c.kind == "FIELD_DECL" else set())
        if named:
            return f"the declaration on line {_line(c)} names `{sorted(named)[0]}`, which must stay above it"
    return None


def _initialization_order_risk(view, rec, own, best, uses) -> Optional[str]:
    """Members are initialized in declaration order: a reorder is invisible only when no
    initializer has a side effect or reads another member, every constructor's initializer
    list still follows the new order, and members with a visible constructor or destructor
    keep their order among themselves."""
    node, short = rec.node, simple_name(rec.layout)
    position = {f.name: i for i, f in enumerate(best)}
    own_names = set(position)
    for f in node.children:
        if f.kind == "FIELD_DECL" and f.spelling in own_names:
            for init in (c for c in f.children if c.is_expression):
                effect = _initializer_effect(init)
                if effect:
                    return f"the initializer of `{f.spelling}` on line {_line(init)} {effect}"
    for ctor in uses.constructors:
        if ctor.spelling != short or not node.is_same_declaration(ctor.semantic_parent):
            continue
        kids, order = ctor.children, []
        for i, k in enumerate(kids):
            if k.kind != "MEMBER_REF" or k.spelling not in own_names:
                continue
            order.append(position[k.spelling])
            if i + 1 < len(kids) and kids[i + 1].is_expression:
                effect = _initializer_effect(kids[i + 1])
                if effect:
                    return f"the initializer of `{k.spelling}` on line {_line(k)} {effect}"
        if order != sorted(order):
            return (f"the member initializer list on line {_line(ctor)} would no longer follow the field order "
                    "(members are initialized in declaration order)")
    types = rec.type.field_types()
    visible = [f.name for f in own if _visible_lifetime(types.get(f.name))]
    moved = sorted(visible, key=position.__getitem__)
    if moved != visible:
        a, b = next((x, y) for x, y in zip(visible, moved) if x != y)
        return f"`{a}` and `{b}` have constructors or destructors of their own that would run in the other order"
    return None


def _initializer_effect(expr) -> Optional[str]:
    """What makes an initializer's position in the initialization order observable, or None."""
    for n in expr.walk():
        k = n.kind
        if k == "MEMBER_REF_EXPR" and not any(c.is_expression for c in n.children):
            return f"reads member `{n.spelling}`"
        if k in _EFFECT_KINDS or (k == "BINARY_OPERATOR" and n.operator == "=") or (
                k == "UNARY_OPERATOR" and n.operator in ("++", "--", "post++", "post--")):
            return "has a side effect or reads `this`"
        if k == "CALL_EXPR":
            callee = n.referenced
            if callee is None or (callee.kind != "CONSTRUCTOR" and callee.qualified_name not in ("std::move",
                                                                                                  "std::forward")):
                return f"calls `{n.spelling or 'a function'}`"
    return None


def _visible_lifetime(t, depth: int = 0) -> bool:
    """True when constructing or destroying a ``t`` runs code of the program's own (or a
    standard type's visible effect), so the order it runs in relative to others can show."""
    if t is None or depth > 4:
        return t is not None
    if t.is_array:
        return _visible_lifetime(t.element, depth + 1)
    if not t.is_record:
        return False
    name = t.record_name or ""
    if name.startswith("std::"):
        return name in _STD_EFFECTS or any(_visible_lifetime(a, depth + 1) for a in t.template_arguments)
    decl = t.declaration
    if decl is None:
        return True
    for c in decl.children:
        if c.kind in ("CONSTRUCTOR", "DESTRUCTOR") and c.tokens[-1:] not in (["default"], ["delete"]):
            return True
        if c.kind == "CXX_BASE_SPECIFIER" and _visible_lifetime(c.type, depth + 1):
            return True
    return any(_visible_lifetime(ft, depth + 1) for ft in t.field_types().values())
