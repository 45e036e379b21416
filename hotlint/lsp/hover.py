"""Hover text: a finding's rule, numbers and evidence; a record's layout table."""

from __future__ import annotations

import re
from typing import Optional

from ..evidence import evidence_for
from ..model import Applicability, Diagnostic, RecordLayout


def doc_section(documentation: str, title: str) -> str:
    """The body of the ``## title`` section of a rule's documentation."""
    m = re.search(rf"^##\s+{re.escape(title)}\s*$(.*?)(?=^##\s|\Z)", documentation, re.M | re.S)
    return m.group(1).strip() if m else ""


def finding_markdown(d: Diagnostic, rule_cls: Optional[type]) -> str:
    """This finding's numbers, its fix, the measured evidence and the rule's explanation."""
    head = f"**hotlint `{d.rule}`**"
    if rule_cls is not None and rule_cls.summary:
        head += f": {rule_cls.summary}"
    parts = [head, d.message]
    if d.notes:
        parts.append("\n".join(f"- {n}" for n in d.notes))
    if d.fix is not None:
        label = {Applicability.SAFE: "safe fix", Applicability.UNSAFE: "unsafe fix (review it)",
                 Applicability.DISPLAY_ONLY: "suggested rewrite (its Rewrite code action applies it when chosen)",
                 }[d.fix.applicability]
        fix = f"**{label.capitalize()}:** {d.fix.description}"
        if d.fix.applicability is Applicability.DISPLAY_ONLY:
            code = "\n".join(e.new_text for e in d.fix.edits if e.new_text.strip())
            if code:
                fix += f"\n\n```cpp\n{code.rstrip()}\n```"
        parts.append(fix)
    evidence = d.evidence or evidence_for(d.rule, d.case)
    parts.append(f"**Measured:** {evidence}" if evidence else
                 f"**Measured:** no figures yet; `hotlint bench {d.rule}` measures the slow/fast pair on this machine.")
    if rule_cls is not None:
        why = doc_section(rule_cls.documentation(), "Why is this bad?")
        if why:
            parts.append(f"**Why is this bad?** {why}")
    parts.append(f"`hotlint rule {d.rule}` prints the full documentation.")
    return "\n\n".join(parts)


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


def layout_table(layout: RecordLayout, line_size: int = 64) -> str:
    """Markdown: size, alignment, each field's offset and size, holes and cache-line boundaries."""
    vptr, holes = _split_vptr(layout)
    wasted = sum(n for _, n in holes)
    lines = layout.cache_lines(line_size)
    head = (f"**{layout.kind} {layout.name}**: {_plural(layout.size, 'byte')}, alignment {layout.align}, "
            f"{_plural(lines, 'cache line')} of {line_size} bytes")
    if layout.packed:
        head += ", packed"
    head += f"; {_plural(wasted, 'byte')} of padding" + (f" in {_plural(len(holes), 'hole')}" if holes else "")

    rows: list[tuple[int, int, str]] = []  # (offset in bits, sort rank, markdown row)
    for f in layout.fields:
        name = f"base `{f.type_name}`" if f.is_base else f"`{f.name}`"
        if f.is_bitfield:
            where = f"{f.bit_offset // 8} (bit {f.bit_offset % 8})"
            size = _plural(f.bit_width, "bit")
        else:
            where, size = str(f.offset), str(f.size)
        notes = []
        if f.explicit_align:
            notes.append(f"alignas({f.explicit_align})")
        if f.is_atomic:
            notes.append("atomic")
        span = f.cache_lines(line_size)
        if not f.is_bitfield and len(span) > 1:
            notes.append(f"spans cache lines {span.start}–{span.stop - 1}")
        type_cell = "" if f.is_base else f"`{f.type_name}`"
        rows.append((f.bit_offset if f.is_bitfield else f.offset * 8, 1,
                     f"| {where} | {size} | {name} | {type_cell} | {', '.join(notes)} |"))
    if vptr:
        rows.append((0, 0, f"| 0 | {vptr} | *vtable pointer* |  |  |"))
    for offset, n in holes:
        label = "*tail padding*" if offset + n == layout.size else "*padding*"
        rows.append((offset * 8, 2, f"| {offset} | {n} | {label} |  |  |"))
    for boundary in range(line_size, layout.size, line_size):
        rows.append((boundary * 8, -1, f"| **{boundary}** |  | *cache line {boundary // line_size} begins* |  |  |"))
    rows.sort(key=lambda r: (r[0], r[1]))
    table = ["| offset | size | field | type | |", "|---:|---:|---|---|---|"] + [r[2] for r in rows]
    return head + "\n\n" + "\n".join(table)
