"""The one source model (hotlint.analysis.source): lines, ranges and columns as clang counts them,
checked against libclang's own positions, and the token and bracket helpers rules share."""

from __future__ import annotations

import pytest

from conftest import nodes, one, parse_roots
from hotlint import clang
from hotlint.analysis import source as S
from hotlint.analysis.kinds import K
from hotlint.analysis.source import SourceText
from hotlint.model import Position, Range


# ---------------------------------------------------------------------- lines as clang counts them

# text, and the names of the variables declared in it (each declared once, `int NAME;`)
LINE_CASES = {
    "form feed ending a line": "int a;\f\nint b;\nint c;\n",
    "form feed inside a line": "int a;\fint b;\nint c;\n",
    "form feed at the top": "\fint a;\nint b;\n",
    "vertical tab": "int a;\vint b;\nint c;\n",
    "next line (U+0085) in a comment": "int a; /* \x85 */ int b;\nint c;\n",
    "line separator in a comment": "int a; /* \u2028 */ int b;\nint c;\n",
    "paragraph separator in a comment": "int a; /* \u2029 */ int b;\nint c;\n",
    "lone carriage return": "int a;\rint b;\nint c;\n",
    "carriage return and line feed": "int a;\r\nint b;\r\nint c;\r\n",
    "mixed ends": "int a;\rint b;\r\nint c;\nint d;",
}


@pytest.mark.parametrize("text", LINE_CASES.values(), ids=LINE_CASES.keys())
def test_every_declaration_is_on_the_line_and_column_clang_gives_it(tmp_path, text):
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    assert roots
    for decl in roots:
        loc = decl.location
        assert src.line_bytes(loc.line)[loc.column - 1:].startswith(decl.spelling.encode()), (decl, src.lines)
        assert src.line(loc.line).encode() == src.line_bytes(loc.line)
        assert src.text(decl.name_range) == decl.spelling
        assert src.text(decl.range) == f"int {decl.spelling}"
    assert src.last_line == roots[-1].location.line + (1 if text.endswith(("\n", "\r")) else 0)


def test_the_cases_above_are_ones_str_splitlines_and_split_on_newline_get_wrong():
    # the line models rules and outputs used before: each case misplaces a line in one of them
    for text in LINE_CASES.values():
        if "\r\n" in text and "\r" not in text.replace("\r\n", ""):
            continue  # CRLF: every model agreed
        clang_lines = SourceText(text).lines
        assert text.splitlines() != clang_lines or [ln.rstrip("\r") for ln in text.split("\n")][:-1] != clang_lines


def test_lines_are_those_of_splitlines_for_ordinary_text():
    for text in ("", "x", "x\n", "x\n\n", "a\r\nb\r\n", "a\n\nb", "\n"):
        assert SourceText(text).lines == text.splitlines()
        assert S.split_lines(text) == text.splitlines()


def test_line_outside_the_file_is_empty():
    src = SourceText("a\nb\n")
    assert [src.line(n) for n in range(-1, 5)] == ["", "", "a", "b", "", ""]
    assert src.line_bytes(0) == src.line_bytes(4) == b""
    assert src.last_line == 3  # the empty line after the final `\n`, where clang can point


def test_line_starts_end_lines_as_clang_does():
    assert S.line_starts(b"a\nb") == [0, 2]
    assert S.line_starts(b"a\r\nb\rc\n") == [0, 3, 5, 7]
    assert S.line_starts(b"a\fb\vc\xc2\x85d\n") == [0, 9]
    assert S.line_starts(b"") == [0]


