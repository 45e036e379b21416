"""alloc-in-loop: heap allocations executed once per loop iteration.

The rule finds the allocating expressions and declarations, says how each allocates and
offers the hoist fix; ``arena.py`` beside it builds the arena rewrite for a loop's sites.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from hotlint.analysis.containers import CONTAINERS, NODE_BASED, SSO_CAPACITY, appended_length, \
    concatenation_operands, constructor_call, constructor_form, element_growth, initializer_list_length, \
    is_string_concatenation, small_string_chars, string_length_bound
from hotlint.analysis.control import is_range_variable, repeating_loop, runs_once_per_entry, stored_when_null, \
    under_branch
from hotlint.analysis.edits import hoist_declaration
from hotlint.analysis.expressions import initializer, integer_literal, parent_past, strip, written_arguments
from hotlint.analysis.kinds import K
from hotlint.analysis.calls import C_ALLOCATORS, argument_temporary, body_allocations, heap_allocating_call, \
    inline_callee
from hotlint.analysis.memory import allocates_from_heap
from hotlint.analysis.source import new_is_array
from hotlint.analysis.symbols import in_linted_file
from hotlint.analysis.types import PMR_ALLOCATOR, is_family, is_pmr
from hotlint.model import Applicability, Edit, Fix, Severity
from hotlint.rule import Finding, Option, Rule, fix

from .arena import arena_rewrite

if TYPE_CHECKING:  # pragma: no cover
    from hotlint.view import Loop

_MAKERS = {
    "std::make_unique": "the object", "std::make_unique_for_overwrite": "the object",
    "std::make_shared": "the object and its control block in one block",
    "std::make_shared_for_overwrite": "the object and its control block in one block",
    "std::allocate_shared": "the object and its control block in one block",
}
_CALL_NAMES = {q.rsplit("::", 1)[-1] for q in _MAKERS} | C_ALLOCATORS | {"operator+"}
# Calls that build a std::string per call, bounded by string_length_bound when their argument is.
_STRING_MAKERS = frozenset({"std::to_string", "std::to_wstring"})
_LOOP_WORDS = {"for": "`for`", "range-for": "range-`for`", "while": "`while`", "do": "`do`"}
# What to do instead, by the kind of site (containers: by what they are).
_ADVICE = {
    "new": "Reuse one object (hoisted before the loop), keep the objects in a container that is reserved once, "
           "or take them from an arena (std::pmr::monotonic_buffer_resource) released in one step",
    "maker": "Reuse the object across iterations, keep the objects by value in a container reserved once, or "
             "allocate them from an arena (std::allocate_shared with a std::pmr::polymorphic_allocator)",
    "c-alloc": "Allocate one buffer before the loop and reuse it (sized for the largest iteration), or use a "
               "stack buffer when the size is small and bounded",
    "concat": "Build the key in a std::string hoisted before the loop (clear() then append, which keeps its "
              "capacity), or look it up with a std::string_view or a structured key instead of a concatenated one",
    "container": "Hoist it before the loop and clear() it each iteration to keep its capacity, or build it on a "
                 "std::pmr::monotonic_buffer_resource",
    "node-container": "Hoist it before the loop and clear() it (a node container still allocates one node per "
                      "element), or give it a std::pmr::monotonic_buffer_resource or a pool so the nodes come "
                      "from one arena",
    "callee": "Hoist the callee's allocations out of the loop (pass it a reused buffer or object), or give "
              "it an arena (std::pmr::monotonic_buffer_resource) released once per iteration",
    "temporary": "Take a std::string_view parameter, which binds to the caller's characters without copying "
                 "them, or build the string once before the loop and pass it",
    "temporary-span": "Take a std::span<const T> parameter, which binds to the caller's elements without copying "
                      "them, or build the container once before the loop and pass it",
    "loop-variable": "Bind the element by reference (`const auto&`) unless the copy is needed",
}
# The same, as the headline says it.
_SHORT_ADVICE = {
    "new": "reuse one object, or take the objects from an arena",
    "maker": "reuse the object, or hold the objects by value",
    "c-alloc": "allocate one buffer before the loop and reuse it",
    "concat": "build it in a std::string hoisted before the loop",
    "container": "hoist it before the loop and clear() it",
    "node-container": "hoist it and clear() it, or give it a std::pmr arena",
    "callee": "pass the callee a buffer reused across iterations",
    "loop-variable": "bind the element by `const auto&`",
    "temporary": "take a std::string_view parameter",
    "temporary-span": "take a std::span parameter",
}
_SHORT_FOR = {_ADVICE[kind]: short for kind, short in _SHORT_ADVICE.items()}
_TYPE_AFTER_NAME = re.compile(r"^(`[^`]+`) \(.*\)$")
_C_HOW = {"realloc": "may move and reallocate the block on the heap",
          "strdup": "copies the string into a new heap block", "strndup": "copies the string into a new heap block"}
_DEQUE_HOW = ("is constructed, which allocates its block map and a first 512-byte node even while it is empty "
              "(libstdc++),")


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
      `operator[]` on a map, `std::getline`, a function taking it by non-const reference, or
      by pointer to non-const as `&v`), or
      constructed with elements (a size, an initializer list, a copy of another container, a
      range-`for` variable copied by value); a `std::deque` allocates even when empty;
    * a `std::string` built by concatenation (`a + "_" + b`, `"id:" + std::to_string(n)`).
    * a call of a function whose body is in the linted file and allocates (one level deep),
      reported at the call with a note per allocation; code on a throwing path is left out.
    * a temporary container made for a call's argument: written there (`f(std::string(buf, n))`,
      `g(std::vector<int>{a, b})`), returned by `std::to_string` of a wide value, or implied by
      the parameter (a `const char*` passed for a `const std::string&` makes a `std::string` per
      call). A `std::string_view` or `std::span` parameter makes none, nor does a temporary of a
      type that does not allocate (`std::array`) or a string that fits the small-string buffer;
      an operator's operands (a concatenation's pieces) are left to the chain that uses them.

    Each allocating expression is one finding (so each can be suppressed on its own line), and
    its first note counts the allocating expressions the loop body runs per iteration. Types are
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
      non-const reference (or `&v` to a pointer to non-const) to a function as filling it.

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
        "sso-capacity": Option(SSO_CAPACITY["libstdc++"], "chars a std::string holds without allocating", int, 0),
        "through-calls": Option(True, "count passing by non-const reference as filling", bool),
    }

    def check(self, view) -> Iterable[Finding]:
        sso = self.option(view, "sso-capacity")
        through_calls = self.option(view, "through-calls")
        sites: list[_Site] = []
        for node in view.nodes(K.CXX_NEW_EXPR):
            self._add(view, sites, node, lambda loop, n=node: _new_site(view, n, loop))
        # a call the walk found outside every loop, and not in a lambda a loop may call, never repeats
        calls = [c for c in view.calls if c.loop is not None
                 or (c.function is not None and c.function.node.kind == K.LAMBDA_EXPR)]
        for call in calls:
            if call.name in _CALL_NAMES:  # before anything that resolves the callee
                self._add(view, sites, call.node, lambda loop, c=call: _call_site(view, c, loop, sso))
        for var in view.nodes(K.VAR_DECL):
            if var.type.record_name in CONTAINERS:
                self._add(view, sites, var,
                          lambda loop, v=var: _container_site(view, v, loop, sso, through_calls))
        for call in calls:
            if call.name not in _CALL_NAMES:
                self._add(view, sites, call.node, lambda loop, c=call: _callee_site(view, c, loop, sso))
            if call.name.startswith("operator"):
                continue  # a concatenation's operands are reported with its chain
            for arg in call.arguments:
                temporary = argument_temporary(arg)
                if temporary is not None:
                    self._add(view, sites, temporary[0],
                              lambda loop, c=call, t=temporary: _temporary_site(view, c, t, loop, sso))
        per_loop: dict[int, list[_Site]] = {}
        for site in sites:
            per_loop.setdefault(id(site.loop), []).append(site)
        arena: dict[int, Fix] = {}
        refusals: dict[int, str] = {}
        if view.language == "c++":
            for same_loop in per_loop.values():
                # node containers too: hoisted, clear() still frees every node and the next
                # iteration allocates them again, so the arena is their real fix
                candidates = [s for s in same_loop if (not s.edits or s.family in NODE_BASED)
                              and s.kind not in ("callee", "temporary")]
                if candidates:
                    the_fix, converted, reasons = arena_rewrite(view, same_loop[0].loop, candidates)
                    arena.update((k, the_fix) for k in converted)
                    refusals.update(reasons)
        for site in sorted(sites, key=lambda s: s.node.range.start):
            yield self._finding(view, site, per_loop[id(site.loop)], arena.get(id(site)), refusals.get(id(site)))

    def _add(self, view, sites: list[_Site], node, make) -> None:
        if not in_linted_file(view, node):
            return
        loop, called = repeating_loop(view, node)
        if loop is None or runs_once_per_entry(node, loop, inside_lambda=called is not None) \
                or stored_when_null(node, loop.node):  # `if (p == nullptr) p = new T;` runs once
            return
        site = make(loop)
        if site is None:
            return
        if called is not None:
            line = called.call.range.start.line
            site.via = (f"a lambda called where it is defined, line {line}" if called.kind == "immediate"
                        else f"the lambda `{called.holder.spelling}` called at line {line}")
        site.conditional = under_branch(node, loop.node, include_stop=False, logical_operators=True,
                                        nested_loops=True)
        sites.append(site)

    def _finding(self, view, site: _Site, same_loop: list[_Site], arena: Optional[Fix],
                 refusal: Optional[str]) -> Finding:
        loop = site.loop
        count = len(same_loop)
        maybe = "up to " if any(s.conditional for s in same_loop) else ""
        where = f"the {_LOOP_WORDS[loop.kind]} loop at line {loop.node.range.start.line}"
        if site.via:
            where += f" (in {site.via})"
        plural = "s" if count != 1 else ""
        when = "each time its branch runs in" if site.conditional else "in every iteration of"
        what = _TYPE_AFTER_NAME.sub(r"\1", site.what)  # the headline names a variable without its type
        if len(what) > 40:
            what = "this string concatenation" if site.kind == "concat" else "this expression"
        message = (f"{what} allocates {'when its branch runs' if site.conditional else 'in every iteration'}: "
                   f"{_SHORT_FOR[site.advice]}")
        mechanism = (f"{site.what} {site.how} {when} {where}; the loop body makes "
                     f"{maybe}{count} heap allocation{plural} per iteration.")
        the_fix = arena
        notes = [mechanism, f"{site.advice}.", *site.notes]
        if the_fix is None and site.edits:
            the_fix = fix(site.edits_description, site.edits, Applicability.UNSAFE)
        if refusal:
            notes.append(f"no arena rewrite: {refusal}")
        others = [s for s in same_loop if s is not site]
        if others:
            lines = sorted({s.node.range.start.line for s in others})
            notes.append("the loop's other allocating expressions are at line" + ("s " if len(lines) > 1 else " ")
                         + ", ".join(str(n) for n in lines))
        # severity follows where the allocation runs: the loop's body for a called lambda
        anchor = site.node if site.via is None else loop.body if loop.body is not None else loop.node
        return Finding(site.node.range, message, severity=self.severity_for(view, anchor, self.severity),
                       fix=the_fix, notes=tuple(notes), case=_evidence_case(site))


def _evidence_case(site: _Site) -> Optional[str]:
    """The bench sub-case whose figure applies (bench_fixtures/alloc-in-loop/<case>/): an object
    from `new` or `std::make_unique`/`make_shared`, a std::string built or copied per iteration, a
    std::vector grown per iteration; None: the main pair. The cross-thread-free pair is not cited:
    which thread frees a block is not seen here."""
    if site.kind in ("new", "maker"):
        return "new"
    if site.kind == "concat" or site.family == "std::basic_string":
        return "string"
    if site.kind == "container" and site.family == "std::vector":
        return "vector-grown"
    return None


# --------------------------------------------------------------------------- new, calls


def _short(view, node) -> Optional[str]:
    return view.source.shortened(node.range, 48, too_long="none")


def _new_site(view, node, loop: Loop) -> Optional[_Site]:
    if not allocates_from_heap(node):
        return None  # placement new, or a class with its own operator new
    toks = node.tokens
    array = new_is_array(toks, toks.index("new"))
    pointee = node.type.pointee
    spelled = _short(view, node)
    if spelled is None:
        type_name = pointee.spelling if pointee is not None else "T"
        spelled = f"new {type_name}[]" if array else f"new {type_name}"
    return _Site(node, loop, f"`{spelled}`", "allocates on the heap", _ADVICE["new"], kind="new", array=array)


def _call_site(view, call, loop: Loop, sso: int) -> Optional[_Site]:
    callee = call.callee
    if callee is None:
        return None
    qname = call.qualified_name
    name = call.name
    if qname in _MAKERS:
        if qname == "std::allocate_shared" and call.arguments and \
                strip(call.arguments[0]).type.non_reference().record_name == PMR_ALLOCATOR:
            return None  # drawn from a memory resource: the arena form this rule suggests
        kids = call.node.children
        spelled = (_short(view, strip(kids[0])) if kids else None) or qname
        return _Site(call.node, loop, f"`{spelled}`", f"allocates {_MAKERS[qname]} on the heap", _ADVICE["maker"],
                     kind="maker", callee=qname)
    if qname in C_ALLOCATORS and callee.is_in_system_header:
        return _Site(call.node, loop, f"`{name}`", _C_HOW.get(qname, "allocates on the heap"), _ADVICE["c-alloc"],
                     kind="c-alloc", callee=qname)
    if name == "operator+" and qname == "std::operator+":
        return _concatenation_site(view, call, loop, sso)
    return None


def _concatenation_site(view, call, loop: Loop, sso: int) -> Optional[_Site]:
    node = call.node
    if not is_family(node.type, "std::basic_string"):
        return None
    if is_string_concatenation(parent_past(node)[1]):
        return None  # one finding per chain: the outermost + reports it
    operands = concatenation_operands(node)
    capacity = small_string_chars(node.type, sso)
    widths = [string_length_bound(op) for op in operands]
    longest = None if None in widths else sum(widths)
    if longest is not None and longest <= capacity:
        return None  # provably fits the small-string buffer
    text = _short(view, node)
    what = f"`{text}`" if text else "this string concatenation"
    how = (f"builds a new std::string from {len(operands)} pieces, allocating whenever the result "
           f"exceeds the {capacity}-character small-string buffer")
    if longest is not None:
        how = (f"builds a new std::string of up to {longest} characters from {len(operands)} pieces, "
               f"more than the {capacity}-character small-string buffer holds")
    return _Site(node, loop, what, how, _ADVICE["concat"], kind="concat", pieces=operands, max_length=longest)


# --------------------------------------------------------------------------- inline callees


def _callee_site(view, call, loop: Loop, sso: int) -> Optional[_Site]:
    """A call of a function whose body is in the linted file and allocates on every call (one
    level deep: what that body itself allocates, not what its own callees do)."""
    found = inline_callee(view, call.node)
    if found is None:
        return None
    d, body = found
    allocations = body_allocations(body, lambda var: _declaration_allocates(view, var, sso))
    if not allocations:
        return None
    name = d.spelling
    notes = [f"{os.path.basename(n.file or '')}:{n.range.start.line}: {_allocation_text(view, n)} in `{name}`"
             for n in allocations]
    plural = "s" if len(allocations) > 1 else ""
    return _Site(call.node, loop, f"`{_short(view, call.node) or name}`",
                 f"calls `{name}` (defined at line {d.range.start.line}), whose body makes {len(allocations)} heap "
                 f"allocation{plural} per call", _ADVICE["callee"], kind="callee", callee=name, notes=notes)


def _declaration_allocates(view, var, sso: int) -> bool:
    """A local container built with elements (what a callee's body allocates on every call)."""
    if var.storage != "auto" or var.type.is_reference or var.type.record_name not in CONTAINERS or is_pmr(var.type):
        return False
    ctor = constructor_call(var)
    family = var.type.record_name
    capacity = small_string_chars(var.type, sso) if family == "std::basic_string" else None
    return ctor is not None and _constructed_with_elements(view, ctor, family, capacity, False) is not None


def _allocation_text(view, n) -> str:
    if n.kind == K.CXX_NEW_EXPR:
        return f"`{_short(view, n) or 'new'}`"
    if n.kind == K.VAR_DECL:
        return f"`{n.spelling}` ({n.type.spelling})"
    return f"`{heap_allocating_call(n)}`"


# --------------------------------------------------------------------------- temporaries


def _temporary_site(view, call, temporary, loop: Loop, sso: int) -> Optional[_Site]:
    """A temporary container an argument builds for the call each iteration: `f(std::string(buf, n))`,
    `g(std::vector<int>{a, b})`, `h(std::to_string(x))`, a `const char*` passed for a
    `const std::string&`."""
    node, form = temporary
    t = node.type
    family = t.record_name
    if family not in CONTAINERS or is_pmr(t):
        return None  # std::array, std::string_view, a program's own record: nothing on the heap
    capacity = small_string_chars(t, sso) if family == "std::basic_string" else None
    name = call.name
    if form == "returned":
        if capacity is None or node.referenced.qualified_name not in _STRING_MAKERS:
            return None  # a callee's own allocation: the callee rule's business
        bound = string_length_bound(node)
        if bound is not None and bound <= capacity:
            return None
        built = f"builds a std::string, allocating whenever it is longer than {capacity} characters"
    else:
        if constructor_form(node, family) in ("copy", "move"):
            return None  # a copy into a by-value parameter: another pattern
        built = _constructed_with_elements(view, node, family, capacity, False)
        if built is None:
            return None
    shown = _short(view, node)  # None inside a macro's arguments or past 48 characters
    if form == "converted":
        what = f"`{shown}`" if shown else f"an argument of `{name}`"
        how = f"is converted to a temporary {_container_text(t)} for each call of `{name}`, which {built}"
    else:
        what = f"the temporary `{shown}`" if shown else f"a temporary {_container_text(t)} passed to `{name}`"
        how = f"is made for each call of `{name}` and {built}"
    advice = _ADVICE["temporary" if capacity is not None else "temporary-span"]
    return _Site(node, loop, what, how, advice, kind="temporary", family=family, ctor=node)


def _container_text(t) -> str:
    args = t.template_arguments
    if t.record_name == "std::basic_string" and args and args[0].spelling == "char":
        return "std::string"
    return t.spelling.replace("const ", "")


# --------------------------------------------------------------------------- containers


def _container_site(view, var, loop: Loop, sso: int, through_calls: bool) -> Optional[_Site]:
    if var.storage != "auto":
        return None  # static and thread_local locals are built once
    t = var.type
    if t.is_reference or t.is_pointer:
        return None
    family = t.record_name
    if family not in CONTAINERS or is_pmr(t):
        return None
    shown = f"`{var.spelling}` ({t.spelling})"
    capacity = small_string_chars(t, sso) if family == "std::basic_string" else None
    ctor = constructor_call(var)
    is_loop_variable = is_range_variable(loop, var)
    how = None
    if ctor is not None:
        how = _constructed_with_elements(view, ctor, family, capacity, is_loop_variable)
    default_constructed = initializer(var) is None or (ctor is not None and not written_arguments(ctor))
    if how is None and family == "std::deque" and default_constructed:
        how = _DEQUE_HOW
    growth = _growth(view, var, loop, capacity, through_calls)
    if how is None and growth is None:
        return None
    advice = _ADVICE["loop-variable" if is_loop_variable else "node-container" if family in NODE_BASED
                     else "container"]
    if growth is not None:
        lines = sorted({line for _, line in growth})
        at = f"line{'s' if len(lines) > 1 else ''} " + ", ".join(str(n) for n in lines)
    if how is None:
        calls = ", ".join(sorted({name for name, _ in growth}))
        how = (f"is created empty and grown by {calls} ({at}): "
               f"its heap {'nodes are' if family in NODE_BASED else 'buffer is'} allocated"
               f"{'' if family in NODE_BASED else ', regrown'} and freed")
    elif growth is not None:
        how += f", then grown at {at}"
    site = _Site(var, loop, shown, how, advice, kind="container", family=family, ctor=ctor)
    if default_constructed and growth is not None and not is_loop_variable:
        site.edits = hoist_declaration(view.source, var, loop.node, loop.body, f"{var.spelling}.clear();")
        site.edits_description = f"hoist `{var.spelling}` before the loop and clear() it each iteration"
    return site


def _constructed_with_elements(view, ctor, family: str, capacity: Optional[int], is_loop_variable: bool) -> Optional[str]:
    """How a constructor call allocates, or None when it provably does not."""
    args = written_arguments(ctor)
    if not args:
        return None
    form = constructor_form(ctor, family)
    first_arg = strip(args[0])
    if form == "move":
        return None  # a move steals the buffer
    if form == "copy":
        if is_loop_variable:
            return ("copies every element of the range by value, allocating a new buffer for each "
                    "non-empty one" if capacity is None else
                    f"copies every element of the range by value, allocating for each one longer "
                    f"than {capacity} characters")
        source = view.source.shortened(first_arg.range, 32, too_long="none")
        copied = f"`{source}`" if source else "another container"
        if capacity is not None:
            return f"copies {copied}, allocating whenever it is longer than {capacity} characters"
        return f"copies {copied} into a new heap buffer"
    if form == "initializer-list":
        count = initializer_list_length(first_arg)
        if count == 0:
            return None
        if capacity is not None and count is not None and count <= capacity:
            return None
        return f"is constructed from a {count}-element initializer list" if count else "is constructed from an initializer list"
    if capacity is not None:
        width = string_length_bound(args[0])
        if width is not None and width <= capacity:
            return None
        literal = integer_literal(args[0])
        if literal is not None and len(args) >= 2:
            return None if literal <= capacity else f"is constructed with {literal} characters"
        if width is not None:
            return f"is constructed from a {width}-character literal, longer than the {capacity}-character small-string buffer"
        return (f"is constructed from `{view.source.shortened(first_arg.range, 32, too_long='none') or 'a value'}`, "
                f"allocating whenever it is longer than {capacity} characters")
    if form == "count":
        literal = integer_literal(args[0])
        if literal == 0:
            return None
        size = f"{literal}" if literal is not None else \
            f"`{view.source.shortened(first_arg.range, 24, too_long='none') or 'n'}`"
        return f"is constructed with {size} elements"
    return "is constructed from a range of elements" if form == "range" else None


def _growth(view, var, loop: Loop, capacity: Optional[int], through_calls: bool):
    """(operation, line) pairs that put elements into ``var`` inside the loop, or None; None
    too when every piece appended to a string is bounded and the total fits the SSO buffer."""
    found = element_growth(var, loop.node, through_calls=through_calls)
    if not found:
        return None
    if capacity is not None and all(g.how == "member" for g in found):
        widths = [appended_length(g.call) if view.enclosing_loop(g.call) is loop else None for g in found]
        if None not in widths and sum(widths) <= capacity:
            return None
    return [(f"`{g.name.removeprefix('operator')}`" if g.how == "member" else f"`{g.name}`" if g.how == "inserter"
             else f"`{g.name}` (by reference)", g.call.range.start.line) for g in found]

