"""Where an lvalue lives and which named object an expression reaches: the origin of a load or
store (parameter, member, local, global, element of what), the declaration an atomic operation
names, the variable a pointer argument points into, where a value is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection, Iterable, Literal, Mapping, Optional, Union

from .expressions import THROUGH_CASTS, call_object, initializer, is_store_target, operator_operands, outermost_wrapper, parent_past, strip, \
    subscript_parts, takes_mutable_reference, unwrap, write_at
from .kinds import BYTE_REINTERPRETING_CASTS, EXPLICIT_CASTS, INCREMENT_OPERATORS, WRAPPERS, K
from .source import new_placement_close
from .symbols import declared_alone, has_static_storage, refers_to
from .types import CONTIGUOUS, SMART_POINTERS, contiguous_element, is_scalar, owned_element

if TYPE_CHECKING:
    from ..clang.nodes import Node, Type

_CASTS = WRAPPERS | EXPLICIT_CASTS


def _through_casts(node: "Node") -> "Node":
    """``node`` under implicit and explicit casts and parentheses (aliasing-vectorization's view
    of an access: ``(float*)p`` is ``p``)."""
    return strip(node, **THROUGH_CASTS)


# ------------------------------------------------------------------ origins


@dataclass(frozen=True)
class Origin:
    """Where an lvalue lives: a top object and the member path from it.

    ``top`` is ``('this',)``, ``('ref', decl)`` (a reference parameter), ``('global', decl)``,
    ``('local', decl)`` or ``('ptr', origin)`` for whatever a pointer points to, with origin
    ``('var', decl)`` or ``('field', …key of the member holding the pointer)``; ``path`` holds
    ``FIELD_DECL`` nodes and ``'[]'`` for an array element. ``param`` is the pointer or reference
    parameter the access goes through, ``restrict`` whether it is ``__restrict__``."""

    top: tuple
    path: tuple = ()
    restrict: bool = False
    param: Optional["Node"] = None

    @property
    def is_memory(self) -> bool:
        """The lvalue may be reached another way (anything but a local variable)."""
        return self.top[0] != "local"

    @property
    def in_container_buffer(self) -> bool:
        """Lies in a heap container's buffer (``container_buffer``: where its data pointers point)."""
        return self.top[0] == "ptr" and self.top[1][-1:] == (BUFFER_POINTERS,)

    def member(self, field: "Node") -> "Origin":
        """The origin of a member of this object."""
        return Origin(self.top, self.path + (field,), self.restrict, self.param)

    def element(self) -> "Origin":
        """The origin of an element of this array."""
        return Origin(self.top, self.path + ("[]",), self.restrict, self.param)

    def key(self) -> tuple:
        """``top + path``: equal keys name the same memory."""
        return self.top + self.path


def lvalue_origin(expr: "Node", reassigned: Collection["Node"],
                  references: Optional[Mapping["Node", Origin]] = None) -> Optional[Origin]:
    """Where an lvalue lives: a parameter or variable (``'ref'`` for a reference parameter; a
    local reference gives None, where it points is not tracked; a non-const global is
    ``'global'``, a const one as good as a local), a member (of ``this``, of an object, of what a
    pointer points to), or an element through a subscript or ``*``. None when it cannot be placed.
    ``reassigned`` are the pointers whose initializer no longer says where they point
    (``control.reassigned_declarations`` of the function). An element of a contiguous standard
    container (``v[i]``, ``container_member``) is one of its buffer (``container_buffer``);
    ``references`` are local references whose object the caller knows (a range-for's variable:
    ``range_element_origin``)."""
    e = _through_casts(expr)
    k = e.kind
    if k == K.DECL_REF_EXPR:
        d = e.referenced
        if d is None or d.kind not in (K.PARM_DECL, K.VAR_DECL):
            return None
        if references and d in references:
            return references[d]
        if d.type.is_reference:
            if d.kind != K.PARM_DECL:
                return None
            return Origin(("ref", d), restrict=d.type.is_restrict, param=d)
        if has_static_storage(d) and not d.type.is_const:
            return Origin(("global", d))
        return Origin(("local", d))
    if k == K.MEMBER_REF_EXPR:
        field = e.referenced
        if field is None or field.kind != K.FIELD_DECL:
            return None
        kids = [c for c in e.children if c.is_expression]
        if not kids:
            owner: Optional[Origin] = Origin(("this",))
        else:
            obj = kids[0]
            owner = pointee_origin(obj, reassigned) if _through_casts(obj).type.is_pointer \
                else lvalue_origin(obj, reassigned, references)
        return owner.member(field) if owner is not None else None
    if k == K.CALL_EXPR and container_member(e) == "operator[]":
        buffer = container_buffer(call_object(e, operators_first=True), reassigned, references)
        return buffer.element() if buffer is not None else None
    if k == K.ARRAY_SUBSCRIPT_EXPR:
        kids = e.children
        if len(kids) != 2:
            return None
        base = pointee_origin(kids[0], reassigned)
        return base.element() if base is not None else None
    if k == K.UNARY_OPERATOR and e.operator == "*" and e.children:
        base = pointee_origin(e.children[0], reassigned)
        return base.element() if base is not None else None
    return None


