"""The language server end to end: the real ``hotlint lsp`` over stdio, driven by pytest-lsp.

No sleeps: every wait is for a notification (bounded by a timeout that only fails the test).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from conftest import FIXTURES, QUEUE, parse_expectations

SERVER = [sys.executable, "-m", "hotlint", "lsp", "--stdio"]  # --stdio as vscode-languageclient passes it
WAIT = 120  # seconds; a bound that fails the test, never a pause

PADDED = """\
#include <cstdint>

struct Order {
  bool active;
  double price;
  int quantity;
};

Order orders[16];
"""
REORDERED = PADDED.replace("  bool active;\n  double price;\n  int quantity;\n",
                           "  double price;\n  int quantity;\n  bool active;\n")
ALIASING = """\
void scale(float* out, const float* in, int n) {
  for (int i = 0; i < n; ++i) out[i] = in[i] * 2.0f;
}
"""
ATOMIC = """\
#include <atomic>

std::atomic<long> hits{0};

void count() { hits++; }
"""


def recording_client() -> LanguageClient:
    """pytest-lsp's client, keeping every diagnostics publication and message in order."""
    client = LanguageClient()
    mine = (types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, types.WINDOW_SHOW_MESSAGE)
    register_lsp_features(client, {k: v for k, v in DEFAULT_CLIENT_FEATURES.items() if k not in mine})
    client.published = []
    client.shown = []
    client.arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams):
        client.published.append(params)
        client.arrived.set()

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def shown(params: types.ShowMessageParams):
        client.shown.append(params)
        client.arrived.set()

    return client


async def until(client: LanguageClient, predicate, timeout: float = WAIT):
    """Wait for notifications until ``predicate()`` returns something true; return it."""

    async def loop():
        while True:
            found = predicate()
            if found:
                return found
            client.arrived.clear()
            await client.arrived.wait()

    return await asyncio.wait_for(loop(), timeout)


def publication(client: LanguageClient, uri: str, version=None):
    """A predicate: the latest publication for ``uri`` (of ``version``, when given)."""

    def find():
        for p in reversed(client.published):
            if p.uri == uri and (version is None or p.version == version):
                return p
        return None

    return find


def found(p: types.PublishDiagnosticsParams) -> Counter:
    return Counter((d.range.start.line + 1, d.code) for d in p.diagnostics)


async def start(client: LanguageClient, root: Path, **options) -> None:
    client.initialized_with = await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=root.as_uri(),
        initialization_options={"debounce": 0, **options},
    ))


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=recording_client))
async def client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=SERVER, client_factory=recording_client,
    server_env={**os.environ, "LIBCLANG_DISABLE_CRASH_RECOVERY": "1"},  # a crash really kills the worker
))
async def crashing_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, tmp_path)
    yield
    await lsp_client.shutdown_session()


def open_doc(client: LanguageClient, path: Path, text: str, language: str = "cpp") -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    return uri


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) as an editor does: last first."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: pos.line])
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = line.encode("utf-16-le")[: pos.character * 2].decode("utf-16-le")
        return before + len(units)

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    edit = action.edit
    if edit.document_changes:
        return [e for change in edit.document_changes if change.text_document.uri == uri for e in change.edits]
    return list(edit.changes[uri])


# ---------------------------------------------------------------------------------------------


FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".cpp", ".c"))


async def test_fixtures_through_the_server(client: LanguageClient):
    """Each fixture, opened as an unsaved buffer, gets exactly its annotated diagnostics."""
    expected = {}
    for path in FIXTURE_FILES:
        text, wanted = parse_expectations(path.read_text())
        uri = open_doc(client, path, text, "c" if path.suffix == ".c" else "cpp")
        expected[uri] = (path, wanted)
    for uri, (path, wanted) in expected.items():
        p = await until(client, publication(client, uri, 1))
        got = Counter((line, rule) for line, rule in found(p).elements())
        assert got == wanted, f"{path.parent.name}/{path.name}: {sorted(p.diagnostics, key=lambda d: d.range.start.line)}"


