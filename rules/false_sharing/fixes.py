"""false-sharing's fixes: `alignas` on the members of a record that share a line, and one line
per element of a per-thread array (an aligned element record, or `CacheLinePadded<...>` around
a bare atomic element type)."""

from __future__ import annotations

from typing import Optional

from hotlint.analysis.edits import insert_at_line_start, last_include_line
from hotlint.analysis.kinds import K
from hotlint.analysis.layout import display_name
from hotlint.analysis.expressions import position_key
from hotlint.analysis.source import name_written, starts_declaration, template_argument_span, written_type
from hotlint.analysis.symbols import in_linted_file, is_source_path
from hotlint.model import Applicability, Edit, FieldLayout, Fix, Position, Range
from hotlint.rule import fix

PADDED = "CacheLinePadded"
# Specifiers written before an array declaration's element type.
_SPECIFIERS = ("static ", "inline ", "extern ", "thread_local ", "constinit ")


def record_fix(view, rec, members: list[FieldLayout], line: int) -> Optional[Fix]:
    """`alignas(line)` before each of ``members``, so each starts its own line."""
    layout = rec.layout
    if layout.packed:
        return None
    spelled = "_Alignas" if view.language == "c" else "alignas"
    fields = {position_key(c): c for c in rec.node.children if c.kind == K.FIELD_DECL}
    edits, starts = [], set()
    for m in members:
        decl = fields.get((m.range, m.name))
        if decl is None or not name_written(view.source, decl) or not starts_declaration(view.source, m.range.start):
            return None  # a declaration made by a macro
        if m.range.start in starts:
            continue  # `std::atomic<int> a, b;`: one specifier aligns both
        starts.add(m.range.start)
        edits.append(Edit(Range(m.range.start, m.range.start), f"{spelled}({line}) "))
    names = ", ".join(f"`{m.name}`" for m in members)
    template = layout.is_template_instantiation or rec.node.kind == K.CLASS_TEMPLATE
    # the record's size also changes every record that holds it, so their layouts count too
    uses = view.analysis.layout_uses
    affected = [layout, *view.analysis.layouts.enclosing_records(layout)]
    safe = (not template and is_source_path(view.path)
            and not any(uses.dependent_lines(r) for r in affected))
    applicability = Applicability.SAFE if safe else Applicability.UNSAFE
    description = (f"align {names} to {'its' if len(members) == 1 else 'their'} own {line}-byte cache "
                   f"line{'' if len(members) == 1 else 's'} with `{spelled}({line})`")
    asserting = next((r for r in affected if uses.asserting(r)), None)
    if asserting is not None:
        applicability = Applicability.DISPLAY_ONLY  # applied alone it fails that assertion
        description += f"; update the static_assert on `{display_name(asserting)}` with it"
    return fix(description, edits, applicability)


def atomic_array_fix(view, decl, line: int) -> Optional[Fix]:
    """Bare atomic elements: wrap the element type in a line-aligned subclass of itself, which
    inherits every member, so `totals[i].fetch_add(...)` and the other uses stay as written."""
    if view.language == "c" or decl is None or decl.kind not in (K.VAR_DECL, K.FIELD_DECL):
        return None
    start, name_at = decl.range.start, decl.location
    if start.line != name_at.line or name_at.column <= start.column:
        return None
    type_text = written_type(view.source, decl)
    if decl.type.is_array:
        lo, hi = 0, len(type_text.rstrip())
        inner = type_text[lo:hi]
        for qual in _SPECIFIERS:
            while inner.startswith(qual):
                lo += len(qual)
                inner = inner[len(qual):]
    else:
        span = template_argument_span(type_text)
        if span is None:
            return None
        lo, hi = span
        inner = type_text[lo:hi]
    if not inner.strip():
        return None
    col = start.column + len(type_text[:lo].encode())
    end = col + len(inner.encode())
    edits = [Edit(Range(Position(start.line, col), Position(start.line, end)), f"{PADDED}<{inner.strip()}>")]
    if f"struct alignas({line}) {PADDED}" not in view.text:
        edits.insert(0, insert_at_line_start(last_include_line(view.source, style="directive") + 1, (
            "\n// One cache line per element (hotlint, false-sharing): the wrapper inherits every member\n"
            "// of the atomic, so the uses stay as written.\n"
            f"template <class Atomic>\nstruct alignas({line}) {PADDED} : Atomic {{\n"
            "    using Atomic::Atomic;\n    using Atomic::operator=;\n};\n")))
    return fix(
        f"pad each element of `{decl.spelling}` to its own {line}-byte cache line with `{PADDED}<...>`",
        edits, Applicability.UNSAFE)


def element_fix(view, element, line: int) -> Optional[Fix]:
    """``struct alignas(N) Slot`` on a record element type defined in this file."""
    if view.language == "c" or element.is_atomic:
        return None
    name = element.unqualified_name
    record = next((r for r in view.records if r.layout.name == name), None)
    if record is None or record.node is None or record.layout.is_template_instantiation:
        return None
    node = record.node
    if node.kind not in (K.STRUCT_DECL, K.CLASS_DECL) or not in_linted_file(view, node):
        return None
    uses = view.analysis.layout_uses
    if any(uses.asserting(r) for r in [record.layout, *view.analysis.layouts.enclosing_records(record.layout)]):
        return None  # a static_assert pins its size: the edit alone would not build
    if not name_written(view.source, node):
        return None  # a name a macro wrote
    at = Range(node.location, node.location)
    return fix(
        f"align each `{name}` to its own {line}-byte cache line (`alignas({line})`: "
        f"{record.layout.size} -> {max(line, -(-record.layout.size // line) * line)} bytes per element)",
        [Edit(at, f"alignas({line}) ")],
        Applicability.UNSAFE,
    )