def pointee_origin(ptr: "Node", reassigned: Collection["Node"], _depth: int = 0) -> Optional[Origin]:
    """What a pointer expression points into: an array (it decays to its own origin), ``this``, a
    pointer parameter or global (``('ptr', ('var', decl))``), a local pointer's initializer
    (unless it is in ``reassigned``), a pointer member, ``p ± n``, ``&x``, ``++p``. None past
    eight steps or for anything else."""
    if _depth > 8:
        return None
    p = ptr
    while p.kind in _CASTS and p.children:
        inner = unwrap(p, **THROUGH_CASTS)
        if inner is None:
            return None
        if inner.type.is_array:
            return lvalue_origin(inner, reassigned)
        p = inner
    k = p.kind
    if p.type.is_array:
        return lvalue_origin(p, reassigned)
    if k == K.CXX_THIS_EXPR:
        return Origin(("this",))
    if k == K.DECL_REF_EXPR:
        d = p.referenced
        if d is None or d.kind not in (K.PARM_DECL, K.VAR_DECL) or not d.type.is_pointer:
            return None
        if d in reassigned:
            return None
        if d.kind == K.PARM_DECL:
            return Origin(("ptr", ("var", d)), restrict=d.type.is_restrict, param=d)
        if has_static_storage(d):
            return Origin(("ptr", ("var", d)), restrict=d.type.is_restrict)
        init = [c for c in d.children if c.is_expression]
        if not init:
            return None
        origin = pointee_origin(init[-1], reassigned, _depth + 1)
        if origin is None:
            return None
        return Origin(origin.top, origin.path, origin.restrict or d.type.is_restrict, None)
    if k == K.MEMBER_REF_EXPR:
        holder = lvalue_origin(p, reassigned)
        if holder is None:
            return None
        return Origin(("ptr", ("field",) + holder.key()))
    if k == K.BINARY_OPERATOR and p.operator in ("+", "-"):
        for c in p.children:
            t = _through_casts(c).type
            if t.is_pointer or t.is_array:
                return pointee_origin(c, reassigned, _depth + 1)
        return None
    if k == K.UNARY_OPERATOR and p.operator == "&" and p.children:
        return lvalue_origin(p.children[0], reassigned)
    if k == K.UNARY_OPERATOR and p.operator in ("++", "--", "post++", "post--") and p.children:
        return pointee_origin(p.children[0], reassigned, _depth + 1)
    if k == K.CALL_EXPR and container_member(p) == "data":
        return container_buffer(call_object(p), reassigned)
    return None


# ------------------------------------------------------------------ contiguous containers

# The step of an origin's path that stands for a heap container's data pointers (its begin, end
# and capacity members, which the standard library keeps private).
BUFFER_POINTERS = "<buffer>"
# Members of the contiguous containers that read where the elements are and nothing else.
CONTAINER_ACCESSORS = frozenset({"operator[]", "data", "size", "empty"})
_HEAP_CONTAINERS = frozenset({"std::vector", "std::basic_string", "std::span"})


