"""false-sharing: independently written atomics that share one cache line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from hotlint.model import Applicability, Edit, FieldLayout, Position, Range, Severity
from hotlint.rule import Finding, Option, Rule, fix

from ._padding_waste_layout import (
    OWNED_ATOMICS,
    asserted,
    atomic_members,
    display_name,
    enclosing_records,
    is_source_file,
    layout_dependent_lines,
    owns_atomic,
    same_file,
)

# Operations that only read an atomic; everything else the view reports writes it.
_READS = frozenset({"load", "test", "wait"})
_THREAD_TYPES = frozenset({"std::thread", "std::jthread"})
_SPAWN_SPELLINGS = frozenset({"thread", "jthread", "emplace_back", "async"})
# Functions whose result names the calling thread or core: an index built from one
# is per thread by construction.
_THREAD_ID_FUNCTIONS = frozenset({"omp_get_thread_num", "sched_getcpu"})
_SEQUENCES = frozenset({"std::array", "std::vector", "std::span", "std::unique_ptr"})
_WRAPPERS = frozenset({"UNEXPOSED_EXPR", "PAREN_EXPR"})


class FalseSharing(Rule):
    """Independently written atomics that share one cache line.

    ## What it does
    Checks the real layout of every record defined in the file (class templates as
    instantiated by the file included) and reports two or more atomic members
    (`std::atomic`, `std::atomic_flag`, C `_Atomic`, or small records holding one)
    that fall into the same cache line of the configured size (`cache-line-size`,
    64 bytes by default), unless this file shows exactly the same functions writing
    them all (fields updated together, such as a count and a sum, want one line).
    When the record is not line-aligned, members on neighbouring lines are also
    reported if they share a line at half or more of the placements the record's
    alignment allows. It also reports an array of atomics, or of small records
    holding an atomic (`T[N]`, `std::array`, `std::vector`, a pointer), when each
    thread repeatedly writes its own element and several elements fit in one line.

    Per-thread indexing needs evidence in the file: the element is written in a loop
    inside a thread body (a lambda or a function passed to `std::thread`,
    `std::jthread`, `emplace_back` on a container of threads, or `std::async`), and
    its index is that body's parameter fed from the spawning loop's variable (or
    from distinct constants at separate spawns), a variable the lambda captures from
    the spawning loop, or `omp_get_thread_num()` / `sched_getcpu()`. An element
    reference taken that way (`Slot& s = slots[id];`, `std::ref(slots[t])`) counts
    too, as does a range-for's element reference (`for (auto& s : slots)`) that a
    spawned lambda captures or the spawn passes with `std::ref`. An array updated by
    one thread, or by every thread at every index, is not false sharing and is not
    reported.

    ## Why is this bad?
    Caches keep coherence per line, not per variable. A core must own a line
    exclusively to write any byte of it, so when two cores write two different
    atomics in one line the line moves back and forth between their caches on
    every write (a coherence miss each time, tens to hundreds of cycles), although
    no data is shared. Counters that should scale with cores instead serialize.
    `hotlint bench false-sharing` runs the pair (two threads each incrementing its
    own counter, packed in one line vs one line each) and prints the measured
    slow/fast ratio on your machine.

    ## Example
    ```cpp
    struct QueueIndices {
      std::atomic<std::uint64_t> enqueue_pos{0};  // written by producers
      std::atomic<std::uint64_t> dequeue_pos{0};  // written by consumers
    };

    std::atomic<long> counts[8];
    void worker(int id) {
      for (int i = 0; i < 1000000; ++i) counts[id].fetch_add(1, std::memory_order_relaxed);
    }
    // for (int t = 0; t < 8; ++t) threads.emplace_back(worker, t);
    ```

    ## Use instead
    ```cpp
    struct QueueIndices {
      std::atomic<std::uint64_t> enqueue_pos{0};
      alignas(64) std::atomic<std::uint64_t> dequeue_pos{0};
    };

    struct alignas(64) PaddedCounter { std::atomic<long> value{0}; };
    PaddedCounter counts[8];
    ```

    ## Fix safety
    For a record, the fix puts `alignas(N)` (N = the configured line size) on every
    falsely shared member after the first (members written by the same functions
    stay together), so each starts its own line. That grows the record and raises
    its alignment, which changes nothing a conforming program can observe unless it
    depends on the layout. The fix is therefore **safe** only
    when the record is defined in a source file (not a header shared with other
    translation units, where it is ABI), is not a class template (one edit changes
    every instantiation), is not packed, and no line of the file names the record
    next to `sizeof`, `alignof`, `offsetof`, `static_assert`, a cast, `memcpy`-like
    calls, `mmap` or a `union` (nor any record of the file that holds it as a member
    or base, whose layout changes with it); otherwise it is **unsafe**. When a
    `static_assert` pins the size of the record or of one that holds it, the edit
    alone would not build: it is shown (display-only), never applied.

    For a per-thread array whose element is a record defined in the file, the fix
    writes `struct alignas(N) Slot` (none when a `static_assert` pins its size):
    always **unsafe**, because every element grows
    to a full line (memory per element multiplies) and `sizeof(Slot)` changes for
    every user of the type. For an array of bare atomics (`std::atomic<T> a[N]`,
    `std::array<std::atomic<T>, N>`, `std::vector<std::atomic<T>>`) the fix wraps the
    element type in `CacheLinePadded<...>`, a line-aligned subclass that inherits every
    member of the atomic, so `a[i].fetch_add(...)` and the other uses stay as written:
    also **unsafe**, for the same growth of every element (none in C).

    The other rules leave the result alone: a record aligned to the cache line or holding
    padding members is never an `aos-layout` candidate (a struct of arrays would pack the
    slots onto shared lines again) and never a `padding-waste` reorder.

    `std::hardware_destructive_interference_size` (`<new>`) names the same
    constant, but its value may change between compiler versions and `-mtune`
    flags (GCC warns with `-Winterference-size`), so the fix writes the configured
    number instead.

    ## Options
    - `ignore-read-only` (bool, default `true`): an atomic member that this file
      references only through loads (a flag set elsewhere, a configuration value)
      does not count toward a shared line. Members the file never references count,
      so a header's records are judged by their layout alone. Set it to `false` to
      count every atomic member.

    ## References
    - Intel, *Avoiding and Identifying False Sharing Among Threads*
    - Drepper, *What Every Programmer Should Know About Memory* (multi-thread optimizations)
    - C++17 [hardware.interference], P0154R1
    - Linux kernel, `____cacheline_aligned_in_smp`
    """

    name = "false-sharing"
    summary = "independently written atomics (or per-thread array elements) that share one cache line"
    severity = Severity.WARNING
    needs_layout = True
    bench_note = (  # said with its measured ratio wherever hotlint cites it
        "needs two cores free at once: with another process on a core the threads take turns and "
        "the ratio falls towards 1x; cachegrind runs threads one at a time and does not model the "
        "line bouncing, so its counts match"
    )
    options = {
        "ignore-read-only": Option(
            True, "atomic members this file only loads do not count toward a shared line", bool
        ),
    }

    def check(self, view) -> Iterator[Finding]:
        line = view.settings.cache_line_size
        yield from self._records(view, line)
        yield from self._per_thread_arrays(view, line)

    # ------------------------------------------------------------------ records

    def _records(self, view, line: int) -> Iterator[Finding]:
        ignore_read_only = self.option(view, "ignore-read-only")
        read_only: Optional[set] = None
        writers: Optional[dict] = None
        reported: set = set()
        for rec in view.records:
            layout = rec.layout
            if layout.is_union or rec.node is None or not same_file(rec.node.file, view.path):
                continue
            members = atomic_members(rec)
            if len(members) >= 2 and ignore_read_only:
                if read_only is None:
                    read_only = _read_only_fields(view)
                members = [(m, spans) for m, spans in members if (m.range, m.name) not in read_only]
            if len(members) < 2:
                continue
            if writers is None:
                writers = _writers(view)

            def kind(m, writers=writers):
                return writers.get((m.range, m.name)) or id(m)  # unknown writers: a kind of its own

            shared = _sharing(members, layout.align, line, kind)
            if shared is None:
                continue
            groups, maybe = shared
            involved = sorted(_involved(groups, maybe), key=lambda m: m.offset)
            # each member after the first that starts a new writer gets its own line
            to_align = [m for prev, m in zip(involved, involved[1:]) if kind(m) != kind(prev)]
            anchor = to_align[0]
            key = (anchor.range, anchor.name)
            if key in reported:
                continue  # another instantiation of the same template pattern
            reported.add(key)
            yield Finding(
                anchor.range,
                _record_message(layout, groups, maybe, line, rec.type.field_types()),
                severity=self.severity_for(view, rec.node),
                fix=self._record_fix(view, rec, to_align, line),
                notes=_record_notes(view, rec, line) + tuple(
                    f"`{prev.name}` and `{m.name}` are written by the same functions, so they stay together"
                    for prev, m in zip(involved, involved[1:]) if kind(m) == kind(prev)),
            )

    def _record_fix(self, view, rec, members: list[FieldLayout], line: int):
        layout = rec.layout
        if layout.packed:
            return None
        spelled = "_Alignas" if view.language == "c" else "alignas"
        edits, starts = [], set()
        for m in members:
            if not _starts_declaration(view, m) or m.name not in _text(view, m.range):
                return None  # a declaration made by a macro
            if m.range.start in starts:
                continue  # `std::atomic<int> a, b;`: one specifier aligns both
            starts.add(m.range.start)
            edits.append(Edit(Range(m.range.start, m.range.start), f"{spelled}({line}) "))
        names = ", ".join(f"`{m.name}`" for m in members)
        template = layout.is_template_instantiation or rec.node.kind == "CLASS_TEMPLATE"
        # the record's size also changes every record that holds it, so their layouts count too
        affected = [layout, *enclosing_records(view, layout)]
        safe = (not template and is_source_file(view.path)
                and not any(layout_dependent_lines(view, r) for r in affected))
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        description = (f"align {names} to {'its' if len(members) == 1 else 'their'} own {line}-byte cache "
                       f"line{'' if len(members) == 1 else 's'} with `{spelled}({line})`")
        asserting = next((r for r in affected if asserted(view, r)), None)
        if asserting is not None:
            applicability = Applicability.DISPLAY_ONLY  # applied alone it fails that assertion
            description += f"; update the static_assert on `{display_name(asserting)}` with it"
        return fix(description, edits, applicability)

    # ------------------------------------------------------- per-thread arrays

    def _per_thread_arrays(self, view, line: int) -> Iterator[Finding]:
        writes = [op for op in view.atomic_ops
                  if op.operation not in _READS and op.loop is not None and op.function is not None]
        if not writes:
            return
        threads = _ThreadBodies(view)
        reported: set = set()
        for op in writes:
            access = threads.per_thread_element(op)
            if access is None:
                continue
            where, body = access
            array = _array_of(where.sequence)
            if array is None:
                continue
            decl, element, count = array
            size, align = element.size, element.align
            if size is None or align is None or size >= line or align >= line or not owns_atomic(element):
                continue
            key = (decl.range, decl.spelling) if decl is not None else where.sequence.range
            if key in reported:
                continue
            reported.add(key)
            in_file = decl is not None and same_file(decl.file, view.path)
            at = decl.name_range if in_file else where.sequence.range
            name = decl.spelling if decl is not None else _text(view, where.sequence.range)
            yield Finding(
                at,
                _array_message(name, element, count, where, line),
                severity=self.severity_for(view, op.node),
                fix=_element_fix(view, element, line) or (_atomic_array_fix(view, decl, line) if in_file else None),
                notes=_array_notes(view, element, body, line),
            )


# --------------------------------------------------------------------- records


def _involved(groups, maybe) -> list[FieldLayout]:
    seen: dict[int, FieldLayout] = {}
    for _k, g in groups:
        for m in g:
            seen[id(m)] = m
    for a, b, _n, _of in maybe:
        seen[id(a)] = a
        seen[id(b)] = b
    return list(seen.values())


def _lines_of(spans: list[tuple[int, int]], phase: int, line: int) -> set[int]:
    out: set[int] = set()
    for offset, size in spans:
        start = phase + offset
        out.update(range(start // line, (start + max(size, 1) - 1) // line + 1))
    return out


def _sharing(members, align: int, line: int, kind):
    """Members whose atomics share a line when the object starts a line (grouped by
    line), and pairs that share one at half or more of the other placements the
    record's alignment allows. None when nothing is shared.

    Members that exactly the same functions write are written together, by whichever
    thread runs those functions: one line for both is what they want, so a line needs
    two independently written members."""

    def independent(ms) -> bool:
        return len({kind(m) for m in ms}) >= 2

    by_line: dict[int, list[FieldLayout]] = {}
    for m, spans in members:
        for k in _lines_of(spans, 0, line):
            by_line.setdefault(k, []).append(m)
    groups, seen = [], set()
    for k, ms in sorted(by_line.items()):
        names = tuple(sorted(id(m) for m in ms))
        if len(ms) >= 2 and names not in seen and independent(ms):  # members spanning two lines share both
            seen.add(names)
            groups.append((k, sorted(ms, key=lambda m: m.offset)))
    phases = range(0, line, align) if 0 < align < line else range(0, 1)
    maybe = []
    ordered = sorted(members, key=lambda ms: ms[0].offset)
    for i, (a, a_spans) in enumerate(ordered):
        for b, b_spans in ordered[i + 1:]:
            if _lines_of(a_spans, 0, line) & _lines_of(b_spans, 0, line) or not independent([a, b]):
                continue
            n = sum(1 for p in phases if _lines_of(a_spans, p, line) & _lines_of(b_spans, p, line))
            if n and 2 * n >= len(phases):
                maybe.append((a, b, n, len(phases)))
    if not groups and not maybe:
        return None
    return groups, maybe


def _member(m: FieldLayout, types: Optional[dict] = None) -> str:
    """A member as the message names it: the atomic itself, or, for a member that holds atomics
    (a record), each atomic it holds with its own offset in the record, where the writes land."""
    t = (types or {}).get(m.name)
    if t is not None and t.atomic_kind is None:
        inner = _atomic_paths(t, m.name, m.offset)
        if inner:
            return _and([f"`{path}` (offset {offset})" for path, offset in inner])
    return f"`{m.name}` (offset {m.offset})"


def _atomic_paths(t, prefix: str, offset: int, depth: int = 0) -> list[tuple[str, int]]:
    """(dotted name, offset) of each owned atomic an object of record type ``t`` holds inline."""
    if t is None or depth > 4 or not t.is_record:
        return []
    layout = t.layout()
    if layout is None:
        return []
    types = t.field_types()
    out = []
    for f in layout.fields:
        ft = types.get(f.name)
        if f.is_base or f.is_bitfield or ft is None or ft.is_array or ft.is_pointer or ft.is_reference:
            continue
        if ft.atomic_kind is not None:
            if ft.atomic_kind in OWNED_ATOMICS:
                out.append((f"{prefix}.{f.name}", offset + f.offset))
        else:
            out.extend(_atomic_paths(ft, f"{prefix}.{f.name}", offset + f.offset, depth + 1))
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _record_message(layout, groups, maybe, line: int, types: Optional[dict] = None) -> str:
    parts = []
    for k, g in groups:
        of = f" of `{display_name(layout)}`" if not parts else ""
        parts.append(f"{_and([_member(m, types) for m in g])}{of} share cache line {k}")
    for a, b, n, total in maybe:
        of = f" of `{display_name(layout)}`" if not parts else ""
        parts.append(
            f"{_member(a, types)} and {_member(b, types)}{of} share a line at {n} of the {total} placements "
            f"{'an' if str(layout.align).startswith('8') else 'a'} {layout.align}-byte-aligned "
            f"`{display_name(layout)}` can have in a {line}-byte line"
        )
    return "; ".join(parts) + "; writes from different cores will invalidate each other's line"


def _record_notes(view, rec, line: int) -> tuple[str, ...]:
    layout = rec.layout
    notes = [f"`{display_name(layout)}` is {layout.size} bytes, {layout.align}-byte aligned; "
             f"cache-line-size is {line}"]
    if layout.is_template_instantiation:
        notes.append(f"layout of the instantiation `{display_name(layout)}` used in this file")
    notes.append(
        "if one thread writes all of these members, they belong together and this is not false sharing"
    )
    if view.language != "c":
        notes.append(f"`alignas(std::hardware_destructive_interference_size)` says the same portably, but its "
                     f"value can change with the compiler and -mtune; the fix writes the configured {line}")
    return tuple(notes)


def _starts_declaration(view, m: FieldLayout) -> bool:
    """The member's range starts its declaration in this file's text (not in a macro)."""
    text = view.line_text(m.range.start.line).encode()
    if m.range.start.column - 1 > len(text):
        return False
    before = text[: m.range.start.column - 1].decode(errors="replace")
    return before.strip() == "" or before.rstrip().endswith((";", "{", ":"))


def _writers(view) -> dict:
    """(range, name) of a field -> the functions (by range) whose atomic operations write it."""
    out: dict = {}
    for op in view.atomic_ops:
        if op.operation in _READS or op.function is None:
            continue
        target = op.target
        if target is None or target.kind != "FIELD_DECL" or not same_file(target.file, view.path):
            continue
        out.setdefault((target.range, target.spelling), set()).add(op.function.node.range)
    return {k: frozenset(v) for k, v in out.items()}


def _read_only_fields(view) -> set:
    """(range, name) of fields that every reference in the file only loads."""
    loaded = set()
    for op in view.atomic_ops:
        if op.operation in _READS and op.object is not None:
            obj = _strip(op.object)
            loaded.add((obj.range.start, obj.range.end))
    state: dict = {}
    for n in view.nodes("MEMBER_REF_EXPR"):
        d = n.referenced
        if d is None or d.kind != "FIELD_DECL" or not same_file(d.file, view.path):
            continue
        key = (d.range, d.spelling)
        is_load = (n.range.start, n.range.end) in loaded
        state[key] = state.get(key, True) and is_load
    return {k for k, only_loads in state.items() if only_loads}


# ------------------------------------------------------------ per-thread arrays


@dataclass
class _Access:
    """How a thread reaches its own element: the sequence, and what the message shows."""

    sequence: object  # the expression naming the array, std::array, std::vector or pointer
    shown: str  # `counts[id]`, or the range-for variable
    line: int
    by_core: bool = False
    range_for: bool = False


@dataclass
class _Body:
    """A function or lambda that threads run, and which of its names differ per thread."""

    node: object
    spawns: list = field(default_factory=list)  # spawn call nodes
    per_thread: set = field(default_factory=set)  # decl keys: parameters and captured loop variables
    element_params: dict = field(default_factory=dict)  # parameter key -> _Access handed to it


def _key(decl) -> tuple:
    return (decl.range, decl.spelling)


def _strip(n):
    while n is not None and n.kind in _WRAPPERS and n.children:
        n = n.children[0]
    return n


class _ThreadBodies:
    """Thread entry points in this file and the evidence of per-thread indexing."""

    def __init__(self, view):
        self.view = view
        self.bodies: dict[tuple, _Body] = {}
        self.var_decls = {(n.range, n.spelling): n for n in view.nodes("VAR_DECL")}
        self.functions = {(f.node.range, f.node.spelling): f.node for f in view.functions
                          if f.node.kind != "LAMBDA_EXPR"}
        # `for (auto& slot : slots)`: the variable names each element in turn
        self.range_elements = {}
        for loop in view.loops:
            if loop.node.kind == "CXX_FOR_RANGE_STMT":
                parts = loop.parts()
                var, seq = parts["variable"], parts["range"]
                if var is not None and seq is not None and var.type.is_reference:
                    self.range_elements[_key(var)] = _Access(seq, var.spelling, var.range.start.line,
                                                             range_for=True)
        spawned: dict[tuple, list] = {}
        for call in view.calls:
            args = _spawn_arguments(call)
            if not args:
                continue
            body = self._entry(args[0])
            if body is None:
                continue
            b = self.bodies.setdefault((body.range, body.kind), _Body(body))
            b.spawns.append(call.node)
            spawned.setdefault((body.range, body.kind), []).append((call, args[1:]))
        for key, uses in spawned.items():
            self._per_thread_names(self.bodies[key], uses)

    # entry points: a lambda, a function, or a variable holding a lambda
    def _entry(self, callable_arg):
        n = _strip(callable_arg)
        if n is not None and n.kind == "UNARY_OPERATOR" and n.operator == "&" and n.children:
            n = _strip(n.children[0])
        if n is None:
            return None
        if n.kind == "LAMBDA_EXPR":
            return n
        if n.kind != "DECL_REF_EXPR":
            return None
        d = n.referenced
        if d is None or not same_file(d.file, self.view.path):
            return None
        if d.kind == "FUNCTION_DECL":
            definition = d.definition
            if definition is None:
                return None
            return self.functions.get((definition.range, definition.spelling))
        if d.kind == "VAR_DECL":
            var = self.var_decls.get(_key(d))
            if var is not None:
                for c in var.walk():
                    if c.kind == "LAMBDA_EXPR":
                        return c
        return None

    def _per_thread_names(self, body: _Body, uses) -> None:
        params = [c for c in body.node.children if c.kind == "PARM_DECL"]
        literal_args: dict[int, set] = {}
        for call, extra in uses:
            loops = self.view.enclosing_loops(call.node)
            for k, arg in enumerate(extra):
                if k >= len(params):
                    break
                access = self._handed_element(arg, loops)
                if access is not None:
                    body.element_params[_key(params[k])] = access
                elif _refers_to_loop_variable(self.view, arg, loops):
                    body.per_thread.add(_key(params[k]))
                elif _strip(arg) is not None and _strip(arg).kind == "INTEGER_LITERAL":
                    literal_args.setdefault(k, set()).add(tuple(_strip(arg).tokens))
            if body.node.kind == "LAMBDA_EXPR":
                for ref in body.node.walk():
                    if ref.kind != "DECL_REF_EXPR":
                        continue
                    d = ref.referenced
                    if d is None or d.kind != "VAR_DECL" or not same_file(d.file, self.view.path):
                        continue
                    if body.node.range.contains(d.range):
                        continue  # the lambda's own local
                    if any(loop.node.range.contains(d.range) for loop in loops):
                        body.per_thread.add(_key(d))
        for k, values in literal_args.items():
            if len(values) >= 2 and len(uses) >= 2:
                body.per_thread.add(_key(params[k]))

    def _handed_element(self, arg, loops) -> Optional[_Access]:
        """``slots[t]`` / ``&slots[t]`` / ``std::ref(slots[t])`` with ``t`` from the spawning loop,
        or ``std::ref(slot)`` with ``slot`` the spawning range-for's element."""
        n = _unwrap_reference(arg)
        if n is None:
            return None
        if _is_subscript(n):
            return _subscript_access(self.view, n) if _refers_to_loop_variable(self.view, _index_of(n), loops) \
                else None
        if n.kind == "DECL_REF_EXPR" and n.referenced is not None:
            access = self.range_elements.get(_key(n.referenced))
            if access is not None and any(loop.node.range.contains(n.referenced.range) for loop in loops):
                return access
        return None

    def per_thread_element(self, op) -> Optional[tuple[_Access, Optional[_Body]]]:
        """How ``op`` writes an element its thread has as its own, and the thread body."""
        fn = op.function
        body = self.bodies.get((fn.node.range, fn.node.kind))
        base = _object_base(op.object)
        if base is None:
            return None
        if _is_subscript(base):
            if self._per_thread_index(_index_of(base), body):
                return _subscript_access(self.view, base), body
            return None
        if base.kind != "DECL_REF_EXPR" or base.referenced is None:
            return None
        d = base.referenced
        key = _key(d)
        if body is not None and key in body.element_params:
            return body.element_params[key], body
        if body is not None and key in body.per_thread and key in self.range_elements:
            return self.range_elements[key], body  # a lambda capturing the spawning range-for's element
        var = self.var_decls.get(key) if d.kind == "VAR_DECL" else None
        if var is not None and (var.type.is_reference or var.type.is_pointer) and var.children:
            n = _unwrap_reference(var.children[-1])
            if n is not None and _is_subscript(n) and self._per_thread_index(_index_of(n), body):
                return _subscript_access(self.view, n), body
        return None

    def _per_thread_index(self, index, body: Optional[_Body]) -> bool:
        n = _strip(index)
        if n is None:
            return False
        if n.kind == "CALL_EXPR":
            return _is_thread_id_call(n)
        if n.kind == "DECL_REF_EXPR":
            d = n.referenced
            if d is None:
                return False
            if body is not None and _key(d) in body.per_thread:
                return True
            var = self.var_decls.get(_key(d)) if d.kind == "VAR_DECL" else None
            if var is not None and var.children:
                init = _strip(var.children[-1])
                return init is not None and init.kind == "CALL_EXPR" and _is_thread_id_call(init)
            return False
        if n.kind == "BINARY_OPERATOR" and n.operator in ("+", "-") and len(n.children) == 2:
            lhs, rhs = (_strip(c) for c in n.children)
            if rhs is not None and rhs.kind == "INTEGER_LITERAL":
                return self._per_thread_index(lhs, body)
            if lhs is not None and lhs.kind == "INTEGER_LITERAL" and n.operator == "+":
                return self._per_thread_index(rhs, body)
        return False


