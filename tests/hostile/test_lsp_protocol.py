"""The language server against a hostile checkout and a hostile client (issue 11).

A checkout must not run code in the server's parsing worker; a file whose analysis makes a
huge reply must fail loudly for that document alone; the JSON-RPC stream must survive what a
broken or malicious client sends (wrong Content-Length, deep nesting, lone surrogates, requests
after shutdown); and a crashing file must never get innocent documents blamed for it.

Everything runs the real ``hotlint lsp`` over its stdio pipes with a raw JSON-RPC client that
can send any bytes. No sleeps: every wait is for a message, bounded by a timeout that fails the
test.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lspraw import Raw, framed, lines_and_rules, raw, start  # noqa: F401 (raw: a fixture)
from test_lsp import PADDED, REORDERED, WAIT

CRASH = "#pragma clang __debug parser_crash\nint x;\n"


# ------------------------------------------------------------------ A: a checkout runs no code in the worker


SHADOW = """\
# A checkout's module shadowing hotlint's import of {name!r}: it leaves a marker and then hands
# the importer the real module, so the server works on and the test can list every one that ran.
import importlib, os, sys
open(os.path.join({markers!r}, {name!r} + ".ran"), "w").close()
_here = os.path.dirname(os.path.abspath(__file__))
if os.path.basename(_here) == {name!r}.split(".")[0]:
    _here = os.path.dirname(_here)  # a package: its folder's parent is on sys.path
_saved = sys.path[:]
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
del sys.modules[__name__]
try:
    sys.modules[__name__] = importlib.import_module(__name__)
finally:
    sys.path[:] = _saved
