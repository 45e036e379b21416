"""Adopting hotlint on code that already has findings.

``--write-baseline FILE`` records the findings of today; ``--baseline FILE`` reports only those not
in it; ``--diff-base REF`` reports only those on lines changed since a git ref (as clang-tidy-diff
does). Both act on the ranked report, before any output format sees it.

A finding is known by its **fingerprint**, which survives lines added or removed elsewhere in the
file: a hash of the rule, the enclosing function's qualified name and the flagged line(s) with
their blanks collapsed, then ``:N``, the finding's occurrence among the file's findings with that
same hash (so a second identical finding is a new one). The same string is SARIF's
``partialFingerprints["hotlint/v1"]``. A baseline entry is that fingerprint with the rule and the
file's path relative to its project root (the nearest folder upward holding ``.git``), so one
baseline serves from any working directory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from .model import Diagnostic

FINGERPRINT_KEY = "hotlint/v1"
BASELINE_VERSION = 1
BASELINE_LIMIT = 64 * 1024 * 1024
_FLAGGED_LINES = 20  # a range longer than this is fingerprinted by its first lines
_GIT_TIMEOUT = 300


class AdoptionError(Exception):
    """A baseline or a git ref hotlint cannot use: a usage error (exit 3)."""


# --------------------------------------------------------------------------- fingerprints


def last_line(d: Diagnostic) -> int:
    """The last line the finding's range covers (its end is exclusive: a range ending at column 1
    of a later line does not reach into that line)."""
    r = d.range
    if r.end.line > r.start.line and r.end.column <= 1:
        return r.end.line - 1
    return max(r.start.line, r.end.line)


def flagged_lines(d: Diagnostic) -> list[str]:
    """The source lines of the finding's range (at most ``_FLAGGED_LINES``), as clang numbers them."""
    from .output import read_lines  # noqa: PLC0415

    lines = read_lines(d.path)
    start = d.range.start.line
    end = min(last_line(d), start + _FLAGGED_LINES - 1)
    return lines[start - 1:end] if 0 < start <= len(lines) else []


def _content_hash(d: Diagnostic) -> str:
    text = " ".join(" ".join(flagged_lines(d)).split())
    function = d.where.qualified_name if d.where is not None else ""
    return hashlib.sha256(json.dumps([d.rule, function, text]).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def fingerprints(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """Each finding's fingerprint, in the order given: ``<hash>:<occurrence>``, the occurrence
    counted from 1 among the same file's findings with that hash, in source order."""
    seen: Counter = Counter()
    out: list[str] = [""] * len(diagnostics)
    for i in sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].sort_key()):
        d = diagnostics[i]
        h = _content_hash(d)
        seen[(d.path, h)] += 1
        out[i] = f"{h}:{seen[(d.path, h)]}"
    return out


def project_path(path: str) -> str:
    """``path`` relative to its project root, with ``/`` between folders (as a baseline stores it)."""
    path = os.path.abspath(path)
    return os.path.relpath(path, _root_of_folder(os.path.dirname(path))).replace(os.sep, "/")


@functools.lru_cache(maxsize=4096)
def _root_of_folder(folder: str) -> str:
    from .trust import project_root  # noqa: PLC0415

    return project_root(os.path.join(folder, "_"))


# --------------------------------------------------------------------------- baseline file


def baseline_text(diagnostics: Sequence[Diagnostic], fps: Sequence[str]) -> str:
    """The baseline of ``diagnostics``: sorted, indented JSON with a version, the same bytes for
    the same findings."""
    entries = []
    for d, fp in zip(diagnostics, fps):
        entry = {"path": project_path(d.path), "rule": d.rule, "fingerprint": fp}
        if d.where is not None:  # for a reader of the file; matching uses path, rule and fingerprint
            entry["function"] = d.where.qualified_name
        entries.append(entry)
    entries.sort(key=lambda e: (e["path"], e["rule"], e["fingerprint"], e.get("function", "")))
    doc = {"version": BASELINE_VERSION, "tool": "hotlint", "findings": entries}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def read_baseline(path: str) -> Counter:
    """The baseline at ``path`` as a multiset of (path, rule, fingerprint)."""
    from .safeio import ReadRefused, read_regular  # noqa: PLC0415

    where = f"--baseline {path}"
    try:
        data = read_regular(path, BASELINE_LIMIT)
    except FileNotFoundError:
        raise AdoptionError(f"{where}: no such file (write one with --write-baseline)") from None
    except ReadRefused as exc:
        raise AdoptionError(f"{where}: {exc}") from None
    except OSError as exc:
        raise AdoptionError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AdoptionError(f"{where}: not a hotlint baseline: not JSON ({exc})") from None
    if not isinstance(doc, dict) or "findings" not in doc or "version" not in doc:
        raise AdoptionError(f"{where}: not a hotlint baseline: an object with `version` and `findings` "
                            "is expected (write one with --write-baseline)")
    if doc["version"] != BASELINE_VERSION:
        raise AdoptionError(f"{where}: baseline version {doc['version']!r} is not one this hotlint reads "
                            f"(version {BASELINE_VERSION}); write it again with --write-baseline")
    found: Counter = Counter()
    if not isinstance(doc["findings"], list):
        raise AdoptionError(f"{where}: not a hotlint baseline: `findings` is not a list")
    for n, entry in enumerate(doc["findings"]):
        if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("path", "rule", "fingerprint"))):
            raise AdoptionError(f"{where}: not a hotlint baseline: finding {n} lacks a string `path`, `rule` "
                                "or `fingerprint`")
        found[(entry["path"], entry["rule"], entry["fingerprint"])] += 1
    return found