def _spawn_arguments(call) -> Optional[list]:
    """The arguments (callable first) of a call that starts a thread, else None."""
    if call.name not in _SPAWN_SPELLINGS:
        return None  # resolving every callee costs a libclang round trip
    callee = call.callee
    if callee is None:
        return None
    args = list(call.arguments)
    if callee.kind == "CONSTRUCTOR":
        parent = callee.semantic_parent
        if parent is None or parent.qualified_name not in _THREAD_TYPES:
            return None
    elif callee.kind == "CXX_METHOD" and call.name == "emplace_back":
        parent = callee.semantic_parent
        targs = parent.type.template_arguments if parent is not None else []
        if not targs or targs[0].record_name not in _THREAD_TYPES:
            return None
    elif call.qualified_name == "std::async":
        args = [a for a in args if a.type.record_or_enum_name != "std::launch"]
    else:
        return None
    return args or None


def _is_thread_id_call(n) -> bool:
    callee = n.referenced
    return callee is not None and callee.qualified_name in _THREAD_ID_FUNCTIONS


def _refers_to_loop_variable(view, expr, loops) -> bool:
    if expr is None or not loops:
        return False
    for n in expr.walk():
        if n.kind != "DECL_REF_EXPR":
            continue
        d = n.referenced
        if d is None or d.kind != "VAR_DECL" or not same_file(d.file, view.path):
            continue
        if any(loop.node.range.contains(d.range) for loop in loops):
            return True
    return False


