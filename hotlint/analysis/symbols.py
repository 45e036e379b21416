"""Names and where they live: uses of a declaration, linkage and storage, which file a node is
spelled in, source versus header paths, and names a new declaration could clash with.

Declaration identity: ``kinds``-filtered uses are matched to a declaration by cursor (``==``, a
redeclaration is another cursor) or by entity (canonical cursors), as the copies did; see
``expressions.same_cursor`` and ``same_entity``.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from typing import TYPE_CHECKING, Collection, Iterable, Literal, Optional, Union

from .expressions import THROUGH_CASTS, same_cursor, same_entity, strip
from .kinds import FUNCTIONS, NAME_USES, K

if TYPE_CHECKING:
    from ..clang.nodes import Node
    from ..view import FileView, Loop
    from .source import Multiline

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++", ".C", ".cp", ".CPP")
HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".inl", ".ipp", ".tcc")
_IMPLEMENTATION_NAMESPACE = re.compile(r"::__\w+(?=::)")
_DECL_REFS = frozenset({K.DECL_REF_EXPR})
# the scopes a variable declared directly in lives for the whole program
_STATIC_SCOPES = frozenset({K.NAMESPACE, K.TRANSLATION_UNIT, K.STRUCT_DECL, K.CLASS_DECL})

Identity = Literal["cursor", "entity"]


class SymbolIndex:
    """The file's name uses and function declarations, gathered by spelling on first use (one per
    file: the lead hangs it on the file's analysis object)."""

    def __init__(self, view: "FileView") -> None:
        self._view = view

    def references(self, name: str) -> list["Node"]:
        """``DECL_REF_EXPR`` and ``OVERLOADED_DECL_REF`` nodes of the file spelled ``name``, in
        source order."""
        return self._references.get(name, [])

    def function_declarations(self, fn: "Node") -> list["Node"]:
        """Every ``FUNCTION_DECL`` of the file that declares the same entity as ``fn``."""
        return [d for d in self._functions.get(fn.spelling, []) if d.is_same_declaration(fn)]

    @cached_property
    def _references(self) -> dict[str, list["Node"]]:
        return _by_spelling(self._view.nodes(K.DECL_REF_EXPR, K.OVERLOADED_DECL_REF))

    @cached_property
    def _functions(self) -> dict[str, list["Node"]]:
        return _by_spelling(self._view.nodes(K.FUNCTION_DECL))


def _by_spelling(nodes: Iterable["Node"]) -> dict[str, list["Node"]]:
    out: dict[str, list] = {}
    for n in nodes:
        out.setdefault(n.spelling, []).append(n)
    return out


# ------------------------------------------------------------------ uses of a declaration


def references_by_name(root: "Node") -> dict[str, list["Node"]]:
    """The ``DECL_REF_EXPR`` nodes under ``root`` grouped by spelling, in one walk."""
    return _by_spelling(n for n in root.walk() if n.kind == K.DECL_REF_EXPR)


def _same(a: Optional["Node"], b: "Node", same: Identity) -> bool:
    return same_cursor(a, b) if same == "cursor" else same_entity(a, b)


def references_to(decl: "Node", roots: Iterable["Node"], *, kinds: Collection[str] = _DECL_REFS,
                  same: Identity = "cursor") -> list["Node"]:
    """Uses under ``roots`` (each root's walk, in order) of the kinds in ``kinds`` whose referenced
    declaration is ``decl``: the same cursor, or (``same='entity'``) any redeclaration."""
    return [n for root in roots for n in root.walk()
            if n.kind in kinds and _same(n.referenced, decl, same)]


def named_references_to(decl: "Node", by_name: dict[str, list["Node"]], *,
                        same: Identity = "cursor") -> list["Node"]:
    """``references_to`` over a ``references_by_name`` map: the uses spelled like ``decl``."""
    return [r for r in by_name.get(decl.spelling, ()) if _same(r.referenced, decl, same)]


def refers_to(node: Optional["Node"], decl: "Node", *, kinds: Collection[str] = _DECL_REFS) -> bool:
    """``node`` is a use, of a kind in ``kinds``, of exactly the cursor ``decl``."""
    return node is not None and node.kind in kinds and same_cursor(node.referenced, decl)


def declared_in(decl: "Node", loops: Iterable["Loop"]) -> bool:
    """The declaration lies inside one of the loops (by range)."""
    return any(loop.node.range.contains(decl.range) for loop in loops)


