"""The one boundary to libclang. Nothing outside this package imports ``clang.cindex``."""

from __future__ import annotations

import ctypes
import os
from typing import Optional

from .libclang import (
    _ERROR_CODES,
    PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE,
    PARSE_INCOMPLETE,
    PARSE_KEEP_GOING,
    PARSE_LIMIT_SKIP_FUNCTION_BODIES_TO_PREAMBLE,
    PARSE_PRECOMPILED_PREAMBLE,
    PARSE_SKIP_FUNCTION_BODIES,
    ParseFailure,
    _FILE_ALIASES,
    alias_file,
    bad_arguments,
    cindex,
    error_records,
    file_alias,
    libclang_version,
    parse,
    unalias_file,
)
from .nodes import Node, Type, clear_caches, record_layout


# Parse with a precompiled preamble (the leading #include lines) whose header function bodies are
# skipped, as clangd does: declarations, classes and their layouts are all there, the bodies of
# header functions no rule reads are not (constexpr functions and those with deduced return types
# keep theirs). The preamble is written to $TMPDIR while the unit lives.
HEADER_BODIES_SKIPPED = (PARSE_PRECOMPILED_PREAMBLE | PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE
                         | PARSE_SKIP_FUNCTION_BODIES | PARSE_LIMIT_SKIP_FUNCTION_BODIES_TO_PREAMBLE)


def main_file_roots(tu, path: str) -> list[Node]:
    """The translation unit's top-level declarations written in ``path`` itself (or in a
    header aliased to it: the head of a language-server prefix unit)."""
    ci = cindex()
    heads = set()
    for header, main in _FILE_ALIASES.items():
        if main == path:
            f = ci.conf.lib.clang_getFile(tu, header)
            if f:
                heads.add(ctypes.cast(f, ctypes.c_void_p).value)
    return _roots(tu, heads, main=True)


def header_roots(tu, header: str) -> list[Node]:
    """The top-level declarations written in ``header``, a file the unit includes (the unit's main
    file is its includer: a header analyzed in context). A namespace or ``extern "C"`` block the
    includer opens around its ``#include`` is looked into; the header's declarations there count."""
    f = cindex().conf.lib.clang_getFile(tu, os.fspath(header).encode())
    if not f:
        return []
    return _roots(tu, {ctypes.cast(f, ctypes.c_void_p).value}, main=False)


def includes(tu, path: str) -> bool:
    """Whether the unit read ``path`` (a header it includes, directly or not)."""
    return bool(cindex().conf.lib.clang_getFile(tu, os.fspath(path).encode()))


_SCOPES = frozenset({"NAMESPACE", "LINKAGE_SPEC", "UNEXPOSED_DECL"})


def _roots(tu, files: set, main: bool) -> list[Node]:
    """Top-level cursors written in the main file (``main``) or in one of ``files`` (file pointers)."""
    from .nodes import _children

    ci = cindex()
    lib = ci.conf.lib
    from_main = lib.clang_Location_isFromMainFile
    from_main.argtypes = [ci.SourceLocation]
    from_main.restype = ctypes.c_int
    get_location = lib.clang_getCursorLocation
    expansion = lib.clang_getExpansionLocation
    expansion.argtypes = [ci.SourceLocation, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_void_p,
                          ctypes.c_void_p]
    expansion.restype = None
    extent_of = lib.clang_getCursorExtent
    extent_of.argtypes = [ci.Cursor]
    extent_of.restype = ci.SourceRange
    range_start = lib.clang_getRangeStart
    range_start.argtypes = [ci.SourceRange]
    range_start.restype = ci.SourceLocation

    def file_of(loc) -> Optional[int]:
        f = ctypes.c_void_p()
        expansion(loc, ctypes.byref(f), None, None, None)
        return f.value

    out = []
    pending = [tu.cursor]
    while pending:
        scope = pending.pop(0)
        for c in _children(scope):
            loc = get_location(c)
            # A declaration's name may come from a macro defined elsewhere (`namespace ROCKSDB_NAMESPACE {`
            # with -DROCKSDB_NAMESPACE=rocksdb): its location is then the macro's, but the declaration,
            # from its first token on, is written in this file.
            if main and (from_main(loc) or from_main(range_start(extent_of(c)))):
                out.append(Node(c, None))
            elif files and (file_of(loc) in files or file_of(range_start(extent_of(c))) in files):
                out.append(Node(c, None))
            elif not main and c.kind.name in _SCOPES and from_main(range_start(extent_of(c))):
                pending.append(c)  # the includer's `namespace app { #include "h" }`
    return out


_INCLUDES_CALLBACK = None


def _collect_include(fobj, _stack, depth, out):
    if depth > 0:
        out.append(fobj)


def included_files(tu) -> list[str]:
    """Every file the parse read besides the main file (what a cached result depends on)."""
    global _INCLUDES_CALLBACK
    ci = cindex()
    if _INCLUDES_CALLBACK is None:
        _INCLUDES_CALLBACK = ci.translation_unit_includes_callback(_collect_include)
    found: list = []
    ci.conf.lib.clang_getInclusions(tu, _INCLUDES_CALLBACK, found)
    cwd = os.getcwd()
    names = set()
    for fobj in found:
        # no lexical normalisation: "/lib/gcc/../../include" crosses a symlink on merged-/usr systems
        name = ci._CXString.from_result(ci.conf.lib.clang_getFileName(ci.File(fobj)))
        names.add(name if os.path.isabs(name) else os.path.join(cwd, name))
    return sorted(names)


def reparse(tu, path: str, text, options: int = 0, extra_unsaved=()) -> None:
    """Reparse in place, reusing the precompiled preamble when the unit has one.

    Raises ``ParseFailure`` (``crashed`` when libclang contained a crash); the unit is
    unusable afterwards and must be dropped.
    """
    ci = cindex()
    unsaved = ([(path, text)] if text is not None else []) + list(extra_unsaved)
    unsaved_array = ci.TranslationUnit.process_unsaved_files(unsaved) if unsaved else None
    fn = ci.conf.lib.clang_reparseTranslationUnit
    fn.restype = ctypes.c_int
    code = fn(tu, len(unsaved), unsaved_array, options)
    if code != 0:
        raise ParseFailure(f"libclang: reparse {_ERROR_CODES.get(code, code)}", crashed=code == 2)


__all__ = [
    "Node", "Type", "alias_file", "clear_caches", "ParseFailure", "bad_arguments", "cindex", "error_records",
    "file_alias", "unalias_file",
    "header_roots", "included_files", "includes", "libclang_version", "main_file_roots", "parse", "record_layout", "reparse",
    "HEADER_BODIES_SKIPPED", "PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE", "PARSE_INCOMPLETE", "PARSE_KEEP_GOING",
    "PARSE_LIMIT_SKIP_FUNCTION_BODIES_TO_PREAMBLE", "PARSE_PRECOMPILED_PREAMBLE", "PARSE_SKIP_FUNCTION_BODIES",
]