def container_member(call: "Node") -> Optional[str]:
    """The member (CONTAINER_ACCESSORS) a call makes of a contiguous standard container
    (``std::vector``, ``std::array``, ``std::span``, ``std::basic_string``): ``operator[]``,
    ``data``, ``size`` or ``empty``; None for any other call."""
    if call.kind != K.CALL_EXPR or call.spelling not in CONTAINER_ACCESSORS:
        return None
    callee = call.referenced
    parent = callee.semantic_parent if callee is not None and callee.kind == K.CXX_METHOD else None
    if parent is None or parent.type.record_name not in CONTIGUOUS | _HEAP_CONTAINERS:
        return None
    return call.spelling


def container_buffer(obj: Optional["Node"], reassigned: Collection["Node"],
                     references: Optional[Mapping["Node", Origin]] = None) -> Optional[Origin]:
    """Where the elements of the container ``obj`` lie: a ``std::array``'s are its own (the
    object's origin), a heap container's are what its data pointers point to
    (``('ptr', ('field', …the object's key, BUFFER_POINTERS))``). None when the object cannot
    be placed."""
    if obj is None:
        return None
    holder = lvalue_origin(obj, reassigned, references)
    if holder is None or _through_casts(obj).type.non_reference().record_name == "std::array":
        return holder
    return Origin(("ptr", ("field",) + holder.key() + (BUFFER_POINTERS,)))


def container_pointers(call: "Node", reassigned: Collection["Node"],
                       references: Optional[Mapping["Node", Origin]] = None) -> Optional[Origin]:
    """The heap container's data pointers a ``container_member`` call reads (``v[i]``,
    ``v.size()``, ``v.data()``): the origin of its BUFFER_POINTERS member, where a store of a byte
    or a pointer (``types.may_modify_pointers``) may land; None for a ``std::array`` (its
    elements are inline), another call, or an object that cannot be placed."""
    if container_member(call) is None:
        return None
    obj = call_object(call, operators_first=True)
    if obj is None or _through_casts(obj).type.non_reference().record_name == "std::array":
        return None
    holder = lvalue_origin(obj, reassigned, references)
    return holder.member(BUFFER_POINTERS) if holder is not None else None


# What scalar_access answers for a store it cannot place: every aliasing question stays open.
UNPLACED = "unplaced"
_ACCESS_KINDS = frozenset({K.DECL_REF_EXPR, K.MEMBER_REF_EXPR, K.ARRAY_SUBSCRIPT_EXPR, K.UNARY_OPERATOR})


def _is_access(n: "Node") -> bool:
    if n.kind == K.CALL_EXPR:
        return container_member(n) == "operator[]"
    return n.kind in _ACCESS_KINDS and (n.kind != K.UNARY_OPERATOR or n.operator == "*")


def scalar_access(n: "Node", reassigned: Collection["Node"], references: Optional[Mapping["Node", Origin]] = None
                  ) -> Union[None, str, tuple[Origin, bool]]:
    """The scalar memory access ``n`` is, as a vectorizer's aliasing sees it: (where it lives,
    whether it is stored to) for a variable, member, subscript (a container's ``operator[]``
    too) or ``*p`` of a scalar type (``types.is_scalar``) that lies in memory (not a local's)
    and whose address is not taken right there; None for anything else; UNPLACED for a store
    that cannot be placed (through a call's result, of a non-scalar type, or where
    ``lvalue_origin`` cannot say), which leaves every aliasing question open."""
    w = write_at(n, **THROUGH_CASTS)
    if w is not None and w.target is not None and not _is_access(w.target):
        return UNPLACED
    if not _is_access(n):
        return None
    store = is_store_target(n)
    if not is_scalar(n.type):
        return UNPLACED if store else None
    parent = outermost_wrapper(n, through=frozenset({K.PAREN_EXPR})).parent
    if parent is not None and parent.kind == K.UNARY_OPERATOR and parent.operator == "&":
        return None
    origin = lvalue_origin(n, reassigned, references)
    if origin is None:
        return UNPLACED if store else None
    return (origin, store) if origin.is_memory else None


