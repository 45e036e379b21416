"""The server's side of the parsing worker: a child process spoken to in JSON lines.

The worker answers requests in the order they were sent, so when it dies the
earliest unanswered request is the one it died on (or, after a time limit, the one
the limit was for): that one fails. The others are innocent: they are sent again,
first and in their order, to a fresh worker, and never fail for a death they did not
cause. Each death therefore moves every innocent request one place forward, so a
run of crashing files cannot keep one from being answered.

Each worker gets a private ``TMPDIR`` (libclang writes its preamble files there,
and they outlive a killed process); the folder is removed when that worker ends.
The worker is started without the working directory on its ``sys.path`` (see
``WORKER_BOOTSTRAP``), so a checkout's ``json.py`` or ``*.dist-info`` is never
imported by it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

from ..workers import describe_exit

log = logging.getLogger("hotlint.lsp")

# The longest reply line read. The worker keeps its replies below ``worker.MAX_REPLY``, well
# under this; a longer line fails its request (the bytes are skipped) and the worker serves on.
READ_LIMIT = 64 * 1024 * 1024

# ``python -c`` puts '' (the working directory) first on sys.path, ``python -m`` its absolute
# path, and ``-P`` exists only from Python 3.11 on; ``-I`` would also drop PYTHONPATH and the
# user's site-packages, where hotlint may be installed. So the worker starts from this line,
# which drops every entry naming the working directory, relative ones included, before anything
# else is imported. Its working directory stays the server's: relative paths in flags resolve
# as they do for the command line.
WORKER_BOOTSTRAP = (
    "import os, sys; cwd = os.path.realpath(os.getcwd()); "
    "sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and os.path.realpath(p) != cwd]; "
    "from hotlint.lsp.worker import main; sys.exit(main())"
)


class WorkerError(Exception):
    """The worker ended (crash, kill, time limit) while running this request, or the
    server is shutting down."""

    def __init__(self, reason: str, timed_out: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


class WorkerReplyError(RuntimeError):
    """The worker answered this request with an error; ``kind`` says which
    (``too-large``: the reply would be or was longer than a limit; else ``internal-error``)."""

    def __init__(self, message: str, kind: str = "internal-error"):
        super().__init__(message)
        self.kind = kind


@dataclass(eq=False)
class _Pending:
    msg_id: int
    line: bytes  # the request as sent, to send again to a fresh worker
    future: asyncio.Future
    timeout: Optional[float]


class _Process:
    """One worker process and the requests it owes answers to."""

    def __init__(self, proc: asyncio.subprocess.Process, tmpdir: str):
        self.proc = proc
        self.tmpdir = tmpdir
        self.pending: OrderedDict[int, _Pending] = OrderedDict()
        self.deadline: Optional[asyncio.TimerHandle] = None
        self.expired: Optional[int] = None  # the request whose time limit killed the worker
        self.reader: Optional[asyncio.Task] = None
        self.ended = False  # its requests were settled: nothing may be added any more

    def arm(self) -> None:
        """Start the time limit of the request the worker is now running."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        if self.pending:
            head = next(iter(self.pending.values()))
            if head.timeout:
                self.deadline = asyncio.get_running_loop().call_later(head.timeout, self._expire, head.msg_id)

    def _expire(self, msg_id: int) -> None:
        self.expired = msg_id
        self.kill()

    def kill(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass


async def _next_line(stream: asyncio.StreamReader) -> tuple[Optional[bytes], int]:
    """The next line and its length in bytes. A line longer than the stream's limit is
    read through and dropped: ``(None, its length)``. ``(None, 0)`` at the end, where a
    line cut short by the worker's death is no reply and is dropped too."""
    skipped = 0
    while True:
        try:
            line = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            return None, 0
        except asyncio.LimitOverrunError as exc:  # the line goes on past the limit: skip what is here
            skipped += len(await stream.readexactly(exc.consumed))
            continue
        if skipped:
            return None, skipped + len(line)
        return line, len(line)


class WorkerClient:
    """Sends requests to the parsing worker, starting it again after it dies."""

    def __init__(self, env: Optional[dict] = None, on_exit=None, read_limit: int = READ_LIMIT):
        self.env = dict(os.environ if env is None else env)
        self.on_exit = on_exit  # on_exit(reason, culprit_found) when a worker dies unasked
        self.read_limit = read_limit
        self.tmp_root = tempfile.mkdtemp(prefix="hotlint-lsp-")
        self._ids = itertools.count(1)
        self._generation = itertools.count(1)
        self._current: Optional[_Process] = None
        self._starting: Optional[asyncio.Future] = None
        self._orphans: list[_Pending] = []  # innocent requests of a dead worker, for the next one
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pid(self) -> Optional[int]:
        return self._current.proc.pid if self._current is not None else None

    async def _process(self) -> _Process:
        if self._current is not None and self._current.proc.returncode is None and not self._current.ended:
            return self._current
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        starting = self._starting
        try:
            return await asyncio.shield(starting)
        finally:
            if self._starting is starting:
                self._starting = None

    async def _start(self) -> _Process:
        tmpdir = os.path.join(self.tmp_root, f"worker-{next(self._generation)}")
        os.makedirs(tmpdir, exist_ok=True)
        env = dict(self.env, TMPDIR=tmpdir, TMP=tmpdir, TEMP=tmpdir)
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", WORKER_BOOTSTRAP,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=self.read_limit,
            )
        except Exception as exc:
            orphans, self._orphans = self._orphans, []
            for pending in orphans:
                if not pending.future.done():
                    pending.future.set_exception(WorkerError(f"could not be started ({exc})"))
            raise
        worker = _Process(proc, tmpdir)
        self._current = worker
        # the innocent requests of the worker before go first, in their order, before any new one
        orphans, self._orphans = self._orphans, []
        for pending in orphans:
            if not pending.future.done():
                worker.pending[pending.msg_id] = pending
                proc.stdin.write(pending.line)  # the transport sends it; later drains wait for it
        worker.arm()
        worker.reader = asyncio.ensure_future(self._read(worker))
        return worker

    async def _start_for_orphans(self) -> None:
        try:
            await self._process()
        except Exception as exc:  # _start failed the orphans with the reason
            log.error("cannot start the analyzer process: %s", exc)

    async def start(self) -> None:
        """Start a worker now (so the first request does not pay for it)."""
        await self._process()

    async def request(self, op: str, params: dict, timeout: Optional[float] = None) -> Any:
        if self._closed:
            raise WorkerError("the server is shutting down")
        msg_id = next(self._ids)
        line = json.dumps({"id": msg_id, "op": op, "params": params}).encode() + b"\n"
        pending = _Pending(msg_id, line, asyncio.get_running_loop().create_future(), timeout)
        for _ in range(3):
            worker = await self._process()
            if not worker.ended:
                break
            # it died while this request waited for it to start
        else:
            raise WorkerError("exited as soon as it was started")
        worker.pending[msg_id] = pending
        if len(worker.pending) == 1:
            worker.arm()
        try:
            worker.proc.stdin.write(line)
            await worker.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader sees the exit and settles the request
        return await pending.future

    async def _read(self, worker: _Process) -> None:
        while True:
            line, size = await _next_line(worker.proc.stdout)
            if line is None and not size:
                break
            if line is None:  # replies come in order: it is the first waiting request's
                self._answer_first(worker, WorkerReplyError(
                    f"the analyzer's reply was {size:,} bytes, longer than the {self.read_limit:,} bytes "
                    "the server reads", kind="too-large"))
                continue
            try:
                message = json.loads(line)
                msg_id = message["id"]
            except (ValueError, TypeError, KeyError):
                log.warning("the analyzer wrote a line that is no reply: %.200r", line)
                self._answer_first(worker, WorkerReplyError(f"the analyzer's reply is not JSON: {line[:200]!r}"))
                continue
            pending = worker.pending.pop(msg_id, None)
            worker.arm()
            if pending is None or pending.future.done():
                continue
            if "error" in message:
                pending.future.set_exception(WorkerReplyError(str(message["error"]),
                                                              kind=message.get("kind") or "internal-error"))
            else:
                pending.future.set_result(message.get("result"))
        code = await worker.proc.wait()
        self._ended(worker, code)

    @staticmethod
    def _answer_first(worker: _Process, error: Exception) -> None:
        if not worker.pending:
            return
        _, pending = worker.pending.popitem(last=False)
        worker.arm()
        if not pending.future.done():
            pending.future.set_exception(error)

    def _ended(self, worker: _Process, code: Optional[int]) -> None:
        """Settle a dead worker's requests: the one it died on fails, the others wait for the next."""
        worker.ended = True
        if worker.deadline is not None:
            worker.deadline.cancel()
        shutil.rmtree(worker.tmpdir, ignore_errors=True)
        if self._current is worker:
            self._current = None
        timed_out = worker.expired is not None
        reason = "took longer than the time limit and was stopped" if timed_out else describe_exit(code)
        owed = [p for p in worker.pending.values() if not p.future.done()]
        worker.pending.clear()
        if timed_out:  # the limit was for this one (it may have been answered just before the kill)
            culprit = next((p for p in owed if p.msg_id == worker.expired), None)
        else:
            culprit = owed[0] if owed else None
        if culprit is not None:
            culprit.future.set_exception(WorkerError(reason, timed_out=timed_out))
        innocents = [p for p in owed if p is not culprit]
        if self._closed:
            for pending in innocents:
                pending.future.set_exception(WorkerError("the server is shutting down"))
            return
        if innocents:
            log.info("the analyzer %s; %d request(s) it had not reached are sent to a new one", reason,
                     len(innocents))
            self._orphans.extend(innocents)
            asyncio.ensure_future(self._start_for_orphans())
        if self.on_exit is not None:
            self.on_exit(reason, culprit is not None)

    async def close(self) -> None:
        """Stop the worker (end of its input, then a kill) and remove every private folder."""
        self._closed = True
        for pending in self._orphans:
            if not pending.future.done():
                pending.future.set_exception(WorkerError("the server is shutting down"))
        self._orphans.clear()
        worker = self._current
        if worker is not None and worker.proc.returncode is None:
            try:
                worker.proc.stdin.close()
                await asyncio.wait_for(worker.proc.wait(), 2)
            except (asyncio.TimeoutError, BrokenPipeError, ConnectionResetError):
                worker.kill()
            if worker.reader is not None:
                try:
                    await asyncio.wait_for(worker.reader, 2)
                except (asyncio.TimeoutError, Exception):
                    pass
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def kill_now(self) -> None:
        """Last resort at interpreter exit: no event loop left to wait on."""
        self._closed = True
        if self._current is not None:
            self._current.kill()
        shutil.rmtree(self.tmp_root, ignore_errors=True)
