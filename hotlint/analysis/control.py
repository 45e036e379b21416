"""Control flow around a node: how a loop steps, what a scope writes, whether a statement runs on
every iteration or under a branch, whether it leaves the loop, which condition it is in, and which
function or loop runs a lambda.

``loop`` arguments are ``hotlint.view.Loop`` objects (only ``loop.node`` is read unless said
otherwise); ``view`` arguments are the file's ``FileView``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection, Iterable, Literal, Optional

from .calls import is_transparent_call
from .expressions import THROUGH_CASTS, Operands, constant_value, initializer, is_null_constant, operator_operands, parent_past, \
    strip, write_at
from .kinds import BRANCHES, EXPLICIT_CASTS, INCREMENT_OPERATORS, LOOP_EXITS, LOOPS, WRAPPERS, K
from .memory import Origin, assigned_entity, bool_conversion_object, container_member, range_element_origin
from .source import first_paren_close, header_semicolons
from .symbols import refers_to

if TYPE_CHECKING:
    from ..clang.nodes import Node
    from ..view import FileView, Function, Loop

# ------------------------------------------------------------------ induction


@dataclass(frozen=True)
class Step:
    """One step of a for-loop's increment: ``++v``, ``v--``, ``v += k``, ``v -= k``."""

    node: "Node"  # the increment or compound assignment
    operator: str  # "++", "post++", "--", "post--", "+=" or "-="
    target: "Node"  # the stepped DECL_REF_EXPR, stripped
    amount: Optional["Node"]  # the stripped right operand of += / -=, None for ++ / --

    @property
    def variable(self) -> Optional["Node"]:
        """The declaration stepped."""
        return self.target.referenced

    @property
    def is_unit_increment(self) -> bool:
        """``++v``, ``v++`` or ``v += 1`` with the 1 spelled exactly so (``1u``, ``0x1`` are not)."""
        if self.operator in ("++", "post++"):
            return True
        return self.operator == "+=" and self.amount is not None and \
            self.amount.kind == K.INTEGER_LITERAL and self.amount.tokens == ["1"]


def induction_steps(increment: Optional["Node"], *, commas: bool = True,
                    through: Collection[str] = WRAPPERS | EXPLICIT_CASTS, only_child: bool = True,
                    operands: Operands = "no-name-refs") -> Optional[list[Step]]:
    """The steps of a for-loop's increment expression: ``++i``, ``i--``, ``i += k``, ``p -= 2``
    and, with ``commas``, comma lists of them. None when any part is something else or steps no
    named variable. Operands are stripped with ``through``/``only_child``/``operands``; the
    defaults look through explicit casts as aliasing-vectorization did."""
    if increment is None:
        return None
    opts = dict(through=through, only_child=only_child, operands=operands)
    inc = strip(increment, **opts)
    kind = inc.kind
    if commas and kind == K.BINARY_OPERATOR and inc.operator == ",":
        steps: list[Step] = []
        for part in inc.children:
            more = induction_steps(part, commas=commas, **opts)
            if more is None:
                return None
            steps.extend(more)
        return steps
    kids = inc.children
    if not kids:
        return None
    if kind == K.UNARY_OPERATOR and inc.operator in INCREMENT_OPERATORS:
        amount = None
    elif kind == K.COMPOUND_ASSIGNMENT_OPERATOR and inc.operator in ("+=", "-="):
        amount = strip(kids[1], **opts) if len(kids) >= 2 else None
    else:
        return None
    target = strip(kids[0], **opts)
    if target.kind != K.DECL_REF_EXPR:
        return None
    return [Step(inc, inc.operator, target, amount)]


def body_induction_steps(body: Optional["Node"], condition: Optional["Node"]) -> Optional[list[Step]]:
    """The induction steps of a ``while`` or ``do`` loop: the statements of its body, at its top
    level, that ``induction_steps`` reads (``++i;``, ``i += 4;``), when one of them steps a
    variable the ``condition`` reads and no other statement of the body writes a stepped
    variable (the step is the loop's only one, as a ``for``'s increment). None otherwise."""
    if body is None or condition is None:
        return None
    steps: list[Step] = []
    others = []
    for stmt in body.children if body.kind == K.COMPOUND_STMT else [body]:
        found = induction_steps(stmt, commas=False)
        if found is None:
            others.append(stmt)
        else:
            steps.extend(found)
    stepped = {s.variable for s in steps}
    read = {n.referenced for n in condition.walk() if n.kind == K.DECL_REF_EXPR}
    if not stepped & read or any(is_written_in(o, v) for o in others for v in stepped):
        return None
    return steps


