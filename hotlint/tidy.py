"""clang-tidy's calling convention, so a build runs hotlint as it runs clang-tidy.

CMake's ``CMAKE_CXX_CLANG_TIDY=hotlint;--quiet`` (and ``CMAKE_C_CLANG_TIDY``) runs, for every
translation unit it compiles and in the folder the compiler runs in::

    hotlint --quiet --extra-arg-before=--driver-mode=g++ /src/foo.cpp -- /usr/bin/c++ -DX -I.. -o foo.o -c /src/foo.cpp

It shows what the tool prints on standard output, shows standard error only when the tool
exits non-zero, and fails the build (without compiling the unit) when it does.

- ``-- <compile command>``: everything after the first ``--`` is the compile command of the
  files named before it, used instead of a compilation database (as clang-tidy's fixed
  database). It is cleaned like any other flags (``hotlint.flags``: ``-D``/``-I``/``-std``
  kept, ``-o``/``-MF``/plugins dropped), relative paths resolved against the working folder;
  its first word, when it is not a flag, is the compiler, which gives the compiler family
  (``compdb.compiler_family``) as a database entry's does. ``file.cpp --`` alone: default flags.
- ``--extra-arg-before``: flags put before the compile command's (``--extra-arg``: after them).
- ``--export-fixes FILE``: the fixes of the reported findings in the YAML that
  ``clang-apply-replacements`` reads (``export_fixes``).
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Iterable, Optional, Sequence

from .compdb import FlagResolver, Flags, compiler_family, default_flags, is_header, _language_of
from .flags import clean

ORIGIN = "the command line (after --)"


def split_command(argv: Sequence[str]) -> tuple[list[str], Optional[list[str]]]:
    """``argv`` before its first ``--``, and the compile command after it (None: no ``--``)."""
    argv = list(argv)
    if "--" not in argv:
        return argv, None
    at = argv.index("--")
    return argv[:at], argv[at + 1:]


def parse_args(parser, argv: Sequence[str]):
    """``argv`` parsed by the lint ``parser``, the compile command after ``--`` (if any) in
    ``compile_command``. A compile command needs the files it compiles named before ``--``
    (``hotlint -- file.cpp`` is not how a file name starting with `-` is given: write ``./-file.cpp``)."""
    from .cli import UsageError

    argv, command = split_command(argv)
    ns = parser.parse_args(argv)
    ns.compile_command = command
    if command is not None and not ns.paths:
        raise UsageError("`-- <compile command>` is the command that compiles the files named before `--`: "
                         "name them (e.g. `hotlint src/foo.cpp -- c++ -Iinclude -c src/foo.cpp`)")
    return ns


class CommandFlags(FlagResolver):
    """Flags from a compile command given on the command line, the same for every file named
    (clang-tidy's fixed compilation database); ``before``: ``--extra-arg-before`` values."""

    def __init__(self, command: Sequence[str], directory: str, before: Sequence[str] = (),
                 sources: Sequence[str] = ()):
        super().__init__(None, sources)
        self.command = [str(a) for a in command]
        self.directory = directory
        self.before = [str(a) for a in before]

    def database_path(self, file: str) -> Optional[str]:
        return None

    def context_for(self, header, extra_args=()):
        return None  # a header named with `-- <command>` is parsed with that command's flags

    def _flags_for(self, file: str, extra_args: list[str], quiet: bool = False) -> Flags:
        argv = self.command
        compiler = argv[0] if argv and not argv[0].startswith("-") else None
        rest = argv[1:] if compiler is not None else argv
        if not argv and not self.before:
            return Flags(default_flags(file) + list(extra_args), ORIGIN + ": none given, default flags",
                         directory=self.directory)
        cleaned = clean(([compiler] if compiler else []) + self.before + rest, self.directory,
                        compiler_first=compiler is not None)
        args = cleaned.args
        if "-x" not in args and not any(a.startswith("-x") and len(a) > 2 for a in args):
            lang = "c" if _language_of(file) == "c" else "c++"
            args = ["-x", lang + ("-header" if is_header(file) else "")] + args
        warnings = [f"{ORIGIN}: {w}" for w in cleaned.warnings]
        return Flags(args + list(extra_args), ORIGIN, warnings, self.directory,
                     compiler=compiler_family([compiler]) if compiler else "")


def before_database_flags(flags: Flags, before: Sequence[str], directory: str) -> Flags:
    """``--extra-arg-before`` for flags from a database or the defaults: cleaned, put first."""
    if not before:
        return flags
    cleaned = clean(list(before), directory)
    flags.args = cleaned.args + flags.args
    flags.warnings = flags.warnings + [f"--extra-arg-before: {w}" for w in cleaned.warnings]
    return flags


def flags_for(ns, resolver: FlagResolver, path: str, extra_args: list[str]) -> Flags:
    """The flags ``path`` is linted with under the command line ``ns``: its compile command after
    ``--`` when there is one (``resolver`` is then a ``CommandFlags``), else ``resolver``'s, with
    ``--extra-arg-before`` first."""
    flags = resolver.flags_for(path, extra_args)
    if isinstance(resolver, CommandFlags):
        return flags
    return before_database_flags(flags, getattr(ns, "extra_arg_before", None) or [], os.getcwd())


def command_resolver(ns, files: Sequence[str]) -> Optional[CommandFlags]:
    """The resolver of the compile command after ``--``, or None when there is none."""
    command = getattr(ns, "compile_command", None)
    if command is None:
        return None
    return CommandFlags(command, os.getcwd(), getattr(ns, "extra_arg_before", None) or [], files)


def uses_cache(ns) -> bool:
    """Whether results are cached. Inside a build (a compile command after ``--``) only when a
    cache folder is named (``--cache-dir`` or ``HOTLINT_CACHE_DIR``): the build decides what runs
    again, and hotlint writes nothing into the build tree it was not asked to."""
    if ns.no_cache:
        return False
    if getattr(ns, "compile_command", None) is None:
        return True
    return bool(ns.cache_dir or os.environ.get("HOTLINT_CACHE_DIR"))


def says_nothing(ns, report) -> bool:
    """``--quiet`` inside a build, with nothing to report: print nothing (as clang-tidy), so a
    clean unit adds no line to the build's log."""
    return (bool(ns.quiet) and getattr(ns, "compile_command", None) is not None and ns.format in ("text", "concise")
            and not report.diagnostics and not report.errors and not ns.statistics)


def fails(ns, report) -> bool:
    """Whether the findings fail the run (exit 1): any reported one, or with ``--fail-on`` one of
    that severity or above; never with ``--exit-zero``."""
    if ns.exit_zero or not report.diagnostics:
        return False
    threshold = getattr(ns, "fail_on", None)
    if threshold is None:
        return True
    from .model import Severity

    return any(d.severity.rank >= Severity(threshold).rank for d in report.diagnostics)


# --------------------------------------------------------------------------- --export-fixes


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one; non-ASCII kept as UTF-8)."""
    return json.dumps(text, ensure_ascii=False)


_LEVELS = {"error": "Error", "warning": "Warning", "info": "Remark"}


def export_fixes(path: str, diagnostics: Iterable, main_file: str, unsafe: bool, directory: str) -> list[str]:
    """Write the fixes ``--fix`` would apply in its first pass (``fixes.select_fixes``: safe ones,
    unsafe ones too with ``unsafe``, none overlapping another) to ``path``, in the YAML
    ``clang-apply-replacements`` reads: one diagnostic per finding, its replacements in byte
    offsets of the file on disk (a byte-order mark counted, line ends as the file has them).
    Written atomically, and always (with no diagnostics when nothing is fixable), so a file from
    an earlier run never lingers. Returns notes (a file that changed since it was read)."""
    from .fixes import read_for_fix, select_fixes
    from .positions import ByteOffsets

    by_file: dict[str, list] = {}
    for d in diagnostics:
        by_file.setdefault(d.path, []).append(d)
    notes: list[str] = []
    entries: list[str] = []
    for file in sorted(by_file):
        chosen, _ = select_fixes(by_file[file], unsafe)
        if not chosen:
            continue
        try:
            disk = read_for_fix(file)
        except Exception as exc:  # noqa: BLE001 - unreadable now: say so, export the rest
            notes.append(f"{file}: fixes not exported: cannot read it ({exc})")
            continue
        data = disk.raw[len(disk.bom):]
        offsets = ByteOffsets(data)
        base = len(disk.bom)
        abspath = os.path.abspath(file)
        for d in chosen:
            reps = []
            for e in d.fix.edits:
                start = base + offsets.of(e.range.start.line, e.range.start.column)
                end = base + offsets.of(e.range.end.line, e.range.end.column)
                text = e.new_text.replace("\n", disk.newline) if disk.newline != "\n" else e.new_text
                reps.append(f"        - FilePath:        {_quoted(abspath)}\n"
                            f"          Offset:          {start}\n"
                            f"          Length:          {end - start}\n"
                            f"          ReplacementText: {_quoted(text)}\n")
            at = base + offsets.of(d.range.start.line, d.range.start.column)
            entries.append(f"  - DiagnosticName:  {_quoted('hotlint-' + d.rule)}\n"
                           f"    DiagnosticMessage:\n"
                           f"      Message:         {_quoted(d.message)}\n"
                           f"      FilePath:        {_quoted(abspath)}\n"
                           f"      FileOffset:      {at}\n"
                           f"      Replacements:\n" + "".join(reps) +
                           f"    Level:           {_LEVELS.get(d.severity.value, 'Warning')}\n"
                           f"    BuildDirectory:  {_quoted(directory)}\n")
    text = (f"---\nMainSourceFile:  {_quoted(os.path.abspath(main_file) if main_file else '')}\n"
            + ("Diagnostics:\n" + "".join(entries) if entries else "Diagnostics:     []\n") + "...\n")
    write_atomically(path, text)
    return notes


def export_report(ns, report, files: Sequence[str]) -> None:
    """``--export-fixes``: the fixes of ``report``'s findings to ``ns.export_fixes``; a file that
    cannot be written is an error of the run (exit 2), as a unit that cannot be analyzed."""
    from .model import ErrorRecord

    main_file = files[0] if len(files) == 1 else ""
    try:
        notes = export_fixes(ns.export_fixes, report.diagnostics, main_file, ns.unsafe_fixes, os.getcwd())
    except OSError as exc:
        report.errors.append(ErrorRecord(path=ns.export_fixes, kind="unwritable",
                                         message=f"--export-fixes: cannot write it: {exc.strerror or exc}"))
        return
    report.notes.extend(("--export-fixes", n) for n in notes)


def write_atomically(path: str, text: str) -> None:
    """``text`` to ``path`` through a temporary file in its folder renamed over it. Raises OSError."""
    path = os.path.abspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".hotlint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
