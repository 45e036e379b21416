"""Human output in the shape clang and ruff users know:

    src/q.cpp:12:3: warning: `head` (offset 0) and `tail` (offset 8) ... [false-sharing]
       12 |   std::atomic<long> head;
          |   ^~~~~~~~~~~~~~~~~~~~~~
          = fix (safe): align `tail` to its own cache line
"""

from __future__ import annotations

from collections import Counter
from typing import Optional

from rich.console import Console
from rich.text import Text

from ..model import Diagnostic, ErrorRecord
from . import Report, display_path, read_lines, safe

_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "bold cyan"}


def _frame(d: Diagnostic) -> list[Text]:
    lines = read_lines(d.path)
    n = d.range.start.line
    if not (0 < n <= len(lines)):
        return []
    line = lines[n - 1].expandtabs(1)
    raw = line.encode("utf-8", "surrogateescape")
    start = len(raw[: d.range.start.column - 1].decode("utf-8", "ignore"))
    if d.range.end.line == n:
        end = len(raw[: max(d.range.end.column - 1, d.range.start.column)].decode("utf-8", "ignore"))
    else:
        end = len(line.rstrip())
    end = max(end, start + 1)
    # control characters in the source are shown escaped, and the caret moves with them
    src = safe(line)
    start, end = len(safe(line[:start])), len(safe(line[:start])) + max(1, len(safe(line[start:end])))
    gutter = f"{n:>5} | "
    blank = " " * (len(gutter) - 2) + "| "
    caret = " " * start + "^" + "~" * (end - start - 1)
    return [
        Text(gutter, style="blue") + Text(src),
        Text(blank, style="blue") + Text(caret, style="bold green"),
    ]


def _note(label: str, body: str, style: str = "cyan") -> Text:
    return Text(" " * 6 + "= ", style="blue") + Text(safe(label) + ": ", style=style) + Text(safe(body))


# A note at least this long that a finding of the same rule already printed in full is replaced by
# a reference to that finding: the mechanism and evidence a rule explains once per run.
_REPEATED_NOTE = 60


def render_diagnostic(d: Diagnostic, show_fix: bool = True, show_evidence: bool = True,
                      explained: Optional[dict] = None) -> list[Text]:
    """The finding, its source frame, notes, fix and evidence. With ``explained`` (the long notes
    printed so far in this run, by rule and text, each with where it was printed), a long note
    already printed for this rule is not printed again: one line refers back to it."""
    head = Text(f"{safe(display_path(d.path))}:{d.range.start.line}:{d.range.start.column}: ", style="bold")
    head += Text(f"{d.severity.value}: ", style=_STYLE[d.severity.value])
    head += Text(safe(d.message))
    head += Text(f" [{safe(d.rule)}]", style="dim")
    out = [head, *_frame(d)]
    earlier: list[str] = []
    for note in d.notes:
        key = (d.rule, note)
        if explained is not None and len(note) >= _REPEATED_NOTE:
            if key in explained:
                earlier.append(explained[key])
                continue
            explained[key] = path_line(d)
        out.append(_note("note", note))
    if earlier:
        more = f" ({len(earlier)} notes)" if len(earlier) > 1 else ""
        out.append(_note("note", f"as explained under {earlier[0]} above{more}"))
    if show_fix and d.fix is not None:
        out.append(_note(f"fix ({d.fix.applicability.value})", d.fix.description, "green"))
    if d.evidence and show_evidence:
        out.append(_note("evidence", d.evidence, "magenta"))
    return out


def concise_diagnostic(d: Diagnostic) -> Text:
    """``path:line:col: severity: message [rule]`` on one line, as ruff's concise output."""
    head = Text(f"{safe(display_path(d.path))}:{d.range.start.line}:{d.range.start.column}: ", style="bold")
    return head + Text(f"{d.severity.value}: ", style=_STYLE[d.severity.value]) + Text(safe(d.message)) + Text(
        f" [{safe(d.rule)}]", style="dim")


def concise_error(e: ErrorRecord) -> Text:
    return render_error(e)[0]


def render_error(e: ErrorRecord, hint_count: int = 1) -> list[Text]:
    where = safe(display_path(e.path))
    if e.line is not None:
        where += f":{e.line}:{e.column}"
    head = Text(f"{where}: ", style="bold") + Text("error: ", style="bold red") + Text(safe(e.message))
    head += Text(f" [{safe(e.kind)}]", style="dim")
    out = [head]
    if e.hint and hint_count:
        more = f" (the same for {hint_count} files)" if hint_count > 1 else ""
        out.append(_note("help", e.hint + more, "green"))
    return out


