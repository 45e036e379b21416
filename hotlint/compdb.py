"""Compile flags: ``compile_commands.json`` discovery (as clangd does) and cleaning.

A compile command from a checkout is untrusted input. It is split as data (never
run through a shell), and only the flags that shape a parse are kept (``flags``).
"""

from __future__ import annotations

import bisect
import json
import os
import shlex
from dataclasses import dataclass, field
from typing import Optional

from .flags import CleanedFlags, clean
from .safeio import DATABASE_LIMIT, ReadRefused, read_regular

C_SOURCES = (".c",)
CXX_SOURCES = (".cc", ".cpp", ".cxx", ".c++", ".cp", ".C", ".ii", ".cu")
HEADERS = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".ipp", ".tcc", ".H")
SOURCE_EXTENSIONS = C_SOURCES + CXX_SOURCES + HEADERS

DEFAULT_CXX = ["-x", "c++", "-std=c++20"]
DEFAULT_C = ["-x", "c", "-std=c17"]


def clean_flags(argv: list[str], source: str, directory: str, is_compiler_first: bool = True) -> CleanedFlags:
    """Keep only what shapes the parse (``flags.clean``): includes, defines, language, standard, target."""
    return clean(argv, directory, compiler_first=is_compiler_first)


def clean_extra_args(values: list[str], directory: str) -> CleanedFlags:
    """Flags from ``extra-args``, an editor's ``extraArgs`` or ``--extra-arg``: cleaned the same way,
    relative include paths resolved against ``directory`` (the configuration's folder, the
    workspace or the working directory)."""
    return clean(list(values), directory)


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


_PROBLEMS_SHOWN = 10


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
        self._stems: Optional[dict[str, CompileCommand]] = None
        self._include_index: Optional[dict[str, list[str]]] = None
        self._sorted: Optional[list[str]] = None
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(read_regular(self.path, DATABASE_LIMIT).decode("utf-8"))
        except ReadRefused as exc:
            raise CompilationDatabaseError(f"{self.path}: {exc}") from None
        except OSError as exc:
            raise CompilationDatabaseError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise CompilationDatabaseError(f"{self.path}: not valid JSON: {exc}") from None
        except RecursionError:
            raise CompilationDatabaseError(f"{self.path}: not valid JSON: nested too deeply") from None
        if not isinstance(data, list):
            raise CompilationDatabaseError(f"{self.path}: expected a JSON array of compile commands")
        skipped = 0

        def skip(n: int, why: str) -> None:
            nonlocal skipped
            skipped += 1
            if skipped <= _PROBLEMS_SHOWN:  # a database of a million bad entries says so in a few lines
                self.problems.append(f"{self.path}: entry {n} {why}; skipped")

        for n, entry in enumerate(data):
            if not isinstance(entry, dict) or "file" not in entry or "directory" not in entry:
                skip(n, "lacks `file` or `directory`")
                continue
            directory = entry["directory"]
            if not isinstance(directory, str) or not isinstance(entry["file"], str):
                skip(n, "has a non-string `file` or `directory`")
                continue
            if "\0" in directory or "\0" in entry["file"]:
                skip(n, "has a NUL character in `file` or `directory`")
                continue
            directory = os.path.normpath(os.path.join(self.base, directory))
            if "arguments" in entry and isinstance(entry["arguments"], list):
                argv = [str(a) for a in entry["arguments"]]
            elif "command" in entry and isinstance(entry["command"], str):
                try:
                    argv = shlex.split(entry["command"])
                except ValueError as exc:
                    skip(n, f"has a `command` hotlint cannot split ({exc})")
                    continue
            else:
                skip(n, "has neither `arguments` nor `command`")
                continue
            file = os.path.normpath(os.path.join(directory, entry["file"]))
            self.commands.setdefault(file, CompileCommand(file, directory, argv, self.path))
        if skipped > _PROBLEMS_SHOWN:
            self.problems.append(f"{self.path}: {skipped - _PROBLEMS_SHOWN:,} more entries skipped")

    def lookup(self, path: str) -> Optional[CompileCommand]:
        return self.commands.get(os.path.normpath(os.path.abspath(path)))

    def for_header(self, header: str) -> Optional[CompileCommand]:
        """Flags for a header: a unit with the same stem, then one that includes it, then the nearest."""
        header = os.path.normpath(os.path.abspath(header))
        stem = os.path.splitext(header)[0]
        by_stem = self._by_stem()
        if stem in by_stem:
            return by_stem[stem]
        includers = self._includers().get(os.path.basename(header))
        if includers:
            return self.commands[includers[0]]
        return self._nearest(header)

    def _nearest(self, path: str, language: Optional[str] = None) -> Optional[CompileCommand]:
        """The unit nearest ``path``: in its own folder, else under the nearest folder above it
        that holds any unit (the longest common path), preferring a unit of ``language`` there;
        found by bisection in the sorted unit paths (databases hold hundreds of thousands)."""
        if self._sorted is None:
            self._sorted = sorted(self.commands)
        if not self._sorted:
            return None
        folder = os.path.dirname(os.path.normpath(os.path.abspath(path)))
        while True:
            prefix = folder.rstrip(os.sep) + os.sep
            lo = bisect.bisect_left(self._sorted, prefix)
            hi = bisect.bisect_left(self._sorted, prefix + "\U0010ffff")
            if lo < hi:
                same_folder = [f for f in self._sorted[lo:min(hi, lo + 2000)] if os.path.dirname(f) == folder]
                for group in (same_folder, self._sorted[lo:min(hi, lo + 2000)]):
                    if language is not None:
                        for f in group:
                            if _language_of(f) == language:
                                return self.commands[f]
                    if group:
                        return self.commands[group[0]]
            parent = os.path.dirname(folder)
            if parent == folder:
                return self.commands[self._sorted[0]]
            folder = parent

    def for_source(self, source: str) -> Optional[CompileCommand]:
        """Flags for a source file the database does not list (a test or tool left out of the
        build): the nearest unit of the same language, as clangd borrows them."""
        return self._nearest(source, _language_of(source))

    def _by_stem(self) -> dict[str, CompileCommand]:
        if self._stems is None:
            self._stems = {}
            for f, cmd in self.commands.items():
                self._stems.setdefault(os.path.splitext(f)[0], cmd)
        return self._stems

    def _includers(self) -> dict[str, list[str]]:
        """Header file name -> the units that ``#include`` a file of that name (sorted): each
        unit is read once per database, however many headers are looked up."""
        if self._include_index is None:
            index: dict[str, list[str]] = {}
            for f in sorted(self.commands):
                for name in _included_names(f):
                    index.setdefault(name, []).append(f)
            self._include_index = index
        return self._include_index


