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


def has_stmt_suffix(kind: str) -> bool:
    """The kind's libclang name ends in ``_STMT``: a test of the name, not libclang's
    ``is_statement`` (which counts the OpenMP and OpenACC directives too). A walk up from an
    expression stops at the statement holding it so."""
    return str(kind).endswith("_STMT")


# ------------------------------------------------------------------ sets rules share

LOOPS = frozenset({K.FOR_STMT, K.CXX_FOR_RANGE_STMT, K.WHILE_STMT, K.DO_STMT})
FUNCTIONS = frozenset({K.FUNCTION_DECL, K.CXX_METHOD, K.CONSTRUCTOR, K.DESTRUCTOR, K.CONVERSION_FUNCTION,
                       K.FUNCTION_TEMPLATE, K.LAMBDA_EXPR})
RECORDS = frozenset({K.STRUCT_DECL, K.CLASS_DECL, K.UNION_DECL})
# what an expression is wrapped in without changing its value: implicit conversions, parentheses
WRAPPERS = frozenset({K.UNEXPOSED_EXPR, K.PAREN_EXPR})
EXPLICIT_CASTS = frozenset({K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_REINTERPRET_CAST_EXPR,
                            K.CXX_CONST_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR})
# casts that can reinterpret an object's bytes
BYTE_REINTERPRETING_CASTS = frozenset({K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_REINTERPRET_CAST_EXPR})
# references to names that are no expression of their own (a qualifier, a type, a template)
NAME_REFS = frozenset({K.TYPE_REF, K.NAMESPACE_REF, K.TEMPLATE_REF})
NULL_LITERALS = frozenset({K.CXX_NULL_PTR_LITERAL_EXPR, K.GNU_NULL_EXPR})
BRANCHES = frozenset({K.IF_STMT, K.SWITCH_STMT, K.CONDITIONAL_OPERATOR})
LOOP_EXITS = frozenset({K.BREAK_STMT, K.CONTINUE_STMT, K.RETURN_STMT, K.GOTO_STMT, K.INDIRECT_GOTO_STMT,
                        K.CXX_THROW_EXPR, K.ASM_STMT, K.MS_ASM_STMT, K.CXX_TRY_STMT})
DECLARED_NAMES = frozenset({K.VAR_DECL, K.TYPEDEF_DECL, K.TYPE_ALIAS_DECL, K.STRUCT_DECL, K.CLASS_DECL,
                            K.ENUM_DECL})
NAME_USES = frozenset({K.DECL_REF_EXPR, K.MEMBER_REF_EXPR, K.OVERLOADED_DECL_REF, K.TYPE_REF, K.TEMPLATE_REF})
# expressions whose evaluation has an effect or reads `this` (padding-waste's test of an initializer)
EFFECTS = frozenset({K.CXX_THIS_EXPR, K.CXX_NEW_EXPR, K.CXX_DELETE_EXPR, K.CXX_THROW_EXPR, K.LAMBDA_EXPR,
                     K.COMPOUND_ASSIGNMENT_OPERATOR})

# spellings of ``Node.operator``
INCREMENT_OPERATORS = frozenset({"++", "--", "post++", "post--"})
ASSIGNMENT_OPERATORS = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})
COMPARISON_OPERATORS = frozenset({"==", "!=", "<", ">", "<=", ">=", "&&", "||", "<=>"})

# type kinds
SCALAR_TYPES = frozenset({  # what the vectorizer can hold in a register (aliasing-vectorization)
    T.BOOL, T.CHAR_U, T.UCHAR, T.CHAR16, T.CHAR32, T.USHORT, T.UINT, T.ULONG, T.ULONGLONG, T.UINT128,
    T.CHAR_S, T.SCHAR, T.WCHAR, T.SHORT, T.INT, T.LONG, T.LONGLONG, T.INT128, T.HALF, T.FLOAT,
    T.DOUBLE, T.LONGDOUBLE, T.FLOAT128, T.FLOAT16, T.BFLOAT16, T.POINTER, T.ENUM,
})
VALUE_TYPES = frozenset({  # plain values a function can return (no pointer)
    T.BOOL, T.CHAR_U, T.UCHAR, T.CHAR16, T.CHAR32, T.USHORT, T.UINT, T.ULONG, T.ULONGLONG, T.UINT128,
    T.CHAR_S, T.SCHAR, T.WCHAR, T.SHORT, T.INT, T.LONG, T.LONGLONG, T.INT128, T.HALF, T.FLOAT, T.DOUBLE,
    T.LONGDOUBLE, T.ENUM, T.FLOAT128,
})
FLOATING_TYPES = frozenset({T.FLOAT, T.DOUBLE, T.LONGDOUBLE, T.HALF, T.FLOAT16, T.BFLOAT16})
# signed and unsigned variants of one integer type share an alias set in C and C++
UNSIGNED_OF = {T.INT: T.UINT, T.LONG: T.ULONG, T.LONGLONG: T.ULONGLONG, T.SHORT: T.USHORT, T.INT128: T.UINT128}
SIGNED_OF = {v: k for k, v in UNSIGNED_OF.items()}
TO_STRING_INTEGER_TYPES = frozenset({T.INT, T.UINT, T.SHORT, T.USHORT, T.LONG, T.ULONG, T.LONGLONG, T.ULONGLONG,
                                     T.CHAR_S, T.SCHAR, T.UCHAR, T.BOOL})
COUNT_TYPES = frozenset({T.ULONG, T.ULONGLONG, T.UINT, T.LONG, T.INT})
FUNCTION_TYPES = frozenset({T.FUNCTIONPROTO, T.FUNCTIONNOPROTO, T.MEMBERPOINTER, T.BLOCKPOINTER})


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