def test_columns_count_utf8_bytes_as_clangs_do(tmp_path):
    text = "/* é, ü */ int ä_b = 1; int c;\n"
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    var = roots[0]
    assert var.location == Position(1, 18)  # 15 characters before it, 17 bytes
    assert src.text(var.name_range) == "ä_b"
    assert src.text(var.range) == "int ä_b = 1"
    assert src.before(var.location) == "/* é, ü */ int "
    assert src.after(var.location) == "ä_b = 1; int c;".encode()
    cut = Range(Position(1, 4), Position(1, 5))  # the first byte of `é` only
    assert src.text(cut) is None
    with pytest.raises(UnicodeDecodeError):
        src.text(cut, strict=True)
    assert src.snippet(cut, multiline="first-line") == "\ufffd"
    assert src.before(Position(1, 5)) == "/* \ufffd"


# ---------------------------------------------------------------------- text of a range, CRLF contract


def test_crlf_lines_lose_their_carriage_return_and_ranges_keep_it(tmp_path):
    text = "struct S {\r\n  int a;\r\n};\r\nint f() { return 1; }\r\n"
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    record = one(roots, K.STRUCT_DECL)
    assert src.lines == ["struct S {", "  int a;", "};", "int f() { return 1; }"]
    assert src.text(record.range) == "struct S {\r\n  int a;\r\n}"
    # a single-line range whose end lies past the content reaches the `\r`, never the `\n`
    assert src.text(Range(Position(4, 1), Position(4, 99))) == "int f() { return 1; }\r"
    assert src.text(Range(Position(2, 3), Position(2, 99))) == "int a;\r"
    assert src.offset(Position(2, 99)) == len("struct S {\r\n  int a;\r")
    # ... which a snippet for a message does not show
    assert src.snippet(Range(Position(4, 1), Position(4, 99)), multiline="first-line") == "int f() { return 1; }"


def test_a_lone_carriage_return_ends_a_line_and_stays_in_a_range(tmp_path):
    text = "struct S {\r  int a;\r};\n"
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    field = one(roots, K.FIELD_DECL)
    assert field.location == Position(2, 7)
    assert src.text(field.range) == "int a"
    assert src.text(one(roots, K.STRUCT_DECL).range) == "struct S {\r  int a;\r}"
    assert src.text(Range(Position(2, 3), Position(2, 99))) == "int a;"  # no `\r` reached past a lone one


def test_indent_following_lines_indents_after_each_of_clangs_line_ends():
    assert S.indent_following_lines("a\nb\r\nc\rd", "  ") == "a\n  b\r\n  c\r  d"
    assert S.indent_following_lines("x", "  ") == "x"
    assert S.indent_following_lines("a\fb\n", "  ") == "a\fb\n  "  # a form feed ends no line


def test_ranges_outside_the_file_or_reversed_have_no_text():
    src = SourceText("int a;\nint b;\n")
    for r in (Range(Position(0, 1), Position(1, 2)), Range(Position(1, 1), Position(4, 1)),
              Range(Position(2, 3), Position(2, 1)), Range(Position(2, 1), Position(1, 3))):
        assert src.text(r) is None
        with pytest.raises(ValueError):
            src.text(r, strict=True)
    assert src.text(Range(Position(3, 1), Position(3, 1))) == ""  # the end of the file is in it
    assert src.text(Range(Position(1, 5), Position(2, 4))) == "a;\nint"


