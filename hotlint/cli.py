"""The ``hotlint`` command line: a thin adapter over the engine."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections import Counter
from dataclasses import replace
from typing import Optional, Sequence

from . import __version__, tidy
from .compdb import SOURCE_EXTENSIONS, FlagResolver
from .config import MAX_CONFIG_TIMEOUT, Config, ConfigError, ConfigResolver, apply_overrides, skipped_packs_note
from .model import ErrorRecord, FileResult
from .output import Report, display_path, safe, safe_json
from .rule import Registry, load_rules
from .trust import ENV_VAR, Trust
from .safeio import DEFAULT_WORKER_MEMORY_MIB

EXIT_OK, EXIT_FINDINGS, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2, 3
SUBCOMMANDS = ("rules", "rule", "bench", "verify", "layout", "lsp", "completion", "merge")


class UsageError(Exception):
    pass


def say(console, line: str) -> None:
    """One line on ``console`` exactly as written: no markup is read, escapes are shown."""
    from rich.text import Text

    console.print(Text(safe(line)), soft_wrap=True)


def _stderr(line: str) -> None:
    print(safe(line), file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2; a usage error is 3 in hotlint
        self.print_usage(sys.stderr)
        _stderr(f"hotlint: error: {message}")
        raise SystemExit(EXIT_USAGE)


def _rule_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def lint_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="hotlint",
        description="A C/C++ performance linter: false sharing, seq_cst defaults, allocation in loops, "
                    "aliasing that blocks vectorization, array-of-structs layouts, padding.",
        epilog="Subcommands: `hotlint rules`, `hotlint rule NAME`, `hotlint bench [RULE ...]`, `hotlint lsp`, "
               "`hotlint verify` (fixes proven on your project's build, tests and benchmark), "
               "`hotlint layout NAME [FILE]` (a record against cache-line boundaries), "
               "`hotlint completion bash|zsh|fish`. "
               "`hotlint [OPTIONS] FILE... -- COMPILER FLAGS...`: everything after `--` is the compile command of "
               "the files, used instead of a compilation database (clang-tidy's convention, so CMake's "
               "CMAKE_CXX_CLANG_TIDY=\"hotlint;--quiet\" runs hotlint on every unit it compiles); its flags are "
               "cleaned like a database's. "
               "Exit codes: 0 no findings, 1 findings (0 with --exit-zero), 2 some input could not be analyzed "
               "(0 with --exit-zero-on-errors), 3 usage or config error.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or folders to lint (default: .); `-` reads the text from standard input")
    p.add_argument("--stdin-filename", metavar="PATH",
                   help="with `-`: the path the text is linted as (its configuration, flags and excludes)")
    p.add_argument("--show-settings", action="store_true",
                   help="print the configuration and flags the first file would be linted with, and exit")
    p.add_argument("-p", "--compile-commands", metavar="DIR|FILE",
                   help="compile_commands.json, or the folder holding it (default: searched upward from each file)")
    p.add_argument("--select", type=_rule_list, metavar="RULE,...", help="only these rules")
    p.add_argument("--ignore", type=_rule_list, metavar="RULE,...",
                   help="not these rules, nor these error categories (parse-error, missing-file, timeout, ...)")
    p.add_argument("--exclude", type=_rule_list, metavar="PATTERN,...",
                   help="skip files and folders matching these patterns when walking folders; replaces the "
                        "configured `exclude` and the defaults (build, vendor, third_party, .git, ...)")
    p.add_argument("--extend-exclude", type=_rule_list, action="extend", default=[], metavar="PATTERN,...",
                   help="skip these too, besides the configured or default excludes")
    p.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                   help="skip files .gitignore ignores (default: yes; the `respect-gitignore` key)")
    p.add_argument("--force-exclude", action=argparse.BooleanOptionalAction, default=None,
                   help="apply the excludes to files named on the command line too, as pre-commit "
                        "names them (the `force-exclude` key)")
    p.add_argument("--report-unused-suppressions", action="store_true",
                   help="report suppression comments that silence nothing (`unused-suppression`; the "
                        "`report-unused-suppressions` key)")
    p.add_argument("--format", choices=("text", "concise", "json", "sarif", "github"), default="text",
                   help="text (default), concise (one line per finding), json, sarif or github")
    p.add_argument("-o", "--output-file", metavar="FILE",
                   help="write the report to FILE instead of standard output (replaced atomically)")
    p.add_argument("--statistics", action="store_true", help="count findings per rule")
    p.add_argument("--write-baseline", metavar="FILE",
                   help="record the reported findings in FILE (JSON, replaced atomically) and exit 0 on them; "
                        "a later --baseline FILE reports only new ones")
    p.add_argument("--baseline", metavar="FILE",
                   help="report only findings not in this baseline (matched by a fingerprint of the code that "
                        "survives lines moving; a second identical finding is new)")
    p.add_argument("--diff-base", metavar="REF",
                   help="report only findings on lines changed since the git ref REF (as clang-tidy-diff; "
                        "a file git does not track is all new)")
    p.add_argument("--facts-out", metavar="FILE",
                   help="write the units' facts (findings before ranking, errors, call graph, thread roles) to "
                        "FILE instead of a report, for `hotlint merge` to rank across units (hotlint.facts)")
    p.add_argument("-j", "--jobs", type=int, metavar="N", help="parallel worker processes (default: all cores)")
    p.add_argument("--no-cache", action="store_true", help="analyze every file, ignoring and not writing the cache")
    p.add_argument("--cache-dir", metavar="DIR", help="where results are cached (default: ./.hotlint_cache)")
    p.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    p.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, include unsafe fixes")
    p.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    p.add_argument("--show-fixes", action="store_true",
                   help="print every finding's fix as its own diff, display-only rewrites included")
    p.add_argument("--config", metavar="FILE", help="use this configuration file for every file")
    p.add_argument("--extra-arg", action="append", default=[], metavar="ARG",
                   help="append a compiler flag (repeatable), e.g. --extra-arg=-I/opt/include")
    p.add_argument("--extra-arg-before", action="append", default=[], metavar="ARG",
                   help="prepend a compiler flag (repeatable): before the compile command's own flags, "
                        "as clang-tidy's (CMake passes --extra-arg-before=--driver-mode=g++)")
    p.add_argument("--export-fixes", metavar="FILE",
                   help="write the fixes of the reported findings to FILE in the YAML clang-apply-replacements "
                        "reads (safe fixes; unsafe ones too with --unsafe-fixes), replaced atomically")
    p.add_argument("--fail-on", choices=("info", "warning", "error"),
                   help="exit 1 only when a reported finding is of this severity or above (default: any "
                        "reported finding), e.g. inside a build: show warnings, fail on errors")
    p.set_defaults(compile_command=None)  # `-- <compile command>`, split off by main()
    p.add_argument("--cache-line-size", type=int, metavar="BYTES", help="override the configured cache-line size")
    p.add_argument("--profile", action="append", metavar="FILE",
                   help="rank findings by this profile (repeatable): valgrind's callgrind output, `perf script` "
                        "text, folded stacks or gprof's flat profile, told from the content; replaces the "
                        "configured `profile`")
    p.add_argument("--hot-threshold", metavar="PERCENT",
                   help="with a profile, the share of it a finding's loop or function needs to be hot "
                        "(an error when the rule's mechanism applies; default 1)")
    p.add_argument("--min-severity", choices=("info", "warning", "error"),
                   help="show findings of this severity and above (default: warning; the summary counts the rest)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="per-file time limit (default 60)")
    p.add_argument("--max-timeout", type=float, metavar="SECONDS", default=MAX_CONFIG_TIMEOUT,
                   help=f"cap on a configuration file's `timeout` (default {MAX_CONFIG_TIMEOUT:g})")
    p.add_argument("--max-memory", type=int, metavar="MIB", default=None,
                   help=f"address-space limit of each worker process (default {DEFAULT_WORKER_MEMORY_MIB})")
    p.add_argument("--trust", action="store_true",
                   help="trust the linted projects: load the rule packs their configuration names in `rule-paths` "
                        f"(this runs their Python code; also {ENV_VAR} or the user configuration)")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when there are findings (exit 2 still says some input could not be analyzed)")
    p.add_argument("--exit-zero-on-errors", action="store_true",
                   help="exit 0, not 2, when some input could not be analyzed (the errors are still printed); "
                        "with --exit-zero, every run that gets to the end exits 0")
    p.add_argument("-q", "--quiet", action="store_true", help="print the findings and the summary only: no notes; with `-- <compile command>`, "
                        "nothing at all when there is nothing to report")
    p.add_argument("-v", "--verbose", action="store_true", help="print the flags each file is parsed with")
    p.add_argument("--version", action="version", version=f"hotlint {__version__}")
    return p


# --------------------------------------------------------------------------- files


def collect_files(paths: Sequence[str], discovery=None, database_units=None) -> tuple[list[str], list[ErrorRecord]]:
    """The files ``paths`` name, folders walked with ``discovery`` (default: the defaults of a
    configuration-less run); see ``hotlint.discovery``."""
    from .discovery import Discovery, Exclusion, collect_files as collect  # noqa: PLC0415

    if discovery is None:
        cwd = os.getcwd()
        discovery = Discovery(lambda folder: Exclusion(cwd, tuple(Config().exclude_patterns())))
    files, errors, _ = collect(paths, discovery, database_units or (lambda folder: ()))
    return files, errors


def _read_stdin() -> str:
    """Standard input as source text (UTF-8, as a file would be)."""
    from .engine import FileProblem, decode_source
    from .safeio import SOURCE_LIMIT

    data = sys.stdin.buffer.read(SOURCE_LIMIT + 1)
    if len(data) > SOURCE_LIMIT:
        raise UsageError(f"standard input is over {SOURCE_LIMIT // (1024 * 1024)} MiB")
    try:
        return decode_source(data)
    except FileProblem as exc:
        raise UsageError(f"standard input {exc}") from None


def _show_settings(ns, resolver: ConfigResolver, overrides: dict, flag_resolvers: dict, files: list) -> int:
    """``--show-settings``: what the first file would be linted with, one ``key = value`` a line."""
    if not files:
        raise UsageError("--show-settings: no file to show the settings of (name one)")
    path = files[0]
    base = resolver.for_file(path)
    cfg = apply_overrides(base, overrides, base.registry.rules)
    dbsrc = ns.compile_commands or cfg.compile_commands
    fr = tidy.command_resolver(ns, files) or flag_resolvers.get(dbsrc)
    if fr is None or fr.sources is None:
        fr = FlagResolver(dbsrc, files)
    flags = tidy.flags_for(ns, fr, path, cfg.extra_args)
    from .engine import EngineOptions

    rules = EngineOptions.for_config(cfg, path).rules

    def show(key: str, value) -> None:
        if isinstance(value, (list, tuple)):
            value = "[" + ", ".join(json.dumps(v) for v in value) + "]"
        elif isinstance(value, bool):
            value = str(value).lower()
        elif value is None:
            value = "(default)"
        print(safe(f"{key} = {value}"))

    show("file", display_path(path))
    show("configuration", display_path(cfg.path) if cfg.path else "(none: the defaults)")
    show("rules", list(rules))
    show("select", cfg.select if cfg.select is not None else ["ALL"])
    show("ignore", cfg.ignore)
    show("per-file-ignores", [f"{k} = {', '.join(v)}" for k, v in cfg.per_file_ignores.items()])
    show("exclude", list(cfg.exclude_patterns()) if ns.exclude is None else ns.exclude)
    show("extend-exclude (command line)", ns.extend_exclude)
    show("respect-gitignore", cfg.respect_gitignore if ns.respect_gitignore is None else ns.respect_gitignore)
    show("force-exclude", cfg.force_exclude if ns.force_exclude is None else ns.force_exclude)
    show("cache-line-size", cfg.cache_line_size if cfg.cache_line_size is not None else "(the unit's target's)")
    show("timeout", cfg.timeout)
    show("min-severity", cfg.min_severity)
    show("profile", cfg.profile)
    show("hot-functions", cfg.hot_functions)
    show("cold-functions", cfg.cold_functions)
    show("thread-pool", cfg.thread_pool)
    show("report-unused-suppressions", cfg.report_unused_suppressions or ns.report_unused_suppressions)
    show("rule-paths", cfg.rule_paths)
    for rule, opts in sorted(cfg.rule_options.items()):
        for opt, value in sorted(opts.items()):
            show(f"{rule}.{opt}", value)
    show("compile-commands", fr.database_path(path) or ("(none: the compile command after --)"
                                                         if isinstance(fr, tidy.CommandFlags) else "(none found: default flags)"))
    show("flags", flags.args)
    show("flags from", flags.origin)
    return EXIT_OK


def _discovery(ns, resolver: ConfigResolver):
    """How folders are walked: each folder's configuration (its `exclude`, `extend-exclude`,
    `respect-gitignore`, `force-exclude`) under the command line's flags."""
    from .discovery import CommandLineExcludes, Discovery, Exclusion  # noqa: PLC0415

    def settings_for(folder: str) -> Exclusion:
        cfg = resolver.for_file(os.path.join(folder, "_"))
        return Exclusion(cfg.root, cfg.exclude_patterns(), cfg.respect_gitignore, cfg.force_exclude)

    cli = CommandLineExcludes(exclude=ns.exclude, extend_exclude=list(ns.extend_exclude),
                              respect_gitignore=ns.respect_gitignore, force_exclude=ns.force_exclude)
    return Discovery(settings_for, cli)


