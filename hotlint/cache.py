"""A content-addressed result cache that a checkout can neither supply nor redirect.

An entry's key hashes the file's text, its cleaned flags, hotlint's and libclang's
versions and the run's options; the entry lists every header the parse read with its
size, mtime and content hash, so an edited header invalidates every file that includes it.

The cache folder (``.hotlint_cache`` in the working directory) lives in the checkout, so
whatever is in it may have come with a pull request:

- every entry is authenticated with an HMAC under a key kept outside the checkout (in the
  user's cache folder, created on first use, readable by the user alone); an entry that does
  not verify is ignored, so a forged entry cannot hide a finding;
- a cache folder, or a folder inside it, that is a symbolic link is never used, so writes
  cannot be led out of the project; ``CACHEDIR.TAG`` and ``.gitignore`` are created only
  when absent, never overwritten or followed;
- entries are read as regular files of bounded size (``safeio``).

Entries are written atomically; an unreadable, forged or corrupt entry is ignored, never fatal.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tempfile
from functools import lru_cache
from typing import Callable, Iterable, Optional

from . import __version__
from .model import FileResult
from .safeio import CACHE_ENTRY_LIMIT, read_regular

CACHE_DIR_NAME = ".hotlint_cache"
# errors that say more about the run than the file: a result with one is never cached
TRANSIENT_ERRORS = frozenset({"crash", "timeout", "out-of-memory", "internal-error", "rule-error", "too-large",
                              "unreadable", "shutdown"})
_FORMAT = 7  # 4: diagnostics carry `where` (hotlint.rank needs it); 5: results carry `hotness`; 6: its USRs listed once;
# 7: `hotness` holds thread starts and atomic writes, false-sharing findings their members' field keys
_KEY_BYTES = 32


def default_cache_dir(root: str) -> str:
    return os.environ.get("HOTLINT_CACHE_DIR") or os.path.join(root, CACHE_DIR_NAME)


def key_path() -> str:
    """Where the key that authenticates cache entries is kept: the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hotlint", "cache-key")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _create_exclusive(path: str, data: bytes, mode: int = 0o644) -> bool:
    """Create ``path`` with ``data`` unless something (a file, a link) is already there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def _publish_key(path: str, data: bytes) -> None:
    """Create the key file whole or not at all: written under a private name, then hard-linked into
    place, so a process starting at the same moment never reads a half-written key (the link fails
    when another process's key got there first, and that one is used)."""
    folder = os.path.dirname(path)
    tmp = os.path.join(folder, f".cache-key.{os.getpid()}.{secrets.token_hex(4)}")
    if not _create_exclusive(tmp, data, 0o600):
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def load_key() -> bytes:
    """The user's cache key, created on first use. Raises ``OSError`` when it cannot be had."""
    path = key_path()
    for _ in range(2):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            _publish_key(path, secrets.token_hex(_KEY_BYTES).encode())
            continue
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path} is not a regular file")
        key = bytes.fromhex(read_regular(path, 1024).decode("ascii", "replace").strip() or "zz")
        if len(key) < 16:
            raise OSError(f"{path} holds no usable key")
        return key
    raise OSError(f"cannot create {path}")


