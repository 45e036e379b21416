"""Compile flags: ``compile_commands.json`` discovery (as clangd does) and cleaning.

A compile command from a checkout is untrusted input. It is split as data (never
run through a shell), and only the flags that shape a parse are kept (``flags``).
"""

from __future__ import annotations

import bisect
import json
import re
import os
import shlex
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .cache import include_folders
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

    def sorted_units(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.commands)
        return self._sorted

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


_TRANSITIVE_UNITS = 64  # units (nearest the header first) searched for one including it through other headers
_GRAPH_FILES = 4000  # files one search reads at most
_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(include|include_next|import|define|ifdef|if|elif)\b[ \t]*(.*)$", re.M)
_DEFINED = re.compile(rb"defined[ \t]*\(?[ \t]*([A-Za-z_]\w*)")


class IncludeGraph:
    """`#include` and `#define` lines of source files, read as text (each file once per run)."""

    def __init__(self) -> None:
        self._scans: dict[str, tuple[list[tuple[int, str, bool]], list[tuple[int, str]]]] = {}

    def scan(self, path: str) -> tuple[list[tuple[int, str, bool]], list[tuple[int, str]]]:
        """((line, spelled name, angled) per include, (line, name) per define) of ``path``."""
        hit = self._scans.get(path)
        if hit is not None:
            return hit
        includes: list[tuple[int, str, bool]] = []
        defines: list[tuple[int, str]] = []
        try:
            head = read_regular(path, _INCLUDE_SCAN_LIMIT, head_only=True)
        except (OSError, ValueError):  # ValueError: a name with a NUL in it
            head = b""
        for m in _DIRECTIVE.finditer(head):
            line = head.count(b"\n", 0, m.start()) + 1
            word, rest = m.group(1), m.group(2).strip()
            if word == b"define":
                name = re.match(rb"[A-Za-z_]\w*", rest)
                if name:
                    defines.append((line, name.group().decode()))
            elif word in (b"include", b"include_next", b"import") and rest[:1] in (b'"', b"<"):
                close = rest.find(b'"' if rest[:1] == b'"' else b">", 1)
                if close > 1:
                    includes.append((line, rest[1:close].decode("utf-8", "replace"), rest[:1] == b"<"))
        self._scans[path] = (includes, defines)
        return self._scans[path]

    def names(self, path: str) -> set[str]:
        return {os.path.basename(spelled) for _, spelled, _ in self.scan(path)[0]}

    def defined_before(self, path: str, line: int) -> set[str]:
        return {name for at, name in self.scan(path)[1] if at < line}

    @staticmethod
    def resolve(includer: str, spelled: str, angled: bool, folders: Sequence[str],
                unsaved: str = "") -> Optional[str]:
        """The file an include names, as the preprocessor searches (``unsaved``: a file that counts as
        existing, a header open in an editor and not yet saved)."""
        for folder in ([] if angled else [os.path.dirname(includer)]) + list(folders):
            cand = os.path.normpath(os.path.join(folder, spelled))
            if cand == unsaved or os.path.isfile(cand):
                return cand
        return None

    def reaches(self, unit: str, header: str, folders: Sequence[str]) -> Optional[tuple[int, int]]:
        """(the unit's include line that leads to ``header``, depth: 1 when direct) or None."""
        seen = {unit}
        level = [(line, unit, spelled, angled) for line, spelled, angled in self.scan(unit)[0]]
        depth = 1
        while level and len(seen) < _GRAPH_FILES:
            following = []
            for line, includer, spelled, angled in level:
                found = self.resolve(includer, spelled, angled, folders, header)
                if found is None or found in seen:
                    continue
                if found == header:
                    return line, depth
                seen.add(found)
                following.extend((line, found, s, a) for _, s, a in self.scan(found)[0])
            level, depth = following, depth + 1
        return None


def _tested_macros(header: str) -> set[str]:
    """Macros ``header`` tests with `#ifdef` or `defined(...)` and does not define itself (an include
    guard's `#ifndef X`/`#define X` is neither)."""
    try:
        text = read_regular(header, _INCLUDE_SCAN_LIMIT * 16, head_only=True)
    except (OSError, ValueError):
        return set()
    tested, defined = set(), set()
    for m in _DIRECTIVE.finditer(text):
        word, rest = m.group(1), m.group(2)
        if word == b"ifdef":
            name = re.match(rb"[A-Za-z_]\w*", rest.strip())
            tested |= {name.group().decode()} if name else set()
        elif word in (b"if", b"elif"):
            tested |= {n.decode() for n in _DEFINED.findall(rest)}
        elif word == b"define":
            name = re.match(rb"[A-Za-z_]\w*", rest.strip())
            defined |= {name.group().decode()} if name else set()
    return tested - defined


def _flag_macros(args: Sequence[str]) -> set[str]:
    """Macros cleaned flags define (`-DNAME`, `-DNAME=value`, `-D NAME`)."""
    out = set()
    for a, b in zip(args, list(args[1:]) + [""]):
        value = b if a == "-D" else a[2:] if a.startswith("-D") else None
        if value:
            out.add(value.split("=", 1)[0])
    return out


def _nearest_first(path: str, files: Sequence[str]) -> list[str]:
    return sorted(files, key=lambda f: (-len(os.path.commonpath([f, path])), f))


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


@dataclass(frozen=True)
class HeaderContext:
    """A header is analyzed inside ``unit``, a source file that includes it; ``line`` is the
    unit's `#include` line that brings it in (directly or through other headers)."""

    unit: str
    line: Optional[int] = None