def _database_units(ns, resolver: ConfigResolver, flag_resolvers: dict, folder: str) -> list[str]:
    """The units of the compilation database that governs ``folder`` lying below it."""
    cfg = resolver.for_file(os.path.join(folder, "_"))
    dbsrc = ns.compile_commands or cfg.compile_commands
    if dbsrc and not os.path.exists(dbsrc):
        raise UsageError(f"{dbsrc}: compilation database not found")
    probe = flag_resolvers.get(dbsrc)
    if probe is None:
        probe = flag_resolvers[dbsrc] = FlagResolver(dbsrc)
        probe.sources = None  # a probe: replaced by the run's resolver once the files are known
    dbp = probe.database_path(os.path.join(folder, "_"))
    db = probe._db(dbp) if dbp else None
    if db is None:
        return []
    prefix = folder.rstrip(os.sep) + os.sep
    return [u for u in db.sorted_units() if u.startswith(prefix)]


# --------------------------------------------------------------------------- lint


def _registry_for_config(config_path: Optional[str], trust_flag: bool = False) -> tuple[Registry, Optional[str]]:
    """Rules known under a configuration file (built-in, entry points, and its rule-paths when
    the project is trusted), and the note saying its rule packs were skipped, if they were."""
    from .config import find_config_file

    resolver = ConfigResolver(load_rules, explicit=config_path, trust=Trust.from_environment(trust_flag))
    path = config_path or find_config_file(os.getcwd())
    cfg = resolver.load(path, os.path.join(os.getcwd(), "."))
    note = skipped_packs_note(cfg)
    return cfg.registry, (f"{path}: {note}" if note else None)


