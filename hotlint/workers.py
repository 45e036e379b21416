"""Worker processes that parse and analyze files, isolated from each other.

libclang is not thread-safe and Python walks hold the GIL, so each worker is a
process. A worker that crashes (a segfault inside libclang, an out-of-memory
kill) or overruns the per-file time limit is replaced; its file is reported as
an error and the run goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Callable, Iterable, Optional

from .compdb import HeaderContext
from .engine import EngineOptions, analyze, analyze_in_context
from .model import ErrorRecord, FileResult
from .safeio import DEFAULT_WORKER_MEMORY_MIB


@dataclass
class Task:
    path: str
    args: list[str]
    options: EngineOptions
    text: Optional[str] = None
    timeout: float = 60.0
    context: Optional[HeaderContext] = None  # a header analyzed inside this unit (``args`` are its flags)
    # headers analyzed in the same parse of the same unit (``group_by_context``)
    companions: list["Task"] = field(default_factory=list)
    dependencies: bool = True  # list the files the parse read: only a cache needs them

    def paths(self) -> list[str]:
        return [self.path] + [t.path for t in self.companions]


def group_by_context(tasks: Iterable[Task]) -> list[Task]:
    """Headers analyzed in the same unit with the same flags become one task: the unit is parsed
    once for all of them. Order is kept (a group sits where its first header was); the tasks given
    are not changed."""
    order: list = []
    groups: dict = {}
    for task in tasks:
        if task.context is None:
            order.append(task)
            continue
        key = (task.context.unit, tuple(task.args))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(task)
    out = []
    for item in order:
        if isinstance(item, Task):
            out.append(item)
            continue
        lead, *rest = groups[item]
        # one cut serves every header: the earliest include line of the group
        lines = [t.context.line for t in groups[item] if t.context.line is not None]
        out.append(replace(lead, context=HeaderContext(lead.context.unit, min(lines) if lines else None),
                           companions=rest, timeout=sum(t.timeout for t in groups[item])))
    return out


def analyze_task(task: Task) -> list[FileResult]:
    """The results of one task (a group's: one per header, the lead's first)."""
    if task.context is None:
        return [analyze(task.path, task.text, task.args, task.options, dependencies=task.dependencies)]
    return analyze_in_context(task.context, task.args,
                              [(t.path, t.text, t.options) for t in [task, *task.companions]])


_CONTEXT = None


def _context():
    """How workers start (chosen once per process). A plain fork is the fastest (no new
    interpreter, no second libclang load), and safe while this process runs no other thread and
    has parsed nothing itself — the command line's case; otherwise a fork server (a long-lived
    server that forks clean workers), started so that it cannot import from the working
    directory (see ``_start_forkserver``)."""
    global _CONTEXT
    if _CONTEXT is not None:
        return _CONTEXT
    method = os.environ.get("HOTLINT_START_METHOD")
    if method:
        ctx = multiprocessing.get_context(method)
    elif sys.platform.startswith("linux") and threading.active_count() == 1 and "clang.cindex" not in sys.modules:
        ctx = multiprocessing.get_context("fork")
    elif sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
    else:
        ctx = multiprocessing.get_context("spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["hotlint.workers", "hotlint._preload"])
        _start_forkserver()
    _CONTEXT = ctx
    return ctx


def _start_forkserver() -> None:
    """Start multiprocessing's fork server now, isolated from the working directory."""
    from multiprocessing import forkserver

    with _off_the_working_directory():
        forkserver.ensure_running()


@contextlib.contextmanager
def _off_the_working_directory():
    """While a new interpreter starts (a fork server, or a worker under ``spawn``): keep the working
    directory off its ``sys.path``.

    multiprocessing runs ``python -c '...'``, and ``-c`` puts the working directory first on
    ``sys.path`` before its first import: a checkout's ``selectors.py`` or ``multiprocessing/``
    would run. ``PYTHONSAFEPATH`` (Python 3.11+) keeps it off; older Pythons get a private empty
    folder as the working directory while the interpreter starts (every path hotlint sends a
    worker is absolute)."""
    saved_env = os.environ.get("PYTHONSAFEPATH")
    saved_cwd = os.getcwd()
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        if sys.version_info < (3, 11):
            os.chdir(_scratch_dir())
        yield
    finally:
        os.chdir(saved_cwd)
        if saved_env is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = saved_env


