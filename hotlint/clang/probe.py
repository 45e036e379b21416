"""What clang says about a unit's target: its triple and the macros it predefines for it.

A tiny C file is parsed with only the unit's target flags (``--target=``, ``-m...``), no
include path at all: the predefined macros depend on nothing else. The answer depends only on
those flags (and libclang, which is part of the cache key), so it is kept per process.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from .libclang import ParseFailure, cindex, parse

# Each macro the target model reads, as a variable the probe declares when the macro is defined.
_MACROS = ("__GCC_DESTRUCTIVE_SIZE", "__GCC_CONSTRUCTIVE_SIZE", "__ARM_FEATURE_ATOMICS", "__ARM_FEATURE_RCPC")
_PROBE = "".join(f"#ifdef {m}\nunsigned long long hotlint_probe{m} = {m};\n#endif\n" for m in _MACROS)
_PREFIX = "hotlint_probe"


@dataclass(frozen=True)
class ProbedTarget:
    triple: str  # as clang normalised it (``x86_64-pc-linux-gnu``, ``arm64-apple-macosx11.0.0``)
    macros: dict = field(default_factory=dict)  # of ``_MACROS``, those defined, with their values


def _triple(tu) -> str:
    ci = cindex()
    lib = ci.conf.lib
    get_info = lib.clang_getTranslationUnitTargetInfo
    get_info.argtypes, get_info.restype = [ci.TranslationUnit], ctypes.c_void_p
    info = get_info(tu)
    if not info:
        return ""
    try:
        get_triple = lib.clang_TargetInfo_getTriple
        get_triple.argtypes, get_triple.restype = [ctypes.c_void_p], ci._CXString
        return ci._CXString.from_result(get_triple(info))
    finally:
        dispose = lib.clang_TargetInfo_dispose
        dispose.argtypes, dispose.restype = [ctypes.c_void_p], None
        dispose(info)


@lru_cache(maxsize=32)
def probe_target(target_args: tuple[str, ...]) -> Optional[ProbedTarget]:
    """The triple and predefined macros clang gives ``target_args`` (cleaned flags naming the
    target only); None when clang cannot parse with them."""
    from .nodes import Node  # noqa: PLC0415

    try:
        tu = parse("hotlint-target-probe.c", ["-x", "c", "-nostdinc", *target_args], _PROBE)
    except ParseFailure:
        return None
    macros = {}
    ci = cindex()
    for c in tu.cursor.get_children():
        if c.kind == ci.CursorKind.VAR_DECL and c.spelling.startswith(_PREFIX):
            value = Node(c, None).constant_value
            if value is not None:
                macros[c.spelling[len(_PREFIX):]] = value
    return ProbedTarget(_triple(tu), macros)
