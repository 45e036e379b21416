"""Hover text: a finding's rule, numbers and evidence; a record's layout table."""

from __future__ import annotations

import re
from typing import Optional

from ..evidence import evidence_for
from ..model import Applicability, Diagnostic
from ..output.layout import layout_table as layout_table  # the hover's record table (hotlint layout draws the same rows)


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
