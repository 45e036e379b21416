"""Questions about C and C++ types: triviality, pointers held, strict aliasing, container
families and their elements, atomics owned inline and where they lie, and the records a type
is made of.

Everything here reads ``Type`` (the clang boundary's wrapper) and answers from the type alone;
what a type's spelling or declaration says (``record_name``, ``atomic_kind``,
``is_byte_like``) stays on ``Type``. Depth limits are the ones each question had where it was
first asked, so a pathological type gives the same answer as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Optional

from .kinds import SCALAR_TYPES, SIGNED_OF, UNSIGNED_OF, VALUE_TYPES, K, T
from .symbols import std_name

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Type
    from ..model import FieldLayout

PMR_ALLOCATOR = "std::pmr::polymorphic_allocator"
# Kinds of atomic an object owns. ``std::atomic_ref`` is a pointer to some other object:
# writes through it land on that object's line, not on the holder's.
OWNED_ATOMICS = frozenset({"std::atomic", "std::atomic_flag", "_Atomic"})
# Sequences whose elements lie next to each other in memory (aos-layout's sweeps).
CONTIGUOUS = frozenset({"std::vector", "std::array", "std::span", "std::inplace_vector"})
# Sequences a thread may index its own element of (false-sharing; ``std::unique_ptr<T[]>``).
SEQUENCES = frozenset({"std::array", "std::vector", "std::span", "std::unique_ptr"})
# Containers that own their elements' storage (aliasing-vectorization's named buffers).
OWNING = frozenset({"std::vector", "std::array", "std::basic_string"})
# Standard classes a function may return without handing out a pointer, given value arguments.
VALUE_CLASSES = frozenset({"std::basic_string", "std::vector", "std::array", "std::optional", "std::pair",
                           "std::tuple", "std::complex"})
# Standard types whose construction or destruction is visible (a thread joins, a lock is held, a
# file is flushed): their order relative to each other matters.
STD_EFFECTS = frozenset({
    "std::thread", "std::jthread", "std::lock_guard", "std::unique_lock", "std::scoped_lock",
    "std::shared_lock", "std::basic_ofstream", "std::basic_ifstream", "std::basic_fstream",
    "std::basic_filebuf", "std::future", "std::shared_future", "std::promise", "std::packaged_task",
})
_NOT_KNOWN_TYPES = frozenset({T.LVALUEREFERENCE, T.RVALUEREFERENCE, T.UNEXPOSED, T.DEPENDENT, T.INVALID})
_POINTER_LIKE = frozenset({T.MEMBERPOINTER, T.BLOCKPOINTER})
_CALLABLE_TYPES = frozenset({T.FUNCTIONPROTO, T.FUNCTIONNOPROTO, T.MEMBERPOINTER, T.BLOCKPOINTER})
_LIFETIME_MEMBERS = frozenset({K.CONSTRUCTOR, K.DESTRUCTOR})


# ------------------------------------------------------------------ construction and values

def is_trivial(t: "Type", *, construction: bool = True) -> bool:
    """Skipping the constructor (``construction``) and destructor calls of ``t`` changes nothing:
    no destructor, base or virtual function declared, nor (``construction``) a constructor or a
    default member initializer, recursively through fields and arrays. References and types
    whose kind is not known are not trivial; scalars are. ``construction=False`` asks about
    destruction only."""
    return _trivial(t, 0, construction)


def _trivial(t: "Type", depth: int, construction: bool) -> bool:
    if depth > 6:
        return False
    if t.is_array:
        return t.element is not None and _trivial(t.element, depth + 1, construction)
    kind = t.canonical.kind
    if kind in _NOT_KNOWN_TYPES:
        return False
    if kind != T.RECORD:
        return True
    decl = t.declaration
    if decl is None:
        return False
    for child in decl.children:
        k = child.kind
        if k == K.DESTRUCTOR or k == K.CXX_BASE_SPECIFIER or child.is_virtual:
            return False
        if construction and k in (K.CONSTRUCTOR, K.FUNCTION_TEMPLATE) and child.spelling == decl.spelling:
            return False
        if k == K.FIELD_DECL:
            if construction and any(c.is_expression for c in child.children):
                return False  # a default member initializer
            if not _trivial(child.type, depth + 1, construction):
                return False
    return True


def holds_pointer(t: "Type") -> bool:
    """An object of ``t`` may hold a pointer or reference: it is one (member and block pointers
    included), an array of such, or a record with such a field; a record with a base, a vtable
    or no known layout is assumed to, and so is anything nested deeper than four levels."""
    return _holds_pointer(t, 0)


def _holds_pointer(t: "Type", depth: int) -> bool:
    if depth > 4 or t.is_pointer or t.is_reference or t.canonical.kind in _POINTER_LIKE:
        return True
    if t.is_array:
        return t.element is None or _holds_pointer(t.element, depth + 1)
    if t.is_record:
        layout = t.layout()
        if layout is None or any(f.is_base for f in layout.fields) or layout.has_vtable:
            return True
        return any(_holds_pointer(ft, depth + 1) for ft in t.field_types().values())
    return False


def is_plain_value(t: "Type") -> bool:
    """A returned ``t`` holds no pointer or reference that could point into the caller's
    objects: ``void``, a value scalar (VALUE_TYPES: no pointers), a record of the program whose
    fields all are, or a system-header record in VALUE_CLASSES whose template arguments all
    are (``std::pair<int, double>``, ``std::optional<int>``; not ``std::vector<int>`` or
    ``std::string``, whose allocator and traits arguments are no value classes, nor
    ``std::array<int, 4>``, whose size argument is no type). A record without a declaration,
    anything else, or nesting deeper than four levels is not."""
    return _plain_value(t, 0)


def _plain_value(t: "Type", depth: int) -> bool:
    if depth > 4:
        return False
    kind = t.canonical.kind
    if kind == T.VOID or kind in VALUE_TYPES:
        return True
    if not t.is_record:
        return False
    decl = t.declaration
    if decl is None:
        return False
    if decl.is_in_system_header:
        return std_name(t.record_name or "") in VALUE_CLASSES and all(
            _plain_value(a, depth + 1) for a in t.template_arguments)
    return all(_plain_value(ft, depth + 1) for ft in t.field_types().values())


def runs_user_code(t: "Type") -> bool:
    """Using ``t`` (a value, reference, pointer or array of it) may run code outside the system
    headers: a function or member pointer, a record declared outside them, or a standard record
    with such a template argument. Nesting deeper than six levels is assumed to."""
    return _runs_user_code(t, 0)


def _runs_user_code(t: "Type", depth: int) -> bool:
    if depth > 6:
        return True
    t = innermost(t)
    if t.canonical.kind in _CALLABLE_TYPES:
        return True
    if not t.is_record:
        return False
    decl = t.declaration
    if decl is not None and not decl.is_in_system_header:
        return True
    return any(_runs_user_code(a, depth + 1) for a in t.template_arguments)


def has_visible_lifetime(t: Optional["Type"]) -> bool:
    """Constructing or destroying a ``t`` runs code of the program's own or has a standard
    type's visible effect (STD_EFFECTS), so the order it runs in relative to others can show:
    a record of the program with a constructor or destructor not ``= default``/``= delete``, or
    a base or field with one; a standard record in STD_EFFECTS or with such a template
    argument; an array of such. None has none; nesting deeper than four levels is assumed to."""
    return _visible_lifetime(t, 0)


def _visible_lifetime(t: Optional["Type"], depth: int) -> bool:
    if t is None or depth > 4:
        return t is not None
    if t.is_array:
        return _visible_lifetime(t.element, depth + 1)
    if not t.is_record:
        return False
    name = t.record_name or ""
    if name.startswith("std::"):
        return name in STD_EFFECTS or any(_visible_lifetime(a, depth + 1) for a in t.template_arguments)
    decl = t.declaration
    if decl is None:
        return True
    for c in decl.children:
        if c.kind in _LIFETIME_MEMBERS and c.tokens[-1:] not in (["default"], ["delete"]):
            return True
        if c.kind == K.CXX_BASE_SPECIFIER and _visible_lifetime(c.type, depth + 1):
            return True
    return any(_visible_lifetime(ft, depth + 1) for ft in t.field_types().values())


# ------------------------------------------------------------------ aliasing and scalars

def may_alias(a: "Type", b: "Type") -> bool:
    """Lvalues of ``a`` and ``b`` may alias under strict aliasing: a byte type aliases every
    type; all pointer types share one set (as gcc gives them); an enumeration only itself (by
    name); otherwise equal canonical kinds, or the signed and unsigned variants of one integer
    type. Any two records alias (their kinds are equal)."""
    if a.is_byte_like or b.is_byte_like:
        return True
    ka, kb = a.canonical.kind, b.canonical.kind
    if ka == T.POINTER and kb == T.POINTER:
        return True
    if ka == T.ENUM or kb == T.ENUM:
        return a.unqualified_name == b.unqualified_name
    return ka == kb or UNSIGNED_OF.get(ka) == kb or SIGNED_OF.get(ka) == kb


def may_modify_pointers(t: "Type") -> bool:
    """A store of ``t`` may modify a pointer object (a container's data pointers, which no
    expression names): ``t`` is a byte type or a pointer (``may_alias`` with any pointer)."""
    return t.is_byte_like or t.canonical.kind == T.POINTER


def is_scalar(t: "Type", *, kinds: frozenset = SCALAR_TYPES) -> bool:
    """The canonical kind of ``t`` is one of ``kinds``: SCALAR_TYPES (what the vectorizer holds
    in a register, pointers and enumerations included) or VALUE_TYPES (plain values: no
    pointers, no _Float16/__bf16)."""
    return t.canonical.kind in kinds


def is_undetermined(t: "Type") -> bool:
    """``t`` is known only at instantiation: a dependent type (``P::order``) or an ``auto`` not
    yet deduced (``constexpr auto o = P::order;`` in a template, ``template <auto O>``)."""
    return t.is_dependent or (t.size is None and t.canonical.kind == T.AUTO)



def written_name(t: "Type") -> str:
    """``t`` as spelled where it is used, typedefs kept (``uint8_t``, not ``unsigned char``), with
    every ``const `` and ``volatile `` taken out: the name a message gives the type of a value.
    A pointer's own qualifier (``float *const``) is followed by no space and stays."""
    s = t.spelling
    for q in ("const ", "volatile "):
        s = s.replace(q, "")
    return s

