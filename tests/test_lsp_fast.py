"""Quick answers for an edit anywhere (hotlint.lsp.fast): the edited declaration analyzed alone,
merged into the last whole-file result, must be what the whole-file analysis of the same text
says; the server publishes only current positions and never reads the project again per edit."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types

from hotlint import clang
from hotlint.compdb import default_flags
from hotlint.engine import EngineOptions
from hotlint.lsp import fast, prefix
from hotlint.lsp.wire import options_to_json
from hotlint.lsp.worker import Analyzer
from hotlint.rule import load_rules

OPTIONS = EngineOptions(rules=tuple(load_rules().names()))

# Three components and a hot function in a namespace: records that waste padding, loops over
# vectors of them, an atomic, a thread; each function has a line the tests edit ("// EDIT <n>").
COMPONENT = """\
struct Item{i} {{
  bool live;
  double weight;
  int bucket;
  std::string name;
}};

class Bin{i} {{
 public:
  void put(const Item{i}& it) {{ items_.push_back(it); }}

  double weigh() const {{
    double w = 0;  // EDIT {i}
    for (const auto& it : items_) {{
      if (it.live) w += it.weight;
    }}
    return w;
  }}

 private:
  std::vector<Item{i}> items_;
  std::map<std::string, int> names_;
}};

std::atomic<int> puts{i}{{0}};
"""

TAIL = """\
namespace app {
long run(const std::vector<long>& xs) {
  long acc = 0;
  int k = 1;  // EDIT last
  for (long x : xs) {
    acc += x * k;
    std::string tag = std::to_string(x);
    acc += static_cast<long>(tag.size());
  }
  std::thread t([&] { acc += 1; });
  t.join();
  return acc;
}
}  // namespace app
"""


def source() -> str:
    head = "".join(f"#include <{h}>\n" for h in ("atomic", "map", "string", "thread", "vector")) + "\n"
    return head + "\n".join(COMPONENT.format(i=i) for i in range(3)) + "\n" + TAIL


def edited(text: str, marker: str, value: int) -> str:
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.endswith(f"// EDIT {marker}"))
    lines[i] = re.sub(r"= \d+;", f"= {value};", lines[i])
    return "\n".join(lines)


def whole(path: str, text: str, args: list[str]) -> dict:
    """The whole-file analysis, as the server's other worker computes it."""
    return Analyzer(prefix_units=False).analyze(path, text, args, options_to_json(OPTIONS))


def comparable(diagnostics: list[dict]) -> list[str]:
    return sorted(json.dumps(d, sort_keys=True) for d in diagnostics)


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fast")
    path = str(folder / "bins.cpp")
    text = source()
    Path(path).write_text(text)
    args = default_flags(path)
    reply = whole(path, text, args)
    assert reply["result"]["diagnostics"] and not reply["result"]["errors"]
    return path, text, args, reply


@pytest.mark.parametrize("marker", ["0", "1", "last"], ids=["first", "middle", "last"])
def test_quick_answer_is_the_whole_files(opened, marker):
    path, text, args, base = opened
    analyzer = Analyzer(prefix_units=False)  # as the server's worker: its whole-file unit is the truncated unit
    analyzer.decls = fast.DeclUnits(own_unit_after_ms=0)  # the truncated unit first, then a unit of its own
    analyzer.analyze(path, text, args, options_to_json(OPTIONS))
    seen = set()
    try:
        for value in (7, 8, 9):
            new = edited(text, marker, value)
            reply = analyzer.analyze_fast(path, new, args, options_to_json(OPTIONS), text, base["outline"])
            assert "declined" not in reply, reply
            seen.add(reply["unit"])
            merged = fast.merge(base["result"], text, reply)
            assert comparable(merged["diagnostics"]) == comparable(whole(path, new, args)["result"]["diagnostics"])
            analyzer.settle()
    finally:
        analyzer.close(path)
    # a declaration unit of its own only where more lies above the declaration than in it
    assert seen == ({"truncated unit"} if marker == "0" else {"truncated unit", "declaration unit"})


def test_the_outline_finds_the_declaration_in_its_namespace(opened):
    path, text, args, base = opened
    new = edited(text, "last", 5)
    region, edit = fast.region_of(text.encode(), new.encode(), base["outline"])
    assert region.split.openers == (b"namespace app {",)
    assert text.encode()[region.decl:].startswith(b"long run(")
    assert region.start <= edit.start < edit.old_end < region.old_end


