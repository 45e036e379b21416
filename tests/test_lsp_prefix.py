"""Prefix units: the language server's worker reparses only the part of a file below the
declaration being edited. Whatever the cut, the result must be the whole file's."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from hotlint import clang
from hotlint.compdb import default_flags
from hotlint.engine import EngineOptions
from hotlint.lsp import prefix
from hotlint.lsp.worker import Analyzer, _comparable
from hotlint.lsp.wire import options_to_json
from hotlint.positions import ByteOffsets
from hotlint.rule import load_rules

OPTIONS = options_to_json(EngineOptions(rules=tuple(load_rules().names())))


def offsets_of_roots(analyzer: Analyzer, path: str, text: str) -> list[tuple[int, int]]:
    data = text.encode()
    lines = ByteOffsets(data)
    out = []
    for root in clang.main_file_roots(analyzer.units[path].tu, path):
        r = root.range
        out.append((lines.of(r.start.line, r.start.column), lines.of(r.end.line, r.end.column)))
    return out


def insert_space(text: str, offset: int) -> str:
    data = text.encode()
    return (data[:offset] + b" " + data[offset:]).decode()


def edit_twice(path: str, text: str, at: int) -> tuple[dict, dict, Analyzer]:
    """Open ``text``, edit it at byte ``at`` (which starts a prefix unit cut above that
    declaration), edit there again: the second reply, and the whole-file reply for the same text."""
    args = default_flags(path)
    analyzer = Analyzer(prefix_units=True, prefix_after_ms=0)
    analyzer.analyze(path, text, args, OPTIONS)
    first = insert_space(text, at)
    analyzer.analyze(path, first, args, OPTIONS)
    analyzer.settle()
    second = insert_space(first, at)
    reply = analyzer.analyze(path, second, args, OPTIONS)
    whole = Analyzer(prefix_units=False).analyze(path, second, args, OPTIONS)
    return reply, whole, analyzer


def fixture_cases():
    for path in sorted(FIXTURES.glob("*/*")):
        if path.suffix in (".c", ".cpp"):
            yield pytest.param(path, id=f"{path.parent.name}/{path.name}")


@pytest.mark.parametrize("path", list(fixture_cases()))
def test_cut_above_the_last_declaration_gives_the_whole_files_result(path: Path, tmp_path):
    """For every fixture: edit the last top-level declaration twice; the second edit is served by
    a prefix unit, and its diagnostics, fixes, errors and layouts equal the whole file's."""
    text = path.read_text()
    copy = tmp_path / path.name
    copy.write_text(text)
    probe = Analyzer(prefix_units=False)
    probe.analyze(str(copy), text, default_flags(str(copy)), OPTIONS)
    roots = offsets_of_roots(probe, str(copy), text)
    assert len(roots) >= 2
    at = roots[-1][1] - 1  # before the last declaration's final `}` or `;`
    reply, whole, analyzer = edit_twice(str(copy), text, at)
    assert reply.get("prefix"), f"no prefix unit served the edit (refused: {analyzer.refused})"
    assert _comparable(reply) == _comparable(whole)
    assert reply["result"]["diagnostics"] == whole["result"]["diagnostics"]


NAMESPACED = """\
#include <atomic>
#include <vector>

namespace app {
struct Counters {
  std::atomic<long> hits{0};
  std::atomic<long> misses{0};
};

void hit(Counters& c) { c.hits.fetch_add(1); }

namespace detail {
inline namespace v1 {
void miss(Counters& c) { c.misses++; }

long sum(const std::vector<long>& xs) {
  long s = 0;
  for (long x : xs) s += x;
  return s;
}
}  // namespace v1
}  // namespace detail
}  // namespace app

namespace other::nested {
void touch(app::Counters& c) { c.hits.store(2); }

void more(app::Counters& c) {
  for (int i = 0; i < 8; ++i) { auto* p = new long(i); delete p; }
  c.misses.store(3);
}
}  // namespace other::nested
"""