"""


def hotlint_command() -> list[str]:
    """``hotlint lsp`` as editors start it: the installed console script."""
    script = shutil.which("hotlint", path=os.path.dirname(sys.executable)) or shutil.which("hotlint")
    assert script, "the hotlint console script is not installed (pip install -e .)"
    return [script, "lsp"]


async def test_a_checkout_in_the_working_directory_runs_no_code(tmp_path):
    """Started in a checkout holding modules named like what hotlint imports, and a
    ``*.dist-info`` registering a ``hotlint.rules`` entry point, the server analyzes a file
    there and none of that code runs."""
    checkout, markers = tmp_path / "checkout", tmp_path / "markers"
    checkout.mkdir()
    markers.mkdir()
    modules = ["json", "argparse", "selectors", "dataclasses", "typing", "logging", "threading", "ctypes",
               "zlib", "enum", "signal", "hotlint", "clang"]
    for name in modules:
        source = SHADOW.format(name=name, markers=str(markers))
        if name in ("hotlint", "clang"):  # packages: a folder of the same name wins as well
            (checkout / name).mkdir()
            (checkout / name / "__init__.py").write_text(source)
        else:
            (checkout / f"{name}.py").write_text(source)
    dist = checkout / "evil-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hotlint.rules]\nevil = evil_rules\n")
    (checkout / "evil_rules.py").write_text(
        f"open({str(markers / 'evil_rules.ran')!r}, 'w').close()\n")

    c = await start(tmp_path, command=hotlint_command(), cwd=checkout)
    try:
        await c.initialize(checkout)
        uri = c.open(checkout / "orders.cpp", PADDED)
        published = await c.publication(uri, 1)
        assert lines_and_rules(published) == {(3, "padding-waste")}
        assert await c.finish() == 0
    finally:
        await c.kill()
    assert sorted(p.name for p in markers.iterdir()) == []


# ------------------------------------------------------------------ B: huge replies, slow cuts


def exponential_types(depth: int, leaf: str) -> str:
    """A few hundred bytes whose type names double with each line: ``T{depth}`` spells ``leaf``
    2**depth times, and every field's layout carries its type's name."""
    lines = [f"struct {leaf} {{ int v; }};", "template <class A, class B> struct P { A a; B b; };",
             f"using T0 = {leaf};"]
    lines += [f"using T{k} = P<T{k - 1}, T{k - 1}>;" for k in range(1, depth + 1)]
    lines.append(f"struct Holder {{ char tag; T{depth} big; }};")
    return "\n".join(lines) + "\n"


async def test_an_exponentially_long_reply_fails_for_that_document_only(raw: Raw, tmp_path):
    """Before the fix the worker's reply for this file (89 MB of record layouts) was longer
    than the server reads: its reader died, and no document got diagnostics again. Now the
    document is answered (an error naming the reply's size, or findings where type names are
    shortened) and the others are served as before."""
    c = raw
    huge = c.open(tmp_path / "huge.cpp", exponential_types(18, "L" * 80))
    published = await c.publication(huge, 1)
    too_large = [d for d in published["diagnostics"] if d["code"] == "too-large"]
    for d in too_large:  # the cause in the message: how big, over what, and why
        assert "bytes" in d["message"] and "limit" in d["message"] and "record layouts" in d["message"]
    hover = await c.request("textDocument/hover", {"textDocument": {"uri": huge},
                                                   "position": {"line": 0, "character": 8}})
    assert "result" in hover  # requests on it are answered
    other = c.open(tmp_path / "orders.cpp", PADDED)
    assert lines_and_rules(await c.publication(other, 1)) == {(3, "padding-waste")}
    print(f"\nhuge.cpp published: {[d['code'] for d in published['diagnostics']]}"
          + (f"; {too_large[0]['message']}" if too_large else ""))


def wide_record(fields: int) -> str:
    """A record of ``fields`` int fields, written in a few lines with macros."""
    assert fields % 100 == 0
    return textwrap.dedent("""\
        #define F1(n) int f##n;
        #define F10(n) F1(n##0) F1(n##1) F1(n##2) F1(n##3) F1(n##4) F1(n##5) F1(n##6) F1(n##7) F1(n##8) F1(n##9)
        #define F100(n) F10(n##0) F10(n##1) F10(n##2) F10(n##3) F10(n##4) F10(n##5) F10(n##6) F10(n##7) F10(n##8) F10(n##9)
        """) + "struct Wide { " + " ".join(f"F100(x{i})" for i in range(fields // 100)) + " };\n"


async def test_a_reply_over_the_workers_limit_is_an_error_on_that_document(tmp_path):
    """With the worker's reply limit at 100,000 bytes, a record of 1,000 fields (some 300 KB of
    layouts) gets an error diagnostic saying how large its reply was and what made it large;
    the other document keeps its findings, and the document itself is analyzed again once it
    is small enough."""
    c = await start(tmp_path, env={**os.environ, "HOTLINT_WORKER_MAX_REPLY": "100000"})
    try:
        await c.initialize(tmp_path)
        other = c.open(tmp_path / "orders.cpp", PADDED)
        wide = c.open(tmp_path / "wide.cpp", wide_record(1000))
        (error,) = (await c.publication(wide, 1))["diagnostics"]
        assert error["code"] == "too-large" and error["severity"] == 1
        assert "wide.cpp" in error["message"] and "over the 100,000-byte limit" in error["message"]
        assert "record layouts" in error["message"]
        assert lines_and_rules(await c.publication(other, 1)) == {(3, "padding-waste")}
        c.change(wide, 2, PADDED)
        assert lines_and_rules(await c.publication(wide, 2)) == {(3, "padding-waste")}
        print(f"\n{error['message']}")
        assert await c.finish() == 0
    finally:
        await c.kill()


async def test_the_worker_client_survives_a_reply_longer_than_it_reads(tmp_path):
    """The server's reader gives up on a reply line longer than its limit without dying: that
    request fails with the size, and the same worker answers the next one."""
    from hotlint.compdb import default_flags
    from hotlint.engine import EngineOptions
    from hotlint.lsp.wire import options_to_json
    from hotlint.lsp.workerclient import WorkerClient, WorkerReplyError
    from hotlint.rule import load_rules

    options = options_to_json(EngineOptions(rules=tuple(load_rules().names())))
    client = WorkerClient(read_limit=100_000)
    try:
        wide, small = tmp_path / "wide.cpp", tmp_path / "orders.cpp"
        for path, text in ((wide, wide_record(1000)), (small, PADDED)):
            path.write_text(text)

        def ask(path: Path):
            params = {"path": str(path), "text": path.read_text(), "args": default_flags(str(path)),
                      "options": options}
            return asyncio.wait_for(client.request("analyze", params, timeout=WAIT), WAIT)

        await client.start()
        pid = client.pid
        with pytest.raises(WorkerReplyError) as failed:
            await ask(wide)
        assert failed.value.kind == "too-large" and "100,000" in str(failed.value)
        reply = await ask(small)
        assert [d["rule"] for d in reply["result"]["diagnostics"]] == ["padding-waste"]
        assert client.pid == pid  # the same worker: nothing was killed or restarted
        print(f"\n{failed.value}")
    finally:
        await client.close()


PREFIX_SCRIPT = """\
import json, sys
from hotlint.compdb import default_flags
from hotlint.engine import EngineOptions
from hotlint.lsp.worker import Analyzer, _comparable
from hotlint.lsp.wire import options_to_json
from hotlint.rule import load_rules

