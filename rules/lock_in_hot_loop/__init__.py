"""lock-in-hot-loop: a mutex taken on every iteration of a loop, and a spin-wait that never pauses."""

from __future__ import annotations

import fnmatch
from typing import Iterator, Optional

from hotlint.analysis.atomics import LOAD, operation_role
from hotlint.analysis.control import is_invariant, mutated_declarations, outermost_function, runs_once_per_entry
from hotlint.analysis.expressions import strip
from hotlint.analysis.kinds import K
from hotlint.analysis.symbols import in_linted_file, quoted
from hotlint.analysis.sync import blocking_loops, lock_acquisition, spin_wait
from hotlint.model import Severity
from hotlint.rule import Finding, Option, Rule

# The bench pairs' figures, measured on the machine the rule was written on (see "Why is this bad?").
LOCK_FIGURE = ("bench pair: a per-element lock_guard against a local sum merged under one lock measured "
               "13.5x (9.4-19.8x over 7 rounds) and 9.1x (7.6-15x) on one thread then two, g++ 12 -O2, 2 cores")
SPIN_FIGURE = ("bench pair (two threads handing a value back and forth, on 2 shared, loaded cores): "
               "std::this_thread::yield measured 3.5x (1.4-16x over 7 rounds) ahead of the empty spin, "
               "atomic wait/notify 2.1x (1.0-14x); _mm_pause 2.0x but behind in some rounds (0.85-2.7x)")