async def test_unsaved_fix_clears_and_close_clears(client: LanguageClient, tmp_path):
    path = tmp_path / "orders.cpp"
    path.write_text(PADDED)
    uri = open_doc(client, path, PADDED)
    first = await until(client, publication(client, uri, 1))
    assert found(first) == Counter({(3, "padding-waste"): 1})

    replace_all(client, uri, 2, REORDERED)  # the buffer only: the file on disk keeps the old order
    second = await until(client, publication(client, uri, 2))
    assert list(second.diagnostics) == []
    assert path.read_text() == PADDED

    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    cleared = await until(client, lambda: client.published[-1].uri == uri and client.published[-1].version is None
                          and client.published[-1])
    assert list(cleared.diagnostics) == []


async def code_actions(client: LanguageClient, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))


async def test_code_actions_fix_and_suppress(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "orders.cpp", PADDED)
    diagnostic = (await until(client, publication(client, uri, 1))).diagnostics[0]
    actions = await code_actions(client, uri, diagnostic)
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions), [a.title for a in actions]
    suppress = next(a for a in actions if a.title == "Suppress padding-waste on this line")
    (fix,) = [a for a in actions if a is not suppress]
    assert fix.is_preferred and "unsafe" not in fix.title  # nothing reads Order as bytes: a safe reorder

    fixed = apply_text_edits(PADDED, edits_of(fix, uri))
    assert "double price;\n  int quantity;\n  bool active;" in fixed
    replace_all(client, uri, 2, fixed)
    assert list((await until(client, publication(client, uri, 2))).diagnostics) == []

    suppressed = apply_text_edits(PADDED, edits_of(suppress, uri))
    assert "struct Order {  // hotlint: ignore[padding-waste]" in suppressed
    replace_all(client, uri, 3, suppressed)
    assert list((await until(client, publication(client, uri, 3))).diagnostics) == []


async def test_unsafe_fix_says_so(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "scale.cpp", ALIASING)
    (diagnostic,) = (await until(client, publication(client, uri, 1))).diagnostics
    assert diagnostic.code == "aliasing-vectorization"
    (fix,) = [a for a in await code_actions(client, uri, diagnostic) if not a.title.startswith("Suppress")]
    assert fix.title.endswith("(unsafe fix: review it)") and not fix.is_preferred
    assert "__restrict__" in apply_text_edits(ALIASING, edits_of(fix, uri))


def rewrite_of(actions: list[types.CodeAction]) -> types.CodeAction:
    (rewrite,) = [a for a in actions if a.kind == types.CodeActionKind.RefactorRewrite]
    assert rewrite.title.startswith("Rewrite: ") and rewrite.title.endswith("(a suggestion: review it)")
    assert not rewrite.is_preferred and rewrite.disabled is None
    return rewrite


async def test_display_only_fix_is_a_rewrite_never_a_quick_fix(client: LanguageClient, tmp_path):
    text = QUEUE + "static_assert(sizeof(QueueIndices) == 24);\n"  # alignas alone would fail it
    uri = open_doc(client, tmp_path / "queue.cpp", text)
    published = await until(client, publication(client, uri, 1))
    (diagnostic,) = [d for d in published.diagnostics if d.code == "false-sharing"]
    actions = await code_actions(client, uri, diagnostic)
    assert [a.title for a in actions if a.kind == types.CodeActionKind.QuickFix] == [
        "Suppress false-sharing on this line"]
    rewrite = rewrite_of(actions)
    assert "static_assert" in rewrite.title and "alignas(64)" in apply_text_edits(text, edits_of(rewrite, uri))
    only_fixes = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic], only=[types.CodeActionKind.QuickFix])))
    assert all(a.kind == types.CodeActionKind.QuickFix for a in only_fixes)


def advertised_kinds(client: LanguageClient) -> list:
    return client.initialized_with.capabilities.code_action_provider.code_action_kinds