def counted_loop_scope(loop: "Loop", reassigned: Collection["Node"]) -> Optional[tuple[list["Node"], dict]]:
    """The parts of a loop that steps an induction variable or walks an array, as a vectorizer
    takes it, and the element references it binds: a ``for`` with an ``induction_steps``
    increment (its condition, increment and body), a ``while`` or ``do`` with
    ``body_induction_steps`` (its condition and body), a range-for binding a reference to each
    element of an array or contiguous container (its body, and ``{variable: the elements'
    memory.Origin}`` for ``memory.lvalue_origin``). None for any other loop or a missing part."""
    parts = loop.parts()
    cond, body, var = parts["condition"], parts["body"], parts["variable"]
    if loop.node.kind == K.FOR_STMT:
        scope = [cond, parts["increment"], body] if induction_steps(parts["increment"]) is not None else None
    elif loop.node.kind == K.CXX_FOR_RANGE_STMT:
        origin: Optional[Origin] = None
        if var is not None and var.type.is_reference and parts["range"] is not None:
            origin = range_element_origin(parts["range"], reassigned)
        return ([body], {var: origin}) if origin is not None and body is not None else None
    elif loop.node.kind in (K.WHILE_STMT, K.DO_STMT):
        scope = [cond, body] if body_induction_steps(body, cond) is not None else None
    else:
        return None
    return (scope, {}) if scope is not None and None not in scope else None


def unit_step_variable(increment: Optional["Node"]) -> Optional["Node"]:
    """The variable an increment moves one element forward (``++i``, ``i++``, ``i += 1``, under
    implicit wrappers only), else None."""
    steps = induction_steps(increment, commas=False, through=WRAPPERS, operands="all")
    if not steps or len(steps) != 1 or not steps[0].is_unit_increment:
        return None
    return steps[0].variable


def bisection_midpoint(loop: "Loop") -> Optional["Node"]:
    """The variable a binary search probes with, when ``loop`` is one: its condition compares two
    variables (``lo < hi``, ``lo <= hi``, ``lo != hi``), its body sets a variable from an
    expression naming both and halving (``mid = lo + (hi - lo) / 2``, ``(lo + hi) >> 1``) and
    moves one of them to it (``lo = mid + 1``, ``hi = mid``). Returns that variable's declaration;
    None for any other loop (a count-halving ``len /= 2`` search, an iterator midpoint)."""
    cond, body = strip(loop.condition), loop.parts()["body"]
    if cond is None or body is None or cond.kind != K.BINARY_OPERATOR or cond.operator not in ("<", "<=", "!="):
        return None
    ends = [strip(c) for c in cond.children]
    if len(ends) != 2 or any(e.kind != K.DECL_REF_EXPR or e.referenced is None for e in ends):
        return None
    lo, hi = ends[0].referenced, ends[1].referenced
    mid = None
    for n in body.walk():
        if n.kind == K.VAR_DECL:
            target, value = n, initializer(n)
        else:
            w = write_at(n, operators=("=",), increments=False)
            if w is None or w.target is None or w.target.kind != K.DECL_REF_EXPR:
                continue
            target, value = w.target.referenced, n.children[-1]
        if value is not None and _halves(value) and _mentions(value, lo) and _mentions(value, hi):
            mid = target
            break
    if mid is None:
        return None
    for n in body.walk():
        w = write_at(n, operators=("=",), increments=False)
        if w is not None and any(refers_to(w.target, end) for end in (lo, hi)) and _mentions(n.children[-1], mid):
            return mid
    return None


def _halves(expr: "Node") -> bool:
    for n in expr.walk():
        if n.kind == K.BINARY_OPERATOR and len(n.children) == 2 and (n.operator, constant_value(n.children[1])) in (
                ("/", 2), (">>", 1)):
            return True
    return False


def _mentions(expr: "Node", decl: "Node") -> bool:
    return any(refers_to(n, decl) for n in expr.walk())