class LockInHotLoop(Rule):
    """A mutex locked and unlocked on every iteration of a loop, and a loop that spins on an
    atomic without pausing, yielding or waiting.

    ## What it does
    Two patterns.

    **A lock per iteration.** A `std::lock_guard`, `std::unique_lock`, `std::scoped_lock` or
    `std::shared_lock` constructed in a loop's body (without `std::defer_lock`,
    `std::try_to_lock` or `std::adopt_lock`), `m.lock()` / `m.lock_shared()` on a standard
    mutex (`std::mutex`, `std::recursive_mutex`, `std::shared_mutex` and their timed forms),
    `std::lock`, `pthread_mutex_lock`, `pthread_rwlock_rdlock`/`wrlock` or C11 `mtx_lock`.
    Not reported: a lock taken once before the loop; a lock the loop takes once on its way
    out (followed by `break` or `return`); `try_lock` loops (they do not wait); a loop that
    blocks on every pass anyway, in itself or in a loop nested in it: a condition-variable
    wait (the consumer's `while (running) { std::unique_lock l(m); cv.wait(l, ...); ... }`),
    a future, a semaphore, a join, a sleep, `atomic::wait` or I/O (and the functions named in
    `blocking-functions`). A lock in a function that nothing in the file shows running on
    several threads, in a loop, or hot is reported as an info; so is one in a loop of a
    small constant trip count.

    **A spin-wait without a pause.** A `while`, `do`/`while` or `for` loop whose condition
    reads an atomic and nothing else (`while (!ready.load(std::memory_order_acquire)) {}`,
    `while (flag.load() == 0);`, `while (lock.test_and_set()) {}`, `while
    (!x.compare_exchange_weak(expected, 1)) { expected = 0; }`) and whose body does no work:
    empty, or writes to locals only, with no call. Not reported: a spin that already calls
    something in its body (`_mm_pause()`, `std::this_thread::yield()`, `flag.wait(false)`, a
    back-off function) or has an `asm` statement, and a bounded spin (a retry counter in the
    condition, a `for` loop's step).

    ## Why is this bad?
    Locking and unlocking a `std::mutex` are two atomic read-modify-writes of the mutex word,
    each a full barrier on x86-64 (about 20 cycles even when no other thread wants the mutex),
    and the loop's own work can no longer be kept in registers or vectorized across the lock.
    With other threads taking the same mutex, its cache line moves between cores on nearly
    every iteration, and a thread that finds it taken sleeps in the kernel. The bench pair
    (4 million 32-bit scores summed into a shared total under a `lock_guard` per element,
    once on one thread and once split over two) measured slow/fast 13.5x (min 9.4x, max
    19.8x over 7 alternating rounds) against a local sum merged under one lock per call, and
    11.5x (6.7-31x) against per-thread slots merged after the join, with g++ 12 `-O2` on the
    2-core x86-64 machine it was written on, shared with other jobs; a second run (`hotlint
    bench --cachegrind`, a busier machine) gave 9.1x (7.6-15x) and 8.1x (4.9-10x).
    cachegrind's quick mode (20,000 elements, input set-up included) counts 4.95 million
    instructions against 2.35 million and the same cache misses: the cost is the atomics
    and the barriers, not memory traffic.

    A spin-wait with an empty body issues loads of the flag as fast as the core can: on a
    hyper-threaded core it takes issue slots from the sibling thread, leaving the loop costs
    a memory-order mis-speculation flush, and when runnable threads outnumber free cores the
    spinner spends its whole time slice while the thread that would set the flag waits to
    run. The spin pair (`bench_fixtures/lock-in-hot-loop/spin/`: two threads handing a value
    back and forth 20,000 times, each spinning for its turn) is very noisy on that loaded
    2-core machine: over 7 alternating rounds `std::this_thread::yield()` in the loop was
    ahead of the empty spin by 3.5x (1.4-16x), C++20 `atomic::wait`/`notify_one` by 2.1x
    (1.0-14x), and `_mm_pause()` by 2.0x but behind in some rounds (0.85-2.7x): there the
    gain comes from giving up the core, which a pause does not do; what a pause saves on a
    hyper-threaded sibling this machine cannot show. Run `hotlint bench lock-in-hot-loop`
    for the lock pair's figure on your machine.

    ## Example
    ```cpp
    void add_scores(const std::vector<std::uint32_t>& v, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            std::lock_guard<std::mutex> guard(total_mutex);   // two atomics per element
            total += v[i] & 0xffff;
        }
    }

    while (turn.load(std::memory_order_acquire) != me) {
    }
    ```

    ## Use instead
    ```cpp
    void add_scores(const std::vector<std::uint32_t>& v, std::size_t begin, std::size_t end) {
        std::uint64_t local = 0;
        for (std::size_t i = begin; i < end; ++i)
            local += v[i] & 0xffff;
        std::lock_guard<std::mutex> guard(total_mutex);       // once per call
        total += local;
    }

    while (turn.load(std::memory_order_acquire) != me)
        _mm_pause();                      // or std::this_thread::yield(), or turn.wait(...)
    ```
    or give each thread its own (cache-line aligned) slot and add the slots up after the
    join.

    ## Fix safety
    No fix is offered. Moving a lock out of a loop changes what other threads can see in
    the meantime (they no longer observe partial totals, and they wait longer for the
    mutex), which only the author can judge; and which of a pause, a yield or a blocking
    wait suits a spin depends on how long it waits and how many cores are free.

    ## Options
    - `blocking-functions` (list of names or patterns, default empty): functions that block
      the thread, such as a queue's waiting pop (`my::Queue::wait_pop`, `*::wait_pop`): a
      loop calling one is not reported for its lock.

    ## References
    - Intel 64 and IA-32 Architectures Optimization Reference Manual, "User/Source Coding
      Rules" on spin-wait loops and the PAUSE instruction
    - C++20 [atomics.wait] (`atomic::wait`, `notify_one`)
    - Ulrich Drepper, "Futexes Are Tricky" (what a contended mutex costs)
    """

    name = "lock-in-hot-loop"
    summary = "a mutex locked on every iteration of a loop, or a spin-wait on an atomic that never pauses"
    severity = Severity.WARNING
    needs_layout = False
    options = {
        "blocking-functions": Option([], "functions that block the thread: a loop calling one is not reported "
                                         "for its lock", type=list),
    }
    bench_note = ("the lock pair sums into a shared total with a lock per element, on one thread and then "
                  "two; the spin pair (spin/, run by hand) is too noisy on a loaded 2-core machine to show "
                  "what _mm_pause saves")

    def check(self, view) -> Iterator[Finding]:
        yield from self._locks(view)
        yield from self._spins(view)

    # ------------------------------------------------------------------ a lock per iteration

    def _locks(self, view) -> Iterator[Finding]:
        candidates = []
        for call in view.calls:
            if call.loop is None or call.function is None:
                continue
            acq = lock_acquisition(call)
            if acq is not None and in_linted_file(view, call.node):
                candidates.append(acq)
        if not candidates:
            return
        blocked = blocking_loops(view)
        patterns = self.option(view, "blocking-functions")
        if patterns:
            blocked = {**_user_blocking(view, patterns), **blocked}
        looped: Optional[dict] = None
        for acq in candidates:
            loop = acq.call.loop
            if any(id(lp.node) in blocked for lp in view.enclosing_loops(acq.call.node)):
                continue  # the loop waits anyway: its lock is the normal shape of a consumer
            if runs_once_per_entry(acq.call.node, loop, inside_lambda=False):
                continue
            if view.analysis.hotness.trip_count(loop) is not None or _in_cold_region(view, acq.call.node):
                continue  # a few iterations, or a path that rarely runs: no hot loop
            if looped is None:
                looped = _called_in_loops(view)
            yield self._lock_finding(view, acq, looped)

    def _lock_finding(self, view, acq, looped: dict) -> Finding:
        node, loop = acq.call.node, acq.call.loop
        mutated = mutated_declarations([p for p in (loop.parts()["body"], loop.parts()["increment"],
                                                    loop.parts()["condition"]) if p is not None])
        names = [quoted(view, _addressed(m)) for m in acq.mutexes]
        what = " and ".join(names) if names else "a mutex"
        varies = any(not is_invariant(m, mutated) for m in acq.mutexes)
        if varies:
            head = f"{what} locked on every iteration, a different mutex each time; group the work by mutex"
        else:
            head = f"{what} locked on every iteration of this loop; accumulate locally and lock once after the loop"
        evidence = _evidence(view, acq.call.function, looped)
        notes = [
            f"{_how(acq.how)} on every pass: two atomic read-modify-writes of the mutex (each a full barrier on "
            "x86-64), and the work in between can no longer stay in registers or be vectorized; when other "
            "threads take the mutex too, its cache line moves between cores every iteration and a thread that "
            "finds it taken sleeps in the kernel",
        ]
        if evidence is None:
            notes.append(f"nothing in this file shows `{acq.call.function.name}` running on several threads, "
                         "in a loop or hot: reported as an info")
            severity = Severity.INFO
        else:
            notes.append(evidence)
            severity = self.severity_for(view, node)
        notes.append(LOCK_FIGURE)
        notes.append("merge a local result under one lock after the loop, give each thread its own slot "
                     "(aligned to a cache line) and add the slots up after the join, or hold one lock "
                     "across the whole loop when its work is short")
        return Finding(node.range, head, severity=severity, notes=tuple(notes))

    # ------------------------------------------------------------------ spin-waits

    def _spins(self, view) -> Iterator[Finding]:
        by_loop: dict = {}
        for op in view.atomic_ops:
            if op.loop is not None:
                by_loop.setdefault(id(op.loop.node), (op.loop, []))[1].append(op)
        for loop, ops in by_loop.values():
            if loop.function is None or not in_linted_file(view, loop.node):
                continue
            op = spin_wait(view, loop, ops)
            if op is not None:
                yield self._spin_finding(view, loop, op)

    def _spin_finding(self, view, loop, op) -> Finding:
        obj = quoted(view, _addressed(op.object)) if op.object is not None else "an atomic"
        pause, yield_ = ("`_mm_pause()`", "`std::this_thread::yield()`") if view.language != "c" else \
            ("`_mm_pause()`", "`sched_yield()`")
        if operation_role(op) != LOAD:  # test_and_set, exchange, compare_exchange, __sync_lock_test_and_set
            head = f"spin-lock on {obj} retries `{op.operation}` unpaused; spin on a load, {pause} between tries"
            how = (f"each failed `{op.operation}` takes the line holding {obj} exclusively, so spinning "
                   "threads also slow down the one that holds the lock when it releases it; ")
        else:
            head = f"empty spin-wait on {obj}; put {pause} or {yield_} in the loop" + (
                ", or block with `wait`" if view.language != "c" else "")
            how = ""
        notes = (
            how + f"the loop re-reads {obj} as fast as the core can issue loads: a hyper-threaded sibling loses "
            "issue slots, leaving the loop costs a memory-order mis-speculation flush, and when runnable threads "
            "outnumber free cores the spinner spends its time slice while the thread it waits for cannot run",
            SPIN_FIGURE,
        )
        return Finding(op.node.range, head, severity=self.severity_for(view, op.node), notes=notes)