def _overrides(ns) -> dict:
    o: dict = {}
    if ns.select is not None:
        o["select"] = ns.select
        o["select_replaces_ignore"] = True  # --select over the file's `ignore`, as the README says
    if ns.ignore is not None:
        o["ignore_extra"] = ns.ignore
    if ns.extra_arg:
        from .compdb import clean_extra_args

        cleaned = clean_extra_args(ns.extra_arg, os.getcwd())
        o["extra_args"] = cleaned.args
        o["notes"] = [f"--extra-arg: {w}" for w in cleaned.warnings]
    if ns.cache_line_size is not None:
        if ns.cache_line_size < 16 or ns.cache_line_size & (ns.cache_line_size - 1):
            raise UsageError(f"--cache-line-size must be a power of two of at least 16, got {ns.cache_line_size}")
        o["cache_line_size"] = ns.cache_line_size
    for flag, value in (("--timeout", ns.timeout), ("--max-timeout", ns.max_timeout)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag} must be a positive number of seconds, got {value}")
    if ns.timeout is not None:
        o["timeout"] = ns.timeout
    if ns.max_memory is not None and ns.max_memory < 256:
        raise UsageError(f"--max-memory must be at least 256 (MiB), got {ns.max_memory}")
    if ns.profile:
        o["profile"] = [os.path.abspath(p) for p in ns.profile]
    if ns.hot_threshold is not None:
        from .rank import parse_threshold

        try:
            o["hot_threshold"] = parse_threshold(ns.hot_threshold)
        except ValueError as exc:
            raise UsageError(f"--hot-threshold {exc}") from None
    if ns.min_severity is not None:
        o["min_severity"] = ns.min_severity
    return o