def _object_base(expr):
    """The subscript or variable an atomic operation's object is reached through."""
    n = expr
    while n is not None:
        kind = n.kind
        if kind in _WRAPPERS and n.children:
            n = n.children[0]
        elif kind == "MEMBER_REF_EXPR" and n.children:
            n = n.children[0]
        elif kind == "UNARY_OPERATOR" and n.operator in ("*", "&") and n.children:
            n = n.children[0]
        elif _is_subscript(n):
            return n
        elif kind == "DECL_REF_EXPR":
            return n
        else:
            return None
    return None


def _unwrap_reference(expr):
    """``x`` from ``x``, ``&x``, ``std::ref(x)`` or ``std::cref(x)``."""
    n = _strip(expr)
    if n is not None and n.kind == "CALL_EXPR" and n.spelling in ("ref", "cref") and n.arguments:
        callee = n.referenced
        if callee is not None and callee.qualified_name in ("std::ref", "std::cref"):
            n = _strip(n.arguments[0])
    if n is not None and n.kind == "UNARY_OPERATOR" and n.operator == "&" and n.children:
        n = _strip(n.children[0])
    return n


def _is_subscript(n) -> bool:
    return n.kind == "ARRAY_SUBSCRIPT_EXPR" or (n.kind == "CALL_EXPR" and n.spelling == "operator[]")


