"""The language server under a seeded storm of valid and invalid messages (issue 11).

Over the raw stdio pipes of a real ``hotlint lsp``, thousands of messages from one
``random.Random(seed)``: opens, changes (whole and incremental), saves and closes of several
documents of real C++, hovers, code actions and pull diagnostics, and among them what a broken
or hostile client sends: bad params, unknown methods, bodies that are not JSON, wrong
Content-Lengths (too large and too small), responses nobody asked for, JSON nested 100,000
deep, lone surrogates, other JSON-RPC versions, cancellations; sent back to back in rounds,
each ending in a quiet moment (as when the user stops typing). At the end the server is alive,
every request got exactly one response (the few whose frame was garbled on purpose at most
one), no request failed inside the server, and the diagnostics published for each open
document at every quiet moment (and pulled at the end) are what ``hotlint --format json
--no-cache`` finds in the same text.

Run with ``-s`` to see the counts.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from conftest import ROOT
from hotlint.rule import load_rules
from test_lsp_protocol import WAIT, Raw, framed, start

SEED = 20261130
MESSAGES = 2400
ROUNDS = 12  # after each, a quiet moment whose published diagnostics are checked against the CLI

SNIPPETS = [
    # padding-waste
    "#include <cstdint>\n\nstruct Order {\n  bool active;\n  double price;\n  int quantity;\n};\n",
    # the same, reordered: nothing to find
    "#include <cstdint>\n\nstruct Order {\n  double price;\n  int quantity;\n  bool active;\n};\n",
    # seq-cst-default
    "#include <atomic>\n\nstd::atomic<long> hits{0};\n\nvoid count() { hits++; }\nlong seen() { return hits.load(); }\n",
    # aliasing-vectorization
    "void scale(float* out, const float* in, int n) {\n  for (int i = 0; i < n; ++i) out[i] = in[i] * 2.0f;\n}\n",
    # alloc-in-loop
    "#include <memory>\n#include <vector>\n\nstruct Item { long id; };\nvoid use(Item*);\n\n"
    "void each(int n) {\n  for (int i = 0; i < n; ++i) {\n    auto item = std::make_unique<Item>();\n"
    "    use(item.get());\n  }\n}\n",
    # false-sharing
    "#include <atomic>\n#include <cstdint>\nstruct Indices {\n  std::atomic<std::uint64_t> head{0};\n"
    "  std::atomic<std::uint64_t> tail{0};\n};\nIndices q;\n"
    "void produce() { q.head.fetch_add(1, std::memory_order_release); }\n"
    "void consume() { q.tail.fetch_add(1, std::memory_order_release); }\n",
    # a parse error
    "int ok = 1;\nint broken = ;\nstruct Later { char c; double d; char e; };\n",
    # text that looks like a message header, inside a comment (escaped in the JSON string)
    "// Content-Length: 40\r\n\r\n// {\"jsonrpc\": \"2.0\", \"id\": 1}\nstruct Tail { char c; long l; char e; };\n",
]
INSERTIONS = ["\n", "// a comment\n", "int g{n} = {n};\n", "struct R{n} {{ char a; double b; char c; }};\n",
              "/* caf\u00e9 \u4e2d */\n", "// \ud800 lone, \udfff too\n"]
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def as_read(text: str) -> str:
    """The text as the server reads it: each lone surrogate one U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


