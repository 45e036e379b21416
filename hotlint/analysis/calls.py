"""Calls and callers: what a call lets its caller see, which calls of a function the file holds,
and whether every one of them passes distinct objects for some pointer or reference parameters
(what ``restrict`` on those parameters needs to keep the program's meaning).

A caller fact is only as good as the file: a function another translation unit can call, or
whose address escapes, has callers hotlint does not see, and every question here then answers
"not proven" (None or False), never a guess.
"""

from __future__ import annotations

from itertools import takewhile
from typing import TYPE_CHECKING, Callable, Literal, Optional

from .edits import last_include_line
from .expressions import function_body, parameters, parent_past, same_cursor, strip
from .kinds import LOOPS, K, T
from .memory import allocates_from_heap, named_object, pointed_object
from .symbols import has_static_storage, in_linted_file, internal_linkage, is_source_path
from .types import holds_pointer, is_scalar, may_alias

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node
    from ..view import FileView

# Standard helpers that compute a value from their arguments and touch nothing else. Library
# math that may set errno (sqrt, exp, ...) is left out on purpose: a call of it is a side
# effect a compiler keeps (``reach.PURE_FUNCTIONS`` asks another question: what code may run).
PURE_STD = frozenset({"std::min", "std::max", "std::clamp", "std::abs", "std::fabs", "std::fmin",
                      "std::fmax", "std::copysign"})
PURE_C = frozenset({"abs", "labs", "fabs", "fabsf", "fmin", "fminf", "fmax", "fmaxf", "copysign",
                    "copysignf"})


def is_transparent_call(call: "Node") -> bool:
    """The call's whole effect is visible where it is made: the callee is a helper of PURE_STD
    (by qualified name) or PURE_C (by spelling), or a leaf function whose definition is in a
    file of the program, not a system header (its body calls nothing and holds no loop; a
    compiler inlines it and sees through it). False for an unresolved callee or one without a
    body in the translation unit."""
    callee = call.referenced
    if callee is None:
        return False
    if callee.qualified_name in PURE_STD or callee.spelling in PURE_C:
        return True
    d = callee.definition
    if d is None or d.file is None or d.is_in_system_header:
        return False
    body = function_body(d)
    if body is None:
        return False
    return not any(n.kind == K.CALL_EXPR or n.kind in LOOPS for n in body.walk())


# ------------------------------------------------------------------ callers


def only_called_from_file(view: "FileView", fn: "Node") -> bool:
    """Every call of the free function ``fn`` can only be in the linted file: ``fn`` is a
    ``FUNCTION_DECL`` (not a member, template or lambda) with internal linkage (``static`` on one
    of the file's declarations of it, or an anonymous namespace), the file is a source file
    (``symbols.is_source_path``), and no include (``edits.last_include_line``, 'hash-and-word')
    follows its first declaration in the file (a file included there could call it)."""
    if fn.kind != K.FUNCTION_DECL or not is_source_path(view.path):
        return False
    declarations = view.analysis.symbols.function_declarations(fn) or [fn]
    if not internal_linkage(fn, declarations):
        return False
    first = min(d.range.start.line for d in declarations)
    return last_include_line(view.source, style="hash-and-word") <= first


def direct_calls(view: "FileView", fn: "Node") -> Optional[list["Node"]]:
    """The ``CALL_EXPR`` nodes of the file that call ``fn`` by name, in source order (found by
    its spelling; other functions of that name are skipped); None when a use of ``fn`` is
    anything but the callee of a call (its address is taken, so it may be called where hotlint
    cannot see) or when a use of its spelling is resolved only at instantiation (a call in a
    template)."""
    calls = []
    for ref in view.analysis.symbols.references(fn.spelling):
        if ref.kind == K.OVERLOADED_DECL_REF:
            return None
        if not fn.is_same_declaration(ref.referenced):
            continue
        callee, call = parent_past(ref, only_child=True)
        if call is None or call.kind != K.CALL_EXPR or not call.children or call.children[0] is not callee:
            return None
        calls.append(call)
    return calls


