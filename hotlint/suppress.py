"""Suppression comments, and what is wrong with them (``check``).

- ``// hotlint: ignore[rule-a, rule-b]`` (or bare ``// hotlint: ignore``) on the
  flagged line, or alone on the line above it;
- clang-tidy's forms with hotlint's checks named ``hotlint-<rule>``:
  ``NOLINT``, ``NOLINT(hotlint-rule)``, ``NOLINTNEXTLINE(...)``,
  ``NOLINTBEGIN(...)`` ... ``NOLINTEND(...)``, globs such as ``hotlint-*``.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

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


@dataclass(eq=False)
class Comment:
    """One suppression comment: where it is written, its form and the names it gives, and the
    rules it has silenced in this run (for ``unused``)."""

    line: int
    column: int
    form: str  # "hotlint: ignore", "NOLINT", "NOLINTNEXTLINE", "NOLINTBEGIN"
    names: Optional[list[str]]  # ALL (None) for every rule
    used: set = field(default_factory=set)  # rules it silenced


@dataclass
class Suppressions:
    # line -> list of rule-name lists (ALL for every rule)
    hotlint: dict[int, list] = field(default_factory=dict)
    tidy: dict[int, list] = field(default_factory=dict)
    regions: list[tuple[int, int, Optional[list[str]]]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # line -> the comments covering it, in the same order as ``hotlint`` / ``tidy`` / ``regions``
    _hotlint_by: dict[int, list] = field(default_factory=dict, repr=False)
    _tidy_by: dict[int, list] = field(default_factory=dict, repr=False)
    _region_by: list = field(default_factory=list, repr=False)
    unmatched: list[tuple[int, int, str]] = field(default_factory=list)  # (line, column, what) of lone BEGIN/END

    def suppressed(self, rule: str, line: int) -> bool:
        """Whether a comment silences ``rule`` on ``line``; every comment that does is marked used."""
        hit = False
        for names, comment in zip(self.hotlint.get(line, ()), self._hotlint_by.get(line, ())):
            if _hotlint_matches(rule, names):
                comment.used.add(rule)
                hit = True
        for names, comment in zip(self.tidy.get(line, ()), self._tidy_by.get(line, ())):
            if _tidy_matches(rule, names):
                comment.used.add(rule)
                hit = True
        for (a, b, names), comment in zip(self.regions, self._region_by):
            if a <= line <= b and _tidy_matches(rule, names):
                comment.used.add(rule)
                hit = True
        return hit


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
    open_regions: list[tuple[int, Optional[list[str]], Comment]] = []
    for number, line in enumerate(lines, start=1):
        if "hotlint" in line.lower():
            for m in _HOTLINT.finditer(line):
                names = _names(m.group(1))
                comment = Comment(number, _column(line, m.start()), "hotlint: ignore", names)
                sup.comments.append(comment)
                sup.hotlint.setdefault(number, []).append(names)
                sup._hotlint_by.setdefault(number, []).append(comment)
                if _is_comment_only(line):
                    sup.hotlint.setdefault(number + 1, []).append(names)
                    sup._hotlint_by.setdefault(number + 1, []).append(comment)
        if "NOLINT" in line:
            for m in _NOLINT.finditer(line):
                kind, names = m.group(1), _names(m.group(2))
                if kind == "END":
                    # close the most recent region with the same checks (clang-tidy pairs them so)
                    for i in range(len(open_regions) - 1, -1, -1):
                        if open_regions[i][1] == names:
                            start, n, comment = open_regions.pop(i)
                            sup.regions.append((start, number, n))
                            sup._region_by.append(comment)
                            break
                    else:
                        sup.unmatched.append((number, _column(line, m.start()), "NOLINTEND"))
                    continue
                comment = Comment(number, _column(line, m.start()), f"NOLINT{kind or ''}", names)
                sup.comments.append(comment)
                if kind is None:
                    sup.tidy.setdefault(number, []).append(names)
                    sup._tidy_by.setdefault(number, []).append(comment)
                elif kind == "NEXTLINE":
                    sup.tidy.setdefault(number + 1, []).append(names)
                    sup._tidy_by.setdefault(number + 1, []).append(comment)
                elif kind == "BEGIN":
                    open_regions.append((number, names, comment))
    for start, names, comment in open_regions:  # an unterminated BEGIN runs to the end of the file
        sup.regions.append((start, len(lines) + 1, names))
        sup._region_by.append(comment)
        sup.unmatched.append((comment.line, comment.column, "NOLINTBEGIN"))
    return sup


def _column(line: str, index: int) -> int:
    """The 1-based byte column of ``line[index]`` (as clang counts)."""
    return len(line[:index].encode("utf-8", "surrogateescape")) + 1


def _hotlint_names(comment: Comment) -> list[str]:
    """The names of hotlint's rules a comment gives: every name of ``hotlint: ignore[...]`` (with or
    without the ``hotlint-`` prefix), and the ``hotlint-*`` ones of a NOLINT (others are other tools')."""
    if comment.names is ALL:
        return []
    if comment.form == "hotlint: ignore":
        return [n[len("hotlint-"):] if n.startswith("hotlint-") else n for n in comment.names]
    return [n[len("hotlint-"):] for n in comment.names if n.startswith("hotlint-")]


def _is_glob(name: str) -> bool:
    return any(ch in name for ch in "*?[")


@dataclass
class Problem:
    """A suppression comment that is wrong (``error``) or did nothing (``unused``)."""

    line: int
    column: int
    message: str
    unused: bool = False


def check(sup: Suppressions, known: Iterable[str], ran: Iterable[str], report_unused: bool = False,
          complete: bool = True) -> list[Problem]:
    """What is wrong with a file's suppression comments, after ``suppressed`` was asked of every
    finding: a rule name no rule has (an error, as a misspelt name silences nothing), a NOLINTBEGIN
    without its NOLINTEND or the reverse (an error, as clang-tidy's), and, with ``report_unused``,
    each comment (or name in it) that silenced nothing although its rules ran (``ran``) over a file
    that parsed (``complete``: with a parse error some findings are withheld). A bare ``NOLINT`` and
    other tools' NOLINT names are never called unused: they may be for clang-tidy."""
    known = set(known)
    ran = set(ran)
    out: list[Problem] = []
    for line, column, what in sup.unmatched:
        if what == "NOLINTBEGIN":
            out.append(Problem(line, column, "NOLINTBEGIN without a matching NOLINTEND (with the same checks); "
                                             "it silences the rest of the file"))
        else:
            out.append(Problem(line, column, "NOLINTEND without a matching NOLINTBEGIN (with the same checks)"))
    for comment in sup.comments:
        names = _hotlint_names(comment)
        for name in names:
            if not _is_glob(name) and name.upper() != "ALL" and name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                out.append(Problem(comment.line, comment.column,
                                   f"`{comment.form}` names unknown rule `{name}`{hint}; it silences nothing"))
        if not report_unused or not complete:
            continue
        if comment.names is ALL:
            if comment.form == "hotlint: ignore" and not comment.used and ran:
                out.append(Problem(comment.line, comment.column,
                                   "unused suppression: `hotlint: ignore` silences no finding here", unused=True))
            continue
        unused = []
        for name in names:
            if name.upper() == "ALL" or _is_glob(name):
                matching = {r for r in ran if fnmatch.fnmatchcase(r, name) or name.upper() == "ALL"}
                if matching and not (comment.used & matching):
                    unused.append(name)
            elif name in ran and name not in comment.used:
                unused.append(name)
        if unused:
            shown = [n if comment.form == "hotlint: ignore" else f"hotlint-{n}" for n in unused]
            listed = ", ".join(f"`{n}`" for n in shown)
            out.append(Problem(comment.line, comment.column,
                               f"unused suppression: `{comment.form}` silences no {listed} finding here", unused=True))
    return sorted(out, key=lambda p: (p.line, p.column))


UNUSED_RULE = "unused-suppression"  # the name an unused suppression is reported under (opt-in)
INVALID_KIND = "invalid-suppression"  # the error kind of a misspelt rule name or a lone NOLINTBEGIN/END
