"""aos-layout: loops over arrays of records that use a small share of each record."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, Optional

from hotlint.model import Position, Range, Severity
from hotlint.rule import Finding, Option, Rule

from .rewrite import migrate, refuse_layout
from .rewrite import rewrite as soa_rewrite

_CONTIGUOUS = frozenset({"std::vector", "std::array", "std::span", "std::inplace_vector"})
_CASTS = frozenset({"UNEXPOSED_EXPR", "PAREN_EXPR"})
_WRITES = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="})
# A fixed-size array this small stays in L1 whatever its layout.
_SMALL_ARRAY_LINES = 4
_NOT_A_USE = object()


@dataclass
class _Sweep:
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
    element in the body (`auto& e = es[i];`) is followed. Loops that pass the element itself
    to a function, call a member function on it, copy it or take its address are not
    reported: the callee may read every field. Sequences of
    pointers are a different problem and are skipped, as are fixed-size arrays small enough
    to stay in L1 (four cache lines or less) and loop variables taken by value. A record laid
    out for the cache on purpose — aligned to the cache line or more (`alignas` on the record
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

    The cache-line size comes from the global `cache-line-size` setting (default 64).

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
        line = view.settings.cache_line_size
        all_sweeps = [(loop, sweep) for loop in view.loops for sweep in _sweeps(view, loop)]
        for loop, sweep in all_sweeps:
            if sweep.whole or not sweep.used:
                continue
            layout = sweep.element.layout()
            if layout is None or layout.size < min_size or layout.is_union:
                continue
            if _laid_out_per_cache_line(layout, line):
                continue
            if sweep.count is not None and sweep.count * layout.size <= _SMALL_ARRAY_LINES * line:
                continue
            used = _union_bytes(sweep.used)
            if used > max_fraction * layout.size:
                continue
            yield self._finding(view, loop, sweep, layout, used, line, all_sweeps)

    def _finding(self, view, loop, sweep, layout, used, line_size, all_sweeps=()) -> Finding:
        size = layout.size
        verb = "reads" if not sweep.writes else "writes" if not sweep.reads else "touches"
        head = (f"`{layout.name}` is {size} bytes; this loop {sweep.label} {verb} {used} of them "
                f"({_pct(used / size)})")
        if size >= 2 * line_size:
            lines_hit, lines_total, useful = _line_usage(size, sweep.used, line_size)
            if lines_hit < lines_total:
                msg = (f"{head}: the {size}-byte stride touches {lines_hit} of every {lines_total} cache lines "
                       f"and {_pct(1.0 - useful)} of each line fetched is wasted")
            else:
                msg = f"{head}: {_pct(1.0 - useful)} of every cache line fetched is wasted"
        else:
            msg = f"{head}: {_pct(1.0 - used / size)} of every cache line fetched is wasted"
        leaves = ", ".join(f"`{name}` (offset {o}, {n} bytes)" for (o, n), name in sorted(sweep.used.items()))
        notes = [f"bytes used per element: {leaves}"]
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
        definition = decl.definition if decl is not None else None
        fix, refusal = None, refuse_layout(sweep.element)
        if refusal is None:
            fix = migrate(view, loop, sweep, layout, definition or decl, all_sweeps)
        if fix is None and refusal is None:
            fix, refusal = soa_rewrite(view, loop, sweep, layout, definition or decl, sweep.container)
        if fix is None and cold:
            notes.append("no struct-of-arrays rewrite is shown for this loop: " + (
                refusal or "it reaches elements through a pointer, a reference bound in its body, or a record "
                "hotlint cannot split"))
        return Finding(rng, msg, severity=self.severity_for(view, sweep.anchor), notes=tuple(notes), fix=fix)


# --------------------------------------------------------------------------- finding sweeps


def _strip(n):
    while n.kind in _CASTS and len(n.children) == 1:
        n = n.children[0]
    return n


def _outer(n):
    while n.parent is not None and n.parent.kind in _CASTS:
        n = n.parent
    return n


def _contiguous_element(t) -> tuple[Optional[object], Optional[int]]:
    """(element type, count or None) of an array, std::vector, std::array or std::span."""
    t = t.non_reference() if t.is_reference else t
    if t.is_array:
        return t.element, t.array_size
    if t.is_record and t.record_name in _CONTIGUOUS:
        args = t.template_arguments
        if not args:
            return None, None
        elem = args[0]
        count = None
        if t.record_name == "std::array" and elem.size and t.size is not None:
            count = t.size // elem.size
        return elem, count
    return None, None


def _element_record(t):
    if t is None or t.is_pointer or not t.is_record or t.is_dependent or t.size is None:
        return None
    decl = t.declaration
    if decl is None or decl.is_in_system_header:
        return None
    return t


def _sweeps(view, loop) -> list[_Sweep]:
    node = loop.node
    parts = loop.parts()
    body = parts["body"]
    if body is None:
        return []
    out = []
    if node.kind == "CXX_FOR_RANGE_STMT":
        var, rng = parts["variable"], parts["range"]
        if var is None or rng is None or not var.type.is_reference:
            return []  # a by-value loop variable copies the whole record
        elem, count = _contiguous_element(_strip(rng).type)
        elem = _element_record(elem)
        if elem is None:
            return []
        sweep = _Sweep(f"over `{_text(view, rng)}`", elem, count, body)
        if _strip(rng).kind in ("DECL_REF_EXPR", "MEMBER_REF_EXPR"):
            sweep.container = _text(view, rng)
            sweep.container_decl = _strip(rng).referenced
        _collect(view, body, lambda n: _is_ref_to(n, var), sweep, elem)
        return [sweep]
    if node.kind != "FOR_STMT":
        return []
    induction = _induction_variable(parts["increment"])
    if induction is None or _modified_in(body, induction):
        return []
    if induction.type.is_pointer:
        elem = _element_record(induction.type.pointee)
        if elem is None:
            return []
        sweep = _Sweep(f"stepping `{induction.spelling}`", elem, None, body)
        _collect(view, body, lambda n: _is_ref_to(n, induction), sweep, elem, through_pointer=True)
        return [sweep]
    sweeps: dict[str, _Sweep] = {}
    for n in body.walk():
        container = _indexed_container(n, induction)
        if container is None:
            continue
        elem, count = _contiguous_element(_strip(container).type) if not _strip(container).type.is_pointer \
            else (_strip(container).type.pointee, None)
        elem = _element_record(elem)
        if elem is None:
            continue
        label = _text(view, container)
        if label not in sweeps:
            sweeps[label] = _Sweep(f"over `{label}`", elem, count, n)
            aliases = _element_aliases(view, body, induction, label)
            if not _strip(container).type.is_pointer:
                sweeps[label].container = label
                sweeps[label].container_decl = _strip(container).referenced
                sweeps[label].index_name = induction.spelling
            sweeps[label].aliases = bool(aliases)
            _collect(view, body,
                     lambda m, lbl=label, al=aliases: _indexes(view, m, induction, lbl) or (
                         m.kind == "DECL_REF_EXPR" and m.referenced in al),
                     sweeps[label], elem, aliases=aliases)
    out.extend(sweeps.values())
    return out


def _induction_variable(inc):
    """`i` of `++i`, `i++`, `i += 1`: the loop steps one element at a time."""
    if inc is None:
        return None
    inc = _strip(inc)
    target = None
    if inc.kind == "UNARY_OPERATOR" and inc.operator in ("++", "post++") and inc.children:
        target = _strip(inc.children[0])
    elif inc.kind == "COMPOUND_ASSIGNMENT_OPERATOR" and inc.operator == "+=" and len(inc.children) == 2:
        step = _strip(inc.children[1])
        if step.kind == "INTEGER_LITERAL" and step.tokens == ["1"]:
            target = _strip(inc.children[0])
    if target is None or target.kind != "DECL_REF_EXPR":
        return None
    return target.referenced


def _modified_in(body, var) -> bool:
    for n in body.walk():
        target = None
        if n.kind in ("BINARY_OPERATOR", "COMPOUND_ASSIGNMENT_OPERATOR") and n.operator in _WRITES:
            target = n.children[0] if n.children else None
        elif n.kind == "UNARY_OPERATOR" and n.operator in ("++", "--", "post++", "post--"):
            target = n.children[0] if n.children else None
        if target is not None:
            target = _strip(target)
            if target.kind == "DECL_REF_EXPR" and target.referenced == var:
                return True
    return False


def _is_ref_to(n, var) -> bool:
    return n.kind == "DECL_REF_EXPR" and n.referenced == var


def _indexed_container(n, induction):
    """The container of `c[i]` (built-in subscript or operator[] of a contiguous type)."""
    if n.kind == "ARRAY_SUBSCRIPT_EXPR" and len(n.children) == 2:
        base, index = n.children
    elif n.kind == "CALL_EXPR" and n.spelling == "operator[]":
        args = [c for c in n.children if c.kind not in ("UNEXPOSED_EXPR",) or _strip(c).kind != "DECL_REF_EXPR"
                or _strip(c).spelling != "operator[]"]
        if len(args) != 2:
            return None
        base, index = args
        t = _strip(base).type
        if not (t.is_record and t.record_name in _CONTIGUOUS):
            return None
    else:
        return None
    idx = _strip(index)
    if idx.kind != "DECL_REF_EXPR" or idx.referenced != induction:
        return None
    b = _strip(base)
    if b.kind not in ("DECL_REF_EXPR", "MEMBER_REF_EXPR"):
        return None
    return b


def _element_aliases(view, body, induction, label) -> set:
    """References bound to the element in the body: `auto& e = es[i];`."""
    out = set()
    for n in body.walk():
        if n.kind != "VAR_DECL" or not n.type.is_reference:
            continue
        init = [c for c in n.children if c.is_expression]
        if init and _indexes(view, _strip(init[-1]), induction, label):
            out.add(n)
    return out


def _indexes(view, n, induction, label) -> bool:
    container = _indexed_container(n, induction)
    return container is not None and _text(view, container) == label


def _collect(view, body, is_element, sweep: _Sweep, elem, through_pointer: bool = False,
             aliases: frozenset = frozenset()) -> None:
    """Add up the bytes of each element the body touches; mark whole-element uses."""
    first = None
    for n in body.walk():
        if not is_element(n):
            continue
        parent = _outer(n).parent
        if parent is not None and parent in aliases:
            continue  # binding `auto& e = es[i]`: the uses of `e` are counted instead
        if first is None:
            first = n
        path = _member_path(n, through_pointer)
        if path is _NOT_A_USE:
            continue
        if path is None:
            sweep.whole = True
            return
        members, top = path
        placed = _place(elem, members)
        if placed is None:
            sweep.whole = True
            return
        offset, size, top_name, top_offset, top_size = placed
        field_path = ".".join(m.spelling for m in members)
        sweep.used[(offset, size)] = field_path
        sweep.top_fields[top_name] = (top_offset, top_size)
        if not through_pointer:
            first_member = _outer(n).parent
            if first_member is not None and first_member.kind == "MEMBER_REF_EXPR":
                sweep.sites.append((first_member.range, top_name))
                sweep.site_nodes.append(first_member)
        access = _access(top)
        if access == _ESCAPES:
            sweep.unfollowed = sweep.unfollowed or (
                f"it takes the address of `{field_path}` or binds a reference to it, which could outlive "
                "the loop or write where hotlint cannot see")
        if access & _WRITE:
            sweep.writes = True
            sweep.written.add(top_name)
        if access & _READ:
            sweep.reads = True
    if first is not None:
        sweep.anchor = first


def _member_path(n, through_pointer: bool):
    """The chain of fields read from element expression ``n`` (`e.pos.x` -> [pos, x]), or None
    when the element or a member is used as a whole object the rule cannot follow."""
    cur = n
    if through_pointer:
        parent = _outer(cur).parent
        if parent is None:
            return None
        if parent.kind == "UNARY_OPERATOR" and parent.operator == "*":
            cur = parent
        elif parent.kind in ("BINARY_OPERATOR",) and parent.operator in ("!=", "==", "<", "<=", ">", ">="):
            return _NOT_A_USE  # comparing the pointer reads no record
        elif parent.kind != "MEMBER_REF_EXPR":
            return None
    members = []
    while True:
        parent = _outer(cur).parent
        if parent is None or parent.kind != "MEMBER_REF_EXPR" or not parent.children:
            break
        if _strip(parent.children[0]) is not cur and parent.children[0] is not _outer(cur):
            break
        field_decl = parent.referenced
        if field_decl is None or field_decl.kind != "FIELD_DECL":
            if members and field_decl is not None and field_decl.kind == "CXX_METHOD":
                break  # `e.name.size()`: the method sees the member, not the rest of the element
            return None  # a member function of the element: it may read every field
        members.append(field_decl)
        cur = parent
        if not cur.type.is_record:
            break
    if not members:
        return None
    return members, cur


# How a loop uses a member: bits of what it does to the member's bytes.
_READ, _WRITE = 1, 2
_ESCAPES = 4 | _READ | _WRITE  # a pointer or reference that may be kept: anything can happen


def _access(leaf) -> int:
    """What the expression using member ``leaf`` (the last member of `e.pos.x`) does to it.

    Clang wraps a member that is only read in an implicit cast: lvalue-to-rvalue for a scalar,
    a no-op cast to `const T` when a record binds to a const reference (a copy constructor, a
    const method, a `const T&` parameter). No cast means the lvalue itself is used: assigned,
    incremented, bound to a non-const reference or the object of a non-const method, all of
    which may change it; an address or a reference variable may outlive the loop. A member of
    a const element is already `const T` and needs no cast to be read."""
    cur = leaf
    readonly = leaf.type.is_const and not leaf.type.is_array
    while True:
        parent = cur.parent
        if parent is None:
            return _ESCAPES
        kind = parent.kind
        if kind == "PAREN_EXPR":
            cur = parent
            continue
        if kind == "UNEXPOSED_EXPR":  # an implicit cast
            if cur.type.is_array:
                grand = parent.parent
                if grand is not None and grand.kind == "ARRAY_SUBSCRIPT_EXPR" and grand.children \
                        and grand.children[0] is parent:
                    cur = grand  # `e.hist[k]`: what is done to the element is done to the member
                    continue
                return _ESCAPES  # a pointer to the array's first element
            if cur.type.is_record:
                return _READ if parent.type.is_const else _READ | _WRITE
            return _READ
        if kind == "CONDITIONAL_OPERATOR" and parent.children and parent.children[0] is not cur:
            cur = parent  # `c ? e.a : e.b` is an lvalue: what is done to it is done to the member
            continue
        if kind == "BINARY_OPERATOR":
            if parent.operator == "=" and parent.children and parent.children[0] is cur:
                return _WRITE
            return _READ
        if kind == "COMPOUND_ASSIGNMENT_OPERATOR":
            return _READ | _WRITE if parent.children and parent.children[0] is cur else _READ
        if kind == "UNARY_OPERATOR":
            if parent.operator in ("++", "--", "post++", "post--"):
                return _READ | _WRITE
            return _ESCAPES if parent.operator == "&" else _READ
        if kind in ("CALL_EXPR", "MEMBER_REF_EXPR"):
            # bound to a reference parameter, or the object of a method: non-const ones may write
            return _READ if readonly else _READ | _WRITE
        if kind == "VAR_DECL" and readonly:
            return _READ  # a const reference in the body, as with the no-op cast above
        if kind == "INIT_LIST_EXPR" and not any(t.is_reference for t in parent.type.field_types().values()):
            return _READ  # libclang shows an initializer list's syntactic form, without the casts
        return _ESCAPES  # a non-const reference variable, a returned reference, sizeof, ...


def _laid_out_per_cache_line(layout, line: int) -> bool:
    """A record laid out for coherence, not streaming: aligned to the cache line (alignas on the
    record or a member, or inherited from one), or padded with deliberate padding members.
    That is false-sharing's fix; a struct of arrays would pack the slots together again."""
    aligns = [layout.explicit_align] + [f.explicit_align for f in layout.fields]
    if any(a is not None and (a < 0 or a >= line) for a in aligns) or layout.align >= line:
        return True
    return any(f.is_padding_array for f in layout.fields)