# ------------------------------------------------------------------ containers

def program_record(t: Optional["Type"]) -> Optional["Type"]:
    """``t`` itself when it is a record type of the program's own with a known size: not a
    pointer, not dependent on a template parameter, declared outside the system headers; else
    None (a standard record, a scalar, an incomplete type)."""
    if t is None or t.is_pointer or not t.is_record or t.is_dependent or t.size is None:
        return None
    decl = t.declaration
    if decl is None or decl.is_in_system_header:
        return None
    return t


SMART_POINTERS = frozenset({"std::unique_ptr", "std::shared_ptr"})


def pointee_record(t: Optional["Type"]) -> Optional["Type"]:
    """The program record (``program_record``) a pointer-like element points at: ``T*``,
    ``std::unique_ptr<T>`` or ``std::shared_ptr<T>`` (a reference looked through); None for
    anything else (a pointer to a scalar or to a standard record, ``unique_ptr<T[]>``)."""
    if t is None:
        return None
    t = t.non_reference()
    if t.is_pointer:
        return program_record(t.pointee)
    if t.is_record and t.record_name in SMART_POINTERS and t.template_arguments:
        target = t.template_arguments[0]
        return None if target.is_array else program_record(target)
    return None


def family(t: "Type") -> Optional[str]:
    """The record name of ``t``, a reference looked through: ``std::vector``,
    ``std::basic_string``, a record of the program's; None for anything else."""
    return t.non_reference().record_name


