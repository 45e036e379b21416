"""A record's layout against cache-line boundaries: the editor's hover table (markdown) and
``hotlint layout``'s text picture (pahole's), from one list of rows.

Each row is a field, the vtable pointer, a padding hole or a cache-line boundary, at its offset;
a field carries its marks: atomic, explicit alignment, spanning lines, and the loops of the file
that name it (``analysis.layout.FileLayouts.loop_fields``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Mapping, Optional

from ..model import FieldLayout, RecordLayout


@dataclass
class Row:
    kind: str  # field, vptr, padding, tail-padding, boundary
    offset: int  # bytes
    size: int = 0  # bytes (bits for a bit-field)
    field: Optional[FieldLayout] = None
    marks: list[str] = dataclass_field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _split_vptr(layout: RecordLayout) -> tuple[int, list[tuple[int, int]]]:
    """(vtable pointer bytes, real holes): the fields list only data members and bases, so a
    dynamic class without a base at offset 0 shows its vtable pointer as a hole there."""
    holes = layout.padding_holes()
    if not layout.has_vtable or not holes or holes[0][0] != 0:
        return 0, holes
    vptr = min(holes[0][1], 8)
    rest = [(vptr, holes[0][1] - vptr)] if holes[0][1] > vptr else []
    return vptr, rest + holes[1:]


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:6]) + (", ..." if len(lines) > 6 else "")
    return f"loop{'s' if len(lines) > 1 else ''} at line{'s' if len(lines) > 1 else ''} {shown}"


def layout_rows(layout: RecordLayout, line_size: int = 64,
                touched: Optional[Mapping[str, list[int]]] = None) -> list[Row]:
    """Fields, vtable pointer, holes and cache-line boundaries in offset order. ``touched``:
    field name -> first lines of the loops that name it."""
    vptr, holes = _split_vptr(layout)
    keyed: list[tuple[int, int, Row]] = []  # (offset in bits, rank at that offset, row)
    for f in layout.fields:
        marks = []
        if f.explicit_align:
            marks.append(f"alignas({f.explicit_align})")
        if f.is_atomic:
            marks.append("atomic")
        span = f.cache_lines(line_size)
        if not f.is_bitfield and len(span) > 1:
            marks.append(f"spans cache lines {span.start}–{span.stop - 1}")
        if touched and not f.is_base and f.name in touched:
            marks.append(_lines(touched[f.name]))
        size = f.bit_width if f.is_bitfield else f.size
        keyed.append((f.bit_offset if f.is_bitfield else f.offset * 8, 1, Row("field", f.offset, size, f, marks)))
    if vptr:
        keyed.append((0, 0, Row("vptr", 0, vptr)))
    for offset, n in holes:
        keyed.append((offset * 8, 2, Row("tail-padding" if offset + n == layout.size else "padding", offset, n)))
    for boundary in range(line_size, layout.size, line_size):
        keyed.append((boundary * 8, -1, Row("boundary", boundary)))
    keyed.sort(key=lambda r: (r[0], r[1]))
    return [r for _, _, r in keyed]


def _summary(layout: RecordLayout, line_size: int) -> tuple[int, list[tuple[int, int]], int]:
    vptr, holes = _split_vptr(layout)
    return sum(n for _, n in holes), holes, layout.cache_lines(line_size)


def layout_table(layout: RecordLayout, line_size: int = 64,
                 touched: Optional[Mapping[str, list[int]]] = None) -> str:
    """Markdown: size, alignment, each field's offset and size, holes and cache-line boundaries."""
    wasted, holes, lines = _summary(layout, line_size)
    head = (f"**{layout.kind} {layout.name}**: {_plural(layout.size, 'byte')}, alignment {layout.align}, "
            f"{_plural(lines, 'cache line')} of {line_size} bytes")
    if layout.packed:
        head += ", packed"
    head += f"; {_plural(wasted, 'byte')} of padding" + (f" in {_plural(len(holes), 'hole')}" if holes else "")
    table = ["| offset | size | field | type | |", "|---:|---:|---|---|---|"]
    for r in layout_rows(layout, line_size, touched):
        if r.kind == "field":
            f = r.field
            name = f"base `{f.type_name}`" if f.is_base else f"`{f.name}`"
            where = f"{f.bit_offset // 8} (bit {f.bit_offset % 8})" if f.is_bitfield else str(f.offset)
            size = _plural(f.bit_width, "bit") if f.is_bitfield else str(f.size)
            type_cell = "" if f.is_base else f"`{f.type_name}`"
            table.append(f"| {where} | {size} | {name} | {type_cell} | {', '.join(r.marks)} |")
        elif r.kind == "vptr":
            table.append(f"| 0 | {r.size} | *vtable pointer* |  |  |")
        elif r.kind in ("padding", "tail-padding"):
            label = "*tail padding*" if r.kind == "tail-padding" else "*padding*"
            table.append(f"| {r.offset} | {r.size} | {label} |  |  |")
        else:
            table.append(f"| **{r.offset}** |  | *cache line {r.offset // line_size} begins* |  |  |")
    return head + "\n\n" + "\n".join(table)


