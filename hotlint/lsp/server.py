"""The language server: pygls glue over the engine, which runs in a worker process.

Each open document is analyzed from its unsaved text: at once on open and save,
after a pause on change (debounced per document). A result is published only
while it still describes the document's current version and settings; anything
older is dropped. The worker parses one request at a time, so a document has at
most one analysis in flight and newer edits wait for it, then run once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
import time
from collections import namedtuple
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path

from .. import __version__
from ..callgraph import ProjectGraph
from ..engine import FileProblem, read_source
from ..model import (
    Applicability,
    Diagnostic,
    Edit,
    ErrorRecord,
    FileResult,
    Fix,
    Position,
    Range,
    RecordLayout,
    Severity,
)
from ..output import safe
from ..rule import load_rules
from . import fast
from .convert import Text, lsp_diagnostic, lsp_error, lsp_text_edit, overlaps
from .hover import finding_markdown, layout_table
from .settings import ClientSettings, FileSetup, Project, settings_section
from .wire import layout_from_json, options_to_json
from .workerclient import WorkerClient, WorkerError, WorkerReplyError

log = logging.getLogger("hotlint.lsp")

_ANSWERED = object()  # a message already answered while it was being read
_Invalid = namedtuple("_Invalid", "data problem")  # an object with "jsonrpc" that is no valid message
# after a quick answer (``fast``), the whole file is analyzed once no change came for this long (seconds)
WHOLE_FILE_AFTER = 0.3
_LANGUAGE_SUFFIX = {"c": ".c", "cpp": ".cpp", "cuda-cpp": ".cu", "objective-c": ".m", "objective-cpp": ".mm"}


class HotlintProtocol(LanguageServerProtocol):
    """pygls' protocol with corrections for what a client may send.

    A request whose parameters do not deserialize gets a JSON-RPC error response
    (pygls 2 only shows a message, leaving the client waiting forever); a body that
    is not JSON (or nested too deeply to read) gets a Parse error and one that is not a
    JSON-RPC 2.0 message an Invalid Request (id null when its id cannot be read), where
    pygls would pop an "Error in server" message up in the editor, or say nothing. Once
    shutdown has been asked for, every request but exit gets an Invalid Request, as the
    LSP specification says (pygls leaves them unanswered). Lone surrogates (``\\ud800``
    escapes, which no UTF-8 encoder accepts) are read as U+FFFD. The pull-diagnostics
    capability is withdrawn when the client asked for push alone.
    """

    shutdown_requested = False  # set as the shutdown request is read, before it is handled

    def handle_body(self, body: bytes) -> None:
        """Read and handle one message body, as ``Framer`` cut it from the stream."""
        try:
            message = parse_body(body, self.structure_message)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            self.answer_unparsable(exc)
            return
        except Exception as exc:
            log.exception("cannot read a message")
            self._server._report_server_error(exc, JsonRpcException)
            return
        try:
            self.handle_message(message)
        except Exception as exc:
            log.exception("cannot handle a message")
            self._server._report_server_error(exc, JsonRpcException)

    def structure_message(self, data):
        if isinstance(data, dict) and "jsonrpc" in data:
            problem = _envelope_problem(data)
            if problem:  # answered if it is the message itself, not an object inside one
                return _Invalid(data, problem)
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if not isinstance(data, dict):
                raise
            method = data.get("method", "")
            if "id" in data and method:
                self._send_response(data["id"], error=types.ResponseError(
                    code=exc.code, message=f"invalid params for {method}: {exc.message or exc}"))
            else:
                log.warning("ignored %s with invalid params", method or "a message")
            return _ANSWERED

    def handle_message(self, message):
        if message is _ANSWERED:
            return
        if isinstance(message, _Invalid):
            self.answer_invalid(message.data, message.problem)
            return
        if not hasattr(message, "jsonrpc"):  # a JSON value that is no JSON-RPC message at all
            self.answer_invalid(message, "not a JSON-RPC 2.0 message")
            return
        method = getattr(message, "method", None)
        if self.shutdown_requested and method is not None and method != types.EXIT:
            if hasattr(message, "id"):
                self._send_error(message.id, types.ErrorCodes.InvalidRequest,
                                 f"Invalid Request: {method} after shutdown; only exit is accepted")
            else:
                log.info("ignored %s after shutdown", method)
            return
        if method == types.SHUTDOWN and hasattr(message, "id"):
            self.shutdown_requested = True  # requests read after it are refused, even before it is answered
        super().handle_message(message)

    def answer_invalid(self, data, problem: str) -> None:
        msg_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool):
            msg_id = None
        elif "method" not in data:
            log.warning("ignored a message that is no request: %s", problem)
            return  # a response without a request behind it: nobody waits for an answer
        log.warning("invalid request: %s", problem)
        self._send_error(msg_id, types.ErrorCodes.InvalidRequest, f"Invalid Request: {problem}")

    def answer_unparsable(self, error: Exception) -> None:
        if isinstance(error, RecursionError):
            error = ValueError("arrays or objects nested too deeply")
        log.warning("a message body is not JSON: %s", error)
        self._send_error(None, types.ErrorCodes.ParseError, f"Parse error: {error}")

    def _send_error(self, msg_id, code: int, message: str) -> None:
        # written out: pygls' serializer drops an id of None, and JSON-RPC wants "id": null here
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": int(code), "message": message}})

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if unquote(params.text_document.uri) not in self.workspace.text_documents:
            # a change to a document never opened (or already closed): nothing to apply it to
            log.warning("ignored a change to %s, which is not open", params.text_document.uri)
            return
        yield from super().lsp_text_document__did_change(params)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        result = yield from super().lsp_initialize(params)
        if not self._server.settings.pull_diagnostics:
            result.capabilities.diagnostic_provider = None
        return result


_LINK = re.compile(r"\]\s*\(")


def inert(message: str) -> str:
    """A message for the editor's notifications with nothing it would act on: control characters
    escaped, and no Markdown link (VS Code renders ``[text](https://...)`` and ``command:`` links
    in notifications; a configuration key from a checkout must not become one)."""
    return _LINK.sub("] (", safe(message))


def _envelope_problem(data: dict) -> str:
    """What makes a JSON-RPC object no valid message ('' when nothing does)."""
    if data["jsonrpc"] != "2.0":
        return f'its "jsonrpc" is {json.dumps(data["jsonrpc"])[:20]}, not "2.0"'
    if "method" in data and not isinstance(data["method"], str):
        return "its method is not a string"
    msg_id = data.get("id")
    if "id" in data and (isinstance(msg_id, bool) or not isinstance(msg_id, (int, str, type(None)))):
        return "its id is neither a number nor a string"
    if "method" not in data and "id" not in data:
        return "neither a request, a notification nor a response"
    return ""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_body(body: bytes, hook):
    """A message body as JSON, ``hook`` applied to each object as ``json.loads`` applies an
    ``object_hook``. Surrogates a ``\\uXXXX`` escape left unpaired become U+FFFD."""
    text = body.decode("utf-8")
    if _SURROGATE_ESCAPE.search(text) is None:  # the common case: no escape could leave one
        return json.loads(text, object_hook=hook)

    def rebuilt(value):  # bottom-up, in document order, as json.loads calls its hook
        if isinstance(value, str):
            return _LONE_SURROGATE.sub("\ufffd", value)
        if isinstance(value, list):
            return [rebuilt(v) for v in value]
        if isinstance(value, dict):
            return hook({rebuilt(k): rebuilt(v) for k, v in value.items()})
        return value

    return rebuilt(json.loads(text))


# The LSP base protocol: header fields, each ending in \r\n, then an empty line, then
# Content-Length bytes of body. Field names are HTTP tokens.
_CONTENT_LENGTH = re.compile(rb"Content-Length[ \t]{0,8}:[ \t]{0,8}(\d{1,12})[ \t]{0,8}\r\n", re.I)
_TOKEN = rb"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}"
_FIELD = re.compile(_TOKEN + rb"[ \t]{0,8}:[^\r\n]{0,1024}\r\n")
_FIELDS = re.compile(rb"(?:" + _FIELD.pattern + rb")*")
_FIELD_SO_FAR = re.compile(rb"(?:\r|" + _TOKEN + rb"(?:[ \t]{0,8}:[^\r\n]{0,1024}\r?)?)?")  # cut by a read
_HEADER_TAIL = 64  # bytes kept while looking for a header: a Content-Length line cut by a read
_MAX_FIELDS = 16
_AFTER_NAME = re.compile(rb"[ \t]{0,8}(?::[ \t]{0,8}(?:\d{1,12}[ \t]{0,8}\r?)?)?")


def _header_cut_short(buf: bytearray, start: int, stop: int) -> Optional[int]:
    """Where, in ``[start, stop)``, a Content-Length line may begin that the end of ``buf``
    cuts short (None when nowhere)."""
    name = b"content-length"
    for at in range(max(start, len(buf) - _HEADER_TAIL), stop):
        tail = bytes(buf[at:]).lower()
        if name.startswith(tail) or (tail.startswith(name) and _AFTER_NAME.fullmatch(tail, len(name))):
            return at
    return None


class Framer:
    """Cuts the client's byte stream into message bodies, recovering from a wrong Content-Length.

    A valid JSON body cannot hold ``Content-Length: 52`` followed by a raw line break: text
    is only in strings, and a string cannot hold a raw line break. So such a line, followed
    by header fields and an empty line, is always a message's header, wherever it appears:

    - inside the bytes a Content-Length declared for the message before it, that length
      was too large: the body ends where the header begins (the client may be waiting for
      an answer to the message behind it, so no more bytes are waited for);
    - where a header should be but is not, the message before declared too small a length:
      what precedes the next header is the rest of that message and is skipped (the cut
      body already got its Parse error).

    A read can end anywhere, so when a body's last bytes may be the start of such a header,
    the reader waits for the bytes that tell, unless the body itself starts with them (junk
    whose sender may be waiting for its Parse error is taken at its length's word). A wrong
    Content-Length thus costs the message it belongs to (a too-large one is even read whole)
    and nothing after it; the stream is in step again at the next header. Text that only looks
    like a header inside a JSON string is escaped (``\\r\\n``) and never taken for one.
    """

    def __init__(self):
        self._buffer = bytearray()
        self._length: Optional[int] = None  # of the body being read; None while reading a header
        self._scanned = 0  # in that body: where to look for a header again
        self._junk = 0  # bytes skipped since the last header that were no header fields either

    def feed(self, data: bytes) -> list[bytes]:
        """The bodies completed by ``data`` (possibly none), in order."""
        self._buffer += data
        bodies = []
        while True:
            if self._length is None:
                if not self._next_header():
                    return bodies
            else:
                body = self._next_body()
                if body is None:
                    return bodies
                bodies.append(body)

    def _header(self, start: int, stop: int) -> tuple[str, int, int, int]:
        """The first header whose Content-Length line starts in ``[start, stop)``: ``("complete",
        begin, body start, length)``, ``("partial", begin, 0, 0)`` when the bytes that tell have
        not arrived yet, or ``("none", 0, 0, 0)``."""
        buf = self._buffer
        while True:
            m = _CONTENT_LENGTH.search(buf, start)
            if m is None or m.start() >= stop:
                cut = _header_cut_short(buf, start, stop)
                return ("none", 0, 0, 0) if cut is None else ("partial", cut, 0, 0)
            length, at = int(m.group(1)), m.end()
            for _ in range(_MAX_FIELDS + 1):
                if buf[at:at + 2] == b"\r\n":
                    return "complete", m.start(), at + 2, length
                field = _FIELD.match(buf, at)
                if field is None:
                    if _FIELD_SO_FAR.fullmatch(buf, at):
                        return "partial", m.start(), 0, 0
                    break  # not a header after all
                again = _CONTENT_LENGTH.match(buf, at)
                if again:  # the one nearest the body counts
                    length = int(again.group(1))
                at = field.end()
            start = m.start() + 1

    def _next_header(self) -> bool:
        """Whether a whole header was read (the body's length is then known)."""
        buf = self._buffer
        kind, begin, body_start, length = self._header(0, len(buf))
        if kind == "none":
            self._skip(max(0, len(buf) - _HEADER_TAIL))
            return False
        self._skip(begin)
        if kind == "partial":
            return False
        if self._junk:
            log.warning("skipped %d bytes that were no message (the rest of one whose Content-Length was too "
                        "small?) before the next header", self._junk)
            self._junk = 0
        del buf[:body_start - begin]
        self._length, self._scanned = length, 0
        return True

    def _next_body(self) -> Optional[bytes]:
        buf, length = self._buffer, self._length
        kind, begin, _, _ = self._header(self._scanned, min(len(buf), length))
        if kind == "complete":  # a message starts inside this one: its length was too large
            log.warning("a message declared %d bytes but the next header came after %d; read from there",
                        length, begin)
            end = begin
        elif len(buf) >= length and (kind == "none" or begin == 0):
            # all its bytes are here and no header begins among them, or only one that the body itself
            # starts with (a body of junk): take the length at its word. A header cut short by the
            # end of what arrived, after the start of the body, may be the next message's: wait for it.
            end = length
        else:
            self._scanned = begin if kind == "partial" else max(self._scanned, len(buf) - _HEADER_TAIL)
            return None
        body = bytes(buf[:end])
        del buf[:end]
        self._length, self._scanned = None, 0
        return body

    def _skip(self, count: int) -> None:
        if count <= 0:
            return
        if _FIELDS.fullmatch(self._buffer, 0, count) is None:  # header fields before Content-Length are fine
            self._junk += count
        del self._buffer[:count]


@dataclass(eq=False)
class Analysis:
    """One version of a document as the engine saw it."""

    version: Optional[int]
    generation: int  # of the settings it was computed with
    text: Text
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    records: list[RecordLayout] = field(default_factory=list)
    record_loops: list[dict] = field(default_factory=list)  # per record: field -> lines of loops naming it
    line_size: int = 64
    rule_paths: tuple[str, ...] = ()
    # the last whole-file result with the edited declaration's findings replaced (``fast``): the
    # whole file's analysis of the same text follows
    partial: bool = False

    def lsp_diagnostics(self) -> list[types.Diagnostic]:
        return ([lsp_diagnostic(d, self.text) for d in self.diagnostics]
                + [lsp_error(e, self.text) for e in self.errors])


@dataclass(eq=False)
class Base:
    """A whole-file analysis the fast worker starts from: its text, the worker's unranked result,
    the file's outline (``prefix.outline``) and what it was computed with."""

    text: str
    result: dict
    outline: list
    args: list[str]
    generation: int
    analysis: Analysis


@dataclass(eq=False)
class Document:
    uri: str
    path: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    timer: Optional[asyncio.Task] = None  # a pending debounced analysis, while it waits
    analysis: Optional[Analysis] = None  # the last one published
    closed: bool = False
    base: Optional[Base] = None  # the last whole-file analysis, whatever its version: what ``fast`` edits from
    full: Optional[asyncio.Task] = None  # the whole-file analysis after a partial one, while it runs
    changed_at: float = 0.0  # time.monotonic() of the last change


def document_path(uri: str, language_id: Optional[str], root: Optional[str], number: int) -> str:
    """The file a document stands for; an unsaved buffer gets a name in the workspace."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if path:
        return os.path.abspath(path)
    suffix = _LANGUAGE_SUFFIX.get(language_id or "", ".cpp")
    return os.path.join(root or os.getcwd(), f"untitled-{number}{suffix}")


def suppression_edit(text: Text, line: int, rule: str) -> Edit:
    """``// hotlint: ignore[rule]`` for ``line``: added to an existing list, or appended."""
    data = text.line(line).encode("utf-8")
    existing = re.search(rb"hotlint\s*:\s*ignore\[([^\]]*)\]", data)
    if existing:
        at = Position(line, existing.end(1) + 1)
        sep = ", " if existing.group(1).strip() else ""
        return Edit(Range(at, at), f"{sep}{rule}")
    stripped = data.rstrip()
    if stripped.endswith(b"\\"):  # a macro continues on the next line: a line comment would end it
        at = Position(line, len(stripped))
        return Edit(Range(at, at), f"/* hotlint: ignore[{rule}] */ ")
    at = Position(line, len(stripped) + 1)
    end = text.end_of_line(line)
    return Edit(Range(at, end), f"  // hotlint: ignore[{rule}]")


def rewrite_title(fix: Fix) -> str:
    """"Rewrite: <what it does> (a suggestion: review it)", without the description's own caveat."""
    description = re.sub(r"\s*\(a suggestion[^)]*\)\s*$", "", fix.description)
    description = re.sub(r"^rewrite\s+", "", description, flags=re.I)
    return f"Rewrite: {description} (a suggestion: review it)"


class HotlintServer(LanguageServer):
    def __init__(self):
        super().__init__("hotlint", __version__, protocol_cls=HotlintProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.init_options: dict = {}
        self.settings = ClientSettings()
        self.project = Project(self.settings)
        self.generation = 0
        self.docs: dict[str, Document] = {}
        self.worker = WorkerClient(on_exit=self._worker_exited)
        # Quick answers for an edit inside one declaration (``fast``) come from ``worker``, which
        # answers every edit; the whole-file analyses that follow them run on this second worker,
        # so that typing never waits for one. HOTLINT_FAST_UNITS=0 turns both off.
        self.background: Optional[WorkerClient] = None
        if os.environ.get("HOTLINT_FAST_UNITS", "1") != "0":
            self.background = WorkerClient(on_exit=self._background_exited)
        self._untitled = 0
        self._said: set[str] = set()
        self.shut_down = False
        self._deaths: list[float] = []  # when the worker died unasked, lately
        # the ranking (hotlint.rank): the call graph of every document analyzed (and of the
        # command line's cached results), and each profile read, by path, with its stamp
        self.graph = ProjectGraph()
        self._profiles: dict[str, tuple] = {}
        self._cached_graph: Optional[asyncio.Future] = None  # reading the command line's cached graph
        self._cache_joined = False

    # ---- settings
    def apply_settings(self, data) -> bool:
        """Take the client's settings; whether they changed anything."""
        # a change notification carries what it carries; the rest stays as the client started us
        settings = ClientSettings.parse({**self.init_options, **settings_section(data)}, self.root)
        if settings == self.settings and self.generation:
            return False
        self.settings = settings
        self.project = Project(self.settings)
        self.generation += 1
        return True

    @property
    def root(self) -> Optional[str]:
        try:
            return self.workspace.root_path
        except RuntimeError:  # before initialize
            return None

    def report_server_error(self, error: Exception, source) -> None:
        if source is JsonRpcException and isinstance(error, (ValueError, RecursionError)):  # no JSON to read
            self.protocol.answer_unparsable(error)
            return
        super().report_server_error(error, source)

    # ---- the stdio transport
    def start_io(self, stdin=None, stdout=None) -> None:
        """pygls' stdio server with hotlint's reader (``Framer``): pygls' loses its place for good
        after one wrong Content-Length."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(self._read_stdio(stdin or sys.stdin.buffer))
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    async def _read_stdio(self, stdin) -> None:
        loop = asyncio.get_running_loop()
        read = getattr(stdin, "read1", stdin.read)  # whatever has arrived, up to the size: never waits for more
        framer = Framer()
        while not self._stop_event.is_set():
            data = await loop.run_in_executor(self.thread_pool, read, 65536)
            if not data:
                break
            for body in framer.feed(data):
                self.protocol.handle_body(body)

    # ---- messages to the user
    def say(self, message: str, kind: types.MessageType = types.MessageType.Warning, once: bool = True) -> None:
        if once:
            if message in self._said:
                return
            self._said.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"hotlint: {inert(message)}"))

    def note(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Log,
                                                           message=f"hotlint: {inert(message)}"))

    def _worker_exited(self, reason: str, owed: bool) -> None:
        now = time.monotonic()
        self._deaths = [t for t in self._deaths if now - t < 60] + [now]
        if len(self._deaths) > 3:  # it cannot stay up: start it only when a file needs it
            self.say("the analyzer process keeps exiting; see the server's log", types.MessageType.Error)
            return
        if not owed:  # nobody was waiting on it: say so here (otherwise the analysis says which file)
            self.say(f"the analyzer process {reason}; it was restarted", types.MessageType.Error, once=False)
        asyncio.ensure_future(self._restart_worker())
        # The new worker starts with no parses: analyze the open documents again, so their
        # diagnostics (and hover) come from a live worker. A document that crashed or timed out
        # keeps that report until it changes (two crashing files must not take turns killing
        # workers); the one the worker died on records its crash through its analysis in flight.
        for doc in self.docs.values():
            if doc.analysis is not None and any(e.kind in ("crash", "timeout") for e in doc.analysis.errors):
                continue
            doc.analysis = None
            self.schedule(doc, 0)

    async def _restart_worker(self) -> None:
        try:
            await self.worker.start()
        except Exception as exc:  # pragma: no cover - no Python to start?
            self.say(f"cannot start the analyzer process: {exc}", types.MessageType.Error)

    # ---- documents
    def open(self, item: types.TextDocumentItem) -> Document:
        self._untitled += 1
        doc = Document(item.uri, document_path(item.uri, item.language_id, self.root, self._untitled))
        old = self.docs.pop(item.uri, None)
        if old is not None:
            old.closed = True
        self.docs[item.uri] = doc
        return doc

    def close(self, uri: str) -> None:
        doc = self.docs.pop(uri, None)
        if doc is None:
            return
        doc.closed = True
        if doc.timer is not None:
            doc.timer.cancel()
        if doc.full is not None:
            doc.full.cancel()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        asyncio.ensure_future(self._forget(doc.path))

    async def _forget(self, path: str) -> None:
        for worker in (self.worker, self.background):
            if worker is None or (worker is self.background and worker.pid is None):
                continue
            try:
                await worker.request("close", {"path": path})
            except Exception:
                pass  # a dead worker has forgotten it already

    def version_of(self, doc: Document) -> Optional[int]:
        return self.workspace.get_text_document(doc.uri).version

    def is_current(self, doc: Document, analysis: Optional[Analysis]) -> bool:
        return (analysis is not None and not doc.closed and analysis.generation == self.generation
                and analysis.version == self.version_of(doc))

    def schedule(self, doc: Document, delay: float) -> None:
        """Analyze ``doc`` after ``delay`` seconds unless another change comes first."""
        if doc.timer is not None:
            doc.timer.cancel()
        doc.timer = asyncio.ensure_future(self._after(doc, delay))

    async def _after(self, doc: Document, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            return
        if doc.timer is asyncio.current_task():
            doc.timer = None  # from here on it runs to the end: a later change waits for it
        await self.refresh(doc)

    async def refresh(self, doc: Document) -> Optional[Analysis]:
        """Analyze the document's current text unless already done; publish a result only
        while it is current. Returns what was computed (possibly already stale)."""
        async with doc.lock:
            if doc.closed:
                return None
            if self.is_current(doc, doc.analysis):
                return doc.analysis
            document = self.workspace.get_text_document(doc.uri)
            version, source, generation = document.version, document.source, self.generation
            analysis = await self.analyze_fast(doc, source, version, generation)
            if analysis is None:
                analysis = await self.analyze(doc, source, version, generation)
            # a partial analysis never replaces the whole file's of the same version (done meanwhile)
            if self.is_current(doc, analysis) and not self.worker.closed \
                    and not (analysis.partial and self._complete_and_current(doc)):
                doc.analysis = analysis
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                    uri=doc.uri, diagnostics=analysis.lsp_diagnostics(), version=version))
            if analysis.partial and (doc.full is None or doc.full.done()):
                doc.full = asyncio.ensure_future(self._complete(doc))
            return analysis

    async def _complete(self, doc: Document) -> None:
        """After a partial analysis, analyze the whole file as it is now (on the other worker, once no
        change came for ``WHOLE_FILE_AFTER`` seconds) and publish that while it is current: the findings
        an edit changed outside its declaration. Runs until a whole-file analysis is the current one."""
        while not doc.closed and not self.worker.closed:
            while (pause := doc.changed_at + WHOLE_FILE_AFTER - time.monotonic()) > 0:
                await asyncio.sleep(pause)  # typing goes on: its quick answers come first
            if doc.analysis is not None and not doc.analysis.partial and self.is_current(doc, doc.analysis):
                return
            document = self.workspace.get_text_document(doc.uri)
            version, source, generation = document.version, document.source, self.generation
            analysis = await self.analyze(doc, source, version, generation, self.background)
            if self.is_current(doc, analysis) and not self.worker.closed and not self._complete_and_current(doc):
                doc.analysis = analysis
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                    uri=doc.uri, diagnostics=analysis.lsp_diagnostics(), version=version))

    def _complete_and_current(self, doc: Document) -> bool:
        """Whether what is published is a whole-file analysis of the document as it is."""
        return doc.analysis is not None and not doc.analysis.partial and self.is_current(doc, doc.analysis)

    async def current(self, doc: Document) -> Optional[Analysis]:
        """The analysis of the document as it is now (waiting for one if need be)."""
        while not doc.closed:
            analysis = await self.refresh(doc)
            if analysis is None or self.is_current(doc, analysis):
                return analysis
        return None

    async def analyze(self, doc: Document, source: str, version: Optional[int], generation: int,
                      worker: Optional[WorkerClient] = None) -> Analysis:
        text = Text(source, self.workspace.position_encoding)
        analysis = Analysis(version, generation, text)
        try:
            setup = self.project.setup_for(doc.path)
        except Exception as exc:  # a broken rule pack or config loader must not take the server down
            analysis.errors.append(ErrorRecord(doc.path, f"cannot set up the analysis: {type(exc).__name__}: {exc}",
                                               kind="internal-error"))
            return analysis
        for problem in setup.problems:
            self.say(problem)
        for n in setup.notes:
            self.note(f"{os.path.basename(doc.path)}: {n}")
        if setup.error:
            self.say(setup.error, types.MessageType.Error)
            analysis.errors.append(ErrorRecord(doc.path, setup.error, kind="config"))
            return analysis
        if setup.excluded:
            return analysis
        analysis.line_size = setup.options.settings.cache_line_size or 64  # the worker says the unit's target's
        analysis.rule_paths = tuple(setup.options.rule_paths)
        asked = time.perf_counter()
        reply = await self._ask_worker(doc, source, setup, worker or self.worker)
        if isinstance(reply, ErrorRecord):
            analysis.errors.append(reply)
            return analysis
        log.info("%s v%s: worker %s ms (parse %s ms%s; cpu %s ms; %s units kept), round trip %.0f ms",
                 os.path.basename(doc.path), version, reply.get("total_ms"), reply.get("parse_ms"),
                 ", tail below the cut reparsed" if reply.get("prefix") else ", reparsed" if reply.get("reparsed")
                 else ", stored precompiled headers" if reply.get("pch") else "", reply.get("cpu_ms"), reply.get("units"),
                 (time.perf_counter() - asked) * 1000)
        result = FileResult.from_json(reply["result"])
        for w in result.warnings:
            self.note(f"{os.path.basename(doc.path)}: {w}")
        if reply.get("crashed"):
            self.say(f"libclang crashed while parsing {os.path.basename(doc.path)} (the crash was contained)",
                     types.MessageType.Error, once=False)
        await self._graph_from_cache()
        analysis.diagnostics = self.rank(doc.path, result, setup)
        # the result keeps the first parse error (with what it withholds); show the others where they are
        analysis.errors = result.errors + [ErrorRecord.from_json(e) for e in reply.get("parse_errors", [])[1:]]
        analysis.records = [layout_from_json(r) for r in reply.get("records", [])]
        if isinstance(reply.get("line_size"), int) and reply["line_size"] > 0:
            analysis.line_size = reply["line_size"]
        loops = reply.get("record_loops")
        analysis.record_loops = loops if isinstance(loops, list) and len(loops) == len(analysis.records) else []
        outline = reply.get("outline")
        if isinstance(outline, list) and not analysis.errors and setup.context is None:
            doc.base = Base(source, reply["result"], outline, list(setup.args), generation, analysis)
        return analysis

    async def analyze_fast(self, doc: Document, source: str, version: Optional[int],
                           generation: int) -> Optional[Analysis]:
        """The partial analysis of an edit inside one declaration (``fast``): the last whole-file
        result with that declaration's findings analyzed again. None when there is none (no
        whole-file result to start from, the edit is not inside one declaration, ...)."""
        base = doc.base
        if self.background is None or self.worker.closed or base is None or base.generation != generation \
                or base.text == source:
            return None
        try:
            setup = self.project.setup_for(doc.path)
        except Exception:  # noqa: BLE001 - the whole-file analysis reports it
            return None
        if setup.error or setup.excluded or setup.problems or setup.context is not None or setup.args != base.args:
            return None  # the whole-file analysis says what is wrong, or analyzes differently
        params = {"path": doc.path, "text": source, "args": setup.args, "options": options_to_json(setup.options),
                  "base": base.text, "outline": base.outline}
        asked = time.perf_counter()
        try:
            reply = await self.worker.request("analyze_fast", params, timeout=setup.timeout)
        except (WorkerError, WorkerReplyError) as exc:
            log.info("%s v%s: no quick answer: %s", os.path.basename(doc.path), version, exc)
            return None
        name = os.path.basename(doc.path)
        if not isinstance(reply, dict) or "declined" in reply:
            log.info("%s v%s: no quick answer: %s", name, version, (reply or {}).get("declined"))
            return None
        try:
            merged = fast.merge(base.result, base.text, reply)
        except fast.Declined as exc:
            log.info("%s v%s: no quick answer: %s", name, version, exc)
            return None
        log.info("%s v%s: quick answer, worker %s ms (parse %s ms, the declaration at byte %s, %s), round trip %.0f ms",
                 name, version, reply.get("total_ms"), reply.get("parse_ms"), reply["region"]["start"],
                 reply.get("unit"), (time.perf_counter() - asked) * 1000)
        analysis = Analysis(version, generation, Text(source, self.workspace.position_encoding), partial=True)
        analysis.line_size, analysis.rule_paths = base.analysis.line_size, base.analysis.rule_paths
        analysis.diagnostics = self.rank(doc.path, FileResult.from_json(merged), setup)
        # the layouts of the last whole-file analysis, for the hover: positions outside the edited
        # lines are unchanged; a record inside the edited declaration waits for the next one
        first, last = fast.edited_lines(base.text, reply["edit"])
        kept = [i for i, r in enumerate(base.analysis.records)
                if r.name_range.end.line < first or r.name_range.start.line > last]
        analysis.records = [base.analysis.records[i] for i in kept]
        loops = base.analysis.record_loops
        analysis.record_loops = [loops[i] for i in kept] if len(loops) == len(base.analysis.records) else []
        return analysis

    def _background_exited(self, reason: str, owed: bool) -> None:
        # a whole-file analysis it ran reports the crash on its document; the next one starts another
        log.warning("the background analyzer process %s", reason)

    def read_cached_graph(self) -> None:
        """Start reading, in the background, the call graph of the command line's cached results
        (the workspace's result cache): findings are ranked by the whole project's calls before
        the server has analyzed its files. What the server analyzes replaces the cached part."""
        root = self.root
        if not root or self._cached_graph is not None:
            return
        from ..cache import Cache, default_cache_dir

        def read() -> dict:
            cache = Cache.open(default_cache_dir(root), salt="")
            return cache.fragments() if cache is not None else {}

        self._cached_graph = asyncio.get_running_loop().run_in_executor(None, read)

    async def _graph_from_cache(self) -> None:
        """Join the cached graph once it is read (the first analysis waits for it a little)."""
        task = self._cached_graph
        if task is None or self._cache_joined:
            return
        try:
            fragments = await asyncio.wait_for(asyncio.shield(task), 5.0)
        except asyncio.TimeoutError:
            return  # joined by a later analysis
        except Exception as exc:  # noqa: BLE001 - an unreadable cache only costs the evidence
            log.warning("the cached call graph could not be read: %s", exc)
            fragments = {}
        if self._cache_joined:
            return
        self._cache_joined = True
        added = 0
        for path, fragment in fragments.items():
            if path not in self.graph:
                self.graph.add(path, fragment)
                added += 1
        log.info("call graph: %d files from the result cache", added)

    def rank(self, path: str, result: FileResult, setup: FileSetup) -> list[Diagnostic]:
        """The result's findings ranked as the command line ranks them (``hotlint.rank``): by the
        setup's profiles and the project's call graph, those below the minimum severity left out."""
        from ..rank import DEFAULT_HOT_THRESHOLD, Ranker, at_least

        self.graph.add(path, result.hotness)
        profiles = [p for p in (self._profile(f) for f in setup.profiles) if p is not None]
        try:
            Ranker(profiles, setup.hot_threshold or DEFAULT_HOT_THRESHOLD, graph=self.graph).rank(result.diagnostics)
        except Exception as exc:  # noqa: BLE001 - a ranking fault leaves the engine's severities
            log.exception("ranking %s failed: %s", os.path.basename(path), exc)
        # an editor shows infos as its quietest level, beside the code they name: all of them
        # unless the user or the project asks for less (the command line's default hides them)
        minimum = Severity(setup.min_severity) if setup.min_severity else Severity.INFO
        return at_least(result.diagnostics, minimum)[0]

    def _profile(self, path: str):
        """The profile at ``path``, read again when the file changes; None (said once) when it
        cannot be read."""
        from ..profile import ProfileError, load_profile

        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        held = self._profiles.get(path)
        if held is not None and held[0] == stamp:
            return held[1]
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            self.say(f"profile {exc}; findings are ranked without it", types.MessageType.Warning)
            profile = None
        self._profiles[path] = (stamp, profile)
        return profile

    async def _ask_worker(self, doc: Document, source: str, setup: FileSetup, worker: WorkerClient):
        """The worker's reply, or an error record. A worker that died on another file's
        request sends this one to its successor itself: a crash or a time limit reported
        here is this file's own."""
        params = {"path": doc.path, "text": source, "args": setup.args, "options": options_to_json(setup.options)}
        if setup.context is not None:  # a header analyzed inside a unit that includes it
            params["context"] = {"unit": setup.context.unit, "line": setup.context.line}
        name = os.path.basename(doc.path)
        try:
            return await worker.request("analyze", params, timeout=setup.timeout)
        except WorkerError as exc:
            if worker.closed:
                return ErrorRecord(doc.path, "the server is shutting down", kind="shutdown")
            if exc.timed_out:
                message = (f"analysis of {name} took longer than the {setup.timeout:g} s limit and was stopped; "
                           "raise `timeout` in the configuration or exclude the file")
            else:
                message = (f"the analyzer {exc.reason} while parsing {name}; it was restarted and other files "
                           "are still analyzed; this file is analyzed again when it changes")
            self.say(message, types.MessageType.Error, once=False)
            return ErrorRecord(doc.path, message, kind="timeout" if exc.timed_out else "crash")
        except WorkerReplyError as exc:  # the worker answered with an error
            if exc.kind == "too-large":
                log.warning("%s: %s", name, exc)
                return ErrorRecord(doc.path, str(exc), kind="too-large")
            return ErrorRecord(doc.path, f"internal error in hotlint: worker: {exc}", kind="internal-error")

    # ---- features
    def rule_class(self, analysis: Analysis, name: str):
        return load_rules(analysis.rule_paths).rules.get(name)

    def workspace_edit(self, doc: Document, analysis: Analysis, edits) -> types.WorkspaceEdit:
        text_edits = [lsp_text_edit(e, analysis.text) for e in edits]
        caps = self.client_capabilities.workspace
        versioned = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
        if versioned:
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=analysis.version),
                edits=text_edits)])
        return types.WorkspaceEdit(changes={doc.uri: text_edits})

    def code_actions(self, doc: Document, analysis: Analysis, params: types.CodeActionParams) -> list:
        """Quick fixes (safe, unsafe, suppress) for the findings in range, then the display-only
        rewrites as ``refactor.rewrite``: applied only when the user picks one, never preferred."""
        start, end = analysis.text.from_lsp(params.range.start), analysis.text.from_lsp(params.range.end)
        actions, suppressed = [], set()
        rewrites: dict = {}  # one action per rewrite, however many findings share it (an arena's)
        quickfix = types.CodeActionKind.QuickFix
        for d in analysis.diagnostics:
            if not overlaps(d.range, start, end):
                continue
            diag = lsp_diagnostic(d, analysis.text)
            fix = d.fix
            if fix is not None and fix.applicability is Applicability.DISPLAY_ONLY:
                rewrites.setdefault(fix, []).append(diag)
            elif fix is not None:
                safe = fix.applicability is Applicability.SAFE
                actions.append(types.CodeAction(
                    title=f"{fix.description}" if safe else f"{fix.description} (unsafe fix: review it)",
                    kind=quickfix, diagnostics=[diag], is_preferred=safe,
                    edit=self.workspace_edit(doc, analysis, fix.edits)))
            line = d.range.start.line
            if (d.rule, line) not in suppressed:
                suppressed.add((d.rule, line))
                actions.append(types.CodeAction(
                    title=f"Suppress {d.rule} on this line", kind=quickfix, diagnostics=[diag],
                    edit=self.workspace_edit(doc, analysis, [suppression_edit(analysis.text, line, d.rule)])))
        for fix, diags in rewrites.items():
            actions.append(types.CodeAction(
                title=rewrite_title(fix), kind=types.CodeActionKind.RefactorRewrite, diagnostics=diags,
                is_preferred=False, edit=self.workspace_edit(doc, analysis, fix.edits)))
        only = params.context.only
        if only:
            actions = [a for a in actions if any(a.kind == k or a.kind.startswith(f"{k}.") for k in only)]
        return actions

    def hover(self, analysis: Analysis, position: types.Position) -> Optional[types.Hover]:
        at = analysis.text.from_lsp(position)
        parts, where = [], None
        for d in analysis.diagnostics:
            if overlaps(d.range, at):
                parts.append(finding_markdown(d, self.rule_class(analysis, d.rule)))
                where = where or d.range
        for i, r in enumerate(analysis.records):
            if overlaps(r.name_range, at):
                touched = analysis.record_loops[i] if i < len(analysis.record_loops) else None
                parts.append(layout_table(r, analysis.line_size, touched))
                where = where or r.name_range
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
                           range=analysis.text.range_to_lsp(where))

    async def shutdown_worker(self) -> None:
        for doc in self.docs.values():
            if doc.timer is not None:
                doc.timer.cancel()
            if doc.full is not None:
                doc.full.cancel()
        await self.worker.close()
        if self.background is not None:
            await self.background.close()


