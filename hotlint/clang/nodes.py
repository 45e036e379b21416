"""hotlint's wrappers over libclang cursors and types.

Rules see ``Node`` and ``Type``: plain Python objects with the questions a
performance rule asks (what does this expression store to, is this type an
atomic, what is this record's layout) and parent links that libclang's
expressions lack. Nothing outside ``hotlint.clang`` sees a cindex object.
"""

from __future__ import annotations

import ctypes
import re
from functools import cached_property
from typing import Iterator, Optional

from ..analysis.kinds import NodeKind, TypeKind, node_kind, type_kind
from ..model import FieldLayout, Position, Range, RecordLayout
from .libclang import cindex, file_alias

_ARRAY_KINDS = {"CONSTANTARRAY", "INCOMPLETEARRAY", "VARIABLEARRAY", "DEPENDENTSIZEDARRAY"}
_INLINE_NAMESPACES = {"__cxx11", "__1", "__debug", "__8", "_V2", "__cxx1998"}
_ATOMIC_RECORDS = {
    "std::atomic": "std::atomic",
    "std::__atomic_base": "std::atomic",
    "std::__atomic_float": "std::atomic",
    "std::__atomic_impl": "std::atomic",
    "std::__cxx_atomic_impl": "std::atomic",
    "std::atomic_ref": "std::atomic_ref",
    "std::__atomic_ref": "std::atomic_ref",
    "std::atomic_flag": "std::atomic_flag",
    "std::__atomic_flag_base": "std::atomic_flag",
}
_PADDING_NAME = re.compile(r"(^|_)(pad|padding|pad\d+|reserved|spare|unused)(_|\d|$)", re.I)
_BYTE_TYPES = {"char", "signed char", "unsigned char", "std::byte", "uint8_t", "int8_t", "std::uint8_t"}

_BINARY_SPELLING = {
    "Mul": "*", "Div": "/", "Rem": "%", "Add": "+", "Sub": "-", "Shl": "<<", "Shr": ">>",
    "Cmp": "<=>", "LT": "<", "GT": ">", "LE": "<=", "GE": ">=", "EQ": "==", "NE": "!=",
    "And": "&", "Xor": "^", "Or": "|", "LAnd": "&&", "LOr": "||", "Assign": "=",
    "MulAssign": "*=", "DivAssign": "/=", "RemAssign": "%=", "AddAssign": "+=",
    "SubAssign": "-=", "ShlAssign": "<<=", "ShrAssign": ">>=", "AndAssign": "&=",
    "XorAssign": "^=", "OrAssign": "|=", "Comma": ",", "PtrMemD": ".*", "PtrMemI": "->*",
}
_PREFIX_OPERATORS = {"++", "--", "*", "&", "!", "-", "+", "~", "__real", "__imag", "__extension__"}


_KIND_NAMES: dict[int, NodeKind] = {}
_INVALID_FIRST, _INVALID_LAST = 70, 73  # CXCursor_FirstInvalid .. CXCursor_LastInvalid


def _kind_name(kind_id: int) -> NodeKind:
    """The cursor's kind without cindex's per-access null-cursor checks (the walk's hot path)."""
    kind = _KIND_NAMES.get(kind_id)
    if kind is None:
        kind = _KIND_NAMES[kind_id] = node_kind(cindex().CursorKind.from_id(kind_id).name)
    return kind


# Kinds that never have children: asking libclang would cost a visit for nothing.
def _leaf_kinds() -> frozenset:
    ci = cindex()
    names = ("INTEGER_LITERAL", "FLOATING_LITERAL", "IMAGINARY_LITERAL", "STRING_LITERAL", "CHARACTER_LITERAL",
             "CXX_BOOL_LITERAL_EXPR", "CXX_NULL_PTR_LITERAL_EXPR", "CXX_THIS_EXPR", "GNU_NULL_EXPR",
             "TYPE_REF", "NAMESPACE_REF", "TEMPLATE_REF", "MEMBER_REF", "LABEL_REF", "VARIABLE_REF",
             "NULL_STMT", "BREAK_STMT", "CONTINUE_STMT", "TEMPLATE_TYPE_PARAMETER")
    return frozenset(getattr(ci.CursorKind, n).value for n in names if hasattr(ci.CursorKind, n))


