"""alloc-in-loop: heap allocations executed once per loop iteration."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from hotlint.model import Applicability, Edit, Fix, Position, Range, Severity
from hotlint.rule import Finding, Option, Rule, fix
from hotlint.view import LOOP_KINDS, Loop

from .arena import PMR_ALLOCATOR as _PMR_ALLOCATOR
from .arena import arena_rewrite
from .arena import bare as _bare
from .arena import bare_parent as _bare_parent
from .arena import is_pmr as _is_pmr
from .arena import params as _params
from .._seq_cst_default_text import in_main_file, line_indent, text_at

_CONTAINERS = {
    "std::vector", "std::basic_string", "std::deque", "std::list", "std::forward_list",
    "std::map", "std::multimap", "std::set", "std::multiset", "std::unordered_map",
    "std::unordered_multimap", "std::unordered_set", "std::unordered_multiset",
}
_NODE_BASED = {"std::list", "std::forward_list", "std::map", "std::multimap", "std::set",
               "std::multiset", "std::unordered_map", "std::unordered_multimap",
               "std::unordered_set", "std::unordered_multiset"}
# Member functions that put elements (so heap memory) into a container.
_GROWING = {
    "push_back", "emplace_back", "push_front", "emplace_front", "insert", "emplace",
    "emplace_hint", "try_emplace", "insert_or_assign", "resize", "reserve", "assign", "append",
    "operator+=", "append_range", "insert_range", "assign_range", "prepend_range",
    "push_range",
}
_INDEXING_INSERTS = {"std::map", "std::unordered_map"}  # operator[] inserts a missing key
_INSERTERS = {"std::back_inserter", "std::front_inserter", "std::inserter", "std::getline"}
_MAKERS = {
    "std::make_unique": "the object", "std::make_unique_for_overwrite": "the object",
    "std::make_shared": "the object and its control block in one block",
    "std::make_shared_for_overwrite": "the object and its control block in one block",
    "std::allocate_shared": "the object and its control block in one block",
}
_C_ALLOCATORS = {"malloc", "calloc", "realloc", "reallocarray", "aligned_alloc", "strdup",
                 "strndup", "posix_memalign", "memalign", "valloc", "operator new", "operator new[]"}
_CALL_NAMES = {q.rsplit("::", 1)[-1] for q in _MAKERS} | _C_ALLOCATORS | {"operator+"}
# libstdc++ keeps up to 15 bytes of characters inside the string object (libc++: 22).
_SSO_DEFAULT = 15
# Widest std::to_string(int-like) results: "-2147483648" and "18446744073709551615".
_TO_STRING_WIDTH = {4: 11, 2: 6, 1: 4, 8: 20}


@dataclass(eq=False)
class _Site:
    """One expression or declaration that allocates each time the loop body runs."""

    node: object  # where the finding points
    loop: Loop
    what: str  # "`new Node`", "`tmp` (std::vector<int>)"
    how: str  # the mechanism, ending without a period
    advice: str
    conditional: bool = False
    via: Optional[str] = None  # "the lambda `f` called at line 12"
    edits: Optional[list[Edit]] = None
    edits_description: str = ""
    notes: list[str] = field(default_factory=list)
    # what the arena rewrite needs to know, from the same look that found the site
    kind: str = ""  # new, maker, c-alloc, concat, container
    callee: str = ""  # std::make_unique, malloc, ...
    family: Optional[str] = None  # std::vector, ... for containers
    ctor: object = None  # a container's constructor call
    array: bool = False  # new T[n]
    pieces: list = field(default_factory=list)  # a concatenation's operands
    max_length: Optional[int] = None  # a concatenation's longest result, when bounded


class AllocInLoop(Rule):
    """Flags heap allocations that run once per loop iteration.

    ## What it does
    Finds, inside the body, condition or increment of a `for`, range-`for`, `while` or `do`
    loop (at any depth under branches, and in a lambda the loop calls):

    * `new` and `new[]` (not placement `new`, and not a class with its own `operator new`);
    * `std::make_unique`, `std::make_shared` and friends;
    * `malloc`, `calloc`, `realloc`, `strdup` and the rest of the C allocators;
    * a `std::vector`, `std::string`, `std::deque` or node container (`list`, `map`, `set`,
      `unordered_*`) declared in the loop and filled there (`push_back`, `insert`, `+=`,
      `operator[]` on a map, `std::getline`, a function taking it by non-const reference), or
      constructed with elements (a size, an initializer list, a copy of another container, a
      range-`for` variable copied by value); a `std::deque` allocates even when empty;
    * a `std::string` built by concatenation (`a + "_" + b`, `"id:" + std::to_string(n)`).

    Each allocating expression is one finding (so each can be suppressed on its own line), and
    the message counts the allocating expressions the loop body runs per iteration. Types are
    read from the real declarations: `std::pmr::` containers and `std::allocate_shared` with a
    `polymorphic_allocator` are the fix, not the problem, and are never reported.

    Not reported: allocations that run once (`static` and `thread_local` locals, a `for`
    loop's init-statement, a range-`for`'s range expression, a branch that leaves the loop with
    `break`, `return` or `throw`, an object created lazily under `if (p == nullptr)`), a
    container declared in the loop but never filled, a `std::string` that provably fits the
    small-string buffer (a short literal, short literal appends, `std::to_string` of an `int`,
    at most 11 characters), and code in a lambda or local class that is merely defined in the
    loop. Growing a container declared before the loop is amortized and left alone.

    ## Why is this bad?
    Every allocation is a call into the allocator (tens of nanoseconds for `malloc`/`free`,
    more under contention or when the heap must ask the kernel for memory), touches
    allocator metadata that evicts the loop's own data from L1, and breaks the
    data-parallel shape that lets the compiler vectorize the loop. A container rebuilt each
    iteration also loses its capacity, so a growing `std::vector` reallocates log2(n) times per
    iteration. The measured slow/fast ratio of an allocating loop against its hoisted form
    comes from the rule's bench pair: `hotlint bench alloc-in-loop`.

    ## Example
    ```cpp
    for (const Row& row : rows) {
        std::vector<int> ids;                   // allocated, regrown, freed per row
        for (const Cell& c : row.cells) ids.push_back(c.id);
        emit(ids);
    }
    ```

    ## Use instead
    ```cpp
    std::vector<int> ids;
    for (const Row& row : rows) {
        ids.clear();                            // keeps the capacity
        for (const Cell& c : row.cells) ids.push_back(c.id);
        emit(ids);
    }
    ```
    or, when the objects must be distinct or the container allocates per element (a `map`,
    `set`, `list`, `unordered_*`), an arena that is released in one step, as hotlint writes it:
    ```cpp
    alignas(std::max_align_t) std::array<std::byte, 16 * 1024> arena_buf;
    std::pmr::monotonic_buffer_resource arena{arena_buf.data(), arena_buf.size()};
    for (const Row& row : rows) {
        arena.release();                        // the previous row's memory is all dead here
        std::pmr::map<int, int> seen(&arena);   // nodes come from the stack buffer
        for (const Cell& c : row.cells) ++seen[c.id];
        emit_counts(seen);                      // taking a std::pmr::map, or a template
    }
    ```

    ## Fix safety
    A finding carries one fix, shown by `hotlint --show-fixes` and offered by the language server:

    * **Hoist and clear** (unsafe: `--fix --unsafe-fixes` applies it) for a container declared
      in the loop body with no initializer and grown there (a node container only when the
      arena cannot take it): the declaration moves before the loop and becomes
      `name.clear();`. The elements of the last iteration now live until the end of the
      enclosing block, pointers and references to elements kept across iterations see
      different objects, and a moved-from container is reused. It is offered only when the
      loop is a statement of a block, the declaration's type names nothing declared inside the
      loop, and hoisting cannot clash with or shadow another variable of that name.
    * **Arena** (display-only: shown, never applied) for the other allocations of the loop body,
      and for node containers (hoisted, `clear()` still frees every node, so only the arena
      removes their allocations). One rewrite covers every site of the loop it can take: a
      stack buffer and a `std::pmr::monotonic_buffer_resource` before the loop (its upstream is
      the heap, so an iteration that needs more still works), `arena.release()` as the first
      statement of the body (there the previous iteration's objects are all destroyed; at the
      end of the body the body's own containers would still be alive), and the missing
      `#include`s. Containers become their `std::pmr` twins built on the arena
      (`std::vector<T> v(n)` -> `std::pmr::vector<T> v(n, &arena)`, a copy of another
      container via its iterators); `new T[n]` of a trivial `T` becomes
      `static_cast<T*>(arena.allocate(n * sizeof(T), alignof(T)))` and `new T(...)` a
      placement new into the arena, with the matching `delete` removed (`std::destroy_at`
      when `T` has a destructor); `std::make_unique<T[]>(n)` becomes
      `std::pmr::vector<T>(n, &arena)` (`.get()` -> `.data()`); `std::make_shared` becomes
      `std::allocate_shared` with a `std::pmr::polymorphic_allocator`; `malloc`/`calloc`
      freed in the same block become `arena.allocate`; a `std::string` built by `+` is
      appended piece by piece into a `std::pmr::string`. The rewrite compiles and keeps the
      program's meaning: a site is left alone, with a note saying why, when its memory could
      leave the iteration (moved, swapped, returned, a `std::shared_ptr` copied, a pointer not
      freed exactly once by the block that allocates it), when its `std::pmr` type would not
      fit where it goes (a function taking `const std::vector<T>&` or `std::string`, a
      comparison with a `std::string`), or when it runs in a lambda or the loop's header.

    Other allocations (`std::make_unique` of one object, `strdup`, `realloc`, a copying
    range-`for` variable) get no fix: reuse and `reserve` need a human.

    ## Options
    * `sso-capacity` (int, default `15`): how many `char`s a `std::string` holds without
      allocating (15 for libstdc++, 22 for libc++). Strings that provably fit are not reported.
    * `through-calls` (bool, default `true`): count passing a loop-local container by
      non-const reference to a function as filling it.

    ## References
    * Chandler Carruth, "Efficiency with Algorithms, Performance with Data Structures"
      (CppCon 2014).
    * cppreference, "std::pmr::monotonic_buffer_resource".
    * clang-tidy `performance-inefficient-vector-operation`,
      `performance-unnecessary-copy-initialization`.
    """

    name = "alloc-in-loop"
    summary = "heap allocation executed once per loop iteration"
    severity = Severity.WARNING
    # Types decide everything here (is this std::vector, is its allocator polymorphic);
    # a parse error can turn them into int.
    needs_layout = True
    options = {
        "sso-capacity": Option(_SSO_DEFAULT, "chars a std::string holds without allocating", int, 0),
        "through-calls": Option(True, "count passing by non-const reference as filling", bool),
    }

    def check(self, view) -> Iterable[Finding]:
        sso = self.option(view, "sso-capacity")
        through_calls = self.option(view, "through-calls")
        sites: list[_Site] = []
        for node in view.nodes("CXX_NEW_EXPR"):
            self._add(view, sites, node, lambda loop, n=node: _new_site(view, n, loop))
        for call in view.calls:
            if call.name in _CALL_NAMES:  # before anything that resolves the callee
                self._add(view, sites, call.node, lambda loop, c=call: _call_site(view, c, loop, sso))
        for var in view.nodes("VAR_DECL"):
            if var.type.record_name in _CONTAINERS:
                self._add(view, sites, var,
                          lambda loop, v=var: _container_site(view, v, loop, sso, through_calls))
        per_loop: dict[int, list[_Site]] = {}
        for site in sites:
            per_loop.setdefault(id(site.loop), []).append(site)
        arena: dict[int, Fix] = {}
        refusals: dict[int, str] = {}
        if view.language == "c++":
            for same_loop in per_loop.values():
                # node containers too: hoisted, clear() still frees every node and the next
                # iteration allocates them again, so the arena is their real fix
                candidates = [s for s in same_loop if not s.edits or s.family in _NODE_BASED]
                if candidates:
                    the_fix, converted, reasons = arena_rewrite(view, same_loop[0].loop, candidates)
                    arena.update((k, the_fix) for k in converted)
                    refusals.update(reasons)
        for site in sorted(sites, key=lambda s: s.node.range.start):
            yield self._finding(view, site, per_loop[id(site.loop)], arena.get(id(site)), refusals.get(id(site)))

    def _add(self, view, sites: list[_Site], node, make) -> None:
        if not in_main_file(view, node):
            return
        loop, via = _repeating_loop(view, node)
        if loop is None or _runs_once(node, loop, inside_lambda=via is not None) or _lazily_created(node, loop):
            return
        site = make(loop)
        if site is None:
            return
        site.via = via
        site.conditional = _is_conditional(node, loop)
        sites.append(site)

    def _finding(self, view, site: _Site, same_loop: list[_Site], arena: Optional[Fix],
                 refusal: Optional[str]) -> Finding:
        loop = site.loop
        count = len(same_loop)
        maybe = "up to " if any(s.conditional for s in same_loop) else ""
        where = f"the {_loop_word(loop)} loop at line {loop.node.range.start.line}"
        if site.via:
            where += f" (in {site.via})"
        plural = "s" if count != 1 else ""
        when = "each time its branch runs in" if site.conditional else "in every iteration of"
        message = (f"{site.what} {site.how} {when} {where}; the loop body makes "
                   f"{maybe}{count} heap allocation{plural} per iteration. {site.advice}.")
        the_fix = arena
        notes = list(site.notes)
        if the_fix is None and site.edits:
            the_fix = fix(site.edits_description, site.edits, Applicability.UNSAFE)
        if refusal:
            notes.append(f"no arena rewrite: {refusal}")
        others = [s for s in same_loop if s is not site]
        if others:
            lines = sorted({s.node.range.start.line for s in others})
            notes.append("the loop's other allocating expressions are at line" + ("s " if len(lines) > 1 else " ")
                         + ", ".join(str(n) for n in lines))
        return Finding(_report_range(site.node), message,
                       severity=self.severity_for(view, _hotness_anchor(view, site), self.severity),
                       fix=the_fix, notes=tuple(notes))


# --------------------------------------------------------------------------- where it runs


def _loop_word(loop: Loop) -> str:
    return {"for": "`for`", "range-for": "range-`for`", "while": "`while`", "do": "`do`"}[loop.kind]


def _report_range(node) -> Range:
    return node.range


def _hotness_anchor(view, site: _Site):
    """Severity follows where the allocation runs: the loop's body for a called lambda."""
    if site.via is None:
        return site.node
    body = site.loop.body
    return body if body is not None else site.loop.node


def _repeating_loop(view, node) -> tuple[Optional[Loop], Optional[str]]:
    """The innermost loop that runs ``node`` once per iteration, and, when it runs through a
    lambda the loop calls, a description of that lambda."""
    loop = view.enclosing_loop(node)
    if loop is not None:
        return loop, None
    fn = view.enclosing_function(node)
    if fn is None or fn.node.kind != "LAMBDA_EXPR":
        return None, None
    lam = fn.node
    holder = _bare_parent(lam)
    if holder is not None and holder.kind == "CALL_EXPR" and holder.spelling == "operator()":
        loop = view.enclosing_loop(holder)
        if loop is not None:
            return loop, f"a lambda called where it is defined, line {holder.range.start.line}"
    if holder is not None and holder.kind == "VAR_DECL":
        for call in view.calls:
            if call.name != "operator()" or not call.node.children:
                continue
            obj = _bare(call.node.children[0])
            if obj is None or obj.kind != "DECL_REF_EXPR" or obj.referenced != holder:
                continue
            loop = view.enclosing_loop(call.node)
            if loop is not None:
                return loop, f"the lambda `{holder.spelling}` called at line {call.node.range.start.line}"
    return None, None


def _runs_once(node, loop: Loop, inside_lambda: bool) -> bool:
    """True when the allocation leaves the loop right after: it is thrown or returned, in a
    catch handler, or in a block that ends the loop with break/return/throw/goto."""
    cur = node
    for anc in node.ancestors():
        if anc is loop.node:
            return False
        kind = anc.kind
        if kind in ("CXX_THROW_EXPR", "CXX_CATCH_STMT"):
            return True
        if kind == "LAMBDA_EXPR":
            return False
        if kind == "RETURN_STMT" and not inside_lambda:
            return True
        if kind == "COMPOUND_STMT" and not inside_lambda:
            after = False
            for child in anc.children:
                if child is cur:
                    after = True
                    continue
                if after and _leaves_loop(child, anc, loop):
                    return True
        cur = anc
    return False


def _leaves_loop(stmt, block, loop: Loop) -> bool:
    kind = stmt.kind
    if kind in ("RETURN_STMT", "GOTO_STMT"):
        return True
    if kind == "CXX_THROW_EXPR" or (kind == "UNEXPOSED_EXPR" and _bare(stmt).kind == "CXX_THROW_EXPR"):
        return True
    if kind == "BREAK_STMT":
        for anc in [block, *block.ancestors()]:
            if anc is loop.node:
                return True
            if anc.kind == "SWITCH_STMT" or anc.kind in LOOP_KINDS:
                return False
    return False


def _assigned_entity(node):
    """The variable or member an allocation is stored into: ``p = new T``, ``p = make_unique``,
    ``p.reset(new T)``."""
    cur, parent = node, _bare_parent(node)
    if parent is None:
        return None
    target = None
    if parent.kind == "BINARY_OPERATOR" and parent.operator == "=" and parent.children \
            and parent.children[-1] is not None and not cur.is_within(parent.children[0]) \
            and cur is not parent.children[0]:
        target = _bare(parent.children[0])
    elif parent.kind == "CALL_EXPR" and parent.spelling in ("operator=", "reset"):
        target = _call_object(parent)
    if target is None or target.kind not in ("DECL_REF_EXPR", "MEMBER_REF_EXPR"):
        return None
    return target.referenced


def _lazily_created(node, loop: Loop) -> bool:
    """``if (p == nullptr) p = new T;``: the allocation is guarded by a test of the pointer it
    fills, so it runs once until the pointer is reset, not once per iteration."""
    entity = _assigned_entity(node)
    if entity is None:
        return False
    for anc in node.ancestors():
        if anc is loop.node:
            return False
        if anc.kind == "IF_STMT" and len(anc.children) >= 2:
            cond, then = anc.children[0], anc.children[1]
            if not (node is then or node.is_within(then)):
                continue  # in the condition or the else branch
            if _tests_null(cond, entity):
                return True
    return False


_NULL_LITERALS = ("CXX_NULL_PTR_LITERAL_EXPR", "GNU_NULL_EXPR")


def _tests_null(cond, entity) -> bool:
    """Whether ``cond`` holds only while ``entity`` is null: ``!p``, ``p == nullptr`` (either
    side, ``NULL`` or ``0`` too; a smart pointer's ``!owned`` and ``owned == nullptr`` as well),
    or a conjunction with such a test. ``p != nullptr`` and a disjunction do not: the guarded
    code can then run on every iteration."""
    cond = _bare(cond)
    if cond is None:
        return False
    operands = _operands(cond)
    if cond.operator == "&&" and len(operands) == 2:
        return any(_tests_null(side, entity) for side in operands)
    if cond.operator == "!" and len(operands) == 1:
        return _names_entity(operands[0], entity)
    if cond.operator == "==" and len(operands) == 2:
        a, b = (_bare(c) for c in operands)
        return (_names_entity(a, entity) and _is_null(b)) or (_names_entity(b, entity) and _is_null(a))
    return False


def _operands(expr) -> list:
    """The operands of a built-in or overloaded operator (an overload's callee left out)."""
    if expr.kind == "CALL_EXPR":
        return [c for c in expr.children
                if not (_bare(c) is not None and _bare(c).kind == "DECL_REF_EXPR"
                        and _bare(c).spelling.startswith("operator"))]
    return list(expr.children)


def _names_entity(expr, entity) -> bool:
    expr = _bare(expr)
    # a smart pointer tested through its `explicit operator bool`
    while expr is not None and expr.kind == "CALL_EXPR" and expr.spelling == "operator bool" and expr.children:
        member = _bare(expr.children[0])
        expr = _bare(member.children[0]) if member is not None and member.children else None
    return expr is not None and expr.kind in ("DECL_REF_EXPR", "MEMBER_REF_EXPR") and expr.referenced == entity


def _is_null(expr) -> bool:
    expr = _bare(expr)
    while expr is not None and expr.kind == "CSTYLE_CAST_EXPR" and expr.children:  # C's ((void*)0)
        expr = _bare(expr.children[-1])
    if expr is None:
        return False
    if expr.kind in _NULL_LITERALS:
        return True
    return expr.kind == "INTEGER_LITERAL" and expr.tokens == ["0"]


def _is_conditional(node, loop: Loop) -> bool:
    for anc in node.ancestors():
        if anc is loop.node:
            return False
        if anc.kind in ("IF_STMT", "SWITCH_STMT", "CONDITIONAL_OPERATOR") or anc.kind in LOOP_KINDS:
            return True
        if anc.kind == "BINARY_OPERATOR" and anc.operator in ("&&", "||"):
            return True
    return False


# --------------------------------------------------------------------------- new, calls


def _short(view, node, limit: int = 48) -> Optional[str]:
    text = text_at(view, node.range)
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text.strip())
    return text if len(text) <= limit else None


