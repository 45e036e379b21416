"""node-container-traversal: a loop that walks a node-based container or a linked structure."""

from __future__ import annotations

from typing import Iterator, Optional

from hotlint.analysis.containers import GROWING, UNORDERED, constructor_call, constructor_form, \
    initializer_list_length
from hotlint.analysis.control import outermost_function
from hotlint.analysis.kinds import K
from hotlint.analysis.symbols import in_linted_file
from hotlint.analysis.types import contiguous_element
from hotlint.analysis.walks import KEYED_LOOKUPS, POSITIONAL_CHANGES, Walk, container_calls, container_walk, \
    early_exits, linked_walk, reshapes
from hotlint.model import Severity
from hotlint.rule import Finding, Option, Rule

_LISTS = frozenset({"std::list", "std::forward_list"})
_SETS = frozenset({"std::set", "std::multiset", "std::unordered_set", "std::unordered_multiset"})
_FRONT = frozenset({"push_front", "emplace_front"})
_FILLING = GROWING | {"operator[]"}
_MEASURED_LIST = ("measured (a sum over a std::list whose nodes are linked in shuffled address order, against a "
                  "std::vector; g++ 12 -O2, AMD Zen 4): 2.9x at 512 elements (L1), 9.7x at 8,192 (L2), "
                  "42x at 65,536 (L3)")
_MEASURED_MAP = ("measured (a sum over a std::map filled in shuffled key order, against a sorted std::vector of "
                 "pairs; g++ 12 -O2, AMD Zen 4): 3.5x at 512 elements (L1), 11x at 8,192 (L2), 57x at 65,536 "
                 "(L3); unordered containers walk a singly linked chain likewise")


