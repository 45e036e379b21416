"""A bare JSON-RPC client over a real ``hotlint lsp`` process's pipes, for the hostile tests:
it sends exactly the bytes a test wants and waits (bounded) for what comes back."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

WAIT = 120.0  # seconds: a bound that fails the test, never a pause


class Wire:
    def __init__(self, cwd: Path, env: Optional[dict] = None, argv: Optional[list[str]] = None):
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(argv or [sys.executable, "-m", "hotlint", "lsp"], cwd=cwd, env=e,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox: "queue.Queue[dict]" = queue.Queue()
        self.seen: list[dict] = []
        self._ids = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr_lines: list[bytes] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            self.inbox.put(json.loads(out.read(length)))

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def send_raw(self, body: bytes) -> None:
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def send(self, message: dict) -> None:
        self.send_raw(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def request(self, method: str, params: Any = None) -> int:
        self._ids += 1
        self.send({"id": self._ids, "method": method, "params": params})
        return self._ids

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def wait_for(self, match: Callable[[dict], bool], timeout: float = WAIT) -> dict:
        end = time.monotonic() + timeout
        for m in self.seen:
            if match(m):
                return m
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message within {timeout:g} s; stderr: "
                                     f"{b''.join(self.stderr_lines[-20:]).decode(errors='replace')}")
            try:
                m = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(m)
            if m.get("method") == "workspace/configuration" and "id" in m:  # answer the server's question
                self.send({"id": m["id"], "result": [None] * len(m["params"]["items"])})
            if match(m):
                return m

    def response(self, msg_id: int, timeout: float = WAIT) -> dict:
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, timeout)

    def initialize(self, root: Path, options: Optional[dict] = None) -> dict:
        reply = self.response(self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
            "initializationOptions": options or {}}))
        self.notify("initialized", {})
        return reply

    def open(self, path: Path, text: Optional[str] = None, language: str = "cpp") -> str:
        uri = path.as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": language, "version": 1,
            "text": path.read_text() if text is None else text}})
        return uri

    def diagnostics(self, uri: str, version: Optional[int] = 1, timeout: float = WAIT) -> list[dict]:
        msg = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri
                            and (version is None or m["params"].get("version") == version), timeout)
        return msg["params"]["diagnostics"]

    def shown(self) -> list[str]:
        return [m["params"]["message"] for m in self.seen if m.get("method") in
                ("window/showMessage", "window/logMessage")]

    def close(self) -> None:
        try:
            msg_id = self.request("shutdown")
            self.response(msg_id, timeout=30)
            self.notify("exit")
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=30)
