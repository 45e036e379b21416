"""The standard containers and strings: which families there are and how they keep their
elements, how a container variable is constructed and where code puts elements into it, what
the standard libraries' small-string buffers hold, how long a string expression can be from its
spelling, and how a ``+`` chain of strings is made.

Families are ``Type.record_name`` spellings with implementation namespaces dropped
(``std::basic_string``, not ``std::__cxx11::basic_string``); a ``std::pmr`` container has
the same family as its default-allocator twin (``types.is_pmr`` tells them apart).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Literal, Optional

from .expressions import call_object, initializer, integer_literal, outermost_wrapper, parameters, strip, \
    takes_mutable_pointer, takes_mutable_reference, write_at, written_arguments
from .kinds import COUNT_TYPES, TO_STRING_INTEGER_TYPES, WRAPPERS, K, T
from .source import split_top_level
from .symbols import references_to, refers_to
from .types import PMR_ALLOCATOR, family, is_family

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
# The standard names of std::basic_string specializations.
STRING_NAMES = frozenset({"string", "wstring", "u8string", "u16string", "u32string"})
# How many template arguments each container takes before its allocator.
ALLOCATOR_POSITION = {
    "vector": 1, "deque": 1, "list": 1, "forward_list": 1, "map": 3, "multimap": 3, "set": 2, "multiset": 2,
    "unordered_map": 4, "unordered_multimap": 4, "unordered_set": 3, "unordered_multiset": 3, "basic_string": 2,
}
_WRITTEN_CONTAINER = re.compile(r"^(?P<const>const\s+)?(?:std\s*::\s*)?(?P<name>[a-z_0-9]+)\s*(?P<args><.*>)?\s*$", re.S)
# Member functions that put elements (so heap memory) into a container.
GROWING = frozenset({
    "push_back", "emplace_back", "push_front", "emplace_front", "insert", "emplace",
    "emplace_hint", "try_emplace", "insert_or_assign", "resize", "reserve", "assign", "append",
    "operator+=", "append_range", "insert_range", "assign_range", "prepend_range",
    "push_range",
})
# Containers whose operator[] inserts a missing key.
INDEXING_INSERTS = frozenset({"std::map", "std::unordered_map"})
# Standard functions that put elements into a container passed to them.
INSERTERS = frozenset({"std::back_inserter", "std::front_inserter", "std::inserter", "std::getline"})
# What a container's constructor call may be written in: `std::vector<int>(n)` holds a TYPE_REF too.
_CONSTRUCTION_WRAPPERS = WRAPPERS | {K.CXX_FUNCTIONAL_CAST_EXPR}
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


# --------------------------------------------------------------------------- construction

ConstructorForm = Literal["move", "copy", "initializer-list", "count", "allocator", "range"]


def constructor_call(var: "Node") -> Optional["Node"]:
    """The constructor call that initializes ``var``: its initializer under implicit wrappers
    and functional casts (``= std::vector<int>(n)``), only children followed, when that is a
    ``CALL_EXPR`` of a constructor (``std::vector<int> v(n)``, ``v{1, 2}``, ``v = w``). None
    without an initializer or for any other one (a call returning the container, a literal)."""
    node = strip(initializer(var), through=_CONSTRUCTION_WRAPPERS, only_child=True, operands="expressions")
    if node is not None and node.kind == K.CALL_EXPR:
        ref = node.referenced
        if ref is not None and ref.kind == K.CONSTRUCTOR:
            return node
    return None


def constructor_form(ctor: "Node", family_name: str) -> Optional[ConstructorForm]:
    """How the constructor call ``ctor`` of a container of ``family_name`` is asked to make its
    elements, read from the constructor's first parameter: ``move`` (an rvalue reference to the
    family: the buffer is stolen), ``copy`` (an lvalue reference to the family), ``initializer-list``
    (a ``std::initializer_list``), ``count`` (an integer type of COUNT_TYPES: ``v(n)``,
    ``s(n, c)``), ``allocator`` (a reference to ``std::allocator`` or a polymorphic allocator
    only), ``range`` (two written arguments or more to a constructor of two parameters or more:
    iterators). None for a constructor without parameters, an rvalue reference to anything else,
    and any other first parameter (a string's ``const char*``). Whether the arguments are written
    at all is ``expressions.written_arguments``'s question."""
    params = parameters(ctor.referenced) if ctor.referenced is not None else []
    if not params:
        return None
    first = params[0].type
    same = first.is_reference and first.pointee is not None and first.pointee.record_name == family_name
    if first.is_reference and first.kind == T.RVALUEREFERENCE:
        return "move" if same else None
    if same:
        return "copy"
    if first.unqualified_name.startswith("std::initializer_list"):
        return "initializer-list"
    if first.canonical.kind in COUNT_TYPES:
        return "count"
    if first.pointee is not None and first.pointee.record_name in ("std::allocator", PMR_ALLOCATOR):
        return "allocator"
    if len(written_arguments(ctor)) >= 2 and len(params) >= 2:
        return "range"
    return None


def initializer_list_length(arg: Optional["Node"]) -> Optional[int]:
    """The number of elements of the first braced list under ``arg`` (pre-order): 2 for the
    ``{1, 2}`` a ``std::initializer_list`` parameter takes; None when there is none."""
    if arg is None:
        return None
    return next((len(n.children) for n in arg.walk() if n.kind == K.INIT_LIST_EXPR), None)


# --------------------------------------------------------------------------- growth

GrowthHow = Literal["member", "inserter", "by-reference"]


@dataclass(frozen=True)
class Growth:
    """A call that puts elements into a container variable.

    ``how``: ``member`` (a member call on it: GROWING, a map's ``operator[]``, an ``operator=``
    copying elements), ``inserter`` (an INSERTERS function given it), ``by-reference`` (a
    function of the program taking it by non-const reference). ``name``: the member's spelling
    (``push_back``, ``operator+=``), the inserter's qualified name, or the function's spelling."""

    call: "Node"
    how: GrowthHow
    name: str


def element_growth(container: "Node", root: "Node", *, through_calls: bool = True) -> list[Growth]:
    """The calls under ``root`` (pre-order) that put elements into the variable ``container``
    (named directly, under implicit wrappers), its family read from its type (a reference looked
    through). A call on the container counts only as a member growth; otherwise each argument
    naming it is looked at: an inserter, or (``through_calls``) a function outside ``std::`` and
    the system headers whose parameter at that index is a non-const lvalue reference, or a
    pointer to non-const for a ``&container`` argument (each such argument counts); a call that resolves to nothing ends the look at its arguments."""
    kind = family(container.type)
    found = []
    for node in root.walk():
        if node.kind != K.CALL_EXPR:
            continue
        name = node.spelling
        if refers_to(call_object(node, operators_first=True), container):
            if name in GROWING or (name == "operator[]" and kind in INDEXING_INSERTS) or \
                    (name == "operator=" and assigns_elements(node)):
                found.append(Growth(node, "member", name))
            continue
        for arg_index, arg in enumerate(node.arguments):
            arg = strip(arg)
            by_address = arg is not None and arg.kind == K.UNARY_OPERATOR and arg.operator == "&" \
                and bool(arg.children) and refers_to(strip(arg.children[0]), container)
            if not by_address and not refers_to(arg, container):
                continue
            callee = node.referenced
            if callee is None:
                break
            qname = callee.qualified_name
            if qname in INSERTERS and not by_address:
                found.append(Growth(node, "inserter", qname))
            elif through_calls and not qname.startswith("std::") and not callee.is_in_system_header \
                    and (takes_mutable_pointer(callee, arg_index) if by_address
                         else takes_mutable_reference(callee, arg_index)):
                found.append(Growth(node, "by-reference", callee.spelling))
    return found


def assigns_elements(call: "Node") -> bool:
    """The ``operator=`` call ``call`` copies elements into its object: ``v = other`` and
    ``v = {1, 2}`` do; a move assignment (an rvalue reference parameter), ``v = make()`` and
    ``v = std::move(w)`` (a call that is no constructor) move them."""
    args = call.arguments
    if len(args) < 2:
        return False
    callee = call.referenced
    params = parameters(callee) if callee is not None else []
    if params and params[0].type.kind == T.RVALUEREFERENCE:
        return False
    src = strip(args[1])
    return src is not None and (src.kind != K.CALL_EXPR or (
        src.referenced is not None and src.referenced.kind == K.CONSTRUCTOR))


def appended_length(call: "Node") -> Optional[int]:
    """The characters a member call on a string needs room for, when its spelling bounds them:
    ``push_back`` 1; ``+=``, ``append``, ``=`` and ``assign`` of one piece, that piece's
    string_length_bound; ``resize`` and ``reserve`` by an integer literal, that literal. None for
    anything else."""
    name = call.spelling
    args = call.arguments
    if name == "push_back":
        return 1
    if name in ("operator+=", "append", "operator=", "assign"):
        pieces = args[1:] if name.startswith("operator") else args
        return string_length_bound(pieces[0]) if len(pieces) == 1 else None
    if name in ("resize", "reserve") and args:
        return integer_literal(args[0])
    return None


# --------------------------------------------------------------------------- written types


@dataclass(frozen=True)
class WrittenContainer:
    """A type as written, read as ``[const] [std::]name[<arguments>]``: ``const`` is ``"const "``
    or '', ``arguments`` the ``<…>`` as written or ''."""

    const: str
    name: str
    arguments: str


def written_container(text: str) -> Optional[WrittenContainer]:
    """``text`` (a declaration's written type, stripped) as WrittenContainer when it is a lower-case
    name, optionally ``const`` before it, ``std::`` qualified and followed by template arguments
    (``const std::vector<long>``, ``string``, ``auto``); None for anything else (``Row``,
    ``std::pmr::vector<int>``, ``volatile std::string``)."""
    m = _WRITTEN_CONTAINER.match(text)
    if m is None:
        return None
    return WrittenContainer(m.group("const") or "", m.group("name"), m.group("args") or "")


def spells_family(written: WrittenContainer, family_name: str) -> bool:
    """The written name is the family's own (``vector`` for ``std::vector``), or one of
    STRING_NAMES for ``std::basic_string``."""
    short = family_name.split("::")[-1]
    return written.name == short or (short == "basic_string" and written.name in STRING_NAMES)


def names_allocator(written: WrittenContainer, family_name: str) -> bool:
    """The written template arguments reach the allocator's place (ALLOCATOR_POSITION) of a
    container of ``family_name``: ``std::vector<int, A>`` names its own allocator."""
    args = written.arguments
    return bool(args) and len(split_top_level(args[1:-1])) > ALLOCATOR_POSITION[family_name.split("::")[-1]]


# --------------------------------------------------------------------------- size queries

SIZE_QUERIES = frozenset({"size", "empty", "ssize"})


def size_queries(roots: Iterable["Node"], decl: Optional["Node"]) -> list["Node"]:
    """The calls under ``roots`` (each root's walk, in order) named ``size``, ``empty`` or
    ``ssize`` (``v.size()``, ``std::size(v)``) that use ``decl`` (a name or member use of any
    redeclaration) and call nothing else: they read only how many elements it holds. [] when
    ``decl`` is None."""
    out = []
    if decl is None:
        return out
    for root in roots:
        for n in root.walk():
            if n.kind != K.CALL_EXPR or n.spelling not in SIZE_QUERIES:
                continue
            if references_to(decl, [n], kinds=(K.DECL_REF_EXPR, K.MEMBER_REF_EXPR), same="entity") and \
                    all(m.kind != K.CALL_EXPR or m is n for m in n.walk()):
                out.append(n)
    return out


# --------------------------------------------------------------------------- what a container of pointers holds

POINTER_SEQUENCES = frozenset({"std::vector", "std::deque", "std::list", "std::forward_list"})
OWNING_POINTERS = frozenset({"std::unique_ptr", "std::shared_ptr"})
_MAKERS = frozenset({"std::make_unique", "std::make_shared"})
_PUTTING = frozenset({"push_back", "emplace_back", "push_front", "emplace_front"})
# member calls that neither put an element in nor replace one (an element they return is checked)
_KEEPING = frozenset({"size", "empty", "ssize", "capacity", "begin", "end", "cbegin", "cend", "rbegin", "rend",
                      "data", "reserve", "shrink_to_fit", "operator[]", "at", "front", "back", "clear", "erase",
                      "pop_back", "pop_front"})
_REPLACING = frozenset({"operator=", "reset", "swap"})


def pointed_record(t: "Type") -> Optional["Type"]:
    """The type the elements of a sequence of pointers point to: ``std::vector<Shape*>``,
    ``std::deque<std::unique_ptr<Shape>>`` or ``std::list<std::shared_ptr<Shape>>`` (a reference
    looked through) give ``Shape``; None for anything else."""
    t = t.non_reference()
    if t.record_name not in POINTER_SEQUENCES or not t.template_arguments:
        return None
    element = t.template_arguments[0]
    if element.is_pointer:
        return element.pointee
    if element.record_name in OWNING_POINTERS and element.template_arguments:
        return element.template_arguments[0]
    return None


def _made_type(arg: Optional["Node"]) -> Optional["Type"]:
    """The type of the object an argument creates for a container of pointers: ``new D(...)``,
    ``std::make_unique<D>(...)``, ``std::make_shared<D>(...)``, a smart pointer built from one;
    None for anything else."""
    for _ in range(8):
        arg = strip(arg, through=_CONSTRUCTION_WRAPPERS, operands="expressions")
        if arg is None:
            return None
        if arg.kind == K.CXX_NEW_EXPR:
            return arg.type.pointee
        if arg.kind != K.CALL_EXPR:
            return None
        callee = arg.referenced
        if callee is not None and callee.qualified_name in _MAKERS:
            args = arg.type.canonical.template_arguments
            return args[0] if args else None
        if family(arg.type) not in OWNING_POINTERS or len(arg.arguments) != 1:
            return None
        arg = arg.arguments[0]  # unique_ptr<Base>(new D), shared_ptr<Base>(make_unique<D>())
    return None


def is_replaced(expr: "Node") -> bool:
    """The object ``expr`` names (an element, a pointer, a ``std::function``) is replaced where it is used: assigned (``v[i] = ...``), reset,
    swapped, or handed to a function by mutable reference or pointer."""
    parent = outermost_wrapper(expr).parent
    if parent is not None and parent.kind == K.UNARY_OPERATOR and parent.operator == "&":
        return True  # its address escapes
    if parent is not None and parent.kind == K.MEMBER_REF_EXPR:
        call = parent.parent
        return call is not None and call.kind == K.CALL_EXPR and call.spelling in _REPLACING
    if parent is None or parent.kind != K.CALL_EXPR:
        return parent is not None and write_at(parent) is not None and strip(parent.children[0]) is strip(expr)
    if parent.spelling in _REPLACING and parent.children and strip(parent.children[0]) is strip(expr):
        return True
    callee = parent.referenced
    for index, arg in enumerate(parent.arguments):
        if strip(arg) is strip(expr):
            return callee is None or takes_mutable_reference(callee, index) or takes_mutable_pointer(callee, index)
    return False


def concrete_types_put(container: "Node", root: "Node") -> Optional[list["Type"]]:
    """The dynamic types of the objects a sequence of pointers (``pointed_record``) declared in
    ``root`` holds, as far as ``root`` shows: every ``push_back``/``emplace_back``/
    ``push_front``/``emplace_front`` of ``std::make_unique<D>(...)``, ``std::make_shared<D>(...)``,
    ``new D(...)`` or a smart pointer made from one gives ``D`` (each type once, in source
    order). None when something else may put or replace an element: an initializer with
    arguments, another member call that grows it, ``v[i] = ...`` or ``.reset`` on an element
    (also through a range-for's reference), the container assigned, moved, or handed to a
    function by mutable reference or pointer."""
    if pointed_record(container.type) is None:
        return None
    init = initializer(container)
    if init is not None:
        ctor = strip(init, through=_CONSTRUCTION_WRAPPERS, operands="expressions")
        if ctor is None or ctor.kind != K.CALL_EXPR or ctor.arguments or ctor.referenced is None \
                or ctor.referenced.kind != K.CONSTRUCTOR:
            return None
    found: dict[str, "Type"] = {}
    for ref in references_to(container, [root], kinds=(K.DECL_REF_EXPR,)):
        use = outermost_wrapper(ref)
        parent = use.parent
        if parent is not None and parent.kind == K.CXX_FOR_RANGE_STMT:
            var = next((c for c in parent.children if c.kind == K.VAR_DECL), None)
            if var is None or any(is_replaced(r) for r in references_to(var, [parent], kinds=(K.DECL_REF_EXPR,))):
                return None
            continue
        if parent is not None and parent.kind == K.MEMBER_REF_EXPR:
            parent = parent.parent
        if parent is None or parent.kind != K.CALL_EXPR or strip(call_object(parent)) is not strip(ref):
            # an argument: read only when passed by value or by const reference
            if parent is None or parent.kind != K.CALL_EXPR or parent.referenced is None:
                return None
            index = next((i for i, a in enumerate(parent.arguments) if strip(a) is strip(ref)), None)
            if index is None or takes_mutable_reference(parent.referenced, index) \
                    or takes_mutable_pointer(parent.referenced, index) or written_rvalue(parent, index):
                return None
            continue
        name = parent.spelling
        if name in _PUTTING:
            args = parent.arguments
            made = _made_type(args[0]) if len(args) == 1 else None
            if made is None:
                return None
            found.setdefault(made.canonical.spelling, made)
        elif name not in _KEEPING or is_replaced(parent):
            return None
    return list(found.values())


def written_rvalue(call: "Node", index: int) -> bool:
    """The argument at ``index`` of ``call`` binds to an rvalue reference parameter (it may be
    moved from)."""
    callee = call.referenced
    params = parameters(callee) if callee is not None else []
    return index < len(params) and params[index].type.kind == T.RVALUEREFERENCE
