"""The words of seq-cst-default's findings: what each order costs, why each pattern needs the
order it is given (the headline's ending, the reason and the note that explains it), keyed by
pattern. The headline says what the variable is and the order to write; the reason, the cost and
the explanation are notes.

``{name}`` is the variable in backquotes; ``{where}``, ``{loads}``, ``{stores}`` and ``{rmws}``
are line lists (``line 4``, ``lines 4, 9``): where the deciding operations, the loads, the
stores and the read-modify-writes are."""

from typing import Optional

from hotlint.analysis.atomics import ADD, FENCE, LOAD, RMW, STORE
from hotlint.analysis.target import ARM64, POWER, X86, X86_64, atomic_instructions, weaker_order_gains

# What the default order costs on the unit's target (``analysis.target``), by the operation's role:
# the instructions seq_cst and the suggested order compile to there, and what the weaker one saves.
_NOUN = {LOAD: "load", STORE: "store", ADD: "read-modify-write", RMW: "read-modify-write", FENCE: "fence"}
_FREEDOM = {LOAD: "merge or hoist the load", STORE: "reorder around it", ADD: "reorder around it",
            RMW: "reorder around it", FENCE: "reorder around it"}
_WEAKER = {LOAD: ("acquire", "relaxed"), STORE: ("release", "relaxed"),
           ADD: ("acq_rel", "acquire", "release", "relaxed"), FENCE: ("acq_rel", "acquire", "release")}
_WEAKER[RMW] = _WEAKER[ADD]
# What the weaker order's instructions save, by architecture and role (and order, where it differs).
_SAVES = {
    (X86_64, STORE): "it no longer drains the store buffer (about 20 cycles)",
    (ARM64, LOAD, "relaxed"): "a plain load orders nothing around it",
    (ARM64, LOAD, "acquire"): "an `LDAPR` may complete before this thread's earlier `STLR` stores, where an `LDAR` "
                              "waits for them (RCpc)",
    (ARM64, STORE): "a plain store orders nothing before it",
    (ARM64, ADD, "relaxed"): "neither its load nor its store half orders anything",
    (ARM64, ADD, "acquire"): "only its load half orders (acquire)",
    (ARM64, ADD, "release"): "only its store half orders (release)",
    (POWER, LOAD): "the `hwsync` full barrier goes",
    (POWER, STORE): "the `hwsync` full barrier goes",
    (POWER, ADD): "the `hwsync` full barrier goes",
}


def _saves(target, role: str, order: str) -> str:
    arch = X86_64 if target.arch == X86 else target.arch
    role = ADD if role == RMW else role
    return _SAVES.get((arch, role, order)) or _SAVES.get((arch, role)) or "the weaker order needs less ordering"


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def cost(target, role: str, order: Optional[str]) -> str:
    """What a seq_cst operation of ``role`` costs on ``target`` against ``order`` (the suggested
    one; None: none suggested), said from the instructions each compiles to there, and never a
    gain the machine code does not have."""
    noun = _NOUN[role]
    seq_cst = atomic_instructions(target, role, "seq_cst")
    if seq_cst is None:
        return (f"hotlint has no model of the instructions atomics compile to on {target.name}: whether a weaker "
                f"order is cheaper there is not known to it, only that it frees the compiler to {_FREEDOM[role]}")
    head = f"on {target.name} a seq_cst {noun} is {seq_cst}"
    if order is None:
        by_instructions: dict[str, list[str]] = {}
        for o in _WEAKER[role]:
            by_instructions.setdefault(atomic_instructions(target, role, o), []).append(o)
        cheaper = [f"{_and(orders)}: {instr}" for instr, orders in by_instructions.items() if instr != seq_cst]
        if not cheaper:
            return f"{head} under every order: no instruction is saved there, only the compiler's freedom to " \
                   f"{_FREEDOM[role]}"
        return f"{head}; {'; '.join(cheaper)}"
    if order == "seq_cst":
        return head
    weaker = atomic_instructions(target, role, order)
    if weaker_order_gains(target, role, order):
        return f"{head} and {_a(order)} one {weaker}: {_saves(target, role, order)}"
    elsewhere = " (weakly ordered targets such as arm64 differ)" if target.arch in (X86_64, X86) else ""
    return (f"{head}, as {_a(order)} one is: no instruction is saved there, only the compiler's freedom to "
            f"{_FREEDOM[role]}{elsewhere}")


OPENING = "is seq_cst by default"
BUILTIN_OPENING = "is a legacy builtin, always seq_cst"