def create_server() -> HotlintServer:
    server = HotlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: HotlintServer, params: types.InitializeParams):
        ls.init_options = dict(settings_section(params.initialization_options))
        ls.apply_settings({})

    @server.feature(types.INITIALIZED)
    async def initialized(ls: HotlintServer, params: types.InitializedParams):
        for problem in ls.settings.problems:
            ls.say(f"editor setting {problem}")
        ls.read_cached_graph()
        await ls._restart_worker()  # the first open should not pay for starting Python

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: HotlintServer, params):
        ls.shut_down = True
        await ls.shutdown_worker()

    @server.feature(types.EXIT)
    def exit_(ls: HotlintServer, params):
        # End now: pygls would first join its stdin reader thread, which waits for a client
        # that may itself be waiting for this process to end.
        ls.worker.kill_now()
        if ls.background is not None:
            ls.background.kill_now()
        sys.stdout.flush()
        os._exit(0 if ls.shut_down else 1)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: HotlintServer, params: types.DidOpenTextDocumentParams):
        ls.schedule(ls.open(params.text_document), 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: HotlintServer, params: types.DidChangeTextDocumentParams):
        doc = ls.docs.get(params.text_document.uri)
        if doc is not None:
            doc.changed_at = time.monotonic()
            ls.schedule(doc, ls.settings.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: HotlintServer, params: types.DidSaveTextDocumentParams):
        doc = ls.docs.get(params.text_document.uri)
        if doc is not None:
            ls.schedule(doc, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: HotlintServer, params: types.DidCloseTextDocumentParams):
        ls.close(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier="hotlint", inter_file_dependencies=False,
                                            workspace_diagnostics=False))
    async def pull_diagnostics(ls: HotlintServer, params: types.DocumentDiagnosticParams):
        doc = ls.docs.get(params.text_document.uri)
        if doc is None:  # not open: the file as it is on disk, analyzed once
            uri = params.text_document.uri
            doc = Document(uri, to_fs_path(uri) or uri)
            try:
                source = read_source(doc.path)
            except FileProblem as exc:
                analysis = Analysis(None, ls.generation, Text(""))
                analysis.errors.append(ErrorRecord(doc.path, str(exc), kind=exc.kind))
            else:
                analysis = await ls.analyze(doc, source, None, ls.generation)
                await ls._forget(doc.path)
            return types.RelatedFullDocumentDiagnosticReport(items=analysis.lsp_diagnostics())
        analysis = await ls.current(doc)
        if analysis is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = f"{analysis.generation}:{analysis.version}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=analysis.lsp_diagnostics(), result_id=result_id)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix,
                                                               types.CodeActionKind.RefactorRewrite]))
    async def code_action(ls: HotlintServer, params: types.CodeActionParams):
        doc = ls.docs.get(params.text_document.uri)
        analysis = await ls.current(doc) if doc is not None else None
        if analysis is None:
            return []
        return ls.code_actions(doc, analysis, params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: HotlintServer, params: types.HoverParams):
        doc = ls.docs.get(params.text_document.uri)
        analysis = await ls.current(doc) if doc is not None else None
        return ls.hover(analysis, params.position) if analysis is not None else None

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: HotlintServer, params: types.DidChangeConfigurationParams):
        settings = params.settings
        caps = ls.client_capabilities.workspace
        if not settings and caps is not None and caps.configuration:
            try:
                answer = await ls.workspace_configuration_async(types.ConfigurationParams(
                    items=[types.ConfigurationItem(section="hotlint")]))
                settings = answer[0] if answer else None
            except Exception as exc:
                ls.note(f"workspace/configuration failed: {exc}")
        if not ls.apply_settings(settings):
            return
        for problem in ls.settings.problems:
            ls.say(f"editor setting {problem}")
        for doc in list(ls.docs.values()):
            ls.schedule(doc, 0)

    return server
