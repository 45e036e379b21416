"""The main file as rules see it: declarations, functions, loops, records,
atomic operations and call sites, gathered in one walk over the file's own
declarations (never the headers it includes).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

from .clang.nodes import Node, Type
from .model import RecordLayout

LOOP_KINDS = frozenset({"FOR_STMT", "CXX_FOR_RANGE_STMT", "WHILE_STMT", "DO_STMT"})
FUNCTION_KINDS = frozenset(
    {"FUNCTION_DECL", "CXX_METHOD", "CONSTRUCTOR", "DESTRUCTOR", "CONVERSION_FUNCTION",
     "FUNCTION_TEMPLATE", "LAMBDA_EXPR"}
)
RECORD_KINDS = frozenset({"STRUCT_DECL", "CLASS_DECL", "UNION_DECL"})
_TYPED_DECLS = frozenset({"VAR_DECL", "FIELD_DECL", "PARM_DECL", "TYPEDEF_DECL", "TYPE_ALIAS_DECL"})

MEMORY_ORDERS = ("relaxed", "consume", "acquire", "release", "acq_rel", "seq_cst")

# Member operations of std::atomic / atomic_ref / atomic_flag and whether they
# take memory-order arguments.
_ORDERED_MEMBERS = {
    "load", "store", "exchange", "compare_exchange_weak", "compare_exchange_strong",
    "fetch_add", "fetch_sub", "fetch_and", "fetch_or", "fetch_xor", "fetch_max", "fetch_min",
    "test_and_set", "clear", "test", "wait",
}
_OPERATOR_KINDS = {
    "operator++": "increment", "operator--": "decrement", "operator=": "store",
    "operator+=": "fetch_add", "operator-=": "fetch_sub", "operator&=": "fetch_and",
    "operator|=": "fetch_or", "operator^=": "fetch_xor",
}


@dataclass(eq=False)
class Function:
    node: Node
    name: str
    qualified_name: str
    is_hot: bool = False
    is_cold: bool = False

    @property
    def params(self) -> list[Node]:
        return [c for c in self.node.children if c.kind == "PARM_DECL"]

    @property
    def body(self) -> Optional[Node]:
        for c in reversed(self.node.children):
            if c.kind == "COMPOUND_STMT":
                return c
        return None


@dataclass(eq=False)
class Loop:
    node: Node
    depth: int  # 1 for an outermost loop of its function
    function: Optional[Function]
    parent: Optional["Loop"] = None

    @property
    def kind(self) -> str:
        return {"FOR_STMT": "for", "CXX_FOR_RANGE_STMT": "range-for", "WHILE_STMT": "while",
                "DO_STMT": "do"}[self.node.kind]

    @property
    def body(self) -> Optional[Node]:
        kids = self.node.children
        if not kids:
            return None
        return kids[0] if self.node.kind == "DO_STMT" else kids[-1]

    def parts(self) -> dict[str, Optional[Node]]:
        """init / condition / increment / body (for), variable / range (range-for)."""
        cached = self.__dict__.get("_parts")
        if cached is None:
            cached = self.__dict__["_parts"] = self._compute_parts()
        return cached

    def _compute_parts(self) -> dict[str, Optional[Node]]:
        n, kids = self.node, self.node.children
        out: dict[str, Optional[Node]] = {"init": None, "condition": None, "increment": None,
                                          "body": self.body, "variable": None, "range": None}
        if n.kind == "CXX_FOR_RANGE_STMT":
            decls = [k for k in kids[:-1] if k.kind == "VAR_DECL"]
            exprs = [k for k in kids[:-1] if k.kind != "VAR_DECL"]
            out["variable"] = decls[-1] if decls else None
            out["range"] = exprs[-1] if exprs else None
        elif n.kind == "WHILE_STMT":
            out["condition"] = kids[-2] if len(kids) >= 2 else None
        elif n.kind == "DO_STMT":
            out["condition"] = kids[1] if len(kids) >= 2 else None
        elif n.kind == "FOR_STMT":
            semis = for_semicolons(n)
            for k in kids[:-1]:
                if len(semis) < 2:
                    break
                if k.range.start < semis[0]:
                    out["init"] = k
                elif k.range.start < semis[1]:
                    out["condition"] = k
                else:
                    out["increment"] = k
        return out

    @property
    def condition(self) -> Optional[Node]:
        return self.parts()["condition"]


def for_semicolons(node: Node) -> list:
    """Positions of the two `;` of a for-statement's header (fewer for a malformed one)."""
    # only the loop header: tokenizing the whole statement would re-lex its body
    body = node.children[-1] if node.children else None
    tokens = node.header_token_positions(body) if body is not None else node.token_positions
    depth, found = 0, []
    for spelling, pos in tokens:
        if spelling == "(":
            depth += 1
        elif spelling == ")":
            depth -= 1
            if depth == 0:
                break
        elif spelling == ";" and depth == 1:
            found.append(pos)
    return found