# What the variable is, as the headline names it, by pattern; the patterns missing here have
# their own headline ending (``ENDING``).
KIND = {
    "counter": "a counter",
    "refcount": "a reference count",
    "sync-counter": "an arrival counter",
    "flag": "a flag",
    "lock": "a lock",
    "rmw-sync": "a data handoff",
    "construction": "not yet shared",
}
ENDING = {
    "fence": ": use std::atomic_thread_fence with the order the code needs",
    "unknown": ": nothing here shows what it synchronizes; write the order it needs",
    "dekker": ", a store-to-load handshake: write {order}",
}

# The reason (the finding's first note), by pattern (counters by what is known about their reads).
WHY = {
    "fence": ("a legacy full barrier: use std::atomic_thread_fence (or __atomic_thread_fence) with the order the "
              "code needs; acquire, release and acq_rel fences emit no instruction on x86-64"),
    "unknown": ("nothing else in this file shows what {name} synchronizes: choose the order explicitly (release "
                "stores and acquire loads if it hands over data, relaxed if it stands alone, seq_cst only for "
                "Dekker-style store-to-load ordering)"),
    "dekker": "{name} takes part in a store-to-load handshake, which only seq_cst orders",
    "refcount": ("{name} is a reference count: the result of a decrement decides what happens next ({where}), as "
                 "when the last owner frees the object"),
    "sync-counter": "the value of {name} is tested or awaited ({where}), so it hands data between threads",
    "counter-joined": "{name} is only counted here and read after the threads are joined ({loads})",
    "counter-shared": ("{name} is only counted here and read after the threads are joined ({loads}); other files "
                       "may use it too"),
    "counter-read": "{name} is only counted here and read ({loads})",
    "counter": "{name} is only counted in this file",
    "flag": "{name} is only stored ({stores}) and loaded ({loads}), a flag",
    "lock": "{name} is taken by a tested read-modify-write ({rmws}) and released by a store ({stores}), a lock",
    "rmw-sync": "{name} is updated by read-modify-writes ({rmws}) that hand data between threads",
    "construction": ("{name} is set while the object is being constructed, before anything could share it with "
                     "another thread"),
}

# The note that explains why the suggested orders suffice, by pattern.
DETAIL = {
    "dekker": ("A store to one flag followed by a load of another, mirrored in the other thread (Dekker's and "
               "Peterson's algorithms), needs the single total order of seq_cst; writing it makes the choice "
               "visible."),
    "refcount": ("A reference count: release on every decrement publishes that thread's writes to the object, and "
                 "acquire on the decrement that reaches zero makes all of them visible before the free. So a "
                 "decrement whose result is used (tested, compared, returned, stored or passed on) needs acq_rel, "
                 "or release plus std::atomic_thread_fence(std::memory_order_acquire) before the delete; one whose "
                 "result is discarded needs release; increments need no ordering (relaxed, as std::shared_ptr "
                 "does). On x86-64 all of these are the same LOCK-prefixed instruction as seq_cst."),
    "sync-counter": ("An arrival counter: the increment or decrement whose result is tested needs acq_rel; "
                     "increments never tested need no ordering (relaxed) unless a thread waits for them (release); "
                     "loads that wait need acquire."),
    "counter": ("A counter needs atomicity, not ordering: relaxed increments are still never lost. It needs "
                "release/acquire only if a reader uses its value to decide that other data is ready."),
    "flag": ("A release store publishes everything written before it to the thread whose acquire load reads the "
             "stored value; only Dekker-style store-to-load ordering needs seq_cst."),
    "lock": ("A lock needs acquire on the read-modify-write that takes it, release on the store that frees it, and "
             "nothing on loads that only spin."),
    "rmw-sync": ("acq_rel on read-modify-writes, acquire on loads and release on stores keep every happens-before "
                 "edge; only Dekker-style store-to-load ordering needs seq_cst."),
    "construction": ("Starting a thread, and any later release store that publishes the object, make the value "
                     "visible, so relaxed is enough here."),
}

# Why one add or subtract of a reference count or an arrival counter gets its order.
ADD_REASON = {
    "deciding-decrement": (
        "the decrement that reaches zero must see every other thread's writes before the free, so it needs release "
        "and acquire: acq_rel, or release plus std::atomic_thread_fence(std::memory_order_acquire) before the free "
        "(relaxed would let the free race with another thread's last writes)"),
    "deciding": "the thread that sees the tested value must also see what the others wrote before it",
    "discarded-decrement": ("a decrement whose result is discarded still publishes this thread's writes to the "
                            "thread that frees the object, so it needs release"),
    "increment": "an increment needs no ordering: a thread only adds a reference to an object it already holds",
    "awaited": "an increment or decrement whose value is never tested needs only release, for the thread that waits",
    "untested": "an increment or decrement whose value is never tested needs no ordering",
}

# The note listing the object's other operations, by role.
ALSO = ((LOAD, "loaded"), (STORE, "stored"), (ADD, "incremented or decremented"), (RMW, "read-modify-written"))
