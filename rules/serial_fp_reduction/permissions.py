"""What lets the compiler reorder a floating-point reduction: the unit's flags and the pragmas
written on the loop.

Read from g++ 12 at ``-O3 -march=x86-64-v3`` (the vectorized loop adds with ``vaddps``, the
ordered one with a chain of ``vaddss``) and checked against each flag below:

- sums and products need ``-fassociative-math`` together with ``-fno-signed-zeros`` and
  ``-fno-trapping-math`` (alone, g++ drops it with a warning); ``-ffast-math`` and
  ``-funsafe-math-optimizations`` set all three, ``-Ofast`` as a default that an explicit
  flag overrides and a later ``-O`` level cancels;
- a minimum or maximum by comparison needs ``-ffinite-math-only`` and ``-fno-signed-zeros``
  (both in ``-ffast-math``), not ``-fassociative-math``;
- ``#pragma omp simd reduction(op:var)`` reorders ``var`` under ``-fopenmp`` or
  ``-fopenmp-simd`` and is ignored without them; ``#pragma GCC ivdep`` and ``#pragma omp simd``
  without a reduction clause do not reorder;
- ``#pragma clang loop vectorize(enable)`` (``assume_safety`` implies it) or a
  ``vectorize_width`` above 1 lets clang reorder (its remark for an ordered reduction names that
  pragma or ``-ffast-math``); g++ ignores the pragma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# the state of the options a reduction depends on, as g++ reads them
_DEFAULTS = {"associative": False, "signed-zeros": True, "trapping": True, "finite": False}
_FAST = {"associative": True, "signed-zeros": False, "trapping": False, "finite": True}
_UNSAFE = {"associative": True, "signed-zeros": False, "trapping": False}
_SWITCHES = {"associative-math": "associative", "signed-zeros": "signed-zeros", "trapping-math": "trapping",
             "finite-math-only": "finite"}
_OPT_LEVEL = re.compile(r"^-O(.*)$")


@dataclass(frozen=True)
class Reordering:
    """What the unit's flags let the compiler reorder."""

    sums: bool  # additions and multiplications
    minmax: bool  # minimum and maximum by comparison
    openmp: bool  # `#pragma omp simd` is honoured
    associative_only: bool = False  # -fassociative-math written, cancelled by signed zeros or traps


def reordering(args: Iterable[str]) -> Reordering:
    """Read ``args`` (the unit's cleaned flags) in order, as g++ does."""
    args = list(args)
    level = None
    for a in args:
        m = _OPT_LEVEL.match(a)
        if m:
            level = m.group(1)
    state = dict(_DEFAULTS)
    if level == "fast":
        state.update(_FAST)
    for a in args:
        if a in ("-ffast-math", "-ffp-model=fast"):
            state.update(_FAST)
        elif a in ("-fno-fast-math", "-ffp-model=precise", "-ffp-model=strict"):
            state.update(_DEFAULTS)
        elif a == "-funsafe-math-optimizations":
            state.update(_UNSAFE)
        elif a == "-fno-unsafe-math-optimizations":
            state.update({k: _DEFAULTS[k] for k in _UNSAFE})
        elif a.startswith("-f"):
            on = not a.startswith("-fno-")
            key = _SWITCHES.get(a[5:] if not on else a[2:])
            if key is not None:
                state[key] = on
    sums = state["associative"] and not state["signed-zeros"] and not state["trapping"]
    minmax = state["finite"] and not state["signed-zeros"]
    openmp = any(a in ("-fopenmp", "-fopenmp-simd") or a.startswith("-fopenmp=") for a in args) and \
        not any(a in ("-fno-openmp", "-fno-openmp-simd") for a in args)
    return Reordering(sums, minmax, openmp, associative_only=state["associative"] and not sums)


# ---------------------------------------------------------------------- pragmas on a loop

_PRAGMA = re.compile(r"\s*#\s*pragma\s+(.*)$")
_OMP_REDUCTION = re.compile(r"\breduction\s*\(\s*([^:()]+?)\s*:\s*([^)]*)\)")
_CLANG_REORDER = re.compile(r"\bvectorize\s*\(\s*(enable|assume_safety)\s*\)|\bvectorize_width\s*\(\s*(\d+)")


@dataclass(frozen=True)
class LoopPragmas:
    omp_reduced: frozenset  # the variables an `omp ... simd ... reduction(...)` names
    clang_reorders: bool  # `#pragma clang loop vectorize(enable|assume_safety)` or a width above 1


def loop_pragmas(directives: Iterable[tuple[int, str]], loop_line: int) -> LoopPragmas:
    """The pragmas on the lines directly above ``loop_line`` (``SourceText.directives``: real
    directives only, comments and strings blanked)."""
    by_line = dict(directives)
    reduced: set = set()
    clang_reorders = False
    line = loop_line - 1
    while line in by_line:
        m = _PRAGMA.match(by_line[line])
        if m is None:
            break
        words = m.group(1).split()
        if words[:1] == ["omp"] and "simd" in re.findall(r"\w+", m.group(1)):
            for rm in _OMP_REDUCTION.finditer(m.group(1)):
                reduced.update(v.strip() for v in rm.group(2).split(",") if v.strip())
        elif words[:2] == ["clang", "loop"]:
            for cm in _CLANG_REORDER.finditer(m.group(1)):
                if cm.group(1) or int(cm.group(2)) > 1:
                    clang_reorders = True
        line -= 1
    return LoopPragmas(frozenset(reduced), clang_reorders)