# ------------------------------------------------------------------ what a scope writes


def mutated_declarations(scopes: Iterable["Node"]) -> set["Node"]:
    """Variables declared in the scopes, or assigned, compound-assigned or incremented by name
    there (looked at through explicit casts). A variable of reference type is left out when
    written (through a reference the referent changes), not when declared."""
    out: set = set()
    for part in scopes:
        for n in part.walk():
            if n.kind == K.VAR_DECL:
                out.add(n)
                continue
            w = write_at(n, **THROUGH_CASTS)
            if w is None or w.target is None or w.target.kind != K.DECL_REF_EXPR:
                continue
            d = w.target.referenced
            if d is not None and not d.type.is_reference:
                out.add(d)
    return out


def reassigned_declarations(root: "Node") -> set["Node"]:
    """Variables assigned with a plain ``=`` anywhere under ``root`` (nested lambdas included);
    compound assignments and increments do not count."""
    out: set = set()
    for n in root.walk():
        w = write_at(n, operators=("=",), increments=False, **THROUGH_CASTS)
        if w is not None and w.target is not None and w.target.kind == K.DECL_REF_EXPR \
                and w.target.referenced is not None:
            out.add(w.target.referenced)
    return out


def is_written_in(root: "Node", var: "Node") -> bool:
    """``var`` is assigned, compound-assigned or incremented by name under ``root`` (under
    implicit wrappers only; the same cursor, not a redeclaration)."""
    for n in root.walk():
        w = write_at(n)
        if w is not None and w.target is not None and refers_to(w.target, var):
            return True
    return False


def is_invariant(expr: "Node", mutated: Collection["Node"]) -> bool:
    """Nothing under ``expr`` is a call, an increment or a use of a variable in ``mutated``
    (compound assignments under ``expr`` do not break it, as the vectorizer check read it)."""
    for n in expr.walk():
        kind = n.kind
        if kind == K.CALL_EXPR:
            return False
        if kind == K.UNARY_OPERATOR and n.operator in INCREMENT_OPERATORS:
            return False
        if kind == K.DECL_REF_EXPR and n.referenced is not None and n.referenced in mutated:
            return False
    return True


# ------------------------------------------------------------------ branches and exits


def under_branch(node: "Node", stop: "Node", *, include_stop: bool, logical_operators: bool,
                 nested_loops: bool) -> bool:
    """A branch lies between ``node`` and its ancestor ``stop``: an ``if``, ``switch`` or ``?:``;
    with ``logical_operators`` a ``&&``/``||``; with ``nested_loops`` any loop (it may run zero
    times). ``stop`` itself counts when ``include_stop`` (the body of a braceless loop can be an
    ``if``). False when ``stop`` is no ancestor and no branch is found."""
    for a in node.ancestors():
        if a is stop and not include_stop:
            return False
        kind = a.kind
        if kind in BRANCHES or (nested_loops and kind in LOOPS):
            return True
        if logical_operators and kind == K.BINARY_OPERATOR and a.operator in ("&&", "||"):
            return True
        if a is stop:
            return False
    return False


def leaves_loop(stmt: "Node", block: "Node", loop: "Loop") -> bool:
    """The statement ``stmt`` of ``block`` leaves ``loop``: a return, a goto, a throw (also under
    an implicit wrapper), or a break whose nearest enclosing switch or loop is ``loop``."""
    kind = stmt.kind
    if kind in (K.RETURN_STMT, K.GOTO_STMT):
        return True
    if kind == K.CXX_THROW_EXPR or (kind == K.UNEXPOSED_EXPR and strip(stmt).kind == K.CXX_THROW_EXPR):
        return True
    if kind == K.BREAK_STMT:
        for anc in [block, *block.ancestors()]:
            if anc is loop.node:
                return True
            if anc.kind == K.SWITCH_STMT or anc.kind in LOOPS:
                return False
    return False


def is_range_variable(loop: "Loop", var: "Node") -> bool:
    """``var`` is the variable a range-``for`` loop declares (``for (auto x : xs)``): the same
    node as ``loop.parts()["variable"]``; False for any other loop."""
    return loop.node.kind == K.CXX_FOR_RANGE_STMT and loop.parts()["variable"] is var


