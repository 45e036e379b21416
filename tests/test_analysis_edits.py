"""The one edit kit (hotlint.analysis.edits): each helper on a real case of the rule that places
that edit today, with the text the fix leaves (applied as ``--fix`` applies it)."""

from __future__ import annotations

import pytest

from conftest import nodes, one, parse_roots
from hotlint.analysis import edits as E
from hotlint.analysis.kinds import K
from hotlint.analysis.source import SourceText
from hotlint.fixes import apply_edits
from hotlint.model import Edit, Position, Range


# ---------------------------------------------------------------------- includes

# the head of fixtures/alloc-in-loop/bad.cpp
ALLOC_HEAD = ("// alloc-in-loop: heap allocations executed once per loop iteration.\n"
              "#include <algorithm>\n#include <cstdlib>\n#include <cstring>\n#include <deque>\n#include <map>\n"
              "#include <memory>\n#include <new>\n#include <set>\n#include <span>\n#include <string>\n"
              "#include <string_view>\n#include <unordered_map>\n#include <vector>\n\nstruct Item { int a; };\n")


def test_sorted_block_places_the_arena_headers_as_alloc_in_loop_does():
    src = SourceText(ALLOC_HEAD)
    edits = E.include_edits(src, {"memory_resource", "array", "cstddef", "new"}, placement="sorted-block")
    assert edits == [E.insert_at_line_start(3, "#include <array>\n#include <cstddef>\n"),
                     E.insert_at_line_start(8, "#include <memory_resource>\n")]
    out = apply_edits(ALLOC_HEAD, edits)
    assert out.splitlines()[1:11] == [
        "#include <algorithm>", "#include <array>", "#include <cstddef>", "#include <cstdlib>", "#include <cstring>",
        "#include <deque>", "#include <map>", "#include <memory>", "#include <memory_resource>", "#include <new>"]
    assert E.include_edits(SourceText(out), {"memory_resource", "array"}, placement="sorted-block") == []


def test_sorted_block_ends_at_a_line_that_is_no_angle_include():
    text = ("#include <cstdio>\n\n#include <vector>\n#include \"local.h\"\n#include <array>\nint x;\n")
    src = SourceText(text)
    # blank lines stay inside the block; the quoted include ends it, so <zlib> goes after <vector>
    assert E.include_edits(src, ["zlib", "cstring"], placement="sorted-block") == [
        E.insert_at_line_start(3, "#include <cstring>\n"), E.insert_at_line_start(4, "#include <zlib>\n")]


def test_sorted_block_without_angle_includes_goes_before_the_first_include_or_at_the_top():
    quoted = SourceText("// head\n#include \"a.h\"\nint x;\n")
    assert E.include_edits(quoted, ["array"], placement="sorted-block") == [
        E.insert_at_line_start(2, "#include <array>\n")]
    bare = SourceText("int x;\n")
    assert E.include_edits(bare, ["new", "array"], placement="sorted-block") == [
        E.insert_at_line_start(1, "#include <array>\n#include <new>\n")]


# each hides `#include <array>` (or `<vector>`) where the preprocessor does not read it
HIDDEN_INCLUDES = {
    "line comment": "// #include <array>\n#include <vector>\n",
    "block comment over lines": "#include <vector>\n/* old:\n#include <array>\n*/\n",
    "string": '#include <vector>\nconst char* s = "#include <array>";\n',
    "string over a spliced line": '#include <vector>\nconst char* s = "\\\n#include <array>";\n',
    "raw string": '#include <vector>\nauto s = R"x(\n#include <array>\n)x";\n',
    "if 0": "#include <vector>\n#if 0\n#include <array>\n#endif\n",
    "nested in if 0": "#include <vector>\n#if 0\n#ifdef X\n#else\n#include <array>\n#endif\n#endif\n",
    "continued define": "#include <vector>\n#define X \\\n#include <array>\n",
    "after code": "#include <vector>\nint x; #include <array>\n",
    "comment continued by a backslash": "#include <vector>\n// old \\\n#include <array>\n",
}


