"""Compile flags: ``compile_commands.json`` discovery (as clangd does) and cleaning.

A compile command from a checkout is untrusted input. It is split as data (never
run through a shell), and every flag that would write files, load code into the
analyzer or make libclang reject the unit is dropped before parsing.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from typing import Optional

C_SOURCES = (".c",)
CXX_SOURCES = (".cc", ".cpp", ".cxx", ".c++", ".cp", ".C", ".ii", ".cu")
HEADERS = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".ipp", ".tcc", ".H")
SOURCE_EXTENSIONS = C_SOURCES + CXX_SOURCES + HEADERS

DEFAULT_CXX = ["-x", "c++", "-std=c++20"]
DEFAULT_C = ["-x", "c", "-std=c17"]

# Flags that take the next argument as a value, and whether we keep the pair.
_DROP_WITH_VALUE = {
    "-o", "-MF", "-MT", "-MQ", "-MJ", "-include-pch", "-Xlinker", "-Xassembler",
    "-Xpreprocessor", "-Xclang", "--serialize-diagnostics", "-dependency-file", "-dependency-dot",
    "-main-file-name", "-ftime-trace-granularity", "-B", "--config", "-Xanalyzer",
    "-arcmt-migrate-report-output", "--output",
}
_KEEP_WITH_VALUE = {
    "-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-D", "-U", "-x",
    "-isysroot", "--sysroot", "-target", "--target", "-F", "-iframework", "-iprefix",
    "-iwithprefix", "-iwithprefixbefore", "-isystem-after", "-cxx-isystem", "-std", "-arch",
    "-stdlib", "--gcc-toolchain", "-resource-dir",
}
_DROP_EXACT = {
    "-c", "-S", "-E", "-M", "-MM", "-MD", "-MMD", "-MP", "-MG", "-save-temps", "--save-temps",
    "-pipe", "-v", "--verbose", "-###", "-fsyntax-only", "-emit-ast", "-pedantic-errors",
    "--coverage", "-ftest-coverage", "-fprofile-arcs", "-ftime-trace", "-fcolor-diagnostics",
    "-fdiagnostics-color", "-fanalyzer", "-fconserve-stack", "-Qunused-arguments", "-shared",
    "-static", "-rdynamic", "-fpch-preprocess", "-Winvalid-pch", "-H", "--",
}
# gcc-only flags clang rejects outright (an unknown-argument error fails the unit)
_GCC_ONLY_PREFIXES = (
    "-fno-tree-", "-ftree-", "-fipa-", "-fno-ipa-", "-fsched-", "-fno-sched-", "-fgcse",
    "-fno-gcse", "-fvar-tracking", "-fno-var-tracking", "-flto-partition=", "-fmax-errors=",
    "-fno-semantic-interposition", "-mabi=", "-fstack-usage", "-fcallgraph-info",
    "-fdump-", "-fopt-info", "-fno-allow-store-data-races", "-fallow-store-data-races",
    "-fmacro-prefix-map=", "-finline-limit", "-fno-canonical-system-headers",
    "-fconcepts-diagnostics-depth=", "-fno-printf-return-value", "-fharden-",
)
_DROP_PREFIXES = (
    "-W", "-o", "-MF", "-MT", "-MQ", "-MJ", "-save-temps=", "-ftime-trace=", "-fprofile-",
    "-fcoverage-", "--serialize-diagnostics=", "-fmodules-cache-path=", "-fcrash-diagnostics",
    "-fdebug-compilation-dir", "-fdiagnostics-", "--config=", "-B", "-L", "-l", "-Wl,", "-flto",
    "-fuse-ld=", "-fprebuilt-module-path=", "-fmodule-output",
)
# Flags that would load code into the analyzer: never honoured from a checkout.
_CODE_LOADING_PREFIXES = ("-fplugin=", "-fpass-plugin=", "-fplugin-arg-", "--load=")
_CODE_LOADING_XCLANG = {"-load", "-plugin", "-add-plugin", "-load-pass-plugin", "-plugin-arg"}


@dataclass
class CleanedFlags:
    args: list[str]
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _language_of(path: str) -> str:
    ext = os.path.splitext(path)[1]
    if ext == ".c":
        return "c"
    return "c++"


def is_header(path: str) -> bool:
    return os.path.splitext(path)[1] in HEADERS


def default_flags(path: str) -> list[str]:
    if _language_of(path) == "c":
        return list(DEFAULT_C)
    if is_header(path):
        return ["-x", "c++-header", "-std=c++20"]
    return list(DEFAULT_CXX)


def _expand_response_files(argv: list[str], directory: str, depth: int = 0) -> list[str]:
    """Expand ``@file`` arguments ourselves (as data) so their flags are cleaned too."""
    out = []
    for a in argv:
        if a.startswith("@") and depth < 4:
            path = os.path.join(directory, a[1:])
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out.extend(_expand_response_files(shlex.split(fh.read()), directory, depth + 1))
            except (OSError, ValueError):
                continue
        else:
            out.append(a)
    return out


def clean_flags(argv: list[str], source: str, directory: str, is_compiler_first: bool = True) -> CleanedFlags:
    """Keep only what shapes the parse: includes, defines, language, standard, target."""
    res = CleanedFlags(args=[])
    argv = list(argv)
    if is_compiler_first and argv:
        compiler = os.path.basename(argv[0])
        argv = argv[1:]
        if compiler in ("cl", "cl.exe", "clang-cl", "clang-cl.exe"):
            res.args.append("--driver-mode=cl")
    argv = _expand_response_files(argv, directory)
    i = 0
    while i < len(argv):
        a = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if a == "-Xclang" and nxt is not None:
            if nxt in _CODE_LOADING_XCLANG or nxt.startswith("-plugin") or nxt.startswith("-load"):
                res.warnings.append(
                    f"dropped `-Xclang {nxt}`"
                    + (f" `{argv[i + 3]}`" if i + 3 < len(argv) and argv[i + 2] == "-Xclang" else "")
                    + ": it would load code into the analyzer"
                )
                # -Xclang -load -Xclang lib.so: drop the value too
                if i + 3 < len(argv) and argv[i + 2] == "-Xclang" and nxt in ("-load", "-load-pass-plugin", "-plugin-arg"):
                    i += 4
                    continue
            res.dropped.extend([a, nxt])
            i += 2
            continue
        if a.startswith(_CODE_LOADING_PREFIXES):
            res.warnings.append(f"dropped `{a}`: it would load code into the analyzer")
            res.dropped.append(a)
            i += 1
            continue
        if a in ("-load", "--load", "-fplugin", "-fpass-plugin") and nxt is not None:
            res.warnings.append(f"dropped `{a} {nxt}`: it would load code into the analyzer")
            res.dropped.extend([a, nxt])
            i += 2
            continue
        if a in _DROP_WITH_VALUE:
            res.dropped.extend([a] + ([nxt] if nxt is not None else []))
            i += 2
            continue
        if a in _KEEP_WITH_VALUE and nxt is not None:
            res.args.extend([a, _absolutize(a, nxt, directory)])
            i += 2
            continue
        if a in _DROP_EXACT or a.startswith(_GCC_ONLY_PREFIXES) or a.startswith(_DROP_PREFIXES):
            res.dropped.append(a)
            i += 1
            continue
        if not a.startswith("-"):
            # an input file: the source itself or another input; never pass inputs through
            res.dropped.append(a)
            i += 1
            continue
        for flag in ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-F", "-imacros"):
            if a.startswith(flag) and len(a) > len(flag) and not a.startswith(flag + "="):
                if flag in ("-I", "-F") or a[len(flag)] in "/.":
                    a = flag + _absolutize(flag, a[len(flag):], directory)
                break
        res.args.append(a)
        i += 1
    return res


def _absolutize(flag: str, value: str, directory: str) -> str:
    if flag in ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-F",
                "-iframework", "-cxx-isystem", "-isystem-after") and not os.path.isabs(value):
        return os.path.normpath(os.path.join(directory, value))
    return value


@dataclass
class CompileCommand:
    file: str  # absolute
    directory: str  # absolute
    argv: list[str]
    source: str  # where it came from (database path) for messages


class CompilationDatabaseError(Exception):
    pass


class CompilationDatabase:
    """One ``compile_commands.json``."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self.base = os.path.dirname(self.path)
        self.commands: dict[str, CompileCommand] = {}
        self.problems: list[str] = []
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except OSError as exc:
            raise CompilationDatabaseError(f"{self.path}: cannot read: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise CompilationDatabaseError(f"{self.path}: not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise CompilationDatabaseError(f"{self.path}: expected a JSON array of compile commands")
        for n, entry in enumerate(data):
            if not isinstance(entry, dict) or "file" not in entry or "directory" not in entry:
                self.problems.append(f"{self.path}: entry {n} lacks `file` or `directory`; skipped")
                continue
            directory = entry["directory"]
            if not isinstance(directory, str) or not isinstance(entry["file"], str):
                self.problems.append(f"{self.path}: entry {n} has a non-string `file` or `directory`; skipped")
                continue
            directory = os.path.normpath(os.path.join(self.base, directory))
            if "arguments" in entry and isinstance(entry["arguments"], list):
                argv = [str(a) for a in entry["arguments"]]
            elif "command" in entry and isinstance(entry["command"], str):
                try:
                    argv = shlex.split(entry["command"])
                except ValueError as exc:
                    self.problems.append(f"{self.path}: entry {n}: cannot split `command`: {exc}; skipped")
                    continue
            else:
                self.problems.append(f"{self.path}: entry {n} has neither `arguments` nor `command`; skipped")
                continue
            file = os.path.normpath(os.path.join(directory, entry["file"]))
            self.commands.setdefault(file, CompileCommand(file, directory, argv, self.path))

    def lookup(self, path: str) -> Optional[CompileCommand]:
        return self.commands.get(os.path.normpath(os.path.abspath(path)))

    def for_header(self, header: str) -> Optional[CompileCommand]:
        """Flags for a header: a unit with the same stem, then one that includes it, then the nearest."""
        header = os.path.normpath(os.path.abspath(header))
        stem = os.path.splitext(header)[0]
        for f, cmd in self.commands.items():
            if os.path.splitext(f)[0] == stem:
                return cmd
        base = os.path.basename(header)
        for f, cmd in sorted(self.commands.items()):
            if _includes(f, base):
                return cmd
        best, best_score = None, -1
        for f, cmd in self.commands.items():
            score = len(os.path.commonpath([f, header])) if os.path.isabs(f) else 0
            if score > best_score:
                best, best_score = cmd, score
        return best


def _includes(source: str, header_base: str) -> bool:
    try:
        with open(source, "rb") as fh:
            head = fh.read(256 * 1024)
    except OSError:
        return False
    needle = header_base.encode()
    for line in head.splitlines():
        s = line.lstrip()
        if s.startswith(b"#") and b"include" in s and needle in s:
            return True
    return False


def find_database(start: str) -> Optional[str]:
    """``compile_commands.json`` in a folder upward of ``start``, or in its ``build/`` (as clangd)."""
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start))
    while True:
        for cand in (os.path.join(d, "compile_commands.json"), os.path.join(d, "build", "compile_commands.json")):
            if os.path.isfile(cand):
                return cand
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