def runs_once_per_entry(node: "Node", loop: "Loop", *, inside_lambda: bool) -> bool:
    """Reaching ``node`` ends ``loop``'s repetition: it is thrown or in a catch handler, or (unless
    ``inside_lambda``, where those leave the lambda) returned, or followed in an enclosing block
    by a statement that leaves the loop. A lambda between them answers False."""
    cur = node
    for anc in node.ancestors():
        if anc is loop.node:
            return False
        kind = anc.kind
        if kind in (K.CXX_THROW_EXPR, K.CXX_CATCH_STMT):
            return True
        if kind == K.LAMBDA_EXPR:
            return False
        if kind == K.RETURN_STMT and not inside_lambda:
            return True
        if kind == K.COMPOUND_STMT and not inside_lambda:
            after = False
            for child in anc.children:
                if child is cur:
                    after = True
                    continue
                if after and leaves_loop(child, anc, loop):
                    return True
        cur = anc
    return False


def contains_return(root: "Node", *, into_lambdas: bool = False) -> bool:
    """A return statement under ``root``; a lambda's own returns leave the lambda and are skipped
    unless ``into_lambdas``."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.kind == K.RETURN_STMT:
            return True
        if into_lambdas or n.kind != K.LAMBDA_EXPR:
            stack.extend(n.children)
    return False



def vectorizable_shape(scope: Iterable["Node"], body: "Node", *, containers: bool = False) -> bool:
    """The loop whose parts are ``scope`` (its condition, increment and ``body``) has the shape a
    compiler's loop vectorizer takes: nothing under them is a loop other than ``body`` itself, a
    LOOP_EXITS statement (break, continue, return, goto, throw, asm, try), a lambda, a call that
    is not ``calls.is_transparent_call`` (a pure std or C helper, a leaf function of the
    program), or an expression of a volatile or atomic type. Nothing is said about the stores.
    With ``containers``, a call reading a contiguous container's elements or size
    (``memory.container_member``: ``v[i]``, ``v.size()``, ``v.data()``) is no obstacle either:
    the compiler inlines it into loads of the container's pointers."""
    for part in scope:
        for n in part.walk():
            k = n.kind
            if k in LOOPS and n is not body or k in LOOP_EXITS or k == K.LAMBDA_EXPR:
                return False
            if k == K.CALL_EXPR and not is_transparent_call(n) and not (containers and container_member(n)):
                return False
            if n.is_expression and (n.type.is_volatile or n.type.is_atomic):
                return False
    return True

# ------------------------------------------------------------------ conditions


def in_condition(stmt: "Node", child: "Node") -> bool:
    """``child`` (a child of ``stmt``) is the condition of the if/while/switch/do/for statement
    ``stmt``: for a ``for``, it starts between the header's two ``;``; for a ``do``, it is not the
    body; otherwise it ends at or before the ``)`` that closes the statement's first ``(``."""
    if stmt.kind == K.FOR_STMT:
        positions = header_semicolons(stmt)
        return len(positions) == 2 and positions[0] < child.range.start < positions[1]
    if stmt.kind == K.DO_STMT:
        return bool(stmt.children) and child is not stmt.children[0]
    close = first_paren_close(stmt)
    return close is not None and child.range.end <= close


def in_loop_condition(view: "FileView", node: "Node") -> bool:
    """``node`` is, or is inside, the condition of the innermost loop that repeats it."""
    loop = view.enclosing_loop(node)
    if loop is None:
        return False
    cond = loop.condition
    return cond is not None and (node is cond or node.is_within(cond))


def if_parts(if_stmt: "Node", *, with_declarations: bool = False) -> Optional[tuple["Node", "Node"]]:
    """(condition, then-branch) of an ``IF_STMT``.

    By default ``children[0], children[1]``, as alloc-in-loop read them: for ``if (T* p = f())``
    that is the variable and the condition, for ``if (init; c)`` the init statement and the
    condition. ``with_declarations=True`` answers the real parts: the last child written inside
    the header's parentheses and the child after it (None for ``if consteval``)."""
    kids = if_stmt.children
    if not with_declarations:
        return (kids[0], kids[1]) if len(kids) >= 2 else None
    close = first_paren_close(if_stmt)
    if close is None:
        return None
    header = [i for i, k in enumerate(kids) if k.range.end <= close]
    if not header or header[-1] + 1 >= len(kids):
        return None
    return kids[header[-1]], kids[header[-1] + 1]