@pytest.mark.parametrize("change, why", [
    (lambda t: t.replace("double w = 0;  // EDIT 0", "double w = 0;\n  // EDIT 0"), "adds or removes lines"),
    (lambda t: t.replace("double w = 0;  // EDIT 0", "double w = 2;  // EDIT 0")
     .replace("double w = 0;  // EDIT 1", "double w = 2;  // EDIT 1"), "edge of its declaration"),
    (lambda t: t.replace("#include <map>", "#include <map> "), "no declaration"),
    (lambda t: t, "the one last analyzed"),
])
def test_edits_that_get_no_quick_answer(opened, change, why):
    path, text, args, base = opened
    with pytest.raises(fast.Declined, match=why):
        fast.region_of(text.encode(), change(text).encode(), base["outline"])


def test_a_parse_error_in_the_declaration_gets_no_quick_answer(opened):
    path, text, args, base = opened
    analyzer = Analyzer(prefix_units=False)
    reply = analyzer.analyze_fast(path, text.replace("double w = 0;  // EDIT 1", "double w = ;  // EDIT 1"), args,
                                  options_to_json(OPTIONS), text, base["outline"])
    assert "does not parse" in reply["declined"]
    analyzer.close(path)


def test_a_kept_finding_touching_the_edit_declines_the_merge(opened):
    path, text, args, base = opened
    edit_at = text.index("double w = 0;  // EDIT 0")
    lines = text[:edit_at].count("\n") + 1
    inside = {"path": path, "line": 1, "column": 1, "end_line": lines, "end_column": 30, "rule": "x",
              "severity": "info", "message": "spans the edit"}
    result = dict(base["result"], diagnostics=base["result"]["diagnostics"] + [inside])
    reply = {"region": {"start": edit_at - 10, "old_end": edit_at + 30, "new_end": edit_at + 30},
             "edit": {"start": edit_at + 11, "old_end": edit_at + 12, "new_end": edit_at + 12}, "diagnostics": []}
    with pytest.raises(fast.Declined, match="touches the edited text"):
        fast.merge(result, text, reply)


def test_outline_round_trips_and_matches_choose_split(opened):
    path, text, args, _ = opened
    analyzer = Analyzer(prefix_units=False)
    analyzer.analyze(path, text, args, options_to_json(OPTIONS))
    roots = clang.main_file_roots(analyzer.units[path].tu, path)
    data = text.encode()
    decls = prefix.outline(roots, data)
    assert [prefix.Decl.from_json(d.to_json()) for d in decls] == decls
    for marker in ("EDIT 1", "EDIT last"):
        at = data.index(marker.encode())
        assert prefix.enclosing(decls, at, data)[0] == prefix.choose_split(roots, at, data)


# ---- through the server

SERVER = [sys.executable, "-m", "hotlint", "lsp"]


async def _edit_everywhere(folder: Path, text: str, marks: list[str]) -> tuple[list, dict]:
    from pygls.lsp.client import LanguageClient

    path = folder / "bins.cpp"
    path.write_text(text)
    uri = path.as_uri()
    client = LanguageClient("test", "1")
    published: list = []
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params):
        published.append(params)
        arrived.set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params):
        pass

    async def until(predicate):
        while not predicate():
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 120)

    await client.start_io(*SERVER, env={**os.environ, "HOTLINT_FAST_UNITS": "1"})
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         root_uri=folder.as_uri(),
                                                         initialization_options={"debounce": 0}))
    client.initialized(types.InitializedParams())
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="cpp", version=1, text=text)))
    await until(lambda: any(p.version == 1 for p in published))
    texts = {1: text}
    version = 1
    for n, mark in enumerate(marks):
        version += 1
        texts[version] = edited(texts[version - 1], mark, 20 + n)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=texts[version])]))
        await until(lambda v=version: any(p.version == v for p in published))
    # the whole-file analysis of the last version follows its quick answer
    last = version
    try:
        await until(lambda: sum(p.version == last for p in published) >= 2)
    except asyncio.TimeoutError:
        pass
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return published, texts


def ranked(result: dict) -> list[tuple]:
    """The whole-file result as the server shows it: ranked by its own call graph (no profile)."""
    from hotlint.callgraph import ProjectGraph
    from hotlint.lsp.convert import SEVERITY, Text, lsp_diagnostic
    from hotlint.model import FileResult, Severity
    from hotlint.rank import DEFAULT_HOT_THRESHOLD, Ranker, at_least

    res = FileResult.from_json(result)
    Ranker([], DEFAULT_HOT_THRESHOLD, graph=ProjectGraph.of([res])).rank(res.diagnostics)
    text = Text("")
    out = []
    for d in at_least(res.diagnostics, Severity.INFO)[0]:
        shown = lsp_diagnostic(d, text)
        out.append((d.range.start.line - 1, d.range.start.column - 1, d.rule, SEVERITY[d.severity], shown.message))
    return sorted(out)