def run_lint(ns) -> int:
    from rich.console import Console

    from .cache import Cache, default_cache_dir, options_digest, text_hash
    from .engine import EngineOptions, FileProblem, read_source
    from .workers import Task, default_jobs, prestart, run_tasks, set_memory_limit

    err = Console(stderr=True, highlight=False)
    if ns.config and not os.path.isfile(ns.config):
        raise ConfigError(f"{ns.config}: configuration file not found")
    if ns.jobs is not None and ns.jobs < 1:
        raise UsageError("-j/--jobs must be at least 1")
    if ns.output_file and not os.path.isdir(os.path.dirname(os.path.abspath(ns.output_file))):
        raise UsageError(f"--output-file {ns.output_file}: no such folder")
    paths = ns.paths or ["."]
    overrides = _overrides(ns)
    resolver = ConfigResolver(load_rules, explicit=ns.config, trust=Trust.from_environment(ns.trust))
    flag_resolvers: dict[Optional[str], FlagResolver] = {}
    stdin_path, stdin_text = None, None
    if "-" in paths:
        if paths != ["-"]:
            raise UsageError("`-` (standard input) is linted alone: name no other path with it")
        if ns.fix:
            raise UsageError("--fix does not combine with `-`: standard input has no file to write (--diff shows "
                             "the fixes)")
        stdin_path = os.path.abspath(ns.stdin_filename or "stdin.cpp")
        discovery = _discovery(ns, resolver)
        files, missing = ([] if discovery.explicit_excluded(stdin_path) else [stdin_path]), []
        if not ns.show_settings:
            stdin_text = _read_stdin()
    else:
        if ns.stdin_filename:
            raise UsageError("--stdin-filename goes with `-` (the text on standard input)")
        files, missing = collect_files(paths, _discovery(ns, resolver),
                                       lambda folder: _database_units(ns, resolver, flag_resolvers, folder))
    if ns.show_settings:
        return _show_settings(ns, resolver, overrides, flag_resolvers, files)
    from .baseline import Adoption, AdoptionError

    try:  # --baseline, --write-baseline, --diff-base: checked before the analysis (hotlint.baseline)
        adoption = Adoption.from_args(ns, files, stdin_path)
    except AdoptionError as exc:
        raise UsageError(str(exc)) from None
    report = Report(errors=list(missing))
    report.notes.extend(("<command line>", n) for n in overrides.pop("notes", []))
    registries: dict[int, Registry] = {}
    configs_said: set[int] = set()
    file_cfgs: dict[str, Config] = {}  # each linted file's configuration, command line on top
    tasks: list[Task] = []
    all_tasks: dict[str, Task] = {}  # every analyzable file, for re-analysis after fixes
    ranking: dict[str, tuple] = {}  # file -> its configuration's (profiles, hot threshold, min severity)
    keys: dict[str, tuple] = {}
    texts: dict[str, str] = {}
    cache = None
    from .callgraph import ProjectGraph

    graph = ProjectGraph()  # every result's call-graph fragment, joined for the ranking
    if tidy.uses_cache(ns):
        cache = Cache.open(ns.cache_dir or default_cache_dir(os.getcwd()), salt=_libclang_salt(),
                           on_problem=lambda where, why: report.notes.append((where, why)))
    if ns.max_memory is not None:
        set_memory_limit(ns.max_memory)
    root = os.path.realpath(os.getcwd())
    command_flags = tidy.command_resolver(ns, files)  # `-- <compile command>`: no database
    for path in files:
        real = os.path.realpath(path)
        # --facts-out: a build's sandbox links its sources in; the facts must not name the link's target
        if real != path and not ns.facts_out and not (real + os.sep).startswith(root + os.sep):
            report.notes.append((path, f"resolves outside the project root, to {real}"))
        base_cfg = resolver.for_file(path)
        registry = base_cfg.registry
        if id(registry) not in registries:
            registries[id(registry)] = registry
            for problem in registry.problems:
                report.errors.append(ErrorRecord(path=base_cfg.path or "<rules>", message=problem, kind="rule-load"))
        if id(base_cfg) not in configs_said and base_cfg.path:
            configs_said.add(id(base_cfg))
            skipped = skipped_packs_note(base_cfg)
            for note in ([skipped] if skipped else []) + base_cfg.notes:
                report.notes.append((base_cfg.path, note))
        cfg = file_cfgs[path] = apply_overrides(base_cfg, overrides, registry.rules)
        report.files += 1
        ranking[path] = (tuple(cfg.profile), cfg.hot_threshold, cfg.min_severity)
        timeout = cfg.timeout
        if ns.timeout is None and timeout > ns.max_timeout:
            report.notes.append((cfg.path or path, f"`timeout = {timeout:g}` capped at {ns.max_timeout:g} s "
                                                   "(--max-timeout)"))
            timeout = ns.max_timeout
        dbsrc = ns.compile_commands or cfg.compile_commands
        fr = command_flags or flag_resolvers.get(dbsrc)
        if fr is None or fr.sources is None:
            if dbsrc and not os.path.exists(dbsrc):
                raise UsageError(f"{dbsrc}: compilation database not found")
            loaded = fr
            fr = flag_resolvers[dbsrc] = FlagResolver(dbsrc, files)  # files: includers without a database
            if loaded is not None:  # the databases read to find the units to lint
                fr._dbs.update(loaded._dbs)
        flags = tidy.flags_for(ns, fr, path, cfg.extra_args)
        for w in flags.warnings:
            report.notes.append((path, w))
        if ns.verbose:
            say(err, f"hotlint: {display_path(path)}: {' '.join(flags.args)}  (from {flags.origin})")
        try:
            text = stdin_text if path == stdin_path else read_source(path)
        except FileProblem as exc:
            report.errors.append(ErrorRecord(path=path, message=str(exc), kind=exc.kind))
            continue
        texts[path] = text
        if path == stdin_path:  # the code frames show this text, not the file on disk
            from .output import remember_text

            remember_text(path, text)
        options = EngineOptions.for_config(cfg, path)
        if flags.compiler:  # part of the settings, so of the cache key
            options = replace(options, settings=replace(options.settings, compiler=flags.compiler))
        if ns.report_unused_suppressions or cfg.report_unused_suppressions:
            from .suppress import UNUSED_RULE

            options = replace(options, rules=tuple(options.rules) + (UNUSED_RULE,))
        all_tasks[path] = Task(path=path, args=flags.args, options=options, text=text, timeout=timeout,
                               context=flags.context, dependencies=cache is not None)
        if cache is not None and path != stdin_path:
            key = cache.key(path, text_hash(text), flags.args, options_digest(options, registry), flags.context)
            hit = cache.get(key)
            if hit is not None:
                report.cached += 1
                _collect(report, hit, graph)
                continue
            keys[path] = key
        tasks.append(all_tasks[path])
        if len(tasks) == 1:  # the first file to parse: get workers going while the rest is prepared
            prestart(min(ns.jobs or default_jobs(), len(files)))

    for fr in flag_resolvers.values():
        report.notes.extend(fr.borrowed_notes())

    def on_result(res: FileResult) -> None:
        if cache is not None and res.path in keys:
            cache.put(keys[res.path], res, all_tasks[res.path].args)
        _collect(report, res, graph)

    jobs = ns.jobs or default_jobs()
    if tasks:
        progress = None
        if err.is_terminal and len(tasks) > 5:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            # auto_refresh=False: rich would refresh from a thread of its own, and a worker started
            # while another thread runs must come from a fork server instead of a plain fork
            progress = Progress(TextColumn("[bold]hotlint"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.description}", markup=False), console=err, transient=True,
                                auto_refresh=False)
        if progress is not None:
            with progress:
                bar = progress.add_task("", total=len(tasks))

                def tick(res: FileResult) -> None:
                    on_result(res)
                    progress.update(bar, advance=1, description=safe(display_path(res.path)))
                    progress.refresh()

                run_tasks(tasks, jobs, tick)
        else:
            run_tasks(tasks, jobs, on_result)

    if ns.facts_out:  # the project-wide step is `hotlint merge`'s
        from .facts import write_unit_facts

        report.errors = [e for e in report.errors if not _error_ignored(e, file_cfgs, resolver, overrides)]
        return write_unit_facts(ns.facts_out, report, ranking, graph)
    rank = _Ranking(report, ranking, graph)
    report.diagnostics = rank(report.diagnostics)
    report.sort()
    if adoption is not None:  # after ranking, before any output: leave out the baselined and unchanged
        adoption.apply(report, lambda line: None if ns.quiet else say(err, line), _write_atomically)
    if ns.export_fixes:  # the findings as reported, before --fix changes them
        tidy.export_report(ns, report, files)
    if not ns.quiet:
        for line in _note_lines(report.notes):
            say(err, line)

    if ns.fix or ns.diff:
        _fix(report, texts, all_tasks, jobs, ns, err, rank)
    if ns.show_fixes:
        _show_fixes(report, texts)

    all_rules: dict = {}
    for reg in registries.values() or [load_rules(())]:
        all_rules.update(reg.rules)
    report.errors = [e for e in report.errors if not _error_ignored(e, file_cfgs, resolver, overrides)]
    if not tidy.says_nothing(ns, report):
        _write(report, ns, all_rules)
    if report.errors and not ns.exit_zero_on_errors:
        return EXIT_ERRORS
    if tidy.fails(ns, report) and not ns.write_baseline:  # recorded: none of them is new
        return EXIT_FINDINGS
    return EXIT_OK


