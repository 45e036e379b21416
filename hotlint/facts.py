"""Per-unit facts and the merge step: the project-wide part of a run, separable from the analysis.

A whole-project run analyzes every file, joins each result's call-graph and thread-role fragment
(``FileResult.hotness``) into one ``callgraph.ProjectGraph`` and then ranks the findings by it
(``cli._Ranking``): a finding in ``b.cpp`` is a warning because a hot function of ``a.cpp`` calls it
in a loop. A build system runs one process per translation unit, on as many machines as it has,
and caches each by its inputs; so the run is split in two:

- ``hotlint --facts-out FILE <unit> [-- compile command]`` analyzes as usual and, instead of a
  report, writes the unit's facts: its findings *before* ranking, its errors and notes, its graph
  fragment and its ranking settings (profiles, hot threshold, minimum severity). Paths below the
  working directory are written relative to it, so the same unit gives the same bytes in any
  sandbox or checkout; keys are sorted and lists ordered, and the file is replaced atomically.
- ``hotlint merge FACTS... [--format ... --profile ...]`` reads them all, joins the graph, ranks and
  reports exactly as the whole-project run would have. A facts file that cannot be read is an
  error naming it (exit 2); the others are still merged.

The serialization of a result is the cache's (``FileResult.to_json``).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from typing import Iterable, Optional, Sequence

from . import __version__
from .model import ErrorRecord, FileResult
from .safeio import ReadRefused, read_regular

FACTS_FORMAT = "hotlint-facts"
FACTS_VERSION = 1
FACTS_SUFFIX = ".hotlint-facts.json"  # what `hotlint merge FOLDER` reads below FOLDER
FACTS_LIMIT = 256 * 1024 * 1024


class FactsError(Exception):
    """A facts file that cannot be merged; the message says why."""


# --------------------------------------------------------------------------- paths

# In a facts file the working directory of the run is written as a marker, so the facts do not
# depend on where the unit was analyzed (a Bazel sandbox, a CI runner's checkout). A NUL already in
# a string is doubled, so the marker cannot be forged by the text of a message.
_MARK = "\x00R"
_DECODE = re.compile("\x00(\x00|R)")


def _encode_str(s: str, prefix: str) -> str:
    if "\x00" in s:
        s = s.replace("\x00", "\x00\x00")
    return s.replace(prefix, _MARK) if prefix in s else s


def _decode_str(s: str, prefix: str) -> str:
    return _DECODE.sub(lambda m: "\x00" if m.group(1) == "\x00" else prefix, s) if "\x00" in s else s


def _walk(obj, fn):
    if isinstance(obj, str):
        return fn(obj)
    if isinstance(obj, dict):
        return {fn(k) if isinstance(k, str) else k: _walk(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_walk(v, fn) for v in obj]
    return obj


def _prefix(root: str) -> str:
    root = os.path.abspath(root)
    return root if root.endswith(os.sep) else root + os.sep


def relocate_out(obj, root: str):
    """``obj`` (JSON data) with ``root/`` written as the marker in every string."""
    prefix = _prefix(root)
    return _walk(obj, lambda s: _encode_str(s, prefix))


def relocate_in(obj, root: str):
    """``obj`` read from a facts file, the marker replaced by ``root/``."""
    prefix = _prefix(root)
    return _walk(obj, lambda s: _decode_str(s, prefix))


# --------------------------------------------------------------------------- writing

# options of a run that act on its ranked report: with --facts-out there is none (merge makes it)
_REPORT_OPTIONS = (("fix", "--fix"), ("diff", "--diff"), ("show_fixes", "--show-fixes"),
                   ("show_settings", "--show-settings"), ("export_fixes", "--export-fixes"),
                   ("baseline", "--baseline"), ("write_baseline", "--write-baseline"),
                   ("diff_base", "--diff-base"), ("output_file", "--output-file"))


def report_options(ns) -> list[str]:
    """The options of ``ns`` that do not combine with ``--facts-out``."""
    return [flag for attr, flag in _REPORT_OPTIONS if getattr(ns, attr, None)]



def unit_facts(report, ranking: dict, fragments: dict, root: str) -> dict:
    """The facts of a run: ``report`` before ranking (its findings, errors, notes and counts),
    ``ranking`` (path -> (profiles, hot threshold, minimum severity)) and ``fragments`` (path ->
    the file's call-graph fragment), with paths below ``root`` made relative to it."""
    from .model import Diagnostic

    paths = set(ranking) | set(fragments) | {d.path for d in report.diagnostics} | {e.path for e in report.errors}
    results = []
    for path in sorted(paths):
        res = FileResult(path=path,
                         diagnostics=sorted((d for d in report.diagnostics if d.path == path), key=Diagnostic.sort_key),
                         errors=sorted((e for e in report.errors if e.path == path), key=ErrorRecord.sort_key),
                         hotness=fragments.get(path))
        item = res.to_json()
        item.pop("dependencies", None)  # for the cache's validity, not the ranking
        item.pop("warnings", None)  # they are the notes
        for d in item["diagnostics"]:
            d.pop("evidence", None)  # cited again where the report is made (``cli._collect``)
        if path in ranking:
            profiles, threshold, minimum = ranking[path]
            item["ranking"] = {"profile": list(profiles), "hot_threshold": threshold, "min_severity": minimum}
        results.append(item)
    notes = sorted({(p, n) for p, n in report.notes})
    data = {"format": FACTS_FORMAT, "version": FACTS_VERSION, "hotlint": __version__,
            "files": report.files, "cached": report.cached,
            "results": results, "notes": [list(n) for n in notes]}
    return relocate_out(data, root)


def dumps(facts: dict) -> str:
    """Deterministic text: sorted keys, no spaces, ASCII, one final newline."""
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"


def write_facts(path: str, facts: dict) -> None:
    """``facts`` to ``path`` through a temporary file in the same folder renamed over it: a build
    that is interrupted leaves the old facts or the new ones, never half of them."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    text = dumps(facts)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".hotlint-facts-", suffix=".tmp")
    except OSError as exc:
        raise FactsError(f"--facts-out {path}: cannot write there: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise FactsError(f"--facts-out {path}: cannot write it: {exc.strerror or exc}") from None
        raise


def write_unit_facts(path: str, report, ranking: dict, graph) -> int:
    """The ``--facts-out`` step of ``cli.run_lint``: writes the facts; exit 0 once written (the
    unit's errors are facts too: ``hotlint merge`` reports them and exits 2)."""
    from .cli import EXIT_OK, UsageError

    try:
        write_facts(path, unit_facts(report, ranking, graph.fragments(), os.getcwd()))
    except FactsError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK


# --------------------------------------------------------------------------- reading


def load_facts(path: str, root: str) -> dict:
    """The facts in ``path``, their paths made absolute below ``root``; ``FactsError`` saying why
    when the file is not facts this hotlint can merge."""
    try:
        data = json.loads(read_regular(path, FACTS_LIMIT))
    except ReadRefused as exc:
        raise FactsError(str(exc)) from None
    except OSError as exc:
        raise FactsError(f"cannot read it: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise FactsError(f"not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FACTS_FORMAT:
        raise FactsError("not a hotlint facts file (written by `hotlint --facts-out`)")
    if data.get("version") != FACTS_VERSION:
        raise FactsError(f"facts version {data.get('version')!r}; this hotlint merges version {FACTS_VERSION} "
                         "(write the facts again with this hotlint)")
    data = relocate_in(data, root)
    try:
        results = []
        for item in data["results"]:
            res = FileResult.from_json(item)
            setting = item.get("ranking")
            ranking = None
            if setting is not None:
                ranking = (tuple(str(p) for p in setting["profile"]), setting["hot_threshold"],
                           setting["min_severity"])
            results.append((res, ranking, json.dumps(item, sort_keys=True)))
        notes = [(str(p), str(n)) for p, n in data.get("notes", ())]
        files, cached = int(data.get("files", 0)), int(data.get("cached", 0))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FactsError(f"malformed facts ({type(exc).__name__}: {exc})") from None
    return {"results": results, "notes": notes, "files": files, "cached": cached,
            "hotlint": data.get("hotlint")}


def expand(paths: Iterable[str]) -> list[str]:
    """The facts files ``paths`` name: a file as given, a folder's ``*.hotlint-facts.json`` below it
    (sorted), ``@LIST`` the paths listed one a line in LIST (as a build's parameter file)."""
    out: list[str] = []
    for p in paths:
        if p.startswith("@") and len(p) > 1:
            try:
                text = read_regular(p[1:], FACTS_LIMIT).decode("utf-8")
            except (OSError, ReadRefused, UnicodeDecodeError) as exc:
                out.append(p[1:])  # reported as the unreadable file it is
                continue
            out.extend(line.strip() for line in text.splitlines() if line.strip())
        elif os.path.isdir(p):
            found = []
            for folder, dirs, names in os.walk(p):
                dirs.sort()
                found.extend(os.path.join(folder, n) for n in names if n.endswith(FACTS_SUFFIX))
            out.extend(sorted(found))
        else:
            out.append(p)
    return out


# --------------------------------------------------------------------------- merge


def merge_parser():
    from .cli import _Parser

    p = _Parser(prog="hotlint merge",
                description="Join the facts that `hotlint --facts-out` wrote for each unit (the call graph and "
                            "thread roles of the whole project), rank the findings by them and report, as one "
                            "run over all the units would. Exit codes as for a run: 0, 1 findings, 2 some input "
                            "(a unit, a facts file) could not be analyzed or read, 3 usage error.")
    p.add_argument("facts", nargs="+", metavar="FACTS",
                   help=f"facts files; a folder: every *{FACTS_SUFFIX} below it; @LIST: the files listed in LIST")
    p.add_argument("--root", metavar="DIR",
                   help="where the paths the units were analyzed under are found (default: the working "
                        "directory; the units' own working directory when they ran)")
    p.add_argument("--format", choices=("text", "concise", "json", "sarif", "github"), default="text")
    p.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE (replaced atomically)")
    p.add_argument("--statistics", action="store_true", help="count findings per rule")
    p.add_argument("--profile", action="append", metavar="FILE",
                   help="rank by this profile (repeatable), replacing the profiles the units were configured with")
    p.add_argument("--hot-threshold", metavar="PERCENT", help="replaces the units' hot threshold")
    p.add_argument("--min-severity", choices=("info", "warning", "error"), help="replaces the units' minimum severity")
    p.add_argument("--baseline", metavar="FILE", help="report only findings not in this baseline (as a run's)")
    p.add_argument("--write-baseline", metavar="FILE", help="record the reported findings in FILE and exit 0 on them")
    p.add_argument("--diff-base", metavar="REF", help="report only findings on lines changed since the git ref REF")
    p.add_argument("--fail-on", choices=("info", "warning", "error"),
                   help="exit 1 only when a reported finding is of this severity or above")
    p.add_argument("--config", metavar="FILE", help="the configuration whose rules the report describes (SARIF)")
    p.add_argument("--trust", action="store_true", help="load the configuration's `rule-paths` rule packs")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    p.add_argument("--exit-zero-on-errors", action="store_true", help="exit 0, not 2, when some input could not be read")
    p.add_argument("-q", "--quiet", action="store_true", help="print the findings and the summary only: no notes")
    return p


def merge(facts_paths: Sequence[str], root: str, ranking_overrides: Optional[dict] = None):
    """(report before ranking, ranking settings by path, joined graph) of ``facts_paths``. The first
    facts of a path are used when several files hold it (a source in two build targets); when they
    differ a note says so. A file that cannot be merged is an error naming it."""
    from .callgraph import ProjectGraph
    from .cli import _collect
    from .output import Report

    over = ranking_overrides or {}
    report = Report()
    graph = ProjectGraph()
    ranking: dict[str, tuple] = {}
    seen: dict[str, tuple[str, str]] = {}  # path -> (facts file, its serialized result)
    notes_seen: set = set()
    versions: dict[str, list[str]] = {}
    for fp in facts_paths:
        try:
            facts = load_facts(fp, root)
        except FactsError as exc:
            report.errors.append(ErrorRecord(path=os.path.abspath(fp), message=f"facts {exc}", kind="facts",
                                             hint="write it again with `hotlint --facts-out`"))
            continue
        if facts["hotlint"] != __version__:
            versions.setdefault(str(facts["hotlint"]), []).append(fp)
        report.files += facts["files"]
        report.cached += facts["cached"]
        for res, setting, blob in facts["results"]:
            if res.path in seen:
                first, first_blob = seen[res.path]
                if blob != first_blob:
                    report.notes.append((res.path, f"facts from several units differ ({first}, {fp}); "
                                                   f"the first are used"))
                continue
            seen[res.path] = (fp, blob)
            _collect(report, res, graph)
            if setting is not None:
                profiles, threshold, minimum = setting
                ranking[res.path] = (tuple(over.get("profile", profiles)), over.get("hot_threshold", threshold),
                                     over.get("min_severity", minimum))
        for note in facts["notes"]:
            if note not in notes_seen:
                notes_seen.add(note)
                report.notes.append(note)
    for version, files in sorted(versions.items()):
        report.notes.append(("<merge>", f"{len(files)} facts file{'s' if len(files) != 1 else ''} written by "
                                        f"hotlint {version}, merged by {__version__} (e.g. {files[0]})"))
    return report, ranking, graph


def merge_main(argv: Sequence[str]) -> int:
    from rich.console import Console

    from . import tidy
    from .baseline import Adoption, AdoptionError
    from .cli import (EXIT_ERRORS, EXIT_FINDINGS, EXIT_OK, UsageError, _note_lines, _Ranking,
                      _registry_for_config, _write, _write_atomically, say)

    ns = merge_parser().parse_args(argv)
    ns.fix = ns.diff = ns.show_fixes = False  # what a run's helpers ask of its command line
    if ns.output_file and not os.path.isdir(os.path.dirname(os.path.abspath(ns.output_file))):
        raise UsageError(f"--output-file {ns.output_file}: no such folder")
    over: dict = {}
    if ns.profile:
        over["profile"] = tuple(os.path.abspath(p) for p in ns.profile)
    if ns.hot_threshold is not None:
        from .rank import parse_threshold

        try:
            over["hot_threshold"] = parse_threshold(ns.hot_threshold)
        except ValueError as exc:
            raise UsageError(f"--hot-threshold {exc}") from None
    if ns.min_severity is not None:
        over["min_severity"] = ns.min_severity
    root = os.path.abspath(ns.root or os.getcwd())
    files = expand(ns.facts)
    if not files:
        raise UsageError("no facts files found in " + ", ".join(ns.facts))
    report, ranking, graph = merge(files, root, over)
    try:  # --baseline, --write-baseline, --diff-base, on the units the facts are about
        adoption = Adoption.from_args(ns, sorted(ranking), None)
    except AdoptionError as exc:
        raise UsageError(str(exc)) from None
    rank = _Ranking(report, ranking, graph)
    report.diagnostics = rank(report.diagnostics)
    report.sort()
    err = Console(stderr=True, highlight=False)
    if adoption is not None:
        adoption.apply(report, lambda line: None if ns.quiet else say(err, line), _write_atomically)
    if not ns.quiet:
        for line in _note_lines(report.notes):
            say(err, line)
    registry, skipped = _registry_for_config(ns.config, ns.trust)
    if skipped and not ns.quiet:
        say(err, f"hotlint: note: {skipped}")
    _write(report, ns, dict(registry.rules))
    if report.errors and not ns.exit_zero_on_errors:
        return EXIT_ERRORS
    if tidy.fails(ns, report) and not ns.write_baseline:  # recorded: none of them is new
        return EXIT_FINDINGS
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(merge_main(sys.argv[1:]))