class Cache:
    def __init__(self, directory: str, salt: str, key: bytes, on_problem: Optional[Callable[[str, str], None]] = None):
        self.dir = directory
        self.salt = salt  # versions and run options
        self._mac_key = key
        self._on_problem = on_problem
        self._file_hash: dict[str, Optional[tuple[int, int, str]]] = {}
        self._listings: dict[str, Optional[str]] = {}
        self.hits = 0
        self.misses = 0
        self.rejected = 0  # entries that did not verify
        self._ready = False
        self._said: set[str] = set()

    @classmethod
    def open(cls, directory: str, salt: str,
             on_problem: Optional[Callable[[str, str], None]] = None) -> Optional["Cache"]:
        """A cache in ``directory``, or None (said through ``on_problem``) when it must not be used."""
        def problem(why: str) -> None:
            if on_problem is not None:
                on_problem(directory, why)

        if os.path.islink(directory):
            problem("the cache folder is a symbolic link; it is not used (results are not cached)")
            return None
        if os.path.lexists(directory) and not os.path.isdir(directory):
            problem("the cache path is not a folder; it is not used (results are not cached)")
            return None
        try:
            key = load_key()
        except (OSError, ValueError) as exc:
            problem(f"no cache key ({exc}); results are not cached")
            return None
        return cls(directory, salt, key, on_problem)

    def _say(self, why: str) -> None:
        if why not in self._said and self._on_problem is not None:
            self._said.add(why)
            self._on_problem(self.dir, why)

    def key(self, path: str, text_hash: str, args: list[str], options_digest: str, context=None) -> str:
        """``context``: the ``compdb.HeaderContext`` a header is analyzed in (the unit's text is
        one of the entry's dependencies, so its path and include line suffice here)."""
        parts = [_FORMAT, __version__, self.salt, os.path.abspath(path), text_hash, args, options_digest]
        if context is not None:
            parts.append([os.path.abspath(context.unit), context.line])
        blob = json.dumps(parts)
        return _sha(blob.encode())

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.dir, key[:2], key[2:] + ".json")

    def _folder_ok(self, key: str) -> bool:
        """The entry's folder is a real folder (not a link) inside a cache folder that is not a link."""
        sub = os.path.join(self.dir, key[:2])
        try:
            return not os.path.islink(self.dir) and stat.S_ISDIR(os.lstat(sub).st_mode)
        except OSError:
            return False

    def _mac(self, key: str, payload: bytes) -> str:
        return hmac.new(self._mac_key, key.encode() + b"\0" + payload, hashlib.sha256).hexdigest()

    def _listing(self, folder: str) -> Optional[str]:
        """A digest of the names in ``folder`` an ``#include`` could find (headers, extensionless
        files such as ``vector``, subfolders; hidden names left out), memoized for the run; None
        when it does not exist."""
        if folder in self._listings:
            return self._listings[folder]
        try:
            names = []
            with os.scandir(folder) as entries:
                for e in entries:
                    ext = os.path.splitext(e.name)[1]
                    if e.name.startswith("."):
                        continue  # .git, .hotlint_cache (created by the first run), editors' files
                    if not ext or ext in _HEADER_EXTENSIONS or e.is_dir(follow_symlinks=True):
                        names.append(e.name)
            value: Optional[str] = _sha("\0".join(sorted(names)).encode("utf-8", "surrogateescape"))
        except OSError:
            value = None
        self._listings[folder] = value
        return value

    def _stat_hash(self, path: str) -> Optional[tuple[int, int, str]]:
        """(size, mtime_ns, sha256) of a dependency, memoized for the run."""
        if path in self._file_hash:
            return self._file_hash[path]
        try:
            st = os.stat(path)
            digest = _sha(read_regular(path, CACHE_ENTRY_LIMIT))
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
        if not self._folder_ok(key):
            self.misses += 1
            return None
        p = self._entry_path(key)
        try:
            stored = json.loads(read_regular(p, CACHE_ENTRY_LIMIT))
            entry = stored["entry"]
            if not isinstance(stored.get("mac"), str) or not hmac.compare_digest(
                    stored["mac"], self._mac(key, _canonical(entry))):
                self.rejected += 1
                self._say("ignored cache entries that were not written by this user's hotlint "
                          "(forged, or from another machine)")
                self.misses += 1
                return None
            if entry.get("format") != _FORMAT:
                raise ValueError("old format")
            if not all(self._dep_unchanged(d) for d in entry["deps"]) or not all(
                    self._listing(folder) == listing for folder, listing in entry["dirs"]):
                self.misses += 1
                return None
            result = FileResult.from_json(entry["result"])
        except FileNotFoundError:
            self.misses += 1
            return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            self.misses += 1  # corrupt, foreign or not a file: analyze again (it is replaced on write)
            return None
        self.hits += 1
        return result

    def fragments(self, limit: int = 20000) -> dict[str, dict]:
        """The call-graph fragment (``FileResult.hotness``) of each file the cache holds a verified
        entry of this format for, from its newest entry: what the language server ranks by before
        it has analyzed the project's files itself. Forged, foreign, corrupt and oversized entries
        are skipped, as ``get`` skips them; at most ``limit`` entries are read."""
        newest: dict[str, tuple[int, dict]] = {}
        if os.path.islink(self.dir) or not os.path.isdir(self.dir):
            return {}
        read = 0
        for sub in sorted(os.listdir(self.dir)):
            folder = os.path.join(self.dir, sub)
            if len(sub) != 2 or not self._folder_ok(sub):
                continue
            for name in os.listdir(folder):
                if read >= limit:
                    break
                if name.startswith(".") or not name.endswith(".json"):
                    continue
                key = sub + name[:-5]
                p = os.path.join(folder, name)
                read += 1
                try:
                    mtime = os.lstat(p).st_mtime_ns
                    stored = json.loads(read_regular(p, CACHE_ENTRY_LIMIT))
                    entry = stored["entry"]
                    if not isinstance(stored.get("mac"), str) or not hmac.compare_digest(
                            stored["mac"], self._mac(key, _canonical(entry))) or entry.get("format") != _FORMAT:
                        continue
                    path, fragment = entry["result"]["path"], entry["result"].get("hotness")
                except (OSError, ValueError, KeyError, TypeError, RecursionError):
                    continue
                if isinstance(path, str) and isinstance(fragment, dict) and mtime >= newest.get(path, (-1,))[0]:
                    newest[path] = (mtime, fragment)
        return {path: fragment for path, (_, fragment) in newest.items()}

    def _prepare(self) -> bool:
        if self._ready:
            return True
        if os.path.islink(self.dir):
            self._say("the cache folder is a symbolic link; it is not used (results are not cached)")
            return False
        os.makedirs(self.dir, exist_ok=True)
        _create_exclusive(os.path.join(self.dir, "CACHEDIR.TAG"),
                          b"Signature: 8a477f597d28d172789f06886806bc55\n# hotlint's result cache\n")
        _create_exclusive(os.path.join(self.dir, ".gitignore"), b"# created by hotlint\n*\n")
        self._ready = True
        return True

    def put(self, key: str, result: FileResult, args: Iterable[str] = ()) -> None:
        """Store a result, parse errors included (as deterministic as findings: a missing header
        that appears changes a folder's listing below and so the key's validity), unless it
        carries an error that may not recur: a crash, a timeout, running out of memory, a fault
        of hotlint's (``TRANSIENT_ERRORS``).

        Besides every file the parse read, the entry records the folders a header could newly
        appear in (the file's own, each include path in ``args``, and every folder a read file is
        in) with what they hold that an ``#include`` could name (``_listing``): a header created
        where the parse once found nothing (``__has_include``) or in front of one it found (an
        earlier ``-I``) invalidates the entry; an object file or an editor's swap file does not."""
        if any(e.kind in TRANSIENT_ERRORS for e in result.errors):
            return
        deps = []
        for d in result.dependencies:
            h = self._stat_hash(d)
            if h is None:
                return
            deps.append([d, *h])
        folders = {os.path.dirname(os.path.abspath(result.path))} | {os.path.dirname(d) for d in result.dependencies}
        folders |= set(include_folders(args))
        folders |= _missing_header_folders(result, folders)
        entry = {"format": _FORMAT, "deps": deps, "dirs": [[f, self._listing(f)] for f in sorted(folders)],
                 "result": result.to_json()}
        data = json.dumps({"mac": self._mac(key, _canonical(entry)), "entry": entry}, separators=(",", ":"))
        try:
            if not self._prepare():
                return
            sub = os.path.join(self.dir, key[:2])
            if not os.path.lexists(sub):
                os.makedirs(sub, exist_ok=True)
            if not self._folder_ok(key):
                self._say(f"{key[:2]} in the cache folder is not a plain folder; entries under it are not written")
                return
            fd, tmp = tempfile.mkstemp(dir=sub, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(data)
                os.replace(tmp, self._entry_path(key))  # replaces a link itself, never its target
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            return  # a read-only tree or a full disk costs speed, not results


_NOT_FOUND = re.compile(r"'([^']+)' file not found")


def _missing_header_folders(result: FileResult, bases: set) -> set:
    """For a result whose parse missed a header (``'sub/x.h' file not found``), the folders it would
    be found in below each searched folder: recorded (as not existing, or with their listing), so
    the header appearing there, in a new folder or an old one, invalidates the cached parse error."""
    out = set()
    for e in result.errors:
        for spelled in _NOT_FOUND.findall(e.message):
            if os.path.isabs(spelled):
                out.add(os.path.dirname(os.path.normpath(spelled)))
                continue
            for base in bases:
                out.add(os.path.dirname(os.path.normpath(os.path.join(base, spelled))))
    return out


def code_files() -> list[str]:
    """Every source file of the installed ``hotlint`` and ``hotlint.rules`` packages."""
    from . import rules as rules_package

    roots = [os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.abspath(rules_package.__file__))]
    files = []
    for root in dict.fromkeys(roots):
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            files.extend(os.path.join(folder, n) for n in sorted(names) if n.endswith(".py"))
    return files