_INCLUDE_SCAN_LIMIT = 256 * 1024


def _included_names(source: str) -> set[str]:
    """The file names (last path component) a source's ``#include`` lines name."""
    try:
        head = read_regular(source, _INCLUDE_SCAN_LIMIT, head_only=True)
    except (OSError, ValueError):  # ValueError: a name with a NUL in it
        return set()
    names = set()
    for line in head.splitlines():
        s = line.lstrip()
        if not s.startswith(b"#"):
            continue
        s = s[1:].lstrip()
        if not s.startswith(b"include"):
            continue
        rest = s[len(b"include"):].strip()
        if rest[:1] in (b'"', b"<"):
            close = rest.find(b'"' if rest[:1] == b'"' else b">", 1)
            if close > 1:
                names.add(os.path.basename(rest[1:close].decode("utf-8", "replace")))
    return names


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
        self.borrowed: dict[str, list[tuple[str, str]]] = {}  # database -> (file, unit it borrowed from)

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
        cmd, borrowed = None, False
        if db is not None:
            cmd = db.lookup(file)
            if cmd is None and is_header(file):
                cmd = db.for_header(file)
            elif cmd is None:
                cmd, borrowed = db.for_source(file), True
        warnings = []
        if db is not None and db.problems and dbp not in self._reported:
            self._reported.add(dbp)
            warnings.extend(db.problems)
        if cmd is None:
            if dbp and db is None:
                warnings.append(f"ignored {self.errors.get(dbp, dbp)}; using default flags")
            elif db is not None:
                warnings.append(f"{dbp} has no compile commands; using default flags")
            return Flags(default_flags(file) + list(extra_args), "defaults", warnings)
        cleaned = clean_flags(cmd.argv, cmd.file, cmd.directory)
        args = cleaned.args
        if is_header(file) and os.path.normpath(cmd.file) != os.path.normpath(os.path.abspath(file)):
            args = _replace_language(args, _header_language(file, cmd.file))
        elif borrowed:
            args = _replace_language(args, _language_of(file))
            if _language_of(file) != _language_of(cmd.file):  # a C++ standard means nothing to a C file
                args = [a for a in args if not a.startswith(("-std=", "--std="))] + [
                    (DEFAULT_C if _language_of(file) == "c" else DEFAULT_CXX)[-1]]
        elif "-x" not in args and not any(a.startswith("-x") and len(a) > 2 for a in args):
            args = ["-x", "c" if _language_of(file) == "c" else ("c++-header" if is_header(file) else "c++")] + args
        warnings += [f"{cmd.source}: {w}" for w in cleaned.warnings]
        origin = cmd.source
        if borrowed:
            self.borrowed.setdefault(dbp, []).append((os.path.abspath(file), cmd.file))
            origin = f"{cmd.source}, borrowed from {cmd.file}: the file has no entry of its own"
        return Flags(args + list(extra_args), origin, warnings, cmd.directory)

    def borrowed_notes(self) -> list[tuple[str, str]]:
        """(database, one line) per database from which files without an entry borrowed flags."""
        out = []
        for dbp, pairs in self.borrowed.items():
            n = len(pairs)
            out.append((dbp, f"{n} file{'s' if n != 1 else ''} without an entry of {'their' if n != 1 else 'its'} "
                             f"own {'were' if n != 1 else 'was'} parsed with the flags of the nearest entry of the "
                             "same language (as clangd does; -v names it)"))
        return out


_CXX_HEADERS = (".hh", ".hpp", ".hxx", ".h++", ".H", ".tcc", ".ipp", ".inl")


def _header_language(header: str, unit: str) -> str:
    """``.hpp`` and friends are C++; a ``.h`` is in the language of the unit it is parsed with."""
    if os.path.splitext(header)[1] in _CXX_HEADERS:
        return "c++-header"
    return "c-header" if _language_of(unit) == "c" else "c++-header"


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
