"""Accumulates what a format's parser reads into a ``Profile``: one place that demangles, adds
up inclusive costs and line spans, so every format answers the same questions the same way."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Optional, Sequence

from .model import CallSite, Cost, FunctionCost, Profile, ProfileError
from .names import base_name, demangle, qualified_name

# (name as written, file, object); file is None where the format places functions by votes
Key = tuple[str, Optional[str], Optional[str]]
# one frame of a stack: (name, object, file, line)
Frame = tuple[str, Optional[str], Optional[str], Optional[int]]


class ProfileBuilder:
    def __init__(self, path: str, fmt: str, unit: str):
        self.path = path
        self.format = fmt
        self.unit = unit
        self.notes: list[str] = []
        self._self: dict[Key, Cost] = defaultdict(int)
        self._inclusive: dict[Key, Cost] = {}
        self._lines: dict[tuple[str, int], Cost] = defaultdict(int)
        self._spans: dict[tuple[Key, str], list[int]] = {}
        self._calls: dict[tuple[Key, Optional[str], Optional[int], Key], list] = {}
        self._file_votes: dict[Key, Counter] = defaultdict(Counter)

    def note(self, text: str) -> None:
        self.notes.append(text)

    # ------------------------------------------------------------------ what parsers add

    def add_self(self, fn: Key, cost: Cost, file: Optional[str] = None, line: Optional[int] = None) -> None:
        self._self[fn] += cost
        if file is not None and line:
            self._lines[(file, line)] += cost
            span = self._spans.get((fn, file))
            if span is None:
                self._spans[(fn, file)] = [line, line]
            else:
                span[0] = min(span[0], line)
                span[1] = max(span[1], line)

    def add_call(self, caller: Key, callee: Key, cost: Cost, file: Optional[str], line: Optional[int],
                 calls: Optional[int]) -> None:
        self._self.setdefault(caller, 0)
        self._self.setdefault(callee, 0)
        entry = self._calls.get((caller, file, line, callee))
        if entry is None:
            self._calls[(caller, file, line, callee)] = [cost, calls]
        else:
            entry[0] += cost
            if calls is not None:
                entry[1] = (entry[1] or 0) + calls

    def set_inclusive(self, fn: Key, cost: Cost) -> None:
        self._self.setdefault(fn, 0)
        self._inclusive[fn] = cost

    def add_stack(self, frames: Sequence[Frame], weight: Cost) -> None:
        """One sample: ``frames`` leaf first. The leaf gets the self cost (on its line when
        known), every function on the stack the inclusive cost once, and each caller's line the
        cost of its call to the frame below."""
        if not frames:
            return
        keys = [(name, None, obj) for name, obj, _, _ in frames]
        for key, (_, _, file, _) in zip(keys, frames):
            if file is not None:
                self._file_votes[key][file] += weight
        _, _, leaf_file, leaf_line = frames[0]
        self.add_self(keys[0], weight, leaf_file, leaf_line)
        for key in set(keys):
            self._inclusive[key] = self._inclusive.get(key, 0) + weight
        seen = set()
        for i in range(1, len(frames)):
            _, _, file, line = frames[i]
            edge = (keys[i], file, line, keys[i - 1])
            if edge not in seen:  # recursion: a stack adds its weight to one call edge once
                seen.add(edge)
                self.add_call(keys[i], keys[i - 1], weight, file, line, None)

    # ------------------------------------------------------------------ the profile

    def build(self, total: Optional[Cost] = None, inclusive_from_calls: bool = False) -> Profile:
        if not self._self:
            raise ProfileError(self.path, f"is a {self.format} profile with no functions in it")
        spent = sum(self._self.values())
        total = spent if total is None else total
        if not total:
            raise ProfileError(self.path, f"is a {self.format} profile that records no cost ({self.unit}) at all")

        names, why = demangle(k[0] for k in self._self)
        if why:
            self.note(f"{self.path}: {why}")

        def final(key: Key) -> Key:
            name, file, obj = key
            if file is None and self._file_votes.get(key):
                file = self._file_votes[key].most_common(1)[0][0]
            return (names.get(name, name), file, obj)

        self_cost: dict[Key, Cost] = defaultdict(int)
        for key, cost in self._self.items():
            self_cost[final(key)] += cost
        inclusive: dict[Key, Cost] = defaultdict(int)
        for key, cost in self._inclusive.items():
            inclusive[final(key)] += cost
        calls: dict = {}
        for (caller, file, line, callee), (cost, count) in self._calls.items():
            k = (final(caller), file, line, final(callee))
            if k in calls:
                calls[k][0] += cost
                if count is not None:
                    calls[k][1] = (calls[k][1] or 0) + count
            else:
                calls[k] = [cost, count]
        if inclusive_from_calls:
            # A call's cost is the callee's inclusive cost, so a function's is its own plus its
            # calls'. A direct recursive call is already inside; a cycle through other functions
            # is counted again, so the sum is capped at the total.
            inclusive = defaultdict(int, self_cost)
            for (caller, _, _, callee), (cost, _) in calls.items():
                if caller != callee:
                    inclusive[caller] += cost
        spans: dict[Key, list[int]] = {}
        for (key, file), (lo, hi) in self._spans.items():
            fk = final(key)
            if fk[1] is not None and file == fk[1]:
                span = spans.setdefault(fk, [lo, hi])
                span[0], span[1] = min(span[0], lo), max(span[1], hi)
        files: dict[Key, Counter] = defaultdict(Counter)
        for key, votes in self._file_votes.items():
            files[final(key)].update(votes)

        functions: dict[Key, FunctionCost] = {}
        for key, cost in self_cost.items():
            name, file, obj = key
            q = qualified_name(name)
            inc = inclusive.get(key) if (inclusive_from_calls or self._inclusive) else None
            if inc is not None:
                inc = min(max(inc, cost), total)
            span = spans.get(key)
            functions[key] = FunctionCost(
                name=name, qualified=q, base=base_name(q), file=file, object=obj, self_cost=cost,
                inclusive=inc, first_line=span[0] if span else None, last_line=span[1] if span else None,
                files=tuple(f for f, _ in files[key].most_common()) if key in files else ((file,) if file else ()))
        sites = tuple(
            CallSite(file=file, line=line, caller=functions[caller], callee=functions[callee],
                     cost=cost, calls=count)
            for (caller, file, line, callee), (cost, count) in calls.items()
        )
        ordered = tuple(sorted(functions.values(), key=lambda f: (-f.self_cost, f.name, f.file or "")))
        return Profile(path=self.path, format=self.format, unit=self.unit, total=total,
                       functions=ordered, lines=dict(self._lines), call_sites=sites,
                       notes=tuple(self.notes))