def _declarator(f: FieldLayout) -> str:
    """``char name[60];``, ``unsigned flags:3;``: the member as it is declared."""
    m = re.match(r"^(.*?)\s*((?:\[\d*\])+)$", f.type_name)
    decl = f"{m.group(1)} {f.name}{m.group(2)}" if m else f"{f.type_name} {f.name}"
    return decl + (f":{f.bit_width}" if f.is_bitfield else "") + ";"


def layout_text(layout: RecordLayout, line_size: int = 64,
                touched: Optional[Mapping[str, list[int]]] = None, where: str = "",
                title: Optional[str] = None) -> list[str]:
    """The record as pahole prints it: each member with ``/* offset size */``, holes, cache-line
    boundaries, then the totals; marks (atomic, alignas, loops) after the comment."""
    rows = layout_rows(layout, line_size, touched)
    decls = [f"/* base */ {r.field.type_name}" if r.field.is_base else _declarator(r.field)
             for r in rows if r.kind == "field"]
    width = max([len(d) for d in decls] + [24])
    out = [f"{layout.kind} {title or layout.name} {{" + (f"  // {where}" if where else "")]

    def blank() -> None:
        if out[-1] != "":
            out.append("")

    last_field: Optional[FieldLayout] = None
    for r in rows:
        if r.kind == "field":
            f = last_field = r.field
            decl = f"/* base */ {f.type_name}" if f.is_base else _declarator(f)
            at = f"{f.bit_offset // 8:>5}:{f.bit_offset % 8:<2}" if f.is_bitfield else f"{f.offset:>8}"
            size = f"{f.bit_width}b" if f.is_bitfield else str(f.size)
            line = f"    {decl:<{width}} /* {at} {size:>5} */"
            if r.marks:
                line += "  " + "; ".join(r.marks)
            out.append(line)
        elif r.kind == "vptr":
            out.append(f"    {'/* vtable pointer */':<{width}} /* {0:>8} {r.size:>5} */")
        elif r.kind in ("padding", "tail-padding"):
            blank()
            out.append(f"    /* XXX {_plural(r.size, 'byte')} {'tail padding' if r.kind == 'tail-padding' else 'hole, try to pack'} */")
            out.append("")
        else:
            inside = (last_field is not None and not last_field.is_bitfield
                      and last_field.offset < r.offset < last_field.end)
            out.append(f"    /* --- cacheline {r.offset // line_size} boundary ({r.offset} bytes)"
                       + (f", inside `{last_field.name}`" if inside else "") + " --- */")
    _, holes = _split_vptr(layout)
    inner = [n for off, n in holes if off + n != layout.size]
    tail = sum(n for off, n in holes if off + n == layout.size)
    members = sum(1 for f in layout.fields if not f.is_base)
    sum_members = sum(f.size for f in layout.fields if not f.is_bitfield)
    blank()
    out.append(f"    /* size: {layout.size}, cachelines: {layout.cache_lines(line_size)}, members: {members}, "
               f"alignment: {layout.align}{', packed' if layout.packed else ''} */")
    out.append(f"    /* sum members: {sum_members}, holes: {len(inner)}, sum holes: {sum(inner)}"
               + (f", padding: {tail}" if tail else "") + " */")
    last = layout.size % line_size
    if last:
        out.append(f"    /* last cacheline: {_plural(last, 'byte')} */")
    out.append("};")
    return out