def _subscript_access(view, subscript) -> _Access:
    by_core = any(n.kind == "CALL_EXPR" and _is_thread_id_call(n) and n.spelling == "sched_getcpu"
                  for n in _index_of(subscript).walk())
    return _Access(_base_of(subscript), _text(view, subscript.range), subscript.range.start.line, by_core)


def _base_of(subscript):
    return subscript.children[0]


def _index_of(subscript):
    return subscript.children[-1]


def _array_of(sequence):
    """(declaration or None, element type, element count or None) of a sequence expression."""
    base = _strip(sequence)
    if base is None:
        return None
    t = base.type.non_reference()
    element, count = None, None
    if t.is_array:
        element, count = t.element, t.array_size
    elif t.is_pointer:
        element = t.pointee
    elif t.is_record and t.record_name in _SEQUENCES and t.template_arguments:
        element = t.template_arguments[0]
        if element.is_array:  # std::unique_ptr<T[]>
            element = element.element
    if element is None:
        return None
    decl = base.referenced if base.kind in ("DECL_REF_EXPR", "MEMBER_REF_EXPR") else None
    if decl is not None and decl.kind not in ("VAR_DECL", "FIELD_DECL", "PARM_DECL"):
        decl = None
    return decl, element, count


def _per_line(size: int, line: int) -> str:
    if line % size == 0:
        return f"{line // size} to a {line}-byte cache line"
    return f"parts of up to {-(-(line - 1) // size) + 1} in each {line}-byte cache line"