_LEAVES: Optional[frozenset] = None
_COLLECT = None  # one ctypes callback for every visit: building a thunk per call is costly


def _collect_child(child, _parent, out):
    out.append(child)
    return 1  # CXChildVisit_Continue


def _init_visitors() -> None:
    global _LEAVES, _COLLECT
    if _LEAVES is None:
        _LEAVES = _leaf_kinds()
        _COLLECT = cindex().cursor_visit_callback(_collect_child)


def _children(cursor) -> list:
    """A cursor's children, as cindex's get_children without its per-child assertions."""
    _init_visitors()
    if cursor._kind_id in _LEAVES:
        return []
    out: list = []
    cindex().conf.lib.clang_visitChildren(cursor, _COLLECT, out)
    tu = cursor._tu
    for child in out:
        child._tu = tu
    return out


_EXPANSION = None


def file_of_cursor(cursor) -> Optional[str]:
    """The (aliased) name of the file a cursor's location expands in, or None."""
    global _EXPANSION
    ci = cindex()
    lib = ci.conf.lib
    if _EXPANSION is None:
        fn = lib.clang_getExpansionLocation
        fn.argtypes = [ci.SourceLocation, ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_void_p,
                       ctypes.c_void_p]
        fn.restype = None
        _EXPANSION = fn
    f = ctypes.c_void_p()
    _EXPANSION(lib.clang_getCursorLocation(cursor), ctypes.byref(f), None, None, None)
    if not f.value:
        return None
    tu = cursor._tu
    # file pointers are the unit's own: the table lives as long as the unit does
    names = tu.__dict__.setdefault("_hotlint_file_names", {})
    name = names.get(f.value)
    if name is None:
        name = names[f.value] = file_alias(ci._CXString.from_result(lib.clang_getFileName(ci.File(ctypes.cast(f.value, ci.c_object_p)))))
    return name


def _range_of(extent) -> Range:
    s, e = extent.start, extent.end
    return Range(Position(s.line, s.column), Position(e.line, e.column))


_QUALIFIED: dict = {}  # (translation unit, cursor hash) -> name; declarations repeat a lot
_LAYOUTS: dict = {}  # (translation unit, declaration hash, name) -> (declaration, layout); std types recur


def clear_caches() -> None:
    """Forget memoized cursors so their translation unit can be freed."""
    _QUALIFIED.clear()
    _LAYOUTS.clear()
    from ..analysis import types  # noqa: PLC0415 - the layer's per-unit memo of atomic spans

    types.clear_caches()


def qualified_name(cursor) -> str:
    """``std::vector`` for a cursor declared in ``namespace std { inline namespace __1 {``."""
    key = (id(cursor._tu), cursor.hash)
    hit = _QUALIFIED.get(key)
    if hit is not None and hit[0] == cursor:
        return hit[1]
    ci = cindex()
    parts = []
    c = cursor
    while c is not None and c.kind != ci.CursorKind.TRANSLATION_UNIT:
        name = c.spelling
        if c.kind in (ci.CursorKind.NAMESPACE,) and (name in _INLINE_NAMESPACES or not name):
            c = c.semantic_parent
            continue
        if name:
            parts.append(name)
        c = c.semantic_parent
    result = "::".join(reversed(parts))
    if len(_QUALIFIED) > 50000:
        _QUALIFIED.clear()
    _QUALIFIED[key] = (cursor, result)
    return result