path, text = sys.argv[1], open(sys.argv[1]).read()
options = options_to_json(EngineOptions(rules=tuple(load_rules().names())))
args = default_flags(path)
analyzer = Analyzer(prefix_units=True, prefix_after_ms=0)  # cut at every edit, however fast
at = text.index("return 1")
versions = [text[:at] + " " * n + text[at:] for n in range(3)]
replies = [analyzer.analyze(path, v, args, options) for v in versions[:2]]
analyzer.settle()
replies.append(analyzer.analyze(path, versions[2], args, options))
whole = Analyzer(prefix_units=False).analyze(path, versions[2], args, options)
print(json.dumps({"prefix": bool(replies[2].get("prefix")),
                  "same": _comparable(replies[2]) == _comparable(whole),
                  "rules": [(d["line"], d["rule"]) for d in replies[2]["result"]["diagnostics"]]}))
"""


@pytest.mark.parametrize("opener, cut", [("VISIBILITY(default) {", False), ("{", True)],
                         ids=["header-with-a-macro-call", "plain-header"])
def test_a_namespace_header_of_300000_spaces_is_cut_quickly(tmp_path, opener: str, cut: bool):
    """Prefix cutting reads the namespace header around an edit. Before the fix its pattern
    backtracked over the spaces quadratically: 2.4 s for 50,000 of them before a macro call,
    some 90 s for 300,000, most of a file's time limit. Bounded here at 30 s."""
    source = ("#include <cstdint>\n#define VISIBILITY(v) __attribute__((visibility(#v)))\n"
              "struct Before { int a; };\n"
              f"namespace app{' ' * 300_000}{opener}\n"
              "struct Order { bool active; double price; int quantity; };\n"
              "int f() { return 1; }\n"
              "}\n")
    path = tmp_path / "spaces.cpp"
    path.write_text(source)
    out = subprocess.run([sys.executable, "-c", PREFIX_SCRIPT, str(path)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=30)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    # a header it cannot copy is not cut at (the whole file is reparsed); a plain one is
    assert result == {"prefix": cut, "same": True, "rules": [[5, "padding-waste"]]}


# ------------------------------------------------------------------ C: the JSON-RPC stream


async def test_after_shutdown_every_request_is_an_invalid_request_and_exit_still_works(tmp_path):
    c = await start(tmp_path)
    try:
        await c.initialize(tmp_path)
        uri = c.open(tmp_path / "orders.cpp", PADDED)
        await c.publication(uri, 1)
        shutdown, hover, again = c.next_id(), c.next_id(), c.next_id()
        # back to back, as a client may pipeline them: the ones after shutdown are refused
        c.send({"id": shutdown, "method": "shutdown"})
        c.send({"id": hover, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 2, "character": 8}}})
        c.send({"id": again, "method": "shutdown"})
        assert (await c.response(shutdown)).get("result", "missing") is None
        for msg_id in (hover, again):
            assert (await c.response(msg_id))["error"]["code"] == -32600, msg_id
        answer = await c.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        assert answer["error"]["code"] == -32600
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                            "contentChanges": [{"text": REORDERED}]})  # ignored
        c.notify("exit")
        assert await asyncio.wait_for(c.proc.wait(), WAIT) == 0
        assert all(len(answers) == 1 for answers in c.responses.values())
    finally:
        await c.kill()


async def test_a_jsonrpc_version_other_than_2_0_is_an_invalid_request(raw: Raw):
    c = raw
    for version in ("1.0", "2", 2.0, None):
        msg_id = c.next_id()
        c.send_body(json.dumps({"jsonrpc": version, "id": msg_id, "method": "textDocument/hover",
                                "params": {"textDocument": {"uri": "file:///x.cpp"},
                                           "position": {"line": 0, "character": 0}}}).encode())
        error = (await c.response(msg_id))["error"]
        assert error["code"] == -32600 and "jsonrpc" in error["message"], version
    assert (await c.request("textDocument/hover", {"textDocument": {"uri": "file:///x.cpp"},
                                                   "position": {"line": 0, "character": 0}}))["result"] is None


