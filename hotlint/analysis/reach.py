"""What the code under some nodes can reach, following every call through the function
definitions the translation unit has: does it use a record type anywhere, or run code hotlint
cannot follow (a call through a pointer, a virtual call, a function without a body here, a
library function that is not known to be pure or that is handed the program's own types)?

aos-layout asks it before running a loop on a copy of a sequence (nothing the loop runs may see
the original meanwhile); a rule about what a hot loop dispatches to or walks asks the same
walk. ``TypeReach`` answers with the first ``Contact`` found and the chain of calls that led to
it, and leaves the wording to the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Literal, Optional

from .kinds import FUNCTIONS, K
from .symbols import std_name
from .types import innermost, runs_user_code

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node, Type

# Standard functions that compute from their arguments and touch nothing else (and their
# `f`/`l`-suffixed <cmath> forms).
PURE_FUNCTIONS = frozenset({
    "abs", "fabs", "labs", "llabs", "sqrt", "cbrt", "hypot", "pow", "exp", "exp2", "expm1", "log", "log2",
    "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
    "floor", "ceil", "round", "lround", "llround", "trunc", "nearbyint", "rint", "fmod", "remainder",
    "fma", "fmin", "fmax", "fdim", "copysign", "nextafter", "ldexp", "min", "max", "clamp", "lerp",
    "isnan", "isinf", "isfinite", "isnormal", "signbit", "move", "forward", "as_const", "size", "ssize",
    "empty", "data", "begin", "end", "cbegin", "cend", "popcount", "countl_zero", "countr_zero",
    "bit_width", "rotl", "rotr", "byteswap", "bit_cast", "swap", "exchange",
})
_PURE_SUFFIXED = frozenset({f"{n}f" for n in PURE_FUNCTIONS} | {f"{n}l" for n in PURE_FUNCTIONS})
# Standard value types whose members only touch the object and their arguments.
SELF_CONTAINED_CLASSES = frozenset({
    "std::basic_string", "std::basic_string_view", "std::vector", "std::array", "std::span", "std::deque",
    "std::list", "std::forward_list", "std::map", "std::multimap", "std::set", "std::multiset",
    "std::unordered_map", "std::unordered_multimap", "std::unordered_set", "std::unordered_multiset",
    "std::pair", "std::tuple", "std::optional", "std::bitset", "std::complex",
})
NODE_BUDGET = 50_000  # nodes followed through called functions before giving up
_SPECIAL_MEMBERS = frozenset({K.CONSTRUCTOR, K.DESTRUCTOR})
_METHODS = frozenset({K.CONSTRUCTOR, K.DESTRUCTOR, K.CXX_METHOD})

ContactKind = Literal[
    "uses-type",  # node: an expression or declaration whose type involves the target
    "budget",  # more code than the budget: nothing proven
    "unresolved-call",  # node: a call through a pointer or reference to a function (a variable, parameter,
    # member or template parameter holding one) or through a name resolved only at instantiation
    "passes-user-types",  # a library function (name) handed the program's types: it may call back
    "library-call",  # a library function (name) not known to touch only its arguments
    "virtual-call",  # a virtual call (name): an override cannot be pinned down
    "no-body",  # node: a function (name: its spelling) whose definition the unit does not have
    "holds-type",  # type: a record constructed or destroyed here (a local's, or a field's of one) that is,
    # or has as a template argument, the target
    "opaque-record",  # type: a library record of the program's types, whose members are not followed
]


@dataclass(frozen=True)
class Contact:
    """The first thing found that the code may reach: what (``kind``), where (``node``, ``name``,
    ``type`` as the kind says), and ``via``: the functions called on the way, outermost first
    (their declarations as called)."""

    kind: ContactKind
    node: Optional["Node"] = None
    name: str = ""
    type: Optional["Type"] = None
    via: tuple["Node", ...] = ()


class TypeReach:
    """Follows code from some roots through every call it makes to function definitions of the
    translation unit, looking for a use of the record ``target`` (the record itself, or a
    pointer, reference, array or template argument of it) and for code it cannot follow.

    One object per question: what it learns about a function or record is remembered (a
    recursive call adds nothing new), and ``budget`` nodes are followed in all before the answer
    is ``budget``. Constructing, copying and destroying a record runs its special members: a
    local variable of a record type, a constructor call and a special member without a body of
    its own (implicit: it runs the members') are followed into the record's fields.

    Library code is not followed: a library function is known to keep to its arguments when it
    is one of PURE_FUNCTIONS or a member of one of SELF_CONTAINED_CLASSES, and only when none of
    its operands is of a type that can run the program's code (``types.runs_user_code``)."""

    def __init__(self, target: "Type", *, budget: int = NODE_BUDGET) -> None:
        self.key = target.unqualified_name
        self.budget = budget
        self._functions: dict = {}  # definition -> Contact or None
        self._records: dict = {}  # unqualified type name -> Contact or None

    def involves(self, t: "Type", depth: int = 0) -> bool:
        """``t`` is the target, or holds, points or refers to it, or has it as a template
        argument (deeper than six levels: assumed to)."""
        if depth > 6:
            return True
        t = innermost(t)
        if t.unqualified_name == self.key:
            return True
        return t.is_record and any(self.involves(a, depth + 1) for a in t.template_arguments)

    def first_contact(self, roots: Iterable["Node"], skip: Iterable["Node"] = ()) -> Optional[Contact]:
        """The first contact under ``roots`` (pre-order, roots in order), the subtrees in ``skip``
        left out; None when there is none."""
        skipped = {id(n) for n in skip}
        stack = list(reversed(list(roots)))
        while stack:
            n = stack.pop()
            if id(n) in skipped:
                continue
            self.budget -= 1
            if self.budget < 0:
                return Contact("budget")
            if n.is_expression or n.kind in (K.VAR_DECL, K.PARM_DECL):
                if self.involves(n.type):
                    return Contact("uses-type", node=n)
            if n.kind == K.CALL_EXPR:
                found = self.call(n)
                if found is not None:
                    return found
            if n.kind == K.VAR_DECL and innermost(n.type).is_record:
                found = self.record(innermost(n.type))  # its destructor runs here
                if found is not None:
                    return found
            stack.extend(reversed(n.children))
        return None

    def call(self, call: "Node") -> Optional[Contact]:
        """The first contact of running ``call``."""
        callee = call.referenced
        if callee is None or callee.kind not in FUNCTIONS:  # `fp(x)` names the pointer, not a function
            return Contact("unresolved-call", node=call)
        name = std_name(callee.qualified_name) or callee.spelling
        if callee.is_in_system_header:
            operands = list(call.arguments)
            head = call.children[0] if call.children else None
            if head is not None and head.kind == K.MEMBER_REF_EXPR and head.children:
                operands.append(head.children[0])
            if any(runs_user_code(o.type) for o in operands):
                return Contact("passes-user-types", node=call, name=name)
            short = name[len("std::"):] if name.startswith("std::") else name
            if callee.kind == K.FUNCTION_DECL and (short in PURE_FUNCTIONS or short in _PURE_SUFFIXED):
                return None
            owner = callee.semantic_parent
            if callee.kind != K.FUNCTION_DECL and owner is not None and \
                    std_name(owner.qualified_name) in SELF_CONTAINED_CLASSES:
                return None
            return Contact("library-call", node=call, name=name)
        if callee.is_virtual:
            return Contact("virtual-call", node=call, name=name)
        found = self.function(callee)
        if found is None and callee.kind == K.CONSTRUCTOR and callee.semantic_parent is not None:
            found = self.record(callee.semantic_parent.type)
        return found

    def function(self, callee: "Node") -> Optional[Contact]:
        """The first contact of running the function ``callee`` (a declaration of it), with
        ``callee`` first in its ``via``; remembered per definition."""
        definition = callee.definition
        if definition is None:
            return Contact("no-body", node=callee, name=callee.spelling)
        if definition in self._functions:
            return self._functions[definition]
        self._functions[definition] = None  # a recursive call adds nothing new
        found = self.first_contact([definition])
        if found is None and not any(c.kind == K.COMPOUND_STMT for c in definition.children) and \
                definition.kind in _METHODS and definition.semantic_parent is not None:
            found = self.record(definition.semantic_parent.type)  # implicit: runs the members' own
        if found is not None:
            found = replace(found, via=(callee, *found.via))
        self._functions[definition] = found
        return found

    def record(self, t: "Type") -> Optional[Contact]:
        """The first contact of constructing, copying or destroying a ``t``: it holds the
        target, a special member written in the program reaches something, or a field's type
        does. A library record is not followed: a contact when it can run the program's code."""
        t = innermost(t)
        if not t.is_record or t.declaration is None or t.declaration.is_in_system_header:
            return Contact("opaque-record", name=t.spelling, type=t) if runs_user_code(t) else None
        key = t.unqualified_name
        if key in self._records:
            return self._records[key]
        self._records[key] = None
        found = None
        if self.involves(t):
            found = Contact("holds-type", name=t.spelling, type=t)
        else:
            decl = t.declaration.definition or t.declaration
            for member in decl.children:
                if member.kind in _SPECIAL_MEMBERS or (member.kind == K.CXX_METHOD and member.spelling == "operator="):
                    if any(c.kind == K.COMPOUND_STMT for c in member.children):
                        found = self.function(member)
                elif member.kind == K.FIELD_DECL:
                    found = self.record(member.type)
                if found is not None:
                    break
        self._records[key] = found
        return found
