"""Node and type kinds are typed members built from libclang's own list."""

from __future__ import annotations

import pytest

from hotlint.analysis import kinds
from hotlint.analysis._kind_names import CURSOR_KINDS, TYPE_KINDS


def test_the_generated_kind_list_is_the_installed_libclangs():
    from clang import cindex

    assert list(CURSOR_KINDS) == [k.name for k in cindex.CursorKind.get_all_kinds()], (
        "regenerate: python -m hotlint.analysis.kinds --generate")
    assert list(TYPE_KINDS) == [t.name for t in cindex.TypeKind]


def test_members_compare_as_libclangs_names():
    assert kinds.K.CALL_EXPR == "CALL_EXPR" and f"{kinds.K.CALL_EXPR}" == "CALL_EXPR"
    assert "FOR_STMT" in kinds.LOOPS and kinds.K.StmtExpr == "StmtExpr"
    for dead in ("STMT_EXPR", "GCC_ASM_STMT"):
        with pytest.raises(ValueError):
            kinds.node_kind(dead)
        with pytest.raises(AttributeError):
            getattr(kinds.K, dead)
    with pytest.raises(ValueError):
        kinds.type_kind("CHAR8")


def test_has_stmt_suffix_reads_the_name():
    assert kinds.has_stmt_suffix(kinds.K.DECL_STMT) and kinds.has_stmt_suffix(kinds.K.CXX_FOR_RANGE_STMT)
    assert kinds.has_stmt_suffix("RETURN_STMT")  # a rule pack's string too
    assert not kinds.has_stmt_suffix(kinds.K.OMP_FOR_DIRECTIVE)  # a statement to libclang, not by name
    assert not kinds.has_stmt_suffix(kinds.K.StmtExpr)
    assert not kinds.has_stmt_suffix(kinds.K.CALL_EXPR)


def test_nodes_and_types_carry_members(tmp_path):
    from hotlint import clang

    (tmp_path / "k.cpp").write_text("int f(int x) { return x + 1; }\n")
    tu = clang.parse(str(tmp_path / "k.cpp"), ["-x", "c++", "-std=c++20"])
    [fn] = clang.main_file_roots(tu, str(tmp_path / "k.cpp"))
    assert fn.kind is kinds.K.FUNCTION_DECL
    assert fn.type.kind is kinds.T.FUNCTIONPROTO


def test_importing_the_kinds_does_not_load_libclang():
    import subprocess
    import sys

    code = "import sys, hotlint.analysis.kinds; print('clang.cindex' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_no_kind_is_written_as_a_string_outside_the_libclang_adapter():
    """Rules, the analysis layer and the rest of hotlint name kinds as K/T members: a string that
    spells a libclang kind (`"CALL_EXPR"`) is a typo nothing would catch (`"STMT_EXPR"` never
    matched anything). Only hotlint/clang/, which maps libclang's objects to the kinds, and the
    generated list may spell them."""
    import ast
    from pathlib import Path

    from hotlint.analysis._kind_names import CURSOR_KINDS, TYPE_KINDS

    root = Path(__file__).resolve().parent.parent
    names = {n for n in (*CURSOR_KINDS, *TYPE_KINDS) if n.isupper()}
    sources = [*root.joinpath("rules").rglob("*.py"), *root.joinpath("hotlint").rglob("*.py"),
               *root.joinpath("tests", "data").rglob("*.py")]
    skipped = {root / "hotlint" / "analysis" / "_kind_names.py"}
    found = []
    for path in sources:
        if path in skipped or root / "hotlint" / "clang" in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    assert len(sources) > 40
    assert not found, found
