"""Suppression comments.

- ``// hotlint: ignore[rule-a, rule-b]`` (or bare ``// hotlint: ignore``) on the
  flagged line, or alone on the line above it;
- clang-tidy's forms with hotlint's checks named ``hotlint-<rule>``:
  ``NOLINT``, ``NOLINT(hotlint-rule)``, ``NOLINTNEXTLINE(...)``,
  ``NOLINTBEGIN(...)`` ... ``NOLINTEND(...)``, globs such as ``hotlint-*``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Optional, Union

from .analysis.source import SourceText, source_of

_HOTLINT = re.compile(r"(?://|/\*)\s*hotlint\s*:\s*ignore(?:\[([^\]]*)\])?", re.I)
_NOLINT = re.compile(r"\bNOLINT(NEXTLINE|BEGIN|END)?\b(?:\(([^)]*)\))?")
ALL = None  # a suppression that covers every rule


def _names(group: Optional[str]) -> Optional[list[str]]:
    if group is None:
        return ALL
    names = [n.strip() for n in group.split(",") if n.strip()]
    return names or ALL


def _tidy_matches(rule: str, patterns: Optional[list[str]]) -> bool:
    if patterns is ALL:
        return True
    check = f"hotlint-{rule}"
    return any(fnmatch.fnmatchcase(check, p) or fnmatch.fnmatchcase(rule, p) for p in patterns)


def _hotlint_matches(rule: str, names: Optional[list[str]]) -> bool:
    if names is ALL:
        return True
    return any(fnmatch.fnmatchcase(rule, n) or fnmatch.fnmatchcase(f"hotlint-{rule}", n) for n in names)


@dataclass
class Suppressions:
    # line -> list of rule-name lists (ALL for every rule)
    hotlint: dict[int, list] = field(default_factory=dict)
    tidy: dict[int, list] = field(default_factory=dict)
    regions: list[tuple[int, int, Optional[list[str]]]] = field(default_factory=list)

    def suppressed(self, rule: str, line: int) -> bool:
        if any(_hotlint_matches(rule, n) for n in self.hotlint.get(line, ())):
            return True
        if any(_tidy_matches(rule, n) for n in self.tidy.get(line, ())):
            return True
        return any(a <= line <= b and _tidy_matches(rule, n) for a, b, n in self.regions)


def _is_comment_only(line: str) -> bool:
    s = line.strip()
    return s.startswith("//") or s.startswith("/*") or s.startswith("*")


def parse_suppressions(text: Union[str, SourceText]) -> Suppressions:
    sup = Suppressions()
    source = source_of(text)
    if "NOLINT" not in source.content and "hotlint" not in source.content.lower():  # the word in any case
        return sup
    # lines as clang numbers them: a form feed or a vertical tab ends no line (str.splitlines would)
    lines = source.lines
    open_regions: list[tuple[int, Optional[list[str]]]] = []
    for number, line in enumerate(lines, start=1):
        if "hotlint" in line.lower():
            for m in _HOTLINT.finditer(line):
                names = _names(m.group(1))
                sup.hotlint.setdefault(number, []).append(names)
                if _is_comment_only(line):
                    sup.hotlint.setdefault(number + 1, []).append(names)
        if "NOLINT" in line:
            for m in _NOLINT.finditer(line):
                kind, names = m.group(1), _names(m.group(2))
                if kind is None:
                    sup.tidy.setdefault(number, []).append(names)
                elif kind == "NEXTLINE":
                    sup.tidy.setdefault(number + 1, []).append(names)
                elif kind == "BEGIN":
                    open_regions.append((number, names))
                elif kind == "END":
                    # close the most recent region with the same checks (clang-tidy pairs them so)
                    for i in range(len(open_regions) - 1, -1, -1):
                        if open_regions[i][1] == names:
                            start, n = open_regions.pop(i)
                            sup.regions.append((start, number, n))
                            break
    for start, names in open_regions:  # an unterminated BEGIN runs to the end of the file
        sup.regions.append((start, len(lines) + 1, names))
    return sup
