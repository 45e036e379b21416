"""aos-layout: loops over arrays of records that use a small share of each record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from hotlint.analysis.control import bisection_midpoint, is_written_in, unit_step_variable
from hotlint.analysis.expressions import ESCAPES, READ, WRITE, initializer, lvalue_use, outermost_wrapper, strip
from hotlint.analysis.hotness import L1_BYTES
from hotlint.analysis.kinds import K
from hotlint.analysis.layout import bytes_covered, laid_out_per_cache_line, lines_touched, member_offset, \
    sweep_line_usage
from hotlint.analysis.memory import NOT_A_USE, element_alias, indexed_address, indexed_sequence, member_path
from hotlint.analysis.symbols import refers_to
from hotlint.analysis.types import contiguous_element, pointee_record, program_record
from hotlint.model import Position, Range, Severity
from hotlint.rule import Finding, Option, Rule

from .rewrite import migrate, refuse_layout, soa_fix

# A fixed-size array this small stays in L1 whatever its layout.
_SMALL_ARRAY_LINES = 4
# Standard searches whose comparator reads the searched records: each probe touches one record.
_SEARCHES = frozenset({"lower_bound", "upper_bound", "equal_range", "binary_search", "partition_point"})
_HEADLINE = 120


@dataclass
class Sweep:
    """One contiguous sequence a loop walks element by element."""

    label: str  # how the message names the walk: "over `particles`", "stepping `p`"
    element: object  # Type of the element
    count: Optional[int]  # elements, when the type fixes it
    anchor: object  # first node inside the loop that uses an element (severity, ordering)
    used: dict = field(default_factory=dict)  # (offset, size) -> field path text
    top_fields: dict = field(default_factory=dict)  # name -> (offset, size)
    reads: bool = False
    writes: bool = False
    whole: bool = False  # an element used as a whole: a call may read every byte
    # for the struct-of-arrays rewrite
    container: Optional[str] = None  # the sequence's text, when the rewrite can name it
    index_name: Optional[str] = None  # the induction variable of an indexed loop
    sites: list = field(default_factory=list)  # (range of `e.field`, field name) per use
    site_nodes: list = field(default_factory=list)  # the `e.field` expression of each site
    aliases: bool = False  # the body binds references to elements
    container_decl: object = None  # the variable or parameter the sequence is, when named
    written: set = field(default_factory=set)  # top-level fields the loop may change
    unfollowed: Optional[str] = None  # a use whose effect the rewrite cannot follow, if any
    # reached another way than a dense sweep (no rewrite is offered for these)
    chases: bool = False  # the sequence holds pointers (`T*`, unique_ptr, shared_ptr) to the records
    probes: Optional[str] = None  # a search probing records: "binary search", "`std::lower_bound`"
    at: Optional[Range] = None  # where a search call is reported


class AosLayout(Rule):
    """A hot loop over an array of records that reads a small share of every record.

    ## What it does
    Finds loops that walk a contiguous sequence of records — a range-for over a
    `std::vector<T>`, `std::array<T, N>`, `std::span<T>` or `T[N]`, or a counted `for` that
    indexes one of those or a `T*` with its induction variable, or that steps a `T*` — and
    adds up, from the record's real layout, the bytes of `T` the loop body actually touches.
    When `T` is at least `min-record-size` bytes and the loop touches at most
    `max-used-fraction` of them, it reports the record size, the bytes used, and how much of
    every cache line fetched is wasted.

    A nested member (`e.pos.x`) counts only its own bytes; an array member (`e.hist[k]`)
    counts the whole array; a member passed on whole (`move(e.pos)`) or used through one of
    its own methods (`e.name.size()`) counts all of that member. A reference bound to the
    element in the body (`auto& e = es[i];`) or a pointer to it the body never moves
    (`T* p = &es[i];`, `const T* p = a + i;`) is followed (reported without a rewrite). Loops
    that pass the element itself to a function, call a member function on it, copy it or take
    its address are not reported: the callee may read every field. Fixed-size arrays small
    enough to stay in L1 (four cache lines or less) and loop variables taken by value are
    skipped.

    A loop over a sequence of pointers to records (`std::vector<T*>`,
    `std::vector<std::unique_ptr<T>>`, `T**`; `p->x`, `(*p).x`, `p.get()->x`, a local
    `T* p = ps[i];`; null tests read no field) is reported when `T` is wider than a cache
    line: each element costs a pointer chase and a line fetched for a few bytes; the finding
    says both. So is a binary search over records — a loop that probes `a[mid]` with `mid`
    halfway between two bounds it moves (`lo = mid + 1`, `hi = mid`), or `std::lower_bound`,
    `upper_bound`, `equal_range`, `binary_search` or `partition_point` with a comparator lambda
    reading a few fields — where each probe fetches a line for one key. Neither gets a
    rewrite.

    A record laid out for the cache on purpose — aligned to the cache line or more (`alignas` on the record
    or a member, or a member type that is), or holding padding members (`pad`, `padding`,
    `reserved`, ... byte arrays) — is never reported: that is false-sharing's per-thread slot,
    and a struct of arrays would pack the slots onto shared lines again.

    ## Why is this bad?
    Memory moves in cache lines (64 bytes on most CPUs). A loop that reads 24 bytes of an
    80-byte record still pulls all 80 through the memory hierarchy, so 70% of the bandwidth
    and of the cache capacity carries fields nobody reads; when records are 128 bytes or more
    the loop touches one line and skips the others, and the hardware prefetcher, which works
    best on dense streams, is left fetching lines at a stride. Storing the hot fields in their
    own array (struct of arrays) or moving the cold ones out (hot/cold split) makes every byte
    fetched a byte used, and usually lets the loop vectorize. The measured slow/fast ratio
    comes from the rule's bench pair: run `hotlint bench aos-layout`.

    ## Example
    ```cpp
    struct Particle {
        float x, y, z;        // hot
        float vx, vy, vz;     // hot
        char name[40];        // cold
        double mass;          // cold
        int id, flags;        // cold
    };
    void step(std::vector<Particle>& ps, float dt) {
        for (auto& p : ps) {  // uses 24 of 72 bytes per particle
            p.x += p.vx * dt; p.y += p.vy * dt; p.z += p.vz * dt;
        }
    }
    ```

    ## Use instead
    ```cpp
    struct Particles {              // struct of arrays: each loop streams only what it uses
        std::vector<float> x, y, z, vx, vy, vz;
        std::vector<ParticleInfo> info;   // the cold fields, in their own array
    };
    void step(Particles& ps, float dt) {
        for (std::size_t i = 0; i < ps.x.size(); ++i) {
            ps.x[i] += ps.vx[i] * dt; ps.y[i] += ps.vy[i] * dt; ps.z[i] += ps.vz[i] * dt;
        }
    }
    ```

    ## Fix safety
    Display-only: splitting a record changes every place that uses it, so nothing is ever
    applied. Where the loop names its sequence directly, the fix shows (with `--diff` or
    `--show-fixes`, and as a code action in the editor) the struct-of-arrays type — one
    `std::vector` per hot field, member records kept whole, the cold fields together in a
    `Cold` record — and the loop rewritten over it.

    When the sequence is a parameter whose callers in this file pass local vectors used
    nowhere else, the parameter, those variables and every loop over them move to the new
    type. Otherwise the loop runs on a struct of arrays copied from the old sequence (a
    bridge until the sequence itself moves), and a `StoreBack` guard stores every field the
    loop writes — assigned, incremented, passed to a non-const reference, the object of a
    non-const method or operator — back into it however the loop ends (`break`, `return`, an
    exception); fields only read are not stored. A copy is only right when nothing the loop
    runs can see the old sequence meanwhile, so the bridge is offered only when hotlint can
    show that: the loop uses no other record of the type (another element, the sequence
    itself, a pointer to one), every function it calls is defined in this file and, followed
    through everything it calls, never uses the record type (a few pure standard functions
    such as `std::sqrt`, `std::min` and the members of standard containers of plain values
    are known), no address of or reference to an element's field is kept, and a `return`
    inside the loop cannot hand back a pointer into the copy. hotlint assumes that a called
    function does not keep the address of a reference argument past the call, and it cannot
    see other threads: a sequence other threads touch while the loop runs needs the
    migration, not the bridge. When the bridge cannot be shown to keep behaviour, no rewrite
    is offered and the finding's note says why. Records holding atomics get no rewrite (a
    struct of arrays can neither copy them nor keep per-thread atomics on separate lines).
    The saving comes once the sequence itself is kept in the new layout.

    ## Options
    - `min-record-size` (int, default 32): records smaller than this many bytes are not
      reported.
    - `max-used-fraction` (float, default 0.5): report a loop only when it touches at most
      this share of each record's bytes.

    The cache-line size is the unit's target's (`hotlint.analysis.target`: the global
    `cache-line-size` setting if set, else the target's own, 64 on x86-64, 128 on Apple arm64),
    and the notes name the target they assume.

    ## References
    - Intel 64 and IA-32 Architectures Optimization Reference Manual, "Data Layout
      Optimizations" (structure of arrays)
    - Ulrich Drepper, "What Every Programmer Should Know About Memory", section 6.2
    - Mike Acton, "Data-Oriented Design and C++" (CppCon 2014)
    """

    name = "aos-layout"
    summary = "a loop over an array of records touches a small share of every record, wasting cache lines"
    severity = Severity.WARNING
    needs_layout = True
    options = {
        "min-record-size": Option(32, "smallest record size (bytes) worth reporting", int, 1),
        "max-used-fraction": Option(0.5, "report when a loop touches at most this share of a record",
                                    float, 0.0),
    }

    def check(self, view) -> Iterator[Finding]:
        min_size = self.option(view, "min-record-size")
        max_fraction = self.option(view, "max-used-fraction")
        line = view.analysis.target.line_size
        all_sweeps = [(loop, sweep) for loop in view.loops for sweep in _sweeps(view, loop)]
        all_sweeps += [(None, sweep) for sweep in _search_sweeps(view)]
        for loop, sweep in all_sweeps:
            if sweep.whole or not sweep.used:
                continue
            layout = sweep.element.layout()
            if layout is None or layout.size < min_size or layout.is_union:
                continue
            if laid_out_per_cache_line(layout, line):
                continue  # false-sharing's per-thread slot: a struct of arrays would pack them again
            if sweep.count is not None and sweep.count * layout.size <= _SMALL_ARRAY_LINES * line:
                continue
            used = bytes_covered(sweep.used)
            if used > max_fraction * layout.size:
                continue
            if sweep.chases or sweep.probes:
                if layout.size > line:  # a record within a line costs a line however it is split
                    yield self._indirect_finding(view, loop, sweep, layout, used, line)
                continue
            yield self._finding(view, loop, sweep, layout, used, line,
                                [(lp, sw) for lp, sw in all_sweeps if not (sw.chases or sw.probes)])

    def _indirect_finding(self, view, loop, sweep: Sweep, layout, used: int, line_size: int) -> Finding:
        """A loop over pointers to records, or a search probing records: the cost per element is a
        line fetched for a few bytes (plus a dependent load through the pointer), not a stride."""
        size, name = layout.size, layout.name
        hot = sorted(sweep.top_fields.items(), key=lambda kv: kv[1][0])
        hot_list = ", ".join(f"`{n}`" for n, _ in hot)
        hot_bytes = max(1, sum(n for _, (o, n) in hot))
        # each record on its own (an allocation of its own, or a probe far from the last), from a line start
        lines_hit = len(lines_touched([s for s in sweep.used if s[1] > 0], 0, line_size)) or 1
        wasted = _pct(1.0 - used / (lines_hit * line_size))
        own = "its" if len(hot) == 1 else "their"
        leaves = ", ".join(f"`{n}` (offset {o}, {b} bytes)" for (o, b), n in sorted(sweep.used.items()))
        notes = [f"bytes used per element: {leaves}"]
        lines = "a cache line" if lines_hit == 1 else f"{lines_hit} cache lines"
        if sweep.probes:
            head = f"`{name}` is {size} bytes; {sweep.label} reads {used} of them per probe ({_pct(used / size)})"
            head += " through a pointer" if sweep.chases else ""
            advice = "; search a key array"
            per_line = max(1, line_size // hot_bytes)
            shared = per_line.bit_length() - 1
            chase = (", after first loading the pointer to it from the array: two dependent misses per probe"
                     if sweep.chases else "")
            notes.append(
                f"each probe lands on a record far from the last, so it fetches {lines} for {used} useful bytes "
                f"({wasted} of what it fetches is wasted){chase}")
            notes.append(
                f"keep {hot_list} in an array of {own} own beside the records, in the same order, search it and use "
                f"the index found: {per_line} keys share a line, so the last {shared} probes of a search hit a line "
                f"already fetched, and the searched data is {size // hot_bytes}x smaller, so more of its upper "
                "levels stay cached" if shared else
                f"keep {hot_list} in an array of {own} own beside the records, in the same order, search it and use "
                f"the index found: the searched data is {size // hot_bytes}x smaller, so more of its upper levels "
                "stay cached")
        else:
            head = (f"`{name}` is {size} bytes; {sweep.label} reads {used} of them ({_pct(used / size)}) "
                    "through a pointer per element")
            advice = f"; store {hot_list} by value"
            notes.append(
                f"each element costs a pointer chase plus a mostly wasted line: the sequence holds pointers, so each "
                f"`{name}` is loaded from its own allocation only once its pointer is read (a dependent load the "
                f"prefetcher cannot run ahead of), and of what it fetches there ({lines}) for {used} bytes, {wasted} is "
                "wasted")
            notes.append(
                f"keep {hot_list} by value in a contiguous array beside the pointers, or the records themselves in a "
                f"`std::vector<{name}>` with the other fields split off: the loop would stream {hot_bytes} bytes "
                "per element with no pointer to follow")
        msg = head + advice if len(head + advice) <= _HEADLINE else head
        if sweep.at is not None:
            rng = sweep.at
        else:
            start = loop.node.range.start
            keyword = {"range-for": "for"}.get(loop.kind, loop.kind)
            rng = Range(start, Position(start.line, start.column + len(keyword)))
        notes.append(view.analysis.target.assumption)
        return Finding(rng, msg, severity=self.severity_for(view, sweep.anchor), notes=tuple(notes),
                       case=_evidence_case(view, loop, sweep, layout))

    def _finding(self, view, loop, sweep, layout, used, line_size, all_sweeps=()) -> Finding:
        size = layout.size
        verb = "reads" if not sweep.writes else "writes" if not sweep.reads else "touches"
        head = (f"`{layout.name}` is {size} bytes; this loop {sweep.label} {verb} {used} of them "
                f"({_pct(used / size)})")
        if size >= 2 * line_size:
            lines_hit, lines_total, useful = sweep_line_usage(size, sweep.used, line_size)
            if lines_hit < lines_total:
                cost = (f"the {size}-byte stride touches {lines_hit} of every {lines_total} cache lines "
                        f"and {_pct(1.0 - useful)} of each line fetched is wasted")
            else:
                cost = f"{_pct(1.0 - useful)} of every cache line fetched is wasted"
        else:
            cost = f"{_pct(1.0 - used / size)} of every cache line fetched is wasted"
        advice = ": keep the fields it uses in arrays of their own"
        msg = head + advice if len(head + advice) <= _HEADLINE else head
        leaves = ", ".join(f"`{name}` (offset {o}, {n} bytes)" for (o, n), name in sorted(sweep.used.items()))
        notes = [cost[0].upper() + cost[1:], f"bytes used per element: {leaves}"]
        hot = sorted(sweep.top_fields.items(), key=lambda kv: kv[1][0])
        hot_names = {n for n, _ in hot}
        cold = [f for f in layout.fields if f.name not in hot_names and not f.is_base]
        hot_bytes = sum(n for _, (o, n) in hot)
        if cold:
            names = ", ".join(f"`{f.name}`" for f in cold[:6]) + (", ..." if len(cold) > 6 else "")
            which = "the other field" if len(cold) == 1 else f"the other {len(cold)} fields"
            hot_list = ", ".join(f"`{n}`" for n, _ in hot)
            notes.append(
                f"keep {hot_list} in {'its' if len(hot) == 1 else 'their'} own array (struct of arrays), or move "
                f"{which} ({names}) into a separate record (hot/cold split): the loop would then stream "
                f"{hot_bytes} bytes per element instead of {size}")
        start = loop.node.range.start
        keyword = {"range-for": "for"}.get(loop.kind, loop.kind)
        rng = Range(start, Position(start.line, start.column + len(keyword)))
        decl = sweep.element.declaration
        record_node = (decl.definition if decl is not None else None) or decl
        fix, refusal = None, refuse_layout(sweep.element)
        if refusal is None:
            fix = migrate(view, loop, sweep, layout, record_node, all_sweeps)
        if fix is None and refusal is None:
            fix, refusal = soa_fix(view, loop, sweep, layout, record_node)
        notes.append(view.analysis.target.assumption)
        if fix is None and cold:
            notes.append("no struct-of-arrays rewrite is shown for this loop: " + (
                refusal or "it reaches elements through a pointer, a reference bound in its body, or a record "
                "hotlint cannot split"))
        return Finding(rng, msg, severity=self.severity_for(view, sweep.anchor), notes=tuple(notes), fix=fix,
                       case=_evidence_case(view, loop, sweep, layout))


# --------------------------------------------------------------------------- finding sweeps


def _text(view, node) -> str:
    """A node's text for a message and for the rewrite to name (the first line of a longer one)."""
    return view.source.snippet(node.range, multiline="first-line")


def _sweeps(view, loop) -> list[Sweep]:
    node = loop.node
    parts = loop.parts()
    body = parts["body"]
    if body is None:
        return []
    if node.kind == K.CXX_FOR_RANGE_STMT:
        var, rng = parts["variable"], parts["range"]
        if var is None or rng is None:
            return []
        sequence = strip(rng, only_child=True)
        elem, count = contiguous_element(sequence.type)
        pointee = pointee_record(elem)
        if pointee is not None and pointee_record(var.type) is not None and not is_written_in(body, var):
            sweep = Sweep(f"this loop over `{_text(view, rng)}`", pointee, count, body, chases=True)
            _collect(body, lambda n: refers_to(n, var), sweep, pointee, through_pointer=True)
            return [sweep]
        elem = program_record(elem)
        if elem is None or not var.type.is_reference:
            return []  # a by-value loop variable copies the whole record
        sweep = Sweep(f"over `{_text(view, rng)}`", elem, count, body)
        if sequence.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
            sweep.container = _text(view, rng)
            sweep.container_decl = sequence.referenced
        _collect(body, lambda n: refers_to(n, var), sweep, elem)
        return [sweep]
    midpoint = bisection_midpoint(loop) if node.kind in (K.WHILE_STMT, K.DO_STMT, K.FOR_STMT) else None
    if midpoint is not None:
        return _indexed_sweeps(view, body, midpoint, probes="binary search")
    if node.kind != K.FOR_STMT:
        return []
    induction = unit_step_variable(parts["increment"])
    if induction is None or is_written_in(body, induction):
        return []
    if induction.type.is_pointer:
        elem = program_record(induction.type.pointee)
        if elem is None:
            return []
        sweep = Sweep(f"stepping `{induction.spelling}`", elem, None, body)
        _collect(body, lambda n: refers_to(n, induction), sweep, elem, through_pointer=True)
        return [sweep]
    return _indexed_sweeps(view, body, induction)


def _indexed_sweeps(view, body, induction, probes: Optional[str] = None) -> list[Sweep]:
    """The sequences ``body`` subscripts with ``induction``: a counted loop's sweeps, or (``probes``)
    the records a binary search probes at its midpoint."""
    sweeps: dict[str, Sweep] = {}
    for n in body.walk():
        subscripted = indexed_sequence(n, induction)
        container = subscripted or indexed_address(n, induction)
        if container is None:
            continue
        t = container.type
        elem, count = (t.pointee, None) if t.is_pointer else contiguous_element(t)
        chases = False
        if program_record(elem) is None:
            chases = subscripted is not None  # `ps[i]->x`: the sequence holds pointers to the records
            elem = pointee_record(elem) if chases else None
        else:
            elem = program_record(elem)
        if elem is None:
            continue
        label = _text(view, container)
        if label not in sweeps:
            subject = f"this {probes} over `{label}`" if probes else f"this loop over `{label}`" if chases \
                else f"over `{label}`"
            sweep = sweeps[label] = Sweep(subject, elem, count, n, chases=chases, probes=probes)
            aliases = _element_aliases(view, body, induction, label)
            if not (t.is_pointer or chases or probes):
                sweep.container = label
                sweep.container_decl = container.referenced
                sweep.index_name = induction.spelling
            sweep.aliases = bool(aliases)
            _collect(body,
                     lambda m, lbl=label, al=aliases: _indexes(view, m, induction, lbl) or (
                         m.kind == K.DECL_REF_EXPR and m.referenced in al),
                     sweep, elem, through_pointer=chases, aliases=aliases)
    return list(sweeps.values())


def _search_sweeps(view) -> list[Sweep]:
    """Standard binary searches (`std::lower_bound(b, e, key, [](const T& r, K k) { ... })`) whose
    comparator lambda reads fields of the records searched: the fields it reads are what each probe
    uses of a record."""
    out = []
    for site in view.calls:
        if site.name not in _SEARCHES or not site.arguments:
            continue
        lam = strip(site.arguments[-1])
        if lam is None or lam.kind != K.LAMBDA_EXPR or site.qualified_name not in (
                f"std::{site.name}", f"std::ranges::{site.name}"):
            continue
        params = [c for c in lam.children if c.kind == K.PARM_DECL]
        body = next((c for c in lam.children if c.kind == K.COMPOUND_STMT), None)
        by_value = [p for p in params if program_record(p.type.non_reference()) is not None]
        chased = [p for p in params if pointee_record(p.type) is not None]
        records = by_value or chased
        if body is None or not records or any(not p.type.is_reference for p in by_value):
            continue  # a record taken by value is copied whole
        elem = program_record(records[0].type.non_reference()) if by_value else pointee_record(records[0].type)
        if any((program_record(p.type.non_reference()) if by_value else pointee_record(p.type)).spelling
               != elem.spelling for p in records):
            continue
        callee = strip(site.node.children[0]) if site.node.children else site.node
        sweep = Sweep(f"`std::{site.name}`", elem, None, site.node, chases=not by_value,
                      probes=f"`std::{site.name}`", at=callee.range)
        _collect(body, lambda n, ps=records: any(refers_to(n, p) for p in ps), sweep, elem,
                 through_pointer=not by_value)
        sweep.anchor = site.node
        out.append(sweep)
    return out


def _element_aliases(view, body, induction, label) -> dict:
    """Locals standing for the element in the body (`auto& e = es[i];`, `T* p = &es[i];`):
    declaration -> whether it is a pointer to the element."""
    out = {}
    for n in body.walk():
        alias = element_alias(n, induction, body) if n.kind == K.VAR_DECL else None
        if alias is not None and _text(view, alias[0]) == label:
            out[n] = alias[1]
    return out


def _indexes(view, n, induction, label) -> bool:
    container = indexed_sequence(n, induction)
    if container is None and n.kind == K.DECL_REF_EXPR:
        container = indexed_address(outermost_wrapper(n).parent or n, induction)
    return container is not None and _text(view, container) == label


def _collect(body, is_element, sweep: Sweep, elem, through_pointer: bool = False,
             aliases: Optional[dict] = None) -> None:
    """Add up the bytes of each element the body touches; mark whole-element uses."""
    aliases = aliases or {}
    first = None
    for n in body.walk():
        if not is_element(n):
            continue
        parent = outermost_wrapper(n).parent
        if _binds_alias(parent, aliases):
            continue  # binding `auto& e = es[i]`, `T* p = &es[i]`: the uses of `e`, `p` are counted instead
        if first is None:
            first = n
        pointer = through_pointer or aliases.get(n.referenced if n.kind == K.DECL_REF_EXPR else None, False)
        path = member_path(n, through_pointer=pointer)
        if path is NOT_A_USE:
            continue
        if path is None:
            sweep.whole = True
            return
        members, top = path
        placed = member_offset(elem, members)
        if placed is None:
            sweep.whole = True
            return
        offset, size, top_name, top_offset, top_size = placed
        field_path = ".".join(m.spelling for m in members)
        sweep.used[(offset, size)] = field_path
        sweep.top_fields[top_name] = (top_offset, top_size)
        if not pointer and parent is not None and parent.kind == K.MEMBER_REF_EXPR:
            sweep.sites.append((parent.range, top_name))
            sweep.site_nodes.append(parent)
        access = lvalue_use(top)
        if access == ESCAPES:
            sweep.unfollowed = sweep.unfollowed or (
                f"it takes the address of `{field_path}` or binds a reference to it, which could outlive "
                "the loop or write where hotlint cannot see")
        if access & WRITE:
            sweep.writes = True
            sweep.written.add(top_name)
        if access & READ:
            sweep.reads = True
    if first is not None:
        sweep.anchor = first


def _binds_alias(parent, aliases) -> bool:
    """``parent`` (above an element or `&element`, `a + i`) is the declaration of an alias."""
    for _ in range(2):
        if parent is None:
            return False
        if parent in aliases:
            return True
        if parent.kind not in (K.UNARY_OPERATOR, K.BINARY_OPERATOR):
            return False
        parent = outermost_wrapper(parent).parent
    return False


def _evidence_case(view, loop, sweep, layout) -> Optional[str]:
    """The bench sub-case whose figure applies (bench_fixtures/aos-layout/<case>/): ``fits-in-cache``
    when the swept array is known to fit in L1 (the hot-path model's ``fits`` region for the loop, or
    a known element count); None: the main pair, an array in RAM."""
    if sweep.count is not None and sweep.count * layout.size <= L1_BYTES:
        return "fits-in-cache"
    if loop is not None and any(r.strength == "fits" and r.range == loop.node.range
                                for r in view.analysis.hotness.regions):
        return "fits-in-cache"
    return None


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"