def _error_ignored(e: ErrorRecord, file_cfgs: dict, resolver: ConfigResolver, overrides: dict) -> bool:
    """``ignore``/``per-file-ignores``/``--ignore`` name the error's category (``parse-error``, ...)."""
    from .config import ERROR_KINDS

    if e.kind not in ERROR_KINDS:
        return False
    cfg = file_cfgs.get(e.path)
    if cfg is None:
        try:
            base = resolver.for_file(e.path)
            cfg = file_cfgs[e.path] = apply_overrides(base, overrides, base.registry.rules)
        except ConfigError:
            return False
    return cfg.ignores_error(e.kind, e.path)


class _Ranking:
    """The stage after analysis (``hotlint.rank``): findings ranked by the profiles their file's
    configuration (or ``--profile``) names, then those below the minimum severity left out and
    counted in ``report.hidden_by_path``. Each profile is read once; one that cannot be read is an
    error naming it (exit 2), one that matches none of the linted code a note."""

    def __init__(self, report: Report, settings: dict[str, tuple], graph=None):
        self.report = report
        self.settings = settings
        self.graph = graph  # the project's call graph (hotlint.callgraph): evidence without a profile
        self.profiles: dict[str, object] = {}
        self.rankers: dict[tuple, object] = {}

    def _profile(self, path: str):
        if path not in self.profiles:
            from .profile import ProfileError, load_profile

            try:
                self.profiles[path] = load_profile(path)
            except ProfileError as exc:
                self.profiles[path] = None
                self.report.errors.append(ErrorRecord(path=path, message=f"profile {exc.reason}", kind="profile",
                                                      hint="--profile and `profile` take callgrind output, "
                                                           "`perf script` text, folded stacks or gprof's flat profile"))
            else:
                for note in self.profiles[path].notes:
                    self.report.notes.append((path, note))
        return self.profiles[path]

    def _ranker(self, paths: tuple, threshold):
        from .rank import DEFAULT_HOT_THRESHOLD, Ranker

        key = (paths, threshold)
        if key not in self.rankers:
            loaded = [p for p in (self._profile(path) for path in paths) if p is not None]
            self.rankers[key] = Ranker(loaded, threshold or DEFAULT_HOT_THRESHOLD, graph=self.graph)
        return self.rankers[key]

    def __call__(self, diagnostics: list, first: bool = True) -> list:
        """``diagnostics`` ranked, without those below their minimum severity. ``first``: the
        run's findings (later calls rank a fixed file's new findings, and say nothing again)."""
        from .model import Severity
        from .rank import DEFAULT_MIN_SEVERITY, at_least

        groups: dict[tuple, list] = {}
        for d in diagnostics:
            groups.setdefault(self.settings.get(d.path, ((), None, None)), []).append(d)
        if first:  # a profile that cannot be read is an error even when nothing was found
            for paths, threshold, _ in set(self.settings.values()):
                self._ranker(paths, threshold)
        shown: list = []
        for (paths, threshold, minimum), diags in groups.items():
            self._ranker(paths, threshold).rank(diags)
            kept, _ = at_least(diags, Severity(minimum) if minimum else DEFAULT_MIN_SEVERITY)
            shown.extend(kept)
        kept_ids = {id(d) for d in shown}
        for path in {d.path for d in diagnostics}:
            self.report.hidden_by_path.pop(path, None)
        for d in diagnostics:
            if id(d) not in kept_ids:
                self.report.hidden_by_path.setdefault(d.path, Counter())[d.severity.value] += 1
        if first:
            for key, ranker in self.rankers.items():
                if ranker is not None:
                    files = [f for f, s in self.settings.items() if (s[0], s[1]) == key]
                    self.report.notes.extend(ranker.coverage_notes(files))
        return shown


