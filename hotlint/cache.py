"""A content-addressed result cache.

An entry's key hashes the file's text, its cleaned flags, hotlint's and
libclang's versions and the run's options; the entry lists every header the
parse read with its size, mtime and content hash, so an edited header
invalidates every file that includes it. Entries are written atomically; an
unreadable or corrupt entry is ignored (and removed), never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Optional

from . import __version__
from .model import FileResult

CACHE_DIR_NAME = ".hotlint_cache"
_FORMAT = 1


def default_cache_dir(root: str) -> str:
    return os.environ.get("HOTLINT_CACHE_DIR") or os.path.join(root, CACHE_DIR_NAME)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Cache:
    def __init__(self, directory: str, salt: str):
        self.dir = directory
        self.salt = salt  # versions and run options
        self._file_hash: dict[str, Optional[tuple[int, int, str]]] = {}
        self.hits = 0
        self.misses = 0
        self._ready = False

    def key(self, path: str, text_hash: str, args: list[str], options_digest: str) -> str:
        blob = json.dumps([_FORMAT, __version__, self.salt, os.path.abspath(path), text_hash, args,
                           options_digest])
        return _sha(blob.encode())

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.dir, key[:2], key[2:] + ".json")

    def _stat_hash(self, path: str) -> Optional[tuple[int, int, str]]:
        """(size, mtime_ns, sha256) of a dependency, memoized for the run."""
        if path in self._file_hash:
            return self._file_hash[path]
        try:
            st = os.stat(path)
            with open(path, "rb") as fh:
                digest = _sha(fh.read())
            value = (st.st_size, st.st_mtime_ns, digest)
        except OSError:
            value = None
        self._file_hash[path] = value
        return value

    def _dep_unchanged(self, dep: list) -> bool:
        path, size, mtime, digest = dep
        try:
            st = os.stat(path)
        except OSError:
            return False
        if st.st_size == size and st.st_mtime_ns == mtime:
            return True
        current = self._stat_hash(path)
        return current is not None and current[2] == digest

    def get(self, key: str) -> Optional[FileResult]:
        p = self._entry_path(key)
        try:
            with open(p, encoding="utf-8") as fh:
                entry = json.load(fh)
            if entry.get("format") != _FORMAT:
                raise ValueError("old format")
            if not all(self._dep_unchanged(d) for d in entry["deps"]):
                self.misses += 1
                return None
            result = FileResult.from_json(entry["result"])
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError):
            # corrupt or foreign: drop it and analyze again
            self.misses += 1
            try:
                os.unlink(p)
            except OSError:
                pass
            return None
        self.hits += 1
        return result

    def _prepare(self) -> None:
        if self._ready:
            return
        os.makedirs(self.dir, exist_ok=True)
        tag = os.path.join(self.dir, "CACHEDIR.TAG")
        if not os.path.exists(tag):
            with open(tag, "w") as fh:
                fh.write("Signature: 8a477f597d28d172789f06886806bc55\n# hotlint's result cache\n")
            with open(os.path.join(self.dir, ".gitignore"), "w") as fh:
                fh.write("# created by hotlint\n*\n")
        self._ready = True

    def put(self, key: str, result: FileResult) -> None:
        """Store a result unless it carries errors (a crash or a missing header may not recur)."""
        if result.errors:
            return
        deps = []
        for d in result.dependencies:
            h = self._stat_hash(d)
            if h is None:
                return
            deps.append([d, *h])
        entry = {"format": _FORMAT, "deps": deps, "result": result.to_json()}
        try:
            self._prepare()
            p = self._entry_path(key)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(p), prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh, separators=(",", ":"))
                os.replace(tmp, p)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return  # a read-only tree or a full disk costs speed, not results


def text_hash(text: str) -> str:
    return _sha(text.encode("utf-8", "surrogatepass"))
