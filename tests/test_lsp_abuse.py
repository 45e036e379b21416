"""The language server under abuse: floods of edits and opens, malformed JSON-RPC, requests
about documents that are not open, positions out of range, a worker that crashes.

The real ``hotlint lsp`` over stdio: pytest-lsp where a well-formed client will do, a raw
JSON-RPC client over the process's pipes (tests/lspraw.py) where the test must send what no client
library would.
No sleeps: every wait is for a response or a notification, bounded by a timeout that fails the test.
Run with ``-s`` to see the memory figures of the flood test.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import ROOT
from hotlint.lsp.worker import MAX_UNITS
from lspraw import Raw, raw  # noqa: F401 (raw: a fixture)
from lspraw import lines_and_rules as raw_lines_and_rules
from test_lsp import PADDED, REORDERED, client, open_doc, publication, replace_all, until  # noqa: F401


def lines_and_rules(diagnostics) -> set[tuple[int, str]]:
    return {(d.range.start.line + 1, d.code) for d in diagnostics}


def analyzed_alone(tmp_path: Path, text: str) -> set[tuple[int, str]]:
    """What the command line finds in ``text`` (1-based line, rule), infos too, as the server
    publishes them."""
    path = tmp_path / "alone" / "final.cpp"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    out = subprocess.run([sys.executable, "-m", "hotlint", "--format", "json", "--no-cache", "--min-severity", "info",
                          str(path)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    return {(d["line"], d["rule"]) for d in json.loads(out.stdout)["diagnostics"]}


# ------------------------------------------------------------------ 1,000 changes, one document


def flood_text(version: int) -> str:
    """Odd versions have a finding, even ones none; the blank lines move it, so every version's
    result differs from its neighbours'."""
    return "\n" * (version % 5) + (PADDED if version % 2 else REORDERED)


async def test_a_thousand_rapid_changes_end_with_the_final_texts_diagnostics(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "orders.cpp", flood_text(1))
    await until(client, publication(client, uri, 1))
    final = 1001
    for version in range(2, final + 1):  # back to back, whole-text changes, no waiting
        replace_all(client, uri, version, flood_text(version))
    last = await until(client, publication(client, uri, final))

    assert lines_and_rules(last.diagnostics) == analyzed_alone(tmp_path, flood_text(final)) == {(4, "padding-waste")}
    mine = [p for p in client.published if p.uri == uri]
    for p in mine:  # each publication describes exactly the version it names
        wanted = {(3 + p.version % 5, "padding-waste")} if p.version % 2 else set()
        assert lines_and_rules(p.diagnostics) == wanted, f"version {p.version} published another version's result"
    versions = [p.version for p in mine]
    assert versions == sorted(set(versions)) and versions[-1] == final
    print(f"\n1,000 changes: {len(versions) - 1} publications after the first (versions {versions[1:6]}...)")

    # the server is still responsive afterwards, and answers from the final text
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=last.diagnostics[0].range.start))
    assert "`padding-waste`" in hover.contents.value


# ------------------------------------------------------------------ malformed and misdirected input