def address_reads(access: "Node", loads: Iterable[tuple["Node", bool]]) -> bool:
    """The address of ``access`` (``a[x]``, ``v[x]``, ``*p``) depends on one of ``loads`` (each a
    load and whether it is invariant) that is read afresh each iteration: one within the index or
    the dereferenced pointer, other than a pointer ``*p`` reads as its base (a member pointer).
    An offset read once (``p[hdr->skip + i]``) still walks memory in order."""
    n = _through_casts(access)
    parts = subscript_parts(n)
    if parts is not None:
        where = parts[1]
    elif n.kind == K.UNARY_OPERATOR and n.children:
        where = n.children[0]
    else:
        return False
    for load, invariant in loads:
        if invariant or not (load is where or load.is_within(where)):
            continue
        if n.kind == K.UNARY_OPERATOR and _through_casts(load).type.is_pointer:
            continue
        return True
    return False


def range_element_origin(range_expr: "Node", reassigned: Collection["Node"]) -> Optional[Origin]:
    """Where the elements a range-for walks lie: an array's elements, or a contiguous
    container's buffer's (``container_buffer``); None for any other range."""
    t = _through_casts(range_expr).type.non_reference()
    if t.is_array:
        origin = lvalue_origin(range_expr, reassigned)
    elif t.record_name in CONTIGUOUS | _HEAP_CONTAINERS:
        origin = container_buffer(range_expr, reassigned)
    else:
        return None
    return origin.element() if origin is not None else None


# ------------------------------------------------------------------ named objects


def atomic_target(obj: Optional["Node"]) -> Optional["Node"]:
    """The declaration an atomic operation's object expression names: ``x`` and ``&x`` name x,
    ``*p`` names the pointer p (operations through one pointer group together), ``a[i]`` (built-in)
    names a, ``s.m`` names the member's ``FIELD_DECL``; None otherwise."""
    while obj is not None:
        obj = strip(obj)
        if obj.kind == K.UNARY_OPERATOR and obj.operator in ("&", "*") and obj.children:
            obj = obj.children[0]
            continue
        if obj.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
            return obj.referenced
        if obj.kind == K.ARRAY_SUBSCRIPT_EXPR and obj.children:
            obj = obj.children[0]
            continue
        return None
    return None


_NAMED_KINDS = frozenset({K.VAR_DECL, K.FIELD_DECL, K.PARM_DECL})


def named_declaration(expr: Optional["Node"]) -> Optional["Node"]:
    """The variable, field or parameter an expression names directly (``x``, ``s.m``, ``p->m``,
    under implicit wrappers by first child); None for anything else (a function, an
    enumerator, a subscript, a call)."""
    n = strip(expr)
    if n is None or n.kind not in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
        return None
    decl = n.referenced
    return decl if decl is not None and decl.kind in _NAMED_KINDS else None


def object_base(expr: Optional["Node"]) -> Optional["Node"]:
    """The subscript (built-in or any ``operator[]``) or variable reference an expression reaches
    its object through, looking past wrappers (by first child), members, ``*`` and ``&``; None
    when it reaches something else."""
    n = expr
    while n is not None:
        kind = n.kind
        if kind in WRAPPERS and n.children:
            n = n.children[0]
        elif kind == K.MEMBER_REF_EXPR and n.children:
            n = n.children[0]
        elif kind == K.UNARY_OPERATOR and n.operator in ("*", "&") and n.children:
            n = n.children[0]
        elif subscript_parts(n) is not None:
            return n
        elif kind == K.DECL_REF_EXPR:
            return n
        else:
            return None
    return None