_NOTE_PATHS_SHOWN = 3


def _note_lines(notes: list[tuple[str, str]]) -> list[str]:
    """One line per note; a note said of several files is one line with their count (``-v`` and
    ``--format json`` are not needed to see which: the first few are named)."""
    by_text: dict[str, list[str]] = {}
    for path, note in notes:
        where = path if path.startswith("<") else display_path(path)
        paths = by_text.setdefault(note, [])
        if where not in paths:
            paths.append(where)
    out = []
    for note, paths in by_text.items():
        paths.sort()  # workers finish in any order; the line must not depend on it
        if len(paths) == 1:
            out.append(f"hotlint: {paths[0]}: note: {note}")
        else:
            named = ", ".join(paths[:_NOTE_PATHS_SHOWN]) + (", ..." if len(paths) > _NOTE_PATHS_SHOWN else "")
            out.append(f"hotlint: note: {note} ({len(paths)} files: {named})")
    return out


def _libclang_salt() -> str:
    try:
        from importlib.metadata import version

        return "libclang-ng " + version("libclang-ng")
    except Exception:
        return "libclang unknown"


def _collect(report: Report, res: FileResult, graph=None) -> None:
    from .evidence import evidence_for

    if graph is not None:  # joined for hotlint.rank: how often each function runs
        graph.add(res.path, res.hotness)

    for d in res.diagnostics:  # cited afresh: a cached result may predate the latest `hotlint bench`
        d.evidence = evidence_for(d.rule, d.case)
    report.diagnostics.extend(res.diagnostics)
    report.errors.extend(res.errors)
    for w in res.warnings:
        report.notes.append((res.path, w))


_FIX_PASSES = 10