async def test_deeply_nested_json_is_a_parse_error_and_the_server_serves_on(raw: Raw, tmp_path):
    c = raw
    for body in (b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000,
                 b'{"jsonrpc": "2.0", "id": 5, "method": "x", "params": ' + b'{"a": ' * 50_000 + b"1"
                 + b"}" * 50_001):
        before = len(c.messages)
        c.send_body(body)
        error = (await c.until(lambda: c.errors_since(before)))[0]
        assert (error["id"], error["error"]["code"]) == (None, -32700)
    uri = c.open(tmp_path / "orders.cpp", PADDED)
    assert lines_and_rules(await c.publication(uri, 1)) == {(3, "padding-waste")}
    assert c.shown() == []  # nothing popped up in the editor


async def test_lone_surrogates_are_replaced_and_every_request_answered(raw: Raw, tmp_path):
    """``\\ud800`` escapes decode to lone surrogates, which no UTF-8 encoder accepts: in a
    document's text and in a uri each is read as one U+FFFD; an escaped pair stays one character."""
    c = raw
    # json.dumps writes each surrogate of these Python strings as a \\uXXXX escape
    text = PADDED.replace("struct Order {", "/* caf\ud83d\ude00 \udfff and \ud800 */ struct Order {")
    plain = (tmp_path / "orders.cpp").as_uri()
    odd = (tmp_path / "odd").as_uri() + "\ud800.cpp"
    for uri in (plain, odd):
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "cpp", "version": 1, "text": text}})
    read_as = (tmp_path / "odd").as_uri() + "\ufffd.cpp"  # the uri the server knows the document by
    for uri in (plain, read_as):
        (finding,) = (await c.publication(uri, 1))["diagnostics"]
        assert finding["code"] == "padding-waste"
        # `Order` after "/* caf" 6, the pair 2, " " 1, U+FFFD 1, " and " 5, U+FFFD 1, " */ " 4,
        # "struct " 7 UTF-16 units: 27 only if each lone surrogate became exactly one U+FFFD
        assert (finding["range"]["start"], finding["range"]["end"]["character"]) == (
            {"line": 2, "character": 27}, 32), uri
    for uri in (plain, odd):
        for method, params in (
                ("textDocument/hover", {"position": {"line": 2, "character": 28}}),
                ("textDocument/diagnostic", {}),
                ("textDocument/codeAction", {"range": {"start": {"line": 2, "character": 27},
                                                       "end": {"line": 2, "character": 32}},
                                             "context": {"diagnostics": []}})):
            answer = await c.request(method, {"textDocument": {"uri": uri}, **params})
            assert "result" in answer, (method, uri, answer)
            assert answer["result"], (method, uri)  # the finding is there to hover, report and fix
    assert c.shown() == []


def message(msg_id, method: str, params) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()


def test_the_reader_loses_no_message_after_a_wrong_length_however_the_stream_is_cut():
    """The server's reader (``server.Framer``) over one stream of frames whose lengths are right,
    too large or too small, cut into reads at seeded random places (1 to 5,000 bytes): every
    body comes out whole, a too-small one as far as its length says (it gets a Parse error),
    and no message after a wrong length is lost, whichever read a header is split across."""
    import random

    from hotlint.lsp.server import Framer

    rng = random.Random(11)
    bodies = [message(n, "x", {"text": "Content-Length: 5\r\n\r\n" * rng.randrange(3) + "y" * rng.randrange(3000)})
              for n in range(300)]
    stream, expected = b"", []
    for n, body in enumerate(bodies):
        if n % 7 == 3:  # too large, often by less than the next header's length
            stream += framed(body, len(body) + rng.choice([rng.randrange(1, 24), rng.randrange(1, 300)]))
            expected.append(body)
        elif n % 7 == 5:  # too small
            cut = rng.randrange(1, len(body))
            stream += framed(body, cut)
            expected.append(body[:cut])
        else:
            stream += framed(body)
            expected.append(body)
    for _ in range(100):
        framer, out, at = Framer(), [], 0
        while at < len(stream):
            size = rng.choice([rng.randrange(1, 64), rng.randrange(1, 5000)])
            out += framer.feed(stream[at:at + size])
            at += size
        assert out == expected


