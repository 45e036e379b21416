"""aliasing-vectorization: loops whose stores may alias their inputs or their bound."""

from __future__ import annotations

from typing import Iterator, Optional

from hotlint.analysis.control import counted_loop_scope, is_invariant, mutated_declarations, outermost_function, \
    under_branch, vectorizable_shape
from hotlint.analysis.expressions import call_object
from hotlint.analysis.kinds import FLOATING_TYPES, K
from hotlint.analysis.memory import UNPLACED, address_reads, container_pointers, scalar_access
from hotlint.analysis.symbols import in_linted_file, quoted
from hotlint.analysis.types import contiguous_element, may_alias, may_modify_pointers, written_name
from hotlint.model import Severity
from hotlint.rule import Finding, Rule

from .accesses import NOT_VECTORIZED, PRIORITY, Access, Pair
from .fixes import local_copy_fix, restrict_fix

# Clang's LoopAccessAnalysis emits at most this many run-time overlap checks
# (-runtime-memory-check-threshold); gcc stops at --param vect-max-version-for-alias-checks.
CLANG_MAX_CHECKS = 8
GCC_MAX_CHECKS = 10

_LOOPS = frozenset({K.FOR_STMT, K.WHILE_STMT, K.DO_STMT, K.CXX_FOR_RANGE_STMT})
_MAX_NOTES = 4