_memory_mib = DEFAULT_WORKER_MEMORY_MIB


def set_memory_limit(mib: int) -> None:
    """The address-space limit of workers started from now on."""
    global _memory_mib
    _memory_mib = mib


def _limit_memory(mib: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    want = mib * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or soft > want:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
        except (ValueError, OSError):
            pass


def _worker_main(conn: Connection, tmpdir: Optional[str] = None, memory_mib: Optional[int] = None) -> None:
    # A worker must not die of the user's Ctrl-C before the parent decides what to do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mib:
        _limit_memory(memory_mib)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker must not inherit the CLI's handler
    if tmpdir:
        # libclang writes preamble PCHs to $TMPDIR; a killed worker's stay in a folder the parent removes
        os.environ["TMPDIR"] = tmpdir
        # and what libclang prints (crash reports, `#pragma clang __debug` dumps: file names, macro
        # bodies, all raw) goes to a log, never to the user's terminal: the parent quotes it, escaped
        log = os.open(stderr_log(tmpdir, os.getpid()), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 2)
        os.close(log)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            reply = [r.to_json() for r in analyze_task(task)]
        except MemoryError:
            reply, out_of_memory = None, True
        else:
            out_of_memory = False
        if out_of_memory:  # built after the failed analysis' memory is released; the worker goes on
            limit = f" of {memory_mib} MiB (--max-memory)" if memory_mib else ""
            reply = [FileResult(path=path, errors=[ErrorRecord(
                path=path, kind="out-of-memory",
                message=f"analysis ran out of memory: it needed more than the worker's limit{limit}; "
                        "other files were still analyzed",
                hint="raise --max-memory, or exclude the file")]).to_json() for path in task.paths()]
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, ctx):
        parent, child = ctx.Pipe()
        self.conn = parent
        self.proc = ctx.Process(target=_worker_main, args=(child, _scratch_dir(), _memory_mib), daemon=True)
        if ctx.get_start_method() == "spawn":
            with _off_the_working_directory():
                self.proc.start()
        else:
            self.proc.start()
        child.close()
        self.task: Optional[Task] = None
        self.started = 0.0

    def submit(self, task: Task) -> None:
        self.task = task
        self.started = time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        try:
            self.proc.kill()
        except Exception:
            pass
        self.proc.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.kill()


def describe_exit(code: Optional[int], memory_mib: Optional[int] = None) -> str:
    """How a worker process ended, for the message naming its file."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGKILL":
            return "was killed (SIGKILL; out of memory?)"
        if name in ("SIGABRT", "SIGSEGV", "SIGBUS") and memory_mib:
            return f"crashed with {name} (it may have reached the {memory_mib} MiB memory limit: --max-memory)"
        return f"crashed with {name}"
    return f"exited unexpectedly (code {code})"


_SCRATCH: Optional[str] = None


def stderr_log(tmpdir: str, pid: int) -> str:
    return os.path.join(tmpdir, f"stderr-{pid}.log")


def last_words(tmpdir: str, pid: int, limit: int = 400) -> str:
    """The first lines a dead worker's libclang printed, as one line (escaped when printed)."""
    try:
        with open(stderr_log(tmpdir, pid), "rb") as fh:
            data = fh.read(16 * 1024)
    except OSError:
        return ""
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    text = " | ".join(lines[:4])
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _scratch_dir() -> str:
    """A private temporary folder for the workers' files, removed when this process exits."""
    global _SCRATCH
    if _SCRATCH is None or not os.path.isdir(_SCRATCH):
        import atexit
        import shutil
        import tempfile

        _SCRATCH = tempfile.mkdtemp(prefix="hotlint-workers-")
        atexit.register(shutil.rmtree, _SCRATCH, True)
    return _SCRATCH