async def test_struct_of_arrays_rewrite_applied_when_chosen(client: LanguageClient):
    """aos-layout's rewrite of the first loop in its fixture: the action's edit, applied as an
    editor applies it, gives the struct-of-arrays version, and that loop's finding goes away."""
    assert types.CodeActionKind.RefactorRewrite in advertised_kinds(client)
    path = FIXTURES / "aos-layout" / "bad.cpp"
    text, _ = parse_expectations(path.read_text())
    uri = open_doc(client, path, text)
    before = await until(client, publication(client, uri, 1))
    (diagnostic,) = [d for d in before.diagnostics if d.range.start.line == 21 and d.code == "aos-layout"]
    actions = await code_actions(client, uri, diagnostic)
    assert any(a.title == "Suppress aos-layout on this line" for a in actions)  # the quick fixes stay
    rewrite = rewrite_of(actions)
    assert "`Entity` as struct of arrays" in rewrite.title

    rewritten = apply_text_edits(text, edits_of(rewrite, uri))
    assert "struct EntitySoA {" in rewritten and "EntitySoA entities_soa(entities);" in rewritten
    replace_all(client, uri, 2, rewritten)
    after = await until(client, publication(client, uri, 2))
    lines = rewritten.split("\n")
    first = lines.index("void integrate(std::vector<Entity>& entities, float dt) {")
    last = lines.index("}", first)
    assert not [d for d in after.diagnostics if d.code == "aos-layout" and first <= d.range.start.line <= last]
    assert Counter(d.code for d in after.diagnostics)["aos-layout"] == \
        Counter(d.code for d in before.diagnostics)["aos-layout"] - 1  # the other loops keep theirs


async def test_arena_rewrite_applied_when_chosen(client: LanguageClient):
    """alloc-in-loop's arena rewrite: the four findings of one loop share one action."""
    path = FIXTURES / "alloc-in-loop" / "bad.cpp"
    text, _ = parse_expectations(path.read_text())
    uri = open_doc(client, path, text)
    before = await until(client, publication(client, uri, 1))
    in_loop = [d for d in before.diagnostics if 164 <= d.range.start.line <= 167]
    assert [d.code for d in in_loop] == ["alloc-in-loop"] * 4
    span = types.Range(start=in_loop[0].range.start, end=in_loop[-1].range.end)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=span,
        context=types.CodeActionContext(diagnostics=in_loop)))
    rewrite = rewrite_of(actions)
    assert "std::pmr::monotonic_buffer_resource" in rewrite.title and len(rewrite.diagnostics) == 4

    rewritten = apply_text_edits(text, edits_of(rewrite, uri))
    assert "std::pmr::monotonic_buffer_resource arena{" in rewritten and "std::pmr::vector<long> sorted(" in rewritten
    replace_all(client, uri, 2, rewritten)
    after = await until(client, publication(client, uri, 2))
    lines = rewritten.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("void arena_buffers("))
    last = lines.index("}", first)
    assert not [d for d in after.diagnostics if first <= d.range.start.line <= last]
    assert len(after.diagnostics) == len(before.diagnostics) - 4


async def test_hover_on_finding_and_on_record(client: LanguageClient, tmp_path):
    text = PADDED + ("\nstruct Wide {\n  char tag;\n  double values[8];\n  char flag;\n};\n"
                     "int count(const Wide& w, int n) {\n  int c = 0;\n  for (int i = 0; i < n; ++i)\n    c += w.flag;\n"
                     "  return c;\n}\n")
    uri = open_doc(client, tmp_path / "orders.cpp", text)
    diagnostic = (await until(client, publication(client, uri, 1))).diagnostics[0]

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=diagnostic.range.start))
    value = hover.contents.value
    assert "`padding-waste`" in value and "24 bytes" in value  # the rule, and this finding's numbers
    assert "**Measured:**" in value and "Why is this bad?" in value
    assert "| 0 | 1 | `active` | `bool` |" in value and "| 1 | 7 | *padding* |" in value

    wide_line = text.split("\n").index("struct Wide {")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=wide_line, character=8)))
    value = hover.contents.value
    assert "**struct Wide**: 80 bytes, alignment 8, 2 cache lines of 64 bytes; 14 bytes of padding in 2 holes" in value
    assert "| 8 | 64 | `values` | `double[8]` | spans cache lines 0–1 |" in value
    assert "| **64** |  | *cache line 1 begins* |" in value
    assert "| 73 | 7 | *tail padding* |" in value
    loop_line = text.split("\n").index("  for (int i = 0; i < n; ++i)") + 1
    assert f"| 72 | 1 | `flag` | `char` | loop at line {loop_line} |" in value  # the fields the file's loops name
    assert "| 0 | 1 | `tag` | `char` |  |" in value


async def test_pull_diagnostics(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "count.cpp", ATOMIC)
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert report.kind == "full"
    assert [(d.range.start.line + 1, d.code) for d in report.items] == [(5, "seq-cst-default")]
    again = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id))
    assert again.kind == "unchanged"