class NodeContainerTraversal(Rule):
    """A loop that visits every element of a `std::list`, `std::forward_list`, `std::map`,
    `std::set` (and their `multi` forms), an unordered container, or a linked structure
    followed through `->next`: one dependent pointer load per element.

    ## What it does
    Finds loops that walk a whole node-based container: a range-`for` over one, or an
    iterator `for` from `c.begin()` (`cbegin`, `rbegin`) to `c.end()` stepped by `++`; and
    loops that walk a linked structure, a local pointer to a record tested only for null and
    moved on once per iteration by `p = p->next` (any field pointing to the same record), in a
    `for` increment or unconditionally in a `while`/`do` body.

    The suggestion says what the loop needs from the container, read from what the file does
    with the same variable, parameter or field: a container that is only filled and walked
    becomes a `std::vector`; an ordered map or set that is also looked up by key (`find`,
    `count`, `contains`, `lower_bound`, `at`, `[]`) becomes a sorted `std::vector` searched with
    `std::lower_bound`, or `std::flat_map`/`std::flat_set` (C++23), which keep its iteration
    order; an unordered one looked up by key becomes an open-addressing table
    (`absl::flat_hash_map`, `boost::unordered_flat_map`). A container the file cannot see the
    rest of (a parameter, a field declared in a header) gets all three.

    Not reported: a walk that can end early (a `break`, `return` or `goto` out of the loop: a
    search, not a traversal) or that starts from `find`/`lower_bound`/`equal_range`; a loop
    whose key is looked up rather than walked (`m.find(k)` in a loop); `std::vector`,
    `std::array` and `std::deque` (a deque keeps its elements in blocks of 512 bytes or more,
    so a walk touches consecutive addresses within each block and the next block's address
    comes from a small map the prefetcher also streams); a loop that inserts, erases, splices
    or relinks in the container it walks (it uses what only nodes give: iterators and
    addresses that stay valid); a container built from a braced list of at most
    `max-tiny-size` elements and never grown (a table of a few entries stays in a few cache
    lines); a linked walk whose node type the file also keeps in an array, `std::vector`,
    `std::array` or `std::span` (an arena or pool: the nodes are contiguous, so the walk misses
    far less, though each step still waits for the load before it); and walks in cold code:
    an error branch, a catch handler, an `[[unlikely]]` branch, a `[[gnu::cold]]` function or
    one named as set-up or teardown (`init`, `setup`, `shutdown`, ...) that no loop of the file
    calls.

    A `std::list` the file also changes in the middle (`insert`, `emplace`, `erase`, `splice`,
    `merge` at an iterator) is reported as info only, with that caveat: the list may be there
    for iterators that stay valid, which a vector does not give.

    Severity: info where nothing says the walk repeats; warning when it is nested in another
    loop, in a `[[gnu::hot]]` (or `hot-functions`) function, or in a function another function
    of the file calls on every iteration of a loop (a walk that runs once costs one pass).

    ## Why is this bad?
    A node's address is known only once the previous node's `next` pointer has been loaded, so
    the walk is a chain of dependent loads: one load latency per element (about 1 ns from L1,
    3-4 ns from L2, 10-40 ns from L3, 80 ns or more from DRAM, plus a TLB miss when the nodes
    are spread over many pages), and neither out-of-order execution nor the prefetcher can
    run ahead. In a long-running program the nodes lie scattered over the heap. A
    `std::vector` walk streams one buffer: addresses are known in advance, the prefetcher runs
    ahead and several elements share a cache line. The bench pair (a sum over 65,536 16-byte
    positions, 3 MB of list nodes: beyond L2, within L3; `std::list` with its nodes linked in
    shuffled address order against a `std::vector`) measured slow/fast **1363x** (min 90x, max
    1429x over 7 alternating rounds) with g++ 12 `-O2` on the 2-core AMD EPYC (Zen 4) virtual
    machine it was written on, heavily shared with other jobs: the list's figure there swings
    between 75 ns and 1 us per element with the load (page walks are dear in a VM), the
    vector's stays near 1 ns. Take the sweep below (a quieter run) as the better guide.
    cachegrind (`--quick`, 4,096 elements, 64 rounds) counts 337,820 D1 misses for the list
    against 81,395 for the vector, and 5.6 M instructions against 4.1 M; its last level holds
    the quick run whole. By size (median of 5 alternating rounds, ns per element, the std::map
    filled in shuffled key order against a sorted `std::vector` of pairs, from a variant of the
    pair with `std::map` that is not in the repository; sweep runs set `-DNODES` and `-DVISITS`):

    | elements | list | vector | ratio | std::map | sorted vector | ratio |
    |---:|---:|---:|---:|---:|---:|---:|
    | 512 (L1) | 5.5 | 2.7 | 2.9x | 11.1 | 3.5 | 3.5x |
    | 8,192 (L2) | 17.5 | 1.7 | 9.7x | 28.6 | 2.5 | 11x |
    | 65,536 (L3) | 75 | 1.7 | 42x | 46 | 0.7 | 57x |
    | 262,144 (L3, many pages) | 550 | 0.8 | 700x | 288 | 0.7 | 367x |
    | 2,097,152 (DRAM) | 836 | 0.9 | 1047x | 1607 | 5.0 | 323x |

    The spread per size was wide (at 65,536: list 12-53x, map 17-78x). Unordered containers
    were not measured separately: their iteration follows one singly linked chain of nodes.
    Even in L1 the list is about three times slower: each step waits the L1 latency before
    the next address is known. Run `hotlint bench node-container-traversal` for your own
    figure.

    ## Example
    ```cpp
    std::list<Position> book;                  // only appended to, and walked on every tick
    void on_tick(const std::int64_t* price) {
        std::int64_t total = 0;
        for (const Position& p : book) total += p.side * p.quantity * price[p.symbol];
        publish(total);
    }
    ```

    ## Use instead
    ```cpp
    std::vector<Position> book;                // same push_back, same iteration order
    ```
    For a `std::map` looked up by key, a `std::vector<std::pair<K, V>>` kept sorted (fill,
    then `std::sort` once; search with `std::lower_bound`) or `std::flat_map` (C++23); for an
    unordered map, an open-addressing table; for a hand-made linked list, the nodes in a
    `std::vector` linked by index, or the elements themselves in order.

    ## Fix safety
    No fix is offered: the container's type is declared away from the loop, and what the rest
    of the program relies on (iterator and address stability, ordering, lookup complexity) is
    a design decision the linter can describe but not make.

    ## Options
    - `max-tiny-size` (default 8): a container initialized from a braced list of at most this
      many elements and never grown in the file is not reported.

    ## References
    - Ulrich Drepper, "What Every Programmer Should Know About Memory" (2007), 6.2 and 6.3
      (prefetching, pointer chasing)
    - Chandler Carruth, "Efficiency with Algorithms, Performance with Data Structures",
      CppCon 2014
    - P0429 `std::flat_map` (C++23); Abseil "Swiss tables" (`absl::flat_hash_map`)
    """

    name = "node-container-traversal"
    summary = "a loop walks a node-based container or a ->next chain: one dependent pointer load per element"
    severity = Severity.INFO
    needs_layout = False
    bench_note = (  # said with its measured ratio wherever hotlint cites it
        "a std::list of 65,536 elements with its nodes linked in shuffled address order, as a "
        "long-running program's heap leaves them; in a fresh program that allocates the nodes "
        "one after the other the list is far less slow (the nodes are then nearly contiguous)"
    )
    options = {
        "max-tiny-size": Option(8, "a container built from a braced list of at most this many elements and "
                                   "never grown is not reported", minimum=0),
    }

    def check(self, view) -> Iterator[Finding]:
        hot = None
        calls = None
        for loop in view.loops:
            if loop.function is None or loop.body is None or not in_linted_file(view, loop.node):
                continue
            walk = container_walk(loop) or linked_walk(loop)
            if walk is None or early_exits(loop):
                continue
            hot = hot or view.analysis.hotness
            if hot.strong_region_at(loop.node) is not None:
                continue
            fn = outermost_function(view, loop.function)
            caller = hot.loop_caller(fn)
            if caller is None and hot.function_role(fn)[0] in ("cold", "cold-role"):
                continue
            if reshapes(walk, [p for p in (loop.condition, loop.parts()["increment"], loop.body) if p is not None]):
                continue  # it inserts, erases or relinks while walking: what nodes are for
            if calls is None:
                calls = [site.node for site in view.calls]
            if walk.kind == "container":
                if self._tiny(view, walk, calls):
                    continue
            elif _pools(view, walk.node):
                continue
            yield self._finding(view, loop, walk, calls, caller)

    def _tiny(self, view, walk: Walk, calls) -> bool:
        decl = walk.declaration
        if decl is None or decl.kind != K.VAR_DECL:
            return False
        ctor = constructor_call(decl)
        if ctor is None or constructor_form(ctor, walk.family) != "initializer-list":
            return False
        count = initializer_list_length(ctor)
        if count is None or count > self.option(view, "max-tiny-size"):
            return False
        return not any(c.spelling in _FILLING for c in container_calls(decl, calls))

    def _finding(self, view, loop, walk: Walk, calls, caller: Optional[str]) -> Finding:
        notes = [
            "each element's address is known only once the previous node's pointer has been loaded: the walk is "
            "a chain of dependent loads, one load latency per element (about 1 ns from L1, 3-4 ns from L2, "
            "10-40 ns from L3, 80 ns or more from DRAM), and the prefetcher cannot run ahead; a contiguous "
            "array is streamed, with several elements per cache line",
        ]
        capped = False
        if walk.kind == "linked":
            record = walk.node.unqualified_name if walk.node is not None else "node"
            head = (f"walking `{walk.cursor.spelling}` through `->{walk.link.spelling}` chases a pointer per element; "
                    f"keep the {record}s in a std::vector")
            notes.append(f"store the `{record}` nodes in a std::vector (link them by index if the structure must stay "
                         f"linked) or walk a std::vector of the elements in order; nodes allocated one by one lie "
                         f"scattered over the heap in a program that has run for a while")
        else:
            advice, need, capped = _advice(view, walk, calls)
            what = walk.family + (f" `{walk.declaration.spelling}`" if walk.declaration is not None else "")
            head = f"walking the {what} chases a pointer per element; {advice}"
            notes.append(need)
        notes.append(_MEASURED_MAP if walk.family is not None and walk.family not in _LISTS else _MEASURED_LIST)
        anchor = loop.body
        base = Severity.WARNING if caller is not None else Severity.INFO
        severity = Severity.INFO if capped else self.severity_for(view, anchor, base)
        if caller is not None and not capped:
            notes.append(f"`{caller}` calls this function on every iteration of a loop")
        return Finding(walk.step.range, head, severity=severity, notes=tuple(notes))