class AliasingVectorization(Rule):
    """A loop the compiler cannot vectorize cleanly because a store may alias its inputs or its bound.

    ## What it does
    Looks at innermost counted loops that gcc or clang could vectorize (a `for` with an
    induction variable, a `while` or `do` whose body steps the variable its condition reads, a
    range-for binding a reference to each element of an array or contiguous container; no
    early exit, no opaque call, no conditional store) and finds each store that, by the
    language's aliasing rules, may write the memory of a value the loop reads:

    - a store through a pointer (or reference) parameter and a load through another pointer
      of a compatible type, with no `__restrict__` on either (`y[i] += a * x[i]`);
    - a store through `char`, `signed char`, `unsigned char`, `uint8_t`, `int8_t` or
      `std::byte` — types that may alias any object — while the loop bound, the pointer
      stored through or another invariant is read from memory (`buf.len`, `this->n_`, `*scale`);
    - a member function storing to a member array while reading another member of the same
      type (or any member, for a byte array);
    - a byte (or pointer) store into a `std::vector`, `std::string` or `std::span` element
      (`v[i]`, through `data()`, a range-for's element) while the loop reads a container's
      own pointers (`i < v.size()`, `v[i]`): the store may move them, so g++ re-reads them
      every iteration and keeps the loop scalar; `__restrict__` on the container's reference,
      or its data pointer and size copied to locals, lets it vectorize. Elements of two
      containers of another type (`std::vector<float>& y, const std::vector<float>& x`) are
      not reported: g++ vectorizes behind a run-time overlap check that no `__restrict__`
      removes;
    - a running total kept in memory (`sum_ += x[i]`, `int& count`) next to loads of its type;
    - loops over so many pointer streams that the run-time overlap checks the vectorizer
      needs exceed what it will emit (clang: 8, gcc: 10).

    Types follow strict aliasing: `int` and `float` never alias, signed and unsigned variants
    of one type do, character types alias everything. Stores to local variables and arrays,
    loops that only read, and values copied to locals before the loop are never reported.

    ## Why is this bad?
    A vectorized loop loads several iterations' inputs before it stores their results. That is
    only correct when no store feeds a later load, which the compiler must prove. When a store
    may alias a load it either adds a run-time overlap check and keeps a scalar copy of the
    loop (more code, a branch per call, and the scalar copy runs when the check is
    inconclusive), or gives up: when the bound itself may change under the loop's own stores
    (`i < buf.len` with a byte store) the trip count is unknown and the loop runs one element
    at a time, typically 4–16x slower for bytes and floats. The measured slow/fast ratio comes
    from the rule's bench pair: run `hotlint bench aliasing-vectorization`. That pair's gain is
    g++'s at -O2: clang 22 at -O2 vectorizes the same byte loop behind a run-time overlap check,
    and its sub-case `aliasing-vectorization/clang` measured 0.99x (0.98–1.00) and 1.02x
    (0.84–1.09) in two 5-round runs, with callgrind's kernel counts alike (1,464,656 against
    1,462,256 instructions). A finding cannot say which compiler builds the file (hotlint's
    flags drop the compile command's compiler), so it cites the g++ figure.

    ## Example
    ```cpp
    struct Buf { unsigned char* data; int len; };
    void mask(Buf& buf, unsigned char key) {
        for (int i = 0; i < buf.len; ++i)
            buf.data[i] ^= key;   // may modify buf.len and buf.data themselves
    }
    void axpy(float* y, const float* x, float a, int n) {
        for (int i = 0; i < n; ++i)
            y[i] += a * x[i];     // y may overlap x
    }
    ```

    ## Use instead
    ```cpp
    void mask(Buf& buf, unsigned char key) {
        const auto len = buf.len;
        const auto data = buf.data;
        for (int i = 0; i < len; ++i)
            data[i] ^= key;
    }
    void axpy(float* __restrict__ y, const float* x, float a, int n) {
        for (int i = 0; i < n; ++i)
            y[i] += a * x[i];
    }
    ```

    ## Fix safety
    When every value the store may alias is loop-invariant, the fix copies those values to
    `const auto` locals before the loop and uses the copies. That is safe (applied by `--fix`)
    when the stores go to a member array of the same object whose other members are copied:
    writing another member through the array would be undefined behaviour. Otherwise it is
    unsafe: it changes behaviour if the loop really does write the copied value. When the loop
    streams through several pointers the fix adds `__restrict__` (`restrict` in C) to the
    pointer or reference parameters stored through, or, when the store goes to a member or a
    global, to the parameter read from (either side of a pair is enough). That is only
    correct if no caller ever passes overlapping memory, so it is unsafe unless the file
    proves it. It is **safe** when all of these hold:

    - the function is a free function (not a member, template or lambda) with internal
      linkage (`static`, or in an anonymous namespace) in a source file, and no `#include`
      follows its first declaration: every caller is in the linted code;
    - its address is never taken: every use of its name is a direct call;
    - every call passes, for each parameter that gets `__restrict__` and each other pointer
      or reference parameter that may reach the same memory (a compatible type by the
      aliasing rules, `void*`, a record), a named variable that is provably a different
      object: different local or global arrays and variables (`a`, `&a[0]`, `a + 1`, `&x`)
      or the buffers of different `std::vector` / `std::array` / `std::string` variables
      (`v.data()`, `&v[0]`), none of them holding pointers;
    - the function reaches no restricted argument another way: the globals it (or a leaf
      helper it calls) names are never passed for a restricted parameter, it names no global
      that holds a pointer, takes no parameter that points to pointers or to a record holding
      them, and calls nothing but `std::min`-like helpers and leaf functions of the file.

    Anything else keeps it unsafe: external linkage (another translation unit may call it),
    one variable passed twice (also as pointer arithmetic on one base, or two members of one
    object), a parameter passed through, a pointer variable, a reference or a call's result
    as an argument, a pointer to the function. Parameters of an enclosing function captured
    by a lambda get no fix.

    ## Options
    None. The check limits it quotes (clang 8, gcc 10 run-time checks) are the compilers'
    defaults.

    ## References
    - C++ standard, [basic.lval]/11 (the strict aliasing rule) and C11 6.7.3.1 (`restrict`)
    - GCC: `--param vect-max-version-for-alias-checks`; LLVM: `-runtime-memory-check-threshold`
    - LLVM Loop Vectorizer documentation, "Runtime Checks of Pointers"
    - Mike Acton, "Understanding Strict Aliasing" (CellPerformance)
    """

    name = "aliasing-vectorization"
    summary = "a store may alias the loop's inputs or bound, so the loop is versioned or not vectorized"
    severity = Severity.WARNING
    needs_layout = True  # an unknown type parses as int and would invent int/int aliasing
    options = {}

    def check(self, view) -> Iterator[Finding]:
        for loop in view.loops:
            if loop.node.kind not in _LOOPS or loop.function is None:
                continue
            # a lambda's locals may be the enclosing function's: scan that whole function
            finding = _check_loop(self, view, loop, outermost_function(view, loop.function).node)
            if finding is not None:
                yield finding


