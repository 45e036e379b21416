"""Node tokens of declarations whose range starts inside a macro's definition: read where the
macro is used, not everything between the definition and the use (an amalgamated library, such
as a single-file compressor, defines its attribute macros tens of thousands of lines before the
functions that use them)."""

from __future__ import annotations

from hotlint import clang

FILLER = "".join(f"static int filler_{i}(int x) {{ return x * {i} + {i % 7}; }}\n" for i in range(200))

SOURCE = (
    "#define HOT_FN static __attribute__((hot))\n"
    "#define PLAIN static\n"
    "static inline __attribute__((cold)) int early(int x) { return x; }\n"
    + FILLER
    + "HOT_FN int kernel(int x) { return x + 1; }\n"
    "PLAIN int helper(int x) { return x - 1; }\n"
)


def _functions(tmp_path):
    path = tmp_path / "amalgamated.c"
    path.write_text(SOURCE)
    tu = clang.parse(str(path), ["-x", "c", "-std=c17"])
    roots = clang.main_file_roots(tu, str(path))
    return tu, {n.spelling: n for n in roots if n.kind == "FUNCTION_DECL"}


def test_attributes_of_a_macro_read_only_the_attribute(tmp_path):
    _tu, fns = _functions(tmp_path)
    assert fns["kernel"].attribute_names() == {"hot"}
    assert fns["early"].attribute_names() == {"cold"}
    assert fns["helper"].attribute_names() == set()


def test_tokens_of_a_declaration_begun_by_a_macro_are_those_where_it_is_used(tmp_path):
    _tu, fns = _functions(tmp_path)
    kernel = fns["kernel"].tokens
    assert kernel[0] == "HOT_FN" and kernel[-1] == "}" and "filler_3" not in kernel
    assert len(kernel) < 20
    helper = fns["helper"].token_positions
    assert helper[0][0] == "PLAIN" and helper[0][1].line == SOURCE.count("\n")
    # a declaration spelled in the file itself keeps its own tokens
    assert fns["early"].tokens[:4] == ["static", "inline", "__attribute__", "("]