@pytest.mark.slow  # a real server with two workers
def test_the_server_publishes_each_version_as_the_whole_file_analysis_says(tmp_path):
    text = source()
    marks = ["0", "0", "1", "1", "last", "last", "0"]
    published, texts = asyncio.run(_edit_everywhere(tmp_path, text, marks))
    path = str(tmp_path / "bins.cpp")
    args = default_flags(path)
    expected = {}
    for p in published:
        assert p.version in texts
        if p.version not in expected:
            expected[p.version] = ranked(whole(path, texts[p.version], args)["result"])
        lines = texts[p.version].split("\n")
        got = sorted((d.range.start.line, d.range.start.character, d.code, d.severity, d.message)
                     for d in p.diagnostics)
        assert got == expected[p.version], f"version {p.version}"
        for d in p.diagnostics:  # every position is one of that version's text
            assert d.range.end.line < len(lines) and d.range.start.character <= len(lines[d.range.start.line])
    assert {p.version for p in published} == set(texts)


# ---- project reads per edit

COUNTING_SERVER = """\
import builtins, io, os, sys
ROOT = os.path.realpath(sys.argv[1])
real_open, real_os_open = builtins.open, os.open
def note(name):
    try:
        full = os.path.realpath(os.fspath(name))
    except TypeError:
        return
    if full.startswith(ROOT + os.sep):
        sys.stderr.write("OPENED " + os.path.relpath(full, ROOT) + "\\n")
        sys.stderr.flush()
def counting_open(file, *a, **k):
    note(file)
    return real_open(file, *a, **k)
def counting_os_open(file, *a, **k):
    note(file)
    return real_os_open(file, *a, **k)
builtins.open = io.open = counting_open
os.open = counting_os_open
sys.argv = ["hotlint", "lsp"]
from hotlint.cli import main
sys.exit(main())
"""

OTHER = """\
#include <vector>
struct Row { bool on; double v; int k; };
double total(const std::vector<Row>& rows) {
  double s = 0;
  for (const auto& r : rows) if (r.on) s += r.v;
  return s;
}
"""


@pytest.mark.slow  # a real server; the command line fills the cache first
def test_an_edit_reads_no_project_file(tmp_path):
    """The call graph of the project comes from the command line's result cache, read once
    (in the background, at start); an edit reads neither the cache nor the other files."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".git").mkdir()
    for n in range(4):
        (project / f"other{n}.cpp").write_text(OTHER.replace("total", f"total{n}"))
    main = project / "bins.cpp"
    main.write_text(source())
    subprocess.run([sys.executable, "-m", "hotlint", str(project), "--format", "json"], cwd=project,
                   capture_output=True, timeout=600)
    assert any(project.rglob("*")), "the command line wrote no cache"
    script = tmp_path / "counting.py"
    script.write_text(COUNTING_SERVER)
    opened: list[str] = []

    async def session():
        from pygls.lsp.client import LanguageClient

        client = LanguageClient("test", "1")
        published: list = []
        arrived = asyncio.Event()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params):
            published.append(params.version)
            arrived.set()

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params):
            pass

        async def until(version):
            while version not in published:
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 120)

        async def read_stderr():
            while line := await client._server.stderr.readline():
                text = line.decode(errors="replace")
                if text.startswith("OPENED "):
                    opened.append(text[7:].strip())

        await client.start_io(sys.executable, str(script), str(project))
        reader = asyncio.ensure_future(read_stderr())
        await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                             root_uri=project.as_uri(),
                                                             initialization_options={"debounce": 0}))
        client.initialized(types.InitializedParams())
        uri = main.as_uri()
        text = source()
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="cpp", version=1, text=text)))
        await until(1)
        await asyncio.sleep(0)
        before = len(opened)
        for version, (mark, value) in enumerate([("0", 3), ("1", 4), ("last", 5), ("0", 6)], start=2):
            text = edited(text, mark, value)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
            await until(version)
        during = opened[before:]
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        reader.cancel()
        return opened[:before], during

    at_start, during = asyncio.run(session())
    # the counter sees reads: the cache's entries were read, once, before the first answer
    assert any(p.startswith(".hotlint_cache") and p.endswith(".json") for p in at_start), at_start
    assert during == [], f"files of the project opened by the server while editing: {during}"
