"""aliasing-vectorization: loops whose stores may alias their inputs or their bound."""

from __future__ import annotations

from typing import Iterator, Optional

from hotlint.analysis.control import induction_steps, is_invariant, mutated_declarations, outermost_function, \
    under_branch, vectorizable_shape
from hotlint.analysis.expressions import THROUGH_CASTS, is_store_target, outermost_wrapper, strip, write_at
from hotlint.analysis.kinds import FLOATING_TYPES, K
from hotlint.analysis.memory import lvalue_origin
from hotlint.analysis.symbols import in_linted_file, quoted
from hotlint.analysis.types import is_scalar, may_alias, written_name
from hotlint.model import Severity
from hotlint.rule import Finding, Rule

from .accesses import NOT_VECTORIZED, PRIORITY, Access, Pair
from .fixes import local_copy_fix, restrict_fix

# Clang's LoopAccessAnalysis emits at most this many run-time overlap checks
# (-runtime-memory-check-threshold); gcc stops at --param vect-max-version-for-alias-checks.
CLANG_MAX_CHECKS = 8
GCC_MAX_CHECKS = 10

_ACCESS_KINDS = frozenset({K.DECL_REF_EXPR, K.MEMBER_REF_EXPR, K.ARRAY_SUBSCRIPT_EXPR, K.UNARY_OPERATOR})
_PARENS = frozenset({K.PAREN_EXPR})
_MAX_NOTES = 4


class AliasingVectorization(Rule):
    """A loop the compiler cannot vectorize cleanly because a store may alias its inputs or its bound.

    ## What it does
    Looks at innermost counted `for` loops that gcc or clang could vectorize (an induction
    variable, no early exit, no opaque call, no conditional store) and finds each store that,
    by the language's aliasing rules, may write the memory of a value the loop reads:

    - a store through a pointer (or reference) parameter and a load through another pointer
      of a compatible type, with no `__restrict__` on either (`y[i] += a * x[i]`);
    - a store through `char`, `signed char`, `unsigned char`, `uint8_t`, `int8_t` or
      `std::byte` — types that may alias any object — while the loop bound, the pointer
      stored through or another invariant is read from memory (`buf.len`, `this->n_`, `*scale`);
    - a member function storing to a member array while reading another member of the same
      type (or any member, for a byte array);
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
    from the rule's bench pair: run `hotlint bench aliasing-vectorization`.

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
            if loop.node.kind != K.FOR_STMT or loop.function is None:
                continue
            # a lambda's locals may be the enclosing function's: scan that whole function
            finding = _check_loop(self, view, loop, outermost_function(view, loop.function).node)
            if finding is not None:
                yield finding


# --------------------------------------------------------------------------- loop analysis


def _check_loop(rule, view, loop, fn) -> Optional[Finding]:
    parts = loop.parts()
    cond, inc, body = parts["condition"], parts["increment"], parts["body"]
    if cond is None or inc is None or body is None or induction_steps(inc) is None:
        return None
    if not in_linted_file(view, loop.node):
        return None  # a loop spelled in another file: no place in this one to report it
    scope = [cond, inc, body]
    if not vectorizable_shape(scope, body):
        return None
    modified, reassigned = mutated_declarations(scope), view.analysis.reassigned(fn)
    accesses = []
    for part in scope:
        for n in part.walk():
            acc = _access(n, reassigned, modified, cond)
            if acc is _GIVE_UP:
                return None
            if acc is not None:
                accesses.append(acc)
    stores = [a for a in accesses if a.store]
    if not stores or any(under_branch(s.node, body, include_stop=True, logical_operators=False,
                                      nested_loops=False) for s in stores):
        return None
    loads = [a for a in accesses if not a.store]
    if any(_indirect(s, loads) for s in stores):
        return None  # a scatter (`hist[bucket[i]]++`) is not vectorized whatever its aliasing
    for ld in loads:
        ld.indirect = _indirect(ld, loads)
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
    message = _message(view, primary, checks if many else 0)
    notes = [_also(view, p) for p in pairs[1:1 + _MAX_NOTES]]
    if len(pairs) > 1 + _MAX_NOTES:
        notes.append(f"... and {len(pairs) - 1 - _MAX_NOTES} more pairs that may alias")
    base = Severity.WARNING if (primary.kind in NOT_VECTORIZED or many) else Severity.INFO
    the_fix = local_copy_fix(view, loop, pairs, accesses, fn) or restrict_fix(view, loop, pairs)
    if the_fix is None and primary.kind == "accumulator":
        notes.append(f"accumulate into a local variable and store it to {quoted(view, primary.store.node)} "
                     "once after the loop")
    # a store spelled in another file (a body brought in by #include) is reported at its loop
    at = primary.store.node if in_linted_file(view, primary.store.node) else loop.node
    return Finding(at.range, message, severity=rule.severity_for(view, at, base), fix=the_fix, notes=tuple(notes))


def _indirect(access: Access, loads) -> bool:
    """True when the access's address depends on a value loaded from memory each iteration."""
    n = strip(access.node, **THROUGH_CASTS)
    if n.kind == K.ARRAY_SUBSCRIPT_EXPR and len(n.children) == 2:
        where = n.children[1]
    elif n.kind == K.UNARY_OPERATOR and n.children:
        where = n.children[0]
    else:
        return False
    for ld in loads:
        if ld.invariant or not (ld.node is where or ld.node.is_within(where)):
            continue  # an offset read once (`p[hdr->skip + i]`) still walks memory in order
        if n.kind == K.UNARY_OPERATOR and strip(ld.node, **THROUGH_CASTS).type.is_pointer:
            continue  # `*p` with `p` a member pointer: the base, not an index
        return True
    return False


