"""What a profile says, in one shape whatever the profiler: a total, per-function costs, per-line
costs and per-call-site costs, and the questions the ranking layer asks of them."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

from .names import qualified_name as _qualified

Cost = Union[int, float]

# Callee names that allocate, for ``call_share(..., callee=ALLOCATORS)``.
ALLOCATORS = frozenset({
    "operator new", "operator new[]", "malloc", "calloc", "realloc", "aligned_alloc",
    "posix_memalign", "memalign", "valloc", "pvalloc",
})


class ProfileError(Exception):
    """A profile hotlint cannot use: missing, unreadable, of no known format, empty or damaged."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class FunctionCost:
    """One function of the profile.

    ``name`` is the demangled full name as the profiler wrote it (``sim::World::step(int)``);
    ``qualified`` is that name as hotlint spells functions (``sim::World::step``) and ``base`` its
    last component. ``inclusive`` is None where the format cannot tell (gprof without calls).
    ``first_line``/``last_line`` span the lines of ``file`` that carry its cost, when known.
    ``files`` are all the files its cost is placed in, costliest first: with a sampling profiler's
    source lines a function's samples can be mostly in a header it inlined, so ``file`` (the
    costliest) is not always where it is defined; callgrind names that file, and ``file`` is it.
    """

    name: str
    qualified: str
    base: str
    file: Optional[str]
    object: Optional[str]
    self_cost: Cost
    inclusive: Optional[Cost]
    first_line: Optional[int] = None
    last_line: Optional[int] = None
    files: tuple[str, ...] = ()

    def in_file(self, file: str, loosely: bool = False) -> bool:
        """Whether the profile places this function (or some of its cost) in ``file``; with
        ``loosely``, in a file of the same name (a build on another machine)."""
        match = common_tail if loosely else same_file
        return any(match(f, file) for f in (self.files or ((self.file,) if self.file else ())))


@dataclass(frozen=True)
class CallSite:
    """Calls from one source line of ``caller`` to ``callee``; ``cost`` is their inclusive cost.

    ``file``/``line`` are None when the format has no lines for the caller (perf script without
    ``srcline``, folded stacks without ``file:line``); ``calls`` is None where calls are not counted.
    """

    file: Optional[str]
    line: Optional[int]
    caller: FunctionCost
    callee: FunctionCost
    cost: Cost
    calls: Optional[int]


@dataclass(frozen=True)
class Coverage:
    """How much of a profile is about the functions hotlint analyzed."""

    profile: "Profile"
    matched: tuple[FunctionCost, ...]
    matched_self_share: float

    @property
    def note(self) -> Optional[str]:
        """What to tell the user when the profile says nothing about the analyzed code."""
        if self.matched:
            return None
        p = self.profile
        top = ", ".join(f"`{f.qualified}`" for f in p.functions[:3])
        return (f"{p.path}: none of the {len(p.functions)} functions of this {p.format} profile is "
                f"one hotlint analyzed (the costliest: {top}); was it recorded from a build of "
                f"these sources?")


def _norm_path(path: str) -> tuple[str, ...]:
    return tuple(p for p in os.path.normcase(os.path.normpath(path)).replace("\\", "/").split("/")
                 if p and p != ".")


def same_file(a: str, b: str) -> bool:
    """Whether two spellings of a source path name one file: equal, or one is a trailing part of
    the other (profilers write paths as the compiler saw them: ``world.cpp``, ``./src/world.cpp``
    or absolute, and on another machine)."""
    pa, pb = _norm_path(a), _norm_path(b)
    if not pa or not pb:
        return False
    short, long_ = (pa, pb) if len(pa) <= len(pb) else (pb, pa)
    return long_[len(long_) - len(short):] == short


def common_tail(a: str, b: str) -> int:
    """How many trailing path components two spellings share: 0 when their file names differ
    (``/home/dev/shop/src/a.cpp`` and ``/ci/shop/src/a.cpp`` share 3)."""
    pa, pb = _norm_path(a), _norm_path(b)
    n = 0
    while n < min(len(pa), len(pb)) and pa[-1 - n] == pb[-1 - n]:
        n += 1
    return n