def _text(view, r: Range) -> str:
    if r.start.line != r.end.line:
        return view.line_text(r.start.line)[r.start.column - 1:].strip()
    raw = view.line_text(r.start.line).encode()
    return raw[r.start.column - 1:r.end.column - 1].decode(errors="replace")


def _array_message(name: str, element, count: Optional[int], where: _Access, line: int) -> str:
    size = element.size
    if count is not None and 1 < count and count * size <= line:
        packing = f"so all {count} fit in one {line}-byte cache line"
    else:
        packing = _per_line(size, line)
    return (
        f"`{name}` holds `{element.unqualified_name}` elements of {size} bytes, {packing}, "
        f"and each {'core' if where.by_core else 'thread'} writes its own element (`{where.shown}`"
        f"{', bound by the range-for' if where.range_for else ''} on line {where.line}); "
        "writes from different cores will invalidate each other's line"
    )


def _array_notes(view, element, body, line: int) -> tuple[str, ...]:
    notes = []
    if body is not None and body.spawns:
        lines = sorted({s.range.start.line for s in body.spawns})
        notes.append(f"threads run this code from line{'s' if len(lines) > 1 else ''} "
                     f"{', '.join(map(str, lines))}")
    if element.is_atomic and view.language == "c":
        notes.append(
            f"give each thread a whole line: `struct alignas({line}) Padded {{ "
            f"{element.unqualified_name} value; }};` as the element type, indexed as `[i].value`"
        )
    return tuple(notes)