_GIVE_UP = object()


def _access(n, reassigned, modified, cond):
    """The scalar memory access at ``n``, None when ``n`` is none, _GIVE_UP for an unknown store."""
    w = write_at(n, **THROUGH_CASTS)
    if w is not None and w.target is not None and not _is_access_kind(w.target):
        return _GIVE_UP  # a store the rule cannot place (through a call's result, ...)
    if not _is_access_kind(n):
        return None
    store = is_store_target(n)
    if not is_scalar(n.type):
        return _GIVE_UP if store else None
    parent = outermost_wrapper(n, through=_PARENS).parent
    if parent is not None and parent.kind == K.UNARY_OPERATOR and parent.operator == "&":
        return None
    loc = lvalue_origin(n, reassigned)
    if loc is None:
        return _GIVE_UP if store else None
    if not loc.is_memory:
        return None
    return Access(n, loc, store, is_invariant(n, modified), n is cond or n.is_within(cond))


def _is_access_kind(n) -> bool:
    return n.kind in _ACCESS_KINDS and (n.kind != K.UNARY_OPERATOR or n.operator == "*")


# --------------------------------------------------------------------------- aliasing


def _pair_kind(s: Access, other: Access) -> Optional[str]:
    """How the store ``s`` may alias ``other`` (a load or a second store), or None."""
    if not may_alias(s.type, other.type):
        return None
    sl, ol = s.loc, other.loc
    if sl.restrict or ol.restrict:
        return None
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
    ts, to = written_name(s.type), written_name(other.type)
    if s.type.is_byte_like and not other.type.is_byte_like:
        return f"a store through `{ts}` may modify an object of any type"
    if other.type.is_byte_like and not s.type.is_byte_like:
        return f"a `{to}` access may touch the bytes of an object of any type"
    if ts == to:
        return f"both `{ts}`"
    return f"`{ts}` and `{to}`"


def _message(view, p: Pair, checks: int) -> str:
    s, ld = quoted(view, p.store.node), quoted(view, p.load.node)
    head = f"store to {s} may alias {_other(view, p)} ({_types(p.store, p.load)})"
    if p.kind == "bound" and p.store.loc.top == p.load.loc.top:
        return (f"{head}: clang re-reads the bound every iteration, cannot compute the trip count and does "
                "not vectorize the loop (gcc can rule the overlap out from the array's bounds)")
    if p.kind == "bound":
        return (f"{head}: the bound is re-read from memory every iteration, so the trip count is unknown "
                "and the loop is not vectorized")
    if p.kind == "base-pointer":
        return f"{head}: the pointer is re-loaded every iteration and the loop is not vectorized"
    if p.kind == "accumulator":
        tail = "" if p.store.type.canonical.kind in FLOATING_TYPES else ", and the reduction is not vectorized"
        return f"{head}: {s} is written to memory and re-read every iteration instead of staying in a register{tail}"
    if p.kind == "clang-member":
        return (f"{head}: clang cannot rule the overlap out and does not vectorize the loop "
                "(gcc can, from the array's bounds)")
    if p.kind == "indirect":
        return (f"{head}: the load's address comes from memory, so no run-time overlap check can cover it "
                "and the loop is not vectorized")
    if checks:
        limit = (f"more than gcc ({GCC_MAX_CHECKS}) or clang ({CLANG_MAX_CHECKS}) will emit, so neither "
                 "vectorizes the loop") if checks > GCC_MAX_CHECKS else (
            f"more than clang will emit ({CLANG_MAX_CHECKS}; gcc stops at {GCC_MAX_CHECKS}), so clang does "
            "not vectorize the loop")
        return f"{head}; {checks} pairs of pointers in this loop may overlap and need run-time checks, {limit}"
    if p.kind == "invariant":
        return (f"{head}: without `__restrict__` {ld} is re-read every iteration, or the compiler adds a "
                "run-time overlap check and a scalar copy of the loop")
    return (f"{head}: without `__restrict__` the compiler must re-load or add a run-time overlap check and "
            "keep a scalar copy of the loop")


def _other(view, p: Pair) -> str:
    ld = quoted(view, p.load.node)
    if p.kind == "bound":
        return f"the loop bound {ld}"
    if p.kind == "base-pointer":
        return f"the pointer {ld} it writes through"
    if p.kind == "clang-member":
        return f"member {ld} of the same object"
    return f"the {'store to' if p.load.store else 'load of'} {ld}"


def _also(view, p: Pair) -> str:
    return f"store to {quoted(view, p.store.node)} may also alias {_other(view, p)} ({_types(p.store, p.load)})"
