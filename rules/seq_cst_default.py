"""seq-cst-default: atomic operations that are sequentially consistent only because no
memory order was written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

from hotlint.model import Applicability, Edit, Range, Severity
from hotlint.rule import Finding, Option, Rule, fix
from hotlint.view import FUNCTION_KINDS, AtomicOp, for_semicolons

from ._seq_cst_default_text import in_main_file, shifted, text_at

# What an operation does to its object, which decides the order its pattern needs.
LOAD, STORE, ADD, RMW, FENCE = "load", "store", "add", "rmw", "fence"

_ROLE = {
    "load": LOAD, "test": LOAD, "wait": LOAD,
    "store": STORE, "clear": STORE,
    "fetch_add": ADD, "fetch_sub": ADD, "increment": ADD, "decrement": ADD,
    "fetch_and_add": ADD, "fetch_and_sub": ADD, "add_and_fetch": ADD, "sub_and_fetch": ADD,
    "synchronize": FENCE,
}

# Operators spelled in messages, and the member function each one is short for.
_OPERATOR_SPELLING = {
    "increment": "++", "decrement": "--", "store": "=", "fetch_add": "+=", "fetch_sub": "-=",
    "fetch_and": "&=", "fetch_or": "|=", "fetch_xor": "^=",
}
_COMPOUND_MEMBER = {"+=": "fetch_add", "-=": "fetch_sub", "&=": "fetch_and", "|=": "fetch_or", "^=": "fetch_xor"}
_C11_COMPOUND = {"+=": "atomic_fetch_add_explicit", "-=": "atomic_fetch_sub_explicit",
                 "&=": "atomic_fetch_and_explicit", "|=": "atomic_fetch_or_explicit",
                 "^=": "atomic_fetch_xor_explicit"}
_SYNC_RENAMES = {
    **{f"fetch_and_{o}": f"__atomic_fetch_{o}" for o in ("add", "sub", "or", "and", "xor", "nand")},
    **{f"{o}_and_fetch": f"__atomic_{o}_fetch" for o in ("add", "sub", "or", "and", "xor", "nand")},
}
_COMPARISONS = {"==", "!=", "<", ">", "<=", ">=", "&&", "||", "<=>"}
# Operations that take from the count; a fetch_add of a negative constant counts too.
_DECREMENTS = {"fetch_sub", "decrement", "fetch_and_sub", "sub_and_fetch"}
_NEGATABLE = {"fetch_add", "fetch_and_add", "add_and_fetch"}
_JOINS = {"std::thread::join", "std::jthread::join"}
_SIMPLE_POSTFIX = re.compile(r"^[A-Za-z_]\w*(?:\s*(?:\.|->|::)\s*[A-Za-z_]\w*|\s*\[[^\[\]]*\])*$")
_STDATOMIC_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*<stdatomic\.h>", re.M)
_HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".inl", ".ipp", ".tcc")

# The failure order the single-order compare_exchange overload derives from its success order.
_FAILURE_ORDER = {"relaxed": "relaxed", "acquire": "acquire", "release": "relaxed",
                  "acq_rel": "acquire", "seq_cst": "seq_cst"}

_COST = {
    LOAD: "a seq_cst load is a plain MOV on x86-64 (TSO) but an LDAR on AArch64 and a full `sync` "
          "on POWER, and it stops the compiler from merging or hoisting the load",
    STORE: "a seq_cst store is an XCHG on x86-64, a full barrier that drains the store buffer "
           "(about 20 cycles), where release and relaxed stores are a plain MOV",
    ADD: "the read-modify-write is LOCK-prefixed on x86-64 under any order, so there seq_cst costs "
         "the compiler's freedom to reorder around it; AArch64 needs the acquire-release form "
         "(LDADDAL, not LDADD) and POWER a full `sync`",
    FENCE: "MFENCE on x86-64 (about 30 cycles, it drains the store buffer) and `dmb ish` on AArch64",
}
_COST[RMW] = _COST[ADD]


@dataclass(eq=False)
class _Site:
    """One atomic operation with what the pattern analysis needs to know about it."""

    op: AtomicOp
    role: str
    usage: str  # unused, tested, value
    spin: bool  # evaluated in a loop's condition: the thread waits on it
    seq_cst: bool  # runs as seq_cst, written or not
    decrement: bool = False  # takes from the count (a reference count's release point)

    @property
    def decides(self) -> bool:
        """The result drives what the thread does next: a tested value, or any use of a
        decrement's result (returned, stored, compared later, passed on), which is how a
        reference count tells its caller to free the object."""
        return self.role == ADD and (self.usage == "tested" or (self.decrement and self.usage == "value"))


@dataclass(eq=False)
class _Group:
    """Every operation in the file on one atomic variable or member."""

    target: object  # a Node, or None for an object hotlint cannot name
    sites: list[_Site] = field(default_factory=list)

    def roles(self) -> set[str]:
        return {s.role for s in self.sites}

    def lines(self, role: str, **flags) -> list[int]:
        return sorted({s.op.node.range.start.line for s in self.sites
                       if s.role == role and all(getattr(s, k) == v for k, v in flags.items())})


@dataclass
class _Advice:
    pattern: str
    why: str  # the pattern, in the message
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
    not.

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
    The default is the most expensive order, and it is usually not what the code needs. On
    x86-64 a seq_cst store is an `XCHG` (or `MOV` + `MFENCE`): a full barrier that drains the
    store buffer, about 20 cycles, where a release store is a plain `MOV`. Read-modify-writes
    are `LOCK`-prefixed under every order on x86-64, so there the default costs the compiler's
    freedom to reorder and combine around them; on AArch64 and POWER every seq_cst access needs
    stronger instructions or full `sync` barriers. Loads are plain `MOV`s on x86-64 under any
    order (TSO), so seq_cst loads are reported at `info` severity. The measured slow/fast ratio
    of a hot seq_cst store loop against its release form comes from the rule's bench pair:
    `hotlint bench seq-cst-default`.

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
        dekker = _dekker_pairs(view, groups)
        for group in groups:
            advice = _advise(view, group, dekker)
            for site in group.sites:
                op = site.op
                if not op.defaulted or not in_main_file(view, op.node):
                    continue
                if site.role == LOAD and not report_loads:
                    continue
                yield self._finding(view, group, site, _construction_advice(view, group, site) or advice)

    def _finding(self, view, group: _Group, site: _Site, advice: _Advice) -> Finding:
        op = site.op
        order = _order_for(advice, site)
        opening = ("is a legacy builtin, always seq_cst" if op.api == "builtin"
                   else "is seq_cst only because no memory order is written")
        message = f"{_describe(view, op)} {opening}: {_COST[site.role]}"
        why = advice.why
        if advice.pattern in ("sync-counter", "refcount") and site.role == ADD:
            why += "; " + _sync_counter_reason(site, order, advice.pattern == "refcount")
        message += f". {why[0].upper()}{why[1:]}"
        if advice.pattern == "dekker":
            message += f": write {_order_text(view, op, order)} so the choice is visible"
        elif order is not None:
            message += f": use {_order_text(view, op, order)}"
        message += "."
        base = Severity.INFO if site.role == LOAD or advice.pattern == "dekker" else self.severity
        edits = _edits(view, op, site, order) if order is not None else None
        the_fix = None
        if edits:
            the_fix = fix(f"write {_order_text(view, op, order)}", edits,
                          Applicability.SAFE if advice.safe else Applicability.UNSAFE)
        notes = ((advice.detail,) if advice.detail else ()) + _notes(group, site)
        return Finding(op.node.range, message, severity=self.severity_for(view, op.node, base),
                       fix=the_fix, notes=notes)


# --------------------------------------------------------------------------- gathering


def _role(op: AtomicOp) -> str:
    name = op.operation[len("flag_"):] if op.operation.startswith("flag_") else op.operation
    return _ROLE.get(name, RMW)


def _bare(node):
    while node is not None and node.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and node.children:
        node = node.children[0]
    return node


def _usage(node) -> str:
    """How the value of an expression is used: ``unused``, ``tested`` (a condition or a
    comparison) or ``value``."""
    cur, parent = node, node.parent
    while parent is not None and parent.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR"):
        cur, parent = parent, parent.parent
    if parent is None or parent.kind in ("COMPOUND_STMT", "CASE_STMT", "DEFAULT_STMT", "LABEL_STMT"):
        return "unused"
    kind = parent.kind
    if kind in ("IF_STMT", "WHILE_STMT", "SWITCH_STMT", "DO_STMT", "FOR_STMT"):
        return "tested" if _is_condition_of(parent, cur) else "unused"
    if kind == "CONDITIONAL_OPERATOR":
        return "tested" if parent.children and parent.children[0] is cur else "value"
    if kind == "CSTYLE_CAST_EXPR" and parent.type.spelling == "void":
        return "unused"
    if kind == "BINARY_OPERATOR":
        operator = parent.operator
        if operator in _COMPARISONS:
            return "tested"
        if operator == "," and parent.children and parent.children[0] is cur:
            return "unused"
        return "value"
    if kind == "UNARY_OPERATOR" and parent.operator == "!":
        return "tested"
    if kind == "CALL_EXPR" and (parent.operator or "") in _COMPARISONS:
        return "tested"
    return "value"


def _traced_usage(op: AtomicOp) -> str:
    """``_usage`` of the operation, following a value stored in a local variable to where it
    is used: ``auto n = arrived.fetch_add(1); if (n == last)`` tests the result."""
    usage = _usage(op.node)
    if usage != "value" or op.function is None or op.function.body is None:
        return usage
    holder = op.node.parent
    while holder is not None and holder.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR"):
        holder = holder.parent
    if holder is None or holder.kind != "VAR_DECL":
        return usage
    for ref in op.function.body.walk():
        if ref.kind == "DECL_REF_EXPR" and ref.referenced is not None and \
                ref.referenced.is_same_declaration(holder) and _usage(ref) == "tested":
            return "tested"
    return usage


def _is_decrement(op: AtomicOp) -> bool:
    if op.operation in _DECREMENTS:
        return True
    if op.operation not in _NEGATABLE:
        return False
    node = op.node
    args = node.arguments if node.kind == "CALL_EXPR" else node.children
    if op.api == "member":
        args = [a for a in args if a.is_written and not a.type.unqualified_name.endswith("memory_order")]
        delta = args[0] if args else None
    elif op.api == "operator":
        delta = args[-1] if len(args) >= 2 else None
    elif op.api in ("free", "builtin"):
        delta = args[1] if len(args) >= 2 else None
    else:
        delta = None
    delta = _bare(delta) if delta is not None else None
    return delta is not None and delta.kind == "UNARY_OPERATOR" and delta.operator == "-"


def _is_condition_of(stmt, child) -> bool:
    if stmt.kind == "FOR_STMT":
        positions = for_semicolons(stmt)
        return len(positions) == 2 and positions[0] < child.range.start < positions[1]
    if stmt.kind == "DO_STMT":
        return bool(stmt.children) and child is not stmt.children[0]
    close = _condition_close(stmt)
    return close is not None and child.range.end <= close


def _condition_close(stmt):
    depth = 0
    for spelling, pos in stmt.token_positions:
        if spelling == "(":
            depth += 1
        elif spelling == ")":
            depth -= 1
            if depth == 0:
                return pos
    return None


def _in_loop_condition(view, node) -> bool:
    loop = view.enclosing_loop(node)
    if loop is None:
        return False
    cond = loop.condition
    return cond is not None and (node is cond or node.is_within(cond))


def _is_seq_cst(op: AtomicOp) -> bool:
    return op.defaulted or "seq_cst" in op.orders


def _groups(view) -> list[_Group]:
    groups: list[_Group] = []
    for op in view.atomic_ops:
        target = op.target
        role = _role(op)
        site = _Site(op, role, _traced_usage(op) if role == ADD else _usage(op.node), False,
                     _is_seq_cst(op), decrement=role == ADD and _is_decrement(op))
        site.spin = site.role != FENCE and _in_loop_condition(view, op.node)
        group = None
        if target is not None:
            group = next((g for g in groups if g.target is not None and
                          (g.target == target or g.target.is_same_declaration(target))), None)
        if group is None:
            group = _Group(target)
            groups.append(group)
        group.sites.append(site)
    return groups


# --------------------------------------------------------------------------- patterns


def _dekker_pairs(view, groups: list[_Group]) -> set[int]:
    """Groups (by id) in a store->load handshake with another object: a seq_cst store followed
    in the same function by a seq_cst load of another object, mirrored by the reverse pair
    somewhere in the file (or on two elements of one array, as Peterson's lock does)."""
    flaggy = {id(g) for g in groups if g.target is not None and g.roles() <= {LOAD, STORE}}
    owner = {id(s.op): g for g in groups for s in g.sites}
    by_function: dict[int, list[_Site]] = {}
    for g in groups:
        if id(g) not in flaggy:
            continue
        for s in g.sites:
            if s.seq_cst and s.op.function is not None:
                by_function.setdefault(id(s.op.function), []).append(s)
    joins = [c for c in view.calls if c.name == "join" and c.qualified_name in _JOINS]
    pairs: set[tuple[int, int]] = set()
    marked: set[int] = set()
    for sites in by_function.values():
        sites.sort(key=lambda s: s.op.node.range.start)
        for i, store in enumerate(sites):
            if store.role != STORE:
                continue
            for load in sites[i + 1:]:
                if load.role != LOAD:
                    continue
                if any(c.function is store.op.function and store.op.node.range.end <= c.node.range.start
                       and c.node.range.end <= load.op.node.range.start for c in joins):
                    continue
                a, b = owner[id(store.op)], owner[id(load.op)]
                if a is b:
                    if _object_text(view, store.op) != _object_text(view, load.op):
                        marked.add(id(a))
                else:
                    pairs.add((id(a), id(b)))
    for a, b in pairs:
        if (b, a) in pairs:
            marked.update((a, b))
    return marked


def _object_text(view, op: AtomicOp) -> str:
    obj = op.object
    if obj is None:
        return ""
    return re.sub(r"\s+", "", text_at(view, obj.range) or "")


def _advise(view, group: _Group, dekker: set[int]) -> _Advice:
    roles = group.roles()
    sites = group.sites
    name = f"`{group.target.spelling}`" if group.target is not None else "this object"
    if roles == {FENCE}:
        return _Advice("fence", "a legacy full barrier: use std::atomic_thread_fence (or "
                       "__atomic_thread_fence) with the order the code needs; acquire, release and "
                       "acq_rel fences emit no instruction on x86-64", "", {})
    if group.target is None:
        return _Advice("unknown", _UNKNOWN.format(name="this object"), "", {})
    if id(group) in dekker:
        return _Advice("dekker", f"{name} takes part in a store-to-load handshake, which only "
                       "seq_cst orders",
                       "A store to one flag followed by a load of another, mirrored in the other "
                       "thread (Dekker's and Peterson's algorithms), needs the single total order "
                       "of seq_cst; writing it makes the choice visible.",
                       {LOAD: "seq_cst", STORE: "seq_cst"}, safe=True)
    adds = [s for s in sites if s.role == ADD]
    loads = [s for s in sites if s.role == LOAD]
    stores = [s for s in sites if s.role == STORE]
    rmws = [s for s in sites if s.role == RMW]
    if roles <= {ADD, LOAD} and adds:
        deciding = [s for s in adds if s.decides]
        spinning = [s for s in loads if s.spin]
        if deciding or spinning:
            where = _line_list([s.op.node.range.start.line for s in deciding + spinning])
            refcount = any(s.decrement for s in deciding)
            if refcount:
                why = (f"{name} is a reference count: the result of a decrement decides what happens "
                       f"next ({where}), as when the last owner frees the object")
                detail = ("A reference count: release on every decrement publishes that thread's writes "
                          "to the object, and acquire on the decrement that reaches zero makes all of "
                          "them visible before the free. So a decrement whose result is used (tested, "
                          "compared, returned, stored or passed on) needs acq_rel, or release plus "
                          "std::atomic_thread_fence(std::memory_order_acquire) before the delete; one "
                          "whose result is discarded needs release; increments need no ordering "
                          "(relaxed, as std::shared_ptr does). On x86-64 all of these are the same "
                          "LOCK-prefixed instruction as seq_cst.")
            else:
                why = f"the value of {name} is tested or awaited ({where}), so it hands data between threads"
                detail = ("An arrival counter: the increment or decrement whose result is tested needs "
                          "acq_rel; increments never tested need no ordering (relaxed) unless a thread "
                          "waits for them (release); loads that wait need acquire.")
            untested = "release" if spinning else "relaxed"
            return _Advice("refcount" if refcount else "sync-counter", why, detail,
                           {"tested-add": "acq_rel", "untested-sub": "release" if refcount else untested,
                            "untested-add": untested, LOAD: "acquire"})
        read_lines = _line_list([s.op.node.range.start.line for s in loads])
        note = ("A counter needs atomicity, not ordering: relaxed increments are still never lost. "
                "It needs release/acquire only if a reader uses its value to decide that other "
                "data is ready.")
        if loads and all(_after_join(view, s.op) for s in loads):
            safe = _file_private(view, group.target)
            short = (f"{name} is only counted here and read after the threads are joined "
                     f"({read_lines})")
            if not safe:
                short += "; other files may use it too"
            return _Advice("counter", short, note, {ADD: "relaxed", LOAD: "relaxed"}, safe=safe)
        if loads:
            short = f"{name} is only counted here and read ({read_lines})"
        else:
            short = f"{name} is only counted in this file"
        return _Advice("counter", short, note, {ADD: "relaxed", LOAD: "relaxed"})
    if roles == {LOAD, STORE}:
        return _Advice("flag", f"{name} is only stored ({_line_list(group.lines(STORE))}) and loaded "
                       f"({_line_list(group.lines(LOAD))}), a flag",
                       "A release store publishes everything written before it to the thread whose "
                       "acquire load reads the stored value; only Dekker-style store-to-load "
                       "ordering needs seq_cst.", {STORE: "release", LOAD: "acquire"})
    if rmws and stores and not adds and all(s.usage == "tested" or s.spin for s in rmws):
        return _Advice("lock", f"{name} is taken by a tested read-modify-write "
                       f"({_line_list(group.lines(RMW))}) and released by a store "
                       f"({_line_list(group.lines(STORE))}), a lock",
                       "A lock needs acquire on the read-modify-write that takes it, release on "
                       "the store that frees it, and nothing on loads that only spin.",
                       {RMW: "acquire", STORE: "release", LOAD: "relaxed"})
    if rmws:
        return _Advice("rmw-sync", f"{name} is updated by read-modify-writes "
                       f"({_line_list(group.lines(RMW))}) that hand data between threads",
                       "acq_rel on read-modify-writes, acquire on loads and release on stores keep "
                       "every happens-before edge; only Dekker-style store-to-load ordering needs "
                       "seq_cst.", {RMW: "acq_rel", ADD: "acq_rel", LOAD: "acquire", STORE: "release"})
    return _Advice("unknown", _UNKNOWN.format(name=name), "", {})


def _sync_counter_reason(site: _Site, order: str, refcount: bool) -> str:
    """Why this add or subtract of a synchronizing counter needs ``order``."""
    if site.decides and site.decrement:
        return ("the decrement that reaches zero must see every other thread's writes before the free, "
                "so it needs release and acquire: acq_rel, or release plus "
                "std::atomic_thread_fence(std::memory_order_acquire) before the free (relaxed would "
                "let the free race with another thread's last writes)")
    if site.decides:
        return "the thread that sees the tested value must also see what the others wrote before it"
    if refcount and site.decrement:
        return ("a decrement whose result is discarded still publishes this thread's writes to the "
                "thread that frees the object, so it needs release")
    if refcount:
        return ("an increment needs no ordering: a thread only adds a reference to an object it "
                "already holds")
    return "an increment or decrement whose value is never tested needs " + (
        "only release, for the thread that waits" if order == "release" else "no ordering")


def _construction_advice(view, group: _Group, site: _Site) -> Optional[_Advice]:
    """An operation on ``this``'s own member in its constructor, before the constructor calls
    anything that could start a thread or publish ``this``: no other thread can see it yet."""
    target, fn = group.target, site.op.function
    if target is None or fn is None or target.kind != "FIELD_DECL" or site.role == FENCE:
        return None
    if fn.node.kind != "CONSTRUCTOR":
        return None
    owner, record = fn.node.semantic_parent, target.semantic_parent
    if owner is None or record is None or not owner.is_same_declaration(record):
        return None
    if _object_text(view, site.op) not in (target.spelling, f"this->{target.spelling}"):
        return None  # another object's member
    body = fn.body
    if body is None or not site.op.node.is_within(body):
        return None
    atomic_nodes = {id(s.op.node) for g in [group] for s in g.sites} | {
        id(op.node) for op in view.atomic_ops if op.function is fn}
    start = site.op.node.range.start
    for n in body.walk():
        if n.kind == "CALL_EXPR" and n.range.end <= start and id(n) not in atomic_nodes:
            return None  # an earlier call may already have shared the object
    name = f"`{target.spelling}`"
    return _Advice("construction", f"{name} is set while the object is being constructed, before "
                   "anything could share it with another thread",
                   "Starting a thread, and any later release store that publishes the object, make "
                   "the value visible, so relaxed is enough here.",
                   {role: "relaxed" for role in (LOAD, STORE, ADD, RMW)})


_UNKNOWN = ("nothing else in this file shows what {name} synchronizes: choose the order explicitly "
            "(release stores and acquire loads if it hands over data, relaxed if it stands alone, "
            "seq_cst only for Dekker-style store-to-load ordering)")


def _order_for(advice: _Advice, site: _Site) -> Optional[str]:
    if site.role == ADD and "tested-add" in advice.orders:
        key = "tested-add" if site.decides else "untested-sub" if site.decrement else "untested-add"
        return advice.orders[key]
    return advice.orders.get(site.role)


def _line_list(lines: list[int]) -> str:
    lines = sorted(set(lines))
    if not lines:
        return "nowhere"
    word = "line" if len(lines) == 1 else "lines"
    shown = ", ".join(str(n) for n in lines[:6]) + (", ..." if len(lines) > 6 else "")
    return f"{word} {shown}"


def _after_join(view, op: AtomicOp) -> bool:
    """True when a thread join earlier in the same function, outside any loop that also
    holds the load, precedes the load."""
    start = op.node.range.start
    for call in view.calls:
        if call.name != "join" or call.function is not op.function or call.qualified_name not in _JOINS:
            continue
        if call.node.range.end > start:
            continue
        if call.loop is not None and (op.node.is_within(call.loop.node)):
            continue
        return True
    return False


def _file_private(view, target) -> bool:
    """Only this file can reach the variable: a local, an internal-linkage global, or a member
    of a class defined in this (non-header) source file."""
    if view.path.endswith(_HEADER_SUFFIXES):
        return False
    if target.kind == "VAR_DECL":
        parent = target.semantic_parent
        if parent is not None and parent.kind in FUNCTION_KINDS:
            return True
        if target.storage == "static":
            return True
        while parent is not None and parent.kind != "TRANSLATION_UNIT":
            if parent.kind == "NAMESPACE" and not parent.spelling:
                return True
            parent = parent.semantic_parent
        return False
    if target.kind == "FIELD_DECL":
        record = target.semantic_parent
        return record is not None and in_main_file(view, record)
    return False


# --------------------------------------------------------------------------- messages


def _is_c(view) -> bool:
    return view.language == "c"


def _order_text(view, op: AtomicOp, order: str) -> str:
    if op.api == "builtin":
        return f"__ATOMIC_{order.upper()}"
    return f"memory_order_{order}" if _is_c(view) else f"std::memory_order_{order}"


def _object_name(view, op: AtomicOp) -> str:
    """The object as written (``s.bits``, ``*p``), else the name of its declaration."""
    text = _object_text(view, op)
    if text.startswith("&") and _SIMPLE_POSTFIX.match(text[1:]):
        text = text[1:]
    if text and len(text) <= 40:
        return text
    target = op.target
    return target.spelling if target is not None and target.spelling else "the object"


def _describe(view, op: AtomicOp) -> str:
    obj = _object_name(view, op)
    api = op.api
    if api == "c11" and _c11_call(op):
        return f"`{op.node.leading_token}` on `{obj}`"
    if api == "conversion" or (api == "c11" and op.operation == "load"):
        return f"The implicit load of `{obj}`"
    if api in ("operator", "c11"):
        return f"`{_operator_spelling(op)}` on `{obj}`"
    if api == "free":
        return f"`std::{op.node.spelling}` on `{obj}`"
    if api == "builtin":
        builtin = op.node.spelling.rstrip("0123456789").rstrip("_")
        return f"`{builtin}`" if op.object is None else f"`{builtin}` on `{obj}`"
    return f"`{op.operation}` on `{obj}`"


def _c11_call(op: AtomicOp) -> bool:
    """A <stdatomic.h> function, as opposed to an operator or implicit read of an _Atomic."""
    return op.node.kind == "UNEXPOSED_EXPR" and (op.node.leading_token or "").startswith("atomic_")


def _operator_spelling(op: AtomicOp) -> str:
    node = op.node
    if node.kind in ("BINARY_OPERATOR", "COMPOUND_ASSIGNMENT_OPERATOR"):
        return node.operator or "="
    if node.kind == "UNARY_OPERATOR":
        return (node.operator or "++").replace("post", "")
    return _OPERATOR_SPELLING.get(op.operation, op.operation)


def _notes(group: _Group, site: _Site) -> tuple[str, ...]:
    others = [s for s in group.sites if s is not site]
    if not others or group.target is None:
        return ()
    parts = []
    for role, word in ((LOAD, "loaded"), (STORE, "stored"), (ADD, "incremented or decremented"),
                       (RMW, "read-modify-written")):
        lines = sorted({s.op.node.range.start.line for s in others if s.role == role})
        if lines:
            parts.append(f"{word} at {_line_list(lines)}")
    return (f"`{group.target.spelling}` is also " + "; ".join(parts),) if parts else ()


# --------------------------------------------------------------------------- edits


def _edits(view, op: AtomicOp, site: _Site, order: str) -> Optional[list[Edit]]:
    try:
        if op.api == "member":
            return _member_edits(view, op, order)
        if op.api == "free":
            return _free_edits(view, op, order)
        if op.api == "operator":
            return _operator_edits(view, op, site, order)
        if op.api == "conversion":
            return _replace_with_call(view, op, f".load({_order_text(view, op, order)})")
        if op.api == "builtin":
            return _builtin_edits(view, op, order)
        if op.api == "c11":
            return _c11_edits(view, op, site, order)
    except (IndexError, ValueError):
        return None
    return None


def _orders_argument(view, op: AtomicOp, order: str, two_for_cas: bool) -> str:
    if two_for_cas and "compare_exchange" in op.operation:
        return f"{_order_text(view, op, order)}, {_order_text(view, op, _FAILURE_ORDER[order])}"
    return _order_text(view, op, order)


def _append_argument(view, call, argument: str) -> Optional[Edit]:
    """Insert ``argument`` as the last argument of a call written out in this file."""
    text = text_at(view, call.range)
    if not text or not text.endswith(")"):
        return None
    written = [a for a in call.arguments if a.is_written]
    close = shifted(call.range.end, -1)
    return Edit(Range(close, close), (", " if written else "") + argument)


def _member_edits(view, op: AtomicOp, order: str) -> Optional[list[Edit]]:
    node = op.node
    ref = node.children[0] if node.children else None
    if ref is None or ref.kind != "MEMBER_REF_EXPR":
        return None
    name = op.operation  # a call resolved only at instantiation has no spelling of its own
    name_text = text_at(view, Range(shifted(ref.range.end, -len(name)), ref.range.end))
    tail = text_at(view, Range(ref.range.end, node.range.end))
    if name_text != name or tail is None or not re.fullmatch(r"\s*\(.*\)", tail, re.S):
        return None  # spelled inside a macro
    edit = _append_argument(view, node, _orders_argument(view, op, order, two_for_cas=False))
    return [edit] if edit else None


def _free_edits(view, op: AtomicOp, order: str) -> Optional[list[Edit]]:
    node = op.node
    callee = _bare(node.children[0]) if node.children else None
    if callee is None or callee.kind != "DECL_REF_EXPR":
        return None
    name = node.spelling
    if text_at(view, Range(shifted(callee.range.end, -len(name)), callee.range.end)) != name:
        return None
    if name.endswith("_explicit"):
        return None
    tail = _append_argument(view, node, _orders_argument(view, op, order, two_for_cas=True))
    if tail is None:
        return None
    return [Edit(Range(callee.range.end, callee.range.end), "_explicit"), tail]


def _object_source(view, op: AtomicOp) -> Optional[str]:
    obj = op.object
    if obj is None:
        return None
    text = text_at(view, obj.range)
    if not text or not op.node.range.contains(obj.range):
        return None
    text = text.strip()
    if _SIMPLE_POSTFIX.match(text) or (text.startswith("(") and _balanced_outer(text)):
        return text
    return f"({text})"


def _balanced_outer(text: str) -> bool:
    """``(a)`` but not ``(a) + (b)``: the first parenthesis closes at the end."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def _operator_parts(view, op: AtomicOp) -> Optional[tuple[str, str, Optional[str]]]:
    """(form, object text, right-hand side) of an operator call written in this file, where form
    is pre, post or binary; None when the text does not read as that operator."""
    node = op.node
    whole = text_at(view, node.range)
    obj = op.object
    if whole is None or obj is None:
        return None
    obj_text = text_at(view, obj.range)
    if not obj_text:
        return None
    flat = re.sub(r"\s+", "", whole)
    flat_obj = re.sub(r"\s+", "", obj_text)
    if op.operation in ("increment", "decrement"):
        sign = "++" if op.operation == "increment" else "--"
        if flat == sign + flat_obj:
            return "pre", obj_text, None
        if flat == flat_obj + sign:
            return "post", obj_text, None
        return None
    args = node.arguments if node.kind == "CALL_EXPR" else node.children
    if len(args) < 2:
        return None
    rhs = args[-1]
    rhs_text = text_at(view, rhs.range)
    spelled = _operator_spelling(op)
    if not rhs_text or flat != flat_obj + spelled + re.sub(r"\s+", "", rhs_text):
        return None
    return "binary", obj_text, rhs_text.strip()


def _operator_edits(view, op: AtomicOp, site: _Site, order: str) -> Optional[list[Edit]]:
    parts = _operator_parts(view, op)
    obj = _object_source(view, op)
    if parts is None or obj is None:
        return None
    form, _, rhs = parts
    order_text = _order_text(view, op, order)
    if form in ("pre", "post"):
        member = "fetch_add" if op.operation == "increment" else "fetch_sub"
        call = f"{obj}.{member}(1, {order_text})"
        if form == "pre" and site.usage != "unused":
            # ++x yields the new value and fetch_add the old one; the standard defines ++x as
            # fetch_add(1) + 1, which keeps its type unless the value type is promoted.
            if not _unpromoted(op):
                return None
            return [Edit(op.node.range, f"({call} {'+' if member == 'fetch_add' else '-'} 1)")]
        return [Edit(op.node.range, call)]
    spelled = _operator_spelling(op)
    member = "store" if spelled == "=" else _COMPOUND_MEMBER.get(spelled)
    if member is None:
        return None
    call = f"{obj}.{member}({rhs}, {order_text})"
    if site.usage == "unused":
        return [Edit(op.node.range, call)]
    # x op= v yields fetch_op(v) op v; only a literal v may be written twice
    if member == "store" or not re.fullmatch(r"\d+[uUlL]*", rhs) or not _unpromoted(op):
        return None
    return [Edit(op.node.range, f"({call} {spelled[0]} {rhs})")]


def _unpromoted(op: AtomicOp) -> bool:
    """The atomic's value type survives integer promotion (``int`` or wider, or a pointer), so
    ``x.fetch_add(1) + 1`` has the type ``++x`` has."""
    t = op.atomic_type
    args = t.template_arguments if t is not None else []
    if len(args) != 1:
        return False
    value = args[0]
    return value.is_pointer or (value.size is not None and value.size >= 4 and
                                value.canonical.kind not in ("FLOAT", "DOUBLE", "LONGDOUBLE", "BOOL"))


def _replace_with_call(view, op: AtomicOp, suffix: str) -> Optional[list[Edit]]:
    obj = _object_source(view, op)
    whole = text_at(view, op.node.range)
    raw = text_at(view, op.object.range) if op.object is not None else None
    if obj is None or whole is None or raw is None or whole.strip() != raw.strip():
        return None
    return [Edit(op.node.range, obj + suffix)]


def _builtin_edits(view, op: AtomicOp, order: str) -> Optional[list[Edit]]:
    node = op.node
    base = op.operation
    renamed = _SYNC_RENAMES.get(base)
    if renamed is None:
        return None
    written = f"__sync_{base}"
    start = node.range.start
    if text_at(view, Range(start, shifted(start, len(written)))) != written:
        return None
    after = text_at(view, Range(shifted(start, len(written)), shifted(start, len(written) + 1)))
    if after is None or re.match(r"\w", after):
        return None  # __sync_fetch_and_add_4 and friends: leave the sized forms alone
    tail = _append_argument(view, node, _order_text(view, op, order))
    if tail is None:
        return None
    return [Edit(Range(start, shifted(start, len(written))), renamed), tail]


def _c11_edits(view, op: AtomicOp, site: _Site, order: str) -> Optional[list[Edit]]:
    if not _STDATOMIC_INCLUDE.search(view.text):
        return None  # memory_order_* and the _explicit functions come from <stdatomic.h>
    order_text = _order_text(view, op, order)
    node = op.node
    if _c11_call(op):
        name = node.leading_token or ""
        start = node.range.start
        if text_at(view, Range(start, shifted(start, len(name)))) != name:
            return None
        tail_text = text_at(view, node.range)
        if not tail_text or not tail_text.endswith(")"):
            return None
        close = shifted(node.range.end, -1)
        orders = _orders_argument(view, op, order, two_for_cas=True)
        return [Edit(Range(shifted(start, len(name)), shifted(start, len(name))), "_explicit"),
                Edit(Range(close, close), ", " + orders)]
    obj = op.object
    raw = text_at(view, obj.range) if obj is not None else None
    if not raw:
        return None
    address = _address_of(raw.strip())
    if op.operation == "load":
        whole = text_at(view, node.range)
        if whole is None or whole.strip() != raw.strip():
            return None
        return [Edit(node.range, f"atomic_load_explicit({address}, {order_text})")]
    parts = _operator_parts(view, op)
    if parts is None:
        return None
    form, _, rhs = parts
    if form in ("pre", "post"):
        if form == "pre" and site.usage != "unused":
            return None
        func = "atomic_fetch_add_explicit" if op.operation == "increment" else "atomic_fetch_sub_explicit"
        return [Edit(node.range, f"{func}({address}, 1, {order_text})")]
    if site.usage != "unused":
        return None
    spelled = _operator_spelling(op)
    func = "atomic_store_explicit" if spelled == "=" else _C11_COMPOUND.get(spelled)
    if func is None:
        return None
    return [Edit(node.range, f"{func}({address}, {rhs}, {order_text})")]


def _address_of(lvalue: str) -> str:
    if lvalue.startswith("*") and _SIMPLE_POSTFIX.match(lvalue[1:].strip()):
        return lvalue[1:].strip()
    if lvalue.startswith("(") and _balanced_outer(lvalue):
        inner = lvalue[1:-1].strip()
        if inner.startswith("*") and _SIMPLE_POSTFIX.match(inner[1:].strip()):
            return inner[1:].strip()
    if _SIMPLE_POSTFIX.match(lvalue):
        return "&" + lvalue
    return f"&({lvalue})"