def named_object(lvalue: "Node") -> Optional[tuple["Node", "Type"]]:
    """(variable, type of the designated object) for an lvalue inside a named variable that is no
    reference: the variable, an element of an array variable, a member of an object (not
    through a pointer or ``this``), an element of an owning container (``v[i]``)."""
    e = _through_casts(lvalue)
    k = e.kind
    if k == K.DECL_REF_EXPR:
        d = e.referenced
        if d is None or d.kind != K.VAR_DECL or d.type.is_reference:
            return None
        return d, d.type
    if k == K.ARRAY_SUBSCRIPT_EXPR and len(e.children) == 2:
        base = _through_casts(e.children[0])
        found = named_object(base) if base.type.is_array else None
        return (found[0], e.type) if found else None
    if k == K.MEMBER_REF_EXPR:
        kids = [c for c in e.children if c.is_expression]
        if not kids or _through_casts(kids[0]).type.is_pointer:
            return None  # `this->x`, `p->x`: where the object lives is not known
        found = named_object(kids[0])
        return (found[0], e.type) if found else None
    if k == K.CALL_EXPR and e.spelling == "operator[]" and e.children:
        return owned_elements(e.children[0])
    return None


def pointed_object(ptr: "Node") -> Optional[tuple["Node", "Type"]]:
    """(variable, object type) a pointer argument points into: an array (``a``, ``&a[0]``,
    ``a + 1``), ``&x``, ``p ± n`` with one pointer side, or an owning container's buffer
    (``v.data()``, ``&v[0]``). None for anything else."""
    e = _through_casts(ptr)
    if e.type.is_array:
        return named_object(e)
    if e.kind == K.UNARY_OPERATOR and e.operator == "&" and e.children:
        return named_object(e.children[0])
    if e.kind == K.BINARY_OPERATOR and e.operator in ("+", "-"):
        sides = [c for c in e.children if _through_casts(c).type.is_pointer or _through_casts(c).type.is_array]
        return pointed_object(sides[0]) if len(sides) == 1 else None
    if e.kind == K.CALL_EXPR and e.spelling == "data" and e.children and e.children[0].kind == K.MEMBER_REF_EXPR:
        obj = call_object(e, operators=False, stripped=False)
        return owned_elements(obj) if obj is not None else None
    return None


def owned_elements(container: "Node") -> Optional[tuple["Node", "Type"]]:
    """(variable, element type) for a named std::vector, std::array or std::basic_string."""
    found = named_object(container)
    if found is None:
        return None
    element = owned_element(found[1])
    return (found[0], element) if element is not None else None


# ------------------------------------------------------------------ where a value goes


def assigned_entity(node: "Node", *, operators_first: bool = False) -> Optional["Node"]:
    """The variable or member a value is stored into: ``p = v`` (``node`` on the right of a
    built-in ``=``), ``p = v`` through ``operator=``, ``p.reset(v)``. The target is read under
    wrappers by first child, as alloc-in-loop did; None unless it names a variable or member.
    The object of ``operator=`` is ``call_object``'s, asked with ``operators_first``: by default
    ``s.up = v`` stores into ``s`` (the member test first), with ``operators_first=True`` into
    the member ``up``."""
    cur, parent = node, parent_past(node)[1]
    if parent is None:
        return None
    target = None
    if parent.kind == K.BINARY_OPERATOR and parent.children and \
            cur is not parent.children[0] and not cur.is_within(parent.children[0]):
        w = write_at(parent, operators=("=",), increments=False, only_child=False)
        target = w.target if w is not None else None
    elif parent.kind == K.CALL_EXPR and parent.spelling in ("operator=", "reset"):
        target = call_object(parent, operators_first=operators_first)
    if target is None or target.kind not in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
        return None
    return target.referenced


def reference_source(expr: Optional["Node"]) -> Optional["Node"]:
    """``x`` (stripped) of ``x``, ``&x``, ``std::ref(x)`` or ``std::cref(x)``; ``expr`` stripped
    otherwise."""
    n = strip(expr)
    if n is not None and n.kind == K.CALL_EXPR and n.spelling in ("ref", "cref") and n.arguments:
        callee = n.referenced
        if callee is not None and callee.qualified_name in ("std::ref", "std::cref"):
            n = strip(n.arguments[0])
    if n is not None and n.kind == K.UNARY_OPERATOR and n.operator == "&" and n.children:
        n = strip(n.children[0])
    return n