@pytest.mark.parametrize("text", HIDDEN_INCLUDES.values(), ids=HIDDEN_INCLUDES.keys())
def test_an_include_the_preprocessor_does_not_read_is_not_included(text):
    src = SourceText(text)
    assert E.has_include(src, "vector")
    assert not E.has_include(src, "array")
    # <array> sorts before <vector>: it goes in front of the real include, once
    [edit] = E.include_edits(src, ["array", "vector"], placement="sorted-block")
    assert edit == E.insert_at_line_start(text.splitlines().index("#include <vector>") + 1, "#include <array>\n")
    assert E.last_include_line(src, style="directive") == E.last_include_line(src, style="hash-and-word") == \
        text.splitlines().index("#include <vector>") + 1


def test_includes_read_around_comments_on_their_own_lines():
    # an include after a block comment on its line is a real directive; a comment after it is
    # no part of its name; comment lines inside the block keep it one block
    text = ("/* head */ #include <cstdio>\n"
            "#include <vector> // for the buffer\n"
            "// <map> for the table\n"
            "#include <map> /* sorted */\n"
            "/* #include <zlib> */\n"
            "#include \"local.h\"\n"
            "int x;\n")
    src = SourceText(text)
    assert all(E.has_include(src, h) for h in ("cstdio", "vector", "map"))
    assert not E.has_include(src, "zlib")
    assert E.include_edits(src, ["cstring", "zlib"], placement="sorted-block") == [
        E.insert_at_line_start(2, "#include <cstring>\n"), E.insert_at_line_start(5, "#include <zlib>\n")]
    assert E.include_edits(src, ["zlib"], placement="before-first-include") == [
        E.insert_at_line_start(1, "#include <zlib>\n")]
    assert E.last_include_line(src, style="directive") == 6


def test_the_first_include_is_the_first_real_directive():
    text = "/*\n#include <a.h>\n*/\n#if 0\n#include \"b.h\"\n#endif\nint x;\n#include \"c.h\"\n"
    assert E.include_edits(SourceText(text), ["array"], placement="before-first-include") == [
        E.insert_at_line_start(8, "#include <array>\n")]
    assert E.include_edits(SourceText(text), ["array"], placement="sorted-block") == [
        E.insert_at_line_start(8, "#include <array>\n")]


def test_before_first_include_places_the_soa_headers_as_aos_layout_does():
    # the head of fixtures/aos-layout/bad.cpp: <vector>, <array>, <cstddef> are there
    text = ("// aos-layout: loops that walk arrays of records and use a small share of each record.\n"
            "#include <array>\n#include <cstddef>\n#include <cstdint>\n#include <vector>\n"
            "\nstruct Vec3 { float x; };\n")
    edits = E.include_edits(SourceText(text), ("vector", "array", "algorithm", "iterator", "cstddef"),
                            placement="before-first-include")
    assert edits == [E.insert_at_line_start(2, "#include <algorithm>\n#include <iterator>\n")]
    assert apply_edits(text, edits).splitlines()[:4] == [
        "// aos-layout: loops that walk arrays of records and use a small share of each record.",
        "#include <algorithm>", "#include <iterator>", "#include <array>"]
    # in the order given, not sorted; at line 1 without an include
    assert E.include_edits(SourceText("int x;\n"), ["vector", "array"], placement="before-first-include") == [
        E.insert_at_line_start(1, "#include <vector>\n#include <array>\n")]
    with pytest.raises(ValueError):
        E.include_edits(SourceText(""), ["x"], placement="sorted")


def test_last_include_line_in_both_styles():
    text = ("#include <array>\n"
            "  #include \"a.h\"\n"
            "# include <atomic>\n"
            "#pragma include_alias(\"x.h\", \"y.h\")\n"
            "int x;\n"
            "#pragma once // an include guard\n"
            "#define S \"#include <x.h>\"\n")
    src = SourceText(text)
    assert E.last_include_line(src, style="directive") == 2  # false-sharing: `# include` is missed
    assert E.last_include_line(src, style="hash-and-word") == 4  # aliasing-vectorization: any `#…include…`
    # ... in the directive's code: a comment or a string saying "include" does not count
    assert E.last_include_line(SourceText("int x;\n"), style="directive") == 0
    with pytest.raises(ValueError):
        E.last_include_line(src, style="any")