# --------------------------------------------------------------------------- loop analysis


def _check_loop(rule, view, loop, fn) -> Optional[Finding]:
    reassigned = view.analysis.reassigned(fn)
    counted = counted_loop_scope(loop, reassigned)
    if counted is None or not in_linted_file(view, loop.node):
        return None  # a loop spelled in another file: no place in this one to report it
    (scope, references), cond, body = counted, loop.parts()["condition"], loop.parts()["body"]
    if not vectorizable_shape(scope, body, containers=True):
        return None
    modified = mutated_declarations(scope) | set(references)  # a range-for's element changes every time
    accesses = []
    for part in scope:
        for n in part.walk():
            acc = _access(n, reassigned, modified, cond, references)
            if acc is _GIVE_UP:
                return None
            if acc is not None:
                accesses.append(acc)
            pointers = container_pointers(n, reassigned, references)
            if pointers is not None and pointers.is_memory:  # `v[i]`, `v.size()` read `v`'s data pointers
                obj = call_object(n, operators_first=True)
                accesses.append(Access(n, pointers, False, is_invariant(obj, modified), _within(n, cond), pointers=obj))
    stores = [a for a in accesses if a.store]
    if not stores or any(under_branch(s.node, body, include_stop=True, logical_operators=False,
                                      nested_loops=False) for s in stores):
        return None
    loads = [a for a in accesses if not a.store]
    varying = [(ld.node, ld.invariant) for ld in loads if ld.pointers is None]
    if any(address_reads(s.node, varying) for s in stores):
        return None  # a scatter (`hist[bucket[i]]++`) is not vectorized whatever its aliasing
    for ld in loads:
        ld.indirect = ld.pointers is None and address_reads(ld.node, varying)
    pairs = []
    for s in stores:
        for other in loads + [t for t in stores if t is not s]:
            kind = _pair_kind(s, other)
            if kind is not None:
                pairs.append(Pair(s, other, kind))
    if not pairs:
        return None
    checks = _runtime_checks(pairs)
    pairs.sort(key=lambda p: (PRIORITY.index(p.kind), p.store.node.range.start, p.load.node.range.start))
    pairs = _dedupe(pairs, view)
    primary = pairs[0]
    many = checks > CLANG_MAX_CHECKS and primary.kind in ("invariant", "stream")
    message = f"store to {quoted(view, primary.store.node)} may alias {_other(view, primary)}: {_instead(primary, many)}"
    notes = [_mechanism(view, primary, checks if many else 0)]
    notes += [_also(view, p) for p in pairs[1:1 + _MAX_NOTES]]
    if len(pairs) > 1 + _MAX_NOTES:
        notes.append(f"... and {len(pairs) - 1 - _MAX_NOTES} more pairs that may alias")
    base = Severity.WARNING if (primary.kind in NOT_VECTORIZED or many) else Severity.INFO
    the_fix = local_copy_fix(view, loop, pairs, accesses, fn) or restrict_fix(view, loop, pairs)
    objects = sorted({quoted(view, p.load.pointers) for p in pairs if p.load.pointers is not None})
    if objects:
        notes.append(f"{'or ' if the_fix else ''}copy the data pointer{'s' if len(objects) > 1 else ''} and size of "
                     f"{' and '.join(objects)} to locals before the loop and index the copies")
    if the_fix is None and primary.kind == "accumulator":
        notes.append(f"accumulate into a local variable and store it to {quoted(view, primary.store.node)} "
                     "once after the loop")
    # a store spelled in another file (a body brought in by #include) is reported at its loop
    at = primary.store.node if in_linted_file(view, primary.store.node) else loop.node
    return Finding(at.range, message, severity=rule.severity_for(view, at, base), fix=the_fix, notes=tuple(notes),
                   case=_evidence_case(view, primary.store.node))


