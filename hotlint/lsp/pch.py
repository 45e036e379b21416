"""Precompiled headers of a file's ``#include`` block, kept across language-server sessions.

Most of the first parse of a C++ file is its headers: 14 standard headers take some
0.8 s of the 1 s a 420-line C++20 file costs. The worker's own preamble (see ``worker``)
helps every reparse, but it is built during the first parse and lives only as long as the
worker. This module keeps a precompiled header (PCH) of the include block in the user's
cache folder, so opening a file whose include block was seen before loads the headers
instead of parsing them.

- The *include block* is the file's first lines up to its last ``#include`` line, when they
  hold nothing but ``#include <...>`` / ``#include "..."`` lines, blank lines and ``//``
  comments (``include_block``). Anything else (a ``#define``, an ``#if``, a ``/*`` comment)
  ends it, so the block never changes what the rest of the file means.
- The PCH is built from a virtual header holding the block exactly as written, beside the
  file (so quoted includes resolve as they do from the file), parsed the way the worker's
  preamble is (function bodies in headers skipped, an incomplete unit). It is built on a
  thread after the first answer (``Analyzer.after_reply``), never before it: the first
  open of a file is not slower than without it. A block whose headers have a parse error
  gets none.
- A file whose block has a PCH is parsed with the block blanked (every byte but line ends a
  space, so every position is where it was) and the PCH loaded before it (``main_text``).
- Entries live in ``$XDG_CACHE_HOME/hotlint/pch`` (``~/.cache/hotlint/pch``), a folder of
  the user's own (0700): never in the project, so a checkout cannot supply a PCH (loading one
  is deserializing an AST; a crafted file could crash libclang or change what it sees).
  An entry's name is the sha256 of the block, the header's path, the cleaned flags, the
  working folder, the libclang version and resource folder (``key``). Each is a ``.pch``
  and a ``.json`` manifest: the PCH's sha256, the flags clang accepted, and the size and
  modification time of every file it read. ``lookup`` checks them all (clang itself
  checks only the project's headers, not the system's: an upgraded standard library would
  otherwise be used stale); a mismatch deletes the entry. Files are written under private
  names and renamed into place; the ``KEEP`` most recently used entries are kept.

``HOTLINT_PCH=0`` in the environment turns this off.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import stat
import time
import zlib
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .. import clang
from .prefix import _BLANK

log = logging.getLogger("hotlint.lsp.worker")

FORMAT = 1  # part of the key: a change in how entries are built makes new ones
KEEP = 8  # entries kept (least recently used deleted); one is some 10 MB for 14 standard headers
LOCK_STALE = 600.0  # seconds after which a build's lock file is taken to be left by a dead process
# As the worker's preamble: header function bodies skipped, an incomplete unit (a PCH must be one).
BUILD_OPTIONS = clang.PARSE_INCOMPLETE | clang.PARSE_SKIP_FUNCTION_BODIES

_INCLUDE = re.compile(r'[ \t]*#[ \t]*include[ \t]*(?:<[^<>"\n]+>|"[^"\n]+")[ \t]*(?://.*)?')
_SKIP = re.compile(r"[ \t]*(?://.*)?")
_LANGUAGES = {"c": "c-header", "c++": "c++-header", "objective-c": "objective-c-header",
              "objective-c++": "objective-c++-header"}
_SUFFIXES = {".c": "c", ".m": "objective-c", ".mm": "objective-c++"}
_CXX_SUFFIXES = (".cc", ".cpp", ".cxx", ".c++", ".cp", ".C", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".tpp")


def enabled() -> bool:
    return os.environ.get("HOTLINT_PCH", "1") != "0"


def folder() -> Optional[str]:
    """The user's PCH folder (created 0700), or None when there is none that is safely the user's."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # a relative XDG path is ignored, as the spec says
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    path = os.path.join(base, "hotlint", "pch")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
        uid = getattr(os, "getuid", lambda: st.st_uid)()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
            return None
        if st.st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        return None
    return path