def _addressed(expr):
    """``&m`` -> ``m``: the mutex a pthread call is handed."""
    n = strip(expr)
    if n.kind == K.UNARY_OPERATOR and n.operator == "&" and n.children:
        return n.children[0]
    return expr


def _how(what: str) -> str:
    if what.startswith("std::") and what.count("::") == 1:
        return f"a `{what}` is constructed and destroyed"
    return f"`{what}` is called"


def _in_cold_region(view, node) -> bool:
    """In a catch handler, an ``[[unlikely]]`` or expected-false branch or an error branch."""
    return any(r.strength == "strong" and r.range.contains(node.range) for r in view.analysis.hotness.regions)


def _user_blocking(view, patterns) -> dict:
    """Loops calling a function ``blocking-functions`` names, like ``sync.blocking_loops``."""
    out: dict = {}
    for call in view.calls:
        if call.loop is None:
            continue
        q = call.qualified_name
        if any(fnmatch.fnmatchcase(q, p) or fnmatch.fnmatchcase(call.name, p) for p in patterns):
            lp = call.loop
            while lp is not None:
                out.setdefault(id(lp.node), q)
                lp = lp.parent
    return out


def _called_in_loops(view) -> dict:
    """(range, kind) of each function defined in the file that some loop of the file calls ->
    the line of the first such call."""
    out: dict = {}
    for call in view.calls:
        if call.loop is None:
            continue
        callee = call.callee
        d = callee.definition if callee is not None else None
        if d is not None:
            out.setdefault((d.range, d.kind), call.node.range.start.line)
    return out


def _evidence(view, fn, looped: dict) -> Optional[str]:
    """Why ``fn``'s loops are worth a warning: threads run it, a loop of the file calls it, or it
    is hot; None when the file shows none of that."""
    outer = outermost_function(view, fn)
    for f in (fn, outer):
        if f.is_hot:
            return f"`{f.name}` is marked hot"
    threads = view.analysis.threads
    for f in (fn, outer):
        spawns = threads.spawns_running(f)
        if spawns:
            line = min(s.range.start.line for s in spawns)
            who = "this lambda" if f.node.kind == K.LAMBDA_EXPR else f"`{f.name}`"
            return f"threads started at line {line} run {who}: they contend for the mutex"
    for f in (fn, outer):
        line = looped.get((f.node.range, f.node.kind))
        if line is not None:
            return f"`{f.name}` is called in a loop at line {line}"
    return None
