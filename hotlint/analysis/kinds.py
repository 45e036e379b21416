"""libclang's node and type kinds as typed enumerations, and the kind sets rules share.

``NodeKind`` and ``TypeKind`` have one member per name libclang's bindings define (value ==
name), built from ``_kind_names`` (generated from the installed bindings). They are ``str``
enumerations, so ``node.kind == NodeKind.CALL_EXPR`` and ``node.kind in LOOPS`` read as before
and a rule pack comparing with ``"CALL_EXPR"`` keeps working; a misspelt member
(``NodeKind.STMT_EXPR``: libclang calls it ``StmtExpr``) fails with AttributeError where it is
written, and tests/test_analysis_kinds.py fails on any kind-like string literal in the built-in
rules or the layer.

``python -m hotlint.analysis.kinds --generate`` rewrites ``_kind_names.py`` from the installed
libclang bindings.
"""

from __future__ import annotations

import enum
import sys

from ._kind_names import CURSOR_KINDS, TYPE_KINDS


class _Kind(str, enum.Enum):
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


NodeKind = _Kind("NodeKind", [(name, name) for name in CURSOR_KINDS], module=__name__)
NodeKind.__doc__ = "A libclang cursor kind (value: its libclang name, e.g. ``CALL_EXPR``)."
TypeKind = _Kind("TypeKind", [(name, name) for name in TYPE_KINDS], module=__name__)
TypeKind.__doc__ = "A libclang type kind (value: its libclang name, e.g. ``RECORD``)."

K = NodeKind
T = TypeKind

_BY_NAME = {name: NodeKind[name] for name in CURSOR_KINDS}


def node_kind(name: str) -> "NodeKind":
    """The member for a libclang cursor-kind name; ValueError for a name libclang does not have."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"libclang has no cursor kind {name!r}") from None


def type_kind(name: str) -> "TypeKind":
    """The member for a libclang type-kind name; ValueError for a name libclang does not have."""
    try:
        return TypeKind[name]
    except KeyError:
        raise ValueError(f"libclang has no type kind {name!r}") from None


# ------------------------------------------------------------------ sets rules share

LOOPS = frozenset({K.FOR_STMT, K.CXX_FOR_RANGE_STMT, K.WHILE_STMT, K.DO_STMT})
FUNCTIONS = frozenset({K.FUNCTION_DECL, K.CXX_METHOD, K.CONSTRUCTOR, K.DESTRUCTOR, K.CONVERSION_FUNCTION,
                       K.FUNCTION_TEMPLATE, K.LAMBDA_EXPR})
RECORDS = frozenset({K.STRUCT_DECL, K.CLASS_DECL, K.UNION_DECL})
# what an expression is wrapped in without changing its value: implicit conversions, parentheses
WRAPPERS = frozenset({K.UNEXPOSED_EXPR, K.PAREN_EXPR})
EXPLICIT_CASTS = frozenset({K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_REINTERPRET_CAST_EXPR,
                            K.CXX_CONST_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR})
NULL_LITERALS = frozenset({K.CXX_NULL_PTR_LITERAL_EXPR, K.GNU_NULL_EXPR})
BRANCHES = frozenset({K.IF_STMT, K.SWITCH_STMT, K.CONDITIONAL_OPERATOR})
NAME_REFS = frozenset({K.DECL_REF_EXPR, K.MEMBER_REF_EXPR})


def _generate() -> str:  # pragma: no cover - a maintenance command
    from clang import cindex

    def block(names: list[str]) -> str:
        lines, line = [], "   "
        for n in names:
            item = f' "{n}",'
            if len(line) + len(item) > 112:
                lines.append(line)
                line = "   "
            line += item
        lines.append(line)
        return "\n".join(lines)

    from importlib.metadata import version

    cursor = [k.name for k in cindex.CursorKind.get_all_kinds()]
    types = [t.name for t in cindex.TypeKind]
    head = __import__("hotlint.analysis._kind_names", fromlist=["x"]).__doc__
    return (f'"""{head}"""\n\nLIBCLANG = "libclang-ng {version("libclang-ng")}"\n\n'
            f"CURSOR_KINDS = (\n{block(cursor)}\n)\n\nTYPE_KINDS = (\n{block(types)}\n)\n")


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--generate"]:
        import os

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_kind_names.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(_generate())
        print(f"wrote {path}")
    else:
        print("usage: python -m hotlint.analysis.kinds --generate", file=sys.stderr)
        sys.exit(3)