class Type:
    """A C/C++ type as hotlint reasons about it."""

    __slots__ = ("_t", "__dict__")

    def __init__(self, t):
        self._t = t

    def __repr__(self) -> str:
        return f"Type({self.spelling!r})"

    @cached_property
    def spelling(self) -> str:
        return self._t.spelling

    @property
    def unit_key(self):
        """Identifies the translation unit this type belongs to, for memo keys: a weak reference,
        so a memo neither keeps the unit alive nor mistakes a later unit for it."""
        import weakref

        return weakref.ref(self._t._tu)

    @cached_property
    def canonical(self) -> "Type":
        return Type(self._t.get_canonical())

    @cached_property
    def kind(self) -> TypeKind:
        return type_kind(self._t.kind.name)

    @cached_property
    def size(self) -> Optional[int]:
        n = self._t.get_size()
        return n if n >= 0 else None

    @cached_property
    def align(self) -> Optional[int]:
        n = self._t.get_align()
        return n if n >= 0 else None

    @property
    def is_const(self) -> bool:
        return self._t.is_const_qualified()

    @property
    def is_volatile(self) -> bool:
        return self._t.is_volatile_qualified()

    @property
    def is_restrict(self) -> bool:
        return self._t.is_restrict_qualified()

    @property
    def is_pointer(self) -> bool:
        return self.canonical.kind == "POINTER"

    @property
    def is_reference(self) -> bool:
        return self.canonical.kind in ("LVALUEREFERENCE", "RVALUEREFERENCE")

    @property
    def is_array(self) -> bool:
        return self.canonical.kind in _ARRAY_KINDS

    @property
    def is_record(self) -> bool:
        return self.canonical.kind == "RECORD"

    @property
    def is_dependent(self) -> bool:
        return self.size is None and self.canonical.kind in ("UNEXPOSED", "DEPENDENT")

    @cached_property
    def pointee(self) -> Optional["Type"]:
        c = self._t.get_canonical()
        if c.kind.name in ("POINTER", "LVALUEREFERENCE", "RVALUEREFERENCE"):
            return Type(c.get_pointee())
        return None

    @cached_property
    def element(self) -> Optional["Type"]:
        c = self._t.get_canonical()
        if c.kind.name in _ARRAY_KINDS:
            return Type(c.element_type)
        return None

    @cached_property
    def array_size(self) -> Optional[int]:
        c = self._t.get_canonical()
        if c.kind.name == "CONSTANTARRAY":
            return c.element_count
        return None

    def non_reference(self) -> "Type":
        return self.pointee if self.is_reference else self

    @cached_property
    def unqualified_name(self) -> str:
        """Canonical spelling without cv-qualifiers, e.g. ``std::atomic<long>``."""
        s = self.canonical.spelling
        for q in ("const ", "volatile "):
            while s.startswith(q):
                s = s[len(q):]
        return s

    @cached_property
    def declaration(self) -> Optional["Node"]:
        d = self._t.get_canonical().get_declaration()
        if d is None or d.kind.is_invalid() or d.kind.name == "NO_DECL_FOUND":
            return None
        return Node(d, None)

    @cached_property
    def record_name(self) -> Optional[str]:
        """Qualified name of the record or its template, inline namespaces removed."""
        d = self.declaration
        if d is None or self.canonical.kind != "RECORD":
            return None
        return qualified_name(d._c)

    @cached_property
    def template_arguments(self) -> list["Type"]:
        c = self._t.get_canonical()
        n = c.get_num_template_arguments()
        return [Type(c.get_template_argument_type(i)) for i in range(max(n, 0))]

    @cached_property
    def atomic_kind(self) -> Optional[str]:
        """``std::atomic``, ``std::atomic_ref``, ``std::atomic_flag``, ``_Atomic`` or None.

        Decided from the type's declaration in namespace std (or C's ``_Atomic``),
        never from the names of the methods called on it.
        """
        t = self.non_reference() or self
        c = t._t.get_canonical()
        if c.kind.name == "ATOMIC":
            return "_Atomic"
        name = t.record_name
        if name is None:
            return None
        return _ATOMIC_RECORDS.get(name)

    @property
    def is_atomic(self) -> bool:
        return self.atomic_kind is not None

    def contains_atomic(self, depth: int = 0) -> bool:
        """True when this type is, or is a record/array holding, an atomic."""
        if self.is_atomic:
            return True
        if depth > 4:
            return False
        if self.is_array and self.element is not None:
            return self.element.contains_atomic(depth + 1)
        if self.is_record and self.atomic_kind is None:
            for f in self._t.get_canonical().get_fields():
                if Type(f.type).contains_atomic(depth + 1):
                    return True
        return False

    def field_types(self) -> dict[str, "Type"]:
        """The declared type of each named field of a complete record (instantiations
        included, where a template pattern's own field types are still dependent)."""
        if self.canonical.kind != "RECORD":
            return {}
        return {f.spelling: Type(f.type) for f in self._t.get_canonical().get_fields() if f.spelling}

    @property
    def is_byte_like(self) -> bool:
        """Types whose lvalues may alias anything: ``char``, ``unsigned char``, ``std::byte``."""
        s = self.unqualified_name
        return s in _BYTE_TYPES or self.canonical.kind in ("CHAR_S", "CHAR_U", "SCHAR", "UCHAR") or (
            self.canonical.kind == "ENUM" and self.record_or_enum_name == "std::byte"
        )

    @cached_property
    def record_or_enum_name(self) -> Optional[str]:
        d = self.declaration
        return qualified_name(d._c) if d is not None else None

    def layout(self) -> Optional[RecordLayout]:
        return record_layout(self)