@dataclass
class Flags:
    """What the engine parses a file with, and where the flags came from."""

    args: list[str]
    origin: str  # "compile_commands.json path", or "defaults"
    warnings: list[str] = field(default_factory=list)
    directory: Optional[str] = None
    context: Optional[HeaderContext] = None  # a header parsed inside its includer (``args`` are the unit's)
    compiler: str = ""  # the compile command's compiler family: "clang", "gcc" or "" (``compiler_family``)


def compiler_family(argv: Sequence[str]) -> str:
    """``clang`` for clang++/clang-17/ccache-less clang drivers, ``gcc`` for g++/gcc/c++/cc, else "".
    The name only: the command is never run."""
    if not argv:
        return ""
    name = os.path.basename(argv[0]).lower()
    if "clang" in name:
        return "clang"
    if name.startswith(("g++", "gcc", "c++", "cc")) or name.endswith(("-g++", "-gcc")):
        return "gcc"
    return ""


class FlagResolver:
    """Maps each file to cleaned flags, loading databases once."""

    def __init__(self, explicit: Optional[str] = None, sources: Sequence[str] = ()):
        self.explicit = explicit
        # files being analyzed: without a database, the source files among them may host a header
        self.sources = sorted({os.path.normpath(os.path.abspath(f)) for f in sources if not is_header(f)})
        self._includes = IncludeGraph()
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
        """The flags ``file`` is parsed with. A header a unit includes is parsed inside that unit
        (``context_for``): the flags are the unit's and ``context`` names it."""
        if is_header(file):
            context = self.context_for(file, extra_args)
            if context is not None:
                flags = self._flags_for(context.unit, extra_args)
                flags.context = context
                flags.origin += f"; inside {context.unit} (line {context.line}), which includes it"
                return flags
        return self._flags_for(file, extra_args)

    def context_for(self, header: str, extra_args: Sequence[str] = ()) -> Optional[HeaderContext]:
        """The unit a header is analyzed in (clangd's "header context"), or None (it is then parsed
        alone with borrowed flags). Candidates are the database's units (without one, the source
        files being analyzed); their `#include` lines are read as text and resolved against the
        unit's folder and include paths. Preferred, in order: a unit that defines (before the include,
        or with -D) a macro the header tests with `#ifdef`/`#if defined` (a single-header library's
        `LIB_IMPLEMENTATION`); one that includes the header directly rather than through another
        header; one with the header's stem (`q.cpp` for `q.h`); the nearest (longest common
        path); the first by path."""
        header = os.path.normpath(os.path.abspath(header))
        dbp = self.database_path(header)
        db = self._db(dbp) if dbp else None
        if db is not None and db.lookup(header) is not None:
            return None  # the database says how to parse it
        units = list(db.sorted_units()) if db is not None else []
        units += [f for f in self.sources if db is None or f not in db.commands]
        if not units:
            return None
        name = os.path.basename(header)
        direct = [u for u in units if name in self._includes.names(u)]
        found = self._reaching(header, direct, extra_args)
        if not found:
            found = self._reaching(header, _nearest_first(header, units)[:_TRANSITIVE_UNITS], extra_args)
        if not found:
            return None
        tested = _tested_macros(header)
        stem = os.path.splitext(header)[0]

        def rank(item):
            unit, line, depth, defined = item
            return (not (tested & defined), depth > 1, os.path.splitext(unit)[0] != stem,
                    -len(os.path.commonpath([unit, header])), unit)

        unit, line, _, _ = min(found, key=rank)
        return HeaderContext(unit, line)

    def _reaching(self, header: str, units: Sequence[str], extra_args: Sequence[str]):
        """(unit, line, depth, macros defined before that line) for each of ``units`` reaching ``header``."""
        out = []
        for unit in units:
            args = self._flags_for(unit, list(extra_args), quiet=True).args
            hit = self._includes.reaches(unit, header, include_folders(args))
            if hit is not None:
                line, depth = hit
                out.append((unit, line, depth, self._includes.defined_before(unit, line) | _flag_macros(args)))
        return out

    def _flags_for(self, file: str, extra_args: list[str], quiet: bool = False) -> Flags:
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
        if db is not None and db.problems and dbp not in self._reported and not quiet:
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
            args = replace_language(args, header_language(file, cmd.file))
        elif borrowed:
            args = replace_language(args, _language_of(file))
            if _language_of(file) != _language_of(cmd.file):  # a C++ standard means nothing to a C file
                args = [a for a in args if not a.startswith(("-std=", "--std="))] + [
                    (DEFAULT_C if _language_of(file) == "c" else DEFAULT_CXX)[-1]]
        elif "-x" not in args and not any(a.startswith("-x") and len(a) > 2 for a in args):
            args = ["-x", "c" if _language_of(file) == "c" else ("c++-header" if is_header(file) else "c++")] + args
        warnings += [f"{cmd.source}: {w}" for w in cleaned.warnings]
        origin = cmd.source
        if borrowed and not quiet and (os.path.abspath(file), cmd.file) not in self.borrowed.get(dbp, ()):
            self.borrowed.setdefault(dbp, []).append((os.path.abspath(file), cmd.file))
            origin = f"{cmd.source}, borrowed from {cmd.file}: the file has no entry of its own"
        return Flags(args + list(extra_args), origin, warnings, cmd.directory, compiler=compiler_family(cmd.argv))

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


def header_language(header: str, unit: str) -> str:
    """``.hpp`` and friends are C++; a ``.h`` is in the language of the unit it is parsed with."""
    if os.path.splitext(header)[1] in _CXX_HEADERS:
        return "c++-header"
    return "c-header" if _language_of(unit) == "c" else "c++-header"


def replace_language(args: list[str], lang: str) -> list[str]:
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
