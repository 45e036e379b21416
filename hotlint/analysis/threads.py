"""Threads a file starts and joins: spawn sites, the bodies threads run, the names that
differ per thread inside them (so an index built from one picks the thread's own element),
and joins.

``ThreadBodies`` and ``Joins`` are per-file: construct one from a view and ask it; each
gathers what it needs from the view's calls on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Optional

from .expressions import constant_value, literal_spelling, position_key, strip, subscript_parts
from .kinds import K
from .memory import named_declaration, object_base, reference_source
from .symbols import declared_in, in_linted_file, uses_loop_variable

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node
    from ..view import CallSite, FileView, Function, Loop
    from .atomics import AtomicOp

THREAD_TYPES = frozenset({"std::thread", "std::jthread"})
JOINS = frozenset({"std::thread::join", "std::jthread::join"})
# Functions whose result names the calling thread or core: an index built from one is per
# thread by construction.
THREAD_ID_FUNCTIONS = frozenset({"omp_get_thread_num", "sched_getcpu"})
# names a spawning call can have (tested before resolving the callee, a libclang round trip)
SPAWN_SPELLINGS = frozenset({"thread", "jthread", "emplace_back", "async"})


def spawn_arguments(call: "CallSite") -> Optional[list["Node"]]:
    """The arguments (callable first) of a call that starts a thread: a std::thread or
    std::jthread construction, ``emplace_back`` on a container whose first template argument
    is one of those, or ``std::async`` (its ``std::launch`` policies dropped); None for any
    other call or one without arguments."""
    if call.name not in SPAWN_SPELLINGS:
        return None
    callee = call.callee
    if callee is None:
        return None
    args = list(call.arguments)
    if callee.kind == K.CONSTRUCTOR:
        parent = callee.semantic_parent
        if parent is None or parent.qualified_name not in THREAD_TYPES:
            return None
    elif callee.kind == K.CXX_METHOD and call.name == "emplace_back":
        parent = callee.semantic_parent
        targs = parent.type.template_arguments if parent is not None else []
        if not targs or targs[0].record_name not in THREAD_TYPES:
            return None
    elif call.qualified_name == "std::async":
        args = [a for a in args if a.type.record_or_enum_name != "std::launch"]
    else:
        return None
    return args or None


def is_thread_id_call(call: "Node") -> bool:
    """A call of ``omp_get_thread_num`` or ``sched_getcpu`` (by the callee's qualified name)."""
    callee = call.referenced
    return callee is not None and callee.qualified_name in THREAD_ID_FUNCTIONS


def is_join(call: "CallSite") -> bool:
    """A call of ``std::thread::join`` or ``std::jthread::join``."""
    return call.name == "join" and call.qualified_name in JOINS


class Joins:
    """The file's thread joins, found on first use."""

    def __init__(self, view: "FileView") -> None:
        self._view = view

    @cached_property
    def sites(self) -> list["CallSite"]:
        """Calls of std::thread::join / std::jthread::join, in source order."""
        return [c for c in self._view.calls if is_join(c)]

    def joined_before(self, node: "Node", function: Optional["Function"]) -> bool:
        """A join in ``function`` (the same Function object) ends before ``node`` starts, and is
        not inside a loop that also holds ``node`` (a node of the view's walk)."""
        start = node.range.start
        return any(c.function is function and c.node.range.end <= start
                   and not (c.loop is not None and node.is_within(c.loop.node)) for c in self.sites)

    def joined_between(self, function: Optional["Function"], first: "Node", second: "Node") -> bool:
        """A join in ``function`` lies after ``first`` ends and before ``second`` starts."""
        return any(c.function is function and first.range.end <= c.node.range.start
                   and c.node.range.end <= second.range.start for c in self.sites)


@dataclass
class Access:
    """How a thread reaches its own element: the sequence, and what a message shows."""

    sequence: "Node"  # the expression naming the array, std::array, std::vector or pointer
    shown: str  # `counts[id]`, or the range-for variable
    line: int
    by_core: bool = False  # the index is sched_getcpu(): per core rather than per thread
    range_for: bool = False  # the element is a range-for's variable


@dataclass
class Body:
    """A function or lambda that threads run, and which of its names differ per thread."""

    node: "Node"
    spawns: list = field(default_factory=list)  # the spawning call nodes
    # expressions.position_key of the parameters and captured loop variables that differ per thread
    per_thread: set = field(default_factory=set)
    element_params: dict = field(default_factory=dict)  # a parameter's position_key -> the Access handed to it


class ThreadBodies:
    """Thread entry points of the file and the evidence of per-thread indexing.

    A body is a lambda, a function defined in the file, or a variable holding a lambda, passed
    as the callable of a spawn (``spawn_arguments``). Its per-thread names are the parameters
    fed by the spawning loops' variables (or by two distinct literal spellings over two or more
    spawns) and the variables a lambda captures from those loops; a parameter handed an element
    (``slots[t]``, ``&slots[t]``, ``std::ref(slots[t])``, ``std::ref(slot)`` of the spawning
    range-for) knows that element."""

    def __init__(self, view: "FileView") -> None:
        self.view = view

    @cached_property
    def var_decls(self) -> dict[tuple, "Node"]:
        return {position_key(n): n for n in self.view.nodes(K.VAR_DECL)}

    @cached_property
    def _functions(self) -> dict[tuple, "Node"]:
        return {position_key(f.node): f.node for f in self.view.functions if f.node.kind != K.LAMBDA_EXPR}

    @cached_property
    def range_elements(self) -> dict[tuple, Access]:
        """``for (auto& slot : slots)``: the reference variable names each element in turn."""
        out = {}
        for loop in self.view.loops:
            if loop.node.kind == K.CXX_FOR_RANGE_STMT:
                parts = loop.parts()
                var, seq = parts["variable"], parts["range"]
                if var is not None and seq is not None and var.type.is_reference:
                    out[position_key(var)] = Access(seq, var.spelling, var.range.start.line, range_for=True)
        return out

    @cached_property
    def bodies(self) -> dict[tuple, Body]:
        """The thread bodies, keyed by (range, kind) of their node, in the order of their first
        spawn."""
        bodies: dict[tuple, Body] = {}
        spawned: dict[tuple, list] = {}
        for call in self.view.calls:
            args = spawn_arguments(call)
            if not args:
                continue
            node = self._entry(args[0])
            if node is None:
                continue
            key = (node.range, node.kind)
            bodies.setdefault(key, Body(node)).spawns.append(call.node)
            spawned.setdefault(key, []).append((call, args[1:]))
        for key, uses in spawned.items():
            self._per_thread_names(bodies[key], uses)
        return bodies

    def body_of(self, function: "Function") -> Optional[Body]:
        """The thread body ``function`` is, if threads run it."""
        return self.bodies.get((function.node.range, function.node.kind))

    def _entry(self, callable_arg: "Node") -> Optional["Node"]:
        """The body a spawn's callable names: a lambda, a function, or a variable holding a lambda."""
        n = strip(callable_arg)
        if n is not None and n.kind == K.UNARY_OPERATOR and n.operator == "&" and n.children:
            n = strip(n.children[0])
        if n is None:
            return None
        if n.kind == K.LAMBDA_EXPR:
            return n
        if n.kind != K.DECL_REF_EXPR:
            return None
        d = n.referenced
        if d is None or not in_linted_file(self.view, d.file):
            return None
        if d.kind == K.FUNCTION_DECL:
            definition = d.definition
            if definition is None:
                return None
            return self._functions.get(position_key(definition))
        if d.kind == K.VAR_DECL:
            var = self.var_decls.get(position_key(d))
            if var is not None:
                for c in var.walk():
                    if c.kind == K.LAMBDA_EXPR:
                        return c
        return None

    def _per_thread_names(self, body: Body, uses: list) -> None:
        params = [c for c in body.node.children if c.kind == K.PARM_DECL]
        literal_args: dict[int, set] = {}
        for call, extra in uses:
            loops = self.view.enclosing_loops(call.node)
            for k, arg in enumerate(extra):
                if k >= len(params):
                    break
                access = self._handed_element(arg, loops)
                if access is not None:
                    body.element_params[position_key(params[k])] = access
                elif uses_loop_variable(self.view, arg, loops):
                    body.per_thread.add(position_key(params[k]))
                elif literal_spelling(arg) is not None:
                    literal_args.setdefault(k, set()).add(literal_spelling(arg))
            if body.node.kind == K.LAMBDA_EXPR:
                for ref in body.node.walk():
                    if ref.kind != K.DECL_REF_EXPR:
                        continue
                    d = ref.referenced
                    if d is None or d.kind != K.VAR_DECL or not in_linted_file(self.view, d.file):
                        continue
                    if body.node.range.contains(d.range):
                        continue  # the lambda's own local
                    if declared_in(d, loops):
                        body.per_thread.add(position_key(d))
        for k, values in literal_args.items():
            if len(values) >= 2 and len(uses) >= 2:
                body.per_thread.add(position_key(params[k]))

    def _handed_element(self, arg: "Node", loops: list["Loop"]) -> Optional[Access]:
        """``slots[t]`` / ``&slots[t]`` / ``std::ref(slots[t])`` with ``t`` from the spawning loop,
        or ``std::ref(slot)`` with ``slot`` the spawning range-for's element."""
        n = reference_source(arg)
        if n is None:
            return None
        parts = subscript_parts(n)
        if parts is not None:
            return _subscript_access(self.view, n) if uses_loop_variable(self.view, parts[1], loops) else None
        if n.kind == K.DECL_REF_EXPR and n.referenced is not None:
            access = self.range_elements.get(position_key(n.referenced))
            if access is not None and declared_in(n.referenced, loops):
                return access
        return None

    def per_thread_element(self, op: "AtomicOp") -> Optional[tuple[Access, Optional[Body]]]:
        """How ``op`` (an operation in a function) writes an element its thread has as its own,
        and the thread body it runs in (None when the function is no thread body but the index
        is a thread-id call)."""
        body = self.body_of(op.function)
        base = object_base(op.object)
        if base is None:
            return None
        parts = subscript_parts(base)
        if parts is not None:
            if self._per_thread_index(parts[1], body):
                return _subscript_access(self.view, base), body
            return None
        if base.kind != K.DECL_REF_EXPR or base.referenced is None:
            return None
        d = base.referenced
        key = position_key(d)
        if body is not None and key in body.element_params:
            return body.element_params[key], body
        if body is not None and key in body.per_thread and key in self.range_elements:
            return self.range_elements[key], body  # a lambda capturing the spawning range-for's element
        var = self.var_decls.get(key) if d.kind == K.VAR_DECL else None
        if var is not None and (var.type.is_reference or var.type.is_pointer) and var.children:
            n = reference_source(var.children[-1])
            parts = subscript_parts(n) if n is not None else None
            if parts is not None and self._per_thread_index(parts[1], body):
                return _subscript_access(self.view, n), body
        return None

    @cached_property
    def _spawns_running(self) -> dict[tuple, set]:
        """(range, kind) of each function of the file -> the spawning calls whose threads run it:
        its own spawns, and those of every body that reaches it through calls of functions the
        file defines."""
        calls: dict[tuple, set] = {}
        for call in self.view.calls:
            callee = call.callee if call.function is not None else None
            d = callee.definition if callee is not None else None
            if d is not None:
                calls.setdefault((call.function.node.range, call.function.node.kind), set()).add((d.range, d.kind))
        out: dict[tuple, set] = {}
        for key, body in self.bodies.items():
            seen, stack = {key}, [key]
            while stack:
                for k in calls.get(stack.pop(), ()):
                    if k not in seen:
                        seen.add(k)
                        stack.append(k)
            for k in seen:
                out.setdefault(k, set()).update(body.spawns)
        return out

    def spawns_running(self, function: "Function") -> set:
        """The spawning calls (nodes) whose threads run ``function``: as a thread body, or called
        (through functions defined in the file) from one."""
        return self._spawns_running.get((function.node.range, function.node.kind), set())

    def thread_count(self, spawns: set) -> int:
        """How many threads ``spawns`` start, at least: one each, two for a spawn in a loop."""
        return sum(2 if self.view.enclosing_loops(s) else 1 for s in spawns)

    def shared_element_writes(self, ops: list["AtomicOp"]) -> list[tuple[list["AtomicOp"], set]]:
        """Writes (``ops``) to elements of one array or container at a category index (a constant,
        ``stats[kHits]``, or a parameter of the writing function, ``tickers[type]``: chosen by the
        code or its caller, not computed from the thread or swept by a loop) that two or more
        threads started in the file make to two or more elements: the writes in functions threads
        run (``spawns_running``), grouped by the array's declaration, kept when their spawns start
        two threads or more and their indices are two distinct constants or a parameter; with
        those spawns. Writes to a thread's own element (``per_thread_element``) are not here."""
        groups: dict[tuple, list] = {}
        for op in ops:
            base = object_base(op.object) if op.function is not None else None
            parts = subscript_parts(base) if base is not None else None
            decl = named_declaration(parts[0]) if parts is not None else None
            index = _category(parts[1]) if decl is not None else None
            if index is None or not self.spawns_running(op.function) or self.per_thread_element(op) is not None:
                continue
            groups.setdefault(position_key(decl), []).append((op, index))
        out = []
        for writes in groups.values():
            spawns = set().union(*(self.spawns_running(op.function) for op, _ in writes))
            indices = {index for _, index in writes}
            if self.thread_count(spawns) >= 2 and (len(indices) >= 2 or not isinstance(indices.pop(), int)):
                out.append(([op for op, _ in writes], spawns))
        return out

    def _per_thread_index(self, index: "Node", body: Optional[Body]) -> bool:
        n = strip(index)
        if n is None:
            return False
        if n.kind == K.CALL_EXPR:
            return is_thread_id_call(n)
        if n.kind == K.DECL_REF_EXPR:
            d = n.referenced
            if d is None:
                return False
            if body is not None and position_key(d) in body.per_thread:
                return True
            var = self.var_decls.get(position_key(d)) if d.kind == K.VAR_DECL else None
            if var is not None and var.children:
                init = strip(var.children[-1])
                return init is not None and init.kind == K.CALL_EXPR and is_thread_id_call(init)
            return False
        if n.kind == K.BINARY_OPERATOR and n.operator in ("+", "-") and len(n.children) == 2:
            lhs, rhs = (strip(c) for c in n.children)
            if rhs is not None and rhs.kind == K.INTEGER_LITERAL:
                return self._per_thread_index(lhs, body)
            if lhs is not None and lhs.kind == K.INTEGER_LITERAL and n.operator == "+":
                return self._per_thread_index(rhs, body)
        return False


def _category(index: "Node"):
    """A category index: its constant value, the parameter it names (a category the caller
    picks), or None for anything else (a loop's variable, arithmetic on a thread's id)."""
    value = constant_value(index)
    if value is not None:
        return value
    n = strip(index)
    d = n.referenced if n is not None and n.kind == K.DECL_REF_EXPR else None
    return position_key(d) if d is not None and d.kind == K.PARM_DECL else None


def _subscript_access(view: "FileView", subscript: "Node") -> Access:
    base, index = subscript_parts(subscript)
    by_core = any(n.kind == K.CALL_EXPR and is_thread_id_call(n) and n.spelling == "sched_getcpu"
                  for n in index.walk())
    shown = view.source.snippet(subscript.range, multiline="first-line-stripped")
    return Access(base, shown, subscript.range.start.line, by_core)


# ------------------------------------------------------------------ project-wide thread roles

POOL_COUNT = 2  # a pool submission runs its callable on the pool's threads: several, as far as we know
_ENTRY_KINDS = frozenset({K.FUNCTION_DECL, K.CXX_METHOD, K.FUNCTION_TEMPLATE})


def plain_name(name: str) -> str:
    """A record's qualified name without template arguments or anonymous namespaces, the same for
    a class template's pattern and each of its instantiations: ``ns::SkipList<int, Cmp>`` ->
    ``ns::SkipList``."""
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace("(anonymous namespace)::", "").replace(" ", "")


def field_key(decl: "Node") -> Optional[str]:
    """The project-wide name of a field (``ns::Queue::head``), the same in every translation unit
    and for every instantiation of a class template; None for anything but a field."""
    if decl is None or decl.kind != K.FIELD_DECL:
        return None
    parent = decl.semantic_parent
    return f"{plain_name(parent.qualified_name)}::{decl.spelling}" if parent is not None else None


def member_keys(record_name: str, member: str, t, depth: int = 0) -> list[str]:
    """The ``field_key`` of each atomic that writes to ``member`` (of type ``t``, in the record
    named ``record_name``) land on: the member itself when it is atomic, else each atomic it holds
    inline (``arena_`` of a memtable -> ``Arena::memory_usage_``)."""
    from .types import inline_fields

    if t is None or depth > 4:
        return []
    if t.atomic_kind is not None:
        return [f"{plain_name(record_name)}::{member}"]
    name = t.record_name
    if not name:
        return []
    out = []
    for f, ft in inline_fields(t):
        if not (ft.is_pointer or ft.is_reference):
            out.extend(member_keys(name, f.name, ft, depth + 1))
    return out


class ThreadRoles:
    """The file's part of the project's thread roles (``view.analysis.thread_roles``), gathered
    from the view's calls and atomic operations (no walk of its own): the thread entry points
    its code starts (``std::thread``/``std::jthread`` constructions and ``emplace_back``,
    ``std::async``, ``pthread_create``, and calls of the ``thread-pool`` functions), how many
    threads each start gives (one, or several for a start in a loop or a pool submission), the
    calls of a started lambda (the call graph puts them in the function the lambda is written in),
    and which function (or started lambda) writes which atomic field. ``hotlint.callgraph``
    joins the parts of every file."""

    def __init__(self, view: "FileView") -> None:
        self.view = view

    def _pool(self, call: "CallSite") -> bool:
        import fnmatch

        patterns = self.view.settings.thread_pool
        if not patterns:
            return False
        q = call.qualified_name or ""
        return any(fnmatch.fnmatchcase(call.name, p) or fnmatch.fnmatchcase(q, p) for p in patterns)

    @cached_property
    def starts(self) -> list[tuple["Node", "Node", int]]:
        """(the starting call, the entry node: a lambda or a function declaration, threads: 1 or 2)."""
        out = []
        bodies = self.view.analysis.threads
        for call in self.view.calls:
            args = spawn_arguments(call)
            count = 1
            if not args and call.name == "pthread_create" and call.qualified_name == "pthread_create":
                args = list(call.arguments)[2:3]
            if not args and self._pool(call):
                args, count = [a for a in call.arguments if self._callable(a, bodies) is not None][:1], POOL_COUNT
            if not args:
                continue
            entry = self._callable(args[0], bodies)
            if entry is None:
                continue
            if count == 1 and self.view.enclosing_loops(call.node):
                count = 2
            out.append((call.node, entry, count))
        return out

    @staticmethod
    def _callable(arg: "Node", bodies: ThreadBodies) -> Optional["Node"]:
        n = strip(arg)
        if n is not None and n.kind == K.UNARY_OPERATOR and n.operator == "&" and n.children:
            n = strip(n.children[0])
        if n is None:
            return None
        if n.kind == K.LAMBDA_EXPR:
            return n
        if n.kind not in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
            return None
        d = n.referenced
        if d is None:
            return None
        if d.kind in _ENTRY_KINDS:
            return d
        if d.kind == K.VAR_DECL:
            var = bodies.var_decls.get(position_key(d))
            for c in var.walk() if var is not None else ():
                if c.kind == K.LAMBDA_EXPR:
                    return c
        return None

    def fragment(self, index) -> dict:
        """This file's part, as plain data; ``index`` numbers a USR as the call-graph fragment
        does. A lambda entry is named ``L<line>:<column>`` (of its file)::

            {"starts": [[entry, threads, line of the start], ...],
             "lambda_calls": [[lambda, callee usr index], ...],
             "moved": [[caller, callee], ...],   # call-graph edges only a started lambda makes
             "writes": [[writer, field_key], ...]}      # writer: a usr index or a lambda
        """
        from .atomics import READ_OPERATIONS
        from .control import outermost_function
        from .hotness import _CALLABLE, _LIBRARY_USRS

        v = self.view
        lambdas: list["Node"] = []
        starts = []
        for call, entry, count in self.starts:
            if entry.kind == K.LAMBDA_EXPR:
                lambdas.append(entry)
                name = _lambda_name(entry)
            else:
                usr = entry.usr
                if not usr:
                    continue
                name = index(usr)
            starts.append([name, count, call.range.start.line])

        def started_lambda(node: "Node") -> Optional[str]:
            inner = [lam for lam in lambdas if node.is_within(lam)]
            return _lambda_name(max(inner, key=lambda lam: lam.range.start)) if inner else None

        calls, seen = [], set()
        inside: set = set()  # (function, callee): a call the function's started lambdas make
        outside: set = set()  # ... and one it makes itself
        if lambdas:
            for site in v.calls:
                callee = site.callee if site.function is not None else None
                if callee is None or callee.kind not in _CALLABLE:
                    continue
                usr = callee.usr
                if not usr or usr.startswith(_LIBRARY_USRS):
                    continue
                lam = started_lambda(site.node)
                outer = outermost_function(v, site.function).node.usr
                (inside if lam is not None else outside).add((outer, usr))
                if lam is not None and (lam, usr) not in seen:
                    seen.add((lam, usr))
                    calls.append([lam, index(usr)])
        # calls the call graph gives the function a started lambda is written in, but only the
        # lambda's thread makes
        moved = [[index(a), index(b)] for a, b in sorted(inside - outside) if a]
        writes, seen = [], set()
        for op in v.atomic_ops:
            if op.operation in READ_OPERATIONS or op.function is None:
                continue
            key = field_key(op.target)
            if key is None:
                continue
            writer = started_lambda(op.node) if lambdas else None
            if writer is None:
                fn = outermost_function(v, op.function)
                if fn.node.kind == K.LAMBDA_EXPR or not fn.node.usr:
                    continue
                writer = index(fn.node.usr)
            if (writer, key) not in seen:
                seen.add((writer, key))
                writes.append([writer, key])
        return {"starts": starts, "lambda_calls": calls, "moved": moved, "writes": writes}


def _lambda_name(node: "Node") -> str:
    start = node.range.start
    return f"L{start.line}:{start.column}"