@dataclass(repr=False)
class Profile:
    """A loaded profile. Costs are in ``unit`` (``Ir`` instructions for callgrind, the perf
    event's period or ``samples``, ``seconds`` for gprof); shares are fractions of ``total``."""

    path: str
    format: str  # "callgrind", "perf-script", "folded" or "gprof"
    unit: str
    total: Cost
    functions: tuple[FunctionCost, ...]  # costliest self first
    lines: dict[tuple[str, int], Cost]  # (file, line) -> self cost
    call_sites: tuple[CallSite, ...]
    notes: tuple[str, ...] = ()
    _by_qualified: dict = field(default_factory=dict, init=False, compare=False)
    _lines_by_file: dict = field(default_factory=dict, init=False, compare=False)
    _sites_by_file: dict = field(default_factory=dict, init=False, compare=False)
    _spellings: dict = field(default_factory=dict, init=False, compare=False)

    def __post_init__(self) -> None:
        by_q: dict = defaultdict(list)
        for f in self.functions:
            by_q[f.qualified].append(f)
        self._by_qualified = dict(by_q)
        lines: dict = defaultdict(dict)
        for (path, line), cost in self.lines.items():
            lines[path][line] = cost
        self._lines_by_file = dict(lines)
        sites: dict = defaultdict(lambda: defaultdict(list))
        for s in self.call_sites:
            if s.file is not None and s.line is not None:
                sites[s.file][s.line].append(s)
        self._sites_by_file = {k: dict(v) for k, v in sites.items()}

    def __repr__(self) -> str:
        return (f"Profile({self.path!r}, {self.format}, {self.total} {self.unit}, "
                f"{len(self.functions)} functions, {len(self.lines)} lines, {len(self.call_sites)} call sites)")

    # ------------------------------------------------------------------ plain questions

    @property
    def has_lines(self) -> bool:
        return bool(self.lines)

    @property
    def files(self) -> tuple[str, ...]:
        """The source files the profile names lines in."""
        return tuple(self._lines_by_file)

    def share(self, cost: Optional[Cost]) -> Optional[float]:
        """``cost`` as a fraction of the total."""
        if cost is None or not self.total:
            return None
        return cost / self.total

    def _profile_files(self, file: str) -> list[str]:
        """The profile's spellings of ``file``: the exact one if present, else every one that
        names the same file by a trailing part, else (a profile recorded on another machine, under
        another folder) those sharing the longest trailing part with it, the file name at least."""
        hit = self._spellings.get(file)
        if hit is None:
            known = self._lines_by_file.keys() | self._sites_by_file.keys()
            wanted = _norm_path(file)
            hit = [p for p in known if _norm_path(p) == wanted] or [p for p in known if same_file(p, file)]
            if not hit:
                tails = {p: common_tail(p, file) for p in known}
                best = max(tails.values(), default=0)
                hit = [p for p, n in tails.items() if n == best] if best else []
            self._spellings[file] = hit
        return hit

    def knows_file(self, file: str) -> bool:
        """Whether the profile has lines, call sites or functions in ``file`` (or a file of its
        name): then code of ``file`` it has no cost for did not run."""
        return bool(self._profile_files(file)) or any(f.in_file(file, loosely=True) for f in self.functions)

    # ------------------------------------------------------------------ functions

    def functions_matching(self, qualified_name: str, file: Optional[str] = None,
                           extent: Optional[tuple[int, int]] = None) -> list[FunctionCost]:
        """The profile's functions hotlint calls ``qualified_name`` (``ns::Class::method``;
        template arguments and argument lists are ignored on both sides, so overloads all match).

        With ``file``, a function the profile places in another file is left out (a static
        function of the same name elsewhere); one whose file the profile does not know is kept
        only when none is placed in ``file``. With ``extent`` (first and last line of hotlint's
        definition), overloads in that file are told apart by the lines carrying their cost.
        """
        found = self._by_qualified.get(_qualified(qualified_name), [])
        if file is not None and found:
            here = ([f for f in found if f.in_file(file)] or [f for f in found if f.in_file(file, loosely=True)])
            found = here or [f for f in found if f.file is None and not f.files]
        if extent is not None and len(found) > 1:
            first, last = extent
            inside = [f for f in found if f.first_line is not None and f.last_line is not None
                      and f.first_line <= last and f.last_line >= first]
            found = inside or found
        return list(found)

    def function_cost(self, qualified_name: str, file: Optional[str] = None, *,
                      inclusive: bool = True, extent: Optional[tuple[int, int]] = None) -> Optional[Cost]:
        """The cost of the functions ``functions_matching`` finds, added (overloads together);
        None when none matches, or when ``inclusive`` and the format has no inclusive cost."""
        found = self.functions_matching(qualified_name, file, extent)
        if not found:
            return None
        if inclusive:
            if any(f.inclusive is None for f in found):
                return None
            return min(sum(f.inclusive for f in found), self.total)  # type: ignore[misc]
        return sum(f.self_cost for f in found)

    def function_share(self, qualified_name: str, file: Optional[str] = None, *,
                       inclusive: bool = True, extent: Optional[tuple[int, int]] = None) -> Optional[float]:
        """``function_cost`` as a fraction of the total."""
        return self.share(self.function_cost(qualified_name, file, inclusive=inclusive, extent=extent))

    # ------------------------------------------------------------------ lines

    def line_cost(self, file: str, first_line: int, last_line: Optional[int] = None, *,
                  inclusive: bool = False) -> Optional[Cost]:
        """The self cost of lines ``first_line``..``last_line`` of ``file`` (a loop's lines), and
        with ``inclusive`` the cost of the calls made from them too. Code inlined into those lines
        is counted on its own file's lines, not here. None when the profile has no line of
        ``file`` at all, so "not in this profile" differs from "cold"."""
        last = first_line if last_line is None else last_line
        names = self._profile_files(file)
        per_line = [self._lines_by_file[n] for n in names if n in self._lines_by_file]
        sites = self.call_sites_at(file, first_line, last) if inclusive else []
        if not per_line and not sites:
            return None
        cost = sum(c for lines in per_line for line, c in lines.items() if first_line <= line <= last)
        # a call back into the range (recursion) is counted again: capped at the total
        return min(cost + sum(s.cost for s in sites), self.total)

    def line_share(self, file: str, first_line: int, last_line: Optional[int] = None, *,
                   inclusive: bool = False) -> Optional[float]:
        """``line_cost`` as a fraction of the total."""
        return self.share(self.line_cost(file, first_line, last_line, inclusive=inclusive))

    # ------------------------------------------------------------------ call sites

    def call_sites_at(self, file: str, first_line: int, last_line: Optional[int] = None,
                      callee: Union[str, Iterable[str], None] = None) -> list[CallSite]:
        """The calls made from lines ``first_line``..``last_line`` of ``file``, costliest first;
        with ``callee`` (a name or several, matched by qualified name or base name:
        ``"operator new"``, ``ALLOCATORS``), only calls of those."""
        last = first_line if last_line is None else last_line
        wanted = None
        if callee is not None:
            wanted = {_qualified(c) for c in ([callee] if isinstance(callee, str) else callee)}
        out = []
        for name in self._profile_files(file):
            for line, sites in self._sites_by_file.get(name, {}).items():
                if first_line <= line <= last:
                    out.extend(s for s in sites if wanted is None
                               or s.callee.qualified in wanted or s.callee.base in wanted)
        return sorted(out, key=lambda s: -s.cost)

    def call_cost(self, file: str, line: int, callee: Union[str, Iterable[str], None] = None) -> Optional[Cost]:
        """The inclusive cost of the calls from ``file``:``line`` (to ``callee`` when given); None
        when the profile has no call from that line."""
        sites = self.call_sites_at(file, line, callee=callee)
        return sum(s.cost for s in sites) if sites else None

    def call_share(self, file: str, line: int, callee: Union[str, Iterable[str], None] = None) -> Optional[float]:
        """``call_cost`` as a fraction of the total."""
        return self.share(self.call_cost(file, line, callee))

    # ------------------------------------------------------------------ against what hotlint saw

    def coverage(self, known: Iterable[tuple[str, Optional[str]]]) -> Coverage:
        """Which of the profile's functions are among ``known`` (hotlint's (qualified name, file)
        pairs), with the share of the total they spend themselves; ``Coverage.note`` says so when
        none is."""
        matched: dict[int, FunctionCost] = {}
        for qname, file in known:
            for f in self.functions_matching(qname, file):
                matched[id(f)] = f
        ordered = tuple(f for f in self.functions if id(f) in matched)
        return Coverage(self, ordered, self.share(sum(f.self_cost for f in ordered)) or 0.0)
