"""How often a file's code runs, as far as its text tells without a profile.

Two answers, both gathered once per file (``view.analysis.hotness``) and kept small enough to
travel with the file's result (``FileResult.hotness``) and the result cache:

- **cold regions**: code that runs rarely whatever calls it. Strong evidence: a catch handler;
  an ``[[unlikely]]`` statement; a branch ``__builtin_expect`` says is not taken (also through
  macros such as ``UNLIKELY(x)`` or ``ABSL_PREDICT_FALSE``); a branch that ends by leaving with an
  error (``return -1``, ``return false``, ``return nullptr``, ``return Status::IOError(...)``,
  ``throw``, ``abort()``/``exit()``/``std::terminate()`` or a ``[[noreturn]]`` call); a loop that
  does I/O or a system call on every iteration (its own cost dwarfs the finding's). Weak
  evidence: a loop nest of a small constant trip count (at most ``SMALL_TRIP`` iterations),
  which only counts while the function itself is not hot (``hotlint.callgraph``).
- **the call graph fragment**: the file's function definitions (by USR, the same name in every
  translation unit) with the roles their attributes and names give them, and its call sites
  (caller, callee, and whether the call is made on each iteration of a loop or on a cold path).
  ``hotlint.callgraph`` joins the fragments of every analyzed file.

Default cold roles (``DEFAULT_COLD_WORDS``) are read from a function's name split into words
(``snake_case`` and ``CamelCase``), never from substrings: ``initTable``, ``init_db``,
``SetUp``, ``shutdown``, ``load_config``, ``parse_args`` and gtest's ``TestBody`` are set-up,
teardown or test code; ``infinite``, ``reinit`` and ``main`` are not. A name is only a hint:
the call graph overrides it when the function is called from a loop or reached from hot code.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Iterable, Optional

from .kinds import FUNCTIONS, NULL_LITERALS, K

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node
    from ..model import Range
    from ..view import FileView, Function, Loop

SMALL_TRIP = 8  # a loop of at most this many iterations (in all, for a nest) is cold evidence
SMALL_NEST = 64
L1_BYTES = 32 * 1024  # a loop sweeping an array no larger than this keeps it in L1: layout findings are moot

# words of a function's name that make it set-up, teardown or reporting code
DEFAULT_COLD_WORDS = frozenset({
    "init", "initialize", "initialise", "setup", "teardown", "shutdown", "destroy", "cleanup",
    "finalize", "finalise", "config", "configure", "configuration", "usage",
})
DEFAULT_COLD_PAIRS = frozenset({
    ("set", "up"), ("tear", "down"), ("clean", "up"), ("parse", "args"), ("parse", "arguments"),
    ("parse", "options"), ("parse", "flags"), ("print", "help"),
})
TEST_BODIES = frozenset({"TestBody"})  # gtest's TEST/TEST_F bodies

# calls that end the program: a branch ending in one of these is an error path
_EXITS = frozenset({"abort", "exit", "_exit", "_Exit", "quick_exit", "terminate", "__assert_fail",
                    "__assert_rtn", "__builtin_trap", "__builtin_unreachable", "unreachable"})
# callee names a function returns an error with (Status::IOError, absl::InternalError,
# std::unexpected, ...); `NotFound` is left out on purpose: a miss is an answer on a hot lookup
_ERROR_VALUES = frozenset({"Corruption", "InvalidArgument", "NotSupported", "unexpected", "make_unexpected",
                           "make_error_code", "Err"})
# free functions that do I/O or enter the kernel: a loop calling one every iteration is
# dominated by it (std:: names are matched qualified, C names by spelling with a global callee)
IO_FUNCTIONS = frozenset({
    "printf", "fprintf", "vprintf", "vfprintf", "dprintf", "puts", "fputs", "fputc", "putc", "putchar",
    "fwrite", "fread", "fgets", "fgetc", "getc", "getchar", "getline", "scanf", "fscanf", "fopen", "fclose",
    "fflush", "fseek", "ftell", "open", "openat", "close", "read", "write", "pread", "pwrite", "readv", "writev",
    "send", "recv", "sendto", "recvfrom", "sendmsg", "recvmsg", "accept", "connect", "poll", "select",
    "epoll_wait", "fsync", "fdatasync", "ioctl", "stat", "fstat", "lstat", "unlink", "rename", "mkdir",
    "opendir", "readdir", "syslog", "sleep", "usleep", "nanosleep", "system", "popen",
})
IO_STD = frozenset({"std::printf", "std::fprintf", "std::puts", "std::fputs", "std::fwrite", "std::fread",
                    "std::fgets", "std::fopen", "std::fclose", "std::fflush", "std::getline", "std::print",
                    "std::println", "fmt::print", "std::this_thread::sleep_for", "std::this_thread::sleep_until",
                    "std::system"})
_STREAM_TYPES = ("basic_ostream", "basic_ofstream", "basic_fstream", "basic_istream", "basic_ifstream")
_STREAM_OPERATORS = frozenset({"operator<<", "operator>>"})

_WRAPPERS = frozenset({K.UNEXPOSED_EXPR, K.PAREN_EXPR})
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_words(name: str) -> list[str]:
    """``initTable`` -> [init, table]; ``load_config`` -> [load, config]; ``HTTPSetUp`` ->
    [http, set, up]."""
    return [w.lower() for w in _WORD.findall(name)]


def cold_role(name: str, qualified_name: str) -> Optional[str]:
    """Why a function's name makes it set-up, teardown or test code (``DEFAULT_COLD_WORDS``,
    ``DEFAULT_COLD_PAIRS``, gtest bodies), or None."""
    if name in TEST_BODIES or qualified_name.rsplit("::", 1)[0].endswith("_Test"):
        return "a test body"
    words = name_words(name)
    if any(w in DEFAULT_COLD_WORDS for w in words) or any(p in DEFAULT_COLD_PAIRS for p in zip(words, words[1:])):
        return "set-up or teardown code by its name"
    return None


def _pattern(patterns, name: str, qname: str) -> Optional[str]:
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(qname, p)), None)


@dataclass(frozen=True)
class ColdRegion:
    """Code that runs rarely: ``range``, why (a few words) and how strong the evidence is:
    ``strong`` (an error path, a catch handler, ``[[unlikely]]``), ``loop`` (a loop dominated by
    I/O: counts for what is directly in it), ``trip`` (a small constant trip count: counts for
    what is directly in it, and only while the function is not hot) or ``fits`` (a loop sweeping
    an array that fits in L1: counts only for findings about a record's layout)."""

    range: "Range"
    reason: str
    strength: str

    def to_json(self) -> list:
        r = self.range
        return [r.start.line, r.start.column, r.end.line, r.end.column, self.reason, self.strength]


def region_holding(regions: Iterable, rng: "Range", loop_lines: Optional[tuple[int, int]]):
    """The cold region among ``regions`` (``ColdRegion`` or anything with ``range`` and
    ``strength``) holding code at ``rng`` whose innermost loop spans ``loop_lines``: the first
    strong region holding it, else the I/O or small-trip region of that loop itself (what is
    directly in it); None."""
    regions = list(regions)
    for r in regions:
        if r.strength == "strong" and r.range.contains(rng):
            return r
    if loop_lines is not None:
        for r in regions:
            if r.strength in ("loop", "trip") and (r.range.start.line, r.range.end.line) == loop_lines \
                    and r.range.contains(rng):
                return r
    return None


def _strip(node: "Node") -> "Node":
    while node.kind in _WRAPPERS and len(node.children) == 1:
        node = node.children[0]
    return node


def _last_statement(stmt: "Node") -> "Node":
    """The statement a branch ends with: through blocks and attributed statements."""
    for _ in range(16):
        if stmt.kind in (K.COMPOUND_STMT, K.UNEXPOSED_STMT) and stmt.children:
            stmt = stmt.children[-1]
        else:
            break
    return stmt


class FileHotness:
    """The cold regions and the call-graph fragment of one file (``view.analysis.hotness``)."""

    def __init__(self, view: "FileView") -> None:
        self.view = view

    # ------------------------------------------------------------------ cold regions

    @cached_property
    def regions(self) -> list[ColdRegion]:
        """Every cold region of the file, in source order."""
        out: list[ColdRegion] = []
        v = self.view
        for catch in v.nodes(K.CXX_CATCH_STMT):
            out.append(ColdRegion(catch.range, "in a catch handler", "strong"))
        for stmt in v.nodes(K.UNEXPOSED_STMT) if "unlikely" in v.text else ():
            if self._attributed(stmt, "unlikely"):
                out.append(ColdRegion(stmt.range, "in an `[[unlikely]]` branch", "strong"))
        for site in v.calls:
            if site.name == "__builtin_expect":
                out.extend(self._expected(site.node))
        for if_stmt in v.nodes(K.IF_STMT):
            out.extend(self._error_branches(if_stmt))
        for loop in v.loops:
            io = self._io_call(loop)
            if io is not None:
                out.append(ColdRegion(loop.node.range, f"the loop calls `{io}` on every iteration", "loop"))
                continue
            fits = self._fits_l1(loop)
            if fits is not None:
                out.append(ColdRegion(loop.node.range, fits, "fits"))
            trips = self._nest_trips(loop)
            if trips is not None:
                out.append(ColdRegion(loop.node.range, f"a loop of {trips} iterations" if loop.parent is None
                                      or self.trip_count(loop.parent) is None
                                      else f"loops of {trips} iterations in all", "trip"))
        out.sort(key=lambda r: (r.range.start, r.range.end))
        return out

    @cached_property
    def _looped_callees(self) -> frozenset:
        out = set()
        for site in self.view.calls:
            if site.loop is None or self.view.enclosing_loop(site.node) is None:
                continue  # not in a loop, or in a for-loop's init or a range-for's range: once
            if site.callee is not None and site.callee.kind in FUNCTIONS:
                out.add(site.callee.usr)
        return frozenset(out)

    def called_in_loop(self, fn: "Node") -> bool:
        """The function ``fn`` is called on each iteration of some loop of this file: what is in
        it runs once per iteration there (the call graph's ``loop`` edge, read from the file alone)."""
        return bool(fn.usr) and fn.usr in self._looped_callees

    def cold_region(self, node: "Node") -> Optional[ColdRegion]:
        """The cold region holding ``node`` as the ranking reads it (``region_holding``), its
        innermost loop taken from the view."""
        loop = self.view.enclosing_loop(node)
        lines = (loop.node.range.start.line, loop.node.range.end.line) if loop is not None else None
        return region_holding(self.regions, node.range, lines)

    @staticmethod
    def _attributed(stmt: "Node", attribute: str) -> bool:
        kids = stmt.children
        if not kids:
            return False
        words = [t for t, _ in stmt.header_token_positions(kids[0])[:8]]
        return words[:2] == ["[", "["] and attribute in words

    def _expected(self, call: "Node") -> list[ColdRegion]:
        """The branch of the ``if`` whose condition is ``call`` (``__builtin_expect(c, v)``, maybe
        under ``!``) that the expectation says is not taken."""
        args = call.arguments
        if len(args) != 2:
            return []
        value = args[1].constant_value
        if value is None:
            return []
        negations, node = 0, call
        while node.parent is not None:
            parent = node.parent
            if parent.kind in _WRAPPERS:
                node = parent
                continue
            if parent.kind == K.UNARY_OPERATOR and len(parent.children) == 1 and parent.operator == "!":
                negations += 1
                node = parent
                continue
            break
        parent = node.parent
        if parent is None or parent.kind != K.IF_STMT:
            return []
        kids = parent.children
        at = next((i for i, k in enumerate(kids) if k is node), None)
        if at is None or at + 1 >= len(kids):
            return []
        # the condition is followed by the then-branch and the else-branch, if any
        taken_when_true = (value != 0) != (negations % 2 == 1)
        cold = (kids[at + 2] if at + 2 < len(kids) else None) if taken_when_true else kids[at + 1]
        if cold is None:
            return []
        return [ColdRegion(cold.range, "in a branch `__builtin_expect` marks unlikely", "strong")]

    def _error_branches(self, if_stmt: "Node") -> list[ColdRegion]:
        """The branches of ``if_stmt`` that end by leaving with an error. The branches are its
        last one or two children; neither a condition nor an init-statement ends so, so a child
        among them that does is a branch (no need to find the header's parenthesis)."""
        kids = if_stmt.children
        out = []
        for branch in kids[-2:] if len(kids) >= 2 else ():
            why = self._error_exit(_last_statement(branch))
            if why is not None:
                out.append(ColdRegion(branch.range, f"in a branch that {why}", "strong"))
        return out

    def _error_exit(self, stmt: "Node") -> Optional[str]:
        """How ``stmt`` leaves with an error (``returns an error``, ``throws``, ``ends the
        program``), or None."""
        node = _strip(stmt)
        if node.kind == K.CXX_THROW_EXPR:
            return "throws"
        if node.kind == K.CALL_EXPR:
            if node.spelling in _EXITS:
                return "ends the program"
            callee = node.referenced
            if callee is not None and "noreturn" in callee.attribute_names():
                return "ends the program"
            return None
        if node.kind != K.RETURN_STMT or not node.children:
            return None
        return "returns an error" if _error_value(_strip(node.children[0])) else None

    # ------------------------------------------------------------------ loops

    def _io_call(self, loop: "Loop") -> Optional[str]:
        """The I/O call the loop makes on every iteration (a statement of its body, not under a
        branch), or None."""
        body = loop.body
        if body is None:
            return None
        stmts = body.children if body.kind == K.COMPOUND_STMT else [body]
        for stmt in stmts:
            node = _strip(stmt)
            if node.kind == K.CALL_EXPR:
                name = _io_name(node)
                if name is not None:
                    return name
        return None

    def trip_count(self, loop: "Loop") -> Optional[int]:
        """The loop's constant trip count when it is at most ``SMALL_TRIP``: ``for (i = a; i < b;
        ++i)`` with constant bounds, a range-for over a braced list or an array of constant
        extent. None otherwise."""
        n = loop.node
        if n.kind == K.CXX_FOR_RANGE_STMT:
            rng = loop.parts()["range"]
            if rng is None:
                return None
            rng = _strip(rng)
            if rng.kind == K.INIT_LIST_EXPR:
                count = len(rng.children)
            else:
                t = rng.type
                count = t.array_size if t.is_array else None
            return count if count is not None and 0 <= count <= SMALL_TRIP else None
        if n.kind != K.FOR_STMT:
            return None
        # cheap first (the header's parts need its tokens): a comparison with a small constant
        if not any(k.kind == K.BINARY_OPERATOR and len(k.children) == 2
                   and 0 <= (k.children[1].constant_value or -1) <= 2 * SMALL_TRIP for k in n.children[:-1]):
            return None
        from .control import unit_step_variable

        parts = loop.parts()
        cond, init = parts["condition"], parts["init"]
        if cond is None or init is None or _strip(cond).kind != K.BINARY_OPERATOR:
            return None
        cond = _strip(cond)
        op = cond.operator
        if op not in ("<", "<=", "!="):
            return None
        var = unit_step_variable(parts["increment"])
        if var is None:
            return None
        left = _strip(cond.children[0])
        if left.kind != K.DECL_REF_EXPR or not var.is_same_declaration(left.referenced):
            return None
        bound = cond.children[1].constant_value
        start = _initial_value(init, var)
        if bound is None or start is None:
            return None
        count = bound - start + (1 if op == "<=" else 0)
        return count if 0 <= count <= SMALL_TRIP else None

    def _fits_l1(self, loop: "Loop") -> Optional[str]:
        """Why the array ``loop`` sweeps stays in L1 whatever its layout (``the whole `ps` (8 x
        16 bytes) fits in L1``): a range-for over a constant array or ``std::array``, or an index
        loop ``for (i = a; i < N; ++i)`` with a constant bound subscripting one, of at most
        ``L1_BYTES`` in all. None otherwise. Only layout rules ask (``callgraph.Region``: ``fits``)."""
        n = loop.node
        if n.kind == K.CXX_FOR_RANGE_STMT:
            rng = loop.parts()["range"]
            return _fitting(_strip(rng)) if rng is not None else None
        if n.kind != K.FOR_STMT or not any(k.kind == K.BINARY_OPERATOR and len(k.children) == 2
                                           and k.children[1].constant_value is not None for k in n.children[:-1]):
            return None
        from .control import unit_step_variable

        var = unit_step_variable(loop.parts()["increment"])
        if var is None:
            return None
        body = loop.body
        for node in body.walk() if body is not None else ():
            if node.kind == K.ARRAY_SUBSCRIPT_EXPR and len(node.children) == 2:
                index = _strip(node.children[1])
                if index.kind == K.DECL_REF_EXPR and var.is_same_declaration(index.referenced):
                    why = _fitting(_strip(node.children[0]))
                    if why is not None:
                        return why
        return None

    def _nest_trips(self, loop: "Loop") -> Optional[int]:
        """The iterations of ``loop`` and every loop around it in its function, multiplied, when
        each has a small constant trip count and the product is at most ``SMALL_NEST``."""
        total, lp = 1, loop
        while lp is not None:
            count = self.trip_count(lp)
            if count is None:
                return None
            total *= count
            lp = lp.parent
        return total if total <= SMALL_NEST else None

    # ------------------------------------------------------------------ the call graph

    def function_role(self, fn: "Function") -> tuple[str, str]:
        """(role, why): ``hot`` or ``cold`` from an attribute or the configuration's patterns,
        ``cold-role`` from the name alone (weak: the call graph may override it), or ("", "")."""
        # the view read the attributes once: is_hot/is_cold say whether there is anything to tell
        attrs = fn.node.attribute_names() if fn.is_hot or fn.is_cold else set()
        s = self.view.settings
        if "hot" in attrs:
            return "hot", "`[[gnu::hot]]`"
        if "cold" in attrs:
            return "cold", "`[[gnu::cold]]`"
        hot = _pattern(s.hot_functions, fn.name, fn.qualified_name)
        if hot is not None:
            return "hot", f"hot-functions `{hot}`"
        cold = _pattern(s.cold_functions, fn.name, fn.qualified_name)
        if cold is not None:
            return "cold", f"cold-functions `{cold}`"
        role = cold_role(fn.name, fn.qualified_name)
        return ("cold-role", role) if role else ("", "")

    @cached_property
    def fragment(self) -> dict:
        """The file's part of the project's call graph, as plain data::

            {"usrs": [usr, ...],   # each function's USR once; the lists below index it
             "functions": [[usr index, qualified name, first line, last line, role, why], ...],
             "calls": [[caller usr index, callee usr index, kind], ...],   # kind: loop, call or cold
             "cold": [ColdRegion.to_json(), ...],
             "threads": analysis.threads.ThreadRoles.fragment}
        """
        from .control import outermost_function

        v = self.view
        usrs: dict[str, int] = {}

        def index(usr: str) -> int:
            return usrs.setdefault(usr, len(usrs))

        functions, seen = [], set()
        for fn in v.functions:
            if fn.node.kind == K.LAMBDA_EXPR:
                continue
            usr = fn.node.usr
            if not usr or usr in seen:
                continue
            seen.add(usr)
            role, why = self.function_role(fn)
            r = fn.node.range
            functions.append([index(usr), fn.qualified_name, r.start.line, r.end.line, role, why])
        strong_lines: dict[int, list[ColdRegion]] = {}  # line -> the strong regions over it
        for r in self.regions:
            if r.strength == "strong":
                for line in range(r.range.start.line, r.range.end.line + 1):
                    strong_lines.setdefault(line, []).append(r)
        small = {id(lp.node) for lp in v.loops if any(r.strength == "trip" and r.range == lp.node.range
                                                       for r in self.regions)}
        calls, edges = [], set()
        for site in v.calls:
            if site.function is None:
                continue
            caller = outermost_function(v, site.function)
            if caller.node.kind == K.LAMBDA_EXPR:
                continue
            callee = site.callee
            if callee is None or callee.kind not in _CALLABLE:
                continue
            usr = callee.usr
            if not usr or usr.startswith(_LIBRARY_USRS):
                continue
            loop = site.loop
            if loop is None and site.function is not caller:  # a lambda's call: its loop is where it is written
                loop = v.enclosing_loop(site.function.node)
            rng = site.node.range if strong_lines else None
            if rng is not None and any(r.range.contains(rng) for r in strong_lines.get(rng.start.line, ())):
                kind = "cold"
            elif loop is not None and id(loop.node) not in small:
                kind = "loop"
            else:
                kind = "call"
            if not caller.node.usr:
                continue
            edge = (index(caller.node.usr), index(usr), kind)
            if edge not in edges:
                edges.add(edge)
                calls.append(list(edge))
        threads = v.analysis.thread_roles.fragment(index)
        return {"usrs": list(usrs), "functions": functions, "calls": calls,
                "cold": [r.to_json() for r in self.regions], "threads": threads}

    def strong_region_at(self, node: "Node") -> Optional[ColdRegion]:
        """The innermost strong cold region (an error branch, a catch handler, an unlikely
        branch) around ``node``, or None; I/O loops and small trip counts, which speak only of
        what is directly in them, are not asked."""
        rng = node.range
        found = [r for r in self.regions if r.strength == "strong" and r.range.contains(rng)]
        return max(found, key=lambda r: r.range.start) if found else None

    def loop_caller(self, fn: "Function") -> Optional[str]:
        """The qualified name of a function of this file that calls ``fn`` on each iteration of
        one of its loops (the fragment's ``loop`` calls: not on a cold path, not in a loop of a
        small constant trip count), or None."""
        frag = self.fragment
        usr = fn.node.usr
        if not usr or usr not in frag["usrs"]:
            return None
        index = frag["usrs"].index(usr)
        names = {f[0]: f[1] for f in frag["functions"]}
        return next((names.get(a, frag["usrs"][a]) for a, b, kind in frag["calls"] if b == index and kind == "loop"),
                    None)


_CALLABLE = frozenset({K.FUNCTION_DECL, K.CXX_METHOD, K.CONSTRUCTOR, K.DESTRUCTOR, K.CONVERSION_FUNCTION,
                       K.FUNCTION_TEMPLATE})
_LIBRARY_USRS = ("c:@N@std@", "c:@N@__gnu_cxx@", "c:@N@__cxxabiv1@", "c:@N@__gnu_debug@")


def _error_value(value: "Node") -> bool:
    """A returned value that says "failed": a negative constant, ``false``, a null pointer, or
    a call naming an error (``Status::IOError(...)``, ``absl::InternalError``, ``std::unexpected``)."""
    kind = value.kind
    if kind in NULL_LITERALS:
        return True
    if kind == K.CXX_BOOL_LITERAL_EXPR:
        return value.constant_value == 0
    if kind in (K.UNARY_OPERATOR, K.INTEGER_LITERAL):
        c = value.constant_value
        return c is not None and c < 0 and not value.type.spelling.startswith("unsigned")
    node = value
    for _ in range(6):  # down the chain of conversions and copies a returned object is built by
        if node.kind in (K.CALL_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR):
            name = node.spelling
            if name in _ERROR_VALUES or (name.endswith("Error") and name != "Error"):
                return True
        if node.kind == K.CSTYLE_CAST_EXPR and node.type.is_pointer:  # C's NULL: ((void*)0)
            inner = _strip(node.children[-1]) if node.children else None
            return inner is not None and inner.kind == K.INTEGER_LITERAL and inner.constant_value == 0
        kids = node.children
        if not kids:
            break
        node = kids[0]
    return False


def _initial_value(init: "Node", var: "Node") -> Optional[int]:
    """The constant a for-loop's init gives ``var`` (``int i = 0`` or ``i = 2``), or None."""
    node = _strip(init)
    if node.kind == K.DECL_STMT:
        decls = [d for d in node.children if d.kind == K.VAR_DECL]
        if len(decls) != 1 or not decls[0].is_same_declaration(var) or not decls[0].children:
            return None
        return decls[0].children[-1].constant_value
    if node.kind == K.BINARY_OPERATOR and node.operator == "=" and len(node.children) == 2:
        left = _strip(node.children[0])
        if left.kind == K.DECL_REF_EXPR and var.is_same_declaration(left.referenced):
            return node.children[1].constant_value
    return None


def _fitting(seq: "Node") -> Optional[str]:
    """``the whole `ps` (8 x 16 bytes) fits in L1`` for a named constant array or ``std::array``
    of at most ``L1_BYTES``, else None."""
    if seq.kind not in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
        return None
    t = seq.type.non_reference().canonical
    size, count = t.size, t.array_size if t.is_array else None
    if count is None and (t.record_name or "") == "std::array":
        args = t.template_arguments
        elem = args[0].size if args else None
        count = size // elem if size and elem else None
    if not size or not count or size > L1_BYTES:
        return None
    return f"the whole `{seq.spelling}` ({count} x {size // count} bytes) fits in L1"


def io_call(call: "Node") -> Optional[str]:
    """The I/O function or stream a call does I/O through (``fwrite``, ``std::cout <<``), or None."""
    return _io_name(call)


def _io_name(call: "Node") -> Optional[str]:
    name = call.spelling
    if name in _STREAM_OPERATORS:
        stream = call
        for _ in range(64):  # `out << a << b`: the stream is the leftmost operand
            args = stream.arguments
            if not args:
                return None
            stream = _strip(args[0])
            if stream.kind != K.CALL_EXPR or stream.spelling != name:
                break
        t = stream.type.non_reference().canonical.spelling
        return f"std::{'cout <<' if name == 'operator<<' else 'cin >>'}" if any(s in t for s in _STREAM_TYPES) else None
    if name not in IO_FUNCTIONS and not any(q.endswith("::" + name) for q in IO_STD):
        return None
    callee = call.referenced
    if callee is None or callee.kind != K.FUNCTION_DECL:
        return None
    q = callee.qualified_name
    if q in IO_STD or (q == name and name in IO_FUNCTIONS):
        return name
    return None


__all__ = ["DEFAULT_COLD_PAIRS", "DEFAULT_COLD_WORDS", "IO_FUNCTIONS", "SMALL_TRIP", "ColdRegion", "FileHotness",
           "cold_role", "io_call", "name_words"]