@dataclass
class Flags:
    """What the engine parses a file with, and where the flags came from."""

    args: list[str]
    origin: str  # "compile_commands.json path", or "defaults"
    warnings: list[str] = field(default_factory=list)
    directory: Optional[str] = None


class FlagResolver:
    """Maps each file to cleaned flags, loading databases once."""

    def __init__(self, explicit: Optional[str] = None):
        self.explicit = explicit
        self._dbs: dict[str, Optional[CompilationDatabase]] = {}
        self._db_for_dir: dict[str, Optional[str]] = {}
        self.errors: dict[str, str] = {}  # database path -> problem
        self._reported: set[str] = set()  # databases whose skipped entries were already said

    def _db(self, path: str) -> Optional[CompilationDatabase]:
        if path not in self._dbs:
            try:
                self._dbs[path] = CompilationDatabase(path)
            except CompilationDatabaseError as exc:
                self.errors[path] = str(exc)
                self._dbs[path] = None
        return self._dbs[path]

    def database_path(self, file: str) -> Optional[str]:
        if self.explicit:
            p = self.explicit
            return os.path.join(p, "compile_commands.json") if os.path.isdir(p) else p
        d = os.path.dirname(os.path.abspath(file))
        if d not in self._db_for_dir:
            self._db_for_dir[d] = find_database(d)
        return self._db_for_dir[d]

    def flags_for(self, file: str, extra_args: list[str]) -> Flags:
        dbp = self.database_path(file)
        db = self._db(dbp) if dbp else None
        cmd = None
        if db is not None:
            cmd = db.lookup(file) or (db.for_header(file) if is_header(file) else None)
        warnings = []
        if db is not None and db.problems and dbp not in self._reported:
            self._reported.add(dbp)
            warnings.extend(db.problems)
        if cmd is None:
            if dbp and db is None:
                warnings.append(f"ignored {self.errors.get(dbp, dbp)}; using default flags")
            elif db is not None:
                warnings.append(f"no entry in {dbp}; using default flags")
            return Flags(default_flags(file) + list(extra_args), "defaults", warnings)
        cleaned = clean_flags(cmd.argv, cmd.file, cmd.directory)
        args = cleaned.args
        if is_header(file) and os.path.normpath(cmd.file) != os.path.normpath(os.path.abspath(file)):
            lang = "c-header" if _language_of(cmd.file) == "c" else "c++-header"
            args = _replace_language(args, lang)
        elif "-x" not in args and not any(a.startswith("-x") and len(a) > 2 for a in args):
            args = ["-x", "c" if _language_of(file) == "c" else ("c++-header" if is_header(file) else "c++")] + args
        warnings += [f"{cmd.source}: {w}" for w in cleaned.warnings]
        return Flags(args + list(extra_args), cmd.source, warnings, cmd.directory)


def _replace_language(args: list[str], lang: str) -> list[str]:
    out, i = [], 0
    while i < len(args):
        if args[i] == "-x" and i + 1 < len(args):
            i += 2
            continue
        if args[i].startswith("-x") and len(args[i]) > 2:
            i += 1
            continue
        out.append(args[i])
        i += 1
    return ["-x", lang] + out