def test_the_padded_template_goes_after_the_last_include_as_false_sharing_puts_it():
    text = "#include <array>\n#include <atomic>\n\nstd::atomic<long> counts[8];\n"
    at = E.last_include_line(SourceText(text), style="directive") + 1
    out = apply_edits(text, [E.insert_at_line_start(at, "\ntemplate <class Atomic>\nstruct Padded : Atomic {};\n")])
    assert out == ("#include <array>\n#include <atomic>\n\ntemplate <class Atomic>\nstruct Padded : Atomic {};\n"
                   "\nstd::atomic<long> counts[8];\n")


def test_has_include_as_seq_cst_reads_stdatomic():
    for text, found in (("#include <stdatomic.h>\n", True), ("int x;\n  #  include\t<stdatomic.h>\n", True),
                        ("int x; #include <stdatomic.h>\n", False), ("/* #include <stdatomic.h> */\n", False),
                        ("int x;\r#include <stdatomic.h>\n", True),  # a lone `\r` ends a line for clang
                        ("int x;\r\n\f#\vinclude <stdatomic.h>\r\n", True),  # blanks of a directive
                        ("#include <stdatomicXh>\n", False)):
        assert E.has_include(SourceText(text), "stdatomic.h") is found, text


# ---------------------------------------------------------------------- statements

HOIST = ("#include <string>\n"
         "void use(const std::string&);\n"
         "void f(int n) {\n"
         "  for (int i = 0; i < n; ++i) {\n"
         "    std::string s;\n"
         "    s += 'x';\n"
         "    use(s);\n"
         "  }\n"
         "}\n")


def test_statement_room_and_a_hoisted_declaration_as_alloc_in_loop_writes_it(tmp_path):
    roots = parse_roots(tmp_path, HOIST)
    src = SourceText(HOIST)
    loop = one(roots, K.FOR_STMT)
    var = one(roots, K.VAR_DECL, "s")
    decl_stmt = var.parent
    indent = E.statement_room(src, loop)
    assert indent == "  "
    edits = [E.insert_at_line_start(loop.range.start.line, f"{indent}{src.text(var.range)};\n"),
             E.replace(decl_stmt, "s.clear();")]
    assert apply_edits(HOIST, edits) == HOIST.replace(
        "  for (int i = 0; i < n; ++i) {\n    std::string s;\n",
        "  std::string s;\n  for (int i = 0; i < n; ++i) {\n    s.clear();\n")
    assert E.replace(decl_stmt.range, "x") == E.replace(decl_stmt, "x") == Edit(decl_stmt.range, "x")