async def test_malformed_input_gets_proper_errors_and_the_server_serves_on(raw: Raw, tmp_path):
    c = raw
    uri = c.open(tmp_path / "orders.cpp", PADDED)
    (first,) = await c.until(lambda: c.published(uri, 1))
    (finding,) = first["diagnostics"]
    tried = 0

    # bodies that are not JSON, or JSON that is no JSON-RPC message: answered with id null
    # (or the message's own id where it has one that can be read)
    unanswerable = [
        (b'{"jsonrpc": "2.0", "id": 7, "method": ', -32700, None),  # cut short
        (b"\xff\xfe\x00garbage\x81\x00", -32700, None),  # not UTF-8, not JSON
        (b"Content-Length: 12\r\n", -32700, None),  # a header where the body should be
        (b"42", -32600, None), (b"[]", -32600, None), (b'[{"jsonrpc": "2.0"}]', -32600, None),
        (b"null", -32600, None), (b'"text"', -32600, None), (b'{"jsonrpc": "2.0"}', -32600, None),
        (b'{"id": 10, "method": "textDocument/hover"}', -32600, 10),  # no "jsonrpc"
        (b'{"jsonrpc": "2.0", "id": 11, "method": 5}', -32600, 11),
        (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "textDocument/hover", "params": {}}', -32600, None),
        (b'{"jsonrpc": "2.0", "id": 12, "method": "textDocument/hover", "params": "nowhere"}', -32602, 12),
    ]
    for body, code, msg_id in unanswerable:
        before = len(c.messages)
        c.send_body(body)
        tried += 1
        error = await c.until(lambda: next(iter(c.errors_since(before)), None))
        assert (error["error"]["code"], error["id"]) == (code, msg_id), body
    await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
    assert len(c.unasked_errors()) == len(unanswerable)  # one answer each, no more

    # unknown methods: a request gets MethodNotFound, a notification is ignored
    assert (await c.request("hotlint/noSuchMethod", {}))["error"]["code"] == -32601
    c.notify("hotlint/noSuchNotification", {"x": 1})
    c.notify("$/noSuchNotification", {})
    c.send({"id": 99999, "result": {"an": "answer to nothing"}})  # a response nobody asked for
    tried += 4

    # requests about documents that are not open: an empty answer (the file is not on disk either)
    nowhere = (tmp_path / "nowhere.cpp").as_uri()
    origin = {"line": 0, "character": 0}
    assert (await c.request("textDocument/hover", {"textDocument": {"uri": nowhere}, "position": origin})
            )["result"] is None
    assert (await c.request("textDocument/codeAction", {
        "textDocument": {"uri": nowhere}, "range": {"start": origin, "end": origin},
        "context": {"diagnostics": []}}))["result"] == []
    report = (await c.request("textDocument/diagnostic", {"textDocument": {"uri": nowhere}}))["result"]
    assert [d["code"] for d in report["items"]] == ["missing-file"]
    c.notify("textDocument/didChange", {"textDocument": {"uri": nowhere, "version": 2},
                                        "contentChanges": [{"text": "int x;"}]})
    c.notify("textDocument/didSave", {"textDocument": {"uri": nowhere}})
    c.notify("textDocument/didClose", {"textDocument": {"uri": nowhere}})
    tried += 6

    # positions and ranges out of range on an open document: no finding there, nothing to do
    for position in ({"line": 10**6, "character": 10**6}, {"line": 2, "character": 10**6},
                     {"line": 2**31 - 1, "character": 2**31 - 1}):
        answer = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position})
        assert answer["result"] is None, position
        answer = await c.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": {"start": position, "end": position},
            "context": {"diagnostics": []}})
        assert answer["result"] == [], position
        tried += 2
    backwards = {"start": {"line": 10**6, "character": 0}, "end": {"line": 0, "character": 0}}
    answer = await c.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": backwards,
                                                         "context": {"diagnostics": []}})
    assert answer["result"] == []
    tried += 1
    for position in ({"line": -1, "character": 0}, {"line": 0, "character": -1}, {"line": 2**32, "character": 0},
                     {"line": "one", "character": 0}, {"line": None, "character": 0}):
        answer = await c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position})
        assert answer.get("error", {}).get("code") == -32602, (position, answer)  # not a uinteger: InvalidParams
        tried += 1

    answer = await c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                    "position": {"line": 1.5, "character": 0}})
    assert answer["result"] is None  # read as line 1 (pygls' converter truncates): answered all the same
    tried += 1

    # incremental changes outside the text are clamped (as editors do), not fatal
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 500, "character": 0}, "end": {"line": 900, "character": 3}}, "text": "\n"}]})
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
        {"range": {"start": {"line": 3, "character": 900}, "end": {"line": 1, "character": 0}}, "text": ""}]})
    tried += 2

    # after all of it: a normal request is answered and a change is analyzed and published
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4},
                                        "contentChanges": [{"text": PADDED}]})
    (again,) = await c.until(lambda: c.published(uri, 4))
    assert raw_lines_and_rules(again) == {(3, "padding-waste")}
    hover = await c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                   "position": finding["range"]["start"]})
    assert "`padding-waste`" in hover["result"]["contents"]["value"]
    assert c.shown(types.MessageType.Error) == []  # nothing above is the user's problem
    # the unknown notifications, the stray response and the changes to unopened documents went unanswered
    assert len(c.unasked_errors()) == len(unanswerable)
    assert c.proc.returncode is None
    print(f"\nmalformed or misdirected inputs tried: {tried}; server still serving")