def tests_null(cond: Optional["Node"], entity: "Node") -> bool:
    """``cond`` holds only while ``entity`` is null: ``!p``, ``p == nullptr`` (either side;
    ``NULL`` or ``0`` too; a smart pointer through ``operator bool`` or ``operator==``), or a
    conjunction with such a test. ``p != nullptr`` and disjunctions do not: the guarded code can
    then run every time."""
    cond = strip(cond)
    if cond is None:
        return False
    operands = operator_operands(cond)
    op = cond.operator
    if op == "&&" and len(operands) == 2:
        return any(tests_null(side, entity) for side in operands)
    if op == "!" and len(operands) == 1:
        return _names(operands[0], entity)
    if op == "==" and len(operands) == 2:
        a, b = (strip(c) for c in operands)
        return (_names(a, entity) and is_null_constant(b)) or (_names(b, entity) and is_null_constant(a))
    return False


def stored_when_null(node: "Node", stop: "Node") -> bool:
    """``if (p == nullptr) p = new T;``: the value of ``node`` is stored into an entity
    (memory.assigned_entity, operator calls first: ``s.up = …`` fills the member ``up``) and an
    ``if`` between ``node`` and its ancestor ``stop`` (``stop`` excluded) holds ``node`` in its
    then-branch and runs it only while that entity is null (tests_null). Such a store runs once
    until the entity is reset, not each time ``stop`` repeats. Not when ``node`` is in the
    condition or the else branch (the walk up ends at ``stop``; with no ``stop`` above ``node`` it
    goes to the root)."""
    entity = assigned_entity(node, operators_first=True)
    if entity is None:
        return False
    for anc in node.ancestors():
        if anc is stop:
            return False
        parts = if_parts(anc) if anc.kind == K.IF_STMT else None
        if parts is None:
            continue
        cond, then = parts
        if (node is then or node.is_within(then)) and tests_null(cond, entity):
            return True
    return False


def _names(expr: Optional["Node"], entity: "Node") -> bool:
    return refers_to(bool_conversion_object(expr), entity, kinds=(K.DECL_REF_EXPR, K.MEMBER_REF_EXPR))


# ------------------------------------------------------------------ lambdas


def outermost_function(view: "FileView", fn: "Function") -> "Function":
    """The function a lambda is written in, through nested lambdas; ``fn`` itself when it is no
    lambda or nothing encloses it."""
    while fn.node.kind == K.LAMBDA_EXPR and fn.node.parent is not None:
        outer = view.enclosing_function(fn.node.parent)
        if outer is None:
            break
        fn = outer
    return fn


@dataclass(frozen=True)
class LambdaCall:
    """How a loop runs a lambda: called where it is written, or through the variable holding it."""

    kind: Literal["immediate", "variable"]
    call: "Node"  # the operator() call
    holder: "Node"  # the lambda's parent past wrappers: that CALL_EXPR, or the VAR_DECL


def repeating_loop(view: "FileView", node: "Node") -> tuple[Optional["Loop"], Optional[LambdaCall]]:
    """The innermost loop that runs ``node`` on each iteration: the loop around it, or one that
    calls the lambda holding it — called where it is written, or through the variable it
    initializes (the first such call in the file that is in a loop). (None, None) otherwise."""
    loop = view.enclosing_loop(node)
    if loop is not None:
        return loop, None
    fn = view.enclosing_function(node)
    if fn is None or fn.node.kind != K.LAMBDA_EXPR:
        return None, None
    holder = parent_past(fn.node)[1]
    if holder is not None and holder.kind == K.CALL_EXPR and holder.spelling == "operator()":
        loop = view.enclosing_loop(holder)
        if loop is not None:
            return loop, LambdaCall("immediate", holder, holder)
    if holder is not None and holder.kind == K.VAR_DECL:
        for site in view.calls:
            call = site.node
            if site.name != "operator()" or not call.children:
                continue
            if not refers_to(strip(call.children[0]), holder):
                continue
            loop = view.enclosing_loop(call)
            if loop is not None:
                return loop, LambdaCall("variable", call, holder)
    return None, None