def is_pmr(t: "Type") -> bool:
    """One of ``t``'s own template arguments is ``std::pmr::polymorphic_allocator`` (a reference
    is not looked through: a reference type has no template arguments)."""
    return any(a.record_name == PMR_ALLOCATOR for a in t.template_arguments)


def is_family(t: "Type", name: str) -> bool:
    """``t`` (a reference looked through) is the standard template ``name`` with its default
    allocator, not a polymorphic one."""
    t = t.non_reference()
    return t.record_name == name and not is_pmr(t)


def contiguous_element(t: "Type") -> tuple[Optional["Type"], Optional[int]]:
    """(element, count) of an array, std::vector, std::array, std::span or
    std::inplace_vector (a reference looked through); count for arrays of known size and
    std::array (from the sizes), else None; (None, None) for anything else."""
    t = t.non_reference()
    if t.is_array:
        return t.element, t.array_size
    if t.is_record and t.record_name in CONTIGUOUS:
        args = t.template_arguments
        if not args:
            return None, None
        elem = args[0]
        count = None
        if t.record_name == "std::array" and elem.size and t.size is not None:
            count = t.size // elem.size
        return elem, count
    return None, None


def sequence_element(t: "Type") -> tuple[Optional["Type"], Optional[int]]:
    """(element, count) of a sequence a thread may index (a reference looked through): an array
    (count when known), a pointer (its pointee), a std::array, std::vector or std::span, or a
    std::unique_ptr (``unique_ptr<T[]>``: T). Only arrays give a count; (None, None) for
    anything else."""
    t = t.non_reference()
    if t.is_array:
        return t.element, t.array_size
    if t.is_pointer:
        return t.pointee, None
    if t.is_record and t.record_name in SEQUENCES and t.template_arguments:
        element = t.template_arguments[0]
        if element.is_array:
            element = element.element
        return element, None
    return None, None