@lru_cache(maxsize=None)
def code_digest() -> str:
    """A hash of ``code_files()``: a result depends on shared code (the view, the analysis layer,
    a private helper module) as much as on a rule's own module, so an edit to any of them
    invalidates every entry."""
    h = hashlib.sha256()
    for path in code_files():
        h.update(path.encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(_sha(read_regular(path, CACHE_ENTRY_LIMIT)).encode())
        except OSError:
            h.update(b"?")
    return h.hexdigest()


def options_digest(options, registry) -> str:
    """What a file's result depends on besides its text and flags: the run's options, hotlint's
    own code (``code_digest``) and the source of every rule pack module that runs."""
    import sys

    packs = []
    for name in options.rules:
        cls = registry.rules.get(name)
        module = sys.modules.get(cls.__module__) if cls else None
        f = getattr(module, "__file__", None)
        if f and not cls.__module__.startswith("hotlint."):
            try:
                packs.append([name, _sha(read_regular(f, CACHE_ENTRY_LIMIT))])
            except OSError:
                packs.append([name, None])
    blob = json.dumps([list(options.rules), options.settings.__dict__, list(options.rule_paths), packs,
                       code_digest()], sort_keys=True, default=str)
    return _sha(blob.encode())


_HEADER_EXTENSIONS = frozenset({".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".ipp", ".tcc", ".H", ".inc", ".def"})
_INCLUDE_FLAGS = ("-I", "-isystem", "-iquote", "-idirafter", "-cxx-isystem", "-F", "-iframework")


def include_folders(args: Iterable[str]) -> list[str]:
    """The include search folders cleaned flags name (joined forms: ``-I/abs/dir``)."""
    out = []
    for a in args:
        for flag in sorted(_INCLUDE_FLAGS, key=len, reverse=True):
            if a.startswith(flag) and len(a) > len(flag):
                value = a[len(flag):]
                if os.path.isabs(value):
                    out.append(os.path.normpath(value))
                break
    return out


def _canonical(entry: dict) -> bytes:
    """The bytes an entry's MAC covers: the same for the entry written and the entry read back."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()


def text_hash(text: str) -> str:
    return _sha(text.encode("utf-8", "surrogatepass"))