class Storm:
    """Builds the messages from one seed, keeping what the server must end up with."""

    def __init__(self, rng: random.Random, root: Path, documents: int = 4):
        self.rng = rng
        self.uris = [(root / f"doc{n}.cpp").as_uri() for n in range(documents)]
        self.texts: dict[str, str] = {}  # open documents: the text the client holds
        self.versions: Counter = Counter()
        self.next_id = 100_000  # above the client's own ids (lspraw.Raw counts from 1000), below 10**6
        self.requests: list[object] = []  # every id that must get exactly one response
        self.garbled: list[object] = []  # requests whose frame was garbled: at most one response
        self.null_errors = 0  # answers with id null that must come (Parse error, Invalid Request)
        self.maybe_null_errors = 0  # ... that may come (a garbled frame read as a Parse error)
        self.kinds: Counter = Counter()

    # ---- framing
    frame = staticmethod(framed)

    @staticmethod
    def encode(message: dict) -> bytes:
        return json.dumps({"jsonrpc": "2.0", **message}).encode()  # lone surrogates as \\u escapes

    def request_id(self) -> object:
        self.next_id += 1
        return f"s{self.next_id}" if self.rng.random() < 0.15 else self.next_id

    def request(self, method: str, params) -> bytes:
        msg_id = self.request_id()
        self.requests.append(msg_id)
        return self.frame(self.encode({"id": msg_id, "method": method, "params": params}))

    def notification(self, method: str, params) -> bytes:
        return self.frame(self.encode({"method": method, "params": params}))

    # ---- documents
    def open_uris(self) -> list[str]:
        return [u for u in self.uris if u in self.texts]

    def position(self, uri: str | None) -> dict:
        lines = self.texts.get(uri, "").split("\n")
        line = self.rng.randrange(len(lines) + 2)
        return {"line": line, "character": self.rng.randrange(40)}

    def any_uri(self) -> str:
        pool = self.open_uris() or self.uris
        return self.rng.choice(pool + [self.uris[0].replace("doc0", "nowhere")])

    def change_whole(self, uri: str) -> bytes:
        text = self.rng.choice(SNIPPETS)
        if self.rng.random() < 0.3:
            text = self.rng.choice(INSERTIONS).format(n=self.next_id) + text
        self.texts[uri] = text
        self.versions[uri] += 1
        return self.notification("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": self.versions[uri]}, "contentChanges": [{"text": text}]})

    def change_lines(self, uri: str) -> bytes:
        """Insert a line, or replace whole lines: positions at the start of a line, where the
        client's and the server's counting cannot differ."""
        text = self.texts[uri]
        lines = text.split("\n")
        start = self.rng.randrange(len(lines))
        end = min(len(lines) - 1, start + self.rng.choice([0, 0, 1, 2]))
        new = self.rng.choice(INSERTIONS).format(n=self.next_id)
        offset = sum(len(line) + 1 for line in lines[:start])
        cut = sum(len(line) + 1 for line in lines[start:end])
        self.texts[uri] = text[:offset] + new + text[offset + cut:]
        self.versions[uri] += 1
        return self.notification("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": self.versions[uri]}, "contentChanges": [{
                "range": {"start": {"line": start, "character": 0}, "end": {"line": end, "character": 0}},
                "text": new}]})

    # ---- the storm
    def message(self) -> bytes:
        rng = self.rng
        kinds = [
            ("open-or-close", 6), ("change-whole", 12), ("change-lines", 14), ("save", 4), ("hover", 10),
            ("code-action", 7), ("pull", 5), ("bad-params", 4), ("unknown-request", 3),
            ("unknown-notification", 3), ("garbage", 3), ("not-a-message", 2), ("wrong-length", 4),
            ("stray-response", 3), ("nested", 1), ("surrogate-uri", 2), ("other-version", 2), ("cancel", 3),
            ("configuration", 1), ("bad-id", 1), ("misdirected-change", 2),
        ]
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        self.kinds[kind] += 1
        if kind == "open-or-close":
            uri = rng.choice(self.uris)
            if uri in self.texts:
                del self.texts[uri]
                return self.notification("textDocument/didClose", {"textDocument": {"uri": uri}})
            text = rng.choice(SNIPPETS)
            self.texts[uri] = text
            self.versions[uri] += 1
            return self.notification("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "cpp", "version": self.versions[uri], "text": text}})
        if kind in ("change-whole", "change-lines", "save") and not self.texts:
            return self.message()
        if kind == "change-whole":
            return self.change_whole(rng.choice(self.open_uris()))
        if kind == "change-lines":
            return self.change_lines(rng.choice(self.open_uris()))
        if kind == "save":
            return self.notification("textDocument/didSave", {"textDocument": {"uri": rng.choice(self.open_uris())}})
        if kind == "hover":
            uri = self.any_uri()
            return self.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": self.position(uri)})
        if kind == "code-action":
            uri = self.any_uri()
            a, b = sorted((self.position(uri), self.position(uri)), key=lambda p: (p["line"], p["character"]))
            return self.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {
                "start": a, "end": b}, "context": {"diagnostics": []}})
        if kind == "pull":
            return self.request("textDocument/diagnostic", {"textDocument": {"uri": self.any_uri()}})
        if kind == "bad-params":
            return self.request(rng.choice(["textDocument/hover", "textDocument/codeAction",
                                            "textDocument/diagnostic"]),
                                rng.choice([{"textDocument": 5}, "nowhere", [1, 2], {"position": {"line": -1}},
                                            {"textDocument": {"uri": self.any_uri()},
                                             "position": {"line": "one", "character": None}}]))
        if kind == "unknown-request":
            return self.request(rng.choice(["hotlint/noSuchMethod", "$/fuzz", "textDocument/rename"]), {"x": 1})
        if kind == "unknown-notification":
            return self.notification(rng.choice(["hotlint/fuzz", "$/fuzz", "$/setTrace"]), {"value": "off"})
        if kind == "garbage":
            self.null_errors += 1
            body = rng.choice([b'{"jsonrpc": "2.0", "id": 7, "method": ', b"\xff\xfe\x00garbage\x81",
                               bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 200))) + b"{",
                               b"", b"   "])
            return self.frame(body)
        if kind == "not-a-message":
            self.null_errors += 1
            return self.frame(rng.choice([b"42", b"[]", b"null", b'"text"', b'{"jsonrpc": "2.0"}', b"[1, 2]"]))
        if kind == "wrong-length":
            if rng.random() < 0.5:
                msg_id = self.request_id()
                self.garbled.append(msg_id)
                body = self.encode({"id": msg_id, "method": "textDocument/hover", "params": {
                    "textDocument": {"uri": self.any_uri()}, "position": {"line": 0, "character": 0}}})
            else:
                body = self.encode({"method": "$/fuzz/garbled", "params": {"n": rng.random()}})
            self.maybe_null_errors += 1
            if rng.random() < 0.5:  # too large: the next header turns up inside it
                return self.frame(body, len(body) + rng.randrange(1, 400))
            return self.frame(body, rng.randrange(1, len(body)))  # too small: the rest is skipped
        if kind == "stray-response":
            return self.frame(self.encode(rng.choice([
                {"id": 10 ** 6 + rng.randrange(1000), "result": {"an": "answer to nothing"}},
                {"id": "nobody", "error": {"code": -32000, "message": "no"}},
                {"id": None, "result": None}])))
        if kind == "nested":
            self.null_errors += 1
            depth = rng.randrange(2_000, 100_000)
            return self.frame(rng.choice([b"[" * depth, b'{"a":' * depth + b"1" + b"}" * depth]))
        if kind == "surrogate-uri":
            return self.request("textDocument/hover", {
                "textDocument": {"uri": self.uris[0].replace("doc0", "odd\ud800")},
                "position": {"line": 0, "character": 0}})
        if kind == "other-version":
            msg_id = self.request_id()
            self.requests.append(msg_id)
            return self.frame(json.dumps({"jsonrpc": rng.choice(["1.0", "2", None, 2.0]), "id": msg_id,
                                          "method": "textDocument/hover", "params": {}}).encode())
        if kind == "cancel":
            target = rng.choice(self.requests) if self.requests else 1
            return self.notification("$/cancelRequest", {"id": target})
        if kind == "configuration":
            return self.notification("workspace/didChangeConfiguration", {"settings": {"hotlint": {}}})
        if kind == "bad-id":
            self.null_errors += 1
            return self.frame(self.encode({"id": rng.choice([{"a": 1}, [1], True]),
                                           "method": "textDocument/hover", "params": {}}))
        assert kind == "misdirected-change"
        return self.notification("textDocument/didChange", {
            "textDocument": {"uri": self.uris[0].replace("doc0", "closed"), "version": 3},
            "contentChanges": [{"text": "int x;"}]})