def is_vector_of(t: "Type", element: "Type") -> bool:
    """``t`` (a reference looked through) is a ``std::vector`` of ``element`` (compared by
    unqualified name)."""
    t = t.non_reference()
    args = t.template_arguments if t.is_record else []
    return t.record_name == "std::vector" and bool(args) and args[0].unqualified_name == element.unqualified_name


def owned_element(t: "Type") -> Optional["Type"]:
    """The element type of a std::vector, std::array or std::basic_string (a reference looked
    through), else None."""
    t = t.non_reference()
    if t.record_name not in OWNING or not t.template_arguments:
        return None
    return t.template_arguments[0]


def holds_record(t: Optional["Type"], name: str, holders: set[str]) -> bool:
    """``t`` is the record ``name`` (by unqualified name) or one of ``holders``, or an array or
    std::array of one (up to eight levels)."""
    for _ in range(8):
        if t is None:
            return False
        if t.is_array:
            t = t.element
        elif t.record_name == "std::array" and t.template_arguments:
            t = t.template_arguments[0]
        else:
            return t.unqualified_name == name or t.unqualified_name in holders
    return False


# what integer promotion or the usual conversions turn into something else, whatever its size
_PROMOTED_KINDS = frozenset({T.BOOL, T.FLOAT, T.DOUBLE, T.LONGDOUBLE})


def survives_integer_promotion(t: Optional["Type"]) -> bool:
    """A pointer, or an integer type integer promotion leaves as it is, so ``v + 1`` has ``v``'s
    type: at least ``int``'s four bytes, and not ``bool`` (a ``short`` or a ``char`` becomes an
    ``int``). ``float``, ``double`` and ``long double`` answer False: they are no integers.
    Canonical kinds are read, so a typedef counts as what it names; any other type of four
    bytes or more (an enumeration, a record) answers True."""
    if t is None:
        return False
    return t.is_pointer or (t.size is not None and t.size >= 4 and t.canonical.kind not in _PROMOTED_KINDS)


# ------------------------------------------------------------------ atomics

def owns_atomic(t: Optional["Type"]) -> bool:
    """Objects of ``t`` hold a std::atomic, std::atomic_flag or _Atomic inline (OWNED_ATOMICS):
    it is one, or an array or record (fields, not bases) holding one, up to four levels. A
    pointer, a reference and a std::atomic_ref own none (what they reach lives elsewhere)."""
    return _owns_atomic(t, 0)


def _owns_atomic(t: Optional["Type"], depth: int) -> bool:
    if t is None or depth > 4 or t.is_reference or t.is_pointer:
        return False
    kind = t.atomic_kind
    if kind is not None:
        return kind in OWNED_ATOMICS
    if t.is_array:
        return _owns_atomic(t.element, depth + 1)
    if t.is_record:
        return any(_owns_atomic(ft, depth + 1) for ft in t.field_types().values())
    return False