def uses_loop_variable(view: "FileView", expr: Optional["Node"], loops: list["Loop"]) -> bool:
    """``expr`` names a variable declared in this file inside one of ``loops``."""
    if expr is None or not loops:
        return False
    for n in expr.walk():
        if n.kind != K.DECL_REF_EXPR:
            continue
        d = n.referenced
        if d is None or d.kind != K.VAR_DECL or not in_linted_file(view, d):
            continue
        if declared_in(d, loops):
            return True
    return False


# ------------------------------------------------------------------ files


def in_linted_file(view: "FileView", where: Union["Node", str, None], *, normalize: bool = True) -> bool:
    """Spelled in the linted file: the node's file (or the path) is the view's path — compared as
    absolute paths, or (``normalize=False``) as the raw strings aos-layout's rewrite compares,
    which differ when clang reports a path like ``a/../b.cpp``."""
    path = where if isinstance(where, str) or where is None else where.file
    if path is None:
        return False
    if not normalize:
        return path == view.path
    return os.path.abspath(path) == os.path.abspath(view.path)


def linted_text(view: "FileView", node: "Node", *, multiline: "Multiline") -> Optional[str]:
    """The node's text as the linted file holds it, for a message or a fix:
    ``view.source.snippet`` of its range (``multiline`` as there). None when the file does not
    hold it: the node is spelled in another file (a loop body brought in by ``#include``: its
    range counts that file's lines), or inside a macro argument (clang gives it an empty
    range); and when that text is blank. A node a macro's use spells whole (``AT(x, i)``) has the
    use's text."""
    r = node.range
    if not r.start < r.end or not in_linted_file(view, node):
        return None
    text = view.source.snippet(r, multiline=multiline)
    return text if text.strip() else None


def quoted(view: "FileView", node: "Node") -> str:
    """The node's text in backquotes, for a message: ``linted_text`` (its first line and `` ...``
    when it spans lines). When the linted file does not hold it, what the node reads and where
    it is spelled, never an empty or a wrong text: ```x``` for a named variable, member or
    parameter (``memory.named_declaration``), ``an element of `a``` or ``what `p` points to`` for
    a subscript or dereference of one, else ``a `T``` by type; followed by `` in a macro
    argument`` when the node is in the linted file, else `` in `file.h``` (its base name), or
    `` outside this file`` without a file."""
    from .memory import named_declaration  # memory builds on this module

    text = linted_text(view, node, multiline="first-line-ellipsis")
    if text is not None:
        return f"`{text}`"
    n = strip(node, **THROUGH_CASTS)
    named = named_declaration(n)
    base = named_declaration(n.children[0]) if named is None and n.children else None
    if named is not None:
        what = f"`{named.spelling}`"
    elif base is not None and n.kind == K.ARRAY_SUBSCRIPT_EXPR:
        what = f"an element of `{base.spelling}`"
    elif base is not None and n.kind == K.UNARY_OPERATOR:
        what = f"what `{base.spelling}` points to"
    else:
        what = f"a `{n.type.spelling}`"
    if in_linted_file(view, node):
        return f"{what} in a macro argument"
    return f"{what} in `{os.path.basename(node.file)}`" if node.file else f"{what} outside this file"

def is_source_path(path: str) -> bool:
    """A ``.c/.cc/.cpp/.cxx/.c++/.C/.cp/.CPP`` file: its records are not shared with other units."""
    return os.path.splitext(path)[1] in SOURCE_SUFFIXES


def is_header_path(path: str) -> bool:
    """A ``.h/.hh/.hpp/.hxx/.inl/.ipp/.tcc`` file. Not the complement of is_source_path: ``.cu``,
    ``.mm``, ``.cppm``, ``.tpp`` or no suffix are neither."""
    return path.endswith(HEADER_SUFFIXES)


# ------------------------------------------------------------------ linkage and storage


def _in_anonymous_namespace(decl: "Node") -> bool:
    parent = decl.semantic_parent
    while parent is not None and parent.kind != K.TRANSLATION_UNIT:
        if parent.kind == K.NAMESPACE and not parent.spelling:
            return True
        parent = parent.semantic_parent
    return False