def test_no_room_before_a_loop_that_is_no_statement_of_a_block_or_shares_its_line(tmp_path):
    text = ("void f(int n, int m) {\n"
            "  if (m) for (int i = 0; i < n; ++i) {}\n"
            "  int k = 0; while (k < n) { ++k; }\n"
            "\t\tdo { --m; } while (m);\n"
            "  \f  for (;;) { break; }\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    assert E.statement_room(src, nodes(roots, K.FOR_STMT)[0]) is None
    assert E.statement_room(src, one(roots, K.WHILE_STMT)) is None
    assert E.statement_room(src, one(roots, K.DO_STMT)) == "\t\t"
    # aliasing-vectorization's local copies take whatever blank text precedes the loop
    fed = nodes(roots, K.FOR_STMT)[1]
    assert E.statement_room(src, fed) is None
    assert E.statement_room(src, fed, indentation="blank-prefix") == "  \f  "
    assert E.statement_room(src, one(roots, K.WHILE_STMT), indentation="blank-prefix") is None
    assert E.statement_room(src, one(roots, K.DO_STMT), indentation="blank-prefix") == "\t\t"
    with pytest.raises(ValueError):
        E.statement_room(src, fed, indentation="tabs")


def test_body_indentation_as_the_arena_release_uses_it(tmp_path):
    text = ("void g();\n"
            "void f(int n) {\n"
            "  for (int i = 0; i < n; ++i) {\n"
            "      g();\n"
            "  }\n"
            "  while (n--) { g(); }\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    for_body = one(roots, K.FOR_STMT).children[-1]
    while_body = one(roots, K.WHILE_STMT).children[-1]
    assert E.body_indentation(src, for_body, "  ") == "      "
    assert E.body_indentation(src, while_body, "  ") == "      "  # on the `{`'s line: outer + 4
    assert E.body_indentation(src, while_body, "\t") == "\t    "
    brace = for_body.range.start
    after = Position(brace.line, brace.column + 1)
    out = apply_edits(text, [Edit(Range(after, after), f"\n{E.body_indentation(src, for_body, '  ')}arena.release();")])
    assert out.splitlines()[2:5] == ["  for (int i = 0; i < n; ++i) {", "      arena.release();", "      g();"]


DELETES = ("struct Item { int a; };\n"
           "void consume(Item*);\n"
           "void f(int n) {\n"
           "  for (int i = 0; i < n; ++i) {\n"
           "    Item* a = new Item{i};\n"
           "    consume(a);\n"
           "    delete a;\n"
           "    Item* b = new Item{i};\n"
           "    delete b; // gone\n"
           "    Item* c = new Item{i};\n"
           "    consume(c); delete c;\n"
           "    Item* d = new Item{i};\n"
           "    delete\n"
           "      d;\n"
           "  }\n"
           "}\n")


@pytest.mark.parametrize("name, expected", [
    ("a", DELETES.replace("    delete a;\n", "")),  # alone on its line: the line goes
    ("b", DELETES.replace("    delete b; // gone\n", "")),  # a trailing // comment goes with it
    ("c", DELETES.replace("consume(c); delete c;", "consume(c); ")),  # other code on the line: just it
    ("d", DELETES.replace("    delete\n      d;\n", "    ;\n")),  # over two lines: its `;` is not found
])
def test_remove_statement_as_the_arena_rewrite_removes_a_delete(tmp_path, name, expected):
    roots = parse_roots(tmp_path, DELETES)
    src = SourceText(DELETES)
    [delete] = [n for n in nodes(roots, K.CXX_DELETE_EXPR) if nodes([n], K.DECL_REF_EXPR, name)]
    assert apply_edits(DELETES, [E.remove_statement(src, delete)]) == expected


def test_through_semicolon_takes_a_braceless_loops_semicolon_as_aos_layout_does(tmp_path):
    text = ("struct P { float x; };\n"
            "float f(P* ps, int n) {\n"
            "  float s = 0;\n"
            "  for (int i = 0; i < n; ++i) s += ps[i].x  ;\n"
            "  for (int i = 0; i < n; ++i) { s += ps[i].x; }\n"
            "  for (int i = 0; i < n; ++i) s += ps[i].x /* c */;\n"
            "  return s;\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    braceless, braced, commented = nodes(roots, K.FOR_STMT)
    assert src.text(braceless.range).endswith("ps[i].x")
    extended = E.through_semicolon(src, braceless.range)
    assert src.text(extended) == "for (int i = 0; i < n; ++i) s += ps[i].x  ;"
    assert E.through_semicolon(src, braced.range) == braced.range
    assert E.through_semicolon(src, commented.range) == commented.range  # only blanks may come between


def test_after_semicolon_is_where_aos_layout_puts_the_soa_type(tmp_path):
    text = "struct E { int a; };\nstruct F { int b; } f;\nstruct G { int c; }\n;\n"
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    e, f, g = [r for r in roots if r.kind == K.STRUCT_DECL]
    assert E.after_semicolon(src, e.range.end) == Position(1, 21)
    assert E.after_semicolon(src, f.range.end) == Position(2, 23)  # past the declarator
    assert E.after_semicolon(src, g.range.end) is None
    out = apply_edits(text, [Edit(Range(Position(1, 21), Position(1, 21)), "\n\nstruct ESoA {};")])
    assert out.startswith("struct E { int a; };\n\nstruct ESoA {};\nstruct F")


# ---------------------------------------------------------------------- calls


def test_append_argument_as_seq_cst_writes_a_memory_order(tmp_path):
    text = ("#include <atomic>\n"
            "std::atomic<int> a;\n"
            "void h(int = 0);\n"
            "int f(int e) {\n"
            "  a.store(1);\n"
            "  h();\n"
            "  a++;\n"
            "  a.compare_exchange_strong(e, 2);\n"
            "  return a.load( );\n"
            "}\n")
    roots = parse_roots(tmp_path, text)
    src = SourceText(text)
    calls = {c.spelling: c for c in nodes(roots, K.CALL_EXPR)}
    edits = [E.append_argument(src, calls["store"], "std::memory_order_release"),
             E.append_argument(src, calls["compare_exchange_strong"], "std::memory_order_acq_rel"),
             E.append_argument(src, calls["load"], "std::memory_order_acquire"),
             E.append_argument(src, calls["h"], "1")]  # its argument is defaulted: no comma
    assert apply_edits(text, edits).splitlines()[4:9] == [
        "  a.store(1, std::memory_order_release);",
        "  h(1);",
        "  a++;",
        "  a.compare_exchange_strong(e, 2, std::memory_order_acq_rel);",
        "  return a.load( std::memory_order_acquire);"]
    assert E.append_argument(src, calls["operator++"], "0") is None  # `a++` does not end with `)`
    assert E.append_argument(src, calls["h"], "1", separator="always") == Edit(
        Range(Position(6, 5), Position(6, 5)), ", 1")
    with pytest.raises(ValueError):
        E.append_argument(src, calls["h"], "1", separator="never")


def test_append_argument_always_separates_as_seq_cst_does_for_c11(tmp_path):
    text = ("#include <stdatomic.h>\n"
            "atomic_int x;\n"
            "void f(void) {\n"
            "  atomic_fetch_add(&x, 1);\n"
            "}\n")
    roots = parse_roots(tmp_path, text, name="t.c", args=("-x", "c", "-std=c17"))
    src = SourceText(text)
    stmt = one(roots, K.COMPOUND_STMT).children[0]
    assert src.text(stmt.range) == "atomic_fetch_add(&x, 1)"
    edit = E.append_argument(src, stmt, "memory_order_relaxed", separator="always")
    assert apply_edits(text, [edit]).splitlines()[3] == "  atomic_fetch_add(&x, 1, memory_order_relaxed);"


# ---------------------------------------------------------------------- fresh names


def test_fresh_names_in_each_of_todays_schemes():
    scope = "void f() { int arena = 0; char arena2_buf[4]; int arena_buf2; for (int i = 0; i < 9; ++i_) {} }"
    w = E.word_in(scope)
    # alloc-in-loop's arena: the name and `<name>_buf` must both be free
    arena = E.fresh_name(["arena", *(f"arena{n}" for n in range(2, 100))], lambda c: w(c) or w(c + "_buf"),
                         "hotlint_arena")
    assert arena == "arena3"
    # aos-layout's index
    assert E.fresh_name(["i", "i_", "i_soa", "soa_index"], w, "hotlint_index") == "i_soa"
    assert E.fresh_name(["i", "i_"], E.word_in("i i_"), "hotlint_index") == "hotlint_index"
    # the fallback is checked too: a numbered one when it is taken
    assert E.fresh_name(["i", "i_"], E.word_in("i i_ hotlint_index hotlint_index2"), "hotlint_index") == "hotlint_index3"
    assert E.fresh_name([], E.word_in("arena_buf"), "arena") == "arena"
    assert E.fresh_name([], lambda c: w(c) or w(c + "_buf"), "arena") == "arena3"
    # aliasing-vectorization's local copies: taken identifiers and keywords
    keywords = {"new", "default"}
    taken = {"k", "k_copy"}
    pick = E.fresh_name(["k", "k_copy", *(f"k_copy{i}" for i in range(2, 50))],
                        lambda c: c in taken or c in keywords, "k_local")
    assert pick == "k_copy2"
    assert E.fresh_name(["default", "default_copy"], lambda c: c in taken or c in keywords, "x") == "default_copy"
    assert not E.word_in("arena_buf2 xarena")("arena")
    assert E.word_in("a.b+c")("a.b")  # a name is matched literally, not as a pattern


def test_member_object_parenthesizes_what_is_no_postfix_name():
    assert [E.member_object(t) for t in ("s.v[i]", "p->n", "(a ? x : y)", "*p", "(a) + (b)", "v[w[i]]")] == [
        "s.v[i]", "p->n", "(a ? x : y)", "(*p)", "((a) + (b))", "(v[w[i]])"]


def test_address_of():
    assert [E.address_of(t) for t in ("x", "s.v[i]", "*p", "* p->q", "(*p)", "( *s.p )", "*(p + 1)", "(x)", "a[b[0]]")] == [
        "&x", "&s.v[i]", "p", "p->q", "p", "s.p", "&(*(p + 1))", "&((x))", "&(a[b[0]])"]


# ---------------------------------------------------------------------- declarations


RESTRICT = """\
#define NAME(n) n
void f(float* y, const float* x, float& r, float&& m, float* const c, float a[4], float v, float* NAME(q),
       int (*fp)(int), float*, float *  spaced);
"""


def test_qualify_parameter_before_a_pointer_or_reference_name(tmp_path):
    from hotlint.analysis.expressions import parameters

    roots = parse_roots(tmp_path, RESTRICT)
    params = parameters(one(roots, K.FUNCTION_DECL, "f"))
    assert [p.spelling for p in params] == ["y", "x", "r", "m", "c", "a", "v", "q", "fp", "", "spaced"]
    kw = E.restrict_keyword("c++")
    edits = [E.qualify_parameter(p, kw) for p in params]
    fixed = apply_edits(RESTRICT, [e for e in edits if e is not None]).splitlines()
    assert fixed[1] == ("void f(float* __restrict__ y, const float* __restrict__ x, float& __restrict__ r, "
                        "float&& __restrict__ m, float* const __restrict__ c, float a[4], float v, float* NAME(q),")
    # read from the tokens alone: a function pointer's name follows `*` too (the caller picks object pointers)
    assert fixed[2] == "       int (*__restrict__ fp)(int), float*, float *  __restrict__ spaced);"
    # an array, a value, a name a macro writes and an unnamed parameter: no edit
    assert [e is None for e in edits] == [False] * 5 + [True] * 3 + [False, True, False]


def test_restrict_keyword_by_language():
    assert E.restrict_keyword("c") == "restrict"
    assert E.restrict_keyword("c++") == "__restrict__"


# ---------------------------------------------------------------------- copies to locals

COPIES = """\
struct Buf { unsigned char* data; int len; int m_size; };
void f(Buf& buf, const float* scale, float* out, int n) {
    for (int i = 0; i < buf.len; ++i) out[i] = *scale * buf.len;
    if (n) for (int i = 0; i < n; ++i) out[i] = *scale;
\tfor (int i = 0; i < buf.m_size; ++i) out[i] = (float)buf.m_size;
}
"""


def test_value_name_after_the_copied_value(tmp_path):
    roots = parse_roots(tmp_path, COPIES)
    members = {n.spelling: n for n in nodes(roots, K.MEMBER_REF_EXPR)}
    assert E.value_name(members["len"]) == "len"
    assert E.value_name(members["m_size"]) == "size"  # the m_ prefix dropped
    deref = [n for n in nodes(roots, K.UNARY_OPERATOR) if n.operator == "*"][0]
    assert E.value_name(deref) == "scale_value"
    assert E.value_name(nodes(roots, K.DECL_REF_EXPR, "n")[0]) == "n"
    assert E.value_name(nodes(roots, K.ARRAY_SUBSCRIPT_EXPR)[0]) == "value"  # no name of its own


def test_hoisted_copies_declare_locals_before_the_statement_and_use_them(tmp_path):
    roots = parse_roots(tmp_path, COPIES)
    loops = nodes(roots, K.FOR_STMT)
    lens = nodes(roots, K.MEMBER_REF_EXPR, "len")
    scale = [n for n in nodes(roots, K.UNARY_OPERATOR) if n.range.start.line == 3 and n.operator == "*"]
    edits = E.hoisted_copies(SourceText(COPIES), loops[0], [("len", "buf.len", lens), ("s", "*scale", scale)])
    fixed = apply_edits(COPIES, edits).splitlines()
    assert fixed[2:5] == ["    const auto len = buf.len;", "    const auto s = *scale;",
                          "    for (int i = 0; i < len; ++i) out[i] = s * len;"]
    # the blank text before the statement is the indentation, a tab too
    sizes = nodes(roots, K.MEMBER_REF_EXPR, "m_size")
    edits = E.hoisted_copies(SourceText(COPIES), loops[2], [("size", "buf.m_size", sizes)])
    assert apply_edits(COPIES, edits).splitlines()[4:6] == [
        "\tconst auto size = buf.m_size;", "\tfor (int i = 0; i < size; ++i) out[i] = (float)size;"]


def test_hoisted_copies_none_without_room_or_with_overlapping_uses(tmp_path):
    roots = parse_roots(tmp_path, COPIES)
    loops = nodes(roots, K.FOR_STMT)
    scale = [n for n in nodes(roots, K.UNARY_OPERATOR) if n.range.start.line == 4 and n.operator == "*"]
    assert E.hoisted_copies(SourceText(COPIES), loops[1], [("s", "*scale", scale)]) is None  # the if's body
    store = nodes(roots, K.ARRAY_SUBSCRIPT_EXPR)[0]
    out = [n for n in nodes(roots, K.DECL_REF_EXPR, "out") if n.range.start.line == 3]
    assert E.hoisted_copies(SourceText(COPIES), loops[0], [("a", "out[i]", [store]), ("o", "out", out)]) is None


HOIST_CASES = ("#include <string>\n"
               "#include <vector>\n"
               "void use(const std::string&);\n"
               "void f(int n, int taken) {\n"
               "  for (int i = 0; i < n; ++i) {\n"
               "    std::string s;\n"
               "    const std::string c;\n"
               "    std::vector<int> a, b;\n"
               "    struct Local { int x; };\n"
               "    std::vector<Local> locals;\n"
               "    std::string taken;\n"
               "    std::vector<int>\n"
               "        split;\n"
               "    { std::string s2; use(s2); }\n"
               "    use(s); use(c); use(taken);\n"
               "  }\n"
               "}\n")


def test_hoist_declaration_moves_a_local_before_its_loop_or_says_none(tmp_path):
    roots = parse_roots(tmp_path, HOIST_CASES)
    src = SourceText(HOIST_CASES)
    loop = one(roots, K.FOR_STMT)
    body = loop.children[-1]

    def hoisted(name):
        return E.hoist_declaration(src, one(roots, K.VAR_DECL, name), loop, body, f"{name}.clear();")

    edits = hoisted("s")
    assert apply_edits(HOIST_CASES, edits) == HOIST_CASES.replace(
        "  for (int i = 0; i < n; ++i) {\n    std::string s;\n",
        "  std::string s;\n  for (int i = 0; i < n; ++i) {\n    s.clear();\n")
    assert hoisted("c") is None  # const
    assert hoisted("a") is None  # declared together with b
    assert hoisted("locals") is None  # its type names a record declared in the loop
    assert hoisted("taken") is None  # a parameter of the function has the name
    assert hoisted("split") is None  # over two lines
    assert hoisted("s2") is None  # not a statement of the loop's body
    # no room before a loop that shares its line with another statement
    text = HOIST_CASES.replace("  for (int i", "  use(\"\"); for (int i")
    roots = parse_roots(tmp_path, text, name="u.cpp")
    loop = one(roots, K.FOR_STMT)
    assert E.hoist_declaration(SourceText(text), one(roots, K.VAR_DECL, "s"), loop, loop.children[-1],
                               "s.clear();") is None


CALL_TEXT = ("#include <memory>\n"
             "struct Item { Item(int, int); };\n"
             "void g(int, int);\n"
             "void f(int n) {\n"
             "  auto a = std::make_shared<Item>(n, n + 1);\n"
             "  auto b = std::make_unique<int[]>( n );\n"
             "  g(n, 2);\n"
             "  auto c = std::make_unique<int>();\n"
             "}\n")


def test_written_template_arguments_and_arguments_text(tmp_path):
    roots = parse_roots(tmp_path, CALL_TEXT)
    src = SourceText(CALL_TEXT)
    calls = [n for n in nodes(roots, K.CALL_EXPR) if n.spelling in ("make_shared", "make_unique", "g")]
    assert [E.written_template_arguments(src, c) for c in calls] == ["Item", "int[]", None, "int"]
    assert [E.written_arguments_text(src, c) for c in calls] == ["n, n + 1", "n", "n, 2", ""]


def test_factor_parenthesizes_what_is_no_name_number_or_sizeof():
    assert [E.factor(t) for t in ("n", "s.count", "64", "sizeof(Item)", "sizeof (long)")] == [
        "n", "s.count", "64", "sizeof(Item)", "sizeof (long)"]
    assert [E.factor(t) for t in ("n + 1", "p->n", "f(x)", "sizeof(T[f(1)])", "-n")] == [
        "(n + 1)", "(p->n)", "(f(x))", "(sizeof(T[f(1)]))", "(-n)"]


def test_is_repeatable_names_members_and_plain_subscripts():
    assert all(E.is_repeatable(t) for t in ("v", "rows[i].cells", "ns::table", "p->items", "a[0][j]"))
    assert not any(E.is_repeatable(t) for t in ("make()", "a[i + 1]", "*p", "std::move(v)", "v.at(i)"))