def _new_site(view, node, loop: Loop) -> Optional[_Site]:
    toks = node.tokens
    if not toks:
        return None
    i = toks.index("new") if "new" in toks else -1
    if i < 0:
        return None
    placement = _placement_arguments(node, toks, i)
    if placement and not all(_is_nothrow(a) for a in placement):
        return None  # placement new constructs in memory someone else owns
    pointee = node.type.pointee
    if pointee is not None and _has_class_operator_new(pointee):
        return None  # the class routes its allocations through its own operator new
    spelled = _short(view, node)
    if spelled is None:
        type_name = pointee.spelling if pointee is not None else "T"
        spelled = f"new {type_name}[]" if _is_array_new(toks, i) else f"new {type_name}"
    what = f"`{spelled}`"
    return _Site(node, loop, what, "allocates on the heap",
                 "Reuse one object (hoisted before the loop), keep the objects in a container "
                 "that is reserved once, or take them from an arena "
                 "(std::pmr::monotonic_buffer_resource) released in one step",
                 kind="new", array=_is_array_new(toks, i))


def _is_array_new(toks: list[str], i: int) -> bool:
    """``new T[n]``: the type-id (after any placement or parenthesized part) ends at a ``[``."""
    j, depth = i + 1, 0
    while j < len(toks) and toks[j] == "(":  # placement arguments or a parenthesized type-id
        for k in range(j, len(toks)):
            depth += {"(": 1, ")": -1}.get(toks[k], 0)
            if depth == 0:
                j = k + 1
                break
        else:
            return False
    angle = 0
    for t in toks[j:]:
        if t == "<":
            angle += 1
        elif t == ">":
            angle -= 1
        elif angle <= 0 and t == "[":
            return True
        elif angle <= 0 and t in ("(", "{", ";", ","):
            return False
    return False