@dataclass(eq=False)
class AtomicOp:
    """An atomic operation and the memory order it runs with."""

    node: Node
    operation: str  # load, store, exchange, fetch_add, compare_exchange_weak, increment, ...
    api: str  # member, operator, conversion, free, builtin, c11
    orders: tuple[str, ...]  # written orders (short names), empty when defaulted
    defaulted: bool  # True when at least one order is seq_cst only because none was written
    object: Optional[Node]  # the atomic object expression, when visible
    atomic_type: Optional[Type]
    function: Optional[Function] = None
    loop: Optional[Loop] = None

    @property
    def target(self) -> Optional[Node]:
        """The declaration of the atomic variable or member operated on, if named."""
        obj = self.object
        while obj is not None and obj.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and obj.children:
            obj = obj.children[0]
        if obj is not None and obj.kind == "UNARY_OPERATOR" and obj.operator in ("&", "*") and obj.children:
            # &x names x; *p names the pointer p, so ops through one pointer group together.
            return AtomicOp(obj.children[0], "", "", (), False, obj.children[0], None).target
        if obj is not None and obj.kind in ("DECL_REF_EXPR", "MEMBER_REF_EXPR"):
            return obj.referenced
        if obj is not None and obj.kind == "ARRAY_SUBSCRIPT_EXPR" and obj.children:
            return AtomicOp(obj.children[0], "", "", (), False, obj.children[0], None).target
        return None


@dataclass(eq=False)
class CallSite:
    node: Node
    function: Optional[Function] = None
    loop: Optional[Loop] = None

    @property
    def name(self) -> str:
        return self.node.spelling

    @property
    def callee(self) -> Optional[Node]:
        return self.node.referenced

    @property
    def qualified_name(self) -> str:
        callee = self.callee
        return callee.qualified_name if callee is not None else self.name

    @property
    def arguments(self) -> list[Node]:
        return self.node.arguments


@dataclass(eq=False)
class Record:
    layout: RecordLayout
    node: Optional[Node]  # the definition in the main file (template pattern for instantiations)
    type: Type


@dataclass
class Settings:
    """What rules may read about the run (the engine fills this from the config)."""

    cache_line_size: int = 64
    hot_functions: tuple[str, ...] = ()
    cold_functions: tuple[str, ...] = ()
    rule_options: dict[str, dict] = field(default_factory=dict)