def edit_namespaced(tmp_path, anchor: bytes):
    """``edit_twice`` on ``NAMESPACED`` at ``anchor``: the file's path and the results."""
    path = tmp_path / "ns.cpp"
    path.write_text(NAMESPACED)
    return (str(path), *edit_twice(str(path), NAMESPACED, NAMESPACED.encode().index(anchor)))


def test_cut_inside_nested_namespaces(tmp_path):
    path, reply, whole, _ = edit_namespaced(tmp_path, b"return s;")
    assert reply.get("prefix")
    assert _comparable(reply) == _comparable(whole)
    rules = sorted(d["rule"] for d in reply["result"]["diagnostics"])
    assert rules.count("seq-cst-default") == 4 and "false-sharing" in rules


def test_cut_inside_a_nested_namespace_definition(tmp_path):
    path, reply, whole, analyzer = edit_namespaced(tmp_path, b"c.misses.store(3)")
    unit = analyzer.prefixes[path]
    assert unit.split.openers == (b"namespace other::nested {",)
    assert reply.get("prefix") and _comparable(reply) == _comparable(whole)


def test_an_edit_above_the_cut_falls_back_to_the_whole_file(tmp_path):
    path, reply, _, analyzer = edit_namespaced(tmp_path, b"c.misses.store(3)")
    args = default_flags(path)
    assert reply.get("prefix")
    # a third atomic member above the cut: the prefix unit's head is stale
    above = NAMESPACED.replace("std::atomic<long> misses{0};", "std::atomic<long> misses{0};\n  std::atomic<long> gets{0};")
    above = above.replace("c.misses.store(3)", "c.misses.store(3) ")
    after = analyzer.analyze(path, above, args, OPTIONS)
    assert not after.get("prefix") and path not in analyzer.prefixes
    whole = Analyzer(prefix_units=False).analyze(path, above, args, OPTIONS)
    assert _comparable(after) == _comparable(whole)
    assert any(d["rule"] == "false-sharing" and "gets" in d["message"] for d in after["result"]["diagnostics"])


def test_a_unit_that_disagrees_with_the_whole_file_is_never_used(tmp_path, monkeypatch, caplog):
    real = prefix.head_text
    # a head that is not the file's: one more badly padded record above the cut
    monkeypatch.setattr(prefix, "head_text",
                        lambda data, split: real(data, split) + b"struct Odd { char a; double b; char c; };\n")
    with caplog.at_level("WARNING", logger="hotlint.lsp.worker"):
        path, reply, whole, analyzer = edit_namespaced(tmp_path, b"return s;")
    assert not reply.get("prefix")
    assert _comparable(reply) == _comparable(whole)
    assert analyzer.refused[path] and path not in analyzer.prefixes
    assert "disagrees with the whole file's" in caplog.text


def test_errors_in_the_tail_are_reported_at_their_place(tmp_path):
    path, _, _, analyzer = edit_namespaced(tmp_path, b"c.misses.store(3)")
    args = default_flags(path)
    broken = NAMESPACED.replace("c.misses.store(3);", "c.misses.store(3) undeclared_name;")
    reply = analyzer.analyze(path, broken, args, OPTIONS)
    whole = Analyzer(prefix_units=False).analyze(path, broken, args, OPTIONS)
    assert reply.get("prefix")
    assert reply["parse_errors"] == whole["parse_errors"] and reply["parse_errors"]
    assert reply["result"]["errors"] == whole["result"]["errors"]
    line = broken.split("\n").index(next(x for x in broken.split("\n") if "undeclared_name" in x)) + 1
    assert reply["parse_errors"][0]["line"] == line


def test_closing_a_file_drops_its_units(tmp_path):
    path, _, _, analyzer = edit_namespaced(tmp_path, b"return s;")
    header = analyzer.prefixes[path].header
    assert clang.file_alias(header) == path
    analyzer.close(path)
    assert not analyzer.prefixes and not analyzer.units and clang.file_alias(header) == header