def _placement_arguments(node, toks: list[str], i: int) -> list:
    """Children written inside ``new ( ... )`` before the type."""
    if i + 1 >= len(toks) or toks[i + 1] != "(":
        return []
    positions = node.token_positions
    depth, close = 0, None
    for spelling, pos in positions[i + 1:]:
        if spelling == "(":
            depth += 1
        elif spelling == ")":
            depth -= 1
            if depth == 0:
                close = pos
                break
    if close is None:
        return []
    inside = [c for c in node.children if c.range.start < close and c.kind not in ("TYPE_REF",)]
    return inside


def _is_nothrow(arg) -> bool:
    name = _bare(arg).type.unqualified_name
    return name in ("std::nothrow_t", "const std::nothrow_t") or name.endswith("nothrow_t")


def _has_class_operator_new(t) -> bool:
    decl = t.declaration
    if decl is None or not t.is_record:
        return False
    return any(c.kind in ("CXX_METHOD", "FUNCTION_TEMPLATE") and c.spelling.startswith("operator new")
               for c in decl.children)


def _call_site(view, call, loop: Loop, sso: int) -> Optional[_Site]:
    callee = call.callee
    if callee is None:
        return None
    qname = call.qualified_name
    name = call.name
    if qname in _MAKERS:
        if qname == "std::allocate_shared" and call.arguments and \
                _bare(call.arguments[0]).type.non_reference().record_name == _PMR_ALLOCATOR:
            return None  # drawn from a memory resource: the arena form this rule suggests
        spelled = _callee_text(view, call) or qname
        return _Site(call.node, loop, f"`{spelled}`", f"allocates {_MAKERS[qname]} on the heap",
                     "Reuse the object across iterations, keep the objects by value in a "
                     "container reserved once, or allocate them from an arena "
                     "(std::allocate_shared with a std::pmr::polymorphic_allocator)",
                     kind="maker", callee=qname)
    if qname in _C_ALLOCATORS and callee.is_in_system_header:
        how = {"realloc": "may move and reallocate the block on the heap",
               "strdup": "copies the string into a new heap block",
               "strndup": "copies the string into a new heap block"}.get(qname, "allocates on the heap")
        return _Site(call.node, loop, f"`{name}`", how,
                     "Allocate one buffer before the loop and reuse it (sized for the largest "
                     "iteration), or use a stack buffer when the size is small and bounded",
                     kind="c-alloc", callee=qname)
    if name == "operator+" and qname == "std::operator+":
        return _concatenation_site(view, call, loop, sso)
    return None


