"""Ranking: a stage after analysis that sets each finding's severity from evidence of how often
its code runs, and leaves out what is below ``--min-severity``.

Measured evidence first. With ``--profile`` each finding is matched to the profile by its
``Diagnostic.where`` (enclosing function and loop, from the engine) and file, and gets a
``Measurement``:

- ``hot`` (its loop's, or else its function's, share of the profile is at least the threshold,
  1% by default): ``error`` when the rule's mechanism applies (the rule gave it at least a warning
  before its loop-depth guess), else ``warning``. A hot finding is never hidden.
- ``cold`` (below a tenth of the threshold, or not run at all in a file the profile covers):
  ``info``, so hidden by default.
- ``warm`` (in between): the rule's own severity, at most ``warning``.
- not measured (a file the profile does not cover, a finding outside every function): the
  engine's severity, at most ``warning`` (``error`` needs a measurement).

The message ends with its evidence in a few words ("hot: 79% of the callgrind profile") and a note
gives the figures ("this loop runs 79% of the profiled instructions; the allocation on this line
27%"); JSON and SARIF carry them as fields (``Diagnostic.measured``).

Inferred evidence for what no profile measures (``infer``: the file's cold regions and the
project's call graph, ``hotlint.callgraph``, joined from every result's ``hotness``):

- **cold** (``info``, hidden by default): the finding is in a catch handler, an ``[[unlikely]]``
  or ``__builtin_expect``-unlikely branch, a branch that ends in an error return, ``throw`` or
  ``abort``, directly in a loop doing I/O on every iteration; or its function is cold (an
  attribute, ``cold-functions``, a set-up/teardown name, or called only from cold code); or it is
  in a loop nest of a small constant trip count in a function with no hot evidence.
- **hot** or **warm** (at most ``warning``): its function is ``[[gnu::hot]]``, matched by
  ``hot-functions``, reached from such a function or one a profile shows hot, or called on each
  iteration of a loop elsewhere in the project.
- no evidence: the engine's severity, at most ``warning``.

``error`` is kept for measured hotness: a finding a profile shows hot is never hidden, and one it
shows cold is an ``info`` whatever the text suggests.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from .callgraph import ProjectGraph
from .model import Diagnostic, Measurement, Severity

DEFAULT_HOT_THRESHOLD = 0.01  # a fraction of the profile's total
COLD_FRACTION = 0.1  # cold: below this part of the hot threshold
DEFAULT_MIN_SEVERITY = Severity.WARNING
ALLOC_RULES = frozenset({"alloc-in-loop"})
LAYOUT_RULES = frozenset({"aos-layout"})  # findings moot on an array that stays in L1

_UNIT_WORDS = {"Ir": "instructions", "samples": "samples", "seconds": "time", "cpu-clock": "time",
               "task-clock": "time", "cycles": "cycles", "instructions": "instructions"}


def percent(share: float) -> str:
    """``79%``, ``6.2%``, ``0.031%``, ``0.0%``: enough digits to tell the figure from zero."""
    p = share * 100
    if p >= 10:
        return f"{p:.0f}%"
    if p >= 1:
        return f"{p:.1f}%"
    if p == 0:
        return "0.0%"
    return f"{p:.2g}%" if p >= 0.001 else "<0.001%"


def parse_threshold(value) -> float:
    """A hot threshold given in percent (``1``, ``0.5``, ``"2%"``) as a fraction; ``ValueError``
    when it is not a number between 0 and 100."""
    text = str(value).strip()
    if text.endswith("%"):
        text = text[:-1]
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"must be a percentage such as 1 or 0.5%, got {value!r}") from None
    if not (0 < number <= 100):
        raise ValueError(f"must be a percentage above 0 and at most 100, got {value!r}")
    return number / 100


def engine_shift(hotness: int) -> int:
    """The severity steps ``Rule.severity_for`` adds at the engine's static ``hotness``."""
    return 1 if hotness >= 2 else -1 if hotness < 0 else 0


def _unit_words(unit: str) -> str:
    return _UNIT_WORDS.get(unit, f"`{unit}`")