def parameter_roles(params: list["Node"], restricted: list["Node"]) -> Optional[list[bool]]:
    """For each of ``params`` (a function's parameters), whether a call's argument for it must
    name an object distinct from the ones passed for ``restricted`` (a subset of ``params``,
    pointers or references): True for a restricted parameter, a ``void*`` (or ``void&``), and a
    pointer or reference to a record, an array, or a scalar that may alias (strict aliasing,
    ``types.may_alias``) what a restricted parameter points to; False for a value, or a pointer
    to a scalar that cannot alias. None when a parameter may reach the restricted memory
    through a pointer it holds: a restricted parameter to a type holding pointers, a pointer to
    a pointer, to a function or to a record holding pointers, a by-value record holding one (a
    span, an iterator)."""
    targets = []
    for p in restricted:
        t = p.type.pointee
        if t is None or holds_pointer(t):
            return None
        targets.append(t)
    roles = []
    for p in params:
        t = p.type
        if p in restricted:
            roles.append(True)
        elif t.is_pointer or t.is_reference:
            u = t.pointee
            kind = u.canonical.kind
            if kind == T.VOID:
                roles.append(True)
            elif kind == T.POINTER or not (is_scalar(u) or u.is_record or u.is_array) or holds_pointer(u):
                return None
            else:  # strict aliasing: an `int*` never reaches a `float`
                roles.append(not is_scalar(u) or any(not is_scalar(x) or may_alias(u, x) for x in targets))
        elif t.is_record and holds_pointer(t):
            return None
        else:
            roles.append(False)
    return roles


def objects_reached_directly(fn: "Node") -> Optional[list["Node"]]:
    """The variables with static storage (``symbols.has_static_storage``) that the function's
    body, and the bodies of the leaf helpers it calls (``is_transparent_call``), name: what it
    may touch without being handed it. None when it has no body, names such a variable holding
    a pointer (it may point at whatever a caller passed), or calls anything else."""
    body = function_body(fn)
    if body is None:
        return None
    reached, bodies, seen = [], [body], set()
    while bodies:
        for n in bodies.pop().walk():
            if n.kind == K.CALL_EXPR:
                if not is_transparent_call(n):
                    return None
                d = n.referenced.definition
                if d is not None and not d.is_in_system_header and d not in seen:
                    seen.add(d)
                    bodies.extend(c for c in d.children if c.kind == K.COMPOUND_STMT)
            elif n.kind == K.DECL_REF_EXPR:
                d = n.referenced
                if d is None or d.kind != K.VAR_DECL or not has_static_storage(d):
                    continue
                if holds_pointer(d.type):
                    return None
                reached.append(d)
    return reached


def call_passes_distinct_objects(args: list["Node"], roles: list[bool], restricted: list["Node"],
                                 params: list["Node"], reached: list["Node"]) -> bool:
    """The call's arguments ``args`` name, for every parameter whose role (``parameter_roles``)
    is True, a variable (``memory.named_object`` for a reference, ``memory.pointed_object`` for a
    pointer) whose object holds no pointer, and the variable passed for each ``restricted``
    parameter is neither one of ``reached`` (``objects_reached_directly``) nor passed for
    another such parameter. False for a call with fewer arguments than ``params``."""
    if len(args) < len(params):
        return False
    named = []
    for arg, param, needed in zip(args, params, roles):
        if not needed:
            named.append(None)
            continue
        found = named_object(arg) if param.type.is_reference else pointed_object(arg)
        if found is None or holds_pointer(found[1]):
            return False
        named.append(found[0])
    for i, (param, var) in enumerate(zip(params, named)):
        if param not in restricted:
            continue
        if any(var.is_same_declaration(g) for g in reached):
            return False
        if any(other is not None and j != i and var.is_same_declaration(other) for j, other in enumerate(named)):
            return False
    return True


def callers_pass_distinct_objects(view: "FileView", fn: "Node", restricted: list["Node"]) -> bool:
    """No call can pass overlapping memory for the ``restricted`` parameters of ``fn``: it is
    only called from this file (``only_called_from_file``), every use of it is a direct call
    (``direct_calls``), no parameter reaches that memory through a pointer it holds
    (``parameter_roles``), the function names no global holding a pointer and calls only
    transparent helpers (``objects_reached_directly``), and every call passes distinct named
    variables as ``call_passes_distinct_objects`` says."""
    if not only_called_from_file(view, fn):
        return False
    params = parameters(fn)
    roles = parameter_roles(params, restricted)
    if roles is None:
        return False
    reached = objects_reached_directly(fn)
    if reached is None:
        return False
    calls = direct_calls(view, fn)
    if calls is None:
        return False
    return all(call_passes_distinct_objects(c.arguments, roles, restricted, params, reached) for c in calls)


# ------------------------------------------------------------------ allocations a call makes

# Standard functions that allocate their object on the heap each time they are called.
HEAP_MAKERS = frozenset({"std::make_unique", "std::make_unique_for_overwrite", "std::make_shared",
                         "std::make_shared_for_overwrite", "std::allocate_shared"})
# The C allocators (and the global allocation functions called by name).
C_ALLOCATORS = frozenset({"malloc", "calloc", "realloc", "reallocarray", "aligned_alloc", "strdup", "strndup",
                          "posix_memalign", "memalign", "valloc", "operator new", "operator new[]"})
