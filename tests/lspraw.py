"""A raw JSON-RPC client over a real ``hotlint lsp``'s stdio pipes, for the language-server tests
that must send what no client library would: any bytes, wrong lengths, malformed messages,
requests after shutdown. It keeps every message the server writes, in order, and answers the
server's own requests. No sleeps: every wait is for a message, bounded by a timeout that fails
the test."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Optional

import pytest

from conftest import ROOT
from test_lsp import SERVER, WAIT


def framed(body: bytes, length: Optional[int] = None) -> bytes:
    """``body`` behind its header; ``length``: the length the header claims instead."""
    return b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body


class Raw:
    """The client; ``messages`` holds everything the server wrote, ``responses`` the answers by id
    (a request must get exactly one)."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.ids = 1000  # above the ids tests write into bodies of their own
        self.requested: set[int] = set()
        self.messages: list[dict] = []
        self.responses: dict[object, list[dict]] = {}
        self.arrived = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            length = None
            while (line := await self.proc.stdout.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(await self.proc.stdout.readexactly(length))
            if "method" in message and "id" in message:  # a request from the server: answer it
                self.send({"id": message["id"], "result": None})
            elif "method" not in message:
                self.responses.setdefault(message.get("id"), []).append(message)
            self.messages.append(message)
            self.arrived.set()

    # ---- sending
    def send_bytes(self, data: bytes) -> None:
        self.proc.stdin.write(data)

    def send_body(self, body: bytes, length: Optional[int] = None) -> None:
        self.send_bytes(framed(body, length))

    def send(self, message: dict) -> None:
        self.send_body(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def notify(self, method: str, params=None) -> None:
        self.send({"method": method, **({} if params is None else {"params": params})})

    def next_id(self) -> int:
        """A fresh id for a request of this client's."""
        self.ids += 1
        self.requested.add(self.ids)
        return self.ids

    async def request(self, method: str, params=None) -> dict:
        """The whole response (``result`` or ``error``)."""
        msg_id = self.next_id()
        self.send({"id": msg_id, "method": method, **({} if params is None else {"params": params})})
        return await self.response(msg_id)

    # ---- waiting and reading
    async def until(self, predicate, timeout: float = WAIT):
        """Wait for messages until ``predicate()`` returns something true; return it."""
        async def loop():
            while not (found := predicate()):
                self.arrived.clear()
                await self.arrived.wait()
            return found

        return await asyncio.wait_for(loop(), timeout)

    async def response(self, msg_id) -> dict:
        answers = await self.until(lambda: self.responses.get(msg_id))
        assert len(answers) == 1, (msg_id, [str(a)[:300] for a in answers])
        (answer,) = answers
        return answer

    def published(self, uri: str, version="any") -> list[dict]:
        return [m["params"] for m in self.messages if m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri and (version == "any" or m["params"].get("version") == version)]

    async def publication(self, uri: str, version) -> dict:
        return (await self.until(lambda: self.published(uri, version)))[-1]

    def errors_since(self, count: int) -> list[dict]:
        """The error responses among the messages after the first ``count``."""
        return [m for m in self.messages[count:] if "error" in m and "method" not in m]

    def unasked_errors(self) -> list[dict]:
        """The error responses to no request of this client's (to bodies a test wrote itself)."""
        return [m for m in self.errors_since(0) if m.get("id") not in self.requested]

    def shown(self, kind: Optional[int] = None) -> list[str]:
        """What ``window/showMessage`` put in front of the user (of MessageType ``kind``)."""
        return [m["params"]["message"] for m in self.messages if m.get("method") == "window/showMessage"
                and (kind is None or m["params"]["type"] == kind)]

    # ---- documents
    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "cpp", "version": version, "text": text}})
        return uri

    def change(self, uri: str, version: int, text: str) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    # ---- the session
    async def initialize(self, root: Path, **options) -> dict:
        answer = await self.request("initialize", {"capabilities": {}, "rootUri": root.as_uri(),
                                                   "initializationOptions": {"debounce": 0, **options}})
        self.notify("initialized", {})
        return answer

    async def finish(self) -> int:
        """shutdown, exit: the exit code."""
        assert "result" in await self.request("shutdown")
        self.notify("exit")
        return await asyncio.wait_for(self.proc.wait(), WAIT)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()


async def start(tmp_path: Path, command=SERVER, cwd=ROOT, env: Optional[dict] = None) -> Raw:
    """The server started with ``command`` in ``cwd``, its log in ``tmp_path/server.log``."""
    with open(tmp_path / "server.log", "ab") as log:
        proc = await asyncio.create_subprocess_exec(
            *command, "--log-level", "info", cwd=cwd, env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=log)
    return Raw(proc)


@pytest.fixture
async def raw(tmp_path):
    """A server initialized on ``tmp_path``; it must shut down and exit with 0 after the test."""
    c = await start(tmp_path)
    try:
        assert "capabilities" in (await c.initialize(tmp_path))["result"]
        yield c
        assert await c.finish() == 0
    finally:
        await c.kill()


def lines_and_rules(params: dict) -> set[tuple[int, str]]:
    """(1-based line, rule) of each diagnostic of a publication."""
    return {(d["range"]["start"]["line"] + 1, d["code"]) for d in params["diagnostics"]}