_PADDED = "CacheLinePadded"


def _atomic_array_fix(view, decl, line: int):
    """Bare atomic elements: wrap the element type in a line-aligned subclass of itself, which
    inherits every member, so `totals[i].fetch_add(...)` and the other uses stay as written."""
    if view.language == "c" or decl is None or decl.kind not in ("VAR_DECL", "FIELD_DECL"):
        return None
    start, name_at = decl.range.start, decl.location
    if start.line != name_at.line or name_at.column <= start.column:
        return None
    raw = view.line_text(start.line).encode()
    type_text = raw[start.column - 1:name_at.column - 1].decode(errors="replace")
    if decl.type.is_array:
        lo, hi = 0, len(type_text.rstrip())
        inner = type_text[lo:hi]
        for qual in ("static ", "inline ", "extern ", "thread_local ", "constinit "):
            while inner.startswith(qual):
                lo += len(qual)
                inner = inner[len(qual):]
    else:
        open_at = type_text.find("<")
        if open_at < 0:
            return None
        depth, close = 0, None
        for k in range(open_at, len(type_text)):
            ch = type_text[k]
            if ch in "<(":
                depth += 1
            elif ch in ">)":
                depth -= 1
                if depth == 0:
                    close = k
                    break
            elif ch == "," and depth == 1:
                close = k
                break
        if close is None:
            return None
        lo, hi = open_at + 1, close
        inner = type_text[lo:hi]
    if not inner.strip():
        return None
    col = start.column + len(type_text[:lo].encode())
    end = col + len(inner.encode())
    edits = [Edit(Range(Position(start.line, col), Position(start.line, end)), f"{_PADDED}<{inner.strip()}>")]
    if f"struct alignas({line}) {_PADDED}" not in view.text:
        last_include = max((k for k, t in enumerate(view.lines, start=1) if t.lstrip().startswith("#include")),
                           default=0)
        at = Position(last_include + 1, 1)
        edits.insert(0, Edit(Range(at, at), (
            "\n// One cache line per element (hotlint, false-sharing): the wrapper inherits every member\n"
            "// of the atomic, so the uses stay as written.\n"
            f"template <class Atomic>\nstruct alignas({line}) {_PADDED} : Atomic {{\n"
            "    using Atomic::Atomic;\n    using Atomic::operator=;\n};\n")))
    return fix(
        f"pad each element of `{decl.spelling}` to its own {line}-byte cache line with `{_PADDED}<...>`",
        edits, Applicability.UNSAFE)


def _element_fix(view, element, line: int):
    """``struct alignas(N) Slot`` on a record element type defined in this file."""
    if view.language == "c" or element.is_atomic:
        return None
    name = element.unqualified_name
    record = next((r for r in view.records if r.layout.name == name), None)
    if record is None or record.node is None or record.layout.is_template_instantiation:
        return None
    node = record.node
    if node.kind not in ("STRUCT_DECL", "CLASS_DECL") or not same_file(node.file, view.path):
        return None
    if any(asserted(view, r) for r in [record.layout, *enclosing_records(view, record.layout)]):
        return None  # a static_assert pins its size: the edit alone would not build
    loc = node.location
    spelled = node.spelling
    raw = view.line_text(loc.line).encode()
    if not spelled or raw[loc.column - 1:loc.column - 1 + len(spelled.encode())].decode(errors="replace") != spelled:
        return None
    at = Range(Position(loc.line, loc.column), Position(loc.line, loc.column))
    return fix(
        f"align each `{name}` to its own {line}-byte cache line (`alignas({line})`: "
        f"{record.layout.size} -> {max(line, -(-record.layout.size // line) * line)} bytes per element)",
        [Edit(at, f"alignas({line}) ")],
        Applicability.UNSAFE,
    )