def _fix(report: Report, texts: dict[str, str], tasks: dict, jobs: int, ns, err, rank) -> None:
    """Apply fixes in passes, as ruff does: after each pass the changed files are analyzed
    again, so fixes that overlapped an applied one get their turn. A pass whose result no
    longer parses is not written. With --diff nothing is written; the final diff is shown.

    Files are written once, after the last pass, and only while each is still as hotlint read
    it (``fixes.write_fixed``); a file that cannot be written is reported and the others are."""
    from .fixes import NotFixed, apply_edits, read_for_fix, select_fixes, unified_diff, write_fixed
    from .model import Edit
    from .safeio import ReadRefused
    from .trust import project_root
    from .workers import run_tasks

    def not_fixed(path: str, why: str) -> None:
        report.errors.append(ErrorRecord(path=path, message=f"not fixed: {why}", kind="not-fixed"))

    broken = {e.path for e in report.errors if e.kind != "invalid-suppression"}
    for path in sorted({d.path for d in report.diagnostics if d.fix} & broken):
        say(err, f"hotlint: {display_path(path)}: not fixed: it could not be fully analyzed")
    originals: dict = {}
    current = {d.path: [] for d in report.diagnostics if d.path not in broken}
    for d in report.diagnostics:
        if d.path in current:
            current[d.path].append(d)
    fixed: dict[str, int] = {}
    for attempt in range(_FIX_PASSES + 1):
        pending: dict[str, tuple[str, int]] = {}
        for path, diags in sorted(current.items()):
            chosen, edits = select_fixes(diags, ns.unsafe_fixes)
            if not edits:
                continue
            if path not in originals:
                try:
                    originals[path] = read_for_fix(path)
                except (OSError, UnicodeDecodeError, ReadRefused) as exc:
                    not_fixed(path, str(exc) if isinstance(exc, ReadRefused) else f"cannot read it: {exc}")
                    del current[path]
                    continue
                if originals[path].text.replace("\r\n", "\n") != texts.get(path, "").replace("\r\n", "\n"):
                    not_fixed(path, "the file changed during the run; run hotlint again")
                    del current[path]
                    continue
            newline = originals[path].newline
            if newline != "\n":
                edits = [Edit(e.range, e.new_text.replace("\n", newline)) for e in edits]
            pending[path] = (apply_edits(texts[path], edits), len(chosen))
        if not pending:
            break
        if attempt == _FIX_PASSES:
            for path in sorted(pending):
                say(err, f"hotlint: {display_path(path)}: fixes did not converge after {_FIX_PASSES} passes; "
                         "the last pass was not applied")
            break
        results: dict[str, FileResult] = {}
        run_tasks([replace(tasks[p], text=new) for p, (new, _) in pending.items()], jobs,
                  lambda res: results.__setitem__(res.path, res))
        for path, (new, count) in pending.items():
            res = results.get(path)
            if res is None or res.errors:
                why = res.errors[0].message if res is not None and res.errors else "no result"
                say(err, f"hotlint: {display_path(path)}: a fix was not applied: the result would not parse ({why})")
                del current[path]
                continue
            texts[path] = new
            if rank.graph is not None:
                rank.graph.add(path, res.hotness)  # the fixed text's regions and lines
            current[path] = rank(res.diagnostics, first=False)
            fixed[path] = fixed.get(path, 0) + count
    if ns.diff:
        for path, before in sorted(originals.items()):
            if texts[path] != before.text:
                sys.stdout.write(_printable_diff(unified_diff(display_path(path), before.text, texts[path])))
        return
    written = 0
    for path, before in sorted(originals.items()):
        if texts[path] == before.text:
            continue
        try:
            write_fixed(path, before, texts[path], project_root(path))
        except NotFixed as exc:
            not_fixed(path, str(exc))
            fixed.pop(path, None)
            current.pop(path, None)  # its findings stay as first reported
            continue
        written += 1
    report.diagnostics = [d for d in report.diagnostics if d.path not in current] + [
        d for diags in current.values() for d in diags]
    report.sort()
    report.fixed = total = sum(fixed.values())  # in the text summary, as ruff's "(21 fixed, 106 remaining)"
    if ns.format not in ("text", "concise") or ns.statistics:  # the report has no summary line: say it here
        say(err, f"hotlint: fixed {total} finding{'s' if total != 1 else ''} in {written} "
                 f"file{'s' if written != 1 else ''}")


def _printable_diff(diff: str) -> str:
    """A diff with control characters shown escaped, line by line (line ends kept)."""
    return "".join(safe(line.rstrip("\r\n")) + "\n" for line in diff.splitlines(keepends=True))


def _show_fixes(report: Report, texts: dict[str, str]) -> None:
    """Each finding's fix on its own, so overlapping suggestions can all be read."""
    from .fixes import apply_edits, unified_diff

    for d in report.diagnostics:
        if d.fix is None or d.path not in texts:
            continue
        text = texts[d.path]
        print(safe(f"# {display_path(d.path)}:{d.range.start.line}:{d.range.start.column} [{d.rule}] "
                   f"{d.fix.description} ({d.fix.applicability.value})"))
        sys.stdout.write(_printable_diff(unified_diff(display_path(d.path), text, apply_edits(text, d.fix.edits))))
        print()


def _write(report: Report, ns, rules: dict) -> None:
    if ns.diff or ns.show_fixes:
        return
    out = None
    if ns.output_file:
        import io

        out = io.StringIO()
    stream = out if out is not None else sys.stdout
    if ns.format == "json":
        from .output.json_format import render

        print(safe_json(render(report)), file=stream)
    elif ns.format == "sarif":
        from .output.sarif import render

        print(safe_json(render(report, rules)), file=stream)
    elif ns.format == "github":
        from .output.github import render

        text = render(report)
        if text:
            print(text, file=stream)
    else:
        from rich.console import Console

        from .output.text import write

        console = (Console(highlight=False, file=out, color_system=None, width=100_000) if out is not None
                   else Console(highlight=False))
        write(report, console, ns.statistics, {n: c.summary for n, c in rules.items()}, quiet=ns.quiet,
              concise=ns.format == "concise")
    if out is not None:
        _write_atomically(ns.output_file, out.getvalue())


def _write_atomically(path: str, text: str, flag: str = "--output-file") -> None:
    """``text`` to ``path`` through a temporary file in the same folder renamed over it: a reader
    (a CI step, an editor) sees the old report or the new one, never half of one. A symlink is
    replaced, not followed; the file's permissions are kept when it existed."""
    import tempfile

    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".hotlint-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write there: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"{flag} {path}: cannot write it: {exc.strerror or exc}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- rules


