"""The pure analysis engine: ``(path, text, compile args, settings) -> FileResult``.

The CLI, the language server and the bench command are thin adapters over
``analyze``; none of them parses C++ by any other road.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from typing import Optional, Sequence

from . import clang
from .compdb import HeaderContext
from .model import Diagnostic, ErrorRecord, FileResult, Severity
from .rule import Registry, Rule, load_rules
from .safeio import SOURCE_LIMIT, ReadRefused, read_regular
from .suppress import parse_suppressions
from .view import FileView, Settings

_CPU_FLAGS = ("-march=", "-mtune=", "-mcpu=", "-mfpu=", "-mfloat-abi=")
_SAFE_FLAGS = ("-I", "-isystem", "-iquote", "-idirafter", "-D", "-U", "-std=", "-x", "-include",
               "-imacros", "--sysroot", "-isysroot", "-F", "-stdlib=", "--target", "-target",
               "-resource-dir", "--driver-mode")


@dataclass
class EngineOptions:
    """Everything about a run that shapes one file's result (and so its cache key)."""

    rules: Sequence[str] = ()  # enabled rule names
    settings: Settings = field(default_factory=Settings)
    rule_paths: Sequence[str] = ()

    @classmethod
    def for_config(cls, cfg, path: str) -> "EngineOptions":
        """The options a ``config.Config`` (with its registry) gives ``path``."""
        settings = Settings(cache_line_size=cfg.cache_line_size, hot_functions=tuple(cfg.hot_functions),
                            cold_functions=tuple(cfg.cold_functions), thread_pool=tuple(cfg.thread_pool),
                            rule_options=cfg.rule_options)
        return cls(rules=tuple(cfg.rules_for(path, cfg.registry.names())), settings=settings,
                   rule_paths=tuple(cfg.rule_paths))


