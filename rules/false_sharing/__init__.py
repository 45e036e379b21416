"""false-sharing: independently written atomics that share one cache line."""

from __future__ import annotations

from typing import Iterator, Optional

from hotlint.analysis.atomics import READ_OPERATIONS, field_writers, read_only_fields
from hotlint.analysis.expressions import position_key, strip, subscript_parts
from hotlint.analysis.kinds import K
from hotlint.analysis.layout import atomic_members, atomic_paths, display_name, lines_touched
from hotlint.analysis.memory import named_declaration, object_base
from hotlint.analysis.symbols import in_linted_file
from hotlint.analysis.threads import Access, member_keys
from hotlint.analysis.types import owns_atomic, sequence_element
from hotlint.model import FieldLayout, Severity
from hotlint.rule import Finding, Option, Rule

from .fixes import atomic_array_fix, element_fix, record_fix


class FalseSharing(Rule):
    """Independently written atomics that share one cache line.

    ## What it does
    Checks the real layout of every record defined in the file (class templates as
    instantiated by the file included) and reports two or more atomic members
    (`std::atomic`, `std::atomic_flag`, C `_Atomic`, or small records holding one)
    that fall into the same cache line of the unit's target (see *Options* for the
    line size each target gets), unless this file shows exactly the same functions writing
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

    Counters indexed by a category rather than by the thread (`stats[kHits]`,
    `tickers[type].fetch_add(n)`, in a `T[N]`, `std::array` or `std::vector` of atomics) are
    reported when threads the file starts write them: the writes are in thread bodies or in
    functions the bodies call (directly or through other functions of the file), those
    threads are two or more (two spawns, or one in a loop), and they write two or more
    elements (two distinct constant indices, or an index that varies, as a category
    parameter does). One writer thread, and every thread writing the same element (a
    contended counter, not a shared line), are not reported.

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
    For a record, the fix puts `alignas(N)` (N = the target's line size) on every
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

    `std::hardware_destructive_interference_size` (`<new>`) names a similar
    constant, but its value may change between compiler versions and `-mtune`
    flags (GCC warns with `-Winterference-size`) and is one value for a whole
    architecture (256 for every AArch64 target, Apple's 128-byte-line cores included),
    so the fix writes the target's line size instead.

    ## Options
    The line size is the unit's target's (`hotlint.analysis.target`), and the notes say which
    they assume ("on x86-64, 64-byte cache lines"): the global `cache-line-size` setting
    (configuration or `--cache-line-size`) if set; else the line of a core named by `-mtune`,
    `-mcpu` or `-march` (Apple 128, A64FX 256, ThunderX 128, Neoverse and Cortex 64, POWER 128);
    else 128 for Apple arm64 triples (`--target=arm64-apple-darwin`, `-arch arm64`); else the
    compiler's `__GCC_DESTRUCTIVE_SIZE` for the target (the value of
    `std::hardware_destructive_interference_size`: 64 on x86-64, 256 on other AArch64, 128 on
    POWER); else 64. With no `--target` the target is the host's, as the compiler's default.

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
        line = view.analysis.target.line_size
        yield from self._records(view, line)
        yield from self._per_thread_arrays(view, line)

    def _records(self, view, line: int) -> Iterator[Finding]:
        ignore_read_only = self.option(view, "ignore-read-only")
        read_only: Optional[set] = None
        writers: Optional[dict] = None
        reported: set = set()
        for rec in view.records:
            layout = rec.layout
            if layout.is_union or rec.node is None or not in_linted_file(view, rec.node):
                continue
            members = atomic_members(rec)
            if len(members) >= 2 and ignore_read_only:
                if read_only is None:
                    read_only = read_only_fields(view)
                members = [(m, spans) for m, spans in members if (m.range, m.name) not in read_only]
            if len(members) < 2:
                continue
            if writers is None:
                writers = field_writers(view)

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
            types = rec.type.field_types()
            yield Finding(
                anchor.range,
                _record_headline(layout, groups, maybe, to_align, types),
                severity=self.severity_for(view, rec.node),
                fix=record_fix(view, rec, to_align, line),
                notes=(_record_message(layout, groups, maybe, line, types),) + _record_notes(view, rec, line) + tuple(
                    f"`{prev.name}` and `{m.name}` are written by the same functions, so they stay together"
                    for prev, m in zip(involved, involved[1:]) if kind(m) == kind(prev)),
                subjects=_subjects(layout, groups, maybe, rec.type.field_types()),
                case=_evidence_case(len(to_align) + 1),
            )

    def _per_thread_arrays(self, view, line: int) -> Iterator[Finding]:
        writes = [op for op in view.atomic_ops if op.operation not in READ_OPERATIONS and op.function is not None]
        if not writes:
            return
        threads = view.analysis.threads
        reported: set = set()
        for op in writes:
            access = threads.per_thread_element(op) if op.loop is not None else None
            if access is not None:
                where, body = access
                yield from self._array(view, op, where.sequence, line, reported, where, body.spawns if body else [])
        for shared, spawns in threads.shared_element_writes(writes):
            sequence = subscript_parts(object_base(shared[0].object))[0]
            yield from self._array(view, shared[0], sequence, line, reported, shared, spawns)

    def _array(self, view, op, sequence, line: int, reported: set, writes, spawns) -> Iterator[Finding]:
        """The finding on an array of small atomic elements that several threads write: each its
        own element (``writes`` an Access) or elements the code chooses (the writes)."""
        element, count = sequence_element(strip(sequence).type)
        if element is None:
            return
        size, align = element.size, element.align
        if size is None or align is None or size >= line or align >= line or not owns_atomic(element):
            return
        decl = named_declaration(sequence)
        key = position_key(decl) if decl is not None else sequence.range
        if key in reported:
            return
        reported.add(key)
        in_file = decl is not None and in_linted_file(view, decl)
        name = decl.spelling if decl is not None else view.source.snippet(sequence.range, multiline="first-line-stripped")
        yield Finding(
            decl.name_range if in_file else sequence.range,
            f"threads write neighbouring {element.size}-byte elements of `{name}`, which share cache lines: "
            f"pad each element to {line} bytes",
            severity=self.severity_for(view, op.node),
            fix=element_fix(view, element, line) or (atomic_array_fix(view, decl, line) if in_file else None),
            notes=(_array_message(view, name, element, count, writes, line),) + _array_notes(view, element, spawns,
                                                                                           line)
            + (view.analysis.target.assumption,),
            case=_evidence_case(min(count, line // size) if count else 2),
        )


def _evidence_case(writers: int) -> Optional[str]:
    """The bench sub-case whose figure applies (bench_fixtures/false-sharing/<case>/): ``eight-writers``
    when eight or more separately written atomics can share one line, ``four-writers`` from four;
    None: the main pair (two). The work-between-writes pair is not cited: how much work separates
    the writes is not weighed here."""
    return "eight-writers" if writers >= 8 else "four-writers" if writers >= 4 else None


# --------------------------------------------------------------------- records


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
        for k in lines_touched(spans, 0, line):
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
            if lines_touched(a_spans, 0, line) & lines_touched(b_spans, 0, line) or not independent([a, b]):
                continue
            n = sum(1 for p in phases if lines_touched(a_spans, p, line) & lines_touched(b_spans, p, line))
            if n and 2 * n >= len(phases):
                maybe.append((a, b, n, len(phases)))
    if not groups and not maybe:
        return None
    return groups, maybe


def _subjects(layout, groups, maybe, types: dict) -> tuple:
    """What the ranking asks the project's thread roles (``hotlint.rank``): each group of members
    said to share a line, each member with the field keys its writes land on; () when a member's
    writes cannot be named (the finding then stands as the file shows it)."""
    out = []
    for ms in [g for _k, g in groups] + [[a, b] for a, b, _n, _of in maybe]:
        group = tuple((m.name, tuple(member_keys(layout.name, m.name, types.get(m.name)))) for m in ms)
        if any(not keys for _m, keys in group):
            return ()
        out.append(group)
    return tuple(out)


def _involved(groups, maybe) -> list[FieldLayout]:
    seen: dict[int, FieldLayout] = {}
    for _k, g in groups:
        for m in g:
            seen[id(m)] = m
    for a, b, _n, _of in maybe:
        seen[id(a)] = a
        seen[id(b)] = b
    return list(seen.values())


def _member(m: FieldLayout, types: dict, offsets: bool = True) -> str:
    """A member as the message names it: the atomic itself, or, for a member that holds atomics
    (a record), each atomic it holds with its own offset in the record, where the writes land."""
    paths = atomic_paths(types.get(m.name), m.name, m.offset) or [(m.name, m.offset)]
    return _and([f"`{path}` (offset {offset})" if offsets else f"`{path}`" for path, offset in paths])


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _record_message(layout, groups, maybe, line: int, types: dict) -> str:
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


def _record_headline(layout, groups, maybe, to_align, types: dict) -> str:
    """What shares a line, by name, and what to write instead (offsets and placements are in the
    first note)."""
    if len(to_align) == 1:
        advice = f"start `{to_align[0].name}` on a cache line of its own"
    else:
        advice = "give each writer its own cache line"
    name = display_name(layout)
    parts = []
    for k, g in groups:
        parts.append(f"{_and([_member(m, types, offsets=False) for m in g])}{'' if parts else f' of `{name}`'} "
                     f"share cache line {k}")
    for a, b, _n, _total in maybe:
        parts.append(f"{_member(a, types, offsets=False)} and {_member(b, types, offsets=False)}"
                     f"{'' if parts else f' of `{name}`'} can share a cache line")
    headline = "; ".join(parts) + ": " + advice
    if len(headline) > 120:
        headline = f"atomics of `{name}` written by different threads share a cache line: {advice}"
    return headline


def _record_notes(view, rec, line: int) -> tuple[str, ...]:
    layout = rec.layout
    target = view.analysis.target
    if rec.node.kind == K.CLASS_TEMPLATE and not layout.is_template_instantiation:  # view.records: pattern_layout
        notes = [f"no declaration here instantiates `{display_name(layout)}`: its fields up to "
                 f"`{layout.fields[-1].name}` are at these offsets in every instantiation, which is at least "
                 f"{layout.align}-byte aligned; {target.assumed}"]
    else:
        notes = [f"`{display_name(layout)}` is {layout.size} bytes, {layout.align}-byte aligned; {target.assumed}"]
    if layout.is_template_instantiation:
        notes.append(f"layout of the instantiation `{display_name(layout)}` used in this file")
    notes.append(
        "if one thread writes all of these members, they belong together and this is not false sharing"
    )
    if view.language != "c":
        notes.append(_interference_size_note(target, line))
    return tuple(notes)


_ARCH_NAMES = {"arm64": "AArch64", "power": "POWER", "arm": "32-bit Arm", "s390x": "s390x"}


def _interference_size_note(target, line: int) -> str:
    """Why the fix writes a number, not `std::hardware_destructive_interference_size`."""
    if target.destructive_size and target.destructive_size != line:
        return (f"`alignas(std::hardware_destructive_interference_size)` would be {target.destructive_size} here "
                f"(the compiler's one value for every {_ARCH_NAMES.get(target.arch, target.arch)} target, whatever -mcpu says); the fix writes "
                f"{line}, the line size assumed for {target.name}")
    return ("`alignas(std::hardware_destructive_interference_size)` says the same portably, but its value can "
            f"change with the compiler and -mtune; the fix writes {line}, the line size assumed for {target.name}")


# ------------------------------------------------------------ per-thread arrays


def _per_line(size: int, line: int) -> str:
    if line % size == 0:
        return f"{line // size} to a {line}-byte cache line"
    return f"parts of up to {-(-(line - 1) // size) + 1} in each {line}-byte cache line"


def _array_message(view, name: str, element, count: Optional[int], writes, line: int) -> str:
    size = element.size
    if count is not None and 1 < count and count * size <= line:
        packing = f"so all {count} fit in one {line}-byte cache line"
    else:
        packing = _per_line(size, line)
    if isinstance(writes, Access):
        who = (f"each {'core' if writes.by_core else 'thread'} writes its own element (`{writes.shown}`"
               f"{', bound by the range-for' if writes.range_for else ''} on line {writes.line})")
    else:
        shown = sorted({(op.node.range.start.line, view.source.snippet(op.object.range, multiline="first-line-stripped")) for op in writes})
        who = f"several threads write the elements a category index picks ({_and([f'`{t}` on line {n}' for n, t in shown])})"
    return f"`{name}` holds `{element.unqualified_name}` elements of {size} bytes, {packing}, and {who}; " \
        "writes from different cores will invalidate each other's line"


def _array_notes(view, element, spawns, line: int) -> tuple[str, ...]:
    notes = []
    if spawns:
        lines = sorted({s.range.start.line for s in spawns})
        notes.append(f"threads run this code from line{'s' if len(lines) > 1 else ''} "
                     f"{', '.join(map(str, lines))}")
    if element.is_atomic and view.language == "c":
        notes.append(
            f"give each thread a whole line: `struct alignas({line}) Padded {{ "
            f"{element.unqualified_name} value; }};` as the element type, indexed as `[i].value`"
        )
    return tuple(notes)