@dataclass
class Ranker:
    """Ranks diagnostics by the given profiles (``hotlint.profile.Profile``) and hot threshold."""

    profiles: Sequence
    threshold: float = DEFAULT_HOT_THRESHOLD
    graph: Optional[ProjectGraph] = None  # the project's call graph and cold regions, for ``infer``
    _knows: dict = field(default_factory=dict)
    _basenames: dict = field(default_factory=dict)
    _covered: set = field(default_factory=set)  # ids of profiles that matched some analyzed code
    _ranked: int = 0  # findings ranked so far
    _rooted: bool = False  # the profiles' hot functions are roots of the graph's hotness

    # ------------------------------------------------------------------ matching

    def _file_less(self, profile) -> bool:
        return not profile.files and not any(f.file or f.files for f in profile.functions)

    def _knows_file(self, profile, path: str) -> bool:
        key = (id(profile), path)
        if key not in self._knows:
            self._knows[key] = self._names_basename(profile, path) and profile.knows_file(path)
        return self._knows[key]

    def _names_basename(self, profile, path: str) -> bool:
        names = self._basenames.get(id(profile))
        if names is None:
            files = set(profile.files)
            for f in profile.functions:
                files.update(f.files or ((f.file,) if f.file else ()))
            names = self._basenames[id(profile)] = {os.path.basename(f.replace("\\", "/")) for f in files}
        return os.path.basename(path) in names

    def measure(self, profile, d: Diagnostic) -> Optional[Measurement]:
        """What ``profile`` says of ``d``'s code; None when ``d`` is outside every function."""
        w = d.where
        if w is None:
            return None
        path = d.path
        scope, share = None, None
        for name, lines in (("loop", w.loop_lines), ("lambda", w.lambda_lines)):
            if lines is not None and share is None:
                share = profile.line_share(path, lines[0], lines[1], inclusive=True)
                scope = name if share is not None else None
        fshare = None
        if w.qualified_name != "<lambda>":
            fshare = profile.function_share(w.qualified_name, path, extent=w.function_lines)
            if fshare is None:  # a format without inclusive costs (gprof's flat profile)
                fshare = profile.function_share(w.qualified_name, path, inclusive=False,
                                                extent=w.function_lines)
        if fshare is None:
            fshare = profile.line_share(path, w.function_lines[0], w.function_lines[1], inclusive=True)
        if share is None and fshare is not None:
            scope, share = "function", fshare
        operation, op_share = None, None
        line = d.range.start.line
        if d.rule in ALLOC_RULES:
            from .profile import ALLOCATORS  # noqa: PLC0415

            op_share = profile.call_share(path, line, ALLOCATORS)
            operation = "allocation" if op_share is not None else None
        if op_share is None:
            op_share = profile.line_share(path, line, inclusive=True)
            operation = "line" if op_share else None  # a line whose cost is inlined elsewhere says nothing
            op_share = op_share or None
        if share is None:
            ran_nothing = self._knows_file(profile, path) or (self._file_less(profile)
                                                              and id(profile) in self._covered)
            if not ran_nothing:
                return Measurement(profile.path, profile.format, profile.unit, "unmeasured", self.threshold)
            scope, share = "function", 0.0
        self._covered.add(id(profile))
        if share >= self.threshold:
            hotness = "hot"
        elif share < self.threshold * COLD_FRACTION:
            hotness = "cold"
        else:
            hotness = "warm"
        return Measurement(profile.path, profile.format, profile.unit, hotness, self.threshold, scope, share,
                           fshare, operation, op_share)

    def best(self, d: Diagnostic) -> Optional[Measurement]:
        """The measurement of the profile that shows ``d``'s code hottest."""
        found = [m for m in (self.measure(p, d) for p in self.profiles) if m is not None]
        if not found:
            return None
        measured = [m for m in found if m.share is not None]
        if measured:
            return max(measured, key=lambda m: m.share)
        return found[0]

    # ------------------------------------------------------------------ ranking

    def rank(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Set severity, message, notes and ``measured`` of each diagnostic from the profiles."""
        diagnostics = list(diagnostics)
        self._ranked += len(diagnostics)
        # profiles without any file names are matched by function name alone: one that matches
        # some finding's function covers the run, and a function it lacks did not run
        for d in diagnostics:
            if d.where is not None and d.where.qualified_name != "<lambda>":
                for p in self.profiles:
                    if id(p) not in self._covered and p.functions_matching(d.where.qualified_name, d.path):
                        self._covered.add(id(p))
        for d in diagnostics:
            said = d.message
            self._rank_one(d)
            if d.subjects and self.graph is not None:
                self._thread_roles(d, said)

    def infer(self, d: Diagnostic) -> Optional[tuple[str, str]]:
        """(hotness, evidence in a few words) for ``d`` without a measurement: ``cold``, ``hot``,
        ``warm`` or ``none``; None outside any function or without a graph."""
        w, g = d.where, self.graph
        if w is None or g is None:
            return None
        region = g.cold_region(d.path, d.range, w.loop_lines, layout=d.rule in LAYOUT_RULES)
        if region is not None and region.strength != "trip":
            return "cold", f"cold: {region.reason}"
        fn = g.function_at(d.path, w.function_lines[0])
        heat = g.heat(fn.usr) if fn is not None else None
        if heat is not None and heat.state == "cold":
            return "cold", f"cold: {heat.why}"
        if heat is not None:
            return heat.state, f"hot: {heat.why}"
        if region is not None:
            return "cold", f"cold: {region.reason}"
        return "none", "no evidence this runs often"

    def _profile_roots(self) -> None:
        """Make the functions a profile shows hot by their own cost (not what they call: every
        caller of hot code, up to ``main``, is inclusively hot) roots of the graph's hotness:
        what they call is hot where the profile itself has nothing (a file it does not cover)."""
        if self._rooted or self.graph is None or not self.profiles:
            return
        self._rooted = True
        roots = []
        for f in self.graph.functions.values():
            best = None
            for p in self.profiles:
                share = p.function_share(f.name, f.path, inclusive=False, extent=f.lines)
                if share is not None and share >= self.threshold and (best is None or share > best[0]):
                    best = (share, p.format)
            if best is not None:
                roots.append((f.usr, f"{percent(best[0])} of the {best[1]} profile"))
        if roots:
            self.graph.with_hot_roots(roots)

    def _rank_inferred(self, d: Diagnostic, said: Optional[str] = None) -> None:
        """Severity at most ``warning`` and the inferred evidence; ``said``: what the profile said."""
        d.severity = min(d.severity, Severity.WARNING, key=lambda s: s.rank)
        if said is not None:
            self._profile_roots()
        inferred = self.infer(d)
        if inferred is not None and inferred[0] == "cold":
            d.severity = Severity.INFO
        if inferred is not None and inferred[0] == "none" and said:
            inferred = None  # "not in the profile" says it already
            if d.where is None or d.where.hotness < 2:
                d.severity = Severity.INFO  # the profiled run never reached it, and nothing else says it repeats
        elif inferred is not None and inferred[0] == "none":
            # no profile and nothing in the project shows this code repeats: a pattern, not a cost
            # (an info, hidden by default); a loop nested in a loop is static evidence it repeats
            if d.where is not None and d.where.hotness >= 2:
                inferred = ("warm", "warm: a loop inside a loop")
            else:
                d.severity = Severity.INFO
        words = [w for w in (said, inferred[1] if inferred else None) if w]
        if words:
            d.message = _with_evidence(d.message, "; ".join(words))

    def _rank_one(self, d: Diagnostic) -> None:
        if not self.profiles:
            self._rank_inferred(d)
            return
        m = self.best(d)
        d.measured = m
        if m is None:
            self._rank_inferred(d, "not measured: outside any function")
            return
        if m.hotness == "unmeasured":
            self._rank_inferred(d, f"not in the {m.format} profile")
            return
        mechanism = d.severity.shifted(-engine_shift(d.where.hotness if d.where else 0))
        if m.hotness == "hot":
            d.severity = Severity.ERROR if mechanism.rank >= Severity.WARNING.rank else Severity.WARNING
        elif m.hotness == "cold":
            d.severity = Severity.INFO
        else:
            d.severity = min(mechanism, Severity.WARNING, key=lambda s: s.rank)
        d.message = _with_evidence(d.message, f"{m.hotness}: {percent(m.share)} of the {m.format} profile")
        d.notes = (*d.notes, figures_note(m, d))

    def _thread_roles(self, d: Diagnostic, said: str) -> None:
        """Members said to share a line (``d.subjects``) are falsely shared only when different
        threads write them. When every write to every group's members comes from one thread the
        project starts once (``ProjectGraph.writing_threads``), the finding is an ``info`` (a
        ``warning`` when a profile shows its code hot: never hidden) saying so; when several
        threads write them, a note names which writes which. ``said``: the message before ranking."""
        g = self.graph
        verdicts, notes = [], []
        for group in d.subjects:
            per_member = [(m, g.writing_threads(keys)) for m, keys in group]
            if any(t is None for _m, t in per_member):
                return  # a writer on a thread the project does not show starting: as the file tells
            entries = frozenset().union(*(t for _m, t in per_member))
            single = len(entries) == 1 and g.threads_started(next(iter(entries))) == 1
            verdicts.append(next(iter(entries)) if single else None)
            if not single:
                notes.append("; ".join(f"`{m}` is written by the thread{'s' if len(t) > 1 else ''} running "
                                       + ", ".join(sorted(g.entry_name(e) for e in t))
                                       for m, t in per_member))
        if verdicts and all(v is not None for v in verdicts):
            who = " and ".join(sorted(g.entry_name(e) for e in set(verdicts)))  # one per line
            hot = d.measured is not None and d.measured.hotness == "hot"
            d.severity = Severity.WARNING if hot else Severity.INFO
            ranked = d.message[len(said):].strip() if d.message.startswith(said) else ""
            words = ranked[1:-1] if ranked.startswith("(") and ranked.endswith(")") else ""
            d.message = _with_evidence(said, "; ".join(w for w in (f"one writer: the thread running {who}", words) if w))
            d.notes = (*d.notes, f"every write to these members comes from the one thread running {who}: "
                                 "one writer owns the line, so no other core invalidates it and this is not false sharing")
        elif notes:
            d.notes = (*d.notes, *notes)

    def coverage_notes(self, files: Iterable[str]) -> list[tuple[str, str]]:
        """(profile, note) for each profile that matched none of the analyzed code: said, never
        silent. Call after ``rank``."""
        files = list(files)
        out = []
        for p in self.profiles:
            # with findings, the profile must measure the code of one of them (a file name such as
            # main.cpp alone is in every program); without, it must name a linted file
            if id(p) in self._covered or (not self._ranked and any(self._knows_file(p, f) for f in files)):
                continue
            top = ", ".join(f"`{f.qualified}`" for f in p.functions[:3])
            which = (f"the code of none of the {self._ranked} finding{'s' if self._ranked != 1 else ''}"
                     if self._ranked else f"none of the {len(files)} file{'s' if len(files) != 1 else ''} linted")
            out.append((p.path, f"this {p.format} profile matches none of the analyzed code (it measures "
                                f"{which}; its costliest functions: {top}), so nothing is ranked by it: was it "
                                "recorded from a build of these sources?"))
        return out


def _with_evidence(message: str, evidence: str) -> str:
    return f"{message.rstrip()} ({evidence})"


def figures_note(m: Measurement, d: Diagnostic) -> str:
    """``profile cg.out: this loop (lines 19-26) runs 79% of the profiled instructions; the
    allocation on this line 27%``."""
    w = d.where
    if m.scope == "loop" and w is not None and w.loop_lines:
        what = f"this loop (lines {w.loop_lines[0]}-{w.loop_lines[1]})"
    elif m.scope == "lambda":
        what = "this lambda"
    else:
        what = f"`{w.qualified_name}`" if w is not None else "this code"
    verb = "runs" if m.share else "ran"
    text = f"profile {os.path.basename(m.profile)}: {what} {verb} {percent(m.share or 0.0)} of the profiled {_unit_words(m.unit)}"
    if m.scope != "function" and m.function_share is not None and w is not None:
        text += f" (`{w.qualified_name}` {percent(m.function_share)})"
    if m.operation_share is not None:
        label = "the allocation on this line" if m.operation == "allocation" else "this line"
        text += f"; {label} {percent(m.operation_share)}"
    if m.hotness == "hot":
        text += f"; hot means at least {percent(m.threshold)}"
    elif m.hotness == "cold":
        text += f"; cold means below {percent(m.threshold * COLD_FRACTION)}"
    return text


# ---------------------------------------------------------------------- the severity filter


def parse_severity(value: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ValueError(f"must be one of info, warning, error; got {value!r}") from None


def at_least(diagnostics: Iterable[Diagnostic], minimum: Severity) -> tuple[list[Diagnostic], Counter]:
    """The diagnostics at or above ``minimum``, and how many of each severity were left out."""
    shown, hidden = [], Counter()
    for d in diagnostics:
        if d.severity.rank >= minimum.rank:
            shown.append(d)
        else:
            hidden[d.severity.value] += 1
    return shown, hidden


def hidden_summary(hidden: Counter) -> Optional[str]:
    """``3 infos not shown (--min-severity info shows them)``."""
    total = sum(hidden.values())
    if not total:
        return None
    parts = ", ".join(f"{hidden[s]} {s}{'s' if hidden[s] != 1 else ''}" for s in ("warning", "info") if hidden[s])
    lowest = "info" if hidden["info"] else "warning"
    return f"{parts} not shown (--min-severity {lowest} shows {'them' if total > 1 else 'it'})"


__all__ = ["ALLOC_RULES", "COLD_FRACTION", "DEFAULT_HOT_THRESHOLD", "DEFAULT_MIN_SEVERITY", "Ranker", "at_least",
           "engine_shift", "figures_note", "hidden_summary", "parse_severity", "parse_threshold", "percent"]