def summary(report: Report) -> Text:
    n = len(report.diagnostics)
    by = Counter(d.severity.value for d in report.diagnostics)
    parts = ", ".join(f"{by[s]} {s}{'s' if by[s] != 1 else ''}" for s in ("error", "warning", "info") if by[s])
    text = Text()
    if report.fixed is not None:  # as ruff: "Found 127 findings (21 fixed, 106 remaining)"
        total = n + report.fixed
        text += Text(f"Found {total} finding{'s' if total != 1 else ''}", style="bold")
        text += Text(f" ({report.fixed} fixed, {n} remaining" + (f": {parts})" if parts else ")"))
    elif n:
        text += Text(f"Found {n} finding{'s' if n != 1 else ''}", style="bold") + Text(f" ({parts})")
    else:
        text += Text("No findings", style="bold green")
    text += Text(f" in {report.files} file{'s' if report.files != 1 else ''}")
    if report.cached:
        text += Text(f" ({report.cached} from cache)", style="dim")
    files = len({e.path for e in report.errors if e.kind not in ("profile", "invalid-suppression")})
    if files:
        text += Text(f"; {files} file{'s' if files != 1 else ''} could not be fully analyzed", style="bold red")
    invalid = sum(1 for e in report.errors if e.kind == "invalid-suppression")
    if invalid:
        text += Text(f"; {invalid} invalid suppression comment{'s' if invalid != 1 else ''}", style="bold red")
    profiles = len({e.path for e in report.errors if e.kind == "profile"})
    if profiles:
        text += Text(f"; {profiles} profile{'s' if profiles != 1 else ''} could not be read", style="bold red")
    fixable = sum(1 for d in report.diagnostics if d.fix is not None and d.fix.applicability.value == "safe")
    if fixable:
        text += Text(f"; {fixable} fixable with --fix", style="dim")
    from ..rank import hidden_summary  # noqa: PLC0415

    left_out = hidden_summary(report.hidden)
    if left_out:
        text += Text(f"; {left_out}", style="dim")
    return text + Text(".")


def statistics(report: Report, summaries: dict[str, str]) -> list[Text]:
    counts = Counter(d.rule for d in report.diagnostics)
    fixable = Counter(d.rule for d in report.diagnostics if d.fix is not None and d.fix.applicability.value == "safe")
    width = max((len(str(c)) for c in counts.values()), default=1)
    rwidth = max((len(r) for r in counts), default=4)
    out = []
    for rule, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = "[*]" if fixable[rule] else "   "
        out.append(Text(safe(f"{count:>{width}}  {rule:<{rwidth}}  {mark} {summaries.get(rule, '')}".rstrip())))
    errors = Counter(e.kind for e in report.errors)
    for kind, count in sorted(errors.items()):
        out.append(Text(safe(f"{count:>{width}}  {kind:<{rwidth}}      files that could not be analyzed"), style="red"))
    return out


def write(report: Report, console: Console, show_statistics: bool, summaries: dict[str, str],
          show_fixes: bool = True, quiet: bool = False, concise: bool = False) -> None:
    """The report in full (``concise``: one line per finding or error), then the summary line.

    A hint shared by several errors is printed once, with the count of files it is for; a rule's
    measured evidence, and each long note explaining its mechanism, is printed under its first
    finding only, later ones refer back to it (JSON, SARIF and the editor's hover carry them on each)."""
    if show_statistics:
        for line in statistics(report, summaries):
            console.print(line, soft_wrap=True)
        return
    if concise:
        for e in report.errors:
            console.print(concise_error(e), soft_wrap=True)
        for d in report.diagnostics:
            console.print(concise_diagnostic(d), soft_wrap=True)
        console.print(summary(report), soft_wrap=True)
        return
    hints = Counter(e.hint for e in report.errors if e.hint)
    hinted: set = set()
    for e in report.errors:
        count = 0 if quiet or e.hint in hinted else hints.get(e.hint, 0)
        hinted.add(e.hint)
        lines = render_error(e, count)
        for line in lines:
            console.print(line, soft_wrap=True)
        if len(lines) > 1 or e is report.errors[-1]:  # one-line errors run on, as a list
            console.print()
    cited: set[str] = set()
    explained: dict = {}
    for d in report.diagnostics:
        for line in render_diagnostic(d, show_fixes, show_evidence=d.rule not in cited, explained=explained):
            console.print(line, soft_wrap=True)
        cited.add(d.rule)
        console.print()
    console.print(summary(report), soft_wrap=True)


def path_line(d: Diagnostic) -> Optional[str]:
    return f"{display_path(d.path)}:{d.range.start.line}:{d.range.start.column}"