def _evidence_case(view, store) -> Optional[str]:
    """The bench sub-case whose figure applies (bench_fixtures/aliasing-vectorization/<case>/): the
    main pair is byte elements at -O2 with g++; clang, -O3 and 32-bit elements are measured apart."""
    if view.settings.compiler == "clang":
        return "clang"  # clang -O2 vectorizes behind a run-time overlap check, as g++ does at -O3
    levels = [a for a in view.args if a.startswith("-O")]
    if levels and levels[-1] in ("-O3", "-Ofast"):
        return "o3"
    t = store.type
    return "int32" if t is not None and t.size == 4 else None


_GIVE_UP = object()


def _within(n, part) -> bool:
    return part is not None and (n is part or n.is_within(part))


def _access(n, reassigned, modified, cond, references):
    """The scalar memory access at ``n``, None when ``n`` is none, _GIVE_UP for an unknown store."""
    found = scalar_access(n, reassigned, references)
    if found is None or found == UNPLACED:
        return _GIVE_UP if found == UNPLACED else None
    return Access(n, found[0], found[1], is_invariant(n, modified), _within(n, cond))


# --------------------------------------------------------------------------- aliasing


def _pair_kind(s: Access, other: Access) -> Optional[str]:
    """How the store ``s`` may alias ``other`` (a load or a second store), or None."""
    sl, ol = s.loc, other.loc
    if sl.restrict or ol.restrict:
        return None
    if other.pointers is not None:  # a container's data pointers: only a byte or pointer store reaches them
        if not may_modify_pointers(s.type) or not other.invariant:
            return None
        return "bound" if other.in_condition else "base-pointer"
    if not may_alias(s.type, other.type) or (sl.in_container_buffer and ol.in_container_buffer):
        return None  # two containers' elements: g++ checks the overlap at run time, and no restrict helps
    if sl.top == ol.top:
        if sl.top[0] == "ptr":
            return None  # one pointer: a dependence the vectorizer measures, not an aliasing question
        ps, po = sl.path, ol.path
        if ps and po and ps[0] != po[0]:
            # distinct members of one object: only an array element against a scalar member
            # defeats clang (no struct-path information on array subscripts)
            if other.store or ps[-1] != "[]" or po[-1] == "[]" or not other.invariant or not s.store:
                return None
            return "bound" if other.in_condition else "clang-member"
        return None
    if sl.top[0] == "global" and ol.top[0] == "global":
        return None  # two distinct named objects
    if other.store:
        return "stream"
    if other.in_condition and other.invariant:
        return "bound"
    if other.invariant and sl.top == ("ptr", ("field",) + ol.key()):
        return "base-pointer"
    if s.invariant and (not sl.path or sl.path[-1] != "[]"):
        return "accumulator"
    if other.indirect:
        return "indirect"
    if other.invariant:
        return "invariant"
    return "stream"


def _runtime_checks(pairs) -> int:
    """Overlap checks the vectorizer would need: one per pair of distinct pointer origins."""
    seen = set()
    for p in pairs:
        if p.kind not in ("invariant", "stream"):
            continue
        a, b = p.store.loc.top, p.load.loc.top
        seen.add(frozenset((a, b)))
    return len(seen)


def _dedupe(pairs, view):
    """One pair per (store text, load text): `y[i]` read twice is one finding."""
    out, seen = [], set()
    for p in pairs:
        a, b = quoted(view, p.store.node), quoted(view, p.load.node)
        key = frozenset((a, b)) if p.load.store else (a, b)
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out


# --------------------------------------------------------------------------- messages


