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

import os
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
        # thread roles (analysis.threads.ThreadRoles): an entry is a usr or `path#L<line>:<col>`
        self._starts: dict[str, list] = {}  # entry -> [threads, [(path, line) of each start]]
        self._lambda_calls: dict[str, set] = {}  # a started lambda -> the usrs it calls
        self._writes: dict[str, set] = {}  # field key -> the writers (usr or lambda)
        self._moved: set = set()  # (caller, callee) edges only a started lambda of the caller makes
        self._unstarted: Optional[set] = None  # functions reached from code no started thread runs
        self._reach: Optional[dict[str, frozenset]] = None  # function -> the entries whose threads run it

    def add(self, path: str, fragment: Optional[dict]) -> None:
        """Join one file's fragment, replacing what an earlier one of ``path`` said."""
        if not isinstance(fragment, dict):
            return
        self._fragments[path] = fragment
        self._built, self._heat, self._reach, self._unstarted = False, None, None, None

    @classmethod
    def of(cls, results: Iterable) -> "ProjectGraph":
        graph = cls()
        for res in results:
            graph.add(res.path, getattr(res, "hotness", None))
        return graph

    def __bool__(self) -> bool:
        return bool(self._fragments)

    def fragments(self) -> dict[str, dict]:
        """Each file's fragment as added (``hotlint.facts`` writes them for a later merge)."""
        return dict(self._fragments)

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
        starts: dict[str, list] = {}
        lambda_calls: dict[str, set] = {}
        writes: dict[str, set] = {}
        moved: set = set()
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
                self._join_threads(path, usrs, fragment.get("threads") or {}, starts, lambda_calls, writes, moved)
            except (TypeError, ValueError, IndexError, AttributeError):  # a malformed fragment adds what it could
                continue
        self._functions, self._callers, self._regions, self._at = functions, callers, regions, at
        self._starts, self._lambda_calls, self._writes, self._moved = starts, lambda_calls, writes, moved

    @staticmethod
    def _join_threads(path: str, usrs: list, part: dict, starts: dict, lambda_calls: dict, writes: dict,
                      moved: set) -> None:
        def name(x) -> str:
            return usrs[x] if isinstance(x, int) else f"{path}#{x}"

        for entry, count, line in part.get("starts", ()):
            s = starts.setdefault(name(entry), [0, []])
            if (path, line) not in s[1]:
                s[0] += int(count)
                s[1].append((path, int(line)))
        for lam, callee in part.get("lambda_calls", ()):
            lambda_calls.setdefault(name(lam), set()).add(usrs[callee])
        for a, b in part.get("moved", ()):
            moved.add((usrs[a], usrs[b]))
        for writer, key in part.get("writes", ()):
            writes.setdefault(str(key), set()).add(name(writer))

    # ------------------------------------------------------------------ questions

    def function_at(self, path: str, first_line: int) -> Optional[FunctionInfo]:
        self._build()
        usr = self._at.get((path, first_line))
        return self.functions.get(usr) if usr else None

    def cold_region(self, path: str, rng: Range, loop_lines: Optional[tuple[int, int]],
                    layout: bool = False) -> Optional[Region]:
        """The local cold evidence of code at ``rng`` in ``path`` whose innermost loop spans
        ``loop_lines``: the outermost strong region holding it, else the I/O or small-trip region
        of that loop; with ``layout`` (a finding about a record's layout) first the ``fits``
        region of that loop (it sweeps an array that stays in L1)."""
        self._build()
        regions = self._regions.get(path, ())
        if layout and loop_lines is not None:
            for r in regions:
                if r.strength == "fits" and (r.range.start.line, r.range.end.line) == loop_lines:
                    return r
        return region_holding(regions, rng, loop_lines)

    def _thread_reach(self) -> dict[str, frozenset]:
        """Each function (or started lambda) -> the thread entries from which it is reached."""
        if self._reach is None:
            self._build()
            callees: dict[str, set] = {k: set(v) for k, v in self._lambda_calls.items()}
            for callee, sites in self._callers.items():
                for caller, _kind in sites:
                    callees.setdefault(caller, set()).add(callee)
            reach: dict[str, set] = {}
            for entry in self._starts:
                seen, stack = {entry}, [entry]
                while stack:
                    for c in callees.get(stack.pop(), ()):
                        if c not in seen:
                            seen.add(c)
                            stack.append(c)
                for f in seen:
                    reach.setdefault(f, set()).add(entry)
            self._reach = {f: frozenset(es) for f, es in reach.items()}
        return self._reach

    def _unstarted_reach(self) -> set:
        """Functions reached from code no started thread is seen to run: from every function no
        call reaches (``main``, a library's API, a callback) that is no thread entry, through the
        calls it makes itself (not those of the threads its lambdas start)."""
        if self._unstarted is None:
            self._build()
            callees: dict[str, set] = {}
            called: set = set().union(*self._lambda_calls.values()) if self._lambda_calls else set()
            for callee, sites in self._callers.items():
                called.add(callee)
                for caller, _kind in sites:
                    if (caller, callee) not in self._moved:
                        callees.setdefault(caller, set()).add(callee)
            roots = [f for f in self._functions if f not in called and f not in self._starts]
            seen, stack = set(roots), list(roots)
            while stack:
                for c in callees.get(stack.pop(), ()):
                    if c not in seen:
                        seen.add(c)
                        stack.append(c)
            self._unstarted = seen
        return self._unstarted

    def writing_threads(self, keys) -> Optional[frozenset]:
        """The thread entries whose threads write any of the fields ``keys``
        (``analysis.threads.field_key``), through the functions they reach; None when some writer
        runs on no thread the project is seen to start, or is also reached from code no started
        thread runs (``main`` itself, a library's caller), or no write is seen: nothing can be
        said then."""
        self._build()
        writers = set().union(*(self._writes.get(k, ()) for k in keys)) if keys else set()
        if not writers:
            return None
        reach, unstarted = self._thread_reach(), self._unstarted_reach()
        out: set = set()
        for w in writers:
            entries = reach.get(w)
            if not entries or w in unstarted:
                return None
            out |= entries
        return frozenset(out)

    def threads_started(self, entry: str) -> int:
        """How many threads run ``entry``, at least: one per start, two for a start in a loop or
        a pool submission."""
        self._build()
        return self._starts.get(entry, [0, []])[0]

    def entry_name(self, entry: str) -> str:
        """```worker` (started once at main.cpp:12)`` / ``the lambda started several times at
        main.cpp:20``, for messages."""
        self._build()
        count, sites = self._starts.get(entry, [0, []])
        where = ", ".join(f"{os.path.basename(p)}:{line}" for p, line in sites[:3])
        times = "once" if count == 1 else "several times"
        if "#L" in entry:
            return f"the lambda started {times} at {where}"
        f = self._functions.get(entry)
        return f"`{f.name if f else entry}` (started {times} at {where})"

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
