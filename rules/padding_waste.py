"""padding-waste: a field order that wastes bytes a reorder would save."""

from __future__ import annotations

import itertools
import re
from typing import Iterator, Optional

from hotlint.model import Applicability, Edit, FieldLayout, Fix, Position, Range, Severity
from hotlint.rule import Finding, Option, Rule, fix

from ._padding_waste_layout import (
    atomic_members,
    display_name,
    enclosing_records,
    fields_start,
    layout_pinned,
    same_file,
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
    the `//` comment lines directly above it) into the best order, and is always
    **unsafe**: it changes the record's ABI and field offsets (anything serialized,
    memory-mapped or shared with other binaries), the meaning of positional
    aggregate initialization, and the order in which members are initialized and
    destroyed. No fix is offered when fields are declared several to a line
    (`int a, b;`), share a line with other code, sit in different access sections or
    between preprocessor lines, when the file brace-initializes the record (the
    initializers would no longer match), when a record that holds it has a pinned
    layout, or for class templates (the best order can depend on the template
    arguments); the message still gives the best order.

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
        for key in sorted(chosen, key=lambda r: r.start):
            rec, saved, own, best, best_size, start = chosen[key]
            layout = rec.layout
            fewer_lines = layout.cache_lines(line) > -(-best_size // line)
            base = Severity.WARNING if fewer_lines else self.severity
            reorder, why_not = _reorder_fix(view, rec, own, best, best_size)
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
    return [n.range.start.line for n in view.nodes("INIT_LIST_EXPR")
            if n.type.unqualified_name == layout.name and n.tokens[1:2] != ["}"]]


def _reorder_fix(view, rec, own: list[FieldLayout], best: list[FieldLayout],
                 best_size: int) -> tuple[Optional[Fix], Optional[str]]:
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
    return fix(
        f"reorder the fields of `{display_name(layout)}` to `{', '.join(f.name for f in best)}` "
        f"({layout.size} -> {best_size} bytes); unsafe: changes the ABI and field offsets, positional "
        "aggregate initialization and the order members are initialized in",
        edits,
        Applicability.UNSAFE,
    ), None


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