def _types(s: Access, other: Access) -> str:
    ts, to = _type_name(s), _type_name(other)
    if other.pointers is not None:
        return f"a store through `{ts}` may modify a pointer"
    if s.type.is_byte_like and not other.type.is_byte_like:
        return f"a store through `{ts}` may modify an object of any type"
    if other.type.is_byte_like and not s.type.is_byte_like:
        return f"a `{to}` access may touch the bytes of an object of any type"
    if ts == to:
        return f"both `{ts}`"
    return f"`{ts}` and `{to}`"


def _type_name(a: Access) -> str:
    """The accessed type as written: a container element's as its container names it."""
    element = contiguous_element(call_object(a.node, operators_first=True).type)[0] \
        if a.node.kind == K.CALL_EXPR else None
    return written_name(element or a.type)


def _mechanism(view, p: Pair, checks: int) -> str:
    """Why the possible overlap costs the loop its speed, with the types that let it (the
    finding's first note)."""
    why = _cost(view, p, checks)
    return f"{why[0].upper()}{why[1:]} ({_types(p.store, p.load)})"


def _cost(view, p: Pair, checks: int) -> str:
    s, ld = quoted(view, p.store.node), quoted(view, p.load.node)
    if p.kind == "bound" and p.store.loc.top == p.load.loc.top:
        return (f"clang re-reads the bound every iteration, cannot compute the trip count and does "
                "not vectorize the loop (gcc can rule the overlap out from the array's bounds)")
    if p.kind == "bound":
        return (f"the bound is re-read from memory every iteration, so the trip count is unknown "
                "and the loop is not vectorized")
    if p.kind == "base-pointer":
        return f"the pointer is re-loaded every iteration and the loop is not vectorized"
    if p.kind == "accumulator":
        tail = "" if p.store.type.canonical.kind in FLOATING_TYPES else ", and the reduction is not vectorized"
        return f"{s} is written to memory and re-read every iteration instead of staying in a register{tail}"
    if p.kind == "clang-member":
        return (f"clang cannot rule the overlap out and does not vectorize the loop "
                "(gcc can, from the array's bounds)")
    if p.kind == "indirect":
        return (f"the load's address comes from memory, so no run-time overlap check can cover it "
                "and the loop is not vectorized")
    if checks:
        limit = (f"more than gcc ({GCC_MAX_CHECKS}) or clang ({CLANG_MAX_CHECKS}) will emit, so neither "
                 "vectorizes the loop") if checks > GCC_MAX_CHECKS else (
            f"more than clang will emit ({CLANG_MAX_CHECKS}; gcc stops at {GCC_MAX_CHECKS}), so clang does "
            "not vectorize the loop")
        return f"{checks} pairs of pointers in this loop may overlap and need run-time checks, {limit}"
    if p.kind == "invariant":
        return (f"without `__restrict__` {ld} is re-read every iteration, or the compiler adds a "
                "run-time overlap check and a scalar copy of the loop")
    return (f"without `__restrict__` the compiler must re-load or add a run-time overlap check and "
            "keep a scalar copy of the loop")


def _instead(p: Pair, many: bool) -> str:
    """What to write instead, as the headline says it."""
    if p.kind == "bound":
        return "read the bound into a local before the loop"
    if p.kind in ("base-pointer", "clang-member", "invariant") and not many:
        return "copy it to a local before the loop"
    if p.kind == "accumulator":
        return "accumulate in a local and store it once after the loop"
    return "mark the pointers `__restrict__`"


def _other(view, p: Pair) -> str:
    ld = quoted(view, p.load.node)
    if p.kind == "bound":
        return f"the loop bound {ld}"
    if p.load.pointers is not None and p.kind == "base-pointer":
        return f"the data pointer of {quoted(view, p.load.pointers)}"
    if p.kind == "base-pointer":
        return f"the pointer {ld} it writes through"
    if p.kind == "clang-member":
        return f"member {ld} of the same object"
    return f"the {'store to' if p.load.store else 'load of'} {ld}"


def _also(view, p: Pair) -> str:
    return f"store to {quoted(view, p.store.node)} may also alias {_other(view, p)} ({_types(p.store, p.load)})"