def _lines(nodes) -> str:
    lines = sorted({n.range.start.line for n in nodes})
    shown = ", ".join(str(n) for n in lines[:3]) + (", ..." if len(lines) > 3 else "")
    return ("line " if len(lines) == 1 else "lines ") + shown


def _advice(view, walk: Walk, calls) -> tuple[str, str, bool]:
    """(the headline's advice, the note saying what the file does with the container and what
    fits, whether the finding stays an info because the container may need its nodes)."""
    fam, decl = walk.family, walk.declaration
    is_set = fam in _SETS
    known = decl is not None and decl.kind in (K.VAR_DECL, K.PARM_DECL, K.FIELD_DECL) and in_linted_file(view, decl)
    uses = container_calls(decl, calls) if known else []
    name = f"`{decl.spelling}`" if decl is not None else "the container"
    lookups = [c for c in uses if c.spelling in KEYED_LOOKUPS]
    if fam in _LISTS:
        moves = [c for c in uses if c.spelling in POSITIONAL_CHANGES]
        fronts = [c for c in uses if c.spelling in _FRONT]
        if moves:
            verbs = ", ".join(sorted({c.spelling for c in moves}))
            return ("use a std::vector unless its iterators must stay valid",
                    f"{name} is changed in the middle ({verbs}, {_lines(moves)}): keep the list if other code "
                    f"holds iterators or pointers to its elements; otherwise a std::vector with std::erase_if or "
                    f"insert (moving elements) is usually still faster below some thousands of elements", True)
        if fronts:
            return ("use a std::vector (push_back, walk in reverse)",
                    f"{name} is filled at the front ({_lines(fronts)}) and walked: push_back into a std::vector "
                    f"and walk it in reverse for the same order", False)
        if known and decl.kind != K.PARM_DECL:
            return ("use a std::vector",
                    f"{name} is only filled at the back and walked in this file: a std::vector keeps the same "
                    f"order, and nothing here needs a node's address to stay put", False)
        return ("use a std::vector",
                f"if nothing keeps iterators or pointers to its elements across insertions, a std::vector keeps the "
                f"same order", False)
    flat = "std::flat_set" if is_set else "std::flat_map"
    if fam in UNORDERED:
        table = "absl::flat_hash_set" if is_set else "absl::flat_hash_map"
        if lookups:
            return (f"use an open-addressing table ({table})",
                    f"{name} is looked up by key ({', '.join(sorted({c.spelling for c in lookups}))}, "
                    f"{_lines(lookups)}) and walked: an open-addressing table ({table}, "
                    f"boost::unordered_flat_map) keeps its slots in one array; libstdc++ and libc++ chain every "
                    f"element of a std::unordered_* in one linked list, which iteration follows", False)
        if known and decl.kind != K.PARM_DECL:
            return ("use a std::vector",
                    f"{name} is never looked up by key in this file and its walk has no order to keep: a std::vector "
                    f"does (libstdc++ and libc++ chain every element of a std::unordered_* in one linked list, "
                    f"which iteration follows)", False)
        return (f"use a std::vector or {table}",
                f"a std::vector if nothing looks elements up by key, else an open-addressing table ({table}, "
                f"boost::unordered_flat_map), whose slots lie in one array", False)
    if lookups:
        return (f"use a sorted std::vector or {flat}",
                f"{name} is looked up by key ({', '.join(sorted({c.spelling for c in lookups}))}, {_lines(lookups)}) "
                f"and walked in key order: a std::vector kept sorted (fill, std::sort once, search with "
                f"std::lower_bound) or {flat} (C++23) keeps both", False)
    if known and decl.kind != K.PARM_DECL:
        return ("use a std::vector",
                f"{name} is never looked up by key in this file: a std::vector, sorted once after filling if the "
                f"walk needs key order, does the same walk", False)
    return (f"use a sorted std::vector or {flat}",
            f"a std::vector sorted once after filling walks in the same key order; search it with std::lower_bound "
            f"(or use {flat}, C++23) if the program also looks elements up by key", False)


def _pools(view, node_type) -> bool:
    """The file keeps ``node_type`` records in contiguous storage: an array, std::vector,
    std::array or std::span of them, or a ``new T[n]``."""
    if node_type is None:
        return False
    want = node_type.canonical.unqualified_name
    for decl in view.nodes(K.VAR_DECL, K.FIELD_DECL):
        element, _ = contiguous_element(decl.type)
        if element is not None and element.canonical.unqualified_name == want:
            return True
    for new in view.nodes(K.CXX_NEW_EXPR):
        t = new.type.pointee
        if t is not None and t.canonical.unqualified_name == want and "[" in new.tokens:
            return True
    return False