def _callee_text(view, call) -> Optional[str]:
    kids = call.node.children
    if not kids:
        return None
    ref = _bare(kids[0])
    return _short(view, ref) if ref is not None else None


def _string_type(t) -> bool:
    t = t.non_reference() if t.is_reference else t
    return t.record_name == "std::basic_string" and not _is_pmr(t)


def _concatenation_site(view, call, loop: Loop, sso: int) -> Optional[_Site]:
    node = call.node
    if not _string_type(node.type):
        return None
    parent = _bare_parent(node)
    if parent is not None and parent.kind == "CALL_EXPR" and parent.spelling == "operator+" and _string_type(parent.type):
        return None  # one finding per chain: the outermost + reports it
    operands = _concat_operands(node)
    capacity = _sso_chars(node.type, sso)
    longest = 0
    for op in operands:
        width = _max_length(op)
        if width is None:
            longest = None
            break
        longest += width
    if longest is not None and longest <= capacity:
        return None  # provably fits the small-string buffer
    text = _short(view, node)
    what = f"`{text}`" if text else "this string concatenation"
    how = (f"builds a new std::string from {len(operands)} pieces, allocating whenever the result "
           f"exceeds the {capacity}-character small-string buffer")
    if longest is not None:
        how = (f"builds a new std::string of up to {longest} characters from {len(operands)} pieces, "
               f"more than the {capacity}-character small-string buffer holds")
    return _Site(node, loop, what, how,
                 "Build the key in a std::string hoisted before the loop (clear() then append, "
                 "which keeps its capacity), or look it up with a std::string_view or a "
                 "structured key instead of a concatenated one",
                 kind="concat", pieces=operands, max_length=longest)


