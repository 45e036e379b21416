"""Questions about one expression: what it wraps, what it operates on, what it writes, what it
is worth, how its value is used, and when two declarations are the same.

Every function here replaces copies that rules wrote for themselves (issue 12's inventory,
section E). Where the copies disagreed, the difference is a keyword parameter whose default is
the common case; the port passes the other value only where a copy behaved so. Two shapes of
libclang's tree explain most parameters:

* ``UNEXPOSED_EXPR`` is libclang's face for implicit casts, but also for C11 ``AtomicExpr``,
  GNU builtins and dependent expressions, which have *several* children. Stripping by first
  child descends into their first operand; stripping by only child stops at them.
* An overloaded operator call is ``CALL_EXPR[object, UNEXPOSED_EXPR[DECL_REF_EXPR operator…],
  operands…]`` (object first, callee second); a member call is ``CALL_EXPR[MEMBER_REF_EXPR[object],
  arguments…]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Collection, Iterable, Iterator, Literal, Optional

from ..model import Range
from .kinds import ASSIGNMENT_OPERATORS, COMPARISON_OPERATORS, EXPLICIT_CASTS, INCREMENT_OPERATORS, NAME_REFS, \
    NULL_LITERALS, WRAPPERS, K, T, has_stmt_suffix

if TYPE_CHECKING:
    from ..clang.nodes import Node

Operands = Literal["all", "expressions", "no-name-refs"]
"""Which children of a wrapper count as its operands: all of them, only expressions (a cast's
``TYPE_REF`` left out), or all but ``TYPE_REF``/``NAMESPACE_REF``/``TEMPLATE_REF``."""

THROUGH_CASTS = MappingProxyType(dict(through=WRAPPERS | EXPLICIT_CASTS, only_child=True, operands="no-name-refs"))
"""strip/unwrap/write_at options that look through explicit casts too, as aliasing-vectorization
reads an access (``(float*)p`` is ``p``; a cast's type and qualifier references ignored):
``strip(n, **THROUGH_CASTS)``."""


# ------------------------------------------------------------------ wrappers


def _operands_of(node: "Node", operands: Operands) -> list["Node"]:
    kids = node.children
    if operands == "all":
        return kids
    if operands == "expressions":
        return [c for c in kids if c.is_expression]
    return [c for c in kids if c.kind not in NAME_REFS]


def unwrap(node: Optional["Node"], *, through: Collection[str] = WRAPPERS, only_child: bool = False,
           operands: Operands = "all") -> Optional["Node"]:
    """One step: the operand a wrapper of a kind in ``through`` wraps — its first operand, or
    (``only_child``) its only operand; None when ``node`` is no such wrapper, has no operand or
    (``only_child``) has more than one."""
    if node is None or node.kind not in through:
        return None
    kids = _operands_of(node, operands)
    if only_child:
        return kids[0] if len(kids) == 1 else None
    return kids[0] if kids else None


def strip(node: Optional["Node"], *, through: Collection[str] = WRAPPERS, only_child: bool = False,
          operands: Operands = "all") -> Optional["Node"]:
    """The expression under wrappers of the kinds in ``through``: ``unwrap`` repeated, stopping at
    the last node it could not unwrap (with ``only_child``, a wrapper of several operands is
    returned itself). None for None."""
    while node is not None:
        inner = unwrap(node, through=through, only_child=only_child, operands=operands)
        if inner is None:
            return node
        node = inner
    return None


def outermost_wrapper(node: "Node", *, through: Collection[str] = WRAPPERS) -> "Node":
    """``node`` with every enclosing wrapper of those kinds (``node`` itself when it has none)."""
    while node.parent is not None and node.parent.kind in through:
        node = node.parent
    return node


def parent_past(node: "Node", *, through: Collection[str] = WRAPPERS, only_child: bool = False
                ) -> tuple["Node", Optional["Node"]]:
    """(the outermost wrapper around ``node``, the first ancestor that is no wrapper). With
    ``only_child`` a wrapper of several children ends the walk and is returned as the parent."""
    cur, parent = node, node.parent
    while parent is not None and parent.kind in through and (not only_child or len(parent.children) == 1):
        cur, parent = parent, parent.parent
    return cur, parent


# ------------------------------------------------------------------ calls and operators


def call_object(call: "Node", *, operators: bool = True, stripped: bool = True,
                operators_first: bool = False) -> Optional["Node"]:
    """The object a member call is made on (the base of its ``MEMBER_REF_EXPR`` callee) or, with
    ``operators``, the first child of an ``operator…`` call; stripped of implicit wrappers
    unless ``stripped`` is False.

    The member test runs first (every copy did), so for ``s.v[i]`` — an ``operator[]`` whose
    object ``s.v`` is an unwrapped ``MEMBER_REF_EXPR`` — the answer is ``s``.
    ``operators_first=True`` asks the operator test first and answers ``s.v``."""
    if call.kind != K.CALL_EXPR:
        return None
    kids = call.children
    if not kids:
        return None
    first = kids[0]
    found = None
    is_operator = operators and call.spelling.startswith("operator")
    if is_operator and operators_first:
        found = first
    elif first.kind == K.MEMBER_REF_EXPR and first.children:
        found = first.children[0]
    elif is_operator:
        found = first
    return strip(found) if stripped else found


CalleeThrough = Literal["first-child", "only-child"]
CalleeSpelling = Literal["any-operator", "call-spelling"]


def operator_operands(expr: "Node", *, callee_through: CalleeThrough = "first-child",
                      callee_spelling: CalleeSpelling = "any-operator") -> list["Node"]:
    """The operands of a built-in operator (its children) or of an overloaded one (its children
    without the callee: a ``DECL_REF_EXPR`` under wrappers, stripped by first or, with
    ``callee_through='only-child'``, only child). The callee is recognised by a spelling that
    starts with ``operator`` (``callee_spelling='any-operator'``, so an operand variable named
    ``operator_count`` is dropped too) or that equals the call's (``'call-spelling'``)."""
    if expr.kind != K.CALL_EXPR:
        return list(expr.children)
    only = callee_through == "only-child"

    def is_callee(c: "Node") -> bool:
        s = strip(c, only_child=only)
        if s is None or s.kind != K.DECL_REF_EXPR:
            return False
        if callee_spelling == "call-spelling":
            return s.spelling == expr.spelling
        return s.spelling.startswith("operator")

    return [c for c in expr.children if not is_callee(c)]


def operand_list(node: "Node") -> list["Node"]:
    """A call's arguments (``Node.arguments``: an operator call's object first), any other
    node's children: the operands as seq-cst-default numbers them."""
    return node.arguments if node.kind == K.CALL_EXPR else node.children


def subscript_parts(node: "Node") -> Optional[tuple["Node", "Node"]]:
    """(base, index) of ``a[i]``: a built-in subscript or any ``operator[]`` call (no type
    check). Base is the first child, index the last (an ``operator[]``'s callee is its second)."""
    if node.kind == K.ARRAY_SUBSCRIPT_EXPR or (node.kind == K.CALL_EXPR and node.spelling == "operator[]"):
        kids = node.children
        if len(kids) >= 2:
            return kids[0], kids[-1]
    return None


# ------------------------------------------------------------------ arguments, declarations


def is_written_argument(arg: "Node", *, from_macros: bool = True) -> bool:
    """The source writes this argument (it is not defaulted). A defaulted argument has neither
    tokens nor children; one written inside a macro expansion has no tokens of its own but keeps
    its children, and counts only with ``from_macros``."""
    return arg.is_written or (from_macros and bool(arg.children))


def written_arguments(call: "Node", *, from_macros: bool = True) -> list["Node"]:
    """The call's arguments that the source writes (see is_written_argument)."""
    return [a for a in call.arguments if is_written_argument(a, from_macros=from_macros)]


def parameters(decl: "Node") -> list["Node"]:
    """``PARM_DECL`` children of a function, method, constructor, template or lambda."""
    return [c for c in decl.children if c.kind == K.PARM_DECL]


def takes_mutable_reference(callee: "Node", index: int) -> bool:
    """The callee's parameter ``index`` is a non-const lvalue reference (``T&``), read from the
    parameter's type as written (its own kind, not the canonical one: a reference behind a
    typedef is missed, as alloc-in-loop's two copies read it); False for an index past the
    parameters (a variadic call's extra arguments)."""
    params = parameters(callee)
    if not 0 <= index < len(params):
        return False
    t = params[index].type
    return t.kind == T.LVALUEREFERENCE and t.pointee is not None and not t.pointee.is_const


def takes_mutable_pointer(callee: "Node", index: int) -> bool:
    """The callee's parameter ``index`` is a pointer to non-const (``T*``, an out-parameter that
    a ``&x`` argument lets it fill), read from the type as written like takes_mutable_reference;
    False for an index past the parameters."""
    params = parameters(callee)
    if not 0 <= index < len(params):
        return False
    t = params[index].type
    return t.kind == T.POINTER and t.pointee is not None and not t.pointee.is_const


def initializer(var: "Node", *, any_kind: bool = False) -> Optional["Node"]:
    """A variable's initializer: its last expression child. ``any_kind``: its last child of any
    kind (a ``TYPE_REF`` when it has no initializer), as false-sharing read it."""
    if any_kind:
        return var.children[-1] if var.children else None
    exprs = [c for c in var.children if c.is_expression]
    return exprs[-1] if exprs else None


def function_body(decl: "Node") -> Optional["Node"]:
    """The function's body: its ``COMPOUND_STMT`` child (the last; aliasing-vectorization's
    ``_inlinable_pure_call`` took the first, and no tree was found with two). None for a
    declaration and for a function-try-block (its body is a ``CXX_TRY_STMT``)."""
    for c in reversed(decl.children):
        if c.kind == K.COMPOUND_STMT:
            return c
    return None


# ------------------------------------------------------------------ constants


def integer_in_text(text: str, *, suffixes: str = "uUlLzZ") -> Optional[int]:
    """The integer a literal's text spells (``int(text, 0)`` after dropping trailing
    ``suffixes``); None for anything else, octal (``010``) and digit separators (``1'000``)
    included."""
    try:
        return int(text.strip().rstrip(suffixes), 0)
    except ValueError:
        return None


def integer_literal(node: Optional["Node"], *, suffixes: str = "uUlLzZ") -> Optional[int]:
    """The value of an ``INTEGER_LITERAL`` under implicit wrappers, read from its spelling; None
    for other expressions, for spellings ``int(s, 0)`` rejects and for a literal written in a
    macro (it has no tokens). See constant_value for clang's own evaluation."""
    inner = strip(node)
    if inner is None or inner.kind != K.INTEGER_LITERAL or not inner.tokens:
        return None
    return integer_in_text(inner.tokens[0], suffixes=suffixes)


def literal_spelling(node: Optional["Node"]) -> Optional[tuple[str, ...]]:
    """The tokens of an ``INTEGER_LITERAL`` under implicit wrappers: an identity for "the same
    constant" by spelling (``1`` and ``0x1`` differ); None for anything else."""
    inner = strip(node)
    if inner is None or inner.kind != K.INTEGER_LITERAL:
        return None
    return tuple(inner.tokens)


def constant_value(node: Optional["Node"]) -> Optional[int]:
    """The integer clang's constant evaluator gives an expression (``Node.constant_value``):
    literals in any spelling (``010``, ``1'000``, from a macro), enumerators, ``constexpr`` and
    const-initialized variables, ``sizeof``, constant arithmetic and calls of ``constexpr``
    functions; ``bool`` and character constants as their integer values. None for a
    declaration (the evaluator would answer its initializer), a non-constant or value-dependent
    expression, and a floating or string constant.

    Not what phase 1 of the port uses: the spelling-based copies (integer_literal,
    literal_spelling) answer None or "different" where this answers a value."""
    if node is None or not node.is_expression:
        return None
    return node.constant_value


def is_null_constant(node: Optional["Node"]) -> bool:
    """``nullptr``, GNU ``__null`` (C++'s ``NULL``), or ``0`` spelled so, under wrappers and C
    casts (``(void*)0``, C's ``NULL``)."""
    expr = strip(node)
    while expr is not None and expr.kind == K.CSTYLE_CAST_EXPR and expr.children:
        expr = strip(expr.children[-1])
    if expr is None:
        return False
    if expr.kind in NULL_LITERALS:
        return True
    return expr.kind == K.INTEGER_LITERAL and expr.tokens == ["0"]


def is_negated(node: Optional["Node"]) -> bool:
    """The expression under implicit wrappers is a unary minus (of anything, not only a literal)."""
    inner = strip(node)
    return inner is not None and inner.kind == K.UNARY_OPERATOR and inner.operator == "-"


# ------------------------------------------------------------------ how a value is used

ValueUse = Literal["unused", "tested", "value"]

_STATEMENT_SLOTS = frozenset({K.COMPOUND_STMT, K.CASE_STMT, K.DEFAULT_STMT, K.LABEL_STMT})
_CONDITION_HOLDERS = frozenset({K.IF_STMT, K.WHILE_STMT, K.SWITCH_STMT, K.DO_STMT, K.FOR_STMT})


def use_context(node: "Node") -> "Node":
    """The expression a use of a name is part of, to quote it: ``node``'s ancestors up to (not
    including) its statement, ending early at the first call of a function that is no
    constructor (``f(p, 1)`` for ``p``; ``q = p`` past the implicit copies of ``p``); ``node``
    itself when its parent is a statement."""
    cur = node
    for anc in node.ancestors():
        if has_stmt_suffix(anc.kind):
            break
        cur = anc
        if anc.kind == K.CALL_EXPR and anc.referenced is not None and anc.referenced.kind != K.CONSTRUCTOR:
            break
    return cur


def value_use(node: "Node") -> ValueUse:
    """How an expression's value is used: ``unused`` (a statement of its own, a for-loop's init
    or increment, a ``(void)`` cast, the left of a comma), ``tested`` (a condition, a comparison
    or ``&&``/``||`` operand, ``!``, the test of ``?:``, an operand of an overloaded comparison)
    or ``value``. ``static_cast<void>`` counts as a value, as it did."""
    from .control import in_condition  # control builds on this module

    cur, parent = parent_past(node)
    if parent is None or parent.kind in _STATEMENT_SLOTS:
        return "unused"
    kind = parent.kind
    if kind in _CONDITION_HOLDERS:
        return "tested" if in_condition(parent, cur) else "unused"
    if kind == K.CONDITIONAL_OPERATOR:
        return "tested" if parent.children and parent.children[0] is cur else "value"
    if kind == K.CSTYLE_CAST_EXPR and parent.type.spelling == "void":
        return "unused"
    if kind == K.BINARY_OPERATOR:
        operator = parent.operator
        if operator in COMPARISON_OPERATORS:
            return "tested"
        if operator == "," and parent.children and parent.children[0] is cur:
            return "unused"
        return "value"
    if kind == K.UNARY_OPERATOR and parent.operator == "!":
        return "tested"
    if kind == K.CALL_EXPR and (parent.operator or "") in COMPARISON_OPERATORS:
        return "tested"
    return "value"


def traced_value_use(node: "Node", body: Optional["Node"]) -> ValueUse:
    """``value_use``, following a value that initializes a variable to its uses in ``body``:
    ``auto n = done.fetch_add(1); if (n == last)`` tests the result."""
    use = value_use(node)
    if use != "value" or body is None:
        return use
    holder = parent_past(node)[1]
    if holder is None or holder.kind != K.VAR_DECL:
        return use
    for ref in body.walk():
        if ref.kind == K.DECL_REF_EXPR and same_entity(ref.referenced, holder) and value_use(ref) == "tested":
            return "tested"
    return use


# ------------------------------------------------------------------ writes

_ASSIGNING = frozenset({K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR})


@dataclass(frozen=True)
class Write:
    """A write an expression performs: an assignment, a compound assignment or an increment."""

    node: "Node"  # the operator expression
    operator: str  # its Node.operator spelling: "=", "+=", "++", "post--", ...
    target: Optional["Node"]  # the written lvalue (first operand), stripped as asked; None without operands


def write_at(node: "Node", *, operators: Collection[str] = ASSIGNMENT_OPERATORS, increments: bool = True,
             through: Collection[str] = WRAPPERS, only_child: bool = True, operands: Operands = "all"
             ) -> Optional[Write]:
    """The write ``node`` performs, or None: a ``BINARY_OPERATOR``/``COMPOUND_ASSIGNMENT_OPERATOR``
    whose operator is in ``operators``, or (``increments``) a ``++``/``--`` in either position.
    The target is the first operand, stripped with ``through``/``only_child``/``operands``.
    Only built-in operators: an overloaded ``operator=`` is a ``CALL_EXPR`` and is no write here."""
    kind = node.kind
    if kind in _ASSIGNING:
        op = node.operator
        if op not in operators:
            return None
    elif increments and kind == K.UNARY_OPERATOR:
        op = node.operator  # read from tokens: asked only of unary operators
        if op not in INCREMENT_OPERATORS:
            return None
    else:
        return None
    kids = node.children
    target = strip(kids[0], through=through, only_child=only_child, operands=operands) if kids else None
    return Write(node, op, target)


def writes_in(roots: Iterable["Node"], *, operators: Collection[str] = ASSIGNMENT_OPERATORS,
              increments: bool = True, through: Collection[str] = WRAPPERS, only_child: bool = True,
              operands: Operands = "all") -> Iterator[Write]:
    """Every write under ``roots`` (each root's pre-order walk, roots in order); options as
    write_at."""
    for root in roots:
        for n in root.walk():
            w = write_at(n, operators=operators, increments=increments, through=through,
                         only_child=only_child, operands=operands)
            if w is not None:
                yield w


def is_store_target(node: "Node") -> bool:
    """``node``, inside parentheses only (an implicit cast means it is read), is assigned with
    ``=``, compound-assigned, or incremented or decremented."""
    outer = outermost_wrapper(node, through=(K.PAREN_EXPR,))
    parent = outer.parent
    if parent is None or not parent.children:
        return False
    if (parent.kind == K.BINARY_OPERATOR and parent.operator == "=") or \
            parent.kind == K.COMPOUND_ASSIGNMENT_OPERATOR:
        return parent.children[0] is outer
    return parent.kind == K.UNARY_OPERATOR and parent.operator in INCREMENT_OPERATORS


# What an expression does to an lvalue's bytes, as bits (aos-layout's reading).
READ, WRITE = 1, 2
ESCAPES = 4 | READ | WRITE  # a pointer or reference that may be kept: anything can happen


def lvalue_use(leaf: "Node") -> int:
    """READ/WRITE/ESCAPES bits of what the enclosing expression does to the lvalue ``leaf``.

    Clang wraps an lvalue that is only read in an implicit cast: lvalue-to-rvalue for a scalar,
    a no-op cast to ``const T`` when a record binds to a const reference. No cast means the
    lvalue itself is used: assigned, incremented, bound to a non-const reference or the object
    of a non-const method, all of which may change it; an address or a reference variable may
    outlive the expression. A const lvalue (not an array) needs no cast to be read. Parentheses
    are looked through, ``?:`` arms and a subscripted array pass the question up."""
    cur = leaf
    readonly = leaf.type.is_const and not leaf.type.is_array
    while True:
        parent = cur.parent
        if parent is None:
            return ESCAPES
        kind = parent.kind
        if kind == K.PAREN_EXPR:
            cur = parent
            continue
        if kind == K.UNEXPOSED_EXPR:  # an implicit cast
            if cur.type.is_array:
                grand = parent.parent
                if grand is not None and grand.kind == K.ARRAY_SUBSCRIPT_EXPR and grand.children \
                        and grand.children[0] is parent:
                    cur = grand  # `e.hist[k]`: what is done to the element is done to the array
                    continue
                return ESCAPES  # a pointer to the array's first element
            if cur.type.is_record:
                return READ if parent.type.is_const else READ | WRITE
            return READ
        if kind == K.CONDITIONAL_OPERATOR and parent.children and parent.children[0] is not cur:
            cur = parent
            continue
        if kind == K.BINARY_OPERATOR:
            if parent.operator == "=" and parent.children and parent.children[0] is cur:
                return WRITE
            return READ
        if kind == K.COMPOUND_ASSIGNMENT_OPERATOR:
            return READ | WRITE if parent.children and parent.children[0] is cur else READ
        if kind == K.UNARY_OPERATOR:
            if parent.operator in INCREMENT_OPERATORS:
                return READ | WRITE
            return ESCAPES if parent.operator == "&" else READ
        if kind in (K.CALL_EXPR, K.MEMBER_REF_EXPR):
            return READ if readonly else READ | WRITE
        if kind == K.VAR_DECL and readonly:
            return READ
        if kind == K.INIT_LIST_EXPR and not any(t.is_reference for t in parent.type.field_types().values()):
            return READ  # libclang shows an initializer list's syntactic form, without the casts
        return ESCAPES


# ------------------------------------------------------------------ identity


def same_cursor(a: Optional["Node"], b: Optional["Node"]) -> bool:
    """The same libclang cursor (``a == b``): a redeclaration is another cursor."""
    return a is not None and b is not None and a == b


def same_entity(a: Optional["Node"], b: Optional["Node"]) -> bool:
    """The same entity across redeclarations (canonical cursors): ``extern int x;`` and ``int x;``."""
    return a is not None and a.is_same_declaration(b)


def position_key(decl: "Node") -> tuple[Range, str]:
    """(range, spelling): false-sharing's identity for declarations, comparable with a
    FieldLayout's (range, name) and stable across the walk's and ``referenced``'s nodes."""
    return decl.range, decl.spelling