def file_private(view: "FileView", decl: "Node") -> bool:
    """Only this file can reach the variable: a function's local, a ``static`` or
    anonymous-namespace variable, or a member of a record defined in this file — never in a
    header (by is_header_path, so a file of another suffix counts as a source)."""
    if is_header_path(view.path):
        return False
    if decl.kind == K.VAR_DECL:
        parent = decl.semantic_parent
        if parent is not None and parent.kind in FUNCTIONS:
            return True
        if decl.storage == "static":
            return True
        return _in_anonymous_namespace(decl)
    if decl.kind == K.FIELD_DECL:
        record = decl.semantic_parent
        return record is not None and in_linted_file(view, record)
    return False


def internal_linkage(fn: "Node", declarations: list["Node"]) -> bool:
    """The function is in an anonymous namespace, or one of its ``declarations`` (pass
    ``SymbolIndex.function_declarations(fn) or [fn]``) says ``static`` before its name."""
    if _in_anonymous_namespace(fn):
        return True
    for d in declarations:
        toks = d.tokens
        head = toks[:toks.index(fn.spelling)] if fn.spelling in toks else []
        if "static" in head:
            return True
    return False


def declared_alone(var: "Node") -> Optional["Node"]:
    """The declaration statement (``DECL_STMT``) of ``var`` when it declares no other variable
    (``int a;``, not ``int a, b;``); None for a variable declared together with others or outside
    a declaration statement (a parameter, a global, a for-range variable)."""
    stmt = var.parent
    if stmt is None or stmt.kind != K.DECL_STMT or sum(c.kind == K.VAR_DECL for c in stmt.children) != 1:
        return None
    return stmt


def has_static_storage(decl: "Node") -> bool:
    """A variable that lives for the whole program: ``static`` (a static local too), ``extern``,
    ``thread_local``, or declared directly in a namespace, the file, a struct or a class (a
    union's is not counted, as aliasing-vectorization did)."""
    if decl.kind != K.VAR_DECL:
        return False
    if decl.storage in ("static", "extern", "thread_local"):
        return True
    parent = decl.semantic_parent
    return parent is not None and parent.kind in _STATIC_SCOPES


def extern_c_line(record: "Node", simple_name: str, linkage_specs: Iterable["Node"]) -> Optional[int]:
    """The line of the ``extern "C"`` block holding ``record`` (a node of the file's walk), else
    of the first linkage specification whose tokens include ``simple_name``; None without."""
    for a in record.ancestors():
        if a.kind == K.LINKAGE_SPEC:
            return a.range.start.line
    for spec in linkage_specs:
        if simple_name and simple_name in spec.tokens:
            return spec.range.start.line
    return None


def std_name(qualified: str) -> str:
    """``qualified`` without implementation namespaces between two ``::`` (``std::__1::vector``,
    ``std::__cxx11::basic_string`` → ``std::vector``, ``std::basic_string``)."""
    return _IMPLEMENTATION_NAMESPACE.sub("", qualified)


# ------------------------------------------------------------------ names a new local could clash with


def unqualified_identifiers(node: "Node") -> set[str]:
    """Identifier tokens of ``node`` not after ``.`` or ``->``: ``buf.len`` does not stop a new
    local from being called ``len``, an unqualified ``len`` does."""
    toks = node.tokens
    return {t for i, t in enumerate(toks) if t.isidentifier() and (i == 0 or toks[i - 1] not in (".", "->"))}


def name_is_taken(block: "Node", var: "Node", name: str) -> bool:
    """A variable ``name`` declared at the top of ``block`` would clash with a declaration of a
    statement of the block or a parameter of the function the block is the body of, or would
    capture a use (in the block) of another entity spelled ``name``, ``… name`` or ``…::name``; a
    member expression counts only when written as the bare name."""
    for stmt in block.children:
        if stmt.kind == K.DECL_STMT and any(c.spelling == name for c in stmt.children if c.is_declaration):
            return True
    fn = block.parent
    if fn is not None and fn.kind in FUNCTIONS:
        if any(c.kind == K.PARM_DECL and c.spelling == name for c in fn.children):
            return True
    for n in block.walk():
        if n.kind in NAME_USES and n.referenced is not None and n.referenced != var and (
                n.spelling == name or n.spelling.endswith(f" {name}") or n.spelling.endswith(f"::{name}")):
            if n.kind == K.MEMBER_REF_EXPR and n.tokens != [name]:
                continue  # obj.name is looked up in obj's class, not in the block
            return True
    return False
