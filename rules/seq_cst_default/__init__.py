"""seq-cst-default: atomic operations that are sequentially consistent only because no
memory order was written.

The rule asks hotlint.analysis what each operation does to its object, how its value is used,
whether a loop waits on it, where threads are joined and who can reach the variable; it reads
the pattern of every operation on one variable, suggests the weakest order that pattern needs
and writes it into the call. The words of the advice are in ``messages``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from hotlint.analysis.atomics import ADD, FENCE, LOAD, RMW, STORE, AtomicOp, is_c11_function_call, is_decrement, \
    object_text, operation_role, operator_spelling, order_argument_edits, order_spelling, written_as_call
from hotlint.analysis.control import in_loop_condition
from hotlint.analysis.edits import address_of, has_include, member_object, replace
from hotlint.analysis.expressions import operand_list, same_entity, traced_value_use, value_use
from hotlint.analysis.kinds import K
from hotlint.analysis.source import is_postfix_name
from hotlint.analysis.symbols import file_private, in_linted_file
from hotlint.analysis.target import weaker_order_gains
from hotlint.analysis.types import survives_integer_promotion
from hotlint.model import Applicability, Edit, Severity
from hotlint.rule import Finding, Option, Rule, fix

from . import messages as text

# The member function (C: atomic_<member>_explicit) each binary operator is short for.
_MEMBER = {"=": "store", "+=": "fetch_add", "-=": "fetch_sub", "&=": "fetch_and", "|=": "fetch_or", "^=": "fetch_xor"}
# The bench sub-case each role's finding cites (bench_fixtures/seq-cst-default/<case>/): loads and
# read-modify-writes are measured apart from stores, since on x86-64 they compile alike under every order.
_EVIDENCE_CASE = {LOAD: "load", ADD: "rmw", RMW: "rmw"}

# The orders each pattern suggests, by role; counting patterns tell adds apart (see _order_for).
_ORDERS = {
    "dekker": {LOAD: "seq_cst", STORE: "seq_cst"},
    "counter": {ADD: "relaxed", LOAD: "relaxed"},
    "flag": {STORE: "release", LOAD: "acquire"},
    "lock": {RMW: "acquire", STORE: "release", LOAD: "relaxed"},
    "rmw-sync": {RMW: "acq_rel", ADD: "acq_rel", LOAD: "acquire", STORE: "release"},
    "construction": {LOAD: "relaxed", STORE: "relaxed", ADD: "relaxed", RMW: "relaxed"},
}


@dataclass(eq=False)
class _Site:
    """One atomic operation with what the pattern analysis needs to know about it."""

    op: AtomicOp
    role: str  # operation_role: LOAD, STORE, ADD, RMW or FENCE
    usage: str  # value_use: unused, tested or value (an add's traced through a local)
    spin: bool  # evaluated in a loop's condition: the thread waits on it
    decrement: bool  # takes from the count (a reference count's release point)

    @property
    def line(self) -> int:
        return self.op.node.range.start.line

    @property
    def decides(self) -> bool:
        """The result drives what the thread does next: a tested value, or any use of a
        decrement's result (returned, stored, compared later, passed on), which is how a
        reference count tells its caller to free the object."""
        return self.role == ADD and (self.usage == "tested" or (self.decrement and self.usage == "value"))


@dataclass(eq=False)
class _Group:
    """Every operation in the file on one atomic variable or member."""

    target: object  # the declaration, or None for an object hotlint cannot name
    sites: list[_Site] = field(default_factory=list)

    def roles(self) -> set[str]:
        return {s.role for s in self.sites}

    def lines(self, role: str) -> str:
        return _line_list([s.line for s in self.sites if s.role == role])


@dataclass
class _Advice:
    pattern: str
    why: str  # the pattern's reason, the first note
    detail: str  # why that order suffices, as a note
    orders: dict[str, str]  # role (or "tested-add"/"untested-sub"/"untested-add") -> order
    safe: bool = False


class SeqCstDefault(Rule):
    """Flags atomic operations that are sequentially consistent only because no memory order
    was written.

    ## What it does
    Finds operations on `std::atomic`, `std::atomic_ref`, `std::atomic_flag` and C11 `_Atomic`
    objects that run as `memory_order_seq_cst` by default: member calls without an order
    argument (`load()`, `store(v)`, `exchange`, `fetch_*`, `compare_exchange_*`,
    `test_and_set`, `clear`, `wait`), the operators (`++`, `--`, `+=`, `-=`, `&=`, `|=`, `^=`,
    `=`) and implicit loads (`if (flag)`, `while (!stop)`), the `std::atomic_*` and
    `<stdatomic.h>` functions without `_explicit`, and the legacy `__sync_*` builtins (always
    full barriers, except `__sync_lock_test_and_set` and `__sync_lock_release`, which are
    acquire and release). Types decide, never names: a class of your own with a `load` method
    is not an atomic. In a template, member calls on a dependent `std::atomic<T>` are found
    too; operators and implicit loads on it are only resolved at instantiation, so they are
    not. Any expression written as the order is a written order and is not reported: a
    `constexpr` variable or member, a template parameter (`template <std::memory_order O>`,
    `P::order`), a function parameter, a ternary of orders. A constant is read as the order it
    holds (a `constexpr auto kOrder = std::memory_order_seq_cst` store takes part in a
    handshake); an order chosen at run time or by a template is left alone.

    It reads every operation on the same variable or member in the file and suggests the
    weakest order the visible pattern needs:

    * a counter that is only incremented or decremented, no result used (and read, ideally
      after the threads are joined): `relaxed`;
    * a flag stored after writing data and loaded before reading it: `release` store,
      `acquire` load;
    * a lock taken by `exchange`/`test_and_set`/`compare_exchange` in a loop and released by a
      store: `acquire` RMW, `release` store, `relaxed` spinning loads;
    * a read-modify-write that hands data between threads (a CAS loop): `acq_rel` RMW,
      `acquire` loads;
    * a reference count, recognised by a decrement whose result is used at all (tested,
      compared, returned, stored in a variable, or passed to a function,
      as in `if (--refs == 0) delete this;` or `auto old = refs.fetch_sub(1); return old == 1;`):
      that decrement may free the object, so it needs `acq_rel` — release publishes this
      thread's writes to the object, acquire makes every other thread's writes visible before
      the free (release plus `std::atomic_thread_fence(std::memory_order_acquire)` before the
      free does the same); relaxed there lets the free race with another thread's last
      writes. A decrement whose result is discarded still needs `release`; only the
      increments may be `relaxed`. On x86-64 these read-modify-writes are one `LOCK`-prefixed
      instruction under every order, so the order written changes nothing there but the
      compiler's freedom;
    * an arrival counter whose incremented value is tested (directly or through a local
      variable) or awaited by a spinning load: `acq_rel` on the tested increment, `release` on
      untested ones when a load waits for them (else `relaxed`), `acquire` on the waiting loads;
    * a store followed by a load of another atomic in the same function, mirrored elsewhere
      (Dekker, Peterson): seq_cst is needed, and the fix writes it out so the choice is visible.

    Anything else gets "choose explicitly"; seq_cst is right only for store-to-load ordering.

    ## Why is this bad?
    The default is the most expensive order, and it is usually not what the code needs. What it
    costs depends on the unit's target (its `--target`/`-arch` and `-mcpu`/`-march`, the host's
    by default; `hotlint.analysis.target`), and the finding's note names the target and the
    instructions on both sides:

    * x86-64 (TSO): a seq_cst store is an `XCHG`, a full barrier that drains the store buffer
      (about 20 cycles), where release and relaxed stores are a plain `MOV`. Loads are a plain
      `MOV` under every order and read-modify-writes the same `LOCK`-prefixed instruction, so
      there only stores gain; seq_cst loads are reported at `info` severity and the notes of
      loads and read-modify-writes say that no instruction is saved, only the compiler's
      freedom to merge, hoist or reorder.
    * arm64: a seq_cst load is an `LDAR`, a relaxed one an `LDR`, an acquire one an `LDAPR`
      with RCpc (`-march=armv8.3-a` and later, every Apple core) and an `LDAR` without; a
      seq_cst or release store is an `STLR`, a relaxed one an `STR`; read-modify-writes are
      LSE atomics (`LDADDAL`/`SWPAL`/`CASAL` for seq_cst and acq_rel, the `A`, `L` or plain
      forms for acquire, release and relaxed) or, without LSE (`armv8.0`), `LDAXR`/`STLXR`
      loops against `LDXR`/`STXR`. So loads and read-modify-writes weaker than seq_cst gain
      there, and a load that would be cheaper is reported as a `warning`.
    * POWER: seq_cst accesses add an `hwsync` full barrier that acquire and release forms
      (`lwsync`, `isync`) and relaxed ones do not need.

    The measured slow/fast ratio of a hot seq_cst store loop against its release form comes
    from the rule's bench pair (`hotlint bench seq-cst-default`); the pairs of loads and
    read-modify-writes measure no gain on x86-64, and the evidence names the machine that
    measured them (x86-64 here), never the target's.

    Writing the order also documents the synchronization: a reader sees which stores publish
    data and which counters are only statistics.

    ## Example
    ```cpp
    std::atomic<bool> ready{false};
    int payload;

    void produce() { payload = 42; ready = true; }        // seq_cst store: XCHG
    void consume() { while (!ready) {} use(payload); }    // seq_cst load
    ```

    ## Use instead
    ```cpp
    void produce() { payload = 42; ready.store(true, std::memory_order_release); }
    void consume() {
        while (!ready.load(std::memory_order_acquire)) {}
        use(payload);
    }
    ```

    ## Fix safety
    The fix writes the suggested order into the call (`x.load()` becomes
    `x.load(std::memory_order_acquire)`), rewrites an operator whose value is unused (or a
    post-increment, whose value `fetch_add` returns too) as the member call
    (`++x` becomes `x.fetch_add(1, std::memory_order_relaxed)`), a pre-increment or compound
    assignment whose value is used as the standard defines it (`--x` becomes
    `(x.fetch_sub(1, std::memory_order_acq_rel) - 1)`, `x += 2` becomes
    `(x.fetch_add(2, order) + 2)`, only for a literal operand and a value type of `int` or
    wider or a pointer, so the type is unchanged), and an implicit load as `x.load(order)`;
    C files get the `_explicit` functions of `<stdatomic.h>` (only when the file
    includes it) and `__sync_*` builtins their `__atomic_*` forms.

    Weakening an order changes what other threads may observe, so the fix is unsafe unless the
    pattern is unambiguous: it is safe only for a counter whose updates' results are never
    used, that is private to this file (a local, a `static` or anonymous-namespace variable,
    or a member of a class defined in this source file) and is read only after the threads
    are joined. The fix that
    writes `std::memory_order_seq_cst` out for a Dekker-style handshake is safe (the order is
    unchanged). Assignments and C operators whose value is used, pre-increments of types
    narrower than `int`, compound assignments of a non-literal, compare-and-swap `__sync`
    builtins and code inside macros get no fix.

    ## Options
    * `report-loads` (bool, default `true`): report seq_cst loads as well. They are free on
      x86-64, so teams that only target x86-64 may turn them off.

    The target is the unit's own; the global `cache-line-size` setting does not change it.

    ## References
    * C++ standard, [atomics.order]; cppreference, "std::memory_order".
    * Herb Sutter, "atomic<> Weapons" (C++ and Beyond 2012).
    * Peter Sewell et al., "C/C++11 mappings to processors"
      (https://www.cl.cam.ac.uk/~pes20/cpp/cpp0xmappings.html).
    * GCC manual, "Legacy __sync Built-in Functions for Atomic Memory Access".
    * Boost.Atomic documentation, "Usage examples: Reference counting" (relaxed increment,
      release decrement, acquire fence before the delete).
    """

    name = "seq-cst-default"
    summary = "atomic operation that is seq_cst only because no memory order was written"
    severity = Severity.WARNING
    # An error can drop operations from the tree; the pattern analysis behind a safe fix must
    # see every operation on the variable.
    needs_layout = True
    bench_note = (  # said with its measured ratio wherever hotlint cites it
        "the pair times seq_cst vs release stores (XCHG vs MOV on x86-64); seq_cst loads are plain "
        "MOVs under x86-64 TSO and read-modify-writes are LOCK-prefixed under any order, so there "
        "the gain is compiler freedom and other architectures (AArch64, POWER), not a measurable "
        "x86-64 speed-up"
    )
    options = {
        "report-loads": Option(True, "also report seq_cst loads (a plain MOV on x86-64)", bool),
    }

    def check(self, view) -> Iterable[Finding]:
        report_loads = self.option(view, "report-loads")
        groups = _groups(view)
        dekker = _dekker_groups(view, groups)
        for group in groups:
            advice = _advise(view, group, dekker)
            for site in group.sites:
                if not site.op.defaulted or not in_linted_file(view, site.op.node):
                    continue
                if site.role == LOAD and not report_loads:
                    continue
                yield self._finding(view, group, site, _construction_advice(view, group, site) or advice)

    def _finding(self, view, group: _Group, site: _Site, advice: _Advice) -> Finding:
        op = site.op
        order = _order_for(advice, site)
        why = advice.why
        if advice.pattern in ("sync-counter", "refcount") and site.role == ADD:
            why += "; " + text.ADD_REASON[_add_reason(site, order, advice.pattern == "refcount")]
        opening = text.BUILTIN_OPENING if op.api == "builtin" else text.OPENING
        spelled = order_spelling(op, order, language=view.language) if order is not None else ""
        if advice.pattern in text.ENDING:
            message = f"{_describe(view, op)} {opening}{text.ENDING[advice.pattern].format(order=spelled)}"
        else:
            message = (f"{_describe(view, op)} {opening}, {text.KIND[advice.pattern]}: "
                       + (f"use {spelled}" if spelled else "write the order it needs"))
        target = view.analysis.target
        # a load whose weaker order compiles to the same instruction (every order on x86-64) is an info
        quiet_load = site.role == LOAD and not weaker_order_gains(target, LOAD, order)
        base = Severity.INFO if quiet_load or advice.pattern == "dekker" else self.severity
        edits = _edits(view, op, site, order) if order is not None else None
        the_fix = fix(f"write {order_spelling(op, order, language=view.language)}", edits,
                      Applicability.SAFE if advice.safe else Applicability.UNSAFE) if edits else None
        cost = text.cost(target, site.role, order)
        notes = (f"{why[0].upper()}{why[1:]}.", f"{cost[0].upper()}{cost[1:]}.",
                 *((advice.detail,) if advice.detail else ()), *_notes(group, site))
        return Finding(op.node.range, message, severity=self.severity_for(view, op.node, base),
                       fix=the_fix, notes=notes, case=_EVIDENCE_CASE.get(site.role))


# --------------------------------------------------------------------------- gathering


def _groups(view) -> list[_Group]:
    """The file's atomic operations, grouped by the variable or member they operate on."""
    groups: list[_Group] = []
    for op in view.atomic_ops:
        role = operation_role(op)
        if role == ADD:
            usage = traced_value_use(op.node, op.function.body if op.function is not None else None)
        else:
            usage = value_use(op.node)
        site = _Site(op, role, usage, role != FENCE and in_loop_condition(view, op.node),
                     role == ADD and is_decrement(op))
        target = op.target
        group = None if target is None else next(
            (g for g in groups if g.target is not None and (g.target == target or same_entity(g.target, target))), None)
        if group is None:
            group = _Group(target)
            groups.append(group)
        group.sites.append(site)
    return groups


# --------------------------------------------------------------------------- patterns


def _dekker_groups(view, groups: list[_Group]) -> set[_Group]:
    """Groups in a store->load handshake with another object: a seq_cst store followed in the
    same function, with no join between, by a seq_cst load of another object, mirrored by the
    reverse pair somewhere in the file (or on two elements of one array, as Peterson's lock)."""
    owner: dict[int, _Group] = {}
    by_function: dict[int, list[_Site]] = {}
    for g in groups:
        if g.target is not None and g.roles() <= {LOAD, STORE}:
            for s in g.sites:
                owner[id(s)] = g
                if (s.op.defaulted or "seq_cst" in s.op.orders) and s.op.function is not None:
                    by_function.setdefault(id(s.op.function), []).append(s)
    joins = view.analysis.joins
    pairs: set[tuple[_Group, _Group]] = set()
    marked: set[_Group] = set()
    for sites in by_function.values():
        sites.sort(key=lambda s: s.op.node.range.start)
        for i, store in enumerate(sites):
            for load in sites[i + 1:] if store.role == STORE else ():
                if load.role != LOAD or joins.joined_between(store.op.function, store.op.node, load.op.node):
                    continue
                a, b = owner[id(store)], owner[id(load)]
                if a is not b:
                    pairs.add((a, b))
                elif object_text(view.source, store.op) != object_text(view.source, load.op):
                    marked.add(a)
    return marked | {g for a, b in pairs if (b, a) in pairs for g in (a, b)}


def _advise(view, group: _Group, dekker: set[_Group]) -> _Advice:
    """The pattern the group's operations form, and the orders it needs."""
    roles = group.roles()
    if roles == {FENCE}:
        return _advice("fence", {})
    if group.target is None:
        return _advice("unknown", {}, name="this object")
    name = f"`{group.target.spelling}`"
    rmws = [s for s in group.sites if s.role == RMW]
    if group in dekker:
        pattern = "dekker"
    elif roles <= {ADD, LOAD} and ADD in roles:
        return _counter_advice(view, group, name)
    elif roles == {LOAD, STORE}:
        pattern = "flag"
    elif rmws and STORE in roles and ADD not in roles and all(s.usage == "tested" or s.spin for s in rmws):
        pattern = "lock"
    else:
        pattern = "rmw-sync" if rmws else "unknown"
    return _advice(pattern, _ORDERS.get(pattern, {}), safe=pattern == "dekker", name=name,
                   loads=group.lines(LOAD), stores=group.lines(STORE), rmws=group.lines(RMW))


def _counter_advice(view, group: _Group, name: str) -> _Advice:
    """Only adds and loads: a reference count, an arrival counter whose value is tested or
    awaited, or a plain counter (a safe fix when it is private and read after the joins)."""
    loads = [s for s in group.sites if s.role == LOAD]
    deciding = [s for s in group.sites if s.decides]
    spinning = [s for s in loads if s.spin]
    if deciding or spinning:
        where = _line_list([s.line for s in deciding + spinning])
        untested = "release" if spinning else "relaxed"
        refcount = any(s.decrement for s in deciding)
        orders = {"tested-add": "acq_rel", "untested-sub": "release" if refcount else untested,
                  "untested-add": untested, LOAD: "acquire"}
        return _advice("refcount" if refcount else "sync-counter", orders, name=name, where=where)
    if not loads:
        return _advice("counter", _ORDERS["counter"], name=name)
    if not all(view.analysis.joins.joined_before(s.op.node, s.op.function) for s in loads):
        return _advice("counter", _ORDERS["counter"], why="counter-read", name=name, loads=group.lines(LOAD))
    safe = file_private(view, group.target)
    return _advice("counter", _ORDERS["counter"], why="counter-joined" if safe else "counter-shared", safe=safe,
                   name=name, loads=group.lines(LOAD))


def _advice(pattern: str, orders: dict[str, str], *, why: str = "", safe: bool = False, **names: str) -> _Advice:
    """The advice for ``pattern``: its reason (messages.WHY[why or pattern], filled in with
    ``names``), its note and its orders."""
    return _Advice(pattern, text.WHY[why or pattern].format(**names), text.DETAIL.get(pattern, ""), orders, safe)


def _add_reason(site: _Site, order: str, refcount: bool) -> str:
    """Which reason (messages.ADD_REASON) this add of a counting pattern needs ``order`` for."""
    if site.decides:
        return "deciding-decrement" if site.decrement else "deciding"
    if refcount:
        return "discarded-decrement" if site.decrement else "increment"
    return "awaited" if order == "release" else "untested"


def _construction_advice(view, group: _Group, site: _Site) -> Optional[_Advice]:
    """An operation on ``this``'s own member in its constructor, before the constructor calls
    anything that could start a thread or publish ``this``: no other thread can see it yet."""
    target, fn = group.target, site.op.function
    if target is None or fn is None or target.kind != K.FIELD_DECL or site.role == FENCE:
        return None
    if fn.node.kind != K.CONSTRUCTOR or not same_entity(fn.node.semantic_parent, target.semantic_parent):
        return None
    if object_text(view.source, site.op) not in (target.spelling, f"this->{target.spelling}"):
        return None  # another object's member
    body = fn.body
    if body is None or not site.op.node.is_within(body):
        return None
    atomic_nodes = {id(s.op.node) for s in group.sites} | {id(op.node) for op in view.atomic_ops if op.function is fn}
    start = site.op.node.range.start
    if any(n.kind == K.CALL_EXPR and n.range.end <= start and id(n) not in atomic_nodes for n in body.walk()):
        return None  # an earlier call may already have shared the object
    return _advice("construction", _ORDERS["construction"], name=f"`{target.spelling}`")


def _order_for(advice: _Advice, site: _Site) -> Optional[str]:
    if site.role == ADD and "tested-add" in advice.orders:
        return advice.orders["tested-add" if site.decides else "untested-sub" if site.decrement else "untested-add"]
    return advice.orders.get(site.role)


# --------------------------------------------------------------------------- messages


def _line_list(lines: list[int]) -> str:
    lines = sorted(set(lines))
    if not lines:
        return "nowhere"
    shown = ", ".join(str(n) for n in lines[:6]) + (", ..." if len(lines) > 6 else "")
    return f"{'line' if len(lines) == 1 else 'lines'} {shown}"


def _describe(view, op: AtomicOp) -> str:
    """The operation as written, on its object: ```fetch_add` on `s.hits```."""
    obj = object_text(view.source, op)
    if obj.startswith("&") and is_postfix_name(obj[1:]):
        obj = obj[1:]
    if not obj or len(obj) > 40:
        obj = op.target.spelling if op.target is not None and op.target.spelling else "the object"
    api = op.api
    if api == "c11" and is_c11_function_call(op):
        what = op.node.leading_token
    elif api == "conversion" or (api == "c11" and op.operation == "load"):
        return f"The implicit load of `{obj}`"
    elif api in ("operator", "c11"):
        what = operator_spelling(op)
    elif api == "free":
        what = f"std::{op.node.spelling}"
    elif api == "builtin":
        what = op.node.spelling.rstrip("0123456789").rstrip("_")
        if op.object is None:
            return f"`{what}`"
    else:
        what = op.operation
    return f"`{what}` on `{obj}`"


def _notes(group: _Group, site: _Site) -> tuple[str, ...]:
    others = [s for s in group.sites if s is not site]
    if not others or group.target is None:
        return ()
    parts = [f"{word} at {_line_list(lines)}" for role, word in text.ALSO
             if (lines := [s.line for s in others if s.role == role])]
    return (f"`{group.target.spelling}` is also " + "; ".join(parts),) if parts else ()


# --------------------------------------------------------------------------- edits


def _edits(view, op: AtomicOp, site: _Site, order: str) -> Optional[list[Edit]]:
    """The order written into a call, or an operator or implicit load rewritten as one."""
    if op.api == "c11" and not has_include(view.source, "stdatomic.h"):
        return None  # memory_order_* and the _explicit functions come from <stdatomic.h>
    try:
        if written_as_call(op):
            return order_argument_edits(view.source, op, order, language=view.language)
        return _expression_edits(view, op, site, order)
    except (IndexError, ValueError):
        return None


def _expression_edits(view, op: AtomicOp, site: _Site, order: str) -> Optional[list[Edit]]:
    """An operator or implicit load rewritten as the call it stands for: ``x.fetch_add(1, o)``
    (C: ``atomic_fetch_add_explicit(&x, 1, o)``). A used value is kept as the standard defines
    it (``(x.fetch_add(1, o) + 1)`` for ``++x``) in C++, for a type promotion leaves alone and,
    after ``op=``, a literal; else no fix."""
    c = op.api == "c11"
    obj = op.object
    raw = view.source.text(obj.range) if obj is not None else None
    if not raw or (not c and not op.node.range.contains(obj.range)):
        return None
    order_text = order_spelling(op, order, language=view.language)

    def call(member: str, *args: str) -> str:
        if c:
            return f"atomic_{member}_explicit({', '.join([address_of(raw.strip()), *args, order_text])})"
        return f"{member_object(raw.strip())}.{member}({', '.join([*args, order_text])})"

    if op.operation == "load":  # an implicit load
        whole = view.source.text(op.node.range)
        return [replace(op.node, call("load"))] if whole is not None and whole.strip() == raw.strip() else None
    parts = _operator_parts(view, op, raw)
    if parts is None:
        return None
    form, rhs = parts
    used = site.usage != "unused"
    if form != "binary":
        member = "fetch_add" if op.operation == "increment" else "fetch_sub"
        if form == "post" or not used:
            return [replace(op.node, call(member, "1"))]
        if c or not _unpromoted(op):
            return None
        return [replace(op.node, f"({call(member, '1')} {'+' if member == 'fetch_add' else '-'} 1)")]
    spelled = operator_spelling(op)
    member = _MEMBER.get(spelled)
    if member is None:
        return None
    if not used:
        return [replace(op.node, call(member, rhs))]
    # x op= v yields fetch_op(v) op v; only a literal v may be written twice
    if c or member == "store" or not re.fullmatch(r"\d+[uUlL]*", rhs) or not _unpromoted(op):
        return None
    return [replace(op.node, f"({call(member, rhs)} {spelled[0]} {rhs})")]


def _operator_parts(view, op: AtomicOp, obj_text: str) -> Optional[tuple[str, Optional[str]]]:
    """(form, right-hand side) of an operator written in this file, form being pre, post or
    binary; None when the text does not read as that operator."""
    whole = view.source.text(op.node.range)
    if whole is None:
        return None
    flat, flat_obj = re.sub(r"\s+", "", whole), re.sub(r"\s+", "", obj_text)
    if op.operation in ("increment", "decrement"):
        sign = "++" if op.operation == "increment" else "--"
        return ("pre", None) if flat == sign + flat_obj else ("post", None) if flat == flat_obj + sign else None
    args = operand_list(op.node)
    rhs = view.source.text(args[-1].range) if len(args) >= 2 else None
    if not rhs or flat != flat_obj + operator_spelling(op) + re.sub(r"\s+", "", rhs):
        return None
    return "binary", rhs.strip()


def _unpromoted(op: AtomicOp) -> bool:
    """``x.fetch_add(1) + 1`` has the type ``++x`` has: the atomic's value type survives
    integer promotion."""
    args = op.atomic_type.template_arguments if op.atomic_type is not None else []
    return len(args) == 1 and survives_integer_promotion(args[0])