def _concat_operands(node) -> list:
    """The leaves of an ``a + b + c`` chain of std::string operator+ calls."""
    out = []
    for arg in node.arguments:
        inner = _bare(arg)
        if inner is not None and inner.kind == "CALL_EXPR" and inner.spelling == "operator+" and _string_type(inner.type):
            out.extend(_concat_operands(inner))
        else:
            out.append(arg)
    return out


def _sso_chars(string_type, sso: int) -> int:
    t = string_type.non_reference() if string_type.is_reference else string_type
    args = t.template_arguments
    width = args[0].size if args and args[0].size else 1
    return sso // max(1, width)


def _max_length(expr) -> Optional[int]:
    """The most characters an operand can contribute, when it is bounded by its spelling."""
    inner = _bare(expr)
    if inner is None:
        return None
    if inner.kind == "CXX_FUNCTIONAL_CAST_EXPR":  # std::string("-")
        exprs = [c for c in inner.children if c.is_expression]
        return _max_length(exprs[-1]) if exprs else None
    if inner.kind == "STRING_LITERAL":
        size = inner.type.array_size
        return size - 1 if size else None
    if inner.kind == "CHARACTER_LITERAL":
        return 1
    if inner.kind == "CALL_EXPR" and inner.spelling == "to_string" and inner.referenced is not None \
            and inner.referenced.qualified_name == "std::to_string" and inner.arguments:
        arg_type = _bare_type(inner.arguments[0])
        if arg_type is not None and arg_type.canonical.kind in (
                "INT", "UINT", "SHORT", "USHORT", "LONG", "ULONG", "LONGLONG", "ULONGLONG",
                "CHAR_S", "SCHAR", "UCHAR", "BOOL"):
            return _TO_STRING_WIDTH.get(arg_type.size or 8)
        return None
    if inner.kind == "CALL_EXPR" and inner.referenced is not None and inner.referenced.kind == "CONSTRUCTOR" \
            and inner.arguments:
        return _max_length(inner.arguments[0]) if len(inner.arguments) == 1 or not inner.arguments[1].is_written \
            else None
    return None