async def test_a_wrong_content_length_costs_only_its_own_message(raw: Raw, tmp_path):
    c = raw
    uri = c.open(tmp_path / "orders.cpp", PADDED)
    await c.publication(uri, 1)
    hover = {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 8}}

    # too large, then a request the client waits for: the server must not wait for bytes that
    # never come; the request behind the header it finds is answered (and so is the first)
    first, second = c.next_id(), c.next_id()
    c.send_body(message(first, "textDocument/hover", hover), length=len(message(first, "textDocument/hover", hover)) + 500)
    c.send_body(message(second, "textDocument/hover", hover))
    assert "`padding-waste`" in (await c.response(second))["result"]["contents"]["value"]
    assert "result" in await c.response(first)

    # too large by a few bytes, the next message close behind: the header it reaches into is
    # still found, so both are answered
    third, fourth = c.next_id(), c.next_id()
    body = message(third, "textDocument/hover", hover)
    c.send_body(body + b" ", length=len(body) + 8)
    c.send_body(message(fourth, "textDocument/hover", hover))
    for msg_id in (third, fourth):
        assert "result" in await c.response(msg_id)

    # too large by 5, the next message written a byte at a time: the body is complete while the next
    # header has only begun to arrive, and the server waits for the rest of it rather than take it
    # for part of the body
    early, trickled = c.next_id(), c.next_id()
    body = message(early, "textDocument/hover", hover)
    c.send_body(body, length=len(body) + 5)
    for byte in framed(message(trickled, "textDocument/hover", hover)):
        c.send_bytes(bytes([byte]))
        await c.proc.stdin.drain()
    for msg_id in (early, trickled):
        assert "result" in await c.response(msg_id)

    # too small: the cut body is a Parse error, the rest of it is skipped, the next is answered
    cut, fifth = c.next_id(), c.next_id()
    before = len(c.messages)
    body = message(cut, "textDocument/hover", hover)
    c.send_body(body, length=len(body) - 20)
    c.send_body(message(fifth, "textDocument/hover", hover))
    assert "result" in await c.response(fifth)
    assert [e["error"]["code"] for e in c.errors_since(before)] == [-32700]

    # ... with a header in a JSON string: text is never taken for a header
    header_text = "// Content-Length: 52\r\n\r\n// {\"jsonrpc\": \"2.0\"}\n" + PADDED
    c.change(uri, 2, header_text)
    published = await c.publication(uri, 2)
    assert lines_and_rules(published) == {(6, "padding-waste")}  # the whole text, three lines lower

    # a header without a body, then a well-formed request: the empty body is a Parse error
    sixth = c.next_id()
    before = len(c.messages)
    c.send_bytes(b"Content-Length: 40\r\n\r\n")
    c.send_body(message(sixth, "textDocument/hover", hover))
    assert "result" in await c.response(sixth)
    assert [e["error"]["code"] for e in c.errors_since(before)] == [-32700]

    # every request answered once, but the one cut short, which could not be read
    assert all(len(answers) == 1 for msg_id, answers in c.responses.items() if msg_id is not None)
    assert cut not in c.responses
    assert {first, second, third, fourth, early, trickled, fifth, sixth} <= set(c.responses)
    assert c.shown() == []


# ------------------------------------------------------------------ C: crashes blame only their file


async def test_innocent_documents_are_never_blamed_for_other_files_crashes(tmp_path):
    """Four files that crash libclang (and with it the worker) opened among four innocent ones:
    every crash is reported on its own file, every innocent file gets its findings, whatever
    the order the worker met them in."""
    c = await start(tmp_path, env={**os.environ, "LIBCLANG_DISABLE_CRASH_RECOVERY": "1"})
    try:
        await c.initialize(tmp_path)
        crashes, innocents = [], []
        for n in range(4):
            crashes.append(c.open(tmp_path / f"crash{n}.cpp", CRASH))
            innocents.append(c.open(tmp_path / f"good{n}.cpp", PADDED))
        for uri in crashes:
            assert [d["code"] for d in (await c.publication(uri, 1))["diagnostics"]] == ["crash"], uri
        for uri in innocents:
            assert lines_and_rules(await c.publication(uri, 1)) == {(3, "padding-waste")}, uri
        for uri in innocents:  # and never anything else in between
            for p in c.published(uri):
                assert lines_and_rules(p) == {(3, "padding-waste")}, (uri, p)
        assert not [m for m in c.shown() if "good" in m]
        # an innocent file edited after all of it is analyzed by a live worker
        c.change(innocents[0], 2, REORDERED)
        assert (await c.publication(innocents[0], 2))["diagnostics"] == []
        assert await c.finish() == 0
    finally:
        await c.kill()