class FileProblem(Exception):
    """A file that cannot be read or is not text: reported, never raised past ``analyze``."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def read_source(path: str) -> str:
    """The file's text, or a ``FileProblem`` saying clearly why not.

    A FIFO, a device or a file over ``safeio.SOURCE_LIMIT`` is refused, never read."""
    try:
        if os.path.isdir(path):
            raise FileProblem("unreadable", "is a directory")
        data = read_regular(path, SOURCE_LIMIT)
    except ReadRefused as exc:
        raise FileProblem(exc.kind, str(exc)) from None
    except FileNotFoundError:
        raise FileProblem("missing-file", "no such file") from None
    except PermissionError:
        raise FileProblem("unreadable", "permission denied") from None
    except OSError as exc:
        raise FileProblem("unreadable", f"cannot read: {exc.strerror or exc}") from None
    return decode_source(data)


def decode_source(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise FileProblem("binary", "looks binary (contains NUL bytes); not C or C++ source")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            "encoding",
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); "
            "convert it to UTF-8 to analyze it",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _language(args: Sequence[str], path: str) -> str:
    for i, a in enumerate(args):
        if a == "-x" and i + 1 < len(args):
            return "c" if args[i + 1] in ("c", "c-header") else "c++"
        if a.startswith("-x") and len(a) > 2:
            return "c" if a[2:] in ("c", "c-header") else "c++"
    return "c" if path.endswith(".c") else "c++"


def parse_with_fallbacks(path: str, text: Optional[str], args: list[str], options: int = 0,
                         index=None, extra_unsaved: Sequence[tuple[str, str]] = ()):
    """Parse, dropping flags clang rejects instead of failing the file.

    Returns ``(tu, args_used, notes)``. Raises ``clang.ParseFailure`` when even the
    minimal flags do not give a unit.
    """
    notes: list[str] = []
    attempt = list(args)
    for step in range(4):
        try:
            tu = clang.parse(path, attempt, text, options, index, extra_unsaved)
        except clang.ParseFailure as exc:
            if exc.crashed:
                raise
            if step == 0 and any(a.startswith(_CPU_FLAGS) for a in attempt):
                dropped = [a for a in attempt if a.startswith(_CPU_FLAGS)]
                attempt = [a for a in attempt if not a.startswith(_CPU_FLAGS)]
                notes.append(f"dropped {' '.join(dropped)}: rejected by clang")
                continue
            minimal = _minimal(attempt)
            if minimal != attempt:
                notes.append("kept only include, define, language and standard flags: clang rejected the rest")
                attempt = minimal
                continue
            raise
        bad = clang.bad_arguments(tu.diagnostics)
        if bad and step < 3:
            notes.append(f"dropped {' '.join(sorted(set(bad)))}: not understood by clang")
            attempt = [a for a in attempt if a not in bad and a.split("=")[0] + "=" not in bad]
            continue
        return tu, attempt, notes
    return tu, attempt, notes


def _minimal(args: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(args):
        a = args[i]
        if a in ("-I", "-isystem", "-iquote", "-idirafter", "-D", "-U", "-x", "-include", "-imacros",
                 "--sysroot", "-isysroot", "-F", "-target", "--target") and i + 1 < len(args):
            out.extend(args[i:i + 2])
            i += 2
            continue
        if a.startswith(_SAFE_FLAGS):
            out.append(a)
        i += 1
    return out


def run_rules(view: FileView, rules: Sequence[Rule], path: str) -> tuple[list[Diagnostic], list[ErrorRecord]]:
    diagnostics, errors = [], []
    for rule in rules:
        if rule.needs_layout and not view.layouts_trusted:
            continue
        try:
            findings = list(rule.check(view) or ())
        except Exception as exc:  # a rule bug is reported against the file, never fatal
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(ErrorRecord(
                path=path, kind="rule-error",
                message=f"rule {rule.name} failed: {type(exc).__name__}: {exc} "
                        f"({os.path.basename(tb.filename)}:{tb.lineno}); other rules still ran",
            ))
            continue
        for f in findings:
            diagnostics.append(Diagnostic(
                path=path, range=f.range, rule=rule.name, severity=f.severity or rule.severity,
                message=f.message, fix=f.fix, notes=f.notes, subjects=f.subjects, case=f.case,
            ))
    return diagnostics, errors


def instantiate(registry: Registry, names: Sequence[str]) -> list[Rule]:
    return [registry.rules[n]() for n in names if n in registry.rules]


def analyze_unit(tu, path: str, text: str, args: Sequence[str], options: EngineOptions,
                 registry: Optional[Registry] = None, context: Optional[str] = None) -> FileResult:
    """Run the rules over an already-parsed unit (the language server keeps its units)."""
    return analyze_unit_with_view(tu, path, text, args, options, registry, context)[0]


def analyze_unit_with_view(tu, path: str, text: str, args: Sequence[str], options: EngineOptions,
                           registry: Optional[Registry] = None,
                           context: Optional[str] = None, roots: Optional[list] = None) -> tuple[FileResult, FileView]:
    """``analyze_unit`` and the file view the rules saw (its records, for layout hovers).

    ``roots``: the declarations to analyze, when not every one written in the file (the language
    server's declaration units: the edited declaration alone).

    With ``context`` (the path of the unit's main file), ``path`` is a header that unit includes:
    only what is spelled in the header is analyzed and its own parse errors reported (the caller
    has checked the unit has none elsewhere: ``context_errors``)."""
    registry = registry or load_rules(options.rule_paths)
    result = FileResult(path=path)
    errors = context_errors(tu, path)[0] if context else clang.error_records(tu, path)[0]
    if errors:
        first = errors[0]
        more = len(errors) - 1
        if more:
            first.message += f" (and {more} more error{'s' if more > 1 else ''})"
        first.message = "parse error: " + first.message
        if first.hint is None:
            first.hint = "findings that depend on record layouts are withheld for this file"
        else:
            first.hint += "; findings that depend on record layouts are withheld for this file"
        result.errors.append(first)
    if context:
        roots = clang.header_roots(tu, path)
        # the includer's own declarations name the header's class templates' instantiations
        users = clang.main_file_roots(tu, context)
    else:
        roots, users = (clang.main_file_roots(tu, path) if roots is None else roots), []
    view = FileView(path, text, roots, options.settings, layouts_trusted=not errors,
                    language=_language(args, context or path), instantiation_roots=users, args=args)
    try:
        diags, rule_errors = run_rules(view, instantiate(registry, options.rules), path)
    finally:
        clang.clear_caches()
    result.errors.extend(rule_errors)
    sup = parse_suppressions(view.source)
    result.diagnostics = sorted(
        (d for d in diags if not sup.suppressed(d.rule, d.range.start.line)), key=Diagnostic.sort_key
    )
    _check_suppressions(result, sup, registry, options, complete=not errors)
    from .evidence import evidence_for  # noqa: PLC0415 - small, loaded lazily
    from .where import where_of  # noqa: PLC0415

    for d in result.diagnostics:
        d.evidence = evidence_for(d.rule, d.case)
        d.where = where_of(view, d.range) if d.path == view.path else None  # for hotlint.rank
    try:  # how often the file's code runs, for hotlint.rank; a fault here costs only the evidence
        result.hotness = view.analysis.hotness.fragment
    except Exception:  # noqa: BLE001
        result.hotness = None
    finally:
        clang.clear_caches()
    return result, view


def _check_suppressions(result: FileResult, sup, registry: Registry, options: EngineOptions, complete: bool) -> None:
    """Misspelt rule names and lone NOLINTBEGIN/END as errors; unused suppressions as findings when
    asked (``suppress.UNUSED_RULE`` among ``options.rules``, so the cache key covers it)."""
    from .model import Position, Range  # noqa: PLC0415
    from .suppress import INVALID_KIND, UNUSED_RULE, check  # noqa: PLC0415

    problems = check(sup, registry.names(), options.rules, UNUSED_RULE in options.rules, complete)
    for p in problems:
        if p.unused:
            result.diagnostics.append(Diagnostic(path=result.path, range=Range(Position(p.line, p.column),
                                                                               Position(p.line, p.column + 1)),
                                                 rule=UNUSED_RULE, severity=Severity.WARNING, message=p.message))
        else:
            result.errors.append(ErrorRecord(path=result.path, message=p.message, kind=INVALID_KIND,
                                             line=p.line, column=p.column))
    if problems:
        result.diagnostics.sort(key=Diagnostic.sort_key)


def analyze(path: str, text: Optional[str], args: Sequence[str], options: EngineOptions,
            context: Optional[HeaderContext] = None, dependencies: bool = True) -> FileResult:
    """Analyze one file. Never raises: bad input and internal faults become error records.

    With ``context``, ``path`` is a header analyzed inside the unit that includes it, parsed with
    ``args`` (that unit's flags): see ``analyze_in_context``. ``dependencies``: list the files the
    parse read (what a cached result depends on); a run without a cache has no use for them."""
    if context is not None:
        return analyze_in_context(context, args, [(path, text, options)])[0]
    path = os.path.abspath(path)
    try:
        parsed_as = _utf8_name(path)
        if parsed_as != path:  # libclang takes file names as UTF-8: parse the text under a name it can take
            if text is None:
                text = read_source(path)
            return _renamed(_analyze(parsed_as, text, args, options, dependencies), parsed_as, path)
        return _analyze(path, text, args, options, dependencies)
    except FileProblem as exc:
        return FileResult(path=path, errors=[ErrorRecord(path=path, message=str(exc), kind=exc.kind)])
    except MemoryError:
        raise  # the worker reports it against its memory limit, and ends
    except Exception as exc:
        return FileResult(path=path, errors=[internal_error_record(path, exc)])


def _utf8_name(path: str) -> str:
    """``path`` with each byte that is not UTF-8 (kept by Python as a lone surrogate) written
    ``%XX``: a name libclang accepts for the unsaved text; nothing is created under it."""
    if not any("\udc80" <= ch <= "\udcff" for ch in path):
        return path
    return "".join(f"%{ord(ch) - 0xDC00:02X}" if "\udc80" <= ch <= "\udcff" else ch for ch in path)


def _renamed(result: FileResult, parsed_as: str, path: str) -> FileResult:
    """A result computed under the name ``parsed_as``, told of ``path`` again."""
    result.path = path
    for item in [*result.diagnostics, *result.errors]:
        if item.path == parsed_as:
            item.path = path
    result.dependencies = [path if d == parsed_as else d for d in result.dependencies]
    return result


def internal_error_record(path: str, exc: Exception) -> ErrorRecord:
    """A fault in hotlint itself while analyzing ``path``: reported against the file."""
    tb = traceback.extract_tb(exc.__traceback__)[-1]
    return ErrorRecord(
        path=path, kind="internal-error",
        message=f"internal error in hotlint: {type(exc).__name__}: {exc} "
                f"({os.path.basename(tb.filename)}:{tb.lineno})",
        hint="please report it with this file; other files were still analyzed",
    )


def parse_failure_record(path: str, exc: "clang.ParseFailure") -> ErrorRecord:
    """Why libclang gave no unit for ``path``: a contained crash or a plain failure."""
    if exc.crashed:
        return ErrorRecord(
            path=path, kind="crash",
            message="libclang crashed while parsing this file (the crash was contained; "
                    "other files were still analyzed)",
            hint="report it with the file and its flags; `-v` shows the flags used",
        )
    return ErrorRecord(
        path=path, kind="parse-error",
        message=f"libclang could not parse the file ({exc})",
        hint="check the compile flags (see -p) for options clang does not accept",
    )


def _analyze(path: str, text: Optional[str], args: Sequence[str], options: EngineOptions,
             dependencies: bool = True) -> FileResult:
    result = FileResult(path=path)
    if text is None:
        try:
            text = read_source(path)
        except FileProblem as exc:
            result.errors.append(ErrorRecord(path=path, message=str(exc), kind=exc.kind))
            return result
    if not text.strip():
        result.warnings.append("empty file: nothing to analyze")
        return result
    try:
        tu, used, notes = parse_with_fallbacks(path, text, list(args), clang.HEADER_BODIES_SKIPPED)
    except clang.ParseFailure as exc:
        result.errors.append(parse_failure_record(path, exc))
        return result
    result.warnings.extend(notes)
    out = analyze_unit(tu, path, text, used, options)
    out.warnings = result.warnings + out.warnings
    if dependencies:
        out.dependencies = clang.included_files(tu)
    return out


# ---- headers in their includer's context (clangd's "header context")
#
# A header is parsed as part of a unit that includes it (chosen by ``compdb.FlagResolver``): the
# unit's flags, its macros (`#define LIB_IMPLEMENTATION` before the include) and the declarations
# it makes before the include all hold, and the unit's instantiations of the header's class
# templates give their layouts. Only what is spelled in the header is analyzed and reported. The
# unit is parsed once for every header that chose it (``workers`` groups them), with its own text
# cut by one line, ``CONTEXT_CUT``, just above the `#include` that brings the headers in: clang's
# precompiled preamble (the leading `#include` lines, header function bodies skipped) then ends
# there, so the headers' function bodies are parsed and the includes above keep the fast path.
# When the unit cannot serve (unreadable, no longer including the header, or with a parse error
# outside the header) the header is analyzed alone, as before, and a note says why.

CONTEXT_CUT = '_Pragma("hotlint header context")'


def cut_preamble(text: str, line: Optional[int]) -> str:
    """The unit's text with ``CONTEXT_CUT`` on a line of its own above line ``line`` (the top
    when it is unknown, or when that line continues the one above it)."""
    lines = text.split("\n")
    i = (line or 1) - 1
    if not 0 <= i < len(lines) or (i > 0 and lines[i - 1].rstrip("\r").endswith("\\")):
        i = 0
    lines.insert(i, CONTEXT_CUT)
    return "\n".join(lines)


def context_errors(tu, header: str) -> tuple[list[ErrorRecord], list[ErrorRecord]]:
    """The unit's parse errors spelled in ``header``, and those elsewhere."""
    records = clang.error_records(tu, header)[0]
    return [r for r in records if r.line is not None], [r for r in records if r.line is None]


def analyze_in_context(context: HeaderContext, args: Sequence[str],
                       headers: Sequence[tuple[str, Optional[str], EngineOptions]]) -> list[FileResult]:
    """Analyze each header of ``headers`` ((path, text or None, options)) inside one parse of
    ``context.unit`` with ``args``, that unit's flags; one result per header, in order. Never raises."""
    try:
        return _in_context(context, args, headers)
    except MemoryError:
        raise
    except Exception as exc:
        return [FileResult(path=os.path.abspath(p), errors=[internal_error_record(os.path.abspath(p), exc)])
                for p, _, _ in headers]


def alone_args(args: Sequence[str], header: str) -> list[str]:
    """The unit's flags made a header's own: its language as a header."""
    from .compdb import header_language, replace_language  # noqa: PLC0415

    return replace_language(list(args), header_language(header, "x.c" if _language(args, header) == "c" else "x.cc"))


def _in_context(context: HeaderContext, args: Sequence[str],
                headers: Sequence[tuple[str, Optional[str], EngineOptions]]) -> list[FileResult]:
    unit = os.path.abspath(context.unit)
    results: dict[int, FileResult] = {}
    ready: list[tuple[int, str, str, EngineOptions]] = []

    def alone(i: int, path: str, text: Optional[str], options: EngineOptions, why: str) -> None:
        res = analyze(path, text, alone_args(args, path), options)
        res.warnings.insert(0, f"analyzed alone, not inside {unit}: {why}")
        results[i] = res

    for i, (path, text, options) in enumerate(headers):
        path = os.path.abspath(path)
        if _utf8_name(path) != path or _utf8_name(unit) != unit:
            alone(i, path, text, options, "a file name libclang cannot take")
            continue
        if text is None:
            try:
                text = read_source(path)
            except FileProblem as exc:
                results[i] = FileResult(path=path, errors=[ErrorRecord(path=path, message=str(exc), kind=exc.kind)])
                continue
        if not text.strip():
            results[i] = FileResult(path=path, warnings=["empty file: nothing to analyze"])
            continue
        ready.append((i, path, text, options))
    tu = None
    if ready:
        try:
            unit_text = read_source(unit)
            tu, used, notes = parse_with_fallbacks(unit, cut_preamble(unit_text, context.line), list(args),
                                                   clang.HEADER_BODIES_SKIPPED,
                                                   extra_unsaved=[(p, t) for _, p, t, _ in ready])
        except FileProblem as exc:
            why = f"the unit {exc}"
        except clang.ParseFailure as exc:
            why = f"libclang could not parse the unit ({exc})"
        if tu is None:
            for i, path, text, options in ready:
                alone(i, path, text, options, why)
            ready = []
    if ready:
        deps = set(clang.included_files(tu)) | {unit}
        try:
            for i, path, text, options in ready:
                own, outside = context_errors(tu, path)
                if not clang.includes(tu, path):
                    alone(i, path, text, options, "the unit does not include it")
                elif outside:
                    alone(i, path, text, options, f"the unit has a parse error of its own: {outside[0].message}")
                else:
                    res = analyze_unit(tu, path, text, used, options, context=unit)
                    res.warnings = notes + res.warnings
                    res.dependencies = sorted(deps - {path})
                    results[i] = res
        finally:
            del tu
    return [results[i] for i in range(len(headers))]


__all__ = ["EngineOptions", "FileProblem", "HeaderContext", "Severity", "analyze", "analyze_in_context", "analyze_unit",
           "analyze_unit_with_view",
           "read_source"]