def _bare_type(arg):
    """The type an argument had before implicit conversions."""
    node = arg
    while node is not None and node.kind == "UNEXPOSED_EXPR" and node.children:
        node = node.children[0]
    return node.type if node is not None else None


# --------------------------------------------------------------------------- containers


def _container_site(view, var, loop: Loop, sso: int, through_calls: bool) -> Optional[_Site]:
    if var.storage != "auto":
        return None  # static and thread_local locals are built once
    t = var.type
    if t.is_reference or t.is_pointer:
        return None
    family = t.record_name
    if family not in _CONTAINERS or _is_pmr(t):
        return None
    shown = f"`{var.spelling}` ({t.spelling})"
    capacity = _sso_chars(t, sso) if family == "std::basic_string" else None
    ctor = _constructor_call(var)
    is_loop_variable = loop.node.kind == "CXX_FOR_RANGE_STMT" and loop.parts()["variable"] is var
    how = None
    if ctor is not None:
        how = _constructed_with_elements(view, ctor, family, capacity, is_loop_variable)
    default_constructed = _initializer(var) is None or (ctor is not None and not _written_args(ctor))
    if how is None and family == "std::deque" and default_constructed:
        how = ("is constructed, which allocates its block map and a first 512-byte node even "
               "while it is empty (libstdc++),")
    growth = _growth(view, var, loop, family, capacity, through_calls)
    if how is None and growth is None:
        return None
    advice = ("Hoist it before the loop and clear() it each iteration to keep its capacity, or "
              "build it on a std::pmr::monotonic_buffer_resource")
    if is_loop_variable:
        advice = "Bind the element by reference (`const auto&`) unless the copy is needed"
    elif family in _NODE_BASED:
        advice = ("Hoist it before the loop and clear() it (a node container still allocates one "
                  "node per element), or give it a std::pmr::monotonic_buffer_resource or a "
                  "pool so the nodes come from one arena")
    if how is None:
        calls = ", ".join(sorted({name for name, _ in growth}))
        lines = sorted({line for _, line in growth})
        where = ", ".join(str(n) for n in lines)
        how = (f"is created empty and grown by {calls} (line{'s' if len(lines) > 1 else ''} {where}): "
               f"its heap {'nodes are' if family in _NODE_BASED else 'buffer is'} allocated"
               f"{'' if family in _NODE_BASED else ', regrown'} and freed")
    elif growth is not None:
        how += f", then grown at line{'s' if len({l for _, l in growth}) > 1 else ''} " + ", ".join(
            str(n) for n in sorted({line for _, line in growth}))
    site = _Site(var, loop, shown, how, advice, kind="container", family=family, ctor=ctor)
    if default_constructed and growth is not None and not is_loop_variable:
        site.edits = _hoist_edits(view, var, loop)
        site.edits_description = f"hoist `{var.spelling}` before the loop and clear() it each iteration"
    return site