async def test_settings_merge_with_the_project_config(client: LanguageClient, tmp_path):
    (tmp_path / ".hotlint.toml").write_text('ignore = ["seq-cst-default"]\n')
    uri = open_doc(client, tmp_path / "both.cpp", ATOMIC + PADDED.replace("#include <cstdint>\n", ""))
    first = await until(client, publication(client, uri, 1))
    assert {d.code for d in first.diagnostics} == {"padding-waste"}  # the config file's ignore holds

    count = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hotlint": {"ignore": ["padding-waste"]}}))
    changed = await until(client, lambda: len(client.published) > count and client.published[-1])
    assert list(changed.diagnostics) == []  # the editor's ignore adds to the file's

    count = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"hotlint": {"select": ["padding-waste", "seq-cst-default"]}}))
    changed = await until(client, lambda: len(client.published) > count and client.published[-1])
    assert {d.code for d in changed.diagnostics} == {"padding-waste"}  # the file's ignore still holds


def write_database(root: Path, file: str, *flags: str) -> None:
    """``root/build/compile_commands.json`` with one unit: ``file`` (relative to ``root``)
    compiled with ``flags``."""
    (root / "build").mkdir()
    (root / "build" / "compile_commands.json").write_text(json.dumps([{
        "directory": str(root), "file": file, "arguments": ["c++", *flags, "-c", file]}]))


async def test_compile_commands_found_as_the_cli_finds_them(client: LanguageClient, tmp_path):
    """Flags come from build/compile_commands.json upward of the file (as clangd looks)."""
    source = tmp_path / "src" / "main.cpp"
    source.parent.mkdir()
    text = "struct Order { FLAG_T active; double price; int quantity; };\n"
    write_database(tmp_path, "src/main.cpp", "-std=c++17", "-DFLAG_T=bool")
    uri = open_doc(client, source, text)
    p = await until(client, publication(client, uri, 1))
    assert [(d.range.start.line + 1, d.code) for d in p.diagnostics] == [(1, "padding-waste")]

    unlisted = tmp_path / "tools" / "unlisted.cpp"  # not in the database: it borrows the nearest unit's flags
    unlisted.parent.mkdir()
    uri = open_doc(client, unlisted, text)
    p = await until(client, publication(client, uri, 1))
    assert [d.code for d in p.diagnostics] == ["padding-waste"]

    other = tmp_path.parent / f"{tmp_path.name}-elsewhere.cpp"  # no database above it: default flags
    uri = open_doc(client, other, text)
    p = await until(client, publication(client, uri, 1))
    assert [d.code for d in p.diagnostics] == ["parse-error"] and "FLAG_T" in p.diagnostics[0].message


async def test_an_open_header_is_analyzed_inside_the_unit_that_includes_it(client: LanguageClient, tmp_path):
    """A single-header library: its code is under `#ifdef RING_IMPL`, which the database's unit
    defines before the include; the header, open in the editor, is analyzed inside that unit, with
    the editor's text (an edit is seen), and the unit's own findings are not the header's."""
    header = tmp_path / "include" / "ring.h"
    header.parent.mkdir()
    (tmp_path / "src").mkdir()
    text = ("#pragma once\n#include <vector>\nint ring_sum(int n);\n#ifdef RING_IMPL\n"
            "int ring_sum(int n) {\n  int s = 0;\n"
            "  for (int i = 0; i < n; ++i) { std::vector<int> v(8); s += v[0]; }\n  return s;\n}\n#endif\n")
    (tmp_path / "src" / "ring.cpp").write_text('#define RING_IMPL\n#include "ring.h"\n'
                                             "struct Unit { char a; double b; char c; };\nUnit u[4];\n")
    write_database(tmp_path, "src/ring.cpp", "-std=c++17", "-Iinclude")
    uri = open_doc(client, header, text)
    p = await until(client, publication(client, uri, 1))
    assert [(d.range.start.line + 1, d.code) for d in p.diagnostics] == [(7, "alloc-in-loop")]
    replace_all(client, uri, 2, text.replace("std::vector<int> v(8); s += v[0];", "s += i;"))
    p = await until(client, publication(client, uri, 2))
    assert list(p.diagnostics) == []