class FileView:
    """hotlint's view of one main file."""

    def __init__(self, path: str, text: str, roots: list[Node], settings: Settings,
                 layouts_trusted: bool = True, language: str = "c++"):
        self.path = path
        self.text = text
        self.lines = text.splitlines()
        self.roots = roots
        self.settings = settings
        self.layouts_trusted = layouts_trusted
        self.language = language
        self.functions: list[Function] = []
        self.loops: list[Loop] = []
        self.records: list[Record] = []
        self.atomic_ops: list[AtomicOp] = []
        self.calls: list[CallSite] = []
        self._by_kind: dict[str, list[Node]] = {}
        self._function_of: dict[int, Function] = {}
        self._loop_of: dict[int, Loop] = {}
        # C11 _Atomic objects need a type check on every operator; skip it where none can occur.
        self._c11 = language == "c" or "_Atomic" in text
        self._walk()

    # ---- queries rules use
    def nodes(self, *kinds: str) -> list[Node]:
        """Every node of these kinds in the main file, in source order."""
        if len(kinds) == 1:
            return list(self._by_kind.get(kinds[0], ()))
        out = [n for k in kinds for n in self._by_kind.get(k, ())]
        out.sort(key=lambda n: n.range.start)
        return out

    def declarations(self) -> Iterator[Node]:
        return iter(self.roots)

    def enclosing_function(self, node: Node) -> Optional[Function]:
        for a in [node, *node.ancestors()]:
            f = self._function_of.get(id(a))
            if f is not None:
                return f
        return None

    def enclosing_loop(self, node: Node) -> Optional[Loop]:
        """The innermost loop whose body or condition executes ``node`` repeatedly."""
        for a in node.ancestors():
            if a.kind in FUNCTION_KINDS:
                return None
            loop = self._loop_of.get(id(a))
            if loop is not None and not _is_loop_init(loop, node):
                return loop
        return None

    def enclosing_loops(self, node: Node) -> list[Loop]:
        """Innermost first."""
        out = []
        loop = self.enclosing_loop(node)
        while loop is not None:
            out.append(loop)
            loop = loop.parent
        return out

    def record_for(self, t: Type) -> Optional[Record]:
        name = t.non_reference().unqualified_name if t.non_reference() else t.unqualified_name
        for r in self.records:
            if r.layout.name == name:
                return r
        layout = t.layout()
        return Record(layout, t.declaration, t) if layout else None

    def option(self, rule: str, name: str, default):
        return self.settings.rule_options.get(rule, {}).get(name, default)

    def hotness(self, node: Node) -> int:
        """Loop depth, raised for hot functions and lowered for cold ones."""
        loop = self.enclosing_loop(node)
        score = loop.depth if loop else 0
        fn = self.enclosing_function(node)
        while fn is not None and fn.node.kind == "LAMBDA_EXPR":
            outer = self.enclosing_function(fn.node.parent) if fn.node.parent else None
            if outer is None:
                break
            fn = outer
        if fn is not None:
            if fn.is_hot:
                score += 2
            if fn.is_cold:
                score -= 2
        return score

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    # ---- the walk
    def _walk(self) -> None:
        seen_types: dict[str, Type] = {}
        pattern_names = set()
        typed_decls: list[Node] = []
        for root in self.roots:
            stack: list[tuple[Node, Optional[Function], Optional[Loop]]] = [(root, None, None)]
            while stack:
                node, fn, loop = stack.pop()
                kind = node.kind
                self._by_kind.setdefault(kind, []).append(node)
                if kind in FUNCTION_KINDS and (node.is_definition or kind == "LAMBDA_EXPR"):
                    fn = self._make_function(node)
                    self._function_of[id(node)] = fn
                    self.functions.append(fn)
                    loop = None  # a lambda's or local class's body is not the loop's body
                elif kind in LOOP_KINDS:
                    loop = Loop(node, (loop.depth + 1) if loop else 1, fn, loop)
                    self._loop_of[id(node)] = loop
                    self.loops.append(loop)
                elif kind == "CALL_EXPR":
                    self._call(node, fn, loop)
                elif kind in ("UNARY_OPERATOR", "COMPOUND_ASSIGNMENT_OPERATOR", "BINARY_OPERATOR",
                              "UNEXPOSED_EXPR"):
                    self._c11_atomic(node, fn, loop)
                if kind in RECORD_KINDS and node.is_definition:
                    self._record(node)
                elif kind == "CLASS_TEMPLATE":
                    pattern_names.add(node.spelling)
                if kind in _TYPED_DECLS:
                    typed_decls.append(node)
                stack.extend((c, fn, loop) for c in reversed(node.children))
        if pattern_names:
            for decl in typed_decls:
                for cand in _record_types(decl.type):
                    seen_types.setdefault(cand.unqualified_name, cand)
            self._instantiations(seen_types, pattern_names)
        # the walk is pre-order over roots in source order: every list is already in source order

    def _make_function(self, node: Node) -> Function:
        attrs = node.attribute_names() if node.kind != "LAMBDA_EXPR" else set()
        name = node.spelling or "<lambda>"
        qname = node.qualified_name if node.kind != "LAMBDA_EXPR" else "<lambda>"
        hot = "hot" in attrs or _matches(self.settings.hot_functions, name, qname)
        cold = "cold" in attrs or _matches(self.settings.cold_functions, name, qname)
        return Function(node, name, qname, hot, cold)

    def _record(self, node: Node) -> None:
        t = node.type
        if t.is_dependent:
            return
        layout = t.layout()
        if layout is not None:
            self.records.append(Record(layout, node, t))

    def _instantiations(self, seen: dict[str, Type], patterns: set[str]) -> None:
        """Layouts of main-file class templates as instantiated by this file."""
        if not patterns:
            return
        have = {r.layout.name for r in self.records}
        for name, t in sorted(seen.items()):
            if name in have:
                continue
            decl = t.declaration
            if decl is None or decl.file is None or decl.template_kind is None:
                continue
            if decl.spelling not in patterns or not _same_file(decl.file, self.path):
                continue
            layout = t.layout()
            if layout is not None:
                pattern = next((n for n in self._by_kind.get("CLASS_TEMPLATE", [])
                                if n.spelling == decl.spelling), None)
                self.records.append(Record(layout, pattern, t))
                have.add(name)

    def _call(self, node: Node, fn: Optional[Function], loop: Optional[Loop]) -> None:
        site = CallSite(node, fn, loop)
        self.calls.append(site)
        name = site.name
        # resolving a callee costs a libclang round trip: only names an atomic operation can have
        # (a member call in a template, resolved only at instantiation, has no name yet)
        if not (name in _ORDERED_MEMBERS or name in _OPERATOR_KINDS or not name
                or name.startswith(("operator ", "__sync_", "__c11_atomic", "__atomic", "atomic_"))):
            return
        op = _atomic_call(node, site.callee, site.qualified_name)
        if op is not None:
            op.function, op.loop = fn, loop
            self.atomic_ops.append(op)

    def _c11_atomic(self, node: Node, fn, loop) -> None:
        if not self._c11:
            return
        op = _c11_atomic_op(node)
        if op is not None:
            op.function, op.loop = fn, loop
            self.atomic_ops.append(op)