def _initializer(var):
    exprs = [c for c in var.children if c.is_expression]
    return exprs[-1] if exprs else None


def _constructor_call(var):
    init = _initializer(var)
    node = init
    while node is not None and node.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR", "CXX_FUNCTIONAL_CAST_EXPR"):
        exprs = [c for c in node.children if c.is_expression]  # a cast also holds its TYPE_REF
        if len(exprs) != 1:
            break
        node = exprs[0]
    if node is not None and node.kind == "CALL_EXPR":
        ref = node.referenced
        if ref is not None and ref.kind == "CONSTRUCTOR":
            return node
    return None


def _written_args(call) -> list:
    return [a for a in call.arguments if a.is_written or a.children]


def _constructed_with_elements(view, ctor, family: str, capacity: Optional[int], is_loop_variable: bool) -> Optional[str]:
    """How a constructor call allocates, or None when it provably does not."""
    args = _written_args(ctor)
    if not args:
        return None
    params = _params(ctor.referenced)
    first = params[0].type if params else None
    first_arg = _bare(args[0])
    if first is not None and first.is_reference and first.kind == "RVALUEREFERENCE":
        return None  # a move steals the buffer
    if first is not None and first.is_reference and first.pointee is not None and \
            first.pointee.record_name == family:
        source = _short(view, first_arg, 32) if not is_loop_variable else None
        if is_loop_variable:
            return ("copies every element of the range by value, allocating a new buffer for each "
                    "non-empty one" if capacity is None else
                    f"copies every element of the range by value, allocating for each one longer "
                    f"than {capacity} characters")
        copied = f"`{source}`" if source else "another container"
        if capacity is not None:
            return f"copies {copied}, allocating whenever it is longer than {capacity} characters"
        return f"copies {copied} into a new heap buffer"
    if first is not None and first.unqualified_name.startswith("std::initializer_list"):
        count = _init_list_count(first_arg)
        if count == 0:
            return None
        if capacity is not None and count is not None and count <= capacity:
            return None
        return f"is constructed from a {count}-element initializer list" if count else "is constructed from an initializer list"
    if capacity is not None:
        width = _max_length(args[0])
        if width is not None and width <= capacity:
            return None
        literal = _integer_literal(args[0])
        if literal is not None and len(args) >= 2:
            return None if literal <= capacity else f"is constructed with {literal} characters"
        if width is not None:
            return f"is constructed from a {width}-character literal, longer than the {capacity}-character small-string buffer"
        return f"is constructed from `{_short(view, first_arg, 32) or 'a value'}`, allocating whenever it is longer than {capacity} characters"
    if first is not None and first.canonical.kind in ("ULONG", "ULONGLONG", "UINT", "LONG", "INT"):
        literal = _integer_literal(args[0])
        if literal == 0:
            return None
        size = f"{literal}" if literal is not None else f"`{_short(view, first_arg, 24) or 'n'}`"
        return f"is constructed with {size} elements"
    if first is not None and first.pointee is not None and first.pointee.record_name in (
            "std::allocator", _PMR_ALLOCATOR):
        return None
    if len(args) >= 2 and params and len(params) >= 2:
        return "is constructed from a range of elements"
    return None


def _init_list_count(arg) -> Optional[int]:
    for n in arg.walk():
        if n.kind == "INIT_LIST_EXPR":
            return len(n.children)
    return None


def _integer_literal(arg) -> Optional[int]:
    inner = _bare(arg)
    if inner is not None and inner.kind == "INTEGER_LITERAL" and inner.tokens:
        try:
            return int(inner.tokens[0].rstrip("uUlLzZ"), 0)
        except ValueError:
            return None
    return None


def _growth(view, var, loop: Loop, family: str, capacity: Optional[int], through_calls: bool):
    """(operation, line) pairs that put elements into ``var`` inside the loop, or None; None
    too when every piece appended to a string is a literal and the total fits the SSO buffer."""
    found = []
    string_total = 0
    bounded = capacity is not None
    for node in loop.node.walk():
        if node.kind != "CALL_EXPR":
            continue
        name = node.spelling
        target = _call_object(node)
        if target is not None and _refers_to(target, var):
            if name in _GROWING or (name == "operator[]" and family in _INDEXING_INSERTS) or \
                    (name == "operator=" and _assigns_elements(node)):
                found.append((_operation_name(name), node.range.start.line))
                if bounded:
                    width = _appended_width(node, name)
                    if width is None or view.enclosing_loop(node) is not loop:
                        bounded = False
                    else:
                        string_total += width
            continue
        for arg_index, arg in enumerate(node.arguments):
            inner = _bare(arg)
            if inner is None or inner.kind != "DECL_REF_EXPR" or not _refers_to(inner, var):
                continue
            callee = node.referenced
            if callee is None:
                break
            qname = callee.qualified_name
            if qname in _INSERTERS:
                found.append((f"`{qname}`", node.range.start.line))
                bounded = False
            elif through_calls and not qname.startswith("std::") and not callee.is_in_system_header:
                params = _params(callee)
                if arg_index < len(params):
                    pt = params[arg_index].type
                    if pt.kind == "LVALUEREFERENCE" and pt.pointee is not None and not pt.pointee.is_const:
                        found.append((f"`{callee.spelling}` (by reference)", node.range.start.line))
                        bounded = False
    if not found:
        return None
    if capacity is not None and bounded and string_total <= capacity:
        return None
    return found


