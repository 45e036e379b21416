"""The project's call graph, joined from every analyzed file's fragment
(``FileResult.hotness``, gathered by ``analysis.hotness``), and how often each function runs as
far as the graph tells without a profile.

A function is

- **hot**: marked ``[[gnu::hot]]``, matched by ``hot-functions``, shown hot by a profile, or
  called (not on a cold path) from such a function, transitively;
- **cold**: marked ``[[gnu::cold]]``, matched by ``cold-functions``, named for a set-up,
  teardown or test role (``analysis.hotness.cold_role``; only while no loop of code that is not
  itself cold calls it), or called only from cold functions and cold paths (an error branch, a
  catch handler), transitively. Hot wins over a role name; an attribute or a configured pattern
  wins over the graph;
- **warm**: called on each iteration of a loop of a function that is not cold, or called from
  such a function, transitively (not into cold ones).

Everything else has no evidence either way. Functions are joined by USR, so a call made in one
file reaches the definition in another.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Optional

from .analysis.hotness import region_holding
from .model import Range


@dataclass(frozen=True)
class FunctionInfo:
    usr: str
    name: str  # qualified
    path: str
    lines: tuple[int, int]
    role: str  # hot, cold, cold-role or ""
    why: str


@dataclass(frozen=True)
class Heat:
    """How often a function runs: ``state`` (hot, warm or cold) and why, in a few words."""

    state: str
    why: str


@dataclass(frozen=True)
class Region:
    range: Range
    reason: str
    strength: str  # strong, loop or trip (analysis.hotness.ColdRegion)


class ProjectGraph:
    """The joined graph. Each file's fragment is kept as given and the joined tables are built
    again when asked after a change, so a file analyzed again replaces its part (the language
    server's documents, a file rewritten by ``--fix``)."""

    def __init__(self) -> None:
        self._fragments: dict[str, dict] = {}
        self._built = False
        self._functions: dict[str, FunctionInfo] = {}
        self._callers: dict[str, list[tuple[str, str]]] = {}  # callee -> [(caller, kind)]
        self._regions: dict[str, list[Region]] = {}  # path -> cold regions
        self._at: dict[tuple[str, int], str] = {}  # (path, first line) -> usr
        self._heat: Optional[dict[str, Heat]] = None
        self._hot_roots: list[tuple[str, str]] = []  # (usr, why): hot by a profile

    def add(self, path: str, fragment: Optional[dict]) -> None:
        """Join one file's fragment, replacing what an earlier one of ``path`` said."""
        if not isinstance(fragment, dict):
            return
        self._fragments[path] = fragment
        self._built, self._heat = False, None

    @classmethod
    def of(cls, results: Iterable) -> "ProjectGraph":
        graph = cls()
        for res in results:
            graph.add(res.path, getattr(res, "hotness", None))
        return graph

    def __bool__(self) -> bool:
        return bool(self._fragments)

    def __contains__(self, path: str) -> bool:
        """Whether a fragment of ``path`` was added."""
        return path in self._fragments

    @property
    def functions(self) -> dict[str, FunctionInfo]:
        self._build()
        return self._functions

    @property
    def callers(self) -> dict[str, list[tuple[str, str]]]:
        self._build()
        return self._callers

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        functions: dict[str, FunctionInfo] = {}
        callers: dict[str, list[tuple[str, str]]] = {}
        regions: dict[str, list[Region]] = {}
        at: dict[tuple[str, int], str] = {}
        edges: set = set()
        for path, fragment in self._fragments.items():
            try:
                usrs = fragment.get("usrs", [])
                for i, name, first, last, role, why in fragment.get("functions", ()):
                    usr = usrs[i]
                    old = functions.get(usr)
                    if old is None or (not old.role and role):
                        functions[usr] = FunctionInfo(usr, name, path, (first, last), role, why)
                    at[(path, first)] = usr
                for i, j, kind in fragment.get("calls", ()):
                    edge = (usrs[i], usrs[j], kind)
                    if edge not in edges:
                        edges.add(edge)
                        callers.setdefault(edge[1], []).append((edge[0], kind))
                regions[path] = [Region(Range.of(a, b, c, d), reason, strength)
                                 for a, b, c, d, reason, strength in fragment.get("cold", ())]
            except (TypeError, ValueError, IndexError, AttributeError):  # a malformed fragment adds what it could
                continue
        self._functions, self._callers, self._regions, self._at = functions, callers, regions, at

    # ------------------------------------------------------------------ questions

    def function_at(self, path: str, first_line: int) -> Optional[FunctionInfo]:
        self._build()
        usr = self._at.get((path, first_line))
        return self.functions.get(usr) if usr else None

    def cold_region(self, path: str, rng: Range, loop_lines: Optional[tuple[int, int]]) -> Optional[Region]:
        """The local cold evidence of code at ``rng`` in ``path`` whose innermost loop spans
        ``loop_lines``: the outermost strong region holding it, else the I/O or small-trip region
        of that loop."""
        self._build()
        return region_holding(self._regions.get(path, ()), rng, loop_lines)

    def heat(self, usr: str) -> Optional[Heat]:
        if self._heat is None:
            self._heat = self._resolve(self._hot_roots)
        return self._heat.get(usr)

    # ------------------------------------------------------------------ propagation

    def _resolve(self, extra_hot: Iterable[tuple[str, str]] = ()) -> dict[str, Heat]:
        fns = self.functions
        out: dict[str, Heat] = {}
        callees: dict[str, list[tuple[str, str]]] = {}
        for callee, sites in self.callers.items():
            if callee in fns:
                for caller, kind in sites:
                    callees.setdefault(caller, []).append((callee, kind))
        explicit_cold = {u for u, f in fns.items() if f.role == "cold"}

        # hot: from the roots down every call that is not on a cold path
        queue: deque = deque()
        for usr, f in fns.items():
            if f.role == "hot":
                out[usr] = Heat("hot", f.why)
                queue.append((usr, usr))
        for usr, why in extra_hot:
            if usr in fns and usr not in out:
                out[usr] = Heat("hot", why)
                queue.append((usr, usr))
        while queue:
            usr, root = queue.popleft()
            for callee, kind in callees.get(usr, ()):
                if kind == "cold" or callee in out or callee in explicit_cold:
                    continue
                rname = fns[root].name
                out[callee] = Heat("hot", f"called from `{rname}` ({out[root].why})" if usr == root
                                   else f"reached from `{rname}` ({out[root].why})")
                queue.append((callee, root))

        # cold: roots, then whatever only cold code calls
        roots = {u for u, f in fns.items() if f.role in ("cold", "cold-role") and u not in out}
        cold: dict[str, Heat] = {}
        for usr in roots:
            f = fns[usr]
            if f.role == "cold-role" and any(kind == "loop" and caller not in roots
                                             for caller, kind in self.callers.get(usr, ())):
                continue
            cold[usr] = Heat("cold", f.why if f.role == "cold" else f"`{f.name}` is {f.why}")
        changed = True
        while changed:
            changed = False
            for usr, f in fns.items():
                if usr in out or usr in cold:
                    continue
                sites = [s for s in self.callers.get(usr, ()) if s[0] in fns or s[1] == "cold"]
                if not sites or not all(kind == "cold" or caller in cold for caller, kind in sites):
                    continue
                from_cold = [caller for caller, kind in sites if caller in cold]
                cold[usr] = Heat("cold", f"only called from `{fns[from_cold[0]].name}`"
                                 if len(set(from_cold)) == 1 and len(from_cold) == len(sites)
                                 else "only called from cold code" if from_cold else "only called on error paths")
                changed = True
        out.update(cold)

        # warm: called on each iteration of a loop that is not in cold code
        queue = deque()
        for callee, sites in self.callers.items():
            if callee not in fns or callee in out:
                continue
            for caller, kind in sites:
                if kind == "loop" and caller in fns and caller not in cold:
                    out[callee] = Heat("warm", f"called from the loop in `{fns[caller].name}`")
                    queue.append((callee, caller))
                    break
        while queue:
            usr, looper = queue.popleft()
            for callee, kind in callees.get(usr, ()):
                if kind == "cold" or callee in out:
                    continue
                out[callee] = Heat("warm", f"called from `{fns[usr].name}`, called from the loop in "
                                           f"`{fns[looper].name}`")
                queue.append((callee, looper))
        return out

    def with_hot_roots(self, roots: Iterable[tuple[str, str]]) -> None:
        """Add hot roots (usr, why): functions a profile shows hot."""
        self._hot_roots.extend(roots)
        self._heat = None


__all__ = ["FunctionInfo", "Heat", "ProjectGraph", "Region"]