def bool_conversion_object(expr: Optional["Node"]) -> Optional["Node"]:
    """The object a smart pointer's ``explicit operator bool`` tests (``if (!owned)``), through
    any number of such calls, stripped; ``expr`` stripped when it is no such call."""
    expr = strip(expr)
    while expr is not None and expr.kind == K.CALL_EXPR and expr.spelling == "operator bool" and expr.children:
        member = strip(expr.children[0])
        expr = strip(member.children[0]) if member is not None and member.children else None
    return expr


class _NotAUse:
    def __repr__(self) -> str:
        return "memory.NOT_A_USE"


NOT_A_USE = _NotAUse()
"""member_path's answer for a pointer compared with another: no member is read."""


def member_path(expr: "Node", *, through_pointer: bool = False
                ) -> Union[None, _NotAUse, tuple[list["Node"], "Node"]]:
    """The chain of fields read from the element expression ``expr`` (``e.pos.x`` → [pos, x]) and
    the last member expression; None when the element or a member is used as a whole object (a
    method of the element may read every field; a method of a member ends the chain). With
    ``through_pointer`` ``expr`` is a pointer to the element, raw or smart (``std::unique_ptr``,
    ``std::shared_ptr``): ``p->x``, ``(*p).x`` and ``p.get()->x`` read members; comparing ``p``
    or testing it for null (``if (p)``, ``!p``, ``p && ...``) is NOT_A_USE."""
    outer = outermost_wrapper
    cur = expr
    if through_pointer:
        parent = outer(cur).parent
        if parent is None:
            return None
        if cur.type.non_reference().record_name in SMART_POINTERS:
            step = _smart_pointer_step(cur, parent)
            if step is None or step is NOT_A_USE:
                return step
            cur, dereferenced = step
            parent = outer(cur).parent
            if dereferenced:
                parent = None
            elif parent is None:
                return None
        if parent is None:
            pass  # `*up` already names the element
        elif parent.kind == K.UNARY_OPERATOR and parent.operator == "*":
            cur = parent
        elif parent.kind == K.BINARY_OPERATOR and parent.operator in ("!=", "==", "<", "<=", ">", ">=", "&&", "||"):
            return NOT_A_USE
        elif parent.kind == K.UNARY_OPERATOR and parent.operator == "!" or parent.kind in _TESTS_ITS_CONDITION \
                and parent.children and parent.children[0] is outer(cur):
            return NOT_A_USE  # a null test reads no field
        elif parent.kind != K.MEMBER_REF_EXPR:
            return None
    members: list = []
    while True:
        parent = outer(cur).parent
        if parent is None or parent.kind != K.MEMBER_REF_EXPR or not parent.children:
            break
        if strip(parent.children[0], only_child=True) is not cur and parent.children[0] is not outer(cur):
            break
        field_decl = parent.referenced
        if field_decl is None or field_decl.kind != K.FIELD_DECL:
            if members and field_decl is not None and field_decl.kind == K.CXX_METHOD:
                break  # `e.name.size()`: the method sees the member, not the rest of the element
            return None
        members.append(field_decl)
        cur = parent
        if not cur.type.is_record:
            break
    if not members:
        return None
    return members, cur


_TESTS_ITS_CONDITION = frozenset({K.IF_STMT, K.WHILE_STMT, K.CONDITIONAL_OPERATOR})
_SMART_POINTER_TESTS = frozenset({"operator bool", "operator!", "operator==", "operator!="})