def _operation_name(name: str) -> str:
    return f"`{name}`" if not name.startswith("operator") else f"`{name[len('operator'):]}`"


def _call_object(call):
    kids = call.children
    if not kids:
        return None
    first = kids[0]
    if first.kind == "MEMBER_REF_EXPR" and first.children:
        return _bare(first.children[0])
    if call.spelling.startswith("operator"):
        return _bare(first)
    return None


def _refers_to(ref, var) -> bool:
    return ref is not None and ref.kind == "DECL_REF_EXPR" and ref.referenced == var


def _assigns_elements(call) -> bool:
    """``v = other`` copies elements; ``v = make()`` and ``v = std::move(w)`` move them."""
    args = call.arguments
    if len(args) < 2:
        return False
    callee = call.referenced
    params = _params(callee) if callee is not None else []
    if params and params[0].type.kind == "RVALUEREFERENCE":
        return False
    src = _bare(args[1])
    return src is not None and src.kind not in ("CALL_EXPR",) or (
        src is not None and src.kind == "CALL_EXPR" and src.referenced is not None
        and src.referenced.kind == "CONSTRUCTOR")


def _appended_width(call, name: str) -> Optional[int]:
    args = call.arguments
    if name in ("operator+=", "append", "push_back", "operator=", "assign"):
        pieces = args[1:] if name.startswith("operator") else args
        if name == "push_back":
            return 1
        if len(pieces) != 1:
            return None
        return _max_length(pieces[0])
    if name in ("resize", "reserve") and args:
        return _integer_literal(args[0])
    return None


# --------------------------------------------------------------------------- the fix


_NAME_USES = ("DECL_REF_EXPR", "MEMBER_REF_EXPR", "OVERLOADED_DECL_REF", "TYPE_REF", "TEMPLATE_REF")


def _name_taken(block, var, name: str) -> bool:
    """Would a variable ``name`` declared at the top of ``block`` clash with a declaration in
    that block (or the function's parameters), or capture a use of another entity?"""
    for stmt in block.children:
        if stmt.kind == "DECL_STMT" and any(c.spelling == name for c in stmt.children if c.is_declaration):
            return True
    fn = block.parent
    if fn is not None and fn.kind in ("FUNCTION_DECL", "CXX_METHOD", "CONSTRUCTOR", "DESTRUCTOR",
                                      "FUNCTION_TEMPLATE", "LAMBDA_EXPR", "CONVERSION_FUNCTION"):
        if any(c.kind == "PARM_DECL" and c.spelling == name for c in fn.children):
            return True
    for n in block.walk():
        if n.kind in _NAME_USES and n.referenced is not None and n.referenced != var and (
                n.spelling == name or n.spelling.endswith(f" {name}") or n.spelling.endswith(f"::{name}")):
            if n.kind == "MEMBER_REF_EXPR" and n.tokens != [name]:
                continue  # obj.name is looked up in obj's class, not in the block
            return True
    return False


def _hoist_edits(view, var, loop: Loop) -> Optional[list[Edit]]:
    decl_stmt = var.parent
    body = loop.body
    if decl_stmt is None or decl_stmt.kind != "DECL_STMT" or decl_stmt.parent is not body:
        return None
    if len([c for c in decl_stmt.children if c.kind == "VAR_DECL"]) != 1:
        return None
    outer = loop.node.parent
    if outer is None or outer.kind != "COMPOUND_STMT":
        return None  # the loop is the body of an if or another loop: no room for a statement
    start = loop.node.range.start
    indent = line_indent(view, start.line)
    before = text_at(view, Range(Position(start.line, 1), start))
    if before is None or before != indent:
        return None
    decl_text = text_at(view, var.range)
    stmt_text = text_at(view, decl_stmt.range)
    if not decl_text or stmt_text is None or stmt_text.rstrip() != decl_text + ";" or "\n" in decl_text:
        return None
    name = var.spelling
    if re.search(r"\b(auto|const|constexpr|static)\b", decl_text):
        return None
    inner_names = {n.spelling for n in loop.node.walk()
                   if n.kind in ("VAR_DECL", "TYPEDEF_DECL", "TYPE_ALIAS_DECL", "STRUCT_DECL",
                                 "CLASS_DECL", "ENUM_DECL") and n is not var and n.spelling}
    type_text = decl_text[: decl_text.rfind(name)]
    if any(re.search(rf"\b{re.escape(n)}\b", type_text) for n in inner_names):
        return None
    if name in inner_names or _name_taken(outer, var, name):
        return None
    line_start = Position(start.line, 1)
    return [Edit(Range(line_start, line_start), f"{indent}{decl_text};\n"),
            Edit(decl_stmt.range, f"{name}.clear();")]
