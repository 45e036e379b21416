"""Applying fixes: non-overlapping edits, a unified diff, and writes that keep the file's
encoding, byte-order mark, line endings, permissions and links, and never lose a change
made while hotlint was running."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterable

from .model import Applicability, Diagnostic, Edit, Fix
from .positions import ByteOffsets
from .safeio import SOURCE_LIMIT, read_regular


def applicable(fix: Fix, unsafe: bool) -> bool:
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe and fix.applicability is Applicability.UNSAFE


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits given in clang's 1-based line / byte columns. Later edits first."""
    data = text.encode("utf-8")
    offset = ByteOffsets(data).of
    spans = sorted(((offset(e.range.start.line, e.range.start.column), offset(e.range.end.line, e.range.end.column),
                     e.new_text) for e in edits), reverse=True)
    for a, b, new in spans:
        data = data[:a] + new.encode("utf-8") + data[b:]
    return data.decode("utf-8")


def select_fixes(diagnostics: Iterable[Diagnostic], unsafe: bool) -> tuple[list[Diagnostic], list[Edit]]:
    """The diagnostics whose fixes apply together without overlapping, and their edits."""
    chosen, edits, taken = [], [], []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        if d.fix is None or not applicable(d.fix, unsafe):
            continue
        spans = [(e.range.start, e.range.end) for e in d.fix.edits]
        if any(not (b <= s or e <= a) or (a == b == s == e) for a, b in spans for s, e in taken):
            continue  # overlaps an earlier fix: the next run picks it up
        taken.extend(spans)
        chosen.append(d)
        edits.extend(d.fix.edits)
    return chosen, edits


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    ))


class NotFixed(Exception):
    """A file whose fixes were not written, and why (reported against the file; the run goes on)."""


@dataclass(frozen=True)
class OnDisk:
    """A file as ``read_for_fix`` found it: the fixes are written only while it is still so."""

    text: str  # with LF line endings
    bom: bytes
    newline: str
    raw: bytes


def read_for_fix(path: str) -> OnDisk:
    """The file as it is on disk (text with LF endings, byte-order mark, newline, raw bytes)."""
    raw = read_regular(path, SOURCE_LIMIT)
    data = raw
    bom = b""
    if data.startswith(b"\xef\xbb\xbf"):
        bom, data = data[:3], data[3:]
    text = data.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    return OnDisk(text, bom, newline, raw)


def write_fixed(path: str, before: OnDisk, text: str, project_root: str) -> str:
    """Write ``text`` (with ``before``'s byte-order mark) over ``path``, and return the file
    written. Raises ``NotFixed`` when that would be wrong:

    - a symlink is followed (the link stays a link, its target gets the fix), but never to a
      file outside ``project_root``;
    - a read-only file stays unwritten, as editors leave it;
    - a file that changed since ``before`` was read keeps the change (checked under a lock,
      right before the write), so nothing the user saved meanwhile is lost;
    - a file with more than one hard link is rewritten in place, so every link sees the fix
      (a copy is kept beside it until the write is complete), but only when every link is in
      the project; any other file is replaced in one rename, so an interrupted write leaves the
      old file whole.
    """
    target = os.path.realpath(path)
    root = os.path.realpath(project_root)
    if not (target == root or target.startswith(root.rstrip(os.sep) + os.sep)):
        raise NotFixed(f"it resolves to {target}, outside the project {root}")
    try:
        st = os.stat(target)
    except OSError as exc:
        raise NotFixed(f"cannot read it again: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise NotFixed("it is no longer a regular file")
    # by its mode as well as by access(): a superuser may write anything, but a file or folder
    # without write permission was made read-only on purpose, and editors leave it so too
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise NotFixed("it is read-only")
    folder = os.path.dirname(target)
    if not os.stat(folder).st_mode & 0o222 or not os.access(folder, os.W_OK | os.X_OK):
        raise NotFixed("its folder is read-only")
    data = before.bom + text.encode("utf-8")
    try:
        fd = os.open(target, os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise NotFixed(f"cannot open it for writing: {exc.strerror or exc}") from None
    try:
        _lock(fd)
        current = _read_all(fd)
        if current != before.raw:
            raise NotFixed("it changed since hotlint read it; run hotlint again")
        links = os.fstat(fd)
        if links.st_nlink > 1:
            if _links_within(root, links) < links.st_nlink:
                raise NotFixed(f"it has {links.st_nlink} hard links and not all of them are in the project "
                               f"{root}; writing it would change a file outside")
            _rewrite_in_place(fd, target, data)
        else:
            _replace(target, data, st)
    except OSError as exc:
        raise NotFixed(f"cannot write it: {exc.strerror or exc}") from None
    finally:
        os.close(fd)  # releases the lock
    return target


def _links_within(root: str, st: os.stat_result) -> int:
    """How many names under ``root`` are links to the file ``st`` describes (stops once all are
    found; version-control folders are not searched)."""
    found = 0
    stack = [root]
    while stack and found < st.st_nlink:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        if e.name not in (".git", ".hg", ".svn", ".hotlint_cache"):
                            stack.append(e.path)
                    elif e.is_file(follow_symlinks=False):
                        info = e.stat(follow_symlinks=False)
                        if info.st_ino == st.st_ino and info.st_dev == st.st_dev:
                            found += 1
        except OSError:
            continue
    return found


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the check below still runs
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        pass  # a file system without locks: the content check still runs


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _replace(target: str, data: bytes, st: os.stat_result) -> None:
    directory = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".hotlint-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _rewrite_in_place(fd: int, target: str, data: bytes) -> None:
    """Overwrite through ``fd`` (every hard link sees it); a copy of the old bytes stays beside
    the file until the new ones are on disk, so an interrupted write loses nothing."""
    old = _read_all(fd)
    directory = os.path.dirname(target)
    backup_fd, backup = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.",
                                         suffix=".hotlint-backup")
    with os.fdopen(backup_fd, "wb") as fh:
        fh.write(old)
        fh.flush()
        os.fsync(fh.fileno())
    os.lseek(fd, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.ftruncate(fd, len(data))
    os.fsync(fd)
    os.unlink(backup)