# ---- cutting text
def test_main_text_keeps_every_offset_and_holds_the_include():
    data = "#include <vector>\n// é, a comment that is long enough\nint a;\n\nvoid f() {\n  int é = 1;\n}\n".encode()
    split = prefix.Split(data.index(b"void f"))
    main = prefix.main_text(data, split, "/src/x.cpp")
    assert len(main) == len(data) and main.count(b"\n") == data.count(b"\n")
    assert main.split(b"\n")[1].rstrip() == prefix.include_line("/src/x.cpp")
    assert main[split.offset:] == data[split.offset:]
    assert prefix.head_text(data, split) == data[:split.offset]


def test_with_only_short_lines_the_include_is_continued_on_the_next_line():
    data = b"#include <atomic>\nint a;\nint bb;\nint ccccccccccc;\nvoid f() {\n}\n"
    split = prefix.Split(data.index(b"void f"))
    main = prefix.main_text(data, split, "/src/x.cpp")
    lines = main.split(b"\n")
    assert lines[0].startswith(b"#include ") and lines[0].endswith(b"\\")
    assert lines[1].strip() == lines[2].strip() == b"\\"
    assert (lines[0][:-1].strip() + b" " + lines[3].strip()) == prefix.include_line("/src/x.cpp")
    assert len(main) == len(data)


SHORT_LINES = """\
#include <atomic>
using I = int;
struct P {
  char c;
  double d;
  char e;
};
void g(P& p) {
  p.c = 1;
}
std::atomic<I> n;
void f() {
  n++;
}
"""


def test_a_file_of_short_lines_is_cut_too(tmp_path):
    path = tmp_path / "short.cpp"
    path.write_text(SHORT_LINES)
    assert max(len(line) for line in SHORT_LINES.split("\n")) < len(prefix.include_line(str(path)))
    reply, whole, _ = edit_twice(str(path), SHORT_LINES, SHORT_LINES.encode().index(b"n++"))
    assert reply.get("prefix") and _comparable(reply) == _comparable(whole)
    assert sorted(d["rule"] for d in reply["result"]["diagnostics"]) == ["padding-waste", "seq-cst-default"]


def test_namespace_headers_are_written_again_before_the_tail():
    data = (b"#include <vector>\n// a comment long enough for the include\nnamespace a {\ninline namespace v1 {\n"
            b"int x;  // and one for the namespaces\n\nint y;\n}\n}\n")
    split = prefix.Split(data.index(b"int y"), (b"namespace a {", b"inline namespace v1 {"))
    main = prefix.main_text(data, split, "/src/x.cpp")
    head_part = main[:split.offset]
    assert b" ".join(head_part.split()[2:]) == b"namespace a { inline namespace v1 {"
    assert prefix.head_text(data, split).endswith(b"namespaces\n\n}\n}\n")


def test_no_room_for_the_include_means_no_cut():
    data = b"int a;\nint b;\n"
    assert prefix.main_text(data, prefix.Split(data.index(b"int b")), "/src/a_long_file_name.cpp") is None


def test_a_cut_inside_a_conditional_is_refused(tmp_path):
    text = "#include <vector>\nint a;\n#ifdef __cplusplus\nint b;\nvoid f() {\n  int x = 0;\n}\n#endif\n"
    path = tmp_path / "c.cpp"
    path.write_text(text)
    probe = Analyzer(prefix_units=False)
    probe.analyze(str(path), text, default_flags(str(path)), OPTIONS)
    roots = clang.main_file_roots(probe.units[str(path)].tu, str(path))
    data = text.encode()
    assert prefix.choose_split(roots, data.index(b"int x"), data) is None
    assert prefix.choose_split(roots, data.index(b"int b"), data) is None  # b: after `#ifdef`
    assert prefix.choose_split(roots, data.index(b"int a"), data) is None  # the first declaration


def test_first_difference():
    assert prefix.first_difference(b"abcdef", b"abcdef") is None
    assert prefix.first_difference(b"abcdef", b"abXdef") == 2
    assert prefix.first_difference(b"abc", b"abcd") == 3
    assert prefix.first_difference(b"", b"x") == 0
