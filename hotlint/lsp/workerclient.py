"""The server's side of the parsing worker: a child process spoken to in JSON lines.

The worker answers requests in the order they were sent, so when it dies the
earliest unanswered request is the one it died on; the others are innocent and
the server sends them again to a fresh worker. Each worker gets a private
``TMPDIR`` (libclang writes its preamble files there, and they outlive a killed
process); the folder is removed when that worker ends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

from ..workers import describe_exit

READ_LIMIT = 64 * 1024 * 1024  # one reply is one line; a large file's reply is large


class WorkerError(Exception):
    """The worker ended (crash, kill, time limit) before answering."""

    def __init__(self, reason: str, culprit: bool, timed_out: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.culprit = culprit  # this request is the one the worker was running
        self.timed_out = timed_out


@dataclass
class _Pending:
    future: asyncio.Future
    timeout: Optional[float]


class _Process:
    """One worker process and the requests it owes answers to."""

    def __init__(self, proc: asyncio.subprocess.Process, tmpdir: str):
        self.proc = proc
        self.tmpdir = tmpdir
        self.pending: OrderedDict[int, _Pending] = OrderedDict()
        self.deadline: Optional[asyncio.TimerHandle] = None
        self.timed_out = False
        self.reader: Optional[asyncio.Task] = None

    def arm(self) -> None:
        """Start the time limit of the request the worker is now running."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        if self.pending:
            head = next(iter(self.pending.values()))
            if head.timeout:
                self.deadline = asyncio.get_running_loop().call_later(head.timeout, self._expire)

    def _expire(self) -> None:
        self.timed_out = True
        self.kill()

    def kill(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass


class WorkerClient:
    """Sends requests to ``python -m hotlint.lsp.worker``, starting it again after it dies."""

    def __init__(self, env: Optional[dict] = None, on_exit=None):
        self.env = dict(os.environ if env is None else env)
        self.on_exit = on_exit  # on_exit(reason, owed_answers) when a worker dies unasked
        self.tmp_root = tempfile.mkdtemp(prefix="hotlint-lsp-")
        self._ids = itertools.count(1)
        self._generation = itertools.count(1)
        self._current: Optional[_Process] = None
        self._starting: Optional[asyncio.Future] = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pid(self) -> Optional[int]:
        return self._current.proc.pid if self._current is not None else None

    async def _process(self) -> _Process:
        if self._current is not None and self._current.proc.returncode is None:
            return self._current
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        try:
            return await asyncio.shield(self._starting)
        finally:
            self._starting = None

    async def _start(self) -> _Process:
        tmpdir = os.path.join(self.tmp_root, f"worker-{next(self._generation)}")
        os.makedirs(tmpdir, exist_ok=True)
        env = dict(self.env, TMPDIR=tmpdir, TMP=tmpdir, TEMP=tmpdir)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hotlint.lsp.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=READ_LIMIT,
        )
        worker = _Process(proc, tmpdir)
        worker.reader = asyncio.ensure_future(self._read(worker))
        self._current = worker
        return worker

    async def start(self) -> None:
        """Start a worker now (so the first request does not pay for it)."""
        await self._process()

    async def request(self, op: str, params: dict, timeout: Optional[float] = None) -> Any:
        if self._closed:
            raise WorkerError("the server is shutting down", culprit=False)
        worker = await self._process()
        msg_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        worker.pending[msg_id] = _Pending(future, timeout)
        if len(worker.pending) == 1:
            worker.arm()
        try:
            worker.proc.stdin.write(json.dumps({"id": msg_id, "op": op, "params": params}).encode() + b"\n")
            await worker.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader sees the exit and fails the future
        return await future

    async def _read(self, worker: _Process) -> None:
        while True:
            line = await worker.proc.stdout.readline()
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue
            pending = worker.pending.pop(message.get("id"), None)
            worker.arm()
            if pending is None or pending.future.done():
                continue
            if "error" in message:
                pending.future.set_exception(RuntimeError(f"worker: {message['error']}"))
            else:
                pending.future.set_result(message.get("result"))
        code = await worker.proc.wait()
        if worker.deadline is not None:
            worker.deadline.cancel()
        shutil.rmtree(worker.tmpdir, ignore_errors=True)
        if self._current is worker:
            self._current = None
        reason = "took longer than the time limit and was stopped" if worker.timed_out else describe_exit(code)
        owed = bool(worker.pending)
        first = True
        for pending in worker.pending.values():
            if not pending.future.done():
                pending.future.set_exception(WorkerError(reason, culprit=first, timed_out=worker.timed_out and first))
            first = False
        worker.pending.clear()
        if not self._closed and self.on_exit is not None:
            self.on_exit(reason, owed)

    async def close(self) -> None:
        """Stop the worker (end of its input, then a kill) and remove every private folder."""
        self._closed = True
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