def include_block(text: str) -> Optional[str]:
    """The file's first lines up to and with its last ``#include`` line, when they hold only
    includes, blank lines and ``//`` comments; None when the file does not start so."""
    end, pos = 0, 0
    while pos < len(text):
        nl = text.find("\n", pos)
        if nl == -1:
            break  # a last line without a line end: no block reaches it
        line = text[pos:nl].rstrip("\r")
        if line.endswith("\\"):
            break
        if _INCLUDE.fullmatch(line):
            end = nl + 1
        elif not _SKIP.fullmatch(line):
            break
        pos = nl + 1
    return text[:end] or None


def header_path(path: str) -> str:
    """The virtual header holding ``path``'s include block: beside it, named for it (and
    unlike a prefix unit's, ``prefix.header_path``)."""
    name = os.path.basename(path)
    return os.path.join(os.path.dirname(path), f"~hlpch{zlib.crc32(name.encode()) & 0xFFFFFF:06x}~")


def main_text(text: str, block: str) -> str:
    """What libclang parses as the main file when the block comes from the PCH: the block blanked."""
    return block.encode().translate(_BLANK).decode() + text[len(block):]


def header_args(path: str, used: Sequence[str]) -> Optional[list[str]]:
    """The flags that parse the block as a header in the file's language; None when it is unknown."""
    out, language, i = [], None, 0
    while i < len(used):
        a = used[i]
        if a == "-x" and i + 1 < len(used):
            language, i = used[i + 1], i + 2
            continue
        if a.startswith("-x") and len(a) > 2:
            language, i = a[2:], i + 1
            continue
        out.append(a)
        i += 1
    if language is None:
        suffix = os.path.splitext(path)[1]
        language = _SUFFIXES.get(suffix) or ("c++" if suffix in _CXX_SUFFIXES else None)
    if language not in _LANGUAGES:
        return None
    return ["-x", _LANGUAGES[language]] + out


def key(block: str, header: str, args: Sequence[str]) -> str:
    from ..flags import allowed

    config = clang.cindex().Config
    data = [FORMAT, BUILD_OPTIONS, block, header, allowed(list(args)), os.getcwd(), clang.libclang_version(),
            getattr(config, "resource_dir", None), getattr(config, "library_file", None)]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


@dataclass
class Entry:
    path: str  # the .pch file
    used: list[str]  # the flags clang accepted for the file when the PCH was built
    notes: list[str] = field(default_factory=list)  # what was dropped from them, and why


def _paths(where: str, name: str) -> tuple[str, str]:
    return os.path.join(where, name + ".pch"), os.path.join(where, name + ".json")


def discard(name: str, why: str = "") -> None:
    where = folder()
    if where is None:
        return
    if why:
        log.info("precompiled headers %s…: deleted: %s", name[:12], why)
    for p in _paths(where, name):
        try:
            os.unlink(p)
        except OSError:
            pass


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stale_input(inputs: Sequence) -> Optional[str]:
    """The first of the manifest's inputs ([path, size, mtime_ns]) that is not as it was, or None."""
    for p, size, mtime in inputs:
        try:
            st = os.stat(p)
        except OSError:
            return p
        if st.st_size != size or st.st_mtime_ns != mtime:
            return p
    return None


def lookup(name: str) -> Optional[Entry]:
    """The entry ``name`` when it exists and every file it was built from is as it was then
    (a stale or damaged entry is deleted)."""
    where = folder()
    if where is None:
        return None
    pch_path, manifest_path = _paths(where, name)
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        discard(name, f"unreadable manifest ({exc})")
        return None
    try:
        changed = stale_input(manifest["inputs"])
        if changed is not None:
            discard(name, f"{changed} changed since it was built")
            return None
        if _sha256(pch_path) != manifest["sha256"]:
            discard(name, "its file is not the one built")
            return None
        entry = Entry(pch_path, [str(a) for a in manifest["used"]], [str(n) for n in manifest.get("notes", [])])
    except (OSError, KeyError, TypeError, ValueError) as exc:
        discard(name, f"unusable ({type(exc).__name__}: {exc})")
        return None
    now = time.time()
    for p in (pch_path, manifest_path):
        try:
            os.utime(p, (now, now))  # most recently used: kept longest
        except OSError:
            pass
    return entry