# --------------------------------------------------------------------------- changed lines


@dataclass
class Changes:
    """The lines of one file changed since the ref: added or modified lines, and the points where
    lines were only deleted (``after``: the deletion lies between that line and the next)."""

    everything: bool = False  # a file git does not track: all of it is new
    lines: set = field(default_factory=set)
    deletions_after: set = field(default_factory=set)

    def touches(self, first: int, last: int) -> bool:
        if self.everything:
            return True
        if any(first <= n <= last for n in self.lines):
            return True
        return any(first <= n and n + 1 <= last for n in self.deletions_after)


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def parse_unified_diff(text: str) -> dict[str, Changes]:
    """The new side's changed lines per file of a ``git diff -U0`` (paths as after ``b/``)."""
    out: dict[str, Changes] = {}
    current: Optional[Changes] = None
    for line in text.split("\n"):
        if line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":  # the file was deleted: nothing of it is linted
                current = None
                continue
            target = _unquote(target)
            if target.startswith("b/"):
                target = target[2:]
            current = out.setdefault(target, Changes())
        elif current is not None and line.startswith("@@"):
            m = _HUNK.match(line)
            if not m:
                continue
            start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
            if count == 0:
                current.deletions_after.add(start)
            else:
                current.lines.update(range(start, start + count))
    return out