def _smart_pointer_step(cur: "Node", parent: "Node") -> Union[None, _NotAUse, tuple["Node", bool]]:
    """The smart pointer ``cur`` as member_path follows it: ``(up->, False)`` and ``(up.get(),
    False)`` give the raw pointer, ``(*up, True)`` the element; NOT_A_USE for a null test or a
    comparison (``if (up)``, ``!up``, ``up == nullptr``); None for any other use (moved, reset,
    passed on)."""
    if parent.kind == K.CALL_EXPR and parent.children and parent.children[0] is outermost_wrapper(cur):
        if parent.spelling == "operator->":
            return parent, False
        if parent.spelling == "operator*":
            return parent, True
        if parent.spelling in _SMART_POINTER_TESTS:
            return NOT_A_USE
        return None
    if parent.kind == K.MEMBER_REF_EXPR and parent.spelling in ("get", "operator bool"):
        call = parent.parent
        if call is not None and call.kind == K.CALL_EXPR:
            return (call, False) if parent.spelling == "get" else NOT_A_USE
    return None


InitializedLocal = tuple["Node", "Node"]  # (VAR_DECL, its DECL_STMT)


def initialized_local(node: "Node") -> Union[InitializedLocal, Literal["not-a-local", "declared-with-others"]]:
    """The automatic variable the expression ``node`` initializes (looking up past implicit
    wrappers and C, static and reinterpret casts) and its declaration statement, when it is
    declared alone there; else why not."""
    holder = parent_past(node, through=WRAPPERS | BYTE_REINTERPRETING_CASTS)[1]
    if holder is None or holder.kind != K.VAR_DECL or holder.storage != "auto":
        return "not-a-local"
    stmt = declared_alone(holder)
    if stmt is None:
        return "declared-with-others"
    return holder, stmt


def allocates_from_heap(new_expr: "Node") -> bool:
    """The new-expression takes its memory from the global ``operator new``: its tokens hold
    ``new`` (libclang gives none for some macro expansions: then False), it has no placement
    argument other than a ``std::nothrow_t`` (placement new constructs in memory someone else
    owns), and the record it makes declares no ``operator new`` of its own (a member function or
    member template: the class routes its allocations; ``::new`` is not told apart)."""
    tokens = new_expr.tokens
    if "new" not in tokens:
        return False
    close = new_placement_close(new_expr, tokens.index("new"))
    if close is not None:
        for arg in new_expr.children:
            if arg.range.start < close and arg.kind != K.TYPE_REF and not _is_nothrow(arg):
                return False
    made = new_expr.type.pointee
    decl = made.declaration if made is not None and made.is_record else None
    return decl is None or not any(c.kind in (K.CXX_METHOD, K.FUNCTION_TEMPLATE) and c.spelling.startswith(
        "operator new") for c in decl.children)


def _is_nothrow(arg: "Node") -> bool:
    name = strip(arg).type.unqualified_name
    return name in ("std::nothrow_t", "const std::nothrow_t") or name.endswith("nothrow_t")


PointerUse = Literal["freed", "reallocated", "by-reference", "reassigned", "stepped", "address-taken"]


def pointer_use(ref: "Node") -> Optional[tuple[PointerUse, "Node"]]:
    """What the use ``ref`` of a pointer variable does with the pointer itself (looking up past
    implicit wrappers), with the node that does it: ``freed`` (the operand of a delete-expression,
    or passed to ``free``), ``reallocated`` (passed to ``realloc``), ``by-reference`` (passed to a
    parameter of non-const lvalue reference type: the call, whose ``referenced`` is the callee),
    ``reassigned`` (the left of ``=`` or of a compound assignment), ``stepped`` (``++``/``--``),
    ``address-taken`` (``&p``). None for any other use (read, dereferenced, compared, passed by
    value) and for a call made through the pointer."""
    cur, parent = parent_past(ref)
    if parent is None:
        return None
    kind = parent.kind
    if kind == K.CXX_DELETE_EXPR:
        return "freed", parent
    if kind == K.CALL_EXPR and parent.referenced is not None and cur is not parent.children[0]:
        name = parent.referenced.qualified_name
        if name in ("free", "std::free"):
            return "freed", parent
        if name in ("realloc", "std::realloc"):
            return "reallocated", parent
        index = next((i for i, a in enumerate(parent.arguments) if a is cur), -1)
        return ("by-reference", parent) if takes_mutable_reference(parent.referenced, index) else None
    if kind in (K.BINARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR) and parent.children \
            and parent.children[0] is cur and (kind != K.BINARY_OPERATOR or parent.operator == "="):
        return "reassigned", parent
    if kind == K.UNARY_OPERATOR and parent.operator == "&":
        return "address-taken", parent
    if kind == K.UNARY_OPERATOR and parent.operator in INCREMENT_OPERATORS:
        return "stepped", parent
    return None