_ALLOCATOR_NAMES = frozenset({q.rsplit("::", 1)[-1] for q in HEAP_MAKERS} | C_ALLOCATORS)


def heap_allocating_call(call: "Node") -> Optional[str]:
    """The qualified name of the standard maker (``std::make_unique``, ...) or C allocator
    (declared in a system header: not a program's own ``malloc``) that ``call`` calls, else None.
    Only calls spelled like one resolve their callee."""
    if call.kind != K.CALL_EXPR or call.spelling not in _ALLOCATOR_NAMES or call.referenced is None:
        return None
    q = call.referenced.qualified_name
    if q in HEAP_MAKERS or (q in C_ALLOCATORS and call.referenced.is_in_system_header):
        return q
    return None


def inline_callee(view: "FileView", call: "Node") -> Optional[tuple["Node", "Node"]]:
    """(definition, body) of the function ``call`` calls when its body is written in the linted
    file: a function or method (not an operator; a lambda's operator() is followed where the loop
    calls it), not one the call is inside (recursion). None otherwise."""
    callee = call.referenced
    d = callee.definition if callee is not None else None
    if d is None or d.kind not in (K.FUNCTION_DECL, K.CXX_METHOD) or d.spelling.startswith("operator") \
            or not in_linted_file(view, d):
        return None
    body = function_body(d)
    if body is None or any(same_cursor(a, d) for a in call.ancestors()):
        return None
    return d, body


def body_allocations(body: "Node", declaration_allocates: Callable[["Node"], bool]) -> list["Node"]:
    """The expressions and declarations written in ``body`` that allocate each time it runs: heap
    new-expressions, calls ``heap_allocating_call`` names, and the local variables
    ``declaration_allocates`` accepts (the caller's view of which containers allocate when
    built). What runs only where the code throws (under a throw or catch, in an ``if`` that
    throws) and what a lambda in the body holds are left out."""
    out = []
    for n in body.walk():
        if n.kind == K.CXX_NEW_EXPR:
            found = allocates_from_heap(n)
        elif n.kind == K.CALL_EXPR:
            found = heap_allocating_call(n) is not None
        else:
            found = n.kind == K.VAR_DECL and declaration_allocates(n)
        if found and not on_error_path(n, body):
            out.append(n)
    return out


def on_error_path(node: "Node", body: "Node") -> bool:
    """``node`` runs only where the code throws, or not as ``body`` itself runs: under a throw
    or catch or in an ``if`` that throws, or in a lambda, between ``node`` and ``body``."""
    return any(a.kind in (K.CXX_THROW_EXPR, K.CXX_CATCH_STMT, K.LAMBDA_EXPR) or (a.kind == K.IF_STMT and any(
        x.kind == K.CXX_THROW_EXPR for x in a.walk())) for a in takewhile(lambda a: a is not body, node.ancestors()))


TemporaryForm = Literal["written", "converted", "returned"]


def argument_temporary(arg: "Node") -> Optional[tuple["Node", TemporaryForm]]:
    """The temporary object a call argument makes for its parameter, with how: ``written`` for
    a constructor spelled in the argument (``std::string(buf, n)``, ``std::vector<int>{a, b}``,
    ``std::array<int, 2>{a, b}``), ``converted`` for one the conversion to the parameter's type
    implies (a ``const char*`` passed for a ``const std::string&``; a copy into a by-value
    parameter is one too), ``returned`` for a call returning a record by value
    (``std::to_string(i)``). None for an argument that names an existing object or is no record."""
    node = strip(arg)
    if node is None or node.kind not in (K.CALL_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR):
        return None
    if not node.type.is_record:
        return None
    if node.kind != K.CALL_EXPR:
        return node, "written"
    ref = node.referenced
    if ref is None:
        return None
    if ref.kind == K.CONSTRUCTOR:
        written = any(c.kind in (K.TYPE_REF, K.TEMPLATE_REF) for c in node.children)
        return node, "written" if written else "converted"
    if ref.kind in (K.FUNCTION_DECL, K.CXX_METHOD):
        return node, "returned"
    return None


__all__ = [
    "C_ALLOCATORS", "HEAP_MAKERS", "PURE_C", "PURE_STD", "argument_temporary", "body_allocations",
    "call_passes_distinct_objects", "callers_pass_distinct_objects", "direct_calls", "heap_allocating_call",
    "inline_callee", "is_transparent_call", "objects_reached_directly", "on_error_path", "only_called_from_file",
    "parameter_roles",
]
