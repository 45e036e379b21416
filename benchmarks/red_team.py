"""A red team in a script: hostile checkouts against the real ``hotlint`` and ``hotlint lsp``.

hotlint runs in pre-commit, in CI on strangers' pull requests and in editors that open any
folder, so a checkout must never be able to make it

1. run code (``ran code``),
2. write files outside the project or lose a file's contents (``written/lost``),
3. hide findings, e.g. through a forged cache or output a CI reads (``hidden``),
4. hang or blow up its memory (``hangs``: a run over the bound, 60 s by default, or a
   hotlint process over the memory bound, 2 GiB by default),
5. crash with a traceback (``tracebacks``: ``Traceback`` on stderr or an exit code outside
   0-3 for the command line; the server dying or a request never answered for the LSP),
6. turn its output against the reader (``unsafe out``: escape sequences, C1 controls,
   bidirectional overrides or bytes that are not UTF-8 on stdout or stderr, GitHub workflow
   commands hotlint did not mean to write, in either of the runner's syntaxes (``::cmd::``
   at the start of a line after spaces, ``##[cmd]`` anywhere in one), or markup a client
   renders in its messages).

Each case builds one hostile checkout in a private temporary folder, runs the installed
console script (found next to ``sys.executable``, else on ``PATH``), ``python -m hotlint``
where that is the point, or ``hotlint lsp`` over its stdio pipes, and checks all six
properties: markers that planted code writes when it runs, a snapshot of the case's whole
folder (project, a sibling ``outside`` folder, the home and XDG folders given to hotlint)
before and after, the findings the run reports against those a clean run reports, a
wall-clock and memory watch, stderr and the exit status, and every byte of output (read
as GitHub's runner reads a log, too).

Usage::

    python benchmarks/red_team.py                 # every case; summary and failures
    python benchmarks/red_team.py --verbose       # and every input with its outcome
    python benchmarks/red_team.py --only db-carrier,lsp-   # cases whose name contains any of these
    python benchmarks/red_team.py --only NAME --keep       # keep the folder to reproduce by hand
    python benchmarks/red_team.py --list          # the cases, not run
    python benchmarks/red_team.py --bound 60 --memory 2048 --jobs 3

It prints, per category and in total, the number of hostile inputs tried and the number of
inputs that broke each property, then one line per failure with how to reproduce it (``$RT``
is the temporary folder; ``--keep`` keeps it, with each case's environment in
``logs/NAME.env`` and its output in ``logs/NAME.out`` and ``.err``). Exit status 0 when every
property held, 1 otherwise. A run takes about four minutes on two cores, most of it in the
inputs that hang (each is stopped at the bound).

Everything it creates lives in one temporary folder that it removes at the end (``--keep``
leaves it); hotlint gets ``HOME``, ``XDG_CACHE_HOME``, ``XDG_CONFIG_HOME``,
``XDG_DATA_HOME``, ``TMPDIR`` and ``HOTLINT_CACHE_DIR`` inside that folder (and
``PYTHONDONTWRITEBYTECODE``), so nothing touches the real home. Every process a case
starts runs in its own session and the whole session is killed when the case ends.

Notes on scope:

- ``python -m hotlint`` puts the working directory first on ``sys.path`` (Python itself
  does, before hotlint runs), so it is only tried with a planted ``*.dist-info``; planted
  modules are tried with the console script, as pre-commit and CI run it.
- Cases that would block a worker (a FIFO, ``#include "/dev/zero"``, a parse that never
  ends) pass ``--timeout`` below the bound, as the README says a worker may time out; the
  run must still finish within the bound.
- Writes are aimed at the case's own folder, and streams are named ``/proc/self/fd/N``, never
  ``/dev/stdout``: clang's ``-MJ`` unlinks its path before writing, so a case aimed at
  ``/dev/stdout`` would replace the machine's ``/dev/stdout`` link when run as root. The
  harness checks that ``/dev/stdout``, ``/dev/stderr`` and their neighbours are as it found them.
- The harness needs Linux (``/proc``, FIFOs, ``os.setsid``); ``git`` and a C compiler are
  used when present (the ``.git/config`` chain and the plugin flags), and skipped otherwise.

Stdlib only; it imports nothing from hotlint.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import site
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

# --------------------------------------------------------------------------- sources

WASTEFUL = "struct Wasteful {\n  char a;\n  double b;\n  char c;\n};\nWasteful w[8];\n"
REORDERED = "struct Wasteful {\n  double b;\n  char a;\n  char c;\n};\nWasteful w[8];\n"
EXPECT_U = [("u.cpp", "padding-waste")]  # what a clean run reports for WASTEFUL in u.cpp

ESC_BYTES = b"\x1b]0;RT-TITLE\x07\x1b[2J\x1b]52;c;UlQtQ0xJUEJPQVJE\x07"  # title, clear, clipboard
ESC = ESC_BYTES.decode()
BIDI = "\u202e\u2066"
TOKEN = "rtforged"  # planted in forged workflow commands

PROPS = ("code", "write", "hidden", "hang", "traceback", "output")
PROP_TITLES = {"code": "ran code", "write": "written/lost", "hidden": "hidden", "hang": "hangs",
               "traceback": "tracebacks", "output": "unsafe out"}
CATEGORIES = ("config", "compile-db", "source-tree", "cache", "fix", "planted", "lsp", "output")
# the documented caps on a configuration's per-file `timeout` (README: Running on untrusted code)
from hotlint.config import MAX_CONFIG_TIMEOUT as CONFIG_TIMEOUT_CAP  # noqa: E402
from hotlint.lsp.settings import MAX_EDITOR_TIMEOUT as EDITOR_TIMEOUT_CAP  # noqa: E402

# modules a checkout may plant next to the working directory: the standard library's and
# hotlint's dependencies' (packages as folders), each of which writes a marker when imported
PLANTED_MODULES = (
    "json", "selectors", "socket", "signal", "threading", "tempfile", "shlex", "hashlib", "hmac", "secrets",
    "pickle", "struct", "copyreg", "fnmatch", "difflib", "enum", "typing", "dataclasses", "inspect", "ast",
    "tokenize", "glob", "base64", "subprocess", "queue", "contextlib", "functools", "weakref", "uuid",
    "typing_extensions", "importlib_metadata", "zipp", "tomli", "sitecustomize", "usercustomize",
)
PLANTED_PACKAGES = ("multiprocessing", "asyncio", "concurrent", "rich", "clang", "pygls", "lsprotocol", "cattrs",
                    "attrs", "attr", "hotlint", "email", "urllib", "logging", "xml")

GH_COMMANDS = {"set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher", "remove-matcher",
               "debug", "warning", "error", "notice", "group", "endgroup", "echo", "stop-commands"}


# --------------------------------------------------------------------------- finding hotlint

def hotlint_script() -> str:
    cand = Path(sys.executable).parent / "hotlint"
    if cand.exists():
        return str(cand)
    found = shutil.which("hotlint")
    if not found:
        sys.exit("red_team: the hotlint console script is not installed (pip install -e .)")
    return found


def script_python(script: str) -> str:
    """The interpreter the console script runs under (its shebang), for ``python -m hotlint``."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!"):
        exe = first[2:].strip().split()[0]
        if os.path.isabs(exe) and os.access(exe, os.X_OK):
            return exe
    return sys.executable


HOTLINT = hotlint_script()
PYTHON = script_python(HOTLINT)
GIT = shutil.which("git")
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


# --------------------------------------------------------------------------- a case's folder

class Ctx:
    """One case's private folder: ``proj`` (the checkout), ``outside`` (a sibling the checkout
    aims writes at), ``markers`` (planted code writes here when it runs), and the home, XDG,
    temporary and cache folders hotlint is given."""

    def __init__(self, root: Path, name: str):
        self.name = name
        self.dir = root / "cases" / name
        self.proj = self.dir / "proj"
        self.outside = self.dir / "outside"
        self.markers = self.dir / "markers"
        self.home = self.dir / "home"
        self.tmp = self.dir / "tmp"
        self.cache = self.dir / "cache"
        for d in (self.proj, self.outside, self.markers, self.home, self.tmp, self.dir / "xdg-cache",
                  self.dir / "xdg-config", self.dir / "xdg-data"):
            d.mkdir(parents=True, exist_ok=True)
        (self.proj / ".git").mkdir()
        (self.proj / ".git" / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = false\n")
        self.uses_project_cache = False

    # files
    def write(self, rel, data, base: Optional[Path] = None) -> Path:
        p = Path(os.path.join(os.fsencode(base or self.proj), os.fsencode(rel)).decode(
            sys.getfilesystemencoding(), "surrogateescape"))
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape"))
        return p

    def fifo(self, rel, base: Optional[Path] = None) -> Path:
        p = (base or self.proj) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(p)
        return p

    def link(self, rel, target, base: Optional[Path] = None) -> Path:
        p = (base or self.proj) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)
        return p

    def u(self) -> Path:
        return self.write("u.cpp", WASTEFUL)

    def marker_code(self, name: str) -> str:
        return f"open({str(self.markers / name)!r}, 'w').write('ran')\n"

    def plant_module(self, name: str, folder: Optional[Path] = None) -> None:
        folder = folder or self.proj
        if name in PLANTED_PACKAGES:
            self.write(f"{name}/__init__.py", self.marker_code(name), base=folder)
        else:
            self.write(f"{name}.py", self.marker_code(name), base=folder)

    def plant_dist_info(self, folder: Optional[Path] = None) -> None:
        folder = folder or self.proj
        self.write("evil_rt-0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: evil-rt\nVersion: 0.1\n",
                   base=folder)
        self.write("evil_rt-0.1.dist-info/entry_points.txt", "[hotlint.rules]\nevil = evil_rt_rules\n", base=folder)
        self.write("evil_rt_rules.py", self.marker_code("evil_rt_rules"), base=folder)

    def rule_pack(self, folder: Path, marker: str = "rule_pack") -> None:
        self.write("pack_rules.py", self.marker_code(marker) +
                   "from hotlint.rule import Rule\n\nclass Evil(Rule):\n    name = 'evil-rt'\n    summary = 'x'\n"
                   "    def check(self, view):\n        return []\n", base=folder)

    def db(self, entries, where: Optional[Path] = None) -> Path:
        p = (where or self.proj) / "compile_commands.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(entries))
        return p

    def db_args(self, *flags, file: str = "u.cpp") -> Path:
        return self.db([{"directory": str(self.proj), "file": file, "arguments": ["c++", *flags, "-c", file]}])

    def real_git(self) -> bool:
        """Make ``proj`` a real git repository (when git is installed)."""
        if not GIT:
            return False
        shutil.rmtree(self.proj / ".git")
        subprocess.run([GIT, "init", "-q", str(self.proj)], env=git_env(self), check=True, capture_output=True)
        return True

    # running
    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HOTLINT_", "XDG_", "GIT_", "PYTHON")) and k not in (
                   "FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TMPDIR", "TMP", "TEMP", "HOME")}
        if os.environ.get("PYTHONPATH"):
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        env.update(HOME=str(self.home), XDG_CACHE_HOME=str(self.dir / "xdg-cache"),
                   XDG_CONFIG_HOME=str(self.dir / "xdg-config"), XDG_DATA_HOME=str(self.dir / "xdg-data"),
                   TMPDIR=str(self.tmp), PYTHONDONTWRITEBYTECODE="1", PYTHONUSERBASE=USER_BASE,
                   COLUMNS="200")
        if not self.uses_project_cache:
            env["HOTLINT_CACHE_DIR"] = str(self.cache)
        env.update({k: v for k, v in extra.items() if v is not None})
        for k in [k for k, v in extra.items() if v is None]:
            env.pop(k, None)
        return env


USER_BASE = site.getuserbase()
ROOT: list = []  # the run's temporary folder, shown as $RT in what is printed


def git_env(ctx: Ctx) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(ctx.home), XDG_CONFIG_HOME=str(ctx.dir / "xdg-config"), GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="rt", GIT_AUTHOR_EMAIL="rt@example.invalid", GIT_COMMITTER_NAME="rt",
               GIT_COMMITTER_EMAIL="rt@example.invalid")
    return env


# --------------------------------------------------------------------------- what a case runs

@dataclass
class LspPlan:
    """A language-server session: ``script(session)`` talks to the server; the harness checks that
    every request it sent was answered, that the server lived until ``exit`` and what it published."""

    script: Callable[["LspSession"], None]
    init_options: Optional[dict] = None
    expect: list = field(default_factory=list)  # [(relpath, rule)] in publishDiagnostics


@dataclass
class Plan:
    argv: list = field(default_factory=list)  # the full command (executable first)
    cwd: Optional[Path] = None  # default: the project
    env: dict = field(default_factory=dict)  # added to the case's environment (None removes)
    expect: list = field(default_factory=list)  # [(relpath, rule)] a clean run reports
    fmt: str = "json"  # how stdout is read for findings: json, text, github, sarif, none
    allowed: dict = field(default_factory=dict)  # path -> contents it may have after the run (fix targets)
    prime: list = field(default_factory=list)  # commands run first (cache priming), unchecked
    mutate: Optional[Callable[[], None]] = None  # after priming, before the snapshot
    post: Optional[Callable[[], list]] = None  # after the run: descriptions of code that ran
    lsp: Optional[LspPlan] = None
    stdin_open: bool = False  # stdin is a pipe kept open (an interactive or CI session), not /dev/null
    repeat: int = 1  # runs (or server sessions) in a row, all checked: what one leaves behind, the next meets


@dataclass
class Case:
    category: str
    name: str
    what: str
    setup: Callable[[Ctx], Plan]
    slow: bool = False  # expected to take long: started first
    # a documented limit longer than the run's bound (a file stalled until its time limit): the
    # case's bound is that limit plus a margin, so a run held up to the limit is no hang
    bound: Optional[float] = None


CASES: list[Case] = []


def case(category: str, name: str, what: str, slow: bool = False, bound: Optional[float] = None):
    assert category in CATEGORIES, category

    def deco(fn):
        CASES.append(Case(category, name, what, fn, slow, bound))
        return fn
    return deco


def add(category: str, name: str, what: str, setup: Callable[[Ctx], Plan], slow: bool = False,
        bound: Optional[float] = None) -> None:
    assert category in CATEGORIES, category
    CASES.append(Case(category, name, what, setup, slow, bound))


def lint(ctx: Ctx, *args: str, fmt: str = "json", expect=None, cache: bool = False, **kw) -> Plan:
    """``hotlint [--no-cache] -j 1 --format FMT ARGS`` in the project (``.`` when no path is given)."""
    argv = [HOTLINT] + ([] if cache else ["--no-cache"]) + ["-j", "1"]
    if fmt in ("json", "text", "github", "sarif"):
        argv += ["--format", fmt]
    argv += list(args) or ["."]
    if cache:
        ctx.uses_project_cache = True
    return Plan(argv=argv, fmt=fmt if fmt != "none" else "none", expect=EXPECT_U if expect is None else expect, **kw)


# --------------------------------------------------------------------------- running a process