_prestarted: list[_Worker] = []
_prestarting: Optional[threading.Thread] = None


def prestart(jobs: int) -> None:
    """Start workers in the background while the caller is still preparing tasks: starting the
    fork server (a fresh interpreter that loads libclang) then overlaps that work."""
    global _prestarting
    if _prestarting is not None or jobs < 1:
        return

    ctx = _context()
    if ctx.get_start_method() == "fork":  # cheap: start them right here
        _prestarted.extend(_Worker(ctx) for _ in range(jobs))
        return

    def start() -> None:
        for _ in range(jobs):
            _prestarted.append(_Worker(ctx))

    _prestarting = threading.Thread(target=start, name="hotlint-prestart", daemon=True)
    _prestarting.start()


def _take_prestarted() -> list[_Worker]:
    global _prestarting
    if _prestarting is not None:
        _prestarting.join()
        _prestarting = None
    taken = [w for w in _prestarted if w.proc.is_alive()]
    _prestarted.clear()
    return taken


def run_tasks(tasks: Iterable[Task], jobs: int, on_result: Callable[[FileResult], None]) -> None:
    """Analyze every task, at most ``jobs`` at once; results arrive in completion order (one per
    file: headers analyzed in the same unit share a parse, ``group_by_context``)."""
    pending = group_by_context(tasks)
    pending.reverse()
    ready = _take_prestarted()
    if not pending:
        for w in ready:
            w.stop()
        return
    ctx = _context()
    jobs = max(1, min(jobs, len(pending)))
    for w in ready[jobs:]:
        w.stop()
    idle: list[_Worker] = ready[:jobs] + [_Worker(ctx) for _ in range(jobs - len(ready[:jobs]))]
    busy: list[_Worker] = []
    try:
        while pending or busy:
            while pending and idle:
                w = idle.pop()
                task = pending.pop()
                try:
                    w.submit(task)
                except (BrokenPipeError, OSError):
                    w.kill()
                    w = _Worker(ctx)
                    w.submit(task)
                busy.append(w)
            now = time.monotonic()
            deadline = min(w.started + w.task.timeout for w in busy)
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy],
                         timeout=max(0.0, deadline - now))
            for w in list(busy):
                task = w.task
                if w.conn in ready:
                    try:
                        data = w.conn.recv()
                    except (EOFError, OSError):
                        data = None
                    if data is not None:
                        busy.remove(w)
                        w.task = None
                        idle.append(w)
                        for item in data:
                            on_result(FileResult.from_json(item))
                        continue
                if w.conn in ready or w.proc.sentinel in ready:
                    w.proc.join(timeout=5)
                    busy.remove(w)
                    reason = describe_exit(w.proc.exitcode, _memory_mib)
                    said = last_words(_scratch_dir(), w.proc.pid)
                    w.kill()
                    idle.append(_Worker(ctx) if pending else None)
                    for path in task.paths():
                        on_result(FileResult(path=path, errors=[ErrorRecord(
                            path=path, kind="crash",
                            message=f"the analyzer {reason} while parsing this file"
                                    + (f" (inside {task.context.unit})" if task.context else "")
                                    + "; other files were still analyzed"
                                    + (f" (libclang said: {said})" if said else ""),
                            hint="report it with the file and its flags; `--no-cache -j1 -v` shows the flags used",
                        )]))
                elif time.monotonic() - w.started >= w.task.timeout:
                    busy.remove(w)
                    w.kill()
                    idle.append(_Worker(ctx) if pending else None)
                    for path in task.paths():
                        on_result(FileResult(path=path, errors=[ErrorRecord(
                            path=path, kind="timeout",
                            message=f"analysis took longer than the {task.timeout:g} s limit and was stopped",
                            hint="raise `timeout` in the configuration or --timeout, or exclude the file",
                        )]))
            idle = [w for w in idle if w is not None]
    finally:
        for w in idle:
            w.stop()
        for w in busy:
            w.kill()


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
