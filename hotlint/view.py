"""The main file as rules see it: declarations, functions, loops, records,
atomic operations and call sites, gathered in one walk over the file's own
declarations (never the headers it includes).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Iterator, Optional

# AtomicOp, order_name and MEMORY_ORDERS are re-exported: rule packs import them from here
from .analysis.atomics import MEMORY_ORDERS as MEMORY_ORDERS
from .analysis.atomics import AtomicOp as AtomicOp
from .analysis.atomics import atomic_call, c11_atomic_op, may_name_atomic_call
from .analysis.atomics import order_name as order_name
from .analysis.control import outermost_function
from .analysis.expressions import function_body, parameters
from .analysis.kinds import FUNCTIONS, LOOPS, RECORDS, K
from .analysis.source import SourceText, header_semicolons
from .analysis.symbols import in_linted_file
from .analysis.types import record_types
from .clang.nodes import Node, PatternType, Type, pattern_layout
from .model import RecordLayout

if TYPE_CHECKING:  # pragma: no cover
    from .analysis.file import FileAnalysis

# published here first (rule packs import them from hotlint.view): the kind sets, and the
# positions of a for-statement's two `;`
for_semicolons = header_semicolons
LOOP_KINDS = LOOPS
FUNCTION_KINDS = FUNCTIONS
RECORD_KINDS = RECORDS
_TYPED_DECLS = frozenset({K.VAR_DECL, K.FIELD_DECL, K.PARM_DECL, K.TYPEDEF_DECL, K.TYPE_ALIAS_DECL})
_LOOP_NAMES = {K.FOR_STMT: "for", K.CXX_FOR_RANGE_STMT: "range-for", K.WHILE_STMT: "while", K.DO_STMT: "do"}
# operators the walk hands to the C11 recognizer (an implicit read is an UNEXPOSED_EXPR)
_C11_CANDIDATES = frozenset({K.UNARY_OPERATOR, K.COMPOUND_ASSIGNMENT_OPERATOR, K.BINARY_OPERATOR,
                             K.UNEXPOSED_EXPR})


@dataclass(eq=False)
class Function:
    node: Node
    name: str
    qualified_name: str
    is_hot: bool = False
    is_cold: bool = False

    @property
    def params(self) -> list[Node]:
        return parameters(self.node)

    @property
    def body(self) -> Optional[Node]:
        return function_body(self.node)


@dataclass(eq=False)
class Loop:
    node: Node
    depth: int  # 1 for an outermost loop of its function
    function: Optional[Function]
    parent: Optional["Loop"] = None

    @property
    def kind(self) -> str:
        return _LOOP_NAMES[self.node.kind]

    @property
    def body(self) -> Optional[Node]:
        kids = self.node.children
        if not kids:
            return None
        return kids[0] if self.node.kind == K.DO_STMT else kids[-1]

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
        if n.kind == K.CXX_FOR_RANGE_STMT:
            decls = [k for k in kids[:-1] if k.kind == K.VAR_DECL]
            exprs = [k for k in kids[:-1] if k.kind != K.VAR_DECL]
            out["variable"] = decls[-1] if decls else None
            out["range"] = exprs[-1] if exprs else None
        elif n.kind == K.WHILE_STMT:
            out["condition"] = kids[-2] if len(kids) >= 2 else None
        elif n.kind == K.DO_STMT:
            out["condition"] = kids[1] if len(kids) >= 2 else None
        elif n.kind == K.FOR_STMT:
            semis = header_semicolons(n)
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

    cache_line_size: Optional[int] = None  # configured; None: the unit's target's (view.analysis.target)
    hot_functions: tuple[str, ...] = ()
    cold_functions: tuple[str, ...] = ()
    thread_pool: tuple[str, ...] = ()  # functions that hand a callable to a pool's threads
    # the compiler family the unit's compile command names ("clang", "gcc"; "" when unknown): what
    # its optimizer does differs (clang vectorizes behind run-time overlap checks at -O2)
    compiler: str = ""
    rule_options: dict[str, dict] = field(default_factory=dict)


class FileView:
    """hotlint's view of one main file."""

    def __init__(self, path: str, text: str, roots: list[Node], settings: Settings,
                 layouts_trusted: bool = True, language: str = "c++",
                 instantiation_roots: Iterable[Node] = (), args: Iterable[str] = ()):
        """``instantiation_roots``: declarations outside the file (the includer's, for a header
        analyzed in context) whose types may instantiate the file's class templates. ``args``:
        the flags the unit was parsed with, as cleaned (``hotlint.flags``): what a rule reads to
        know what the compiler may do (``-ffast-math``, ``-fopenmp-simd``, ``-O3``)."""
        self.path = path
        self.args: tuple[str, ...] = tuple(args)
        self._instantiation_roots = list(instantiation_roots)
        self.text = text
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
        if fn is not None:
            fn = outermost_function(self, fn)
            if fn.is_hot:
                score += 2
            if fn.is_cold:
                score -= 2
        return score

    @cached_property
    def source(self) -> SourceText:
        """The file's text with lines as clang counts them (``analysis.source``)."""
        return SourceText(self.text)

    @property
    def lines(self) -> list[str]:
        return self.source.lines

    def line_text(self, line: int) -> str:
        return self.source.line(line)

    @cached_property
    def analysis(self) -> "FileAnalysis":
        """The analysis layer's per-file answers (``hotlint.analysis.file``)."""
        from .analysis.file import FileAnalysis

        return FileAnalysis(self)

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
                if kind in FUNCTION_KINDS and (node.is_definition or kind == K.LAMBDA_EXPR):
                    fn = self._make_function(node)
                    self._function_of[id(node)] = fn
                    self.functions.append(fn)
                    loop = None  # a lambda's or local class's body is not the loop's body
                elif kind in LOOP_KINDS:
                    loop = Loop(node, (loop.depth + 1) if loop else 1, fn, loop)
                    self._loop_of[id(node)] = loop
                    self.loops.append(loop)
                elif kind == K.CALL_EXPR:
                    self._call(node, fn, loop)
                elif kind in _C11_CANDIDATES:
                    self._c11_atomic(node, fn, loop)
                if kind in RECORD_KINDS and node.is_definition:
                    self._record(node)
                elif kind == K.CLASS_TEMPLATE:
                    pattern_names.add(node.spelling)
                if kind in _TYPED_DECLS:
                    typed_decls.append(node)
                stack.extend((c, fn, loop) for c in reversed(node.children))
        if pattern_names and self._instantiation_roots:
            typed_decls = typed_decls + _typed_declarations(self._instantiation_roots)
        if pattern_names:
            for decl in typed_decls:
                for cand in record_types(decl.type):
                    seen_types.setdefault(cand.unqualified_name, cand)
            self._instantiations(seen_types, pattern_names)
        if K.CLASS_TEMPLATE in self._by_kind:
            self._uninstantiated()
        # the walk is pre-order over roots in source order: every list is already in source order

    def _make_function(self, node: Node) -> Function:
        attrs = node.attribute_names() if node.kind != K.LAMBDA_EXPR else set()
        name = node.spelling or "<lambda>"
        qname = node.qualified_name if node.kind != K.LAMBDA_EXPR else "<lambda>"
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
            if decl.spelling not in patterns or not in_linted_file(self, decl.file):
                continue
            layout = t.layout()
            if layout is not None:
                pattern = next((n for n in self._by_kind.get(K.CLASS_TEMPLATE, [])
                                if n.spelling == decl.spelling), None)
                self.records.append(Record(layout, pattern, t))
                have.add(name)

    def _uninstantiated(self) -> None:
        """Class templates of this file that no declaration here instantiates: where two or more
        atomics lead the template, before any field whose layout depends on its parameters (a
        queue's head and tail indices), they are laid out as every instantiation has them
        (``pattern_layout``), for false-sharing. Other templates stay unlaid: their layouts depend
        on the parameters."""
        laid = {id(r.node) for r in self.records if r.node is not None}
        for pattern in self._by_kind.get(K.CLASS_TEMPLATE, ()):
            if id(pattern) in laid or not pattern.is_definition or not in_linted_file(self, pattern):
                continue
            layout = pattern_layout(pattern)
            if layout is not None and sum(f.is_atomic for f in layout.fields) >= 2:
                self.records.append(Record(layout, pattern, PatternType(pattern)))

    def _call(self, node: Node, fn: Optional[Function], loop: Optional[Loop]) -> None:
        site = CallSite(node, fn, loop)
        self.calls.append(site)
        name = site.name
        # resolving a callee costs a libclang round trip: only names an atomic operation can have
        # (a member call in a template, resolved only at instantiation, has no name yet)
        if not may_name_atomic_call(name):
            return
        op = atomic_call(node, site.callee, site.qualified_name)
        if op is not None:
            op.function, op.loop = fn, loop
            self.atomic_ops.append(op)

    def _c11_atomic(self, node: Node, fn, loop) -> None:
        if not self._c11:
            return
        op = c11_atomic_op(node)
        if op is not None:
            op.function, op.loop = fn, loop
            self.atomic_ops.append(op)


def _typed_declarations(roots: Iterable[Node]) -> list[Node]:
    """Every variable, field, parameter and alias under ``roots``."""
    out, stack = [], list(roots)
    while stack:
        node = stack.pop()
        if node.kind in _TYPED_DECLS:
            out.append(node)
        stack.extend(node.children)
    return out


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
