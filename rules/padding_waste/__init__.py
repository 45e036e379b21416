"""padding-waste: a field order that wastes bytes a reorder would save."""

from __future__ import annotations

import itertools
from typing import Iterator

from hotlint.analysis.layout import (
    atomic_members,
    display_name,
    fields_start,
    own_holes,
    simulated_size,
)
from hotlint.analysis.symbols import in_linted_file
from hotlint.model import FieldLayout, Severity
from hotlint.rule import Finding, Option, Rule

from .fixes import reorder_fix

_EXHAUSTIVE = 6  # 720 orders


class PaddingWaste(Rule):
    """A field order that wastes bytes a reorder would save.

    ## What it does
    Reads the real layout of every record defined in the file (class templates as
    instantiated by the file included), computes the size the same fields would have
    in the best order, sorted by alignment from largest to smallest (declaration
    order kept among equals), with the compiler's alignment arithmetic including
    tail padding to the record's alignment, and reports the record when that order
    saves at least `min-bytes` bytes or needs fewer cache lines. The message gives
    the current size, the best size and the best order; notes give the bytes saved and list each
    hole.

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
    `static_assert` on their size, alignment or offsets, or their type written in an
    `offsetof`, a `reinterpret_cast`, a bit cast or a `memcpy`, `memmove`, `fwrite`,
    `fread` or `mmap` call: `fwrite(&h, sizeof(Header), 1, f)`, `(Header*)mmap(...)`;
    these are read from the code, so a comment or a string that mentions them is none);
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
      `void*`; memory fresh from `malloc` excepted), no union holding it, no
      `static_assert` naming it and none of those calls with its type written
      (`memcmp(a, b, sizeof(Order))`);
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
    (the best order can depend on the template arguments); the first note still
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
        target = view.analysis.target
        line = target.line_size
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
            reorder, why_not = reorder_fix(view, rec, own, best, best_size)
            notes = [_gain(layout, best, best_size, line, target.name), *_hole_notes(layout, own, start),
                     *([why_not] if why_not else [])]
            yield Finding(
                key,
                _message(layout, own, best, best_size, start, line),
                severity=self.severity_for(view, rec.node, base),
                fix=reorder,
                notes=tuple(notes),
                # bench_fixtures/padding-waste/saves-a-line/: a record brought from more than one
                # line to one (one miss per random access instead of two); else the main pair
                case="saves-a-line" if layout.size > line >= best_size else None,
            )


def _analyze(view, rec):
    """(own fields, best order, best size, fields start) or None when the record is out of scope."""
    layout = rec.layout
    if layout.is_union or layout.packed or rec.node is None or not in_linted_file(view, rec.node):
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
    if len(atomic_members(rec)) >= 2:
        return None
    start = fields_start(layout)
    if start is None or simulated_size(own, start, layout.align) != layout.size:
        return None  # a layout rule this model does not know: say nothing rather than guess
    best = _best_order(own, start, layout.align)
    best_size = simulated_size(best, start, layout.align)
    if best_size >= layout.size or [f.name for f in best] == [f.name for f in own]:
        return None
    if view.analysis.layout_uses.pinning_use(layout) is not None:
        return None  # asked last: the file's layout uses are gathered only for a record worth reporting
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
    head = f"`{display_name(layout)}` is {layout.size} bytes, {padding} of them padding: "
    best_lines = -(-best_size // line)
    size = f"{best_size} bytes" + (f" ({_lines(best_lines)})" if best_lines < layout.cache_lines(line) else "")
    order = ", ".join(f.name for f in best)
    message = f"{head}ordering its fields `{order}` makes it {size}"
    return message if len(message) <= 120 else f"{head}reordering its fields makes it {size}"


def _gain(layout, best, best_size, line: int, target: str) -> str:
    """The order in full, and what it saves (the finding's first note); ``target``: the machine
    whose line size ``line`` is (``analysis.target``)."""
    now_lines, best_lines = layout.cache_lines(line), -(-best_size // line)
    lines = (f" and fits it in {_lines(best_lines)} of {line} bytes instead of {now_lines} on {target}"
             if best_lines < now_lines else "")
    order = ", ".join(f.name for f in best)
    return (f"ordering its fields `{order}` makes it {best_size} bytes{lines} "
            f"({layout.size - best_size} bytes saved per object)")


def _lines(n: int) -> str:
    return "one cache line" if n == 1 else f"{n} cache lines"


def _hole_notes(layout, own, start: int) -> list[str]:
    notes = []
    for offset, size, before, after in own_holes(layout, own, start):
        if after is None:
            notes.append(f"{size} bytes of tail padding after `{before}` (offset {offset})")
        else:
            where = f"after `{before}`" if before else f"before `{after}`"
            notes.append(f"{size} bytes of padding {where} (offset {offset})")
    return notes