def load_problem(tu, pch_path: str, main: str) -> Optional[tuple[str, bool]]:
    """Why a unit parsed with the PCH cannot stand for the ordinary parse: (the reason, whether
    the PCH is to blame and must go), or None. Any error outside the main file counts."""
    ci = clang.cindex()
    for d in tu.diagnostics:
        if d.severity < ci.Diagnostic.Error:
            continue
        where = d.location.file.name if d.location.file is not None else None
        if where is not None and os.path.abspath(where) == os.path.abspath(main):
            continue  # the file's own error: the same with or without the PCH
        text = d.spelling
        blame = where is None or pch_path in text or "precompiled" in text or "PCH" in text or "AST file" in text
        return text, blame
    return None


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill(pid, 0) would send a Ctrl-C event there; the lock goes stale by age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, ValueError):
        return True  # someone else's process, or no way to tell
    return True


def _take_lock(lock: str) -> bool:
    """Create the build's lock file (holding this process's id), unless another live process holds it."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return True
        except FileExistsError:
            try:
                with open(lock, encoding="ascii") as fh:
                    holder = int(fh.read().strip() or 0)
                if holder and _alive(holder) and time.time() - os.lstat(lock).st_mtime < LOCK_STALE:
                    return False  # another worker builds it
                os.unlink(lock)  # left by a worker that was killed while building
            except (OSError, ValueError):
                return False
        except OSError:
            return False
    return False


def build(name: str, path: str, block: str, used: Sequence[str], notes: Sequence[str]) -> Optional[str]:
    """Build and store the entry ``name`` for ``path``'s include ``block`` (parsed with ``used``,
    the flags the ordinary parse kept). Why not, or None when it was stored."""
    where = folder()
    if where is None:
        return "no private cache folder"
    args = header_args(path, used)
    if args is None:
        return "the file's language is not known"
    pch_path, manifest_path = _paths(where, name)
    if os.path.exists(manifest_path):
        return None
    lock = os.path.join(where, name + ".lock")
    if not _take_lock(lock):
        return "being built by another process"
    token = f".{os.getpid()}.{secrets.token_hex(4)}.tmp"
    header = header_path(path)
    try:
        tu = clang.parse(header, args, None, BUILD_OPTIONS, None, [(header, block)])
        ci = clang.cindex()
        errors = [d.spelling for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
        if errors:
            return f"the headers do not parse: {errors[0]}"
        inputs = []
        for name_ in clang.included_files(tu):
            if name_ == header:
                continue
            st = os.stat(name_)
            inputs.append([name_, st.st_size, st.st_mtime_ns])
        tmp_pch, tmp_manifest = pch_path + token, manifest_path + token
        try:
            tu.save(tmp_pch)
            del tu
            os.chmod(tmp_pch, 0o600)
            manifest = {"format": FORMAT, "sha256": _sha256(tmp_pch), "used": list(used), "notes": list(notes),
                        "inputs": inputs}
            fd = os.open(tmp_manifest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(manifest, fh)
            os.replace(tmp_pch, pch_path)
            os.replace(tmp_manifest, manifest_path)  # last: an entry without its manifest is never used
        finally:
            for p in (tmp_pch, tmp_manifest):
                try:
                    os.unlink(p)
                except OSError:
                    pass
    except Exception as exc:  # noqa: BLE001 - no PCH: the file is parsed as without one
        return f"{type(exc).__name__}: {exc}"
    finally:
        try:
            os.unlink(lock)
        except OSError:
            pass
    prune(where)
    return None


def prune(where: str, keep: int = KEEP) -> None:
    """Delete all but the ``keep`` most recently used entries (and leftovers of dead builds)."""
    try:
        names = os.listdir(where)
    except OSError:
        return
    now = time.time()
    entries = []
    for n in names:
        p = os.path.join(where, n)
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if n.endswith(".json") and "." not in n[:-5]:
            entries.append((st.st_mtime, n[:-5]))
        elif now - st.st_mtime > LOCK_STALE and not (
                n.endswith(".pch") and "." not in n[:-4] and os.path.exists(os.path.join(where, n[:-4] + ".json"))):
            try:
                os.unlink(p)  # what a killed build left (its files, its lock), or a PCH whose manifest is gone
            except OSError:
                pass
    entries.sort(reverse=True)
    for _, n in entries[keep:]:
        for p in _paths(where, n):
            try:
                os.unlink(p)
            except OSError:
                pass
