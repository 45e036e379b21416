"""The standard containers and strings: which families there are and how they keep their
elements, what the standard libraries' small-string buffers hold, how long a string expression
can be from its spelling, and how a ``+`` chain of strings is made.

Families are ``Type.record_name`` spellings with implementation namespaces dropped
(``std::basic_string``, not ``std::__cxx11::basic_string``); a ``std::pmr`` container has
the same family as its default-allocator twin (``types.is_pmr`` tells them apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .expressions import strip
from .kinds import TO_STRING_INTEGER_TYPES, K
from .types import is_family

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node, Type

# Containers whose elements live in heap memory the container allocates.
CONTAINERS = frozenset({
    "std::vector", "std::basic_string", "std::deque", "std::list", "std::forward_list",
    "std::map", "std::multimap", "std::set", "std::multiset", "std::unordered_map",
    "std::unordered_multimap", "std::unordered_set", "std::unordered_multiset",
})
# Containers that allocate one node per element (clear() frees every node).
NODE_BASED = frozenset({
    "std::list", "std::forward_list", "std::map", "std::multimap", "std::set", "std::multiset",
    "std::unordered_map", "std::unordered_multimap", "std::unordered_set", "std::unordered_multiset",
})
UNORDERED = frozenset({"std::unordered_map", "std::unordered_multimap", "std::unordered_set",
                       "std::unordered_multiset"})
# Characters a std::string keeps inside the object, by standard library.
SSO_CAPACITY = {"libstdc++": 15, "libc++": 22}
# The longest std::to_string of an integer, by the integer's size in bytes:
# "-2147483648" and "18446744073709551615".
TO_STRING_WIDTH = {1: 4, 2: 6, 4: 11, 8: 20}


def small_string_chars(string_type: "Type", capacity: int) -> int:
    """How many characters of ``string_type`` (a ``std::basic_string``, a reference looked
    through) fit in a small-string buffer of ``capacity`` ``char``s: ``capacity`` divided by
    the size of its character type (``std::wstring``'s 4-byte ``wchar_t``: 15 → 3); a
    character type of unknown size counts as one byte."""
    args = string_type.non_reference().template_arguments
    width = args[0].size if args and args[0].size else 1
    return capacity // max(1, width)


def is_string_concatenation(node: Optional["Node"]) -> bool:
    """``node`` is a call of ``operator+`` whose result is a ``std::basic_string`` with the
    default allocator (``a + b`` of strings, ``"k" + s``)."""
    return node is not None and node.kind == K.CALL_EXPR and node.spelling == "operator+" \
        and is_family(node.type, "std::basic_string")


def concatenation_operands(node: "Node") -> list["Node"]:
    """The leaves of an ``a + b + c`` chain of std::string ``operator+`` calls (is_string_concatenation),
    left to right, as the calls' arguments (wrappers kept); a nested chain under wrappers is
    followed."""
    out = []
    for arg in node.arguments:
        inner = strip(arg)
        out.extend(concatenation_operands(inner) if is_string_concatenation(inner) else [arg])
    return out


def string_length_bound(expr: Optional["Node"]) -> Optional[int]:
    """The most characters the string-valued ``expr`` can hold, when its spelling bounds it: a
    string literal (its length), a character literal (1), ``std::to_string`` of an integer
    (TO_STRING_WIDTH by the argument's size before conversions; 20 when unknown), and
    ``std::string(x)`` or a one-argument constructor call of such (``x``'s bound). None for
    anything else (a variable, a call, a concatenation)."""
    inner = strip(expr)
    if inner is None:
        return None
    if inner.kind == K.CXX_FUNCTIONAL_CAST_EXPR:  # std::string("-")
        exprs = [c for c in inner.children if c.is_expression]
        return string_length_bound(exprs[-1]) if exprs else None
    if inner.kind == K.STRING_LITERAL:
        size = inner.type.array_size
        return size - 1 if size else None
    if inner.kind == K.CHARACTER_LITERAL:
        return 1
    if inner.kind != K.CALL_EXPR or inner.referenced is None or not inner.arguments:
        return None
    if inner.spelling == "to_string" and inner.referenced.qualified_name == "std::to_string":
        arg = strip(inner.arguments[0], through=(K.UNEXPOSED_EXPR,))  # the type before conversions
        if arg is not None and arg.type.canonical.kind in TO_STRING_INTEGER_TYPES:
            return TO_STRING_WIDTH.get(arg.type.size or 8)
        return None
    if inner.referenced.kind == K.CONSTRUCTOR:
        args = inner.arguments
        return string_length_bound(args[0]) if len(args) == 1 or not args[1].is_written else None
    return None