# ------------------------------------------------------------------ 200 documents opened and closed


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def worker_of(server: int) -> int:
    """The parsing worker: the server's child running ``hotlint.lsp.worker``."""
    for pid in children(server):
        try:
            if b"hotlint.lsp.worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            pass
    raise AssertionError(f"no worker among the children of {server}")


def units_kept(log: Path, name: str) -> int:
    """How many translation units the worker kept after analyzing ``name`` (from the server's log)."""
    line = rf"^hotlint lsp INFO hotlint.lsp: {re.escape(name)} v\d+: .*; (\d+) units kept\)"
    found = re.findall(line, log.read_text(), re.M)
    assert found, f"no analysis of {name} in the log"
    return int(found[-1])


def small_source(n: int) -> str:
    return f"#include <cstdint>\n\nstruct Order{n} {{\n  bool active;\n  double price;\n  int quantity;\n}};\n"


async def test_two_hundred_documents_opened_and_closed_keep_memory_bounded(raw: Raw, tmp_path):
    c = raw
    server = c.proc.pid
    warm = c.open(tmp_path / "warm.cpp", small_source(0))
    assert raw_lines_and_rules((await c.until(lambda: c.published(warm, 1)))[0]) == {(3, "padding-waste")}
    worker = worker_of(server)
    log = tmp_path / "server.log"
    assert units_kept(log, "warm.cpp") == 1
    before = rss_kib(server), rss_kib(worker)

    uris = [c.open(tmp_path / f"doc{n:03}.cpp", small_source(n)) for n in range(1, 201)]
    for uri in uris:
        (p,) = await c.until(lambda: c.published(uri, 1))
        assert raw_lines_and_rules(p) == {(3, "padding-waste")}, uri
    assert worker_of(server) == worker  # no crash, no restart
    flooded = rss_kib(server), rss_kib(worker)
    kept = [units_kept(log, f"doc{n:03}.cpp") for n in range(1, 201)]
    assert max(kept) == MAX_UNITS  # the least recently used are dropped beyond it

    for uri in [warm, *uris]:
        c.close(uri)
    # the worker answers in order: once a document opened after the closes is analyzed,
    # every close has reached it
    sentinel = c.open(tmp_path / "sentinel.cpp", small_source(999))
    await c.until(lambda: c.published(sentinel, 1))
    for uri in [warm, *uris]:  # each close cleared the document's diagnostics
        assert c.published(uri)[-1]["diagnostics"] == [], uri
    closed = rss_kib(server), rss_kib(worker)
    assert units_kept(log, "sentinel.cpp") == 1  # its own: closing released every other parse

    mib = lambda kib: f"{kib / 1024:.0f} MiB"  # noqa: E731
    print(f"\nRSS (VmRSS)      warm-up   after 200 opens   after closing")
    print(f"server pid {server:<6}{mib(before[0]):>8}{mib(flooded[0]):>16}{mib(closed[0]):>16}")
    print(f"worker pid {worker:<6}{mib(before[1]):>8}{mib(flooded[1]):>16}{mib(closed[1]):>16}")
    print(f"translation units kept by the worker: 1 warm-up, at most {max(kept)} in the flood "
          f"(MAX_UNITS {MAX_UNITS}), 1 after closing (the sentinel's)")
    bound = 300 * 1024  # KiB above the warm-up level, for each process
    assert closed[0] < before[0] + bound and closed[1] < before[1] + bound
    assert flooded[1] < before[1] + bound


# ------------------------------------------------------------------ a crash, as the editor sees it
# (tests/test_lsp.py::test_a_worker_crash_leaves_the_server_serving: the other open documents are
# analyzed again by the new worker, the crashing one keeps its crash diagnostic)