def _is_loop_init(loop: Loop, node: Node) -> bool:
    """Nodes in a for-loop's init run once; a range-for's range expression runs once."""
    parts = loop.parts()
    for key in ("init", "range"):
        part = parts[key]
        if part is not None and (node is part or node.is_within(part)):
            return True
    return False


def _matches(patterns: Iterable[str], name: str, qname: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(qname, p) for p in patterns)


def _same_file(a: str, b: str) -> bool:
    import os

    return os.path.abspath(a) == os.path.abspath(b)


def _record_types(t: Type) -> Iterator[Type]:
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


def order_name(node: Node) -> Optional[str]:
    """``release`` for an argument spelled ``std::memory_order_release`` or ``memory_order::release``."""
    toks = node.tokens
    if not toks:
        return None
    last = toks[-1]
    for order in MEMORY_ORDERS:
        if last in (f"memory_order_{order}", order, f"__ATOMIC_{order.upper()}"):
            return order
    return "other"


def _is_order_typed(node: Node) -> bool:
    name = node.type.unqualified_name
    return name in ("std::memory_order", "memory_order", "std::__memory_order") or name.endswith("memory_order")


# Legacy builtins that are not full barriers (GCC's manual: an acquire and a release barrier).
_SYNC_ORDERS = {"lock_test_and_set": "acquire", "lock_release": "release"}