def findings(diagnostics: list[dict], rules: set[str]) -> Counter:
    return Counter((d["range"]["start"]["line"] + 1, d["code"]) for d in diagnostics if d["code"] in rules)


async def settle(c: Raw, storm: Storm, since: int) -> dict[str, tuple[str, list]]:
    """Wait until every request sent since ``since`` is answered and every open document's
    current version is published; what each open document holds and shows then."""
    for msg_id in storm.requests[since:]:
        await c.response(msg_id)
    shown = {}
    for uri, text in storm.texts.items():
        shown[uri] = (as_read(text), (await c.publication(uri, storm.versions[uri]))["diagnostics"])
    return shown


async def test_a_seeded_storm_of_messages_leaves_the_server_serving_and_agreeing_with_the_cli(tmp_path):
    started = time.monotonic()
    storm = Storm(random.Random(SEED), tmp_path, documents=5)
    snapshots: list[dict[str, tuple[str, list]]] = []
    sent = 0  # bytes

    c = await start(tmp_path)
    try:
        await c.initialize(tmp_path, debounce=50)
        for _ in range(ROUNDS):
            since = len(storm.requests)
            for n in range(1, MESSAGES // ROUNDS + 1):
                data = storm.message()  # drawn from the seed alone, never from what the server said
                c.send_bytes(data)
                sent += len(data)
                if n % 50 == 0:  # let the pipe drain as a client's writer does; no waiting for answers
                    await c.proc.stdin.drain()
            await c.proc.stdin.drain()
            # a quiet moment, as when the user stops typing: everything asked so far is answered
            snapshots.append(await settle(c, storm, since))
        # the end: every open document pulled as well
        pulls = {}
        for uri in storm.texts:
            pulls[uri] = c.next_id()
            c.send({"id": pulls[uri], "method": "textDocument/diagnostic", "params": {"textDocument": {"uri": uri}}})
        pulled = {uri: (await c.response(msg_id))["result"]["items"] for uri, msg_id in pulls.items()}
        assert c.proc.returncode is None  # alive

        # exactly one response per request; at most one for a garbled one; none for anything else
        asked = set(storm.requests) | set(range(1, c.ids + 1))  # the storm's, initialize and the pulls
        answers = {msg_id: len(got) for msg_id, got in c.responses.items() if msg_id is not None}
        assert {msg_id for msg_id, n in answers.items() if n != 1} == set()
        assert set(answers) - asked <= set(storm.garbled)
        nulls = len(c.responses.get(None, []))
        assert storm.null_errors <= nulls <= storm.null_errors + storm.maybe_null_errors
        internal = [m for m in c.messages if m.get("error", {}).get("code") == -32603]
        assert internal == []  # no request failed inside the server
        popups = [m["params"]["message"] for m in c.messages if m.get("method") == "window/showMessage"
                  and m["params"]["type"] == 1]
        assert popups == []
        assert await c.finish() == 0
    finally:
        await c.kill()

    # what was shown at each quiet moment against the command line on the same texts, in one run
    cases = tmp_path / "cli"
    cases.mkdir()
    shown = {}
    for n, snapshot in enumerate(snapshots):
        for uri, (text, diagnostics) in snapshot.items():
            path = cases / f"round{n:02}-{Path(uri).name}"
            path.write_text(text, encoding="utf-8")
            shown[path.name] = diagnostics
    for uri, items in pulled.items():
        shown[f"pulled-{Path(uri).name}"] = items
        (cases / f"pulled-{Path(uri).name}").write_text(as_read(storm.texts[uri]), encoding="utf-8")
    # the server publishes every finding at its ranked level (its minSeverity defaults to info)
    out = subprocess.run([sys.executable, "-m", "hotlint", "--format", "json", "--no-cache", "--min-severity", "info",
                          str(cases)],
                         capture_output=True, text=True, cwd=ROOT, timeout=WAIT)
    report = json.loads(out.stdout)
    rules = set(load_rules().names())
    findings_total = 0
    for name, diagnostics in sorted(shown.items()):
        cli = Counter((d["line"], d["rule"]) for d in report["diagnostics"] if Path(d["path"]).name == name)
        cli_errors = [e for e in report["errors"] if Path(e["path"]).name == name]
        assert findings(diagnostics, rules) == cli, (name, (cases / name).read_text())
        assert bool([d for d in diagnostics if d["code"] not in rules]) == bool(cli_errors), name
        findings_total += sum(cli.values())

    publications = sum(1 for m in c.messages if m.get("method") == "textDocument/publishDiagnostics")
    print(f"\nseed {SEED}: {MESSAGES} messages sent ({sent:,} bytes) in {ROUNDS} rounds; "
          f"{len(storm.requests) + len(pulls)} requests, each answered once; {len(storm.garbled)} requests "
          f"with a garbled frame, {len([i for i in storm.garbled if i in c.responses])} of them answered; "
          f"{nulls} answers with id null; {publications} publications; {len(shown)} document states "
          f"({findings_total} findings) equal to the CLI's; {time.monotonic() - started:.1f} s")
    print("message kinds:", dict(sorted(storm.kinds.items())))
