"""A third-party rule pack used by the tests: loaded through `rule-paths`."""

from hotlint.model import Applicability, Edit, Fix, Range
from hotlint.rule import Finding, Option, Rule


class DemoRecord(Rule):
    """Reports every record defined in the linted file, with its real size.

    ## What it does
    Names each record and its size.

    ## Why is this bad?
    It is not; it proves the rule API.

    ## Example
    `struct S { int a; };`

    ## Use instead
    Nothing.

    ## Fix safety
    The fix appends a comment; it is safe.

    ## Options
    `min-size`: smallest record reported.

    ## References
    hotlint's rule API.
    """

    name = "demo-record"
    summary = "every record, with its size (test rule pack)"
    options = {"min-size": Option(0, "smallest record size reported")}

    def check(self, view):
        for rec in view.records:
            if rec.layout.size < self.option(view, "min-size"):
                continue
            r = rec.layout.name_range
            end = rec.layout.range.end
            if view.line_text(end.line)[end.column - 1:].startswith(" /*"):
                continue  # already annotated: a fix must remove its own finding
            yield Finding(
                r,
                f"`{rec.layout.name}` is {rec.layout.size} bytes, align {rec.layout.align}",
                severity=self.severity_for(view, rec.node) if rec.node else None,
                fix=Fix("note the size", (Edit(Range(end, end), f" /* {rec.layout.size} bytes */"),),
                        Applicability.SAFE),
            )