def _atomic_call(node: Node, callee: Optional[Node], qname: str) -> Optional[AtomicOp]:
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
        return _dependent_atomic_call(node)
    if callee.kind in ("CXX_METHOD", "CONVERSION_FUNCTION"):
        parent = callee.semantic_parent
        if parent is None:
            return None
        ptype = parent.type
        if not ptype.is_atomic:
            return None
        kids = node.children
        obj = None
        if kids and kids[0].kind == "MEMBER_REF_EXPR" and kids[0].children:
            obj = kids[0].children[0]
        elif kids and name.startswith("operator"):
            obj = kids[0]
        if callee.kind == "CONVERSION_FUNCTION":
            return AtomicOp(node, "load", "conversion", (), True, obj, ptype)
        if name in _OPERATOR_KINDS:
            return AtomicOp(node, _OPERATOR_KINDS[name], "operator", (), True, obj, ptype)
        if name in _ORDERED_MEMBERS:
            order_args = [a for a in node.arguments if _is_order_typed(a)]
            written = tuple(_written_order(a) for a in order_args if _is_written_argument(a))
            defaulted = bool(order_args) and not written
            return AtomicOp(node, name, "member", written, defaulted, obj, ptype)
        return None
    if callee.kind == "FUNCTION_DECL" and qname.startswith("std::atomic_"):
        op = qname[len("std::atomic_"):]
        args = node.arguments
        obj = args[0] if args else None
        explicit = op.endswith("_explicit")
        orders = tuple(_written_order(a) for a in args if _is_order_typed(a) and _is_written_argument(a))
        if op in ("thread_fence", "signal_fence", "is_lock_free", "init", "notify_one", "notify_all",
                  "flag_notify_one", "flag_notify_all"):
            return None
        op = op[: -len("_explicit")] if explicit else op
        return AtomicOp(node, op, "free", orders, not explicit, obj,
                        obj.type.pointee if obj is not None and obj.type.pointee else None)
    return None


def _dependent_atomic_call(node: Node) -> Optional[AtomicOp]:
    """``a.load()`` on a ``std::atomic<T>`` in a template: the call is unresolved until
    instantiation, but the object's type names the std::atomic template and the member is
    spelled in the source."""
    kids = node.children
    ref = kids[0] if kids else None
    if ref is None or ref.kind != "MEMBER_REF_EXPR" or ref.spelling or not ref.children:
        return None
    toks = ref.tokens
    name = toks[-1] if toks else ""
    if name not in _ORDERED_MEMBERS:
        return None
    obj = ref.children[0]
    t = obj.type.non_reference()
    if t.is_pointer and t.pointee is not None and len(toks) >= 2 and toks[-2] == "->":
        t = t.pointee
    decl = t.declaration
    if decl is None or decl.qualified_name not in ("std::atomic", "std::atomic_ref"):
        return None
    orders = tuple(_written_order(a) for a in kids[1:] if _is_order_typed(a))
    return AtomicOp(node, name, "member", orders, not orders, obj, t)


def _is_written_argument(arg: Node) -> bool:
    """A defaulted argument (CXXDefaultArgExpr) has neither tokens nor children; an argument
    written inside a macro expansion may lack tokens but keeps its expression children."""
    return arg.is_written or bool(arg.children)


def _written_order(arg: Node) -> str:
    """The short name of a memory-order argument, from the constant it names (so a macro
    spelling it, ``memory_order::acquire`` and C's enumerators all resolve), else ``other``."""
    for n in arg.walk():
        if n.kind != "DECL_REF_EXPR":
            continue
        ref = n.referenced
        if ref is None or ref.kind not in ("VAR_DECL", "ENUM_CONSTANT_DECL"):
            continue
        spelled = ref.spelling
        for order in MEMORY_ORDERS:
            if (ref.kind == "ENUM_CONSTANT_DECL" and spelled in (f"memory_order_{order}", order)) or (
                    spelled == f"memory_order_{order}" and ref.qualified_name.startswith("std::")):
                return order
    return order_name(arg) or "other"