def indexed_sequence(node: "Node", index: "Node") -> Optional["Node"]:
    """The named sequence ``c`` (a ``DECL_REF_EXPR`` or ``MEMBER_REF_EXPR``, stripped by only
    child) that ``node`` subscripts with the variable ``index``: ``c[i]`` as a built-in subscript
    or as ``operator[]`` of a CONTIGUOUS container (the index under implicit wrappers). None for
    anything else (``c[i + 1]``, ``m[i]`` of a map, ``f()[i]``)."""
    if node.kind == K.ARRAY_SUBSCRIPT_EXPR and len(node.children) == 2:
        base, at = node.children
    elif node.kind == K.CALL_EXPR and node.spelling == "operator[]":
        operands = operator_operands(node, callee_through="only-child", callee_spelling="call-spelling")
        if len(operands) != 2:
            return None
        base, at = operands
        t = strip(base, only_child=True).type
        if not (t.is_record and t.record_name in CONTIGUOUS):
            return None
    else:
        return None
    if not refers_to(strip(at, only_child=True), index):
        return None
    b = strip(base, only_child=True)
    return b if b.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR) else None


def indexed_address(node: "Node", index: "Node") -> Optional["Node"]:
    """The named sequence ``c`` whose element ``index`` the pointer expression ``node`` points
    at: ``&c[i]`` (any subscript ``indexed_sequence`` takes), ``c + i`` or ``i + c`` with ``c`` a
    built-in array or pointer (under implicit wrappers and parentheses). None for anything else
    (``&c[i] + 1``, ``c + i + 1``, ``v.data() + i``)."""
    node = strip(node, only_child=True)
    if node.kind == K.UNARY_OPERATOR and node.operator == "&" and len(node.children) == 1:
        return indexed_sequence(strip(node.children[0], only_child=True), index)
    if node.kind != K.BINARY_OPERATOR or node.operator != "+" or len(node.children) != 2:
        return None
    for base, at in (node.children, node.children[::-1]):
        b = strip(base, only_child=True)
        if (b.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR) and (b.type.is_pointer or b.type.is_array)
                and refers_to(strip(at, only_child=True), index)):
            return b
    return None


def _holds_pointers(t: "Type") -> bool:
    """``t`` is a sequence of raw pointers: ``T**``, ``T*[N]``, ``std::vector<T*>``."""
    element = t.pointee if t.is_pointer else contiguous_element(t)[0]
    return element is not None and element.is_pointer


def element_alias(decl: "Node", index: "Node", body: "Node") -> Optional[tuple["Node", bool]]:
    """What the local ``decl`` declared in the loop body ``body`` stands for in each iteration of
    a loop over ``index``: ``(c, False)`` for a reference bound to the element (``auto& e = c[i];``),
    ``(c, True)`` for a pointer to it (``T* p = &c[i];``, ``const T* p = c + i;``), or the
    pointer a sequence of pointers holds (``T* p = c[i];``), that the body never assigns or
    steps. None for anything else (a reference to ``cond ? a[i] : b[i]``, a pointer moved on,
    ``p = p->next``)."""
    if decl.kind != K.VAR_DECL:
        return None
    init = initializer(decl)
    if init is None:
        return None
    if decl.type.is_reference:
        c = indexed_sequence(strip(init, only_child=True), index)
        return None if c is None else (c, False)
    if not decl.type.is_pointer:
        return None
    c = indexed_address(init, index)
    if c is None:
        c = indexed_sequence(strip(init, only_child=True), index)
        if c is None or not _holds_pointers(c.type):
            return None
    for n in body.walk():
        w = write_at(n)
        if w is not None and w.target is not None and refers_to(w.target, decl):
            return None
    return c, True