def _unquote(path: str) -> str:
    """A path as git writes it: C-quoted (``"b/a\\tb.cpp"``, octal bytes) when it has unusual bytes."""
    if not (len(path) >= 2 and path[0] == '"' and path[-1] == '"'):
        return path
    raw, out, i = path[1:-1], bytearray(), 0
    escapes = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
                continue
            if raw[i + 1:i + 4].isdigit():
                out.append(int(raw[i + 1:i + 4], 8))
                i += 4
                continue
        out.extend(ch.encode("utf-8", "surrogateescape"))
        i += 1
    return os.fsdecode(bytes(out))


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    """git with a fixed argument list, never a shell; no external diff or text conversion, no
    filesystem monitor, no pager, no prompt (the checkout may be hostile)."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    argv = ["git", "-c", "core.fsmonitor=false", "-c", "core.quotePath=true", "--no-pager",
            "--literal-pathspecs", *args]
    try:
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=_GIT_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise AdoptionError("--diff-base needs git, and no `git` program was found") from None
    except subprocess.TimeoutExpired:
        raise AdoptionError(f"--diff-base: git {args[0]} did not finish within {_GIT_TIMEOUT} s in {cwd}") from None


def _chunks(items: list[str], size: int = 200):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def changed_lines(files: Sequence[str], ref: str) -> dict[str, Changes]:
    """Each of ``files`` (absolute paths) mapped to its lines changed since ``ref`` in its git
    repository. Raises ``AdoptionError`` for a file outside any repository or a ref that is not a
    commit there."""
    from .output import display_path  # noqa: PLC0415

    if not ref or ref.startswith("-"):
        raise AdoptionError(f"--diff-base {ref!r}: not a git ref (a branch, tag or commit is expected)")
    tops: dict[str, str] = {}
    by_top: dict[str, list[tuple[str, str]]] = {}
    for path in files:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in tops:
            proc = _git(["rev-parse", "--show-toplevel"], folder) if os.path.isdir(folder) else None
            if proc is None or proc.returncode != 0:
                raise AdoptionError(f"--diff-base {ref}: {display_path(path)} is not in a git repository")
            tops[folder] = os.fsdecode(proc.stdout).rstrip("\n")
        top = tops[folder]
        rel = os.path.relpath(os.path.realpath(path), os.path.realpath(top)).replace(os.sep, "/")
        by_top.setdefault(top, []).append((path, rel))
    out: dict[str, Changes] = {}
    for top, members in sorted(by_top.items()):
        proc = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], top)
        if proc.returncode != 0:
            raise AdoptionError(f"--diff-base {ref}: no such commit in the git repository at {display_path(top)} "
                                "(name a branch, tag or commit there; in a shallow clone, fetch it first)")
        commit = os.fsdecode(proc.stdout).strip()
        rels = sorted({rel for _, rel in members})
        diffs: dict[str, Changes] = {}
        tracked: set[str] = set()
        for chunk in _chunks(rels):
            proc = _git(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
                         "--src-prefix=a/", "--dst-prefix=b/", commit, "--", *chunk], top)
            if proc.returncode != 0:
                raise AdoptionError(f"--diff-base {ref}: git diff failed in {display_path(top)}: "
                                    f"{os.fsdecode(proc.stderr).strip()}")
            diffs.update(parse_unified_diff(os.fsdecode(proc.stdout)))
            proc = _git(["ls-files", "-z", "--", *chunk], top)
            if proc.returncode == 0:
                tracked.update(os.fsdecode(p) for p in proc.stdout.split(b"\0") if p)
        for path, rel in members:
            if rel in diffs:
                out[path] = diffs[rel]
            elif rel not in tracked:  # untracked: new since any ref
                out[path] = Changes(everything=True)
            else:
                out[path] = Changes()
    return out


# --------------------------------------------------------------------------- the run's hooks


@dataclass
class Adoption:
    """What ``--baseline``, ``--write-baseline`` and ``--diff-base`` ask of one run, checked before
    the analysis (a bad baseline or ref fails in a second, not after the whole project)."""

    baseline_path: Optional[str] = None
    baseline: Counter = field(default_factory=Counter)
    write_path: Optional[str] = None
    diff_base: Optional[str] = None
    changes: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, ns, files: Sequence[str], stdin_path: Optional[str]) -> Optional["Adoption"]:
        baseline, write, base = getattr(ns, "baseline", None), getattr(ns, "write_baseline", None), \
            getattr(ns, "diff_base", None)
        if not (baseline or write or base):
            return None
        if write and (baseline or base):
            raise AdoptionError("--write-baseline records every finding: it does not combine with --baseline "
                                "or --diff-base")
        if (ns.fix or ns.diff) and (baseline or base):
            raise AdoptionError("--fix and --diff act on every finding: run them without --baseline and "
                                "--diff-base (which only choose the findings reported)")
        if base is not None and stdin_path is not None:
            raise AdoptionError("--diff-base compares files with a git ref: it does not combine with `-` "
                                "(standard input)")
        if write and not os.path.isdir(os.path.dirname(os.path.abspath(write))):
            raise AdoptionError(f"--write-baseline {write}: no such folder")
        out = cls(baseline_path=baseline, write_path=write, diff_base=base)
        if baseline:
            out.baseline = read_baseline(baseline)
        if base is not None:
            out.changes = changed_lines(files, base)
        return out

    def apply(self, report, note: Callable[[str], None], write_atomically: Callable[[str, str, str], None]) -> None:
        """Write the baseline, or leave out of ``report`` the findings the baseline holds and those
        on lines unchanged since the ref; ``note`` says how many were left out."""
        fps = fingerprints(report.diagnostics)
        report.fingerprints = {id(d): fp for d, fp in zip(report.diagnostics, fps)}
        if self.write_path:
            write_atomically(self.write_path, baseline_text(report.diagnostics, fps), "--write-baseline")
            n = len(report.diagnostics)
            note(f"hotlint: note: wrote {n} finding{'s' if n != 1 else ''} to the baseline {self.write_path}")
            return
        kept, unchanged, known = [], 0, 0
        remaining = Counter(self.baseline)
        for d, fp in zip(report.diagnostics, fps):
            if self.diff_base is not None:
                changes = self.changes.get(d.path)
                if changes is None or not changes.touches(d.range.start.line, last_line(d)):
                    unchanged += 1
                    continue
            key = (project_path(d.path), d.rule, fp)
            if self.baseline_path and remaining[key] > 0:
                remaining[key] -= 1
                known += 1
                continue
            kept.append(d)
        report.diagnostics = kept
        if self.diff_base is not None:
            note(f"hotlint: note: --diff-base {self.diff_base}: {unchanged} finding{'s' if unchanged != 1 else ''} "
                 f"on lines unchanged since {self.diff_base} not shown")
        if self.baseline_path:
            note(f"hotlint: note: --baseline {self.baseline_path}: {known} finding{'s' if known != 1 else ''} "
                 "in the baseline not shown")