# (unit, unqualified type name, depth) -> spans at offset 0: the same standard types recur in every
# record of a unit. Cleared with clear_caches(), which hotlint.clang.clear_caches() should call.
_SPANS: dict = {}
_SPANS_LIMIT = 20000


def atomic_spans(t: Optional["Type"], offset: int = 0) -> list[tuple[int, int]]:
    """(offset, size) of each owned atomic in an object of type ``t`` placed at ``offset``: a
    large member holding one atomic is written at that atomic, not across its whole span.
    Members that are arrays, bases or bitfields are skipped; so are pointers and references,
    and nesting deeper than four levels."""
    return _atomic_spans(t, offset, 0)


def _atomic_spans(t: Optional["Type"], offset: int, depth: int) -> list[tuple[int, int]]:
    if t is None or depth > 4 or t.is_reference or t.is_pointer:
        return []
    key = (t.unit_key, t.unqualified_name, depth)
    spans = _SPANS.get(key)
    if spans is None:
        if len(_SPANS) > _SPANS_LIMIT:
            _SPANS.clear()
        spans = _SPANS[key] = _atomic_spans_at_zero(t, depth)
    return [(o + offset, n) for o, n in spans]


def _atomic_spans_at_zero(t: "Type", depth: int) -> list[tuple[int, int]]:
    kind = t.atomic_kind
    if kind is not None:
        return [(0, t.size or 1)] if kind in OWNED_ATOMICS else []
    return [span for f, ft in inline_fields(t) for span in _atomic_spans(ft, f.offset, depth + 1)]


def inline_fields(t: Optional["Type"]) -> list[tuple["FieldLayout", "Type"]]:
    """(field layout, field type) of each field of the record ``t`` in layout order, leaving out
    bases, bitfields, arrays and fields whose type is not known: the members an object of ``t``
    holds one of, at a fixed offset. [] for anything but a record with a known layout."""
    if t is None or not t.is_record:
        return []
    layout = t.layout()
    if layout is None:
        return []
    types = t.field_types()
    return [(f, ft) for f in layout.fields for ft in [types.get(f.name)]
            if not (f.is_base or f.is_bitfield or ft is None or ft.is_array)]


def clear_caches() -> None:
    """Forget the atomic spans memoized per translation unit (call with hotlint.clang's)."""
    _SPANS.clear()


# ------------------------------------------------------------------ peeling

def record_beneath(t: Optional["Type"]) -> Optional[str]:
    """The unqualified name of the record ``t`` is, or points, refers or holds an array of
    (through up to eight levels), else None."""
    for _ in range(8):
        if t is None:
            return None
        if t.is_reference or t.is_pointer:
            t = t.pointee
        elif t.is_array:
            t = t.element
        else:
            return t.unqualified_name if t.is_record else None
    return None


def innermost(t: "Type") -> "Type":
    """The type a value, reference, pointer or array of ``t`` is made of: one reference, then
    up to eight levels of pointers and arrays, peeled."""
    t = t.non_reference()
    for _ in range(8):
        inner = t.pointee if t.is_pointer else t.element if t.is_array else None
        if inner is None:
            break
        t = inner
    return t


def record_types(t: "Type") -> Iterator["Type"]:
    """The record types ``t`` mentions through pointers, references, arrays and template
    arguments (the records themselves included, repeats kept), depth first, reading at most 16
    types."""
    seen = 0
    stack = [t]
    while stack and seen < 16:
        seen += 1
        cur = stack.pop()
        if cur.is_pointer or cur.is_reference:
            if cur.pointee is not None:
                stack.append(cur.pointee)
        elif cur.is_array:
            if cur.element is not None:
                stack.append(cur.element)
        elif cur.is_record:
            yield cur
            stack.extend(cur.template_arguments)


def without_arrays(t: Optional["Type"]) -> Optional["Type"]:
    """``t`` with every array level peeled (the element type of ``T[2][3]`` is ``T``)."""
    while t is not None and t.is_array:
        t = t.element
    return t
