"""What a loop walks, element by element: a node-based standard container (a range-``for`` or an
iterator loop from ``begin()`` to ``end()``) or a linked structure followed through a pointer
member of the node's own type (``for (Node* n = head; n; n = n->next)``), whether the walk can
end early (a search, not a traversal), and what else a file does with a container.

A walk is reported as the loop does it: nothing here asks whether the loop is hot (that is
``hotness``'s question) or how large the container is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from .containers import NODE_BASED
from .control import leaves_loop
from .expressions import call_object, strip
from .kinds import K
from .memory import named_declaration
from .symbols import refers_to
from .types import family

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node, Type
    from ..view import Loop

# Member calls that start an iterator walk at one end of a container.
_FIRSTS = frozenset({"begin", "cbegin", "rbegin", "crbegin"})
_LASTS = frozenset({"end", "cend", "rend", "crend"})
# Member calls that find elements by key (or position) without walking the container.
KEYED_LOOKUPS = frozenset({"find", "count", "contains", "lower_bound", "upper_bound", "equal_range", "at",
                           "operator[]"})
# Member calls that put, take or move elements at a position inside a sequence: what a list's
# nodes are for (iterators and addresses that stay valid across them).
POSITIONAL_CHANGES = frozenset({"insert", "emplace", "erase", "splice", "splice_after", "insert_after",
                                "emplace_after", "erase_after", "merge"})
# Member calls that change which elements a container holds or how they are linked.
RESHAPING = POSITIONAL_CHANGES | frozenset({
    "push_back", "emplace_back", "push_front", "emplace_front", "pop_back", "pop_front", "clear", "remove",
    "remove_if", "unique", "sort", "reverse", "try_emplace", "insert_or_assign", "extract", "swap", "resize",
    "assign", "operator=", "rehash", "reserve",
})
_MEMBER_USES = frozenset({K.DECL_REF_EXPR, K.MEMBER_REF_EXPR})
_NULLS = frozenset({K.CXX_NULL_PTR_LITERAL_EXPR, K.GNU_NULL_EXPR, K.INTEGER_LITERAL})


@dataclass(frozen=True)
class Walk:
    """A loop that visits elements through pointers.

    ``kind``: ``container`` (a node-based standard container, ``family`` its NODE_BASED name) or
    ``linked`` (a pointer ``cursor`` stepped through its ``link`` field, a pointer to the
    ``node`` record it points into). ``container`` is the expression that names the container
    (the range of a range-``for``, the object of ``begin()``), ``declaration`` the variable,
    parameter or field it names (None for anything else: a call's result). ``step`` is where the
    walk moves on: the range expression, the ``begin()`` call, or ``cursor = cursor->link``."""

    kind: str
    step: "Node"
    family: Optional[str] = None
    container: Optional["Node"] = None
    declaration: Optional["Node"] = None
    cursor: Optional["Node"] = None
    link: Optional["Node"] = None
    node: Optional["Type"] = None


def container_walk(loop: "Loop") -> Optional[Walk]:
    """The walk of ``loop`` over a node-based container (``containers.NODE_BASED``, a reference
    looked through): a range-``for`` over one, or a ``for`` whose init declares an iterator from
    ``c.begin()`` (``cbegin``, ``rbegin``, ``crbegin``), whose condition compares it with the same
    container's ``end()`` and whose increment steps it with ``++``. None otherwise: a loop from
    ``find``/``lower_bound``, over a ``std::vector`` or ``std::deque`` (contiguous or chunked
    storage, no pointer per element)."""
    parts = loop.parts()
    if loop.node.kind == K.CXX_FOR_RANGE_STMT:
        rng = parts["range"]
        if rng is None or family(rng.type) not in NODE_BASED:
            return None
        return Walk("container", rng, family(rng.type), rng, named_declaration(rng))
    if loop.node.kind != K.FOR_STMT or parts["init"] is None or parts["condition"] is None:
        return None
    decls = [d for d in parts["init"].children if d.kind == K.VAR_DECL]
    if len(decls) != 1 or not decls[0].children:
        return None
    it = decls[0]
    start = strip(decls[0].children[-1], only_child=True)
    if start is None or start.kind != K.CALL_EXPR or start.spelling not in _FIRSTS:
        return None
    obj = call_object(start, operators=False)
    if obj is None or family(obj.type) not in NODE_BASED:
        return None
    ends = [c for c in parts["condition"].walk() if c.kind == K.CALL_EXPR and c.spelling in _LASTS]
    if len(ends) != 1 or not _same_object(call_object(ends[0], operators=False), obj) or \
            not any(refers_to(strip(c), it) for c in parts["condition"].walk()):
        return None
    inc = parts["increment"]
    if inc is None or not any(c.kind in (K.CALL_EXPR, K.UNARY_OPERATOR) and c.spelling == "operator++"
                              and any(refers_to(strip(a), it) for a in c.walk()) for c in inc.walk()):
        return None
    return Walk("container", start, family(obj.type), obj, named_declaration(obj))


def _same_object(a: Optional["Node"], b: Optional["Node"]) -> bool:
    if a is None or b is None:
        return False
    da, db = named_declaration(a), named_declaration(b)
    if da is not None or db is not None:
        return da is not None and db is not None and da.is_same_declaration(db)
    return a.tokens == b.tokens


def linked_walk(loop: "Loop") -> Optional[Walk]:
    """The walk of ``loop`` along a linked structure: a local pointer ``p`` to a record, tested
    for null and nothing else by the condition (``p``, ``p != nullptr``, ``p != NULL``, ``p != 0``)
    and moved on once per iteration by ``p = p->f`` where the field ``f`` points to the same
    record: in a ``for``'s increment, or a statement of a ``while``/``do`` body outside any
    branch, written nowhere else in the loop. None otherwise: a search whose condition tests a
    key too, a descent choosing ``left`` or ``right``."""
    parts = loop.parts()
    cond = parts["condition"]
    cursor = _null_tested(cond)
    if cursor is None:
        return None
    if loop.node.kind == K.FOR_STMT:
        places = [parts["increment"]] if parts["increment"] is not None else []
    elif loop.node.kind in (K.WHILE_STMT, K.DO_STMT) and parts["body"] is not None:
        body = parts["body"]
        places = list(body.children) if body.kind == K.COMPOUND_STMT else [body]
    else:
        return None
    steps = [s for s in (_link_step(p, cursor) for p in places) if s is not None]
    if len(steps) != 1:
        return None
    step, link = steps[0]
    writes = [n for part in (cond, parts["increment"], parts["body"]) if part is not None for n in part.walk()
              if n.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR) and n.children
              and refers_to(strip(n.children[0]), cursor) and n.operator in ("=", "+=", "-=")]
    if writes != [step]:
        return None
    return Walk("linked", step, cursor=cursor, link=link, node=cursor.type.canonical.pointee)


def _null_tested(cond: Optional["Node"]) -> Optional["Node"]:
    """The local pointer variable a condition tests for null and nothing else, or None."""
    c = strip(cond)
    if c is None:
        return None
    if c.kind == K.BINARY_OPERATOR and c.operator == "!=" and len(c.children) == 2:
        a, b = (strip(x) for x in c.children)
        if b.kind not in _NULLS or (b.kind == K.INTEGER_LITERAL and b.constant_value != 0):
            a, b = b, a
        if b.kind not in _NULLS or (b.kind == K.INTEGER_LITERAL and b.constant_value != 0):
            return None
        c = a
    if c.kind != K.DECL_REF_EXPR:
        return None
    var = c.referenced
    if var is None or var.kind not in (K.VAR_DECL, K.PARM_DECL) or not var.type.canonical.is_pointer:
        return None
    pointee = var.type.canonical.pointee
    return var if pointee is not None and pointee.canonical.is_record else None


def _link_step(stmt: "Node", cursor: "Node") -> Optional[tuple["Node", "Node"]]:
    """(the assignment, the field) when ``stmt`` is ``cursor = cursor->f`` with ``f`` a pointer
    to the record ``cursor`` points to."""
    n = strip(stmt)
    if n is None or n.kind != K.BINARY_OPERATOR or n.operator != "=" or len(n.children) != 2:
        return None
    lhs, rhs = strip(n.children[0]), strip(n.children[1])
    if not refers_to(lhs, cursor) or rhs.kind != K.MEMBER_REF_EXPR or not rhs.children:
        return None
    if not refers_to(strip(rhs.children[0]), cursor):
        return None
    field = rhs.referenced
    record = cursor.type.canonical.pointee
    ftype = rhs.type.canonical
    if field is None or field.kind != K.FIELD_DECL or not ftype.is_pointer or ftype.pointee is None:
        return None
    if ftype.pointee.canonical.unqualified_name != record.canonical.unqualified_name:
        return None
    return n, field


def early_exits(loop: "Loop") -> list["Node"]:
    """The statements in ``loop``'s body that end it before its condition does: a ``return``, a
    ``goto``, or a ``break`` whose nearest enclosing loop or switch is ``loop``; a lambda's body is
    not looked into. A ``throw`` is not counted: it leaves on an error, not because the loop found
    what it was looking for."""
    body = loop.body
    out: list["Node"] = []
    if body is None:
        return out
    stack = [body]
    while stack:
        n = stack.pop()
        kind = n.kind
        if kind == K.LAMBDA_EXPR:
            continue
        if kind in (K.RETURN_STMT, K.GOTO_STMT) or (kind == K.BREAK_STMT and leaves_loop(n, n.parent, loop)):
            out.append(n)
        stack.extend(n.children)
    out.sort(key=lambda n: n.range.start)
    return out


def container_calls(declaration: "Node", calls: Iterable["Node"]) -> list["Node"]:
    """The calls among ``calls`` made on the container ``declaration`` names (a variable,
    parameter or field, the same cursor): member functions (``c.find(k)``, ``this->c.push_back``)
    and member operators (``c[k]``, ``c = other``), in the order given."""
    out = []
    for call in calls:
        obj = call_object(call, operators_first=True)
        if obj is not None and refers_to(obj, declaration, kinds=_MEMBER_USES):
            out.append(call)
    return out


def reshapes(walk: Walk, roots: Iterable["Node"]) -> list["Node"]:
    """What under ``roots`` changes the walked structure: a RESHAPING call on the walked
    container or given it as an argument (``other.splice(pos, walked, it)``), by declaration;
    for a linked walk, a store to a ``link`` field."""
    out = []
    for root in roots:
        for n in root.walk():
            if walk.kind == "container" and n.kind == K.CALL_EXPR and n.spelling in RESHAPING:
                if walk.declaration is None:
                    continue
                obj = call_object(n, operators_first=True)
                if any(refers_to(strip(o), walk.declaration, kinds=_MEMBER_USES) for o in (obj, *n.arguments)):
                    out.append(n)
            elif walk.kind == "linked" and n.kind == K.BINARY_OPERATOR and n.operator == "=" and n.children:
                lhs = strip(n.children[0])
                if lhs.kind == K.MEMBER_REF_EXPR and lhs.referenced is not None and walk.link is not None \
                        and lhs.referenced.is_same_declaration(walk.link):
                    out.append(n)
    return out