def test_replaced_rewrites_inner_ranges_of_a_real_loop_body(tmp_path):
    text = ("struct P { float x, y; };\r\n"
            "float f(P* ps, int n) {\r\n"
            "  float s = 0;\r\n"
            "  for (int i = 0; i < n; ++i) {\r\n"
            "    s += ps[i].x\r\n"
            "       * ps[i].x;\r\n"
            "  }\r\n"
            "  return s;\r\n"
            "}\r\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    loop = one(roots, K.FOR_STMT)
    body = loop.children[-1]
    sites = [n for n in body.walk() if n.kind == K.MEMBER_REF_EXPR]
    assert len(sites) == 2
    out = src.replaced(body.range, [(m.range, f"soa.x[{k}]") for k, m in enumerate(sites)])
    assert out == "{\r\n    s += soa.x[0]\r\n       * soa.x[1];\r\n  }"
    with pytest.raises(ValueError):
        src.replaced(Range(Position(1, 1), Position(20, 1)), [])


# ---------------------------------------------------------------------- around a position


def test_indentation_reads_spaces_and_tabs_or_any_whitespace():
    src = SourceText("  \t int x;\n\f  int y;\n   \r\nint z;\n")
    assert src.indentation(1) == "  \t "
    assert src.indentation(2) == ""
    assert src.indentation(2, any_whitespace=True) == "\f  "
    assert src.indentation(3) == "   "  # a blank CRLF line: its `\r` is no indentation
    assert src.indentation(4) == "" and src.indentation(9) == ""


def test_lines_matching_numbers_lines_as_clang_does():
    import re

    src = SourceText("#include <a>\f#include <b>\r#pragma once\n  #include <c>\n")
    found = src.lines_matching(re.compile(r"^\s*#\s*include\s*<(\w+)>"))
    assert [(n, m.group(1)) for n, _, m in found] == [(1, "a"), (3, "c")]
    assert found[0][1] == "#include <a>\f#include <b>"


# `#error real` where the preprocessor reads a directive, `#error hidden` where it does not
DIRECTIVES = (
    "// #error hidden\n"
    "/* a comment\n#error hidden\n*/ #error real\n"  # a comment before `#` on its line is a blank
    "int x = 1'000; // it's\n"  # a digit separator and an apostrophe in a comment start no literal
    "#error real\n"
    "#define A \\\n#error hidden\n"  # a line a backslash continues
    "#if 0\n#error hidden\n#if 1\n#error hidden\n#endif\n#else\n#error real\n#endif\n"
    "#if false // off\n#error hidden\n#elif 1\n#error real\n#endif\n"
    "const char* s = \"\\\n#error hidden\";\n"
    "auto r = R\"d(\n#error hidden )\"\n)d\";\n"
    "  /* c */ # error real // x\n"
    "char c = '\\''; #error hidden\n"
    "auto u = u8\"/*\"; // \\\n#error hidden\n"
    "#error real\n"
)


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_directives_are_the_lines_clang_reads_as_directives(tmp_path, end):
    text = DIRECTIVES.replace("\n", end)
    path = tmp_path / "d.cpp"
    path.write_bytes(text.encode())
    errors, _ = clang.error_records(clang.parse(str(path), ["-x", "c++", "-std=c++20"], text), str(path))
    reported = sorted(e.line for e in errors if e.message.startswith("real"))
    assert len(reported) == DIRECTIVES.count("#error real") + DIRECTIVES.count("# error real")
    assert not [e for e in errors if "hidden" in e.message]
    src = SourceText(text)
    assert [n for n, line in src.directives if "error" in line] == reported
    # the conditionals inside `#if 0` are skipped with it; the `#else` and `#elif` ending one are read
    assert [line.replace("#", " ").split()[0] for _, line in src.directives] == [
        "error", "error", "define", "if", "else", "error", "endif", "if", "elif", "error", "endif", "error", "error"]


def test_code_lines_blank_comments_literals_and_if_0_in_place():
    text = ('int a = 1; /* x\r\n y */ int b; // z\r\n'
            'const char* s = "a\\"b", t = \'"\';\n'
            '#if 0\ncaf\u00e9\n#endif\n'
            '#include "a.h" // why\n')
    src = SourceText(text)
    assert src.code_lines == ["int a = 1;     ", "      int b;     ",
                              'const char* s = "    ", t = \' \';', "#if 0", "    ", "#endif", '#include "   "       ']
    assert [len(line) for line in src.code_lines] == [len(line) for line in src.lines]
    assert src.directives == [(4, "#if 0"), (6, "#endif"), (7, '#include "   "       ')]


def test_starts_line_is_true_only_after_indentation(tmp_path):
    text = "void f(int n) {\n    for (int i = 0; i < n; ++i) {}\n  int k = 0; while (k < n) ++k;\n}\n"
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    assert src.starts_line(one(roots, K.FOR_STMT).range.start)
    assert not src.starts_line(one(roots, K.WHILE_STMT).range.start)


# ---------------------------------------------------------------------- text for messages


def test_snippets_of_a_multi_line_call_in_each_form_today_s_rules_print(tmp_path):
    text = ("int g(int, int);\n"
            "int f(int a) {\n"
            "  /* é */ return g(a,   \n"
            "           a);\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    call = one(roots, K.CALL_EXPR)
    r = call.range
    assert r.start == Position(3, 19)
    assert src.snippet(r, multiline="first-line") == "g(a,   "  # aos-layout
    assert src.snippet(r, multiline="first-line-stripped") == "g(a,"  # false-sharing
    assert src.snippet(r, multiline="first-line-ellipsis") == "g(a, ..."  # aliasing-vectorization
    # false-sharing's reading counts the byte column in characters: one character further on
    assert src.snippet(r, multiline="first-line-by-characters") == "(a,"
    arg = call.arguments[0]
    assert src.snippet(arg.range, multiline="first-line") == "a"
    with pytest.raises(ValueError):
        src.snippet(r, multiline="whole")


def test_shortened_collapses_or_removes_whitespace_and_cuts_or_refuses_long_text(tmp_path):
    text = ("int g(int, int);\n"
            "int f(int a) {\n"
            "  return g(a    +   1,\n"
            "           a * 2) + g(0, 0) + g(1, 1) + g(2, 2);\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    first = nodes(roots, K.CALL_EXPR, "g")[0]
    assert src.shortened(first.range, 48, too_long="none") == "g(a + 1, a * 2)"  # alloc-in-loop's findings
    assert src.shortened(first.range, 10, too_long="none") is None
    assert src.shortened(first.range, 10, too_long="ellipsis") == "g(a + 1..."  # the arena rewrite's notes
    assert src.shortened(first.range, 99, too_long="none", whitespace="remove") == "g(a+1,a*2)"  # seq-cst's objects
    whole = one(roots, K.RETURN_STMT).children[0]
    assert src.shortened(whole.range, 40, too_long="ellipsis") == "g(a + 1, a * 2) + g(0, 0) + g(1, 1) +..."
    outside = Range(Position(40, 1), Position(40, 2))
    assert src.shortened(outside, 40, too_long="ellipsis") == ""
    assert src.shortened(outside, 40, too_long="none") is None


def test_token_snippet_names_declarations_and_spells_expressions(tmp_path):
    text = ("struct V { int size() const; };\n"
            "int f(const V& v, int* p) {\n"
            "  return v.size() + p[0] * (v.size() - 1) + p[1] + p[2] + p[3];\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    param = one(roots, K.PARM_DECL, "v")
    assert S.token_snippet(param) == "v"
    call = nodes(roots, K.CALL_EXPR, "size")[0]
    assert S.token_snippet(call) == "v.size()"
    whole = one(roots, K.RETURN_STMT).children[0]
    assert S.token_snippet(whole) == "v.size()+p[0]*("  # its first 12 tokens
    assert S.token_snippet(whole, tokens=40) == "v.size()+p[0]*(v.size()-1)+p[1]+p[2]+..."  # cut to 40


# ---------------------------------------------------------------------- tokens and brackets


def test_header_semicolons_are_the_two_of_the_for_header(tmp_path):
    text = "int g(int, int);\nvoid f(int n) {\n  for (int i = 0; i < g(n, (1)); ++i) { int k; (void)k; }\n}\n"
    roots = parse_roots(tmp_path, text)
    loop = one(roots, K.FOR_STMT)
    assert S.header_semicolons(loop) == [Position(3, 17), Position(3, 32)]


def test_first_paren_close_ends_the_condition(tmp_path):
    text = "bool g();\nvoid f(int n) {\n  if ((n > 0) && g()) { n = (n + 1); }\n}\n"
    roots = parse_roots(tmp_path, text)
    assert S.first_paren_close(one(roots, K.IF_STMT)) == Position(3, 21)


def test_matching_token_angle_depth_and_token_end(tmp_path):
    text = "#include <vector>\nauto* p = new std::vector<std::vector<int>>[2];\n"
    roots = parse_roots(tmp_path, text)
    new = one(roots, K.CXX_NEW_EXPR)
    toks = new.token_positions
    i = [t for t, _ in toks].index("[")
    assert S.matching_token(toks, i, "[", "]") == len(toks) - 1
    assert S.matching_token(toks, 0, "(", ")") is None
    lt = [t for t, _ in toks].index("<")
    assert S.angle_depth(toks[lt:i]) == 0  # `>>` closes two
    assert S.angle_depth(toks[lt:i - 1]) == 2
    assert S.token_end(toks[1]) == Position(2, 15 + len("std"))


def test_parenthesized_whole_and_split_top_level():
    assert S.parenthesized_whole("(a + (b))")
    assert not S.parenthesized_whole("(a) + (b)")
    assert not S.parenthesized_whole("a") and not S.parenthesized_whole("")
    assert S.split_top_level(" std::pair<int, long>{1, 2} , f(a, b), x ") == [
        "std::pair<int, long>{1, 2}", "f(a, b)", "x"]
    assert S.split_top_level("a,,b,") == ["a", "", "b"]  # an empty inner piece stays, a last one goes
    assert S.split_top_level("") == []
    assert S.split_top_level("a < b, c") == ["a < b, c"]  # `<` counts as a bracket (as today)
    assert S.split_top_level("a < b, c", opens="([{", closes=")]}") == ["a < b", "c"]


def test_template_argument_span_of_written_types():
    for written, inner in (("std::atomic<long> ", "long"), ("std::array<std::atomic<int>, 4> ", "std::atomic<int>"),
                           ("static std::atomic<std::pair<int, int>> ", "std::pair<int, int>"),
                           ("Box<decltype(f(1, 2))> ", "decltype(f(1, 2))")):
        lo, hi = S.template_argument_span(written)
        assert written[lo:hi] == inner
    assert S.template_argument_span("long ") is None
    assert S.template_argument_span("std::atomic<long") is None


NEW_CASES = {  # expression -> (array?, placement arguments)
    "new int[4]": (True, None),
    "new int(4)": (False, None),
    "new int{4}": (False, None),
    "new (buf) int[4]": (True, "buf"),
    "new (std::nothrow) int": (False, "std::nothrow"),
    "new (int[4])": (False, "int[4]"),  # a parenthesized type-id reads as placement (as today)
    "new std::array<int, 2>": (False, None),
    "new std::array<int, 2>[3]": (True, None),
}


@pytest.mark.parametrize("expr", NEW_CASES, ids=NEW_CASES)
def test_new_is_array_and_placement_close(tmp_path, expr):
    text = f"#include <array>\n#include <new>\nalignas(16) char buf[64];\nauto* p = {expr};\n"
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    new = one(roots, K.CXX_NEW_EXPR)
    toks = new.tokens
    i = toks.index("new")
    array, placement = NEW_CASES[expr]
    assert S.new_is_array(toks, i) is array
    close = S.new_placement_close(new, i)
    if placement is None:
        assert close is None
    else:
        assert src.text(Range(S.token_end(new.token_positions[i + 1]), close)) == placement


def test_starts_declaration_written_types_and_name_ends(tmp_path):
    text = ("#include <atomic>\n#include <vector>\n"
            "#define FIELD(n) int n;\n"
            "struct S { std::atomic<long> a; static const std::vector<int> v;\n"
            "  FIELD(m)\n"
            "  long b; int ä; };\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    fields = {f.spelling: f for f in nodes(roots, K.FIELD_DECL)}
    assert S.starts_declaration(src, fields["a"].range.start)  # after `{`
    assert S.starts_declaration(src, fields["b"].range.start)  # after blanks
    assert not S.starts_declaration(src, Position(6, 8))  # after `long `
    assert not S.starts_declaration(src, Position(6, 99))  # past the line
    assert S.written_type(src, fields["a"]) == "std::atomic<long> "
    assert S.written_type(src, one(roots, K.VAR_DECL, "v")) == "static const std::vector<int> "
    assert S.declared_name_end(fields["ä"]) == Position(6, 17)
    assert src.text(Range(fields["ä"].location, S.declared_name_end(fields["ä"]))) == "ä"
    # a member a macro wrote: its range is the macro's use, its name's text is not in the file
    assert S.written_type(src, fields["m"]) == ""


def test_name_written_tells_names_in_the_file_from_names_a_macro_made(tmp_path):
    text = ("#include <atomic>\n"
            "#define ONE(n) std::atomic<long> n{0}\n"
            "#define TWO(x, y) std::atomic<long> x{0}; std::atomic<long> y{0}\n"
            "#define TYPE std::atomic<long>\n"
            "struct S {\n"
            "  std::atomic<long> plain, also; /* ä */ int ä;\n"
            "  std::atomic<long>\n"
            "      wrapped{0};\n"
            "  TYPE typed;\n"
            "  ONE(one);\n"
            "  TWO(first, second);\n"
            "};\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    fields = {f.spelling: f for f in nodes(roots, K.FIELD_DECL)}
    written = {name for name, f in fields.items() if S.name_written(src, f)}
    # a name given to a macro is located at the macro's use, not where it is written
    assert written == {"plain", "also", "ä", "wrapped", "typed"}
    assert fields["first"].range.start == fields["second"].range.start  # one use, two members


# ---------------------------------------------------------------------- the line models outside the rules


def test_suppressions_read_clangs_lines(tmp_path):
    from hotlint.suppress import parse_suppressions

    text = "int a;\rint b; // NOLINT\f(hotlint-*)\nint c;\n"
    sup = parse_suppressions(text)
    assert sup.suppressed("padding-waste", 2) and not sup.suppressed("padding-waste", 3)
    assert parse_suppressions(SourceText(text)).tidy == sup.tidy


def test_byte_offsets_and_fixes_land_where_clang_points_after_a_lone_carriage_return(tmp_path):
    from hotlint.fixes import apply_edits
    from hotlint.model import Edit
    from hotlint.positions import ByteOffsets

    text = "int a;\rint b;\r\nint c;\n"
    roots = parse_roots(tmp_path, text)
    b, c = roots[1], roots[2]
    assert (b.location, c.location) == (Position(2, 5), Position(3, 5))
    assert ByteOffsets(text.encode()).starts == [0, 7, 15, 22]
    out = apply_edits(text, [Edit(b.name_range, "bb"), Edit(c.name_range, "cc")])
    assert out == "int a;\rint bb;\r\nint cc;\n"


def test_language_server_positions_follow_clangs_lines(tmp_path):
    from hotlint.lsp.convert import Text

    text = "int a;\rint bé;\fint c;\n"
    roots = parse_roots(tmp_path, text)
    c = roots[2]
    assert c.location == Position(2, 14)
    t = Text(text)
    pos = t.to_lsp(c.location)
    assert (pos.line, pos.character) == (1, 12)  # UTF-16: `é` is one unit, two bytes
    assert t.from_lsp(pos) == c.location
    end = t.to_lsp(Position(3, 1))  # after the final line end: the empty line there
    assert (end.line, end.character) == (2, 0)
    past = t.to_lsp(Position(9, 1))
    assert (past.line, past.character) == (2, 0)


def test_source_frames_and_sarif_columns_show_clangs_line(tmp_path):
    from hotlint.model import Diagnostic, Severity
    from hotlint.output import read_lines
    from hotlint.output.sarif import _region
    from hotlint.output.text import _frame

    text = "struct A { char c; };\f\n/* é */\fstruct B { char c; long l; };\n"
    path = tmp_path / "frame.cpp"
    path.write_text(text, encoding="utf-8")
    roots = parse_roots(tmp_path, text, name="frame.cpp")
    b = roots[1]
    assert b.location == Position(2, 17)
    assert read_lines(str(path))[1] == "/* é */\fstruct B { char c; long l; };"
    d = Diagnostic(str(path), b.name_range, "padding-waste", Severity.WARNING, "m")
    frame = _frame(d)
    assert frame[0].plain.endswith("/* é */\\x0cstruct B { char c; long l; };")
    caret = frame[1].plain
    assert caret[caret.index("^"):] == "^"
    assert _region(str(path), b.name_range)["startColumn"] == 16  # characters, as SARIF counts


def test_is_postfix_name():
    for text in ("x", "s.v[i]", "p->n", "ns::x", "a . b", "v[i + 1]", "x\n"):
        assert S.is_postfix_name(text), text
    for text in ("*p", "&x", "(x)", "f()", "v[w[i]]", "a + b", "", "1x", "x\n\n", "x "):
        assert not S.is_postfix_name(text), text


NEW_PARTS = ("#include <new>\n"
             "#include <vector>\n"
             "struct P { int a, b; };\n"
             "void f(int n, void* buf) {\n"
             "  int* a = new int[n + 1];\n"
             "  P* b = new P{1, 2};\n"
             "  std::vector<int>* c = new std::vector<int>(3);\n"
             "  P* d = new P;\n"
             "  P* e = new (buf) P;\n"
             "  int* g = new int[4]();\n"
             "  int (*h)[4] = new int[n][4];\n"
             "  P* k = new (P);\n"
             "}\n")


def test_written_new_reads_the_type_and_the_bound_as_written(tmp_path):
    roots = parse_roots(tmp_path, NEW_PARTS)
    src = SourceText(NEW_PARTS)
    found = [S.written_new(src, n) for n in nodes(roots, K.CXX_NEW_EXPR)]
    shown = [w if isinstance(w, str) else (w.type_text, w.bound) for w in found]
    assert shown == [("int", "n + 1"), ("P", None), ("std::vector<int>", None), ("P", None),
                     "parenthesized", "array-shape", "array-shape", "parenthesized"]
    # just past `new`, where a placement argument goes
    after = found[1].after_new
    assert src.text(Range(after, Position(after.line, after.column + 8))) == " P{1, 2}"


INITIALIZERS = ("#include <vector>\n"
                "std::vector<int> make();\n"
                "void f(int n) {\n"
                "  std::vector<int> a;\n"
                "  std::vector<int> b(n, 0);\n"
                "  std::vector<int> c{1, 2};\n"
                "  std::vector<int> d = {3, 4};\n"
                "  std::vector<int> e = make();\n"
                "  std::vector<int> g(std::vector<int>{5, 6});\n"
                "}\n")


def test_written_initializer_reads_each_shape(tmp_path):
    roots = parse_roots(tmp_path, INITIALIZERS)
    src = SourceText(INITIALIZERS)
    found = {n.spelling: S.written_initializer(src, n) for n in nodes(roots, K.VAR_DECL)}
    assert found["a"] is None
    assert found["b"] == S.WrittenInitializer("(n, 0)", False, "n, 0", ["n", "0"])
    assert found["c"] == S.WrittenInitializer("{1, 2}", False, "1, 2", ["1", "2"])
    assert found["d"] == S.WrittenInitializer("= {3, 4}", True, "3, 4", ["3", "4"])
    assert found["e"] == S.WrittenInitializer("= make()", True, None, ["make()"])
    # clang's extent of `g` ends at the inner `}`, before the `)`
    assert found["g"] == S.WrittenInitializer("(std::vector<int>{5, 6}", False, "std::vector<int>{5, 6",
                                              ["std::vector<int>{5, 6"])