async def test_rapid_edits_never_publish_a_stale_result(client: LanguageClient, tmp_path):
    uri = open_doc(client, tmp_path / "orders.cpp", PADDED)  # odd versions padded, even ones reordered
    await until(client, publication(client, uri, 1))
    final = 12
    for version in range(2, final + 1):  # back to back: most are outdated before they are parsed
        replace_all(client, uri, version, PADDED if version % 2 else REORDERED)
    await until(client, publication(client, uri, final))
    for p in (p for p in client.published if p.uri == uri):
        assert bool(p.diagnostics) == bool(p.version % 2), f"version {p.version} published another's result"
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions) and versions[-1] == final


async def test_parse_error_is_shown_where_it_is(client: LanguageClient, tmp_path):
    text = "int ok = 1;\nint broken = ;\n"
    uri = open_doc(client, tmp_path / "broken.cpp", text)
    p = await until(client, publication(client, uri, 1))
    errors = [d for d in p.diagnostics if d.code == "parse-error"]
    assert errors and errors[0].range.start.line == 1 and errors[0].severity == types.DiagnosticSeverity.Error


async def test_utf16_columns(client: LanguageClient, tmp_path):
    text = "/* é😀 */ struct Order { bool active; double price; int quantity; };\n"
    uri = open_doc(client, tmp_path / "wide.cpp", text)
    (d,) = (await until(client, publication(client, uri, 1))).diagnostics
    # `Order` starts after 10 UTF-16 units of comment ("😀" is two) and "struct "
    assert (d.range.start.character, d.range.end.character) == (17, 22)


async def test_invalid_params_get_an_error_response(tmp_path):
    """A request whose params do not deserialize is answered with InvalidParams (raw JSON-RPC:
    a typed client would refuse to send it)."""
    proc = await asyncio.create_subprocess_exec(*SERVER, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE)

    def send(message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def receive() -> dict:
        length = 0
        while (line := await proc.stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(await proc.stdout.readexactly(length))

    async def answer(msg_id: int) -> dict:
        while (message := await receive()).get("id") != msg_id or "method" in message:
            pass
        return message

    try:
        send({"id": 1, "method": "initialize", "params": {"capabilities": {}, "rootUri": tmp_path.as_uri()}})
        assert "capabilities" in (await asyncio.wait_for(answer(1), WAIT))["result"]
        send({"method": "initialized", "params": {}})
        send({"id": 2, "method": "textDocument/hover", "params": {"textDocument": 5, "position": "nowhere"}})
        error = (await asyncio.wait_for(answer(2), WAIT))["error"]
        assert error["code"] == -32602 and "textDocument/hover" in error["message"]
        send({"id": 3, "method": "shutdown"})
        await asyncio.wait_for(answer(3), WAIT)
        send({"method": "exit"})
        assert await asyncio.wait_for(proc.wait(), WAIT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_worker_crash_leaves_the_server_serving(crashing_client: LanguageClient, tmp_path):
    client = crashing_client
    good = open_doc(client, tmp_path / "good.cpp", REORDERED)
    padded = open_doc(client, tmp_path / "padded.cpp", PADDED)
    await until(client, publication(client, good, 1))
    await until(client, publication(client, padded, 1))
    published = len(client.published)

    crash = open_doc(client, tmp_path / "crash.cpp", "#pragma clang __debug parser_crash\nint x;\n")
    p = await until(client, publication(client, crash, 1))
    assert [d.code for d in p.diagnostics] == ["crash"]
    message = await until(client, lambda: next((m for m in client.shown if "crash.cpp" in m.message), None))
    assert message.type == types.MessageType.Error and "restarted" in message.message

    def fresh(uri):  # published again after the crash, by the new worker
        return lambda: next((p for p in client.published[published:] if p.uri == uri and p.version == 1), None)

    assert list((await until(client, fresh(good))).diagnostics) == []
    assert found(await until(client, fresh(padded))) == Counter({(3, "padding-waste"): 1})
    assert [[d.code for d in p.diagnostics] for p in client.published[published:] if p.uri == crash] == [["crash"]]

    replace_all(client, good, 2, PADDED)  # the other document is still analyzed, by a new worker
    after = await until(client, publication(client, good, 2))
    assert found(after) == Counter({(3, "padding-waste"): 1})