# The most tokens of one attribute read for its name and arguments (Node._attribute_tokens).
_ATTRIBUTE_TOKENS = 64
# How many more bytes a cursor's raw range may spell than its expansion covers before it is taken
# for one that runs from a macro's definition to its use (see _runs_away).
_RUNAWAY_BYTES = 4096


def _spelling(loc) -> tuple[Optional[int], int]:
    """(file handle, offset) of where ``loc`` is spelled: inside a macro's definition for a
    location in its expansion."""
    f, line, col, off = ctypes.c_void_p(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    cindex().conf.lib.clang_getSpellingLocation(loc, ctypes.byref(f), ctypes.byref(line), ctypes.byref(col),
                                                ctypes.byref(off))
    return f.value, off.value


def _runs_away(start, end) -> bool:
    """A cursor whose range starts in a macro's definition and ends at or past the macro's use
    (``MEM_STATIC size_t f(...) { ... }`` with ``#define MEM_STATIC static inline``): tokenized
    raw, it reads everything between the two (zstd.c: 200,000 tokens per function)."""
    if start.file is None or end.file is None:
        return False
    (f0, s0), (f1, s1) = _spelling(start), _spelling(end)
    return f0 is not None and f0 == f1 and s1 - s0 > max(end.offset - start.offset, 0) + _RUNAWAY_BYTES


def _expansion(tu, loc):
    """``loc`` moved to where it is expanded (a macro's use), as a plain file location."""
    return cindex().SourceLocation.from_offset(tu, loc.file, loc.offset)


def _tokens(cursor):
    """The cursor's tokens; for one whose range runs away from a macro's definition, those of its
    expansion's range (where the macro is used) instead."""
    e = cursor.extent
    if not _runs_away(e.start, e.end):
        return cursor.get_tokens()
    ci = cindex()
    tu = cursor._tu
    return ci.TokenGroup.get_tokens(tu, ci.SourceRange.from_locations(_expansion(tu, e.start), _expansion(tu, e.end)))


class Node:
    """A cursor in the main file, with a parent link."""

    __slots__ = ("_c", "parent", "_children", "__dict__")

    def __init__(self, cursor, parent: Optional["Node"]):
        self._c = cursor
        self.parent = parent
        self._children: Optional[list[Node]] = None
        self.kind: NodeKind = _kind_name(cursor._kind_id)

    def __repr__(self) -> str:
        r = self.range
        return f"Node({self.kind} {self.spelling!r} @{r.start.line}:{r.start.column})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Node) and self._c == other._c

    def __hash__(self) -> int:
        return self._c.hash

    # ---- identity and position
    @cached_property
    def spelling(self) -> str:
        ci = cindex()
        return ci._CXString.from_result(ci.conf.lib.clang_getCursorSpelling(self._c))

    @cached_property
    def displayname(self) -> str:
        return self._c.displayname

    @cached_property
    def range(self) -> Range:
        return _range_of(self._c.extent)

    @cached_property
    def location(self) -> Position:
        loc = self._c.location
        return Position(loc.line, loc.column)

    @cached_property
    def name_range(self) -> Range:
        """The range of the declared name (for declarations) or the whole node."""
        loc = self._c.location
        if self.spelling and self.is_declaration:
            return Range(Position(loc.line, loc.column), Position(loc.line, loc.column + len(self.spelling.encode())))
        return self.range

    @cached_property
    def file(self) -> Optional[str]:
        """The file of the node's expansion location (as cindex's ``location.file``), by one
        libclang call and a per-unit table of names: rules ask it of thousands of nodes."""
        return file_of_cursor(self._c)

    @property
    def is_declaration(self) -> bool:
        return self._c.kind.is_declaration()

    @property
    def is_expression(self) -> bool:
        return self._c.kind.is_expression()

    @property
    def is_statement(self) -> bool:
        return self._c.kind.is_statement()

    @property
    def is_definition(self) -> bool:
        return self._c.is_definition()

    @cached_property
    def type(self) -> Type:
        t = cindex().conf.lib.clang_getCursorType(self._c)
        t._tu = self._c._tu
        return Type(t)

    @cached_property
    def result_type(self) -> Type:
        return Type(self._c.result_type)

    @cached_property
    def qualified_name(self) -> str:
        return qualified_name(self._c)

    @cached_property
    def usr(self) -> str:
        """clang's Unified Symbol Resolution of a declaration: the same string for the same entity
        in every translation unit ("" for a node that declares nothing), so definitions and call
        sites found in different files can be joined (``analysis.hotness``)."""
        return self._c.get_usr() or ""

    # ---- tree
    @property
    def children(self) -> list["Node"]:
        if self._children is None:
            self._children = [Node(c, self) for c in _children(self._c)]
        return self._children

    def walk(self) -> Iterator["Node"]:
        """Pre-order walk of this node and everything below it."""
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    def ancestors(self) -> Iterator["Node"]:
        p = self.parent
        while p is not None:
            yield p
            p = p.parent

    def is_within(self, other: "Node") -> bool:
        return any(a is other for a in self.ancestors())

    @cached_property
    def referenced(self) -> Optional["Node"]:
        r = cindex().conf.lib.clang_getCursorReferenced(self._c)
        if _INVALID_FIRST <= r._kind_id <= _INVALID_LAST:  # the null cursor is InvalidFile
            return None
        r._tu = self._c._tu
        if r == self._c:
            return self
        return Node(r, None)

    @cached_property
    def definition(self) -> Optional["Node"]:
        d = self._c.get_definition()
        return Node(d, None) if d is not None else None

    @cached_property
    def semantic_parent(self) -> Optional["Node"]:
        p = cindex().conf.lib.clang_getCursorSemanticParent(self._c)
        if _INVALID_FIRST <= p._kind_id <= _INVALID_LAST:
            return None
        p._tu = self._c._tu
        return Node(p, None)

    @cached_property
    def lexical_parent(self) -> Optional["Node"]:
        p = self._c.lexical_parent
        return Node(p, None) if p is not None else None

    @cached_property
    def tokens(self) -> list[str]:
        return [t.spelling for t in _tokens(self._c)]

    @cached_property
    def token_positions(self) -> list[tuple[str, Position]]:
        out = []
        for t in _tokens(self._c):
            loc = t.location
            out.append((t.spelling, Position(loc.line, loc.column)))
        return out

    @cached_property
    def leading_token(self) -> Optional[str]:
        """The token written at the node's start, also when the node comes from a macro
        expansion (``atomic_load`` for ``atomic_load(&x)``, whose expansion has no tokens)."""
        ci = cindex()
        start = self._c.extent.start
        if start.file is None:
            return None
        tu = self._c.translation_unit
        a = ci.SourceLocation.from_position(tu, start.file, start.line, start.column)
        b = ci.SourceLocation.from_position(tu, start.file, start.line, start.column + 1)
        for t in tu.get_tokens(extent=ci.SourceRange.from_locations(a, b)):
            return t.spelling
        return None

    def header_token_positions(self, stop: "Node") -> list[tuple[str, Position]]:
        """Tokens from this node's start up to where ``stop`` (a child) begins."""
        ci = cindex()
        start = self._c.extent.start
        if _runs_away(start, self._c.extent.end):
            start = _expansion(self._c._tu, start)
        extent = ci.SourceRange.from_locations(start, stop._c.extent.start)
        out = []
        for t in ci.TokenGroup.get_tokens(self._c._tu, extent):
            loc = t.location
            out.append((t.spelling, Position(loc.line, loc.column)))
        return out

    @property
    def is_written(self) -> bool:
        """False for implicit nodes such as a defaulted argument (no tokens of its own)."""
        return bool(self.tokens)

    @cached_property
    def arguments(self) -> list["Node"]:
        """Call arguments as children of this node (defaulted ones included, see is_written)."""
        if self.kind != "CALL_EXPR":
            return []
        args = list(self._c.get_arguments())
        by_cursor = {c._c.hash: c for c in self.children}
        out = []
        for a in args:
            n = by_cursor.get(a.hash)
            out.append(n if n is not None else Node(a, self))
        return out

    @cached_property
    def constant_value(self) -> Optional[int]:
        """The integer (or enumerator, or ``bool``) value clang's constant evaluator gives this
        expression or variable initializer; None when it is not an integer constant."""
        lib = cindex().conf.lib
        evaluate = lib.clang_Cursor_Evaluate
        evaluate.argtypes = [cindex().Cursor]
        evaluate.restype = ctypes.c_void_p
        result = evaluate(self._c)
        if not result:
            return None
        try:
            kind = lib.clang_EvalResult_getKind
            kind.argtypes, kind.restype = [ctypes.c_void_p], ctypes.c_int
            if kind(result) != 1:  # CXEval_Int
                return None
            unsigned = lib.clang_EvalResult_isUnsignedInt
            unsigned.argtypes, unsigned.restype = [ctypes.c_void_p], ctypes.c_uint
            if unsigned(result):
                get = lib.clang_EvalResult_getAsUnsigned
                get.argtypes, get.restype = [ctypes.c_void_p], ctypes.c_ulonglong
            else:
                get = lib.clang_EvalResult_getAsLongLong
                get.argtypes, get.restype = [ctypes.c_void_p], ctypes.c_longlong
            return int(get(result))
        finally:
            dispose = lib.clang_EvalResult_dispose
            dispose.argtypes, dispose.restype = [ctypes.c_void_p], None
            dispose(result)

    @cached_property
    def operator(self) -> Optional[str]:
        """The operator of a unary, binary or compound-assignment expression."""
        if self.kind in ("BINARY_OPERATOR", "COMPOUND_ASSIGNMENT_OPERATOR"):
            return _BINARY_SPELLING.get(self._c.binary_operator.name)
        if self.kind == "UNARY_OPERATOR":
            toks = self.tokens
            if not toks:
                return None
            if toks[0] in _PREFIX_OPERATORS:
                return toks[0]
            if toks[-1] in ("++", "--"):
                return "post" + toks[-1]
        if self.kind == "CALL_EXPR" and self.spelling.startswith("operator"):
            name = self.spelling[len("operator"):].strip()
            return name
        return None

    def attribute_names(self) -> set[str]:
        """Attributes on a declaration: 'hot', 'cold', 'aligned', 'packed', ..."""
        names = set()
        for c in self.children:
            if not c._c.kind.is_attribute():
                continue
            if c.kind == "ALIGNED_ATTR":
                names.add("aligned")
            elif c.kind == "PACKED_ATTR":
                names.add("packed")
            else:
                for t in c._attribute_tokens():
                    if t.isidentifier() and t not in ("gnu", "clang"):
                        names.add(t.strip("_"))
        return names

    def _attribute_tokens(self) -> list[str]:
        """The tokens of this attribute's own spelling: its name and its argument list. The
        extent of an attribute written through a macro (``#define HOT __attribute__((hot))``)
        runs from the attribute in the macro's definition to the macro's use, with everything
        between (zstd.c: 200,000 tokens for each function, and every identifier in them taken
        for an attribute): read lazily, the name and its balanced argument list only."""
        out: list[str] = []
        depth = 0
        for t in self._c.get_tokens():
            s = t.spelling
            if not out and s in ("gnu", "clang", "::"):
                continue
            if out and depth == 0 and s != "(":
                break  # a name without an argument list
            out.append(s)
            depth += (s == "(") - (s == ")")
            if depth <= 0 and len(out) > 1 or len(out) >= _ATTRIBUTE_TOKENS:
                break  # the argument list closed
        return out

    @cached_property
    def storage(self) -> str:
        """'static', 'thread_local', 'extern' or 'auto' for variables."""
        if self.kind != "VAR_DECL":
            return "auto"
        if self._c.tls_kind.name != "NONE":
            return "thread_local"
        sc = self._c.storage_class.name
        return {"STATIC": "static", "EXTERN": "extern"}.get(sc, "auto")

    @property
    def is_virtual(self) -> bool:
        return self.kind == "CXX_METHOD" and self._c.is_virtual_method()

    @property
    def is_const_method(self) -> bool:
        """A member function (or conversion function) declared ``const``."""
        return self.kind in ("CXX_METHOD", "CONVERSION_FUNCTION") and self._c.is_const_method()

    @property
    def is_in_system_header(self) -> bool:
        return self._c.location.is_in_system_header

    @cached_property
    def template_kind(self) -> Optional[str]:
        """The kind of the template this declaration instantiates, if any."""
        t = specialized_template(self._c)
        return t.kind.name if t is not None else None

    def is_same_declaration(self, other: Optional["Node"]) -> bool:
        return other is not None and self._c.canonical == other._c.canonical


def specialized_template(cursor):
    """The template a specialization was instantiated from, or None."""
    try:
        t = cindex().conf.lib.clang_getSpecializedCursorTemplate(cursor)
        if t is None or t.kind.is_invalid():
            return None
    except Exception:  # a null cursor
        return None
    return t


def _explicit_alignment(cursor) -> Optional[int]:
    """The value of an ``alignas(N)`` / ``aligned(N)`` on a declaration, -1 if not a literal."""
    ci = cindex()
    found = None
    for c in cursor.get_children():
        if c.kind == ci.CursorKind.ALIGNED_ATTR:
            found = -1
            break
    if found is None:
        return None
    toks = [t.spelling for t in cursor.get_tokens()]
    for i, t in enumerate(toks):
        if t in ("alignas", "aligned", "__aligned__") and i + 2 < len(toks) and toks[i + 1] == "(":
            lit = toks[i + 2]
            try:
                return int(lit.rstrip("uUlL"), 0)
            except ValueError:
                return -1
    return -1


def _padding_member(name: str, t: Type) -> bool:
    if not t.is_array or t.element is None:
        return False
    return t.element.is_byte_like and bool(_PADDING_NAME.search(name))


def record_layout(t: Type) -> Optional[RecordLayout]:
    """The real layout of a complete record type, as the compiler lays it out."""
    canon = t._t.get_canonical()
    if canon.kind.name != "RECORD":
        return None
    decl = canon.get_declaration()
    key = (id(decl._tu), decl.hash, t.unqualified_name)
    hit = _LAYOUTS.get(key)
    if hit is not None and hit[0] == decl:
        return hit[1]
    layout = _measure_layout(t)
    _LAYOUTS[key] = (decl, layout)
    return layout


def _measure_layout(t: Type) -> Optional[RecordLayout]:
    ci = cindex()
    canon = t._t.get_canonical()
    if canon.kind.name != "RECORD":
        return None
    size, align = canon.get_size(), canon.get_align()
    if size < 0 or align < 0:
        return None  # incomplete or dependent
    decl = canon.get_declaration()
    fields: list[FieldLayout] = []
    for base in decl.get_children():
        if base.kind != ci.CursorKind.CXX_BASE_SPECIFIER:
            continue
        try:
            off = base.get_base_offsetof(decl)
        except Exception:
            continue
        bt = Type(base.type)
        if off < 0 or bt.size is None:
            continue
        fields.append(
            FieldLayout(
                name=f"<base {bt.spelling}>",
                type_name=bt.spelling,
                offset=off // 8,
                size=bt.size,
                align=bt.align or 1,
                range=_range_of(base.extent),
                is_atomic=bt.contains_atomic(),
                is_base=True,
            )
        )
    for f in canon.get_fields():
        ft = Type(f.type)
        off_bits = f.get_field_offsetof()
        if off_bits < 0:
            return None
        bitfield = f.is_bitfield()
        width = f.get_bitfield_width() if bitfield else 0
        fsize = ft.size if ft.size is not None else 0
        fields.append(
            FieldLayout(
                name=f.spelling or "<anonymous>",
                type_name=ft.spelling,
                offset=off_bits // 8,
                size=(max(1, (off_bits % 8 + width + 7) // 8) if bitfield else fsize),
                align=ft.align or 1,
                range=_range_of(f.extent),
                is_atomic=ft.is_atomic,
                explicit_align=_explicit_alignment(f),
                is_bitfield=bitfield,
                bit_offset=off_bits,
                bit_width=width,
                is_padding_array=_padding_member(f.spelling, ft),
            )
        )
    attrs = {c.kind.name for c in decl.get_children() if c.kind.is_attribute()}
    natural = max((f.align for f in fields if f.explicit_align is None), default=1)
    misaligned = any(not f.is_bitfield and f.offset % f.align for f in fields)
    packed = "PACKED_ATTR" in attrs or misaligned or (fields and align < natural)
    first_offset = min((f.offset for f in fields), default=0)
    kind = {"STRUCT_DECL": "struct", "CLASS_DECL": "class", "UNION_DECL": "union"}.get(decl.kind.name, "struct")
    return RecordLayout(
        name=t.unqualified_name,
        kind=kind,
        size=size,
        align=align,
        fields=tuple(fields),
        range=_range_of(decl.extent),
        name_range=Node(decl, None).name_range,
        explicit_align=_explicit_alignment(decl),
        packed=bool(packed),
        is_template_instantiation=specialized_template(decl) is not None,
        is_union=kind == "union",
        has_vtable=bool(fields) and first_offset > 0 and not any(f.is_base and f.offset == 0 for f in fields),
    )


class PatternType(Type):
    """The type of a class template's pattern, as far as ``pattern_layout`` lays it out: its field
    types are the pattern's own declared types (libclang gives the pattern no record type)."""

    __slots__ = ("_pattern",)

    def __init__(self, pattern: Node):
        super().__init__(pattern._c.type)
        self._pattern = pattern

    def field_types(self) -> dict[str, "Type"]:
        ci = cindex()
        return {f.spelling: Type(f.type) for f in self._pattern._c.get_children()
                if f.kind == ci.CursorKind.FIELD_DECL and f.spelling}


def pattern_layout(pattern: Node) -> Optional[RecordLayout]:
    """The layout of a class template's leading fields, those whose offsets do not depend on its
    parameters: every field up to the first whose type does (``std::vector<T>``, ``T``), laid out by
    the usual rules from their sizes and alignments. None when no field is fixed, or when the
    template has bases, virtual functions or bit-fields (their placement is the compiler's).

    ``align`` is the largest alignment of those fields (the parameters can only raise it), ``size``
    ends at the last of them; ``is_template_instantiation`` is false and the record's name is the
    template's. Only the offsets of these fields are facts about every instantiation."""
    ci = cindex()
    c = pattern._c
    fields: list[FieldLayout] = []
    offset, align = 0, 1
    for f in c.get_children():
        kind = f.kind
        if kind == ci.CursorKind.CXX_BASE_SPECIFIER:
            return None
        if kind in (ci.CursorKind.CXX_METHOD, ci.CursorKind.DESTRUCTOR) and f.is_virtual_method():
            return None
        if kind != ci.CursorKind.FIELD_DECL:
            continue
        if f.is_bitfield():
            return None
        ft = Type(f.type)
        if ft.size is None or ft.align is None:
            break  # this field's size depends on the parameters: so does every later offset
        explicit = _explicit_alignment(f)
        if explicit == -1:
            break
        falign = max(ft.align, explicit or 1)
        offset = -(-offset // falign) * falign
        fields.append(FieldLayout(
            name=f.spelling or "<anonymous>", type_name=ft.spelling, offset=offset, size=ft.size, align=falign,
            range=_range_of(f.extent), is_atomic=ft.is_atomic, explicit_align=explicit,
            is_padding_array=_padding_member(f.spelling, ft)))
        offset += ft.size
        align = max(align, falign)
    if not fields:
        return None
    explicit_record = _explicit_alignment(c)
    if explicit_record == -1:
        return None
    align = max(align, explicit_record or 1)
    kind = "class" if _starts_with_class(pattern) else "struct"
    return RecordLayout(
        name=pattern.qualified_name or pattern.spelling, kind=kind, size=-(-offset // align) * align, align=align,
        fields=tuple(fields), range=_range_of(c.extent), name_range=pattern.name_range,
        explicit_align=explicit_record)


def _starts_with_class(pattern: Node) -> bool:
    """Whether the template's record is introduced by `class` (the word before its name)."""
    previous = None
    for tok in pattern._c.get_tokens():
        if tok.spelling == pattern.spelling and previous in ("class", "struct", "union"):
            return previous == "class"
        previous = tok.spelling
    return False