def _place(elem, members):
    """(offset, size, top field name, top offset, top size) of a member chain in ``elem``."""
    if not members:
        return None
    record = elem
    offset = 0
    top = None
    size = 0
    for i, m in enumerate(members):
        layout = record.layout() if record is not None else None
        if layout is None:
            return None
        f = next((f for f in layout.fields if f.name == m.spelling and not f.is_base), None)
        if f is None:
            return None  # inherited or anonymous: not worth guessing
        offset += f.offset
        size = f.size
        if i == 0:
            top = (f.name, f.offset, f.size)
        record = m.type
    return offset, size, top[0], top[1], top[2]


# --------------------------------------------------------------------------- arithmetic


def _union_bytes(used: dict) -> int:
    total, end = 0, -1
    for start, size in sorted(used):
        stop = start + size
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _line_usage(size: int, used: dict, line: int) -> tuple[int, int, float]:
    """Lines touched and lines spanned per repeating period of a sequential sweep, and the
    share of the fetched bytes that are used (records assumed to start on a line boundary)."""
    period = size * line // math.gcd(size, line)
    records = period // size
    lines = period // line
    touched_lines = set()
    useful = 0
    spans = sorted(used)
    for k in range(records):
        base = k * size
        for start, length in spans:
            if length <= 0:
                continue
            first = (base + start) // line
            last = (base + start + length - 1) // line
            touched_lines.update(range(first, last + 1))
    useful = _union_bytes(used) * records
    fetched = len(touched_lines) * line
    return len(touched_lines), lines, (useful / fetched if fetched else 1.0)


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _text(view, node) -> str:
    r = node.range
    line = view.line_text(r.start.line).encode()
    end = r.end.column if r.end.line == r.start.line else len(line) + 1
    return line[r.start.column - 1:end - 1].decode(errors="replace")