# <stdatomic.h> generic functions (macros over clang's __c11_atomic builtins) and their operation.
_C11_FUNCTIONS = {
    "atomic_load": "load", "atomic_store": "store", "atomic_exchange": "exchange",
    "atomic_compare_exchange_strong": "compare_exchange_strong",
    "atomic_compare_exchange_weak": "compare_exchange_weak",
    "atomic_fetch_add": "fetch_add", "atomic_fetch_sub": "fetch_sub", "atomic_fetch_or": "fetch_or",
    "atomic_fetch_xor": "fetch_xor", "atomic_fetch_and": "fetch_and",
    "atomic_flag_test_and_set": "test_and_set", "atomic_flag_clear": "clear",
}
_C11_COMPOUND = {"+=": "fetch_add", "-=": "fetch_sub", "&=": "fetch_and", "|=": "fetch_or", "^=": "fetch_xor"}
_LVALUE_KINDS = ("DECL_REF_EXPR", "MEMBER_REF_EXPR", "ARRAY_SUBSCRIPT_EXPR", "PAREN_EXPR", "UNARY_OPERATOR")


def _c11_atomic_op(node: Node) -> Optional[AtomicOp]:
    """Operations on C11 ``_Atomic`` objects: operators (``x++``, ``x += 1``, ``x = v``), reading
    ``x`` (``if (x)``, ``while (!x)``) and the ``<stdatomic.h>`` generic functions."""
    kind = node.kind
    kids = node.children
    if not kids:
        return None
    first = kids[0]
    if kind == "UNEXPOSED_EXPR" and len(kids) >= 2:
        return _c11_generic_call(node, kids)
    if first.type.atomic_kind != "_Atomic":
        return None
    if kind == "UNARY_OPERATOR" and node.operator in ("++", "--", "post++", "post--"):
        op = "increment" if "++" in node.operator else "decrement"
        return AtomicOp(node, op, "c11", (), True, first, first.type)
    if kind == "COMPOUND_ASSIGNMENT_OPERATOR":
        return AtomicOp(node, _C11_COMPOUND.get(node.operator or "", "fetch_op"), "c11", (), True, first,
                        first.type)
    if kind == "BINARY_OPERATOR" and node.operator == "=":
        return AtomicOp(node, "store", "c11", (), True, first, first.type)
    if kind == "UNEXPOSED_EXPR" and node.type.atomic_kind is None and node.type.size is not None:
        # The read is AtomicToNonAtomic(LValueToRValue(lvalue)): count the outer cast only.
        lvalue = first
        if lvalue.kind == "UNEXPOSED_EXPR" and len(lvalue.children) == 1:
            lvalue = lvalue.children[0]
        if lvalue.kind not in _LVALUE_KINDS or lvalue.type.atomic_kind != "_Atomic":
            return None
        if lvalue.kind == "UNARY_OPERATOR" and lvalue.operator != "*":
            return None
        return AtomicOp(node, "load", "c11", (), True, lvalue, lvalue.type)
    return None


def _c11_generic_call(node: Node, kids: list[Node]) -> Optional[AtomicOp]:
    """``atomic_fetch_add(&x, 1)``: an AtomicExpr whose first operand points to an ``_Atomic``.

    The expansion has no tokens of its own; the macro's name, read at the node's start, says
    which function was written and whether it was the ``_explicit`` form. The AtomicExpr's
    operands are (object, order, value, failure order, desired)."""
    ptr = kids[0]
    pointee = ptr.type.pointee
    if pointee is None or pointee.atomic_kind != "_Atomic":
        return None
    name = node.leading_token or ""
    explicit = name.endswith("_explicit")
    op = _C11_FUNCTIONS.get(name[: -len("_explicit")] if explicit else name)
    if op is None:
        return None  # an __atomic builtin written directly (orders are mandatory) or a user macro
    orders: tuple[str, ...] = ()
    if explicit:
        slots = [kids[1]] + ([kids[3]] if op.startswith("compare_exchange") and len(kids) > 3 else [])
        orders = tuple(_written_order(k) for k in slots)
    obj = ptr
    if op in ("test_and_set", "clear"):
        # atomic_flag's macros operate on &(flag)->_Value: name the flag, not its member.
        inner = ptr.children[0] if ptr.kind == "UNARY_OPERATOR" and ptr.children else None
        if inner is not None and inner.kind == "MEMBER_REF_EXPR" and inner.children:
            base = inner.children[0]
            while base.kind == "PAREN_EXPR" and base.children:
                base = base.children[0]
            obj = base
    return AtomicOp(node, op, "c11", orders, not explicit, obj, pointee)