@dataclass
class Outcome:
    rc: Optional[int]
    stdout: bytes
    stderr: bytes
    seconds: float
    limit: Optional[str] = None  # why the harness stopped it (time, memory, output)
    lsp: Optional[dict] = None


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _group_rss(pgid: int) -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += _rss(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return total


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Watch:
    """Stops a process group that runs past the bound, grows past the memory bound (its main
    process, or the whole group past four times that) or floods its output."""

    OUTPUT_LIMIT = 64 * 1024 * 1024

    def __init__(self, proc: subprocess.Popen, bound: float, memory: int, outputs=None):
        self.proc, self.bound, self.memory = proc, bound, memory
        self.outputs = outputs or (lambda: 0)  # bytes printed so far
        self.start = time.monotonic()
        self.limit: Optional[str] = None

    def check(self) -> bool:
        """Whether the process must be stopped now (``limit`` says why)."""
        elapsed = time.monotonic() - self.start
        if elapsed > self.bound:
            self.limit = f"still running after {self.bound:g} s"
        elif _rss(self.proc.pid) > self.memory:
            self.limit = f"hotlint's own process grew past {self.memory >> 20} MiB"
        elif int(elapsed * 10) % 5 == 0 and _group_rss(self.proc.pid) > 4 * self.memory:
            self.limit = f"its processes together grew past {4 * self.memory >> 20} MiB"
        elif self.outputs() > self.OUTPUT_LIMIT:
            self.limit = f"printed over {self.OUTPUT_LIMIT >> 20} MiB"
        if self.limit:
            _kill_group(self.proc.pid)
            return True
        return False


class Drain:
    """Reads a pipe to its end on a thread, keeping the first ``cap`` bytes and counting the rest."""

    def __init__(self, pipe, cap: int = 16 * 1024 * 1024):
        self.pipe, self.cap, self.size, self.chunks = pipe, cap, 0, []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                chunk = self.pipe.read1(1 << 16)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            if self.size < self.cap:
                self.chunks.append(chunk[: self.cap - self.size])
            self.size += len(chunk)

    def data(self) -> bytes:
        self.thread.join(timeout=10)
        return b"".join(self.chunks)


def run_process(argv, cwd: Path, env: dict, bound: float, memory: int, logs: Path, stdin_open: bool = False) -> Outcome:
    """Run ``argv`` with stdout and stderr on pipes (as CI and terminals give them: a worker that
    opens /dev/stdout writes into the same stream as the report), watched, in its own session."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if stdin_open else subprocess.DEVNULL, start_new_session=True)
    out, err = Drain(proc.stdout), Drain(proc.stderr)
    watch = Watch(proc, bound, memory, lambda: out.size + err.size)
    while proc.poll() is None:
        if watch.check():
            break
        time.sleep(0.05)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()
    _kill_group(proc.pid)  # workers or a fork server left behind (they may hold the pipes open)
    if proc.stdin:
        proc.stdin.close()
    seconds = time.monotonic() - watch.start
    stdout, stderr = out.data(), err.data()
    logs.with_suffix(".out").write_bytes(stdout)
    logs.with_suffix(".err").write_bytes(stderr)
    return Outcome(None if watch.limit else proc.returncode, stdout, stderr, seconds, watch.limit)


def _read_capped(path: Path, cap: int = 16 * 1024 * 1024) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(cap)


# --------------------------------------------------------------------------- the language server

class LspSession:
    """``hotlint lsp`` over its stdio pipes: framed JSON-RPC out, a reader thread in."""

    def __init__(self, ctx: Ctx, env: dict, bound: float, memory: int, logs: Path, argv=None):
        self.ctx = ctx
        self.err_path = logs.with_suffix(".err")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(argv or [HOTLINT, "lsp"], cwd=ctx.proj, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._err, start_new_session=True)
        self.watch = Watch(self.proc, bound, memory)
        self.deadline = time.monotonic() + bound
        self.cond = threading.Condition()
        self.responses: dict = {}
        self.notifications: list = []
        self.asked: dict = {}  # id -> method
        self.sent = 0  # messages written
        self.next_id = 0
        self.dead_early = False
        self.exit_sent = False
        self.write_failed = False
        self.wlock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._monitor, daemon=True).start()

    # plumbing
    def _monitor(self) -> None:
        while self.proc.poll() is None:
            if self.watch.check():
                with self.cond:
                    self.cond.notify_all()
                return
            time.sleep(0.1)
        with self.cond:
            self.cond.notify_all()

    def _read(self) -> None:
        f = self.proc.stdout
        while True:
            length = None
            while True:
                line = f.readline()
                if not line:
                    with self.cond:
                        self.cond.notify_all()
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        length = None
            if length is None:
                continue
            body = f.read(length)
            try:
                msg = json.loads(body)
            except ValueError:
                continue
            if isinstance(msg, dict) and "method" in msg and "id" in msg:
                self._answer_server_request(msg)
                continue
            with self.cond:
                if isinstance(msg, dict) and "id" in msg and "method" not in msg:
                    self.responses[msg["id"]] = msg
                else:
                    self.notifications.append(msg)
                self.cond.notify_all()

    def _answer_server_request(self, msg: dict) -> None:
        result = None
        if msg.get("method") == "workspace/configuration":
            result = [None] * len((msg.get("params") or {}).get("items") or [])
        self.write({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    def write_raw(self, data: bytes) -> None:
        with self.wlock:
            try:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                self.write_failed = True

    def write(self, obj) -> None:
        body = json.dumps(obj).encode()
        self.write_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_body(self, body: bytes, length: Optional[int] = None) -> None:
        """One framed message with any body (and any declared length)."""
        self.sent += 1
        self.write_raw(b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body)

    # messages
    def request(self, method: str, params=None) -> int:
        self.next_id += 1
        self.asked[self.next_id] = method
        self.sent += 1
        self.write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method: str, params=None) -> None:
        self.sent += 1
        self.write({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, predicate, until: Optional[float] = None) -> bool:
        until = min(until or self.deadline, self.deadline)
        with self.cond:
            while not predicate():
                left = until - time.monotonic()
                if left <= 0 or self.proc.poll() is not None or self.watch.limit:
                    return predicate()
                self.cond.wait(min(left, 0.2))
            return True

    def answer(self, msg_id: int, until: Optional[float] = None) -> Optional[dict]:
        self.wait(lambda: msg_id in self.responses, until)
        return self.responses.get(msg_id)

    def call(self, method: str, params=None) -> Optional[dict]:
        return self.answer(self.request(method, params))

    # LSP conveniences
    def uri(self, rel) -> str:
        return (self.ctx.proj / rel).as_uri() if not str(rel).startswith(("file:", "untitled:")) else str(rel)

    def initialize(self, init_options=None) -> Optional[dict]:
        caps = {"textDocument": {"publishDiagnostics": {}, "diagnostic": {}, "hover": {}, "codeAction": {}},
                "workspace": {"configuration": False}}
        reply = self.call("initialize", {"processId": None, "rootUri": self.ctx.proj.as_uri(),
                                         "capabilities": caps, "initializationOptions": init_options or {}})
        self.notify("initialized", {})
        return reply

    def open(self, rel, text: Optional[str] = None, language: str = "cpp", version: int = 1) -> str:
        uri = self.uri(rel)
        if text is None:
            with open(self.ctx.proj / rel, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language,
                                                              "version": version, "text": text}})
        return uri

    def published(self, uri: str) -> list:
        with self.cond:
            return [n for n in self.notifications if isinstance(n, dict)
                    and n.get("method") == "textDocument/publishDiagnostics"
                    and (n.get("params") or {}).get("uri") == uri]

    def wait_published(self, uri: str, rule: Optional[str] = None, until: Optional[float] = None) -> bool:
        """Until ``uri`` has diagnostics published (holding ``rule``, when given)."""
        def seen():
            for n in self.published(uri):
                codes = [d.get("code") for d in n["params"].get("diagnostics", [])]
                if codes and (rule is None or rule in codes):
                    return True
            return False
        return self.wait(seen, until)

    def messages(self) -> list:
        with self.cond:
            return [n for n in self.notifications if isinstance(n, dict)
                    and n.get("method") in ("window/showMessage", "window/logMessage")]

    def close(self) -> None:
        """shutdown, then exit; the process must end by itself."""
        if self.proc.poll() is not None:
            self.dead_early = not self.exit_sent
            return
        self.call("shutdown")
        self.exit_sent = True
        self.notify("exit")
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=max(1.0, min(15.0, self.deadline - time.monotonic() + 5)))
        except subprocess.TimeoutExpired:
            pass

    def finish(self) -> dict:
        alive = self.proc.poll() is None
        _kill_group(self.proc.pid)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._err.close()
        unanswered = [f"{m} (id {i})" for i, m in self.asked.items() if i not in self.responses]
        return {"unanswered": unanswered, "alive_after_exit": alive and self.exit_sent,
                "died": self.proc.returncode is not None and not self.exit_sent and not self.watch.limit,
                "rc": self.proc.returncode, "sent": self.sent, "limit": self.watch.limit}


def run_lsp(ctx: Ctx, plan: Plan, env: dict, bound: float, memory: int, logs: Path) -> Outcome:
    start = time.monotonic()
    sess = LspSession(ctx, env, bound, memory, logs, argv=plan.argv or None)
    error = None
    try:
        plan.lsp.script(sess)
        if not sess.write_failed:
            sess.close()
    except Exception as exc:  # a harness fault is reported, not hidden
        error = f"{type(exc).__name__}: {exc}"
    info = sess.finish()
    info["script_error"] = error
    info["published"] = [n["params"] for n in sess.notifications if isinstance(n, dict)
                         and n.get("method") == "textDocument/publishDiagnostics"]
    info["messages"] = [n["params"].get("message", "") for n in sess.messages()]
    return Outcome(info["rc"], b"", _read_capped(sess.err_path), time.monotonic() - start, info["limit"], lsp=info)


# --------------------------------------------------------------------------- file-tree snapshots

def snapshot(top: Path, skip: tuple, skip_inside: tuple = ()) -> dict:
    """Every entry below ``top`` (links and special files never opened), without following links;
    nothing at or below ``skip``, nothing below ``skip_inside``."""
    out = {}
    skip = tuple(os.fsencode(s) for s in skip)
    inside = tuple(os.fsencode(s) + b"/" for s in skip_inside)
    stack = [os.fsencode(top)]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            path = e.path
            if path.startswith(skip) and any(path == s or path.startswith(s + b"/") for s in skip):
                continue
            if inside and path.startswith(inside):
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                out[path] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[path] = ("dir", stat.S_IMODE(st.st_mode))
                stack.append(path)
            elif stat.S_ISREG(st.st_mode):
                out[path] = ("file", stat.S_IMODE(st.st_mode), st.st_size, _digest(path, st))
            else:
                out[path] = ("special", stat.S_IFMT(st.st_mode))
    return out


def _digest(path: bytes, st) -> str:
    if st.st_size > 4 * 1024 * 1024:  # big (often sparse) inputs: their identity is enough
        return f"{st.st_ino}:{st.st_mtime_ns}"
    h = hashlib.sha256()
    try:
        with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NONBLOCK)) as fh:
            h.update(fh.read())
    except OSError:
        return "unreadable"
    return h.hexdigest()


def shown(path: bytes, ctx: Ctx) -> str:
    rel = os.path.relpath(path, os.fsencode(ctx.dir))
    return ascii_safe(os.fsdecode(rel))


def ascii_safe(s: str, limit: int = 160) -> str:
    s = s.replace(ROOT[0], "$RT") if ROOT else s
    r = s.encode("ascii", "backslashreplace").decode().replace("\n", "\\n").replace("\r", "\\r")
    r = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", r)
    return r if len(r) <= limit else r[:limit] + "..."


def tree_changes(ctx: Ctx, before: dict, after: dict, allowed: dict) -> list:
    problems = []
    proj = os.fsencode(ctx.proj)
    for path in sorted(set(before) | set(after)):
        b, a = before.get(path), after.get(path)
        if b == a:
            continue
        p = Path(os.fsdecode(path))
        made_cache = b is None and a is not None and a[0] == "dir" and p == ctx.proj / ".hotlint_cache"
        if made_cache and ctx.uses_project_cache:
            continue  # the cache folder, made where the README says
        if p in allowed and a is not None and a[0] == "file":
            with open(path, "rb") as fh:
                data = fh.read()
            if data in allowed[p]:
                continue
        inside = path == proj or path.startswith(proj + b"/")
        name = shown(path, ctx)
        if b is None:
            problems.append(f"created {name}" + ("" if inside else " (outside the project)"))
        elif a is None:
            problems.append(f"deleted {name}")
        elif a[0] != b[0]:
            problems.append(f"{name} changed from {b[0]} to {a[0]}")
        elif a[0] == "file" and a[1] != b[1] and a[2:] == b[2:]:
            problems.append(f"changed the mode of {name} ({b[1]:o} -> {a[1]:o})")
        else:
            problems.append(f"overwrote {name}" + ("" if inside else " (outside the project)"))
    return problems


# --------------------------------------------------------------------------- reading the output

_UNSAFE_TEXT = re.compile("[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def unsafe_bytes(data: bytes, stream: str) -> list:
    """Bytes a terminal or a log would act on: C0 controls but tab and line feed, DEL, C1
    controls, bidirectional overrides, line separators, bytes that are not UTF-8."""
    problems = []
    m = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", data)
    if m:
        at = m.start()
        problems.append(f"raw control byte 0x{data[at]:02x} on {stream}: "
                        f"{ascii_safe(data[max(0, at - 40):at + 30].decode('utf-8', 'replace'), 90)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"bytes that are not UTF-8 on {stream} (0x{data[exc.start]:02x} at {exc.start})")
        text = data.decode("utf-8", "replace")
    m = _UNSAFE_TEXT.search(text)
    if m:
        problems.append(f"raw U+{ord(m.group()):04X} on {stream}: "
                        f"{ascii_safe(text[max(0, m.start() - 40):m.start() + 30], 90)}")
    return problems


def gh_parse(line: str):
    """A workflow command as GitHub's runner reads a log line (``TryParseV2`` then ``TryParse``):
    ``(syntax, name, info, data)`` or None."""
    s = line.lstrip()
    if s.startswith("::"):
        end = s.find("::", 2)
        if end >= 0:
            info = s[2:end]
            name = info.split(" ", 1)[0].lower()
            if name in GH_COMMANDS:
                return ("v2", name, info, s[end + 2:])
    at = line.find("##[")
    if at >= 0:
        rb = line.find("]", at)
        if rb >= 0:
            info = line[at + 3:rb]
            name = info.split(" ", 1)[0].lower()
            if name in GH_COMMANDS:
                return ("v1", name, info, line[rb + 1:])
    return None


def github_log(out: Outcome, fmt: str):
    """(forged commands, annotations GitHub would show) for the run's log: stderr (notes, said
    while files are prepared and analyzed) then stdout (the report, written last)."""
    forged, shown_annotations, stopped = [], [], None
    for stream, data in (("stderr", out.stderr), ("stdout", out.stdout)):
        for raw in data.decode("utf-8", "replace").split("\n"):
            line = raw.rstrip("\r")
            cmd = gh_parse(line)
            if cmd is None:
                continue
            syntax, name, info, data_ = cmd
            if stopped is not None:
                if name == stopped:
                    stopped = None
                continue
            own = (stream == "stdout" and fmt == "github" and syntax == "v2" and name in ("error", "warning", "notice")
                   and ",title=hotlint " in info)
            if not own:
                forged.append(f"{stream}: {ascii_safe(line, 100)}")
            if name == "stop-commands":
                stopped = data_.lower()
            elif name in ("error", "warning", "notice"):
                shown_annotations.append((info, data_))
    return forged, shown_annotations


def reported(out: Outcome, fmt: str) -> tuple[Optional[set], set]:
    """(findings as {(path, rule)}, or None when the output cannot be read; paths named in errors)."""
    text = out.stdout.decode("utf-8", "replace")
    findings, errors = set(), set()
    if fmt == "json":
        try:
            data = json.loads(out.stdout)
            findings = {(d["path"], d["rule"]) for d in data["diagnostics"]}
            errors = {e["path"] for e in data["errors"]}
        except (ValueError, KeyError, TypeError):
            return None, errors
    elif fmt == "sarif":
        try:
            run = json.loads(out.stdout)["runs"][0]
            for r in run["results"]:
                uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                findings.add((uri, r["ruleId"]))
            for n in run["invocations"][0]["toolExecutionNotifications"]:
                errors.add(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        except (ValueError, KeyError, TypeError, IndexError):
            return None, errors
    elif fmt == "github":
        _, annotations = github_log(out, fmt)
        for info, data_ in annotations:
            m = re.search(r"file=([^,]*)", info)
            path = m.group(1) if m else ""
            r = re.match(r"\[([a-z0-9-]+)\]", data_)
            if info.startswith("error") and ",title=hotlint " in info and not r:
                errors.add(path)
            if r:
                findings.add((path, r.group(1)))
    elif fmt == "text":
        for line in text.splitlines():
            m = re.match(r"^(.+?):\d+:\d+: (?:error|warning|info): .*\[([a-z0-9-]+)\]$", line)
            if m:
                findings.add((m.group(1), m.group(2)))
            m = re.match(r"^(.+?)(?::\d+:\d+)?: error: ", line)
            if m:
                errors.add(m.group(1))
    return findings, errors


# --------------------------------------------------------------------------- checking a run

@dataclass
class Result:
    case: Case
    failures: dict  # prop -> [descriptions]
    seconds: float
    command: str
    sent: int = 0
    note: str = ""
    harness_error: str = ""  # the harness itself failed on this case: nothing was learned about hotlint


def check(ctx: Ctx, plan: Plan, out: Outcome, before: dict, after: dict) -> dict:
    fails = {p: [] for p in PROPS}
    # 1. code
    ran = sorted(p.name for p in ctx.markers.iterdir())
    if ran:
        fails["code"].append(f"checkout code ran (markers: {', '.join(ran)})")
    if plan.post is not None:
        fails["code"].extend(plan.post())
    # 2. files
    changes = tree_changes(ctx, before, after, plan.allowed)
    if len(changes) > 3:
        changes = changes[:3] + [f"and {len(changes) - 3} more change(s) below the same folders"]
    fails["write"].extend(changes)
    # 4. hang / memory
    if out.limit:
        fails["hang"].append(f"stopped by the harness: {out.limit}")
    if plan.lsp is None:
        # 5. traceback
        if b"Traceback (most recent call last)" in out.stderr:
            # the first traceback's exception line (others may follow it: workers stopped on the way out)
            lines = out.stderr.decode("utf-8", "replace").split("Traceback (most recent call last)", 1)[1].splitlines()
            first = next((ln for ln in lines[1:] if ln and not ln.startswith((" ", "Traceback"))), "")
            fails["traceback"].append("Traceback on stderr: " + ascii_safe(first, 120))
        if out.rc is not None and out.rc not in (0, 1, 2, 3):
            fails["traceback"].append(f"exit status {out.rc}")
        # 6. output
        fails["output"].extend(unsafe_bytes(out.stdout, "stdout") + unsafe_bytes(out.stderr, "stderr"))
        forged, _ = github_log(out, plan.fmt)
        for f in forged[:2]:
            fails["output"].append(f"a GitHub workflow command hotlint did not mean to write: {f}")
        # 3. hidden (a run that crashed or was stopped is loud, not quiet)
        if plan.expect and out.limit is None and out.rc in (0, 1, 2) and not fails["traceback"] and plan.fmt != "none":
            found, errors = reported(out, plan.fmt)
            if found is None:
                fails["hidden"].append(f"the {plan.fmt} report on stdout cannot be read (exit {out.rc}), "
                                       "so no finding reaches its reader")
            else:
                for path, rule in plan.expect:
                    if (path, rule) not in found and not any(e == path or e.endswith("/" + path) for e in errors):
                        fails["hidden"].append(f"{rule} in {path} is not reported (exit {out.rc}), and no error "
                                               "names the file")
    else:
        info = out.lsp
        if info["died"]:
            fails["traceback"].append(f"the server died before exit (status {info['rc']})")
        if info["unanswered"] and not out.limit:
            fails["hang"].append(f"request(s) never answered within the bound: {', '.join(info['unanswered'][:3])}")
        elif info["unanswered"]:
            fails["hang"].append(f"unanswered: {', '.join(info['unanswered'][:3])}")
        if info["alive_after_exit"]:
            fails["hang"].append("the server was still running after exit")
        if info["script_error"]:
            raise RuntimeError(f"the LSP session script failed: {info['script_error']}")
        for m in info["messages"]:
            link = re.search(r"\]\((?:https?|command|file):", m)
            if link:
                shown_part = ascii_safe(m[max(0, link.start() - 50):link.end() + 40], 120)
                fails["output"].append(f"a message renders a link the checkout chose: ...{shown_part}...")
                break
        if plan.lsp.expect and not out.limit and not info["died"] and not info["unanswered"]:
            for rel, rule in plan.lsp.expect:
                uri = (ctx.proj / rel).as_uri()
                last = [p for p in info["published"] if p.get("uri") == uri]
                codes = [d.get("code") for d in (last[-1]["diagnostics"] if last else [])]
                if rule not in codes:
                    fails["hidden"].append(f"{rule} in {rel} is not among the published diagnostics ({codes[:4]})")
    return {p: v for p, v in fails.items() if v}


def describe_command(plan: Plan, ctx: Ctx) -> str:
    if plan.lsp is not None:
        where = ascii_safe(os.path.relpath(ctx.proj, ctx.dir.parent.parent))
        return f"cd {where} && hotlint lsp  (the session in case {ctx.name})"
    argv = [("hotlint" if a == HOTLINT else "python" if a == PYTHON else ascii_safe(str(a), 80)) for a in plan.argv]
    env = " ".join(f"{k}={ascii_safe(str(v), 60)}" for k, v in plan.env.items()
                   if v is not None and k.startswith("HOTLINT"))
    where = os.path.relpath(plan.cwd or ctx.proj, ctx.dir.parent.parent)
    return f"cd {ascii_safe(where)} && {env + ' ' if env else ''}{' '.join(argv)}"


def run_case(c: Case, root: Path, bound: float, memory: int) -> Result:
    start = time.monotonic()
    try:
        return _run_case(c, root, bound, memory, start)
    except Exception as exc:  # a fault of the harness: said apart from hotlint's failures
        return Result(c, {}, time.monotonic() - start, "", harness_error=f"{type(exc).__name__}: {exc}")


def _run_case(c: Case, root: Path, bound: float, memory: int, start: float) -> Result:
    ctx = Ctx(root, c.name)
    logs = root / "logs" / c.name
    plan = c.setup(ctx)
    env = ctx.env(**plan.env)
    cwd = plan.cwd or ctx.proj
    logs.with_name(f"{c.name}.env").write_text("".join(
        f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items())
        if k.startswith(("HOTLINT_", "XDG_", "PYTHON")) or k in ("HOME", "TMPDIR")))
    for n, argv in enumerate(plan.prime):
        run_process(argv, cwd, env, bound, memory, logs.with_name(f"{c.name}.prime{n}"))
    if plan.mutate is not None:
        plan.mutate()
    for p in ctx.markers.iterdir():  # planted code that priming ran is said by the run below too
        p.unlink()
    skip = tuple(str(s) for s in (ctx.tmp, ctx.cache, ctx.markers, ctx.dir / "xdg-cache" / "hotlint"))
    inside = (str(ctx.proj / ".hotlint_cache"),) if ctx.uses_project_cache else ()
    before = snapshot(ctx.dir, skip, inside)
    fails: dict = {}
    sent = 0
    for n in range(plan.repeat):
        log = logs if n == 0 else logs.with_name(f"{c.name}.run{n + 1}")
        if plan.lsp is not None:
            out = run_lsp(ctx, plan, env, bound, memory, log)
            sent += out.lsp["sent"]
        else:
            out = run_process(plan.argv, cwd, env, bound, memory, log, plan.stdin_open)
        after = snapshot(ctx.dir, skip, inside)
        tag = f"run {n + 1} of {plan.repeat}: " if plan.repeat > 1 else ""
        for prop, found in check(ctx, plan, out, before, after).items():
            fails.setdefault(prop, []).extend(tag + f.replace(str(root), "$RT") for f in found)
        for p in ctx.markers.iterdir():
            p.unlink()
        before = after
    return Result(c, fails, time.monotonic() - start, describe_command(plan, ctx), sent,
                  note=f"exit {out.rc}" if out.limit is None else out.limit)


# =========================================================================== the cases
# A case's setup builds the hostile checkout in ``ctx.proj`` (and what it aims at in ``ctx.outside``)
# and returns the ``Plan``: what to run there and what a clean run reports.

def plain(ctx: Ctx) -> None:
    ctx.u()


# --------------------------------------------------------------------------- config

def _cfg(name: str, what: str, body, filename: str = ".hotlint.toml", expect=None, extra=(), slow=False, files=None):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        if files:
            files(ctx)
        ctx.write(filename, body(ctx) if callable(body) else body)
        return lint(ctx, *extra, expect=expect)
    add("config", name, what, setup, slow)


def _pack_cfg(ctx: Ctx) -> str:
    ctx.rule_pack(ctx.proj / "tools" / "rules")
    return 'rule-paths = ["tools/rules"]\nselect = ["ALL"]\n'


_cfg("cfg-rule-paths-untrusted", "rule-paths in .hotlint.toml of an untrusted project", _pack_cfg)
_cfg("cfg-rule-paths-pyproject", "rule-paths in pyproject.toml [tool.hotlint]",
     lambda ctx: "[tool.hotlint]\n" + _pack_cfg(ctx), filename="pyproject.toml")
_cfg("cfg-rule-paths-file", "rule-paths naming one .py file", lambda ctx: (
    ctx.rule_pack(ctx.proj / "r"), 'rule-paths = ["r/pack_rules.py"]\n')[1])
_cfg("cfg-rule-paths-absolute", "rule-paths naming an absolute folder outside the checkout", lambda ctx: (
    ctx.rule_pack(ctx.outside / "pack"), f'rule-paths = ["{ctx.outside / "pack"}"]\n')[1])
_cfg("cfg-rule-paths-home", "rule-paths with ~ and .. reaching outside", lambda ctx: (
    ctx.rule_pack(ctx.outside / "p2"), 'rule-paths = ["../outside/p2", "~/x", "../../../../../../tmp"]\n')[1])
_cfg("cfg-rule-paths-select-pack-rule", "select names a rule only the skipped pack defines", lambda ctx: (
    _pack_cfg(ctx) + 'ignore = ["evil-rt"]\n[evil-rt]\nx = 1\n'))


@case("config", "cfg-rule-paths-above-root-trusted",
      "a configuration above the project root with rule-paths, the parent folder trusted by the user")
def _(ctx: Ctx) -> Plan:
    parent = ctx.proj
    sub = parent / "inner"
    (sub / ".git").mkdir(parents=True)
    ctx.write("inner/u.cpp", WASTEFUL)
    ctx.rule_pack(parent / "pack")
    ctx.write(".hotlint.toml", 'rule-paths = ["pack"]\n')
    p = lint(ctx, env={"HOTLINT_TRUSTED_FOLDERS": str(parent)})
    p.cwd = sub
    return p


@case("config", "cfg-rule-paths-trusted-prefix", "HOTLINT_TRUSTED_FOLDERS names proj-trusted; the checkout is proj")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write(".hotlint.toml", _pack_cfg(ctx))
    (ctx.dir / "proj-trusted").mkdir()
    return lint(ctx, env={"HOTLINT_TRUSTED_FOLDERS": f"{ctx.dir / 'proj-trusted'}:{ctx.dir / 'pro'}:"})


@case("config", "cfg-rule-paths-rules-subcommand", "`hotlint rules` in a checkout whose config has rule-paths")
def _(ctx: Ctx) -> Plan:
    ctx.write(".hotlint.toml", _pack_cfg(ctx))
    return Plan(argv=[HOTLINT, "rules", "--format", "json"], fmt="none")


@case("config", "cfg-rule-paths-rule-doc", "`hotlint rule padding-waste` in a checkout whose pyproject has rule-paths")
def _(ctx: Ctx) -> Plan:
    ctx.write("pyproject.toml", "[tool.hotlint]\n" + _pack_cfg(ctx))
    return Plan(argv=[HOTLINT, "rule", "padding-waste"], fmt="none")


for _n, _v in [("nan", "nan"), ("inf", "inf"), ("neg-inf", "-inf"), ("negative", "-1"), ("zero", "0"),
               ("string", '"60"'), ("bool", "true"), ("huge", "1e308"), ("array", "[1]"), ("table", "{a = 1}")]:
    _cfg(f"cfg-timeout-{_n}", f"timeout = {_v}", f"timeout = {_v}\n")
for _n, _v in [("zero", "0"), ("odd", "3"), ("huge", str(2 ** 62)), ("negative", "-64"), ("float", "64.0"),
               ("bool", "true"), ("nan", "nan")]:
    _cfg(f"cfg-line-size-{_n}", f"cache-line-size = {_v}", f"cache-line-size = {_v}\n")
_cfg("cfg-rule-option-nan", "a rule option set to nan", "[padding-waste]\nmin-bytes = nan\n")
_cfg("cfg-rule-option-inf", "a rule option set to inf", "[aos-layout]\nmin-record-size = inf\n")
_cfg("cfg-rule-option-fraction-nan", "a float rule option set to nan", "[aos-layout]\nmax-used-fraction = nan\n")
_cfg("cfg-rule-option-huge", "a rule option set to 2**63-1", f"[padding-waste]\nmin-bytes = {2 ** 63 - 1}\n",
     expect=[])
_cfg("cfg-unknown-key-escapes", "an unknown key holding OSC/ANSI escapes, a bidi override and a line break",
     json.dumps(f"key{ESC}{BIDI}\n::error::{TOKEN}") + " = 1\n")
_cfg("cfg-unknown-key-markup", "an unknown key holding rich markup", json.dumps(
    "[bold red]x[/] [link=https://rt.invalid]y[/link]") + " = 1\n")
_cfg("cfg-unknown-key-legacy-command", "an unknown key holding a `##[error]` workflow command",
     json.dumps(f"##[error]{TOKEN}") + " = 1\n")
_cfg("cfg-unknown-rule-table", "a table for a rule that does not exist", "[no-such-rule]\nx = 1\n")
_cfg("cfg-select-unknown", "select names an unknown rule", 'select = ["no-such-rule"]\n')
_cfg("cfg-select-weird-globs", "select/ignore with bracket globs", 'select = ["[", "*[!]*", "[]]"]\nignore = ["["]\n',
     expect=[])
_cfg("cfg-deep-arrays", "an array nested 100,000 deep", "x = " + "[" * 100000 + "]" * 100000 + "\n")
_cfg("cfg-deep-tables", "inline tables nested 20,000 deep", "x = " + "{a = " * 20000 + "1" + "}" * 20000 + "\n")
_cfg("cfg-huge-string", "extra-args holding a 900 KB define", 'extra-args = ["-DBIG=' + "A" * 900000 + '"]\n')
_cfg("cfg-over-limit", "a configuration of 1 MiB and one byte", "#" * (1024 * 1024) + "\n")
_cfg("cfg-many-unknown-keys", "30,000 keys", "".join(f"k{i} = {i}\n" for i in range(30000)))
_cfg("cfg-not-utf8", "a configuration that is not UTF-8", b"select = [\"\xff\xfe\"]\n")
_cfg("cfg-nul", "a configuration holding NUL bytes", b"select = [\"a\x00b\"]\n")
_cfg("cfg-bom", "a configuration starting with a byte-order mark", "\ufeffselect = [\"ALL\"]\n")
_cfg("cfg-tool-string", "`tool = \"hotlint\"` in .hotlint.toml", 'tool = "hotlint"\n')
_cfg("cfg-tool-list", "`tool = [\"hotlint\"]` in .hotlint.toml", 'tool = ["hotlint"]\n')
_cfg("cfg-tool-hotlint-int", "[tool] hotlint = 5 in .hotlint.toml", "[tool]\nhotlint = 5\n")
_cfg("cfg-pyproject-array-of-tables", "[[tool.hotlint]] in pyproject.toml", "[[tool.hotlint]]\nselect = []\n",
     filename="pyproject.toml")
_cfg("cfg-pyproject-tool-string", "tool = \"hotlint\" in pyproject.toml", 'tool = "hotlint"\n',
     filename="pyproject.toml")
_cfg("cfg-pyproject-invalid", "pyproject.toml that is not TOML", "[tool.hotlint\nselect = \n",
     filename="pyproject.toml")
_cfg("cfg-compile-commands-dev-zero", "compile-commands = \"/dev/zero\"", 'compile-commands = "/dev/zero"\n')
_cfg("cfg-compile-commands-fifo", "compile-commands naming a FIFO", 'compile-commands = "db.json"\n',
     files=lambda ctx: ctx.fifo("db.json"))
_cfg("cfg-compile-commands-missing", "compile-commands naming nothing", 'compile-commands = "nope/none"\n')
_cfg("cfg-compile-commands-nul", "compile-commands holding a NUL", 'compile-commands = "a\\u0000b"\n')
_cfg("cfg-exclude-weird", "exclude patterns that are brackets, ** and very long", 'exclude = ["[", "**/**/**", "'
     + "*a" * 2000 + '"]\n')
_cfg("cfg-hot-functions-pathological", "hot-functions glob with 30 stars against long names",
     'hot-functions = ["' + "*a" * 30 + 'b"]\n',
     files=lambda ctx: ctx.write("h.cpp", "void " + "a" * 4000 + "() { for (int i = 0; i < 9; ++i) {} }\n"))
_cfg("cfg-per-file-ignores-weird", "per-file-ignores keyed by '', '[' and '**'",
     '[per-file-ignores]\n"" = ["padding-waste"]\n"[" = ["padding-waste"]\n"**" = []\n')


def _fifo_cfg(name: str, filename: str):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        ctx.fifo(filename)
        return lint(ctx)
    add("config", name, f"{filename} is a FIFO", setup)


_fifo_cfg("cfg-fifo-hotlint-toml", ".hotlint.toml")
_fifo_cfg("cfg-fifo-pyproject", "pyproject.toml")


def _link_cfg(name: str, target: str, what: str):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        ctx.link(".hotlint.toml", target)
        return lint(ctx)
    add("config", name, what, setup)


_link_cfg("cfg-link-dev-zero", "/dev/zero", ".hotlint.toml -> /dev/zero")
_link_cfg("cfg-link-loop", ".hotlint.toml", ".hotlint.toml -> itself")
_link_cfg("cfg-link-etc", "/etc/passwd", ".hotlint.toml -> /etc/passwd")


@case("config", "cfg-directory", ".hotlint.toml and pyproject.toml are folders")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    (ctx.proj / ".hotlint.toml").mkdir()
    (ctx.proj / "pyproject.toml").mkdir()
    return lint(ctx)


@case("config", "cfg-user-config-in-checkout", "the checkout ships hotlint/config.toml trusting itself (XDG lookalike)")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write(".hotlint.toml", _pack_cfg(ctx))
    ctx.write(".config/hotlint/config.toml", f'trusted-folders = ["{ctx.proj}"]\n')
    return lint(ctx)


@case("config", "cfg-extra-args-writing-flags", "extra-args with every writing spelling the allow-list must drop")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write(".hotlint.toml", "extra-args = " + json.dumps(direct_writing_flags(ctx, "cfg")) + "\n")
    return lint(ctx)


@case("config", "cfg-exclude-80k-patterns", "exclude with 80,000 patterns over 40 files", slow=True)
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    for i in range(40):
        ctx.write(f"src/a/b/c/f{i}.cpp", f"int x{i};\n")
    patterns = json.dumps([f"p{i}*x" for i in range(80000)], separators=(",", ":"))
    ctx.write(".hotlint.toml", f"exclude = {patterns}\n")
    return lint(ctx)


@case("config", "cfg-per-file-ignores-30k", "per-file-ignores with 30,000 patterns over 40 files", slow=True)
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    for i in range(40):
        ctx.write(f"src/a/b/c/f{i}.cpp", f"int x{i};\n")
    table = "".join(f'"q{i}*x" = ["padding-waste"]\n' for i in range(30000))
    ctx.write(".hotlint.toml", "[per-file-ignores]\n" + table)
    return lint(ctx)


@case("config", "cfg-timeout-600-stalled-file",
      "timeout = 600 (over the documented cap) and one file that stalls its worker "
      "(#pragma clang __debug overflow_stack): held up to the cap, no longer",
      slow=True, bound=CONFIG_TIMEOUT_CAP + 30)
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write(".hotlint.toml", "timeout = 600\n")
    ctx.write("stall.cpp", "#pragma clang __debug overflow_stack\nint x;\n")
    return lint(ctx)


# --------------------------------------------------------------------------- compile databases and response files

def plugin_so(ctx: Ctx) -> str:
    """A shared object whose constructor leaves a marker (built when a C compiler exists)."""
    so = ctx.outside / "evil_plugin.so"
    if CC:
        src = ctx.outside / "evil_plugin.c"
        src.write_text('#include <stdio.h>\n__attribute__((constructor)) static void rt(void) {\n'
                       f'  FILE *f = fopen("{ctx.markers / "native_plugin"}", "w");\n'
                       '  if (f) { fputs("ran", f); fclose(f); }\n}\n')
        subprocess.run([CC, "-shared", "-fPIC", "-o", str(so), str(src)], capture_output=True)
    return str(so)


def direct_writing_flags(ctx: Ctx, tag: str) -> list:
    """Spellings libclang honours by writing, reading a configuration or loading code."""
    o = ctx.outside
    cfgdir = o / f"cfg-{tag}"
    cfgdir.mkdir(exist_ok=True)
    (cfgdir / "evil.cfg").write_text(f"-MJ{o / (tag + '-from-cfg.json')}\n-Xclang -dependency-file -Xclang "
                                     f"{o / (tag + '-from-cfg.d')} -Xclang -MT -Xclang x\n")
    so = plugin_so(ctx)
    return [
        "-MD", "-MF", str(o / f"{tag}-1.d"), "-MMD", f"-MF{o / (tag + '-2.d')}", "-MJ", str(o / f"{tag}-3.json"),
        f"-MJ{o / (tag + '-4.json')}", f"-Wp,-MD,{o / (tag + '-5.d')}", f"-Wp,-MMD,{o / (tag + '-6.d')}",
        "-Xclang", "-dependency-file", "-Xclang", str(o / f"{tag}-7.d"), "-Xclang", "-MT", "-Xclang", "x",
        "-Xclang=-dependency-file", f"-Xclang={o / (tag + '-8.d')}", "-Xclang=-MT", "-Xclang=x",
        f"--config={cfgdir / 'evil.cfg'}", "--config", str(cfgdir / "evil.cfg"), f"--config-user-dir={cfgdir}",
        "--config=evil.cfg", f"--config-system-dir={cfgdir}",
        "-fmodules", "-fcxx-modules", f"-fmodules-cache-path={o / (tag + '-modules')}", "-fimplicit-module-maps",
        f"-ftime-trace={o / (tag + '-trace.json')}", "-ftime-trace", "-save-stats=obj", f"-o{o / (tag + '.o')}",
        "-save-temps=obj", f"-fcrash-diagnostics-dir={o / (tag + '-crash')}",
        f"-fprofile-instr-generate={o / (tag + '.profraw')}", f"-fprofile-generate={o / (tag + '-prof')}",
        "--serialize-diagnostics", str(o / f"{tag}.dia"), "-Xclang", "-header-include-file", "-Xclang",
        str(o / f"{tag}-h.txt"), "-H", "-Xclang", "-dependency-dot", "-Xclang", str(o / f"{tag}.dot"),
        f"-fplugin={so}", "-Xclang", "-load", "-Xclang", so, f"-fpass-plugin={so}", "-Xclang=-load", f"-Xclang={so}",
        "-mllvm", f"-load={so}", f"-Wa,--MD,{o / (tag + '-as.d')}", f"-Wl,-Map,{o / (tag + '.map')}",
        "-fsave-optimization-record", f"-foptimization-record-file={o / (tag + '-opt.yaml')}",
        "-gsplit-dwarf", "-split-dwarf-file", str(o / f"{tag}.dwo"), f"-working-directory={o}",
        "-Xarch_x86_64", f"-MJ{o / (tag + '-9.json')}", "-Xpreprocessor", "-MD",
    ]


def _db_flags(name: str, what: str, flags: Callable[[Ctx], list], fmt="json", extra=(), expect=None, slow=False,
              before: Optional[Callable[[Ctx], None]] = None, post=None):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        if before:
            before(ctx)
        ctx.db_args(*flags(ctx))
        p = lint(ctx, *extra, fmt=fmt, expect=expect)
        if post:
            p.post = post(ctx)
        return p
    add("compile-db", name, what, setup, slow)


_SPELLINGS = {
    "md-mf": lambda o: ["-MD", "-MF", f"{o}/d1.d"], "mmd-mf-joined": lambda o: ["-MMD", f"-MF{o}/d2.d"],
    "mj": lambda o: ["-MJ", f"{o}/mj.json"], "mj-joined": lambda o: [f"-MJ{o}/mj2.json"],
    "wp-md": lambda o: [f"-Wp,-MD,{o}/wp.d"], "wp-mmd": lambda o: [f"-Wp,-MMD,{o}/wp2.d"],
    "xclang-depfile": lambda o: ["-Xclang", "-dependency-file", "-Xclang", f"{o}/x.d", "-Xclang", "-MT",
                                 "-Xclang", "x"],
    "xclang-eq-depfile": lambda o: ["-Xclang=-dependency-file", f"-Xclang={o}/x2.d", "-Xclang=-MT", "-Xclang=x"],
    "config-eq": lambda o: [f"--config={o}/c.cfg"], "config-sep": lambda o: ["--config", f"{o}/c.cfg"],
    "config-user-dir": lambda o: [f"--config-user-dir={o}", "--config=c.cfg"],
    "config-system-dir": lambda o: [f"--config-system-dir={o}", "--config", "c.cfg"],
    "modules": lambda o: ["-fmodules", "-fcxx-modules", f"-fmodules-cache-path={o}/mc", "-fimplicit-module-maps"],
    "time-trace": lambda o: [f"-ftime-trace={o}/tt.json", "-ftime-trace-granularity=0"],
    "save-stats": lambda o: ["-save-stats=obj", "-o", f"{o}/s.o"],
    "crash-dir": lambda o: [f"-fcrash-diagnostics-dir={o}/crash", "-gen-reproducer"],
    "profile": lambda o: [f"-fprofile-instr-generate={o}/p.profraw", f"-fprofile-generate={o}/pg"],
    "serialize-diags": lambda o: ["--serialize-diagnostics", f"{o}/d.dia"],
    "header-include-file": lambda o: ["-Xclang", "-header-include-file", "-Xclang", f"{o}/h.txt", "-H"],
    "dependency-dot": lambda o: ["-Xclang", "-dependency-dot", "-Xclang", f"{o}/g.dot"],
    "wa-wl": lambda o: [f"-Wa,--MD,{o}/as.d", f"-Wl,-Map,{o}/l.map", "-Xlinker", f"-Map={o}/l2.map"],
    "opt-record": lambda o: ["-fsave-optimization-record", f"-foptimization-record-file={o}/o.yaml"],
    "split-dwarf": lambda o: ["-gsplit-dwarf", "-split-dwarf-file", f"{o}/x.dwo"],
    "xarch": lambda o: ["-Xarch_x86_64", f"-MJ{o}/xa.json", "-Xarch_host", f"-MJ{o}/xh.json"],
    "xpreprocessor": lambda o: ["-Xpreprocessor", "-MD", "-Xpreprocessor", "-MF", "-Xpreprocessor", f"{o}/xp.d"],
    "working-directory": lambda o: [f"-working-directory={o}", "-MJrel.json"],
    "fsanitize-ignorelist": lambda o: [f"-fsanitize-ignorelist={o}/ign.txt", "-fsanitize=address",
                                       f"-fsanitize=/{o}/x"],
    "f-valued-path": lambda o: ["-fpack-struct=../../x", "-fvisibility=../x", f"-fno-builtin-/{o}"],
    "driver-mode-cl": lambda o: ["--driver-mode=cl", f"/Fo{o}/cl.obj", "/showIncludes", f"/clang:-MJ{o}/cl.json",
                                 f"-U/clang:-MJ{o}/cl2.json"],
    "d-u-values": lambda o: [f"-D-MJ{o}/d.json", "-U", f"-MJ{o}/u.json", "-x", "c++", "-D", f"-MJ{o}/d2.json"],
}


def _write_cfg_target(ctx: Ctx) -> None:
    (ctx.outside / "c.cfg").write_text(f"-MJ{ctx.outside / 'from-cfg.json'}\n")


for _name, _fn in _SPELLINGS.items():
    _db_flags(f"db-direct-{_name}", f"compile_commands.json arguments: {' '.join(_fn('<out>'))}",
              (lambda f: lambda ctx: f(str(ctx.outside)))(_fn), before=_write_cfg_target)

_db_flags("db-plugin-flags", "every plugin-loading spelling naming a real shared object (constructor leaves a marker)",
          lambda ctx: (lambda so: [f"-fplugin={so}", "-Xclang", "-load", "-Xclang", so, f"-fpass-plugin={so}",
                                   "-Xclang=-load", f"-Xclang={so}", "-Xclang", "-plugin", "-Xclang", "x",
                                   "-mllvm", f"-load={so}", "-fplugin-arg-x-y", "-Xclang", "-add-plugin",
                                   "-Xclang", "x", f"--load={so}"])(plugin_so(ctx)))


def _all_direct_via(name: str, what: str, route: str):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        flags = direct_writing_flags(ctx, route)
        if route == "command":
            ctx.db([{"directory": str(ctx.proj), "file": "u.cpp",
                     "command": "c++ " + " ".join(shlex.quote(f) for f in flags) + " -c u.cpp"}])
        elif route == "rsp":
            ctx.write("all.rsp", " ".join(json.dumps(f) for f in flags))
            ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "command": "c++ @all.rsp -c u.cpp"}])
        elif route == "build-dir":
            ctx.db([{"directory": "..", "file": "u.cpp", "arguments": ["c++", *flags, "-c", "u.cpp"]}],
                   where=ctx.proj / "build")
        elif route == "pyproject":
            ctx.write("pyproject.toml", "[tool.hotlint]\nextra-args = " + json.dumps(flags) + "\n")
        elif route == "config-db":
            ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "arguments": ["c++", *flags]}],
                   where=ctx.outside / "db")
            ctx.write(".hotlint.toml", f'compile-commands = "{ctx.outside / "db"}"\n')
        return lint(ctx)
    add("compile-db", name, what, setup)


_all_direct_via("db-direct-all-command", "every writing spelling in a `command` string", "command")
_all_direct_via("db-direct-all-rsp", "every writing spelling in an @response file", "rsp")
_all_direct_via("db-direct-all-build-dir", "every writing spelling in build/compile_commands.json", "build-dir")
_all_direct_via("db-direct-all-pyproject", "every writing spelling in pyproject extra-args", "pyproject")
_all_direct_via("db-direct-all-config-db", "every writing spelling in a database the config points outside to",
                "config-db")

# A flag kept "with its value" that clang does not read as taking one carries the next flag past
# the allow-list: -stdlib, -std and --target (clang knows -stdlib=, -std= and --target=).
CARRIERS = ("-stdlib", "-std", "--target")


def carry(carrier: str, *flags: str) -> list:
    out = []
    for f in flags:
        out += [carrier, f]
    return out


for _c in CARRIERS:
    _db_flags(f"db-carrier-{_c.strip('-')}-mj", f"{_c} -MJ<outside>/mj.json in compile_commands.json",
              (lambda c: lambda ctx: carry(c, f"-MJ{ctx.outside / 'mj.json'}"))(_c))
    _db_flags(f"db-carrier-{_c.strip('-')}-md-mf", f"{_c} -MD {_c} -MF<outside>/dep.d",
              (lambda c: lambda ctx: carry(c, "-MD", f"-MF{ctx.outside / 'dep.d'}"))(_c))


def _git_config_chain(ctx: Ctx):
    def post() -> list:
        if not GIT or not (ctx.proj / ".git" / "HEAD").exists():
            return []
        subprocess.run([GIT, "status", "--short"], cwd=ctx.proj, env=git_env(ctx), capture_output=True, timeout=60)
        if (ctx.markers / "git_fsmonitor").exists():
            for p in ctx.markers.iterdir():
                p.unlink()
            return ["`git status` afterwards ran the command hotlint's run wrote into .git/config (core.fsmonitor)"]
        return []
    return post


@case("compile-db", "db-carrier-git-config-fsmonitor",
      "-std -MD -std -MF.git/config -std '-MT[core] fsmonitor = <cmd>': overwrite .git/config, then `git status`")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.real_git()
    # git reads `[core] key = value` on one line, and clang's line wrap (` \\` and a line break) as a
    # continued value; no `;` or `#`, which would start a git comment
    ctx.db_args(*carry("-std", "-MD", "-MF.git/config",
                       f"-MT[core] fsmonitor = touch {ctx.markers / 'git_fsmonitor'} {ctx.markers / 'x'}"))
    p = lint(ctx)
    p.post = _git_config_chain(ctx)
    return p


TOML_LITERAL = "'" * 3  # opens a multi-line literal string in TOML


def trust_chain(ctx: Ctx) -> None:
    """A database whose flags write the user's ``hotlint/config.toml`` with ``trusted-folders = ["/", ...]``
    (a module cache makes the folder), and rule-paths that a trusted project loads."""
    user = ctx.dir / "xdg-config" / "hotlint"  # ~/.config/hotlint on a CI runner: the checkout can name it
    closer = "a" + "'" * 4 + "]"  # the last dependency's name closes the string the target opened, then the list
    ctx.write("m.inc", "inline int m() { return 1; }\n")
    ctx.write("module.modulemap", 'module m { header "m.inc" export * }\n')
    ctx.write(closer, "int a_;\n")
    ctx.write("u.cpp", f'#include "m.inc"\n#include "{closer}"\n' + WASTEFUL)
    ctx.write(".hotlint.toml", _pack_cfg(ctx))
    ctx.db_args(*carry("-stdlib", "-fmodules", "-fcxx-modules", f"-fmodules-cache-path={user}",
                       "-fimplicit-module-maps",
                       "-MD", f"-MF{user / 'config.toml'}", f'-MTtrusted-folders = ["/", {TOML_LITERAL}'))


@case("compile-db", "db-carrier-trust-chain",
      "run 1 writes the user's hotlint/config.toml (trusted-folders = [\"/\", ...]) through -stdlib -MF, a module "
      "cache making its folder; run 2 then loads the checkout's rule-paths")
def _(ctx: Ctx) -> Plan:
    trust_chain(ctx)
    p = lint(ctx)
    p.repeat = 2
    return p


@case("compile-db", "db-carrier-config-file",
      "-stdlib --config=<checkout>/evil.cfg: a clang config file the allow-list never sees")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write("evil.cfg", f"-MJ{ctx.outside / 'via-config.json'}\n-fplugin={plugin_so(ctx)}\n")
    ctx.db_args(*carry("-stdlib", f"--config={ctx.proj / 'evil.cfg'}"))
    return lint(ctx)


@case("compile-db", "db-carrier-modules", "-stdlib carrying -fmodules and a module cache outside, with a module map")
def _(ctx: Ctx) -> Plan:
    ctx.write("u.cpp", '#include "m.h"\n' + WASTEFUL)
    ctx.write("m.h", "inline int m() { return 1; }\n")
    ctx.write("module.modulemap", 'module m { header "m.h" export * }\n')
    ctx.db_args(*carry("-stdlib", "-fmodules", "-fcxx-modules", f"-fmodules-cache-path={ctx.outside / 'mcache'}",
                       "-fimplicit-module-maps"))
    return lint(ctx, expect=[("u.cpp", "padding-waste")])


# Streams are named /proc/self/fd/N here, never /dev/stdout: -MJ unlinks its path before writing, so
# `-MJ/dev/stdout` run as root replaces the system's /dev/stdout link with a file (see the next cases).
@case("compile-db", "db-carrier-json-stdout", "-stdlib -MJ/proc/self/fd/1: the report on stdout is no longer JSON")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.db_args(*carry("-stdlib", "-MJ/proc/self/fd/1"))
    return lint(ctx)


@case("compile-db", "db-carrier-mj-replaces-link",
      "-stdlib -MJ<outside>/stdout, a link to /proc/self/fd/1 as /dev/stdout is: -MJ unlinks it and makes a file")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.link("stdout", "/proc/self/fd/1", base=ctx.outside)
    ctx.db_args(*carry("-stdlib", f"-MJ{ctx.outside / 'stdout'}"))
    return lint(ctx)


@case("compile-db", "db-carrier-mj-deletes", "-stdlib -MJ<outside>/keep.txt: an existing file's contents replaced")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write("keep.txt", "precious\n", base=ctx.outside)
    ctx.db_args(*carry("-stdlib", f"-MJ{ctx.outside / 'keep.txt'}"))
    return lint(ctx)


@case("compile-db", "db-carrier-sarif-stdout", "-std -MD -std -MF/proc/self/fd/1 with --format sarif")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.db_args(*carry("-std", "-MD", "-MF/proc/self/fd/1"))
    return lint(ctx, fmt="sarif", expect=[("u.cpp", "padding-waste")])


@case("compile-db", "db-carrier-lost-source",
      "-stdlib -MD -stdlib -MFu.cpp: the dependency file over the source itself")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write("keep.cpp", "int keep;\n")
    ctx.db([{"directory": str(ctx.proj), "file": "keep.cpp",
             "arguments": ["c++", *carry("-stdlib", "-MD", f"-MF{ctx.proj / 'u.cpp'}"), "-c", "keep.cpp"]}])
    return lint(ctx, "keep.cpp", expect=[])


for _route in ("rsp", "extra-args", "pyproject", "command"):
    def _setup(ctx: Ctx, route=_route) -> Plan:
        plain(ctx)
        flags = carry("-stdlib", f"-MJ{ctx.outside / 'mj.json'}")
        if route == "rsp":
            ctx.write("c.rsp", " ".join(flags))
            ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "command": "c++ @c.rsp -c u.cpp"}])
        elif route == "extra-args":
            ctx.write(".hotlint.toml", "extra-args = " + json.dumps(flags) + "\n")
        elif route == "pyproject":
            ctx.write("pyproject.toml", "[tool.hotlint]\nextra-args = " + json.dumps(flags) + "\n")
        else:
            ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "command": "c++ " + " ".join(flags) + " -c u.cpp"}])
        return lint(ctx)
    add("compile-db", f"db-carrier-stdlib-via-{_route}", f"-stdlib -MJ<outside> through {_route}", _setup)


def _rsp_case(name: str, what: str, build: Callable[[Ctx], None], slow: bool = False):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        build(ctx)
        ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "command": "c++ @a.rsp -c u.cpp"}])
        return lint(ctx)
    add("compile-db", name, what, setup, slow)


_rsp_case("rsp-self-loop", "a.rsp holds @a.rsp", lambda ctx: ctx.write("a.rsp", "@a.rsp -DX"))
_rsp_case("rsp-pair-loop", "a.rsp -> b.rsp -> a.rsp",
          lambda ctx: (ctx.write("a.rsp", "@b.rsp"), ctx.write("b.rsp", "@a.rsp")))
_rsp_case("rsp-chain-6", "six response files deep", lambda ctx: [
    ctx.write(f"{c}.rsp", f"@{chr(ord(c) + 1)}.rsp -D{c}") for c in "abcdef"])
_rsp_case("rsp-fifo", "a.rsp is a FIFO", lambda ctx: ctx.fifo("a.rsp"))
_rsp_case("rsp-dev-zero", "a.rsp -> /dev/zero", lambda ctx: ctx.link("a.rsp", "/dev/zero"))
_rsp_case("rsp-dev-stdin", "a.rsp -> /dev/stdin", lambda ctx: ctx.link("a.rsp", "/dev/stdin"))
_rsp_case("rsp-huge", "a.rsp of 2 MiB", lambda ctx: ctx.write("a.rsp", "-DX " * (512 * 1024)))
_rsp_case("rsp-unbalanced", "a.rsp with an unbalanced quote", lambda ctx: ctx.write("a.rsp", '-DX "unterminated'))
_rsp_case("rsp-not-utf8", "a.rsp that is not UTF-8", lambda ctx: ctx.write("a.rsp", b"-D\xff\xfe -I\xc3"))
_rsp_case("rsp-directory", "a.rsp is a folder", lambda ctx: (ctx.proj / "a.rsp").mkdir())
_rsp_case("rsp-missing", "a.rsp does not exist", lambda ctx: None)
_rsp_case("rsp-proc-environ", "a.rsp -> /proc/self/environ", lambda ctx: ctx.link("a.rsp", "/proc/self/environ"))
_rsp_case("rsp-newline-flags", "a.rsp defines with line breaks and workflow commands", lambda ctx: ctx.write(
    "a.rsp", f"'-DX=1\n::error::{TOKEN}' '-I\n##[error]{TOKEN}'"))
def fan_out(ctx: Ctx, width: int = 200) -> None:
    """a.rsp names b.rsp ``width`` times, b.rsp c.rsp, c.rsp d.rsp (empty): width**3 reads, 1.6 KB in all."""
    for this, nxt in (("a", "b"), ("b", "c"), ("c", "d")):
        ctx.write(f"{this}.rsp", " ".join([f"@{nxt}.rsp"] * width))
    ctx.write("d.rsp", "")


_rsp_case("rsp-fan-out", "response files that each name the next 200 times (200^3 reads, nothing deep)", fan_out,
          slow=True)


def _db_file(name: str, what: str, build: Callable[[Ctx], None], args=(), slow=False, expect=None):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        build(ctx)
        return lint(ctx, *args, expect=expect)
    add("compile-db", name, what, setup, slow)


_db_file("db-fifo", "compile_commands.json is a FIFO", lambda ctx: ctx.fifo("compile_commands.json"))
_db_file("db-dev-zero", "compile_commands.json -> /dev/zero",
         lambda ctx: ctx.link("compile_commands.json", "/dev/zero"))
_db_file("db-loop", "compile_commands.json -> itself",
         lambda ctx: ctx.link("compile_commands.json", "compile_commands.json"))
_db_file("db-directory", "compile_commands.json is a folder", lambda ctx: (ctx.proj / "compile_commands.json").mkdir())
_db_file("db-build-fifo", "build/compile_commands.json is a FIFO", lambda ctx: ctx.fifo("build/compile_commands.json"))
_db_file("db-sparse-600m", "a sparse compile_commands.json of 600 MiB",
         lambda ctx: os.truncate(ctx.write("compile_commands.json", "["), 600 * 1024 * 1024))
_db_file("db-deep-json", "an array nested 200,000 deep", lambda ctx: ctx.write(
    "compile_commands.json", "[" * 200000 + "]" * 200000))
_db_file("db-not-utf8", "a database that is not UTF-8",
         lambda ctx: ctx.write("compile_commands.json", b'[{"file":"\xff"}]'))
_db_file("db-not-a-list", "a database that is an object", lambda ctx: ctx.write("compile_commands.json", '{"a": 1}'))
_db_file("db-weird-entries", "entries with wrong types, nulls, empty arguments and unbalanced quotes",
         lambda ctx: ctx.db([
    5, None, [], {"file": 1, "directory": 2}, {"file": "u.cpp", "directory": None, "arguments": []},
    {"file": "u.cpp", "directory": ".", "arguments": "c++ -c u.cpp"},
    {"file": "u.cpp", "directory": ".", "command": 'c++ "x'},
    {"file": "u.cpp", "directory": ".", "arguments": [None, 1.5, {"a": []}, ["x"], True]},
    {"file": "u.cpp", "directory": ".", "arguments": []}]))
_db_file("db-surrogates", "arguments holding lone surrogates and NULs", lambda ctx: ctx.db([
    {"file": "u.cpp", "directory": str(ctx.proj),
     "arguments": ["c++", "-D\ud800X", "-I\udcff", "-DA\u0000B", "u.cpp"]}]))
_db_file("db-directory-escape", "entries whose directory climbs to / and whose file is /etc/passwd",
         lambda ctx: ctx.db([
    {"file": "/etc/passwd", "directory": "../../../../../../../..",
     "arguments": ["c++", "-MJ" + str(ctx.outside / "x")]},
    {"file": "u.cpp", "directory": "../" * 30, "arguments": ["c++"]}]))
_db_file("db-huge-argument", "one 20 MB -D argument", lambda ctx: ctx.db_args("-DBIG=" + "A" * 20_000_000))
_db_file("db-nul-file-header", "an entry whose file holds a NUL, and a header to lint", lambda ctx: (
    ctx.write("h.h", "int h;\n"),
    ctx.db([{"directory": ".", "file": "a\u0000.cpp", "arguments": ["c++", "-c", "a.cpp"]}])),
    args=("u.cpp", "h.h"))
_db_file("db-include-dev-zero", "-include /dev/zero (and -imacros) in the flags, with --timeout 20",
         lambda ctx: ctx.db_args(
    "-include", "/dev/zero", "-imacros", "/dev/zero"), args=("--timeout", "20", "."))
_db_file("db-include-fifo", "-include <FIFO> in the flags, with --timeout 10", lambda ctx: (
    ctx.fifo("f.h"), ctx.db_args("-include", str(ctx.proj / "f.h"))), args=("--timeout", "10", "."))
_db_file("db-zeros", "a 24 MB database of 12 million zeros (each is an entry that is skipped)", lambda ctx: ctx.write(
    "compile_commands.json", "[" + ",".join(["0"] * 12_000_000) + "]"), slow=True)


@case("compile-db", "db-header-lookup-300k", "a 300,000-entry database and 80 headers that no entry names", slow=True)
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    for i in range(80):
        ctx.write(f"inc/h{i}.h", f"int h{i};\n")
    entries = [{"directory": ".", "file": f"src/d{i % 1000}/f{i}.cpp", "arguments": ["c++", "-c", "x.cpp"]}
               for i in range(300_000)]
    entries.append({"directory": str(ctx.proj), "file": "u.cpp", "arguments": ["c++", "-c", "u.cpp"]})
    ctx.write("compile_commands.json", json.dumps(entries, separators=(",", ":")))
    return lint(ctx)


# --------------------------------------------------------------------------- source trees

def _tree(name: str, what: str, build: Callable[[Ctx], None], args=(), fmt="json", expect=None, slow=False,
          stdin_open=False):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        build(ctx)
        p = lint(ctx, *args, fmt=fmt, expect=expect)
        p.stdin_open = stdin_open
        return p
    add("source-tree", name, what, setup, slow)


def _sock(ctx: Ctx, rel: str) -> None:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(ctx.proj / rel))
    finally:
        s.close()


_tree("tree-fifo", "a FIFO named x.cpp", lambda ctx: ctx.fifo("x.cpp"))
_tree("tree-fifo-header", "a FIFO named x.h", lambda ctx: ctx.fifo("x.h"))
_tree("tree-dev-zero", "z.cpp -> /dev/zero", lambda ctx: ctx.link("z.cpp", "/dev/zero"))
_tree("tree-dev-urandom", "r.cpp -> /dev/urandom", lambda ctx: ctx.link("r.cpp", "/dev/urandom"))
_tree("tree-dev-stdin", "s.cpp -> /dev/stdin, stdin an open pipe", lambda ctx: ctx.link("s.cpp", "/dev/stdin"),
      stdin_open=True)
_tree("tree-dev-tty", "t.cpp -> /dev/tty", lambda ctx: ctx.link("t.cpp", "/dev/tty"))
_tree("tree-socket", "a Unix socket named k.cpp", lambda ctx: _sock(ctx, "k.cpp"))
_tree("tree-link-loop", "a.cpp -> a.cpp", lambda ctx: ctx.link("a.cpp", "a.cpp"))
_tree("tree-link-pair", "a.cpp -> b.cpp -> a.cpp", lambda ctx: (ctx.link("a.cpp", "b.cpp"), ctx.link("b.cpp", "a.cpp")))
_tree("tree-dir-loop", "a folder link to its parent and to /",
      lambda ctx: (ctx.link("loop", "."), ctx.link("root", "/")))
_tree("tree-link-outside", "o.cpp -> a file outside the checkout", lambda ctx: (
    ctx.write("secret.cpp", WASTEFUL, base=ctx.outside), ctx.link("o.cpp", "../outside/secret.cpp")))
_tree("tree-link-etc", "p.cpp -> /etc/passwd", lambda ctx: ctx.link("p.cpp", "/etc/passwd"))
_tree("tree-link-proc", "m.cpp -> /proc/self/mem, e.cpp -> /proc/self/environ", lambda ctx: (
    ctx.link("m.cpp", "/proc/self/mem"), ctx.link("e.cpp", "/proc/self/environ")))
_tree("tree-sparse-huge", "a sparse 17 MiB source",
      lambda ctx: os.truncate(ctx.write("big.cpp", "int x;\n"), 17 * 1024 * 1024))
_tree("tree-binary", "a source full of NUL bytes", lambda ctx: ctx.write("bin.cpp", b"\x00" * 5000))
_tree("tree-not-utf8", "a source that is Latin-1", lambda ctx: ctx.write("l1.cpp", b"// caf\xe9\nint x;\n"))
_tree("tree-empty-2000", "2,000 empty sources", lambda ctx: [ctx.write(f"e/{i}.cpp", "") for i in range(2000)])
_tree("tree-include-dev-zero", "#include \"/dev/zero\", with --timeout 20",
      lambda ctx: ctx.write("z.cpp", '#include "/dev/zero"\n'), args=("--timeout", "20", "."))
_tree("tree-include-fifo", "#include of a FIFO, with --timeout 10", lambda ctx: (
    ctx.fifo("f.h"), ctx.write("i.cpp", '#include "f.h"\nint x;\n')), args=("--timeout", "10", "."))
_tree("tree-include-dev-stdin", "#include \"/dev/stdin\", stdin an open pipe, with --timeout 10",
      lambda ctx: ctx.write("i.cpp", '#include "/dev/stdin"\nint x;\n'), args=("--timeout", "10", "."), stdin_open=True)
_tree("tree-include-loop", "a header that includes itself", lambda ctx: (
    ctx.write("l.h", '#include "l.h"\n'), ctx.write("i.cpp", '#include "l.h"\nint x;\n')))
_tree("tree-include-link-loop", "#include of a symlink loop", lambda ctx: (
    ctx.link("q.h", "q.h"), ctx.write("i.cpp", '#include "q.h"\nint x;\n')))
_tree("tree-exponential-types", "type names that double 24 times", lambda ctx: ctx.write("e.cpp", "\n".join(
    ["template<class A, class B> struct P { char c; A a; B b; };", "using T0 = P<char, double>;"]
    + [f"using T{i} = P<T{i - 1}, T{i - 1}>;" for i in range(1, 25)] + ["T24 *p;", "int n = sizeof(T10);"]) + "\n"),
      args=("--timeout", "30", "."))
_tree("tree-deep-brackets", "100,000 nested parentheses with -fbracket-depth=1000000, --timeout 20", lambda ctx: (
    ctx.write("d.cpp", "int x = " + "(" * 100000 + "1" + ")" * 100000 + ";\n"),
    ctx.write(".hotlint.toml", 'extra-args = ["-fbracket-depth=1000000"]\n')), args=("--timeout", "20", "."))
_tree("tree-deep-templates", "recursive templates with -ftemplate-depth=100000, --timeout 20", lambda ctx: (
    ctx.write("t.cpp", "template<int N> struct R { static const int v = R<N - 1>::v + 1; };\n"
                       "template<> struct R<0> { static const int v = 0; };\nint x = R<90000>::v;\n"),
    ctx.write(".hotlint.toml", 'extra-args = ["-ftemplate-depth=100000"]\n')), args=("--timeout", "20", "."))
_tree("tree-constexpr-forever", "an endless constexpr loop with -fconstexpr-steps=2147483647, --timeout 15",
      lambda ctx: (
    ctx.write("c.cpp", "constexpr int f() { int i = 0; while (true) ++i; return i; }\nconstexpr int x = f();\n"),
    ctx.write(".hotlint.toml", 'extra-args = ["-fconstexpr-steps=2147483647"]\n')), args=("--timeout", "15", "."))
_tree("tree-debug-crash", "#pragma clang __debug crash",
      lambda ctx: ctx.write("c.cpp", "#pragma clang __debug crash\n"))
_tree("tree-debug-fatal", "#pragma clang __debug llvm_fatal_error", lambda ctx: ctx.write(
    "c.cpp", "#pragma clang __debug llvm_fatal_error\n"))
_tree("tree-debug-overflow", "#pragma clang __debug overflow_stack, with --timeout 10", lambda ctx: ctx.write(
    "c.cpp", "#pragma clang __debug overflow_stack\n"), args=("--timeout", "10", "."))
_tree("tree-big-source", "a 15 MiB source of declarations, --timeout 30", lambda ctx: ctx.write(
    "big.cpp", "".join(f"int v{i};\n" for i in range(1_100_000))), args=("--timeout", "30", "."))


@case("source-tree", "tree-deep-folders", "sources 1,100 folders deep")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    d = ctx.proj / "d"
    d.mkdir()
    fd = os.open(d, os.O_RDONLY)
    try:
        for _ in range(1100):
            os.mkdir("d", dir_fd=fd)
            nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        wfd = os.open("x.cpp", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(wfd, b"int x;\n")
        os.close(wfd)
    finally:
        os.close(fd)
    return lint(ctx)


for _n, _name in [("newline", "a\nb.cpp"), ("escape", f"x{ESC}.cpp"), ("bidi", f"x{BIDI}.cpp"),
                  ("brackets", "[bold red]x[/] [link=https://rt.invalid]y[/link].cpp"), ("dash", "--fix.cpp"),
                  ("percent", "%0A%1B.cpp"), ("colon", "a.cpp:1:1: error: forged.cpp"), ("nonutf8", "caf\udce9.cpp"),
                  ("crlf", "a\r\n.cpp")]:
    _tree(f"tree-name-{_n}", f"a source named {ascii_safe(_name)} (WASTEFUL)",
          (lambda nm: lambda ctx: ctx.write(nm, WASTEFUL))(_name))


# --------------------------------------------------------------------------- the cache

def _cache(name: str, what: str, build: Callable[[Ctx], None], prime: bool = False, mutate=None, expect=None):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        build(ctx)
        p = lint(ctx, cache=True, expect=expect)
        if prime:
            p.prime = [p.argv]
        if mutate:
            p.mutate = lambda: mutate(ctx)
        return p
    add("cache", name, what, setup)


def _entries(ctx: Ctx) -> dict:
    """path of the linted file -> its cache entry file."""
    out = {}
    for sub in (ctx.proj / ".hotlint_cache").glob("??/*.json"):
        try:
            out[json.loads(sub.read_text())["entry"]["result"]["path"]] = sub
        except (ValueError, KeyError, OSError):
            pass
    return out


def _swap_entry(ctx: Ctx, how: Callable[[Path, Path], None]) -> None:
    e = _entries(ctx)
    u = e.get(str(ctx.proj / "u.cpp"))
    if u is None:
        raise RuntimeError("priming wrote no cache entry for u.cpp")
    how(u, e.get(str(ctx.proj / "e.cpp")))


def _forge(u: Path, other: Optional[Path]) -> None:
    data = json.loads(u.read_text())
    data["entry"]["result"]["diagnostics"] = []
    u.write_text(json.dumps(data))


def _copy_other(u: Path, other: Optional[Path]) -> None:
    data = json.loads(other.read_text())
    data["entry"]["result"]["path"] = json.loads(u.read_text())["entry"]["result"]["path"]
    u.write_text(json.dumps(data))


def _replace_with(fn):
    def how(u: Path, other) -> None:
        u.unlink()
        fn(u)
    return how


_cache("cache-symlinked-folder", ".hotlint_cache -> a folder outside", lambda ctx: (
    (ctx.outside / "cachedir").mkdir(), ctx.link(".hotlint_cache", "../outside/cachedir")))
_cache("cache-symlinked-subfolders", "all 256 two-hex folders in .hotlint_cache link outside", lambda ctx: [
    ((ctx.outside / f"c{i:02x}").mkdir(), ctx.link(f".hotlint_cache/{i:02x}", f"../../outside/c{i:02x}"))
    for i in range(256)])
_cache("cache-tag-link", ".hotlint_cache/CACHEDIR.TAG and .gitignore link to files outside", lambda ctx: (
    ctx.write("victim1", "keep me\n", base=ctx.outside), ctx.write("victim2", "keep me too\n", base=ctx.outside),
    ctx.link(".hotlint_cache/CACHEDIR.TAG", "../../outside/victim1"),
    ctx.link(".hotlint_cache/.gitignore", "../../outside/victim2")))
_cache("cache-tag-dangling", ".hotlint_cache/CACHEDIR.TAG dangles to outside/new", lambda ctx: (
    ctx.link(".hotlint_cache/CACHEDIR.TAG", "../../outside/new-file")))
_cache("cache-is-file", ".hotlint_cache is a file", lambda ctx: ctx.write(".hotlint_cache", "x"))
_cache("cache-is-fifo", ".hotlint_cache is a FIFO", lambda ctx: ctx.fifo(".hotlint_cache"))
_cache("cache-forged-entry", "u.cpp's entry edited to hold no findings (MAC left as it was)", lambda ctx: None,
       prime=True, mutate=lambda ctx: _swap_entry(ctx, _forge))
_cache("cache-entry-of-another-file", "u.cpp's entry replaced by the valid entry of a file without findings",
       lambda ctx: ctx.write("e.cpp", "int e;\n"), prime=True, mutate=lambda ctx: _swap_entry(ctx, _copy_other))
_cache("cache-entry-fifo", "u.cpp's entry replaced by a FIFO", lambda ctx: None, prime=True,
       mutate=lambda ctx: _swap_entry(ctx, _replace_with(os.mkfifo)))
_cache("cache-entry-dev-zero", "u.cpp's entry -> /dev/zero", lambda ctx: None, prime=True,
       mutate=lambda ctx: _swap_entry(ctx, _replace_with(lambda p: os.symlink("/dev/zero", p))))
_cache("cache-entry-outside-link", "u.cpp's entry -> a file outside (must stay as it is)", lambda ctx: ctx.write(
    "victim", "keep me\n", base=ctx.outside), prime=True,
    mutate=lambda ctx: _swap_entry(ctx, _replace_with(lambda p: os.symlink(ctx.outside / "victim", p))))
_cache("cache-entry-huge", "u.cpp's entry is a sparse 70 MiB file", lambda ctx: None, prime=True,
       mutate=lambda ctx: _swap_entry(ctx, _replace_with(lambda p: (p.write_bytes(b"{"), os.truncate(p, 70 << 20)))))
_cache("cache-entry-deep", "u.cpp's entry is JSON nested 200,000 deep", lambda ctx: None, prime=True,
       mutate=lambda ctx: _swap_entry(ctx, _replace_with(lambda p: p.write_text("[" * 200000 + "]" * 200000))))
_cache("cache-entry-folder", "u.cpp's entry is a folder", lambda ctx: None, prime=True,
       mutate=lambda ctx: _swap_entry(ctx, _replace_with(lambda p: p.mkdir())))


def _shadow(ctx: Ctx) -> None:
    ctx.write("u.cpp", '#include "t.h"\nstruct Wasteful {\n  char a;\n  T b;\n  char c;\n};\nWasteful w[8];\n')
    ctx.write("inc2/t.h", "using T = char;\n")
    ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "arguments": ["c++", "-Iinc1", "-Iinc2", "-c", "u.cpp"]}])


_cache("cache-stale-shadowing-header",
       "a clean run is cached; then a header earlier on the include path shadows the one read (T becomes double)",
       _shadow, prime=True, mutate=lambda ctx: ctx.write("inc1/t.h", "using T = double;\n"))


def _has_include(ctx: Ctx) -> None:
    ctx.write("u.cpp", '#if __has_include("opt.h")\n#include "opt.h"\n#else\nusing T = char;\n#endif\n'
                       'struct Wasteful {\n  char a;\n  T b;\n  char c;\n};\nWasteful w[8];\n')


_cache("cache-stale-has-include", "a clean run is cached; then the header __has_include asked about appears",
       _has_include, prime=True, mutate=lambda ctx: ctx.write("opt.h", "using T = double;\n"))


# --------------------------------------------------------------------------- --fix

def _fix(name: str, what: str, build: Callable[[Ctx], dict], args=("--fix",), expect=()):
    def setup(ctx: Ctx) -> Plan:
        allowed = build(ctx) or {}
        p = lint(ctx, *args, ".", fmt="text", expect=list(expect))
        p.allowed = {k: {WASTEFUL.encode(), REORDERED.encode()} for k in allowed}
        return p
    add("fix", name, what, setup)


_fix("fix-plain", "--fix on WASTEFUL (control: u.cpp may be rewritten)", lambda ctx: {ctx.u(): 1})
_fix("fix-link-inside", "l.cpp -> u.cpp inside the project", lambda ctx: (ctx.link("l.cpp", "u.cpp"), {ctx.u(): 1})[1])
_fix("fix-link-outside", "o.cpp -> ../outside/victim.cpp", lambda ctx: (
    ctx.write("victim.cpp", WASTEFUL, base=ctx.outside), ctx.link("o.cpp", "../outside/victim.cpp"), {})[2])
_fix("fix-link-chain-outside", "a.cpp -> b.cpp -> ../outside/victim.cpp", lambda ctx: (
    ctx.write("victim.cpp", WASTEFUL, base=ctx.outside), ctx.link("b.cpp", "../outside/victim.cpp"),
    ctx.link("a.cpp", "b.cpp"), {})[3])
_fix("fix-link-absolute-outside", "o.cpp -> /abs/outside/victim.cpp", lambda ctx: (
    ctx.write("victim.cpp", WASTEFUL, base=ctx.outside), ctx.link("o.cpp", str(ctx.outside / "victim.cpp")), {})[2])
_fix("fix-dir-link-outside", "sub -> ../outside (a folder link)", lambda ctx: (
    ctx.write("victim.cpp", WASTEFUL, base=ctx.outside), ctx.link("sub", "../outside"), {})[2])
_fix("fix-hardlink-outside", "h.cpp is a hard link to ../outside/victim.cpp", lambda ctx: (
    ctx.write("victim.cpp", WASTEFUL, base=ctx.outside),
    os.link(ctx.outside / "victim.cpp", ctx.proj / "h.cpp"), {})[2])
_fix("fix-hardlink-inside", "h.cpp and u.cpp are hard links of one file", lambda ctx: (
    {ctx.u(): 1, (os.link(ctx.proj / "u.cpp", ctx.proj / "h.cpp"), ctx.proj / "h.cpp")[1]: 1}))


def _readonly_file(ctx: Ctx) -> dict:
    os.chmod(ctx.u(), 0o444)
    return {}


def _readonly_dir(ctx: Ctx) -> dict:
    ctx.write("ro/r.cpp", WASTEFUL)
    os.chmod(ctx.proj / "ro", 0o555)
    return {}


_fix("fix-readonly-file", "u.cpp has mode 0444", _readonly_file)
_fix("fix-readonly-folder", "ro/ has mode 0555", _readonly_dir)
_fix("fix-readonly-target", "l.cpp -> ro.cpp (mode 0444)", lambda ctx: (
    os.chmod(ctx.write("ro.cpp", WASTEFUL), 0o444), ctx.link("l.cpp", "ro.cpp"), {})[2])
_fix("fix-fifo", "--fix with a FIFO named x.cpp", lambda ctx: (ctx.fifo("x.cpp"), {ctx.u(): 1})[1])
_fix("fix-diff", "--diff (nothing may be written)", lambda ctx: (ctx.u(), {})[1], args=("--diff",))
_fix("fix-show-fixes", "--show-fixes (nothing may be written)", lambda ctx: (ctx.u(), {})[1], args=("--show-fixes",))
_fix("fix-unsafe", "--fix --unsafe-fixes with a link outside", lambda ctx: (
    ctx.write("victim.cpp", WASTEFUL, base=ctx.outside), ctx.link("o.cpp", "../outside/victim.cpp"), {ctx.u(): 1})[2],
     args=("--fix", "--unsafe-fixes"))


# --------------------------------------------------------------------------- planted modules

def _planted(name: str, what: str, modules, runner: str = "script", env=None, args=None, dist=False, expect=None,
             category: str = "planted"):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        ctx.write("v.cpp", WASTEFUL)
        for m in modules:
            ctx.plant_module(m)
        if dist:
            ctx.plant_dist_info()
        if runner == "module":
            argv = [PYTHON, "-m", "hotlint", "--no-cache", "--format", "json", "."]
        else:
            argv = [HOTLINT] + list(args or ["--no-cache", "-j", "2", "--format", "json", "."])
        fmt = "json" if "json" in argv else "none"
        fixable = {ctx.proj / "u.cpp": {WASTEFUL.encode(), REORDERED.encode()},
                   ctx.proj / "v.cpp": {WASTEFUL.encode(), REORDERED.encode()}}
        return Plan(argv=argv, env=dict(env or {}), fmt=fmt, allowed=fixable if "--fix" in argv else {},
                    expect=(EXPECT_U + [("v.cpp", "padding-waste")]) if expect is None else expect)
    add(category, name, what, setup)


for _m in PLANTED_MODULES + PLANTED_PACKAGES:
    _planted(f"plant-{_m}", f"{_m}{'/' if _m in PLANTED_PACKAGES else '.py'} in the working directory (console script)",
             [_m])
_planted("plant-dist-info", "an evil *.dist-info registering a hotlint.rules entry point", [], dist=True)
_planted("plant-dist-info-module", "an evil *.dist-info, with `python -m hotlint`", [], runner="module", dist=True)
_planted("plant-dist-info-module-forkserver",
         "an evil *.dist-info, `python -m hotlint`, HOTLINT_START_METHOD=forkserver",
         [], runner="module", dist=True, env={"HOTLINT_START_METHOD": "forkserver"})
_planted("plant-all-forkserver", "every module and the dist-info, HOTLINT_START_METHOD=forkserver",
         PLANTED_MODULES + PLANTED_PACKAGES, env={"HOTLINT_START_METHOD": "forkserver"}, dist=True)
_planted("plant-all-spawn",
         "every module and the dist-info, HOTLINT_START_METHOD=spawn (the macOS and Windows default)",
         PLANTED_MODULES + PLANTED_PACKAGES, env={"HOTLINT_START_METHOD": "spawn"}, dist=True)
_planted("plant-multiprocessing-spawn", "multiprocessing/ alone, HOTLINT_START_METHOD=spawn", ["multiprocessing"],
         env={"HOTLINT_START_METHOD": "spawn"})
_planted("plant-all-fork-fix", "every module, `hotlint --fix`", PLANTED_MODULES + PLANTED_PACKAGES,
         args=["--no-cache", "--fix", "."], expect=[])
_planted("plant-all-rules", "every module and the dist-info, `hotlint rules`", PLANTED_MODULES + PLANTED_PACKAGES,
         args=["rules"], dist=True, expect=[])
_planted("plant-all-rule-doc", "every module, `hotlint rule false-sharing`", PLANTED_MODULES + PLANTED_PACKAGES,
         args=["rule", "false-sharing"], expect=[])
_planted("plant-all-cache", "every module, with the cache on", PLANTED_MODULES + PLANTED_PACKAGES,
         args=["-j", "2", "--format", "json", "."])


@case("planted", "plant-pth-and-customize",
      "an evil .pth, sitecustomize.py and usercustomize.py in the working directory")
def _(ctx: Ctx) -> Plan:
    plain(ctx)
    ctx.write("evil.pth", f"import os; {ctx.marker_code('pth').strip()}\n")
    ctx.plant_module("sitecustomize")
    ctx.plant_module("usercustomize")
    return lint(ctx)


# --------------------------------------------------------------------------- the language server

def _lsp(name: str, what: str, build: Callable[[Ctx], None], script: Callable, expect=None, env=None, slow=False,
         init=None, module=False, repeat=1, bound=None):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        build(ctx)
        argv = [PYTHON, "-m", "hotlint", "lsp"] if module else []
        return Plan(argv=argv, env=dict(env or {}), repeat=repeat, lsp=LspPlan(
            script=script, init_options=init, expect=EXPECT_U if expect is None else expect))
    add("lsp", name, what, setup, slow, bound)


def basic_session(extra: Optional[Callable[[LspSession], None]] = None, settle: float = 30.0):
    """initialize, open u.cpp, wait for its diagnostics, then pull, hover and code actions on it
    (each must be answered), then ``extra``."""
    def script(s: LspSession) -> None:
        s.initialize({"debounce": 0})
        uri = s.open("u.cpp")
        s.wait_published(uri, until=time.monotonic() + settle)
        s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        s.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 9}})
        s.call("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {
            "start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 0}}, "context": {"diagnostics": []}})
        if extra:
            extra(s)
    return script


def pull(s: LspSession, rel) -> Optional[dict]:
    return s.call("textDocument/diagnostic", {"textDocument": {"uri": s.uri(rel)}})


_lsp("lsp-planted-all", "server cwd in a checkout with every planted module and the dist-info",
     lambda ctx: ([ctx.plant_module(m) for m in PLANTED_MODULES + PLANTED_PACKAGES], ctx.plant_dist_info()),
     basic_session())
_lsp("lsp-planted-dist-info-module", "`python -m hotlint lsp` with a planted dist-info",
     lambda ctx: ctx.plant_dist_info(),
     basic_session(), module=True)
_lsp("lsp-rule-paths-untrusted", "server in a checkout whose config has rule-paths", lambda ctx: ctx.write(
    ".hotlint.toml", _pack_cfg(ctx)), basic_session())
_lsp("lsp-db-direct-spellings", "every writing spelling in the checkout's compile_commands.json",
     lambda ctx: ctx.db_args(*direct_writing_flags(ctx, "lsp")), basic_session())
_lsp("lsp-db-carrier-mj", "-stdlib -MJ<outside> in the checkout's compile_commands.json",
     lambda ctx: ctx.db_args(*carry("-stdlib", f"-MJ{ctx.outside / 'lsp-mj.json'}")), basic_session())
_lsp("lsp-db-carrier-trust-chain", "the trust chain through the server: session 1 writes the user's config, "
     "session 2 (the folder opened again) loads the checkout's rule-paths", trust_chain, basic_session(), repeat=2)
_lsp("lsp-db-carrier-git-config", "-std -MD -std -MF<.git/config> in the checkout's compile_commands.json",
     lambda ctx: ctx.db_args(*carry("-std", "-MD", f"-MF{ctx.proj / '.git' / 'config'}")), basic_session())


def _weird_files(ctx: Ctx) -> list:
    ctx.fifo("fifo.cpp")
    ctx.link("zero.cpp", "/dev/zero")
    ctx.link("loop.cpp", "loop.cpp")
    ctx.link("stdin.cpp", "/dev/stdin")
    (ctx.proj / "dir.cpp").mkdir()
    ctx.write("caf\udce9.cpp", WASTEFUL)
    ctx.write("nl\nx.cpp", WASTEFUL)
    ctx.write(f"esc{ESC}.cpp", WASTEFUL)
    os.truncate(ctx.write("huge.cpp", ""), 17 << 20)
    ctx.write("nul.cpp", b"int\x00x;")
    _sock(ctx, "sock.cpp")
    return ["fifo.cpp", "zero.cpp", "loop.cpp", "stdin.cpp", "dir.cpp", "caf\udce9.cpp", "nl\nx.cpp", f"esc{ESC}.cpp",
            "huge.cpp", "nul.cpp", "sock.cpp", "missing.cpp"]


def _pull_weird(s: LspSession) -> None:
    for rel in WEIRD:
        pull(s, rel)
    for uri in ("file:///%00", "file:///dev/zero", "file:///proc/self/environ", "file:///" + "a" * 5000 + ".cpp",
                "file://host/etc/passwd", "untitled:Untitled-1", "file:///dev/stdin", "file:relative.cpp"):
        pull(s, uri)


WEIRD = ["fifo.cpp", "zero.cpp", "loop.cpp", "stdin.cpp", "dir.cpp", "caf\udce9.cpp", "nl\nx.cpp", f"esc{ESC}.cpp",
         "huge.cpp", "nul.cpp", "sock.cpp", "missing.cpp"]
_lsp("lsp-pull-weird-files", "pull diagnostics for FIFOs, devices, loops, folders, sockets and odd names",
     _weird_files, basic_session(_pull_weird))


def _open_weird(s: LspSession) -> None:
    for rel in WEIRD:
        s.open(rel, text=WASTEFUL)
    s.open("file:///%00/x.cpp", text=WASTEFUL)
    s.open("untitled:Untitled-7", text=WASTEFUL)
    for rel in WEIRD[:4]:
        s.call("textDocument/hover", {"textDocument": {"uri": s.uri(rel)}, "position": {"line": 0, "character": 9}})


_lsp("lsp-open-weird-files", "didOpen (with text) for FIFOs, devices, loops, folders and odd names, then hover",
     _weird_files, basic_session(_open_weird))


def _include_then_other(header_setup: Callable[[Ctx], None], timeout: str):
    def build(ctx: Ctx) -> None:
        header_setup(ctx)
        ctx.write(".hotlint.toml", f"timeout = {timeout}\n")

    def script(s: LspSession) -> None:
        s.initialize({"debounce": 0})
        s.open("i.cpp")
        time.sleep(0.5)
        uri = s.open("u.cpp")
        s.wait_published(uri, "padding-waste")
        s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        s.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 9}})
    return build, script


for _n, _hs, _t, _what, _slow, _bound in [
    ("lsp-include-fifo", lambda ctx: (ctx.fifo("f.h"), ctx.write("i.cpp", '#include "f.h"\nint x;\n')), "10",
     "a document including a FIFO (timeout = 10), then another document", False, None),
    ("lsp-include-dev-stdin", lambda ctx: ctx.write("i.cpp", '#include "/dev/stdin"\nint x;\n'), "10",
     "a document including /dev/stdin (the worker's request pipe; timeout = 10), then another document", False, None),
    ("lsp-include-dev-zero", lambda ctx: ctx.write("i.cpp", '#include "/dev/zero"\nint x;\n'), "20",
     "a document including /dev/zero (timeout = 20), then another document", False, None),
    ("lsp-stalled-file-timeout-600", lambda ctx: ctx.write("i.cpp", "#pragma clang __debug overflow_stack\nint x;\n"),
     "600", "timeout = 600 (over the editor's cap) and a document that stalls the worker "
     "(#pragma clang __debug overflow_stack), then another: held up to the cap, no longer", True,
     EDITOR_TIMEOUT_CAP + 30),
]:
    _b, _s = _include_then_other(_hs, _t)
    _lsp(_n, _what, _b, _s, slow=_slow, bound=_bound)

_lsp("lsp-rsp-fan-out", "response files naming the next 200 times, in the checkout's database",
     lambda ctx: (fan_out(ctx),
                  ctx.db([{"directory": str(ctx.proj), "file": "u.cpp", "command": "c++ @a.rsp -c u.cpp"}])),
     basic_session(), slow=True)
_lsp("lsp-db-zeros", "a 24 MB database of 12 million zeros", lambda ctx: ctx.write(
    "compile_commands.json", "[" + ",".join(["0"] * 12_000_000) + "]"), basic_session(), slow=True)
_lsp("lsp-config-tool-string", "`tool = \"hotlint\"` in .hotlint.toml",
     lambda ctx: ctx.write(".hotlint.toml", 'tool = "hotlint"\n'),
     basic_session(), expect=[])
_lsp("lsp-db-nul-header", "an entry whose file holds a NUL, and a header opened", lambda ctx: (
    ctx.write("h.h", "int h;\n"), ctx.db([{"directory": ".", "file": "a\u0000.cpp", "arguments": ["c++"]}])),
     basic_session(lambda s: (s.open("h.h"), pull(s, "h.h"))))
_lsp("lsp-unknown-key-link", "an unknown config key that is a Markdown link (the error goes to window/showMessage)",
     lambda ctx: ctx.write(".hotlint.toml", '"[Update hotlint now](https://rt.invalid/update)" = 1\n'),
     basic_session(), expect=[])
_lsp("lsp-debug-crash", "a document with #pragma clang __debug crash, then the others", lambda ctx: ctx.write(
    "c.cpp", "#pragma clang __debug crash\n"),
     basic_session(lambda s: (s.open("c.cpp"), pull(s, "c.cpp"), pull(s, "u.cpp"))))


def _fuzz(s: LspSession) -> None:
    """Checkout-driven messages: every odd file of the checkout through every document method,
    with positions, ranges and versions that do not fit, and bodies that are not messages."""
    rels = WEIRD + ["u.cpp", "compile_commands.json", ".hotlint.toml", "../outside/x.cpp", "/etc/passwd"]
    uris = []
    for rel in rels:
        uri = s.uri(rel) if not rel.startswith("/") else "file://" + rel
        uris += [uri, uri.replace("file:///", "file://localhost/"), uri.replace("%", "%25").replace(".cpp", "%2Ecpp")]
    for uri in uris:
        doc = {"uri": uri}
        s.request("textDocument/diagnostic", {"textDocument": doc})  # from disk: not open yet
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "cpp", "version": 1,
                                                           "text": "#include \"loop.cpp\"\n" + WASTEFUL}})
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 99, "character": 99}, "end": {"line": 0, "character": 0}}, "text": "x"}]})
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": -5}, "contentChanges": [
            {"text": '#include "dir.cpp"\n#include "missing.h"\n' + WASTEFUL}]})
        for line, char in ((0, 9), (-1, -1), (10 ** 9, 10 ** 9), (2 ** 31, 0)):
            s.request("textDocument/hover", {"textDocument": doc, "position": {"line": line, "character": char}})
        s.request("textDocument/codeAction", {"textDocument": doc, "range": {"start": {"line": 5, "character": 0},
                                                                            "end": {"line": 0, "character": 0}},
                                              "context": {"diagnostics": [], "only": ["refactor.rewrite", "x"]}})
        s.request("textDocument/diagnostic", {"textDocument": doc, "previousResultId": "0:0"})
        s.request("textDocument/diagnostic", {"textDocument": doc, "identifier": 5})
        s.request("textDocument/hover", {"textDocument": {"uri": 12}, "position": {}})
        s.notify("textDocument/didSave", {"textDocument": doc})
        s.notify("textDocument/didClose", {"textDocument": doc})
        s.request("textDocument/diagnostic", {"textDocument": doc})
    s.notify("workspace/didChangeConfiguration", {"settings": {"hotlint": {
        "compileCommands": "fifo.cpp", "extraArgs": carry("-stdlib", "-H") + ["@zero.cpp"], "config": "zero.cpp",
        "select": 5, "debounce": -1, "cacheLineSize": 3}}})
    s.request("textDocument/diagnostic", {"textDocument": {"uri": s.uri("u.cpp")}})
    for body in (b"{", b"[]", b"null", b'{"jsonrpc": "2.0", "method": 5, "id": 1}', b"\xff\xfe",
                 b'{"jsonrpc": "2.0", "id": 99999, "method": "textDocument/hover", "params": {"textDocument": '
                 b'{"uri": "file:///%00"}, "position": {"line": 0, "character": 0}}}', b'{"jsonrpc":"1.0"}',
                 b"[" * 5000):
        s.send_body(body)
    s.asked[99999] = "textDocument/hover (raw body)"
    # a length far too large: the next message's header ends it
    s.send_body(b'{"jsonrpc": "2.0", "method": "x"}', length=10 ** 9)
    s.notify("workspace/didChangeConfiguration", {"settings": {"hotlint": {}}})
    uri = s.open("u.cpp", version=1000)
    s.wait_published(uri, "padding-waste")
    s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})


_lsp("lsp-checkout-fuzz", "~800 messages naming every odd file of a checkout through every document method",
     _weird_files, basic_session(_fuzz))


# --------------------------------------------------------------------------- output

def _out(name: str, what: str, build: Callable[[Ctx], None], fmt="text", args=(), expect=None):
    def setup(ctx: Ctx) -> Plan:
        plain(ctx)
        build(ctx)
        return lint(ctx, *args, fmt=fmt, expect=expect)
    add("output", name, what, setup)


_ESC_SRC = f"struct Wasteful {{ // {ESC}{BIDI} \u009b31m\n  char a;\n  double b;\n  char c;\n}};\nWasteful w[8];\n"
for _f in ("text", "json", "sarif", "github"):
    _out(f"out-escapes-in-source-{_f}", f"OSC/ANSI/C1/bidi in a comment on the finding's line, --format {_f}",
         lambda ctx: ctx.write("u.cpp", _ESC_SRC), fmt=_f)
    _out(f"out-newline-name-{_f}", f"a file named with a line break and ::error::, --format {_f}",
         lambda ctx: ctx.write(f"n\n::error file=u.cpp::{TOKEN}\n.cpp", WASTEFUL), fmt=_f)
    _out(f"out-nonutf8-name-{_f}", f"a Latin-1 file name, --format {_f}",
         lambda ctx: ctx.write("caf\udce9.cpp", WASTEFUL), fmt=_f)
    _out(f"out-escape-name-{_f}", f"a file named with OSC/ANSI escapes, --format {_f}",
         lambda ctx: ctx.write(f"e{ESC}.cpp", WASTEFUL), fmt=_f)
    _out(f"out-flags-escapes-{_f}", f"-D values with escapes and line breaks in the database, -v, --format {_f}",
         lambda ctx: ctx.db_args(f"-DX={ESC}", f"-DY=a\n::error::{TOKEN}", f"-I{ESC}dir"), fmt=_f, args=("-v", "."))
_out("out-error-directive-escapes", "#error with escapes (a parse error message)", lambda ctx: ctx.write(
    "e.cpp", f"#error {ESC} hello\n"))
_out("out-markup-names", "file names and flags holding rich markup", lambda ctx: (
    ctx.write("[bold red]x[/][link=https://rt.invalid]y[/link].cpp", WASTEFUL),
    ctx.db_args("-D[blink]X[/blink]")), args=("-v", "."))
_out("out-statistics-escapes", "--statistics with escapes in names", lambda ctx: ctx.write(f"s{ESC}.cpp", WASTEFUL),
     args=("--statistics", "."), expect=[])
_out("out-diff-escapes", "--diff with escapes in the source", lambda ctx: ctx.write("u.cpp", _ESC_SRC),
     args=("--diff", "."), expect=[])
_out("out-show-fixes-escapes", "--show-fixes with escapes in the source", lambda ctx: ctx.write("u.cpp", _ESC_SRC),
     args=("--show-fixes", "."), expect=[])
_out("out-legacy-command-in-source", "a comment `##[error]...` on the finding's line (the code frame shows it)",
     lambda ctx: ctx.write("u.cpp", WASTEFUL.replace("struct Wasteful {", f"struct Wasteful {{ // ##[error]{TOKEN}")))
_out("out-legacy-command-in-error", "`#error ##[error]...` (a parse error message), text format",
     lambda ctx: ctx.write("e.cpp", f"#error ##[error]{TOKEN}\n"))
_out("out-legacy-stop-commands-name",
     "an empty file named `##[stop-commands]rt.cpp` (a note names it), --format github",
     lambda ctx: ctx.write("##[stop-commands]rt.cpp", ""), fmt="github")
_out("out-legacy-stop-commands-error-name", "a FIFO named `##[stop-commands]rt.cpp` (an error names it), text format",
     lambda ctx: ctx.fifo("##[stop-commands]rt.cpp"))
_out("out-command-in-diff", "a C++ line `::error::x = 1; // ...` shown as diff context by --diff",
     lambda ctx: ctx.write("u.cpp", "namespace error { int x; }\n" + WASTEFUL.replace(
         "};\n", f"}}; void f() {{\n  ::error::x = 1;  // {TOKEN}\n}}\n")), args=("--diff", "."), expect=[])
_out("out-debug-macro-pragma", "#pragma clang __debug macro on a macro whose body holds escapes",
     lambda ctx: ctx.write("d.cpp", f'#define EVIL "{ESC}"\n#pragma clang __debug macro EVIL\nint x;\n'))
_out("out-crash-file-name",
     "a file named `\\n::stop-commands::rt\\n##[error]rt` that crashes libclang, --format github",
     lambda ctx: ctx.write(f"c\n::stop-commands::{TOKEN}\n##[error]{TOKEN}{ESC}.cpp", "#pragma clang __debug crash\n"),
     fmt="github")
_out("out-crash-flag-escapes", "a crash with -D values holding escapes (libclang's crash report prints the arguments)",
     lambda ctx: (ctx.write("c.cpp", "#pragma clang __debug crash\n"),
                  ctx.db([{"directory": str(ctx.proj), "file": "c.cpp", "arguments": ["c++", f"-DX={ESC}", "c.cpp"]}])))
_out("out-carrier-header-names", "-stdlib -H with a header named with escapes (clang prints each header read)",
     lambda ctx: (ctx.write(f"h{ESC}.h", "int y;\n"), ctx.write("i.cpp", f'#include "h{ESC}.h"\nint x;\n'),
                  ctx.db([{"directory": str(ctx.proj), "file": "i.cpp",
                           "arguments": ["c++", "-stdlib", "-H", "i.cpp"]}])))
_out("out-carrier-stop-commands", "-stdlib -MF/proc/self/fd/1 -stdlib -MT::stop-commands::rt, --format github",
     lambda ctx: ctx.db_args(*carry("-stdlib", "-MD", "-MF/proc/self/fd/1", f"-MT::stop-commands::{TOKEN}")),
     fmt="github")
_out("out-carrier-verbose", "-stdlib -v with an include folder named with escapes",
     lambda ctx: ctx.db_args(*carry("-stdlib", "-v"), f"-I{ctx.proj / ('inc' + ESC)}"))
@case("output", "out-rules-escapes", "`hotlint rules` with a configuration key holding escapes and ##[error]")
def _(ctx: Ctx) -> Plan:
    ctx.write(".hotlint.toml", json.dumps(f"k{ESC}##[error]{TOKEN}") + " = 1\n")
    return Plan(argv=[HOTLINT, "rules"], fmt="none")


# =========================================================================== running it all

GUARDED = ("/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/fd", "/dev/null", "/dev/zero")


def guarded_state() -> dict:
    """The system paths hostile flags aim at, as they are (the harness checks it left them so)."""
    out = {}
    for p in GUARDED:
        try:
            st = os.lstat(p)
            out[p] = (stat.S_IFMT(st.st_mode), os.readlink(p) if stat.S_ISLNK(st.st_mode) else None)
        except OSError:
            out[p] = None
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Hostile checkouts against the real hotlint; see the module docstring.")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every input with its outcome")
    ap.add_argument("--only", default="", help="comma-separated substrings of case names to run")
    ap.add_argument("--bound", type=float, default=60.0, help="seconds a run may take (default 60)")
    ap.add_argument("--memory", type=int, default=2048, help="MiB hotlint's own process may use (default 2048)")
    ap.add_argument("--jobs", type=int, default=3, help="cases run at once (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ns = ap.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("red_team: needs Linux (/proc, FIFOs, sessions)", file=sys.stderr)
        return 2
    wanted = [w for w in ns.only.split(",") if w]
    exact = {w for w in wanted if any(c.name == w for c in CASES)}  # a whole name selects that case alone
    cases = [c for c in CASES if not wanted or c.name in exact or any(w in c.name for w in wanted if w not in exact)]
    names = [c.name for c in CASES]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"duplicate case names: {dupes}"
    if ns.list:
        for c in cases:
            print(f"{c.category:12} {c.name:40} {c.what}")
        return 0
    root = Path(tempfile.mkdtemp(prefix="hotlint-redteam-"))
    ROOT[:] = [str(root)]
    (root / "logs").mkdir()
    print(f"red_team: {len(cases)} hostile inputs; hotlint {HOTLINT}; bound {ns.bound:g} s, memory "
          f"{ns.memory} MiB; {ns.jobs} at a time", flush=True)
    started = time.monotonic()
    guarded = guarded_state()
    results: list[Result] = []
    order = sorted(cases, key=lambda c: not c.slow)
    lock = threading.Lock()

    def one(c: Case) -> Result:
        r = run_case(c, root, max(ns.bound, c.bound or 0), ns.memory << 20)
        if ns.verbose:
            with lock:
                state = "FAIL " + ",".join(PROP_TITLES[p] for p in r.failures) if r.failures else "ok"
                state = f"HARNESS ERROR {r.harness_error}" if r.harness_error else state
                print(f"  {c.category:12} {c.name:44} {r.seconds:6.1f} s  {r.note:28} {state}  -- {c.what}", flush=True)
        return r

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, ns.jobs)) as pool:
            for r in pool.map(one, order):
                results.append(r)
    finally:
        if ns.keep:
            print(f"red_team: kept {root}")
        else:
            _remove(root)
    elapsed = time.monotonic() - started
    results.sort(key=lambda r: (CATEGORIES.index(r.case.category), r.case.name))
    code = report(results, elapsed)
    changed = [p for p, v in guarded_state().items() if v != guarded.get(p)]
    if changed:
        print(f"red_team: WARNING: {', '.join(changed)} changed during the run (a case reached outside its folder)")
        return 1
    return code


def report(results: list, elapsed: float) -> int:
    head = f"{'category':12} {'tried':>5}  " + "  ".join(f"{PROP_TITLES[p]:>12}" for p in PROPS) + f"  {'failing':>7}"
    print()
    print(head)
    print("-" * len(head))
    totals = {p: 0 for p in PROPS}
    tried = failing = 0
    for cat in CATEGORIES:
        rs = [r for r in results if r.case.category == cat]
        if not rs:
            continue
        counts = {p: sum(1 for r in rs if p in r.failures) for p in PROPS}
        nfail = sum(1 for r in rs if r.failures)
        print(f"{cat:12} {len(rs):>5}  " + "  ".join(f"{counts[p]:>12}" for p in PROPS) + f"  {nfail:>7}")
        for p in PROPS:
            totals[p] += counts[p]
        tried += len(rs)
        failing += nfail
    print("-" * len(head))
    print(f"{'total':12} {tried:>5}  " + "  ".join(f"{totals[p]:>12}" for p in PROPS) + f"  {failing:>7}")
    sent = sum(r.sent for r in results)
    print(f"\n{tried} hostile inputs in {elapsed:.0f} s; {sent} messages sent to language servers; "
          f"{failing} input(s) broke at least one property.")
    fails = [(r, p, d) for r in results for p in PROPS for d in r.failures.get(p, [])]
    broken = [r for r in results if r.harness_error]
    if broken:
        print(f"\n{len(broken)} case(s) could not be run by the harness (not counted above):")
        for r in broken:
            print(f"HARNESS {r.case.category}/{r.case.name}: {r.harness_error}")
    if fails:
        print("\nFailures ($RT is the run's temporary folder). To reproduce one: python benchmarks/red_team.py "
              "--only NAME --keep, then in the kept folder run the command shown, with the environment in "
              "logs/NAME.env (HOME, XDG_* and TMPDIR inside the folder).")
        for r, p, d in fails:
            print(f"FAIL [{PROP_TITLES[p]}] {r.case.category}/{r.case.name}: {d} -- input: {r.case.what} -- "
                  f"run: {r.command}")
    return 1 if fails or broken else 0


def _remove(root: Path) -> None:
    def onerror(func, path, exc_info):
        try:
            os.chmod(os.path.dirname(path), 0o755)
            os.chmod(path, 0o755)
        except OSError:
            pass
        try:
            func(path)
        except OSError:
            pass
    # folders too deep for rmtree's path lengths are unlinked level by level first
    for deep in root.glob("cases/*/proj/d"):
        _remove_deep(deep)
    shutil.rmtree(root, onerror=onerror)


def _remove_deep(top: Path) -> None:
    fd = os.open(top, os.O_RDONLY)
    depth, fds = 0, [fd]
    try:
        while True:
            try:
                nfd = os.open("d", os.O_RDONLY, dir_fd=fds[-1])
            except OSError:
                break
            fds.append(nfd)
            depth += 1
        while len(fds) > 1:
            cur = fds.pop()
            for name in os.listdir(cur):
                try:
                    os.unlink(name, dir_fd=cur)
                except IsADirectoryError:
                    os.rmdir(name, dir_fd=cur)
            os.close(cur)
            os.rmdir("d", dir_fd=fds[-1])
    finally:
        for f in fds:
            try:
                os.close(f)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
