"""Atomic operations: what a file does to ``std::atomic``, ``std::atomic_ref``,
``std::atomic_flag``, C11 ``_Atomic`` objects and the ``__sync`` builtins, and with which
memory orders.

The recognizer is asked once per call or operator node by the view's walk
(``FileView.atomic_ops``); rules read the resulting ``AtomicOp`` records and ask this module
what an operation does to its object (``operation_role``), how it is written (its operator,
its object's text) and the edits that write a memory order into it (``order_argument_edits``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..model import Edit, Position, Range
from .edits import append_argument
from .expressions import constant_value, is_negated, is_written_argument, operand_list, position_key, strip
from .kinds import INCREMENT_OPERATORS, K
from .memory import atomic_target
from .symbols import in_linted_file
from .types import is_undetermined

if TYPE_CHECKING:  # pragma: no cover - annotations only (hotlint.view imports this module)
    from ..clang.nodes import Node, Type
    from ..view import FileView, Function, Loop
    from .source import SourceText

MEMORY_ORDERS = ("relaxed", "consume", "acquire", "release", "acq_rel", "seq_cst")

# What an operation does to its object, which decides the order its pattern needs.
LOAD, STORE, ADD, RMW, FENCE = "load", "store", "add", "rmw", "fence"
OPERATION_ROLES = {
    "load": LOAD, "test": LOAD, "wait": LOAD,
    "store": STORE, "clear": STORE,
    "fetch_add": ADD, "fetch_sub": ADD, "increment": ADD, "decrement": ADD,
    "fetch_and_add": ADD, "fetch_and_sub": ADD, "add_and_fetch": ADD, "sub_and_fetch": ADD,
    "synchronize": FENCE,
}
# Operations that take from their object whatever their amount, and those that do when it is negated.
DECREMENTS = frozenset({"fetch_sub", "decrement", "fetch_and_sub", "sub_and_fetch"})
_NEGATABLE = frozenset({"fetch_add", "fetch_and_add", "add_and_fetch"})
# Operations that only read their object (false-sharing counts every other one as a write).
# Not the operations whose role is LOAD: ``flag_test`` (std::atomic_flag_test) is not here.
READ_OPERATIONS = frozenset({"load", "test", "wait"})

# Member operations of std::atomic / atomic_ref / atomic_flag that take memory-order arguments.
ORDERED_MEMBERS = frozenset({
    "load", "store", "exchange", "compare_exchange_weak", "compare_exchange_strong",
    "fetch_add", "fetch_sub", "fetch_and", "fetch_or", "fetch_xor", "fetch_max", "fetch_min",
    "test_and_set", "clear", "test", "wait",
})
# Overloaded operators of std::atomic and the operation each performs.
OPERATOR_OPERATIONS = {
    "operator++": "increment", "operator--": "decrement", "operator=": "store",
    "operator+=": "fetch_add", "operator-=": "fetch_sub", "operator&=": "fetch_and",
    "operator|=": "fetch_or", "operator^=": "fetch_xor",
}
# std::atomic_* free functions that are no operation on an object's value.
_NOT_OPERATIONS = frozenset({"thread_fence", "signal_fence", "is_lock_free", "init", "notify_one", "notify_all",
                             "flag_notify_one", "flag_notify_all"})
# Legacy builtins that are not full barriers (GCC's manual: an acquire and a release barrier).
_SYNC_ORDERS = {"lock_test_and_set": "acquire", "lock_release": "release"}
_ORDER_TYPE_NAMES = ("std::memory_order", "memory_order", "std::__memory_order")
# The arguments each member takes before its memory orders (one where not listed: the operand).
_VALUE_ARGUMENTS = {"load": 0, "test": 0, "test_and_set": 0, "clear": 0,
                    "compare_exchange_weak": 2, "compare_exchange_strong": 2}
# The bits of a memory order's value that name it: libstdc++ keeps HLE hints above them.
_ORDER_MASK = 0xFFFF


@dataclass(eq=False)
class AtomicOp:
    """An atomic operation and the memory order it runs with."""

    node: "Node"
    operation: str  # load, store, exchange, fetch_add, compare_exchange_weak, increment, ...
    api: str  # member, operator, conversion, free, builtin, c11
    orders: tuple[str, ...]  # written orders (short names), empty when defaulted
    defaulted: bool  # True when at least one order is seq_cst only because none was written
    object: Optional["Node"]  # the atomic object expression, when visible
    atomic_type: Optional["Type"]
    function: Optional["Function"] = None
    loop: Optional["Loop"] = None

    @property
    def target(self) -> Optional["Node"]:
        """The declaration of the atomic variable or member operated on, if named
        (``memory.atomic_target`` of the object)."""
        return atomic_target(self.object)


def may_name_atomic_call(name: str) -> bool:
    """A call spelled ``name`` can be an atomic operation (resolving a callee costs a libclang
    round trip, so the walk asks this first). An empty name is a member call in a template,
    resolved only at instantiation."""
    return (name in ORDERED_MEMBERS or name in OPERATOR_OPERATIONS or not name
            or name.startswith(("operator ", "__sync_", "__c11_atomic", "__atomic", "atomic_")))


def atomic_call(node: "Node", callee: Optional["Node"], qualified_name: str) -> Optional[AtomicOp]:
    """The atomic operation a call performs (a member, an operator or the conversion of a
    std::atomic, a ``std::atomic_*`` free function, a ``__sync`` builtin), or None."""
    name = node.spelling
    if name.startswith("__sync_"):
        # __sync_ names are reserved to the implementation: only the builtins can carry them.
        base = name.rsplit("_", 1)[0] if name[-1].isdigit() else name
        op = base[len("__sync_"):]
        args = node.arguments
        fixed = _SYNC_ORDERS.get(op)
        return AtomicOp(node, op, "builtin", (fixed,) if fixed else (), fixed is None,
                        args[0] if args else None, None)
    if callee is None:
        return dependent_atomic_call(node)
    if callee.kind in (K.CXX_METHOD, K.CONVERSION_FUNCTION):
        parent = callee.semantic_parent
        if parent is None:
            return None
        ptype = parent.type
        if not ptype.is_atomic:
            return None
        kids = node.children
        obj = None
        # the member test comes first: `s.a += 1` on an unwrapped member names `s` (kept as it was)
        if kids and kids[0].kind == K.MEMBER_REF_EXPR and kids[0].children:
            obj = kids[0].children[0]
        elif kids and name.startswith("operator"):
            obj = kids[0]
        if callee.kind == K.CONVERSION_FUNCTION:
            return AtomicOp(node, "load", "conversion", (), True, obj, ptype)
        if name in OPERATOR_OPERATIONS:
            return AtomicOp(node, OPERATOR_OPERATIONS[name], "operator", (), True, obj, ptype)
        if name in ORDERED_MEMBERS:
            order_args = [a for a in node.arguments if is_order_typed(a)]
            written = tuple(written_order(a) for a in order_args if is_written_argument(a))
            defaulted = bool(order_args) and not written
            return AtomicOp(node, name, "member", written, defaulted, obj, ptype)
        return None
    if callee.kind == K.FUNCTION_DECL and qualified_name.startswith("std::atomic_"):
        op = qualified_name[len("std::atomic_"):]
        args = node.arguments
        obj = args[0] if args else None
        explicit = op.endswith("_explicit")
        orders = tuple(written_order(a) for a in args if is_order_typed(a) and is_written_argument(a))
        if op in _NOT_OPERATIONS:
            return None
        op = op[: -len("_explicit")] if explicit else op
        return AtomicOp(node, op, "free", orders, not explicit, obj,
                        obj.type.pointee if obj is not None and obj.type.pointee else None)
    return None


def dependent_atomic_call(node: "Node") -> Optional[AtomicOp]:
    """``a.load()`` on a ``std::atomic<T>`` in a template: the call is unresolved until
    instantiation, but the object's type names the std::atomic template and the member is
    spelled in the source."""
    kids = node.children
    ref = kids[0] if kids else None
    if ref is None or ref.kind != K.MEMBER_REF_EXPR or ref.spelling or not ref.children:
        return None
    toks = ref.tokens
    name = toks[-1] if toks else ""
    if name not in ORDERED_MEMBERS:
        return None
    obj = ref.children[0]
    t = obj.type.non_reference()
    if t.is_pointer and t.pointee is not None and len(toks) >= 2 and toks[-2] == "->":
        t = t.pointee
    decl = t.declaration
    if decl is None or decl.qualified_name not in ("std::atomic", "std::atomic_ref"):
        return None
    orders = tuple(written_order(a) for a in order_arguments(name, kids[1:]))
    return AtomicOp(node, name, "member", orders, not orders, obj, t)


def order_arguments(member: str, args: list["Node"]) -> list["Node"]:
    """The arguments of a call to the atomic member ``member`` (ORDERED_MEMBERS) that are its
    memory orders: those typed as one (``is_order_typed``), and those whose type is known only
    at instantiation (``P::order``, a ``constexpr auto`` copy of one, a ``template <auto O>``)
    where the member's signature puts its orders (after its operands, _VALUE_ARGUMENTS). An
    order whose value the code chooses is still a written order."""
    operands = _VALUE_ARGUMENTS.get(member, 1)
    return [a for i, a in enumerate(args) if is_order_typed(a) or (i >= operands and is_undetermined(a.type))]


def order_name(node: "Node") -> Optional[str]:
    """``release`` for an argument spelled ``std::memory_order_release``, ``memory_order::release``
    or ``__ATOMIC_RELEASE`` (its last token); ``other`` for another spelling, None without tokens."""
    toks = node.tokens
    if not toks:
        return None
    last = toks[-1]
    for order in MEMORY_ORDERS:
        if last in (f"memory_order_{order}", order, f"__ATOMIC_{order.upper()}"):
            return order
    return "other"


def is_order_typed(node: "Node") -> bool:
    """The expression's type is a memory order (``std::memory_order``, C's ``memory_order``)."""
    name = node.type.unqualified_name
    return name in _ORDER_TYPE_NAMES or name.endswith("memory_order")


def written_order(arg: "Node") -> str:
    """The short name of a memory-order argument (MEMORY_ORDERS): from the value clang's
    evaluator gives it (a ``constexpr`` variable, a macro, ``memory_order::acquire``, C's
    enumerators, a ``constexpr`` member, a template's choice once instantiated), else from the
    enumerator or ``std::`` constant it names; ``other`` when the value is chosen at run time
    or by a template parameter (a function parameter, a member, a ternary of orders)."""
    value = constant_value(arg)
    if value is not None:
        value &= _ORDER_MASK
        return MEMORY_ORDERS[value] if 0 <= value < len(MEMORY_ORDERS) else "other"
    ref = strip(arg)
    target = ref.referenced if ref is not None and ref.kind == K.DECL_REF_EXPR else None
    if target is not None and target.kind in (K.VAR_DECL, K.ENUM_CONSTANT_DECL):
        spelled = target.spelling
        for order in MEMORY_ORDERS:
            if (target.kind == K.ENUM_CONSTANT_DECL and spelled in (f"memory_order_{order}", order)) or (
                    spelled == f"memory_order_{order}" and target.qualified_name.startswith("std::")):
                return order
    return "other"


# <stdatomic.h> generic functions (macros over clang's __c11_atomic builtins) and their operation.
C11_FUNCTIONS = {
    "atomic_load": "load", "atomic_store": "store", "atomic_exchange": "exchange",
    "atomic_compare_exchange_strong": "compare_exchange_strong",
    "atomic_compare_exchange_weak": "compare_exchange_weak",
    "atomic_fetch_add": "fetch_add", "atomic_fetch_sub": "fetch_sub", "atomic_fetch_or": "fetch_or",
    "atomic_fetch_xor": "fetch_xor", "atomic_fetch_and": "fetch_and",
    "atomic_flag_test_and_set": "test_and_set", "atomic_flag_clear": "clear",
}
_C11_COMPOUND = {"+=": "fetch_add", "-=": "fetch_sub", "&=": "fetch_and", "|=": "fetch_or", "^=": "fetch_xor"}
_LVALUE_KINDS = frozenset({K.DECL_REF_EXPR, K.MEMBER_REF_EXPR, K.ARRAY_SUBSCRIPT_EXPR, K.PAREN_EXPR,
                           K.UNARY_OPERATOR})
_ATOMIC = "_Atomic"  # Type.atomic_kind of a C11 atomic


def c11_atomic_op(node: "Node") -> Optional[AtomicOp]:
    """Operations on C11 ``_Atomic`` objects: operators (``x++``, ``x += 1``, ``x = v``), reading
    ``x`` (``if (x)``, ``while (!x)``) and the ``<stdatomic.h>`` generic functions."""
    kind = node.kind
    kids = node.children
    if not kids:
        return None
    first = kids[0]
    if kind == K.UNEXPOSED_EXPR and len(kids) >= 2:
        return _c11_generic_call(node, kids)
    if first.type.atomic_kind != _ATOMIC:
        return None
    if kind == K.UNARY_OPERATOR and node.operator in INCREMENT_OPERATORS:
        op = "increment" if "++" in node.operator else "decrement"
        return AtomicOp(node, op, "c11", (), True, first, first.type)
    if kind == K.COMPOUND_ASSIGNMENT_OPERATOR:
        return AtomicOp(node, _C11_COMPOUND.get(node.operator or "", "fetch_op"), "c11", (), True, first,
                        first.type)
    if kind == K.BINARY_OPERATOR and node.operator == "=":
        return AtomicOp(node, "store", "c11", (), True, first, first.type)
    if kind == K.UNEXPOSED_EXPR and node.type.atomic_kind is None and node.type.size is not None:
        # The read is AtomicToNonAtomic(LValueToRValue(lvalue)): count the outer cast only.
        lvalue = first
        if lvalue.kind == K.UNEXPOSED_EXPR and len(lvalue.children) == 1:
            lvalue = lvalue.children[0]
        if lvalue.kind not in _LVALUE_KINDS or lvalue.type.atomic_kind != _ATOMIC:
            return None
        if lvalue.kind == K.UNARY_OPERATOR and lvalue.operator != "*":
            return None
        return AtomicOp(node, "load", "c11", (), True, lvalue, lvalue.type)
    return None


def _c11_generic_call(node: "Node", kids: list["Node"]) -> Optional[AtomicOp]:
    """``atomic_fetch_add(&x, 1)``: an AtomicExpr whose first operand points to an ``_Atomic``.

    The expansion has no tokens of its own; the macro's name, read at the node's start, says
    which function was written and whether it was the ``_explicit`` form. The AtomicExpr's
    operands are (object, order, value, failure order, desired)."""
    ptr = kids[0]
    pointee = ptr.type.pointee
    if pointee is None or pointee.atomic_kind != _ATOMIC:
        return None
    name = node.leading_token or ""
    explicit = name.endswith("_explicit")
    op = C11_FUNCTIONS.get(name[: -len("_explicit")] if explicit else name)
    if op is None:
        return None  # an __atomic builtin written directly (orders are mandatory) or a user macro
    orders: tuple[str, ...] = ()
    if explicit:
        slots = [kids[1]] + ([kids[3]] if op.startswith("compare_exchange") and len(kids) > 3 else [])
        orders = tuple(written_order(k) for k in slots)
    obj = ptr
    if op in ("test_and_set", "clear"):
        # atomic_flag's macros operate on &(flag)->_Value: name the flag, not its member.
        inner = ptr.children[0] if ptr.kind == K.UNARY_OPERATOR and ptr.children else None
        if inner is not None and inner.kind == K.MEMBER_REF_EXPR and inner.children:
            base = inner.children[0]
            while base.kind == K.PAREN_EXPR and base.children:
                base = base.children[0]
            obj = base
    return AtomicOp(node, op, "c11", orders, not explicit, obj, pointee)


def operation_role(op: AtomicOp) -> str:
    """LOAD, STORE, ADD, RMW or FENCE: what the operation does to its object (an ``atomic_flag_``
    free function's ``flag_`` prefix ignored; anything not listed is a read-modify-write)."""
    name = op.operation[len("flag_"):] if op.operation.startswith("flag_") else op.operation
    return OPERATION_ROLES.get(name, RMW)


def is_c11_function_call(op: AtomicOp) -> bool:
    """A ``<stdatomic.h>`` function (``atomic_load(&x)``), as opposed to an operator on or an
    implicit read of an ``_Atomic`` object."""
    return op.node.kind == K.UNEXPOSED_EXPR and (op.node.leading_token or "").startswith("atomic_")


def is_decrement(op: AtomicOp) -> bool:
    """The operation takes from its object: a subtraction (DECREMENTS: ``fetch_sub``, ``--``, the
    ``__sync`` subtractions), or an addition of a negated amount (``fetch_add(-1)``, ``x += -n``:
    a unary minus of anything, under implicit wrappers). The amount is a member call's first
    argument written in the source that is no memory order, an operator's last operand (of
    ``operand_list``), a free function's or builtin's second argument; a C11 addition's is not
    read (never a decrement)."""
    if op.operation in DECREMENTS:
        return True
    if op.operation not in _NEGATABLE:
        return False
    args = operand_list(op.node)
    if op.api == "member":
        amounts = [a for a in args if a.is_written and not is_order_typed(a)]
        return bool(amounts) and is_negated(amounts[0])
    if op.api == "operator":
        return len(args) >= 2 and is_negated(args[-1])
    if op.api in ("free", "builtin"):
        return len(args) >= 2 and is_negated(args[1])
    return False


# ------------------------------------------------------------------ who writes a field


def read_only_fields(view: "FileView") -> set:
    """``position_key`` of the linted file's fields that every member reference in the file
    only loads (READ_OPERATIONS)."""
    loaded = set()
    for op in view.atomic_ops:
        if op.operation in READ_OPERATIONS and op.object is not None:
            obj = strip(op.object)
            loaded.add((obj.range.start, obj.range.end))
    state: dict = {}
    for n in view.nodes(K.MEMBER_REF_EXPR):
        d = n.referenced
        if d is None or d.kind != K.FIELD_DECL or not in_linted_file(view, d):
            continue
        key = position_key(d)
        state[key] = state.get(key, True) and (n.range.start, n.range.end) in loaded
    return {k for k, only_loads in state.items() if only_loads}


def field_writers(view: "FileView") -> dict:
    """``position_key`` of a field of the linted file -> the functions (by range) whose atomic
    operations write it (any operation but READ_OPERATIONS)."""
    out: dict = {}
    for op in view.atomic_ops:
        if op.operation in READ_OPERATIONS or op.function is None:
            continue
        target = op.target
        if target is None or target.kind != K.FIELD_DECL or not in_linted_file(view, target):
            continue
        out.setdefault(position_key(target), set()).add(op.function.node.range)
    return {k: frozenset(v) for k, v in out.items()}


# ------------------------------------------------------------------ how an operation is written


# The operator each member operation of std::atomic is written with (OPERATOR_OPERATIONS reversed).
OPERATOR_SPELLINGS = {operation: name[len("operator"):] for name, operation in OPERATOR_OPERATIONS.items()}
# The failure order the single-order compare_exchange overload derives from its success order.
FAILURE_ORDERS = {"relaxed": "relaxed", "acquire": "acquire", "release": "relaxed", "acq_rel": "acquire",
                  "seq_cst": "seq_cst"}
# The __sync builtins with an __atomic form that takes an order (their last argument).
SYNC_TO_ATOMIC = {
    **{f"fetch_and_{o}": f"__atomic_fetch_{o}" for o in ("add", "sub", "or", "and", "xor", "nand")},
    **{f"{o}_and_fetch": f"__atomic_{o}_fetch" for o in ("add", "sub", "or", "and", "xor", "nand")},
}


def operator_spelling(op: AtomicOp) -> str:
    """The operator the operation is written with: a C11 operator node's own (``+=``, ``=``;
    ``++``/``--`` for either position), else the one its operation is for std::atomic
    (OPERATOR_SPELLINGS: ``fetch_add`` is ``+=``, ``increment`` ``++``), else the operation's
    name (an operation no operator performs)."""
    node = op.node
    if node.kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR):
        return node.operator or "="
    if node.kind == K.UNARY_OPERATOR:
        return (node.operator or "++").replace("post", "")
    return OPERATOR_SPELLINGS.get(op.operation, op.operation)


def object_text(source: "SourceText", op: AtomicOp) -> str:
    """The operation's object as the file writes it, whitespace removed (``s.v[i]``, ``&x``); ''
    without an object or when the file does not hold its text."""
    if op.object is None:
        return ""
    return source.shortened(op.object.range, sys.maxsize, too_long="none", whitespace="remove") or ""


def order_spelling(op: AtomicOp, order: str, *, language: str) -> str:
    """``order`` (a short name of MEMORY_ORDERS) as an argument of ``op``: ``__ATOMIC_RELEASE``
    for a ``__sync`` builtin (its ``__atomic`` form's), ``memory_order_release`` in C
    (``language`` ``"c"``), ``std::memory_order_release`` in C++."""
    if op.api == "builtin":
        return f"__ATOMIC_{order.upper()}"
    return f"memory_order_{order}" if language == "c" else f"std::memory_order_{order}"


def written_as_call(op: AtomicOp) -> bool:
    """The operation is a call with an argument list an order can join: a member function, a
    ``std::atomic_*`` free function, a ``__sync`` builtin or a ``<stdatomic.h>`` function (not
    an operator or an implicit load)."""
    return op.api in ("member", "free", "builtin") or (op.api == "c11" and is_c11_function_call(op))


def _shifted(p: "Position", columns: int) -> "Position":
    return Position(p.line, p.column + columns)


def order_argument_edits(source: "SourceText", op: AtomicOp, order: str, *,
                         language: str) -> Optional[list["Edit"]]:
    """The edits that write ``order`` (``order_spelling``) into a call written out in the file
    (``written_as_call``; not by a macro), as ``edits.append_argument`` places an argument: a
    member call gets it after its arguments (``x.load()`` becomes
    ``x.load(std::memory_order_acquire)``); a ``std::atomic_*`` or ``<stdatomic.h>`` function is
    renamed to its ``_explicit`` form, with the compare-exchange failure order
    (FAILURE_ORDERS) after it; a ``__sync`` builtin of SYNC_TO_ATOMIC is renamed to its
    ``__atomic`` form. None when the call's text does not read as written (a name resolved
    only at instantiation that the text does not spell, a sized ``__sync_…_4`` form, an
    ``_explicit`` function already, any other ``__sync`` builtin). Whether a C file includes
    ``<stdatomic.h>`` (where the ``_explicit`` functions come from) is the caller's question."""
    if not written_as_call(op):
        return None
    node = op.node
    argument, separator, rename = order_spelling(op, order, language=language), "if-arguments", None
    if op.api == "member":
        ref = node.children[0] if node.children else None
        if ref is None or ref.kind != K.MEMBER_REF_EXPR:
            return None
        name = op.operation  # a call resolved only at instantiation has no spelling of its own
        tail = source.text(Range(ref.range.end, node.range.end))
        if source.text(Range(_shifted(ref.range.end, -len(name)), ref.range.end)) != name or tail is None or \
                not re.fullmatch(r"\s*\(.*\)", tail, re.S):
            return None
    elif op.api == "builtin":
        written, start = f"__sync_{op.operation}", node.range.start
        end = _shifted(start, len(written))
        if op.operation not in SYNC_TO_ATOMIC or source.text(Range(start, end)) != written:
            return None
        after = source.text(Range(end, _shifted(end, 1)))
        if after is None or re.match(r"\w", after):
            return None  # __sync_fetch_and_add_4 and friends: leave the sized forms alone
        rename = Edit(Range(start, end), SYNC_TO_ATOMIC[op.operation])
    else:
        if "compare_exchange" in op.operation:
            argument += ", " + order_spelling(op, FAILURE_ORDERS[order], language=language)
        if op.api == "free":
            callee = strip(node.children[0]) if node.children else None
            if callee is None or callee.kind != K.DECL_REF_EXPR:
                return None
            end = callee.range.end
            name = node.spelling
            if source.text(Range(_shifted(end, -len(name)), end)) != name or name.endswith("_explicit"):
                return None
        else:  # a <stdatomic.h> function
            name, separator = node.leading_token or "", "always"
            end = _shifted(node.range.start, len(name))
            if source.text(Range(node.range.start, end)) != name:
                return None
        rename = Edit(Range(end, end), "_explicit")
    tail = append_argument(source, node, argument, separator=separator)
    return None if tail is None else [tail] if rename is None else [rename, tail]
