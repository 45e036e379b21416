"""The words of seq-cst-default's findings: what each order costs, why each pattern needs the
order it is given (the headline's ending, the reason and the note that explains it), keyed by
pattern. The headline says what the variable is and the order to write; the reason, the cost and
the explanation are notes.

``{name}`` is the variable in backquotes; ``{where}``, ``{loads}``, ``{stores}`` and ``{rmws}``
are line lists (``line 4``, ``lines 4, 9``): where the deciding operations, the loads, the
stores and the read-modify-writes are."""

from hotlint.analysis.atomics import ADD, FENCE, LOAD, RMW, STORE

# What the default order costs, by the operation's role (said after the operation).
COST = {
    LOAD: "a seq_cst load is a plain MOV on x86-64 (TSO) but an LDAR on AArch64 and a full `sync` "
          "on POWER, and it stops the compiler from merging or hoisting the load",
    STORE: "a seq_cst store is an XCHG on x86-64, a full barrier that drains the store buffer "
           "(about 20 cycles), where release and relaxed stores are a plain MOV",
    ADD: "the read-modify-write is LOCK-prefixed on x86-64 under any order, so there seq_cst costs "
         "the compiler's freedom to reorder around it; AArch64 needs the acquire-release form "
         "(LDADDAL, not LDADD) and POWER a full `sync`",
    FENCE: "MFENCE on x86-64 (about 30 cycles, it drains the store buffer) and `dmb ish` on AArch64",
}
COST[RMW] = COST[ADD]

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
