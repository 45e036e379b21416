"""``--format github``: workflow commands that GitHub Actions shows as annotations."""

from __future__ import annotations

from . import Report, display_path, safe

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(s: str) -> str:
    # `safe` first: no raw line break can start a workflow command of its own, and no escape
    # sequence reaches the log (which renders ANSI colours)
    return safe(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    out = []
    for e in report.errors:
        props = f"file={_escape_prop(display_path(e.path))}"
        if e.line is not None:
            props += f",line={e.line},col={e.column}"
        msg = e.message + (f" ({e.hint})" if e.hint else "")
        out.append(f"::error {props},title=hotlint {_escape_prop(e.kind)}::{_escape_data(msg)}")
    for d in report.diagnostics:
        r = d.range
        props = (f"file={_escape_prop(display_path(d.path))},line={r.start.line},col={r.start.column},"
                 f"endLine={r.end.line},endColumn={r.end.column},title=hotlint {d.rule}")
        out.append(f"::{_LEVEL[d.severity.value]} {props}::{_escape_data(f'[{d.rule}] {d.message}')}")
    return "\n".join(out)
