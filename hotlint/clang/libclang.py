"""Loading libclang, parsing a translation unit, and turning clang's diagnostics
into hotlint's error records. The only module (with ``nodes``) that touches
``clang.cindex``.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Optional, Sequence

from ..model import ErrorRecord

_cindex = None

# A language-server prefix unit parses the head of a main file as a header of its own
# (see hotlint.lsp.prefix); everything found in that header belongs to the main file.
_FILE_ALIASES: dict[str, str] = {}


def alias_file(header: str, main: str) -> None:
    """Report whatever libclang places in ``header`` as being in ``main``."""
    _FILE_ALIASES[header] = main


def unalias_file(header: str) -> None:
    _FILE_ALIASES.pop(header, None)


def file_alias(name: str) -> str:
    """The file a location in ``name`` belongs to: ``name`` itself unless it is an alias."""
    return _FILE_ALIASES.get(name, name)


def _system_has_cxx_stdlib() -> bool:
    """True when the system ships a C++ standard library that clang's driver finds.

    libclang-ng injects its bundled libc++ headers by default; mixed with the
    system's libstdc++ they clash ("no member named 'abs' in namespace 'std'").
    The bundled copy is only right on a machine with no C++ library at all.
    """
    patterns = [
        "/usr/include/c++/*",
        "/usr/local/include/c++/*",
        "/usr/lib/gcc/*/*/include/c++",
        "/Library/Developer/CommandLineTools/usr/include/c++/v1",
        "/Applications/Xcode.app/Contents/Developer/Platforms/MacOSX.platform/Developer/SDKs/*/usr/include/c++/v1",
    ]
    return any(glob.glob(p) for p in patterns)


def cindex():
    """The configured ``clang.cindex`` module (imported once per process)."""
    global _cindex
    if _cindex is None:
        if _system_has_cxx_stdlib():
            os.environ["LIBCLANG_LIBSTDCXX_HEADER_PATH"] = ""
        from clang import cindex as ci  # noqa: PLC0415 - the boundary import

        if _system_has_cxx_stdlib():
            ci.Config.libcxx_dir = None
        _cindex = ci
        # Nodes form parent/child cycles, so translation units may wait for the cycle
        # collector; collect before interpreter teardown unloads the bindings they need.
        import atexit
        import gc

        def _release():
            from .nodes import clear_caches

            clear_caches()
            gc.collect()

        atexit.register(_release)
    return _cindex


def libclang_version() -> str:
    """The libclang bindings' version (part of the cache key)."""
    import clang  # noqa: PLC0415

    return getattr(clang, "__version__", "unknown")


# Options understood by clang_parseTranslationUnit.
PARSE_DETAILED_PROCESSING_RECORD = 0x01
PARSE_INCOMPLETE = 0x02
PARSE_PRECOMPILED_PREAMBLE = 0x04
PARSE_CACHE_COMPLETION_RESULTS = 0x08
PARSE_SKIP_FUNCTION_BODIES = 0x40
PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE = 0x100
PARSE_KEEP_GOING = 0x200
PARSE_LIMIT_SKIP_FUNCTION_BODIES_TO_PREAMBLE = 0x800

_MISSING_HEADER = re.compile(r"'([^']+)' file not found")
_BAD_ARGUMENT = re.compile(
    r"^(?:unknown argument:? '([^']+)'|unsupported option '([^']+)'|"
    r"unsupported argument '[^']*' to option '([^']+)'|invalid value '[^']*' in '([^']+)')"
)


class ParseFailure(Exception):
    """libclang could not produce a translation unit at all."""

    def __init__(self, message: str, crashed: bool = False):
        super().__init__(message)
        self.crashed = crashed


_ERROR_CODES = {1: "failure", 2: "crashed", 3: "invalid arguments", 4: "AST read error"}


def bad_arguments(diagnostics) -> list[str]:
    """Flags the clang driver rejected, from diagnostics without a location."""
    out = []
    for d in diagnostics:
        if d.location.file is not None:
            continue
        m = _BAD_ARGUMENT.match(d.spelling)
        if m:
            out.append(next(g for g in m.groups() if g))
    return out


def parse(
    path: str,
    args: Sequence[str],
    text: Optional[str] = None,
    options: int = 0,
    index=None,
    extra_unsaved: Sequence[tuple[str, str]] = (),
    pch: Optional[str] = None,
):
    """Parse ``path`` (with ``text`` standing in for its contents when given).

    ``pch`` is a precompiled header hotlint built itself (the language server's, see
    ``hotlint.lsp.pch``), loaded before the main file: a parameter of its own, since
    ``-include-pch`` is not a flag a compile command may pass.

    Uses ``clang_parseTranslationUnit2`` for its error code, so a crash that
    libclang's crash recovery contained is told apart from a plain failure.
    Raises ``ParseFailure``; the caller decides whether to retry with fewer flags.
    """
    import ctypes

    from ..flags import allowed  # noqa: PLC0415 - pure Python, no cycle at import time

    ci = cindex()
    index = index or ci.Index.create()
    # Every caller passes cleaned flags; filtering again here means no path around the cleaning
    # reaches libclang. --no-default-config: no clang configuration file adds flags of its own.
    args = ["--no-default-config"] + allowed(list(args)) + (["-include-pch", os.fspath(pch)] if pch else [])
    if ci.Config.resource_dir and os.path.isdir(ci.Config.resource_dir) and "-resource-dir" not in args:
        args += ["-resource-dir", ci.Config.resource_dir]
    unsaved = ([(path, text)] if text is not None else []) + list(extra_unsaved)
    args_array = (ctypes.c_char_p * len(args))(*[a.encode() for a in args]) if args else None
    unsaved_array = ci.TranslationUnit.process_unsaved_files(unsaved) if unsaved else None
    fn = ci.conf.lib.clang_parseTranslationUnit2
    fn.restype = ctypes.c_int
    out = ci.c_object_p()
    code = fn(index, os.fspath(path).encode(), args_array, len(args), unsaved_array, len(unsaved), options,
              ctypes.byref(out))
    if code != 0 or not out:
        raise ParseFailure(f"libclang: {_ERROR_CODES.get(code, code)}", crashed=code == 2)
    return ci.TranslationUnit(out, index)


def error_records(tu, main_path: str) -> tuple[list[ErrorRecord], bool]:
    """hotlint error records for each clang error (first one first), and whether any was fatal."""
    ci = cindex()
    records: list[ErrorRecord] = []
    fatal = False
    for d in tu.diagnostics:
        if d.severity < ci.Diagnostic.Error:
            continue
        fatal = fatal or d.severity >= ci.Diagnostic.Fatal
        loc = d.location
        where = file_alias(loc.file.name) if loc.file is not None else None
        message = d.spelling
        hint = None
        missing = _MISSING_HEADER.search(message)
        if missing:
            hint = (
                "a header could not be found: pass its directory with --extra-arg=-I<dir> "
                "or `extra-args`, or point -p at a compile_commands.json that knows this file"
            )
        elif "unknown type name" in message or "no type named" in message:
            hint = "a type is unknown: the include path or defines may be missing; see -p"
        rec = ErrorRecord(path=main_path, message=message, hint=hint, kind="parse-error")
        if where is not None:
            if os.path.abspath(where) == os.path.abspath(main_path):
                rec.line, rec.column = loc.line, loc.column
            else:
                rec.message = f"{message} (in {where}:{loc.line}:{loc.column})"
        records.append(rec)
    return records, fatal