def run_rules_list(argv: Sequence[str]) -> int:
    p = _Parser(prog="hotlint rules", description="List every rule.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--trust", action="store_true", help="load the project's `rule-paths` rule packs too")
    ns = p.parse_args(argv)
    reg, skipped = _registry_for_config(ns.config, ns.trust)
    if skipped:
        _stderr(f"hotlint: note: {skipped}")
    from .evidence import evidence_for

    if ns.format == "json":
        print(safe_json(json.dumps([{"name": n, "summary": c.summary, "severity": c.severity.value,
                                     "origin": c.origin(), "evidence": evidence_for(n)}
                                    for n, c in sorted(reg.rules.items())], indent=2)))
    else:
        width = max((len(n) for n in reg.rules), default=4)
        for n, c in sorted(reg.rules.items()):
            print(safe(f"{n:<{width}}  {c.severity.value:<7}  {c.summary}"))
    for prob in reg.problems:
        _stderr(f"hotlint: {prob}")
    return EXIT_USAGE if reg.problems else EXIT_OK


def run_rule_doc(argv: Sequence[str]) -> int:
    p = _Parser(prog="hotlint rule", description="Print a rule's documentation and measured evidence.")
    p.add_argument("name")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--trust", action="store_true", help="load the project's `rule-paths` rule packs too")
    ns = p.parse_args(argv)
    reg, skipped = _registry_for_config(ns.config, ns.trust)
    if skipped:
        _stderr(f"hotlint: note: {skipped}")
    cls = reg.rules.get(ns.name)
    if cls is None:
        import difflib

        close = difflib.get_close_matches(ns.name, reg.names(), n=1)
        _stderr(f"hotlint: unknown rule `{ns.name}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        return EXIT_USAGE
    from .evidence import evidence_for

    print(f"# {cls.name}\n\n{cls.summary}\n\nDefault severity: {cls.severity.value}\n")
    print(cls.documentation())
    from .evidence import results

    ev = evidence_for(cls.name)
    _, source = results()
    print("\n## Measured evidence\n")
    if ev:
        from .evidence import note_for

        note = note_for(cls.name)
        print(f"{ev}." + (f"\nNote: {note}." if note else ""))
        data, _ = results()
        for key in sorted(k for k in data.get("rules", {}) if k.startswith(cls.name + "/")):
            case = key.split("/", 1)[1]
            sub = evidence_for(cls.name, case)
            if sub:
                print(f"- {sub}.")
        print(f"From {source}; `hotlint bench {cls.name}` measures it on this machine, and hotlint then "
              "cites that run.")
    else:
        print(f"No measurement yet: run `hotlint bench {cls.name}` to produce one.")
    return EXIT_OK


# --------------------------------------------------------------------------- completion


def completion_parser() -> argparse.ArgumentParser:
    """The lint parser with what each argument completes to (files, folders), for ``shtab``."""
    import shtab

    p = lint_parser()
    for action in p._actions:
        if action.dest in ("paths", "config", "output_file", "profile", "stdin_filename", "export_fixes",
                           "baseline", "write_baseline"):
            action.complete = shtab.FILE
        elif action.dest in ("cache_dir",):
            action.complete = shtab.DIRECTORY
        elif action.dest == "compile_commands":
            action.complete = shtab.FILE  # the file or its folder
    _completion_subcommands(p)
    return p


def _completion_subcommands(p: argparse.ArgumentParser) -> None:
    """Subcommands with options of their own, for completion after their name."""
    import shtab

    from .layout_cli import parser as layout_parser
    from .verify import parser as verify_parser

    commands = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, sub in (("verify", verify_parser()), ("layout", layout_parser())):
        summary = sub.description.split(":")[0]
        child = commands.add_parser(name, help=summary, description=summary)
        for action in sub._actions:
            if action.dest == "help":
                continue
            if action.dest in ("paths", "config", "compile_commands", "file"):
                action.complete = shtab.FILE
            elif action.dest == "project":
                action.complete = shtab.DIRECTORY
            child._add_action(action)


def run_completion(argv: Sequence[str]) -> int:
    p = _Parser(prog="hotlint completion",
                description="Print a shell completion script generated from hotlint's options, e.g. "
                            "`hotlint completion bash > ~/.local/share/bash-completion/completions/hotlint`.")
    p.add_argument("shell", choices=("bash", "zsh", "fish"))
    ns = p.parse_args(argv)
    import shtab

    script = shtab.complete(completion_parser(), shell=ns.shell)
    sys.stdout.write(script if script.endswith("\n") else script + "\n")
    return EXIT_OK


# --------------------------------------------------------------------------- entry


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: workers stopped, nothing half-written."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    import signal

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            cmd, rest = argv[0], argv[1:]
            if cmd == "rules":
                return run_rules_list(rest)
            if cmd == "rule":
                return run_rule_doc(rest)
            if cmd == "bench":
                from .bench import main as bench_main

                return bench_main(rest)
            if cmd == "verify":
                from .verify import main as verify_main

                return verify_main(rest)
            if cmd == "layout":
                from .layout_cli import main as layout_main

                return layout_main(rest)
            if cmd == "lsp":
                from .lsp import main as lsp_main

                return lsp_main(rest)
            if cmd == "completion":
                return run_completion(rest)
            if cmd == "merge":
                from .facts import merge_main

                return merge_main(rest)
        ns = tidy.parse_args(lint_parser(), argv)  # `-- <compile command>` split off first
        if ns.fix and ns.diff:
            raise UsageError("--fix and --diff do not combine: --diff shows, --fix writes")
        if ns.facts_out:
            from .facts import report_options

            given = report_options(ns)
            if given:
                raise UsageError(f"--facts-out writes facts, not a report: {', '.join(given)} "
                                 "(give the report's options to `hotlint merge`)")
        return run_lint(ns)
    except (ConfigError, UsageError) as exc:
        _stderr(f"hotlint: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print("hotlint: interrupted; files being fixed were left whole", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        return EXIT_OK
