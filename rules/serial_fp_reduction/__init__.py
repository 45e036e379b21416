"""serial-fp-reduction: a floating-point reduction the compiler must perform in source order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from hotlint.analysis.control import induction_steps, is_invariant, mutated_declarations, vectorizable_shape
from hotlint.analysis.expressions import THROUGH_CASTS, constant_value, strip, write_at
from hotlint.analysis.kinds import COMPARISON_OPERATORS, EXPLICIT_CASTS, WRAPPERS, K, T
from hotlint.analysis.symbols import has_static_storage, in_linted_file, std_name
from hotlint.analysis.types import written_name
from hotlint.model import Severity
from hotlint.rule import Finding, Rule

from .permissions import loop_pragmas, reordering
from .rewrite import PARTIALS, partial_sums_fix

_FLOATS = frozenset({T.FLOAT, T.DOUBLE})
_MIN_CALLS = frozenset({"std::min", "std::fmin", "fmin", "fminf"})
_MAX_CALLS = frozenset({"std::max", "std::fmax", "fmax", "fmaxf"})
_LVALUE_WRAPPERS = WRAPPERS | EXPLICIT_CASTS
_ORDERED = frozenset(COMPARISON_OPERATORS) & {"<", ">", "<=", ">="}
# this many chains or more in one loop: the reduction is already split (a hand-unrolled loop)
SPLIT = 4


class SerialFpReduction(Rule):
    """A floating-point sum, product, minimum or maximum carried through a loop that the
    compiler must compute in source order, one element after the other.

    ## What it does
    Finds a `float` or `double` local that a `for` or range-`for` loop reduces over its
    elements: `sum += x`, `sum -= x`, `sum = sum + x`, `prod *= x`, and a minimum or maximum
    kept by comparison (`if (x < m) m = x;`, `m = x < m ? x : m`, `m = std::min(m, x)`,
    `std::max`, `fmin`, `fmax`). The accumulator must be declared before the loop, written
    nowhere else in it and read only by its own update (a running total stored every
    iteration is a scan, not a reduction); the added term must change from one iteration to
    the next; the loop must have the shape a vectorizer takes (no exit, no nested loop, no
    opaque call).

    The finding depends on the flags the unit is compiled with (from `compile_commands.json`):
    nothing is reported where they let the compiler reorder the reduction: sums and products
    under `-ffast-math`, `-Ofast`, `-funsafe-math-optimizations` or `-fassociative-math` with
    `-fno-signed-zeros -fno-trapping-math` (g++ ignores `-fassociative-math` alone); a minimum
    or maximum under `-ffast-math` or `-ffinite-math-only -fno-signed-zeros`. Nor on a loop
    under `#pragma omp simd reduction(op:var)` with `-fopenmp` or `-fopenmp-simd` (without
    them the pragma is ignored, and the finding says so), or `#pragma clang loop
    vectorize(enable)` / `vectorize(assume_safety)` / `vectorize_width(N)`, which let clang
    reorder (g++ ignores them). `#pragma GCC ivdep` does not allow reordering and changes
    nothing here.

    Not reported: integer reductions (integer addition is associative and compilers reorder
    it freely); `long double`; an accumulator kept in memory (a member, a reference
    parameter, a global), which aliasing-vectorization reports when a load may alias it; a
    loop that already carries four or more reductions of one kind (independent partial
    sums), and the remainder loop after a loop unrolled by a constant step.

    ## Why is this bad?
    IEEE floating-point addition is not associative, so without permission the compiler
    keeps the order written: every `sum += x` waits for the previous one to finish. The loop
    then runs at one element per floating-point add latency, 3 cycles on AMD Zen 4 and 4 on
    Intel since Skylake, while the core could start two adds per cycle. A vectorizer does not
    help: g++ 12 at `-O3 -march=x86-64-v3` computes eight squared differences with one
    `vmulps` and then adds the eight lanes to `sum` one by one (eight dependent `vaddss`),
    which in two runs here was slower than the scalar `-O2` loop (0.54-0.58 s against
    0.34-0.46 s for the bench pair's slow program); with `-ffast-math` the same loop
    is one `vfmadd231ps` per eight elements. Eight independent partial sums (the rewrite
    below) break the chain: the bench pair (`sum_sq_diff` of 2048-float vectors: 16 candidates, 136 KB, held in L2)
    measured slow/fast 8.02x (min 5.42x, max 9.82x over 7 alternating rounds), and 7.36x
    (4.66-8.83x) in a second run, with g++ 12 `-O2` on the 2-core AMD EPYC (Zen 4) machine it
    was written on, shared with other jobs;
    hotlint's own rewrite applied to slow.cpp (`hotlint bench --verify-fixes`) gave 6.39x
    (4.95-8.50x) there, with the same checksum. Run `hotlint bench
    serial-fp-reduction` for your own figure.

    ## Example
    ```cpp
    float sum_sq_diff(const float* a, const float* b, int n) {
        float sum = 0;
        for (int i = 0; i < n; ++i) {
            float d = a[i] - b[i];
            sum += d * d;       // one add per element, each waiting for the last
        }
        return sum;
    }
    ```

    ## Use instead
    ```cpp
    float sum_sq_diff(const float* a, const float* b, int n) {
        float sum = 0;
        float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0, sum4 = 0, sum5 = 0, sum6 = 0, sum7 = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            { float d = a[i] - b[i]; sum0 += d * d; }
            { float d = a[i + 1] - b[i + 1]; sum1 += d * d; }
            // ... sum2 to sum7
        }
        for (; i < n; ++i) { float d = a[i] - b[i]; sum0 += d * d; }
        sum += ((sum0 + sum1) + (sum2 + sum3)) + ((sum4 + sum5) + (sum6 + sum7));
        return sum;
    }
    ```
    or `#pragma omp simd reduction(+:sum)` on the loop, built with `-fopenmp-simd` (no
    OpenMP runtime is linked), or `std::transform_reduce(std::execution::unseq, ...)`.

    ## Fix safety
    The rewrite into eight partial sums (or products) and a remainder loop is offered for a
    counted loop `for (int i = init; i < bound; ++i)` whose bound does not change in the
    loop, whose body does not write or take the address of `i`, and whose reduction is one
    `+=`, `-=`, `*=`, `s = s + x` or `s = s * x`. It is **unsafe** (applied only with
    `--unsafe-fixes`): it reorders the additions, so the result can differ from the ordered
    one in the last bits (a sum of values of mixed magnitude can differ by more), which is
    exactly why the compiler may not do it by itself; the rest of the body keeps its order.
    Minimum and maximum get no rewrite; their partial results differ only for NaNs and the
    sign of zero.

    ## Options
    None.

    ## References
    - GCC manual, "Options That Control Optimization": `-fassociative-math`, `-ffast-math`
    - OpenMP 5.2, section 5.5.8 (`reduction` clause) and the `simd` construct
    - Clang, "Loop hint optimizations" (`#pragma clang loop vectorize`)
    - Agner Fog, "Instruction tables" (latency of ADDSS/ADDPS, MULSS, MINSS)
    """

    name = "serial-fp-reduction"
    summary = "a floating-point reduction the flags do not let the compiler reorder: one add per element"
    severity = Severity.WARNING
    needs_layout = False
    options = {}

    def check(self, view) -> Iterator[Finding]:
        allowed = reordering(view.args)
        for loop in view.loops:
            if loop.function is None or not in_linted_file(view, loop.node):
                continue
            reductions = _loop_reductions(view, loop)
            if not reductions:
                continue
            pragmas = loop_pragmas(view.source.directives, loop.node.range.start.line)
            for red in reductions:
                if (allowed.minmax if red.kind in ("min", "max") else allowed.sums) or pragmas.clang_reorders:
                    continue
                in_pragma = red.var.spelling in pragmas.omp_reduced
                if in_pragma and allowed.openmp:
                    continue
                yield self._finding(view, loop, red, allowed, in_pragma)

    def _finding(self, view, loop, red: "Reduction", allowed, in_pragma: bool) -> Finding:
        name, typ = red.var.spelling, written_name(red.var.type)
        what, op, short, insn = _WORDS[red.kind]
        suffix = "d" if red.var.type.canonical.kind == T.DOUBLE else "s"
        if in_pragma:
            head = (f"`#pragma omp simd reduction` on `{name}` is ignored without -fopenmp-simd: "
                    f"the {typ} {what} stays in source order")
        else:
            head = f"`{name}` is a {typ} {what} kept in source order, one element at a time; split it into partial {_PLURAL[red.kind]}"
        if red.kind in ("min", "max"):
            flags = "-ffast-math (or -ffinite-math-only with -fno-signed-zeros)"
            why = "NaNs and signed zeros would come out differently"
        else:
            flags = "-ffast-math (or -fassociative-math with -fno-signed-zeros and -fno-trapping-math)"
            why = "the result could change in the last bits"
        notes = [
            f"without {flags} the compiler may not reorder the {op}s ({why}): each waits for the one before, "
            f"so the loop runs one element per {short} latency ({_LATENCY[red.kind]}) "
            f"where independent {op}s would start two per cycle; vectorized, it still {_VERB[red.kind]} the lanes "
            f"into `{name}` one by one (g++ 12 -O3: a chain of v{insn}s{suffix}, not v{insn}p{suffix})",
        ]
        if allowed.associative_only and red.kind not in ("min", "max"):
            notes.append("-fassociative-math is set but has no effect without -fno-signed-zeros and "
                         "-fno-trapping-math (g++ drops it with a warning)")
        the_fix = partial_sums_fix(view, loop, red) if red.kind in ("sum", "product") else None
        if in_pragma:
            notes.append("build the unit with -fopenmp-simd (no OpenMP runtime needed) and the pragma lets the "
                         "compiler keep vector partial results")
        else:
            clause = {"sum": "+", "product": "*"}.get(red.kind, red.kind)
            minmax = red.kind in ("min", "max")
            how = f"partial {_PLURAL[red.kind]} combined after the loop" + \
                (f" ({PARTIALS} in the rewrite offered)" if the_fix is not None else "")
            library = (f"std::reduce(std::execution::unseq, ...) with a {red.kind} function" if minmax
                       else "std::transform_reduce(std::execution::unseq, ...)")
            notes.append(
                f"split the chain: {how}, `#pragma omp simd reduction({clause}:{name})` built with -fopenmp-simd, "
                f"or {library}; each reorders the {op}s, so "
                + ("the result can differ from the ordered one in the last bits" if red.kind not in ("min", "max")
                   else "NaNs and the sign of zero can come out differently"))
        at = red.writes[0]
        return Finding(at.range, head, severity=self.severity_for(view, at), fix=the_fix, notes=tuple(notes))


_WORDS = {"sum": ("sum", "addition", "add", "add"), "product": ("product", "multiplication", "multiply", "mul"),
          "min": ("minimum", "comparison", "min", "min"), "max": ("maximum", "comparison", "max", "max")}
_PLURAL = {"sum": "sums", "product": "products", "min": "minima", "max": "maxima"}
_LATENCY = {"sum": "3 cycles on AMD Zen 4, 4 on Intel since Skylake",
            "product": "3 cycles on AMD Zen 4, 4 on Intel since Skylake",
            "min": "up to 4 cycles on x86-64", "max": "up to 4 cycles on x86-64"}
_VERB = {"sum": "adds", "product": "multiplies", "min": "compares", "max": "compares"}


# --------------------------------------------------------------------------- finding reductions


@dataclass(eq=False)
class Reduction:
    var: object  # the accumulator's VAR_DECL
    kind: str  # "sum", "product", "min" or "max"
    writes: list = field(default_factory=list)  # the write expressions, in source order
    statements: list = field(default_factory=list)  # where the accumulator may be named (its updates)
    terms: list = field(default_factory=list)  # what each update brings in


def _loop_reductions(view, loop) -> list[Reduction]:
    """The floating-point reductions ``loop`` carries, none when it is no candidate."""
    node = loop.node
    parts = loop.parts()
    body = parts["body"]
    if body is None:
        return []
    if node.kind == K.FOR_STMT:
        if not induction_steps(parts["increment"]) or parts["condition"] is None:
            return []
        if _remainder_loop(view, loop):
            return []
        scope = [parts["condition"], parts["increment"], body]
    elif node.kind == K.CXX_FOR_RANGE_STMT:
        scope = [body]
    else:
        return []  # a while loop is rarely a walk over elements (a list, a search)
    if not vectorizable_shape(scope, body):
        return []
    refs: dict = {}
    for part in scope:
        for n in part.walk():
            if n.kind == K.DECL_REF_EXPR and _accumulator(n.referenced, node):
                refs.setdefault(n.referenced, []).append(n)
    mutated = mutated_declarations(scope)
    if parts["variable"] is not None:
        mutated.add(parts["variable"])  # a range-for's element changes every iteration
    out = []
    for var, uses in refs.items():
        red = _reduction(var, uses, mutated)
        if red is not None:
            out.append(red)
    for kind in {r.kind for r in out}:
        if sum(r.kind == kind for r in out) >= SPLIT:
            out = [r for r in out if r.kind != kind]  # already split into independent chains
    out.sort(key=lambda r: r.writes[0].range.start)
    return out


def _accumulator(decl, loop_node) -> bool:
    """A float or double local declared before the loop (not in it: that one starts afresh)."""
    if decl is None or decl.kind != K.VAR_DECL or decl.type.is_reference or has_static_storage(decl):
        return False
    if decl.type.canonical.kind not in _FLOATS or decl.type.is_volatile:
        return False
    return not (decl is loop_node or decl.is_within(loop_node))


def _reduction(var, uses, mutated) -> Optional[Reduction]:
    red = None
    for ref in uses:
        w = _write_of(ref)
        if w is None:
            continue
        kind, statement, term = _update(w, var)
        if kind is None or (red is not None and red.kind != kind):
            return None  # `sum = 0` in the loop, or two kinds of update: not a reduction
        if red is None:
            red = Reduction(var, kind)
        red.writes.append(w.node)
        red.statements.append(statement)
        red.terms.append(term)
    if red is None:
        return None
    for ref in uses:  # read anywhere else (`out[i] = sum`): a scan, which no reordering helps
        if not any(ref is s or ref.is_within(s) for s in red.statements):
            return None
    if all(is_invariant(t, mutated) for t in red.terms):
        return None  # the same value every time: not a reduction over the loop's elements
    return red


def _write_of(ref):
    """The write whose target is ``ref`` (looked at through parentheses and casts), or None."""
    n = ref
    while n.parent is not None and n.parent.kind in _LVALUE_WRAPPERS and len(n.parent.children) == 1:
        n = n.parent
    parent = n.parent
    w = write_at(parent, **THROUGH_CASTS) if parent is not None else None
    if w is None or not parent.children or parent.children[0] is not n:
        return None
    return w


def _is(node, var) -> bool:
    n = strip(node, **THROUGH_CASTS)
    return n.kind == K.DECL_REF_EXPR and n.referenced == var


def _names(node, var) -> bool:
    return any(n.kind == K.DECL_REF_EXPR and n.referenced == var for n in node.walk())


def _update(w, var):
    """(kind, statement, term) of a write to ``var``, kind None when it is no reduction update."""
    none = (None, None, None)
    kids = w.node.children
    if len(kids) != 2:
        return none
    rhs = kids[1]
    if w.operator in ("+=", "-=", "*="):
        if _names(rhs, var):
            return none
        return ("product" if w.operator == "*=" else "sum"), w.node, rhs
    if w.operator != "=":
        return none
    value = strip(rhs, **THROUGH_CASTS)
    if value.kind == K.BINARY_OPERATOR and value.operator in ("+", "-", "*") and len(value.children) == 2:
        a, b = value.children
        kind = "product" if value.operator == "*" else "sum"
        if _is(a, var) and not _names(b, var):
            return kind, w.node, b
        if value.operator != "-" and _is(b, var) and not _names(a, var):
            return kind, w.node, a
        return none
    if value.kind == K.CALL_EXPR:
        callee = value.referenced
        qname = std_name(callee.qualified_name) if callee is not None else ""
        kind = "min" if qname in _MIN_CALLS or value.spelling in _MIN_CALLS else \
            "max" if qname in _MAX_CALLS or value.spelling in _MAX_CALLS else None
        args = value.arguments
        if kind is None or len(args) != 2:
            return none
        a, b = args
        if _is(a, var) and not _names(b, var):
            return kind, w.node, b
        if _is(b, var) and not _names(a, var):
            return kind, w.node, a
        return none
    if value.kind == K.CONDITIONAL_OPERATOR and len(value.children) == 3:
        cond, yes, no = value.children
        other = no if _is(yes, var) else yes if _is(no, var) else None
        if other is None or _names(other, var):
            return none
        kind = _comparison(cond, var, other, picks_other=other is yes)
        return (kind, w.node, other) if kind else none
    # `if (x < m) m = x;`: the assignment alone in the branch of an if without else
    if _names(rhs, var):
        return none
    stmt, holder = w.node, w.node.parent
    if holder is not None and holder.kind == K.COMPOUND_STMT and len(holder.children) == 1:
        stmt, holder = holder, holder.parent
    if holder is None or holder.kind != K.IF_STMT or len(holder.children) != 2 or holder.children[1] is not stmt:
        return none
    kind = _comparison(holder.children[0], var, rhs, picks_other=True)
    return (kind, holder, rhs) if kind else none


def _comparison(cond, var, other, *, picks_other: bool) -> Optional[str]:
    """'min' or 'max' when ``cond`` compares ``var`` with ``other`` (the same tokens) so that the
    result kept is the smaller or the larger; None otherwise."""
    c = strip(cond, **THROUGH_CASTS)
    if c.kind != K.BINARY_OPERATOR or c.operator not in _ORDERED or len(c.children) != 2:
        return None
    a, b = c.children
    want = strip(other, **THROUGH_CASTS).tokens
    if _is(a, var) and strip(b, **THROUGH_CASTS).tokens == want:
        other_is_less = c.operator in (">", ">=")  # var > x: x is the smaller
    elif _is(b, var) and strip(a, **THROUGH_CASTS).tokens == want:
        other_is_less = c.operator in ("<", "<=")  # x < var
    else:
        return None
    if not picks_other:  # `x < m ? m : x` keeps the other one
        other_is_less = not other_is_less
    return "min" if other_is_less else "max"


def _remainder_loop(view, loop) -> bool:
    """A for loop with no init that continues a loop right before it stepping the same variable
    by a constant above 1: the remainder of an unrolled loop, fewer iterations than that step."""
    node, parent = loop.node, loop.node.parent
    steps = induction_steps(loop.parts()["increment"])
    if loop.parts()["init"] is not None or not steps or parent is None or parent.kind != K.COMPOUND_STMT:
        return False
    siblings = parent.children
    i = next(k for k, s in enumerate(siblings) if s is node)
    before = next((other for other in view.loops if i > 0 and other.node is siblings[i - 1]), None)
    if before is None or before.node.kind != K.FOR_STMT:
        return False
    prior = induction_steps(before.parts()["increment"]) or []
    return any(p.variable == s.variable and p.operator == "+=" and (constant_value(p.amount) or 0) > 1
               for p in prior for s in steps)
