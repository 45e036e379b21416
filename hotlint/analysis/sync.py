"""Synchronization a call or a loop performs: locks taken, waits that block the thread, and
loops that spin on an atomic doing nothing else.

- ``lock_acquisition(call)``: the mutex a call locks (a ``std::lock_guard``, ``unique_lock``,
  ``scoped_lock`` or ``shared_lock`` constructed without a deferring tag, ``m.lock()`` /
  ``lock_shared()`` on a standard mutex, ``std::lock``, ``pthread_mutex_lock``,
  ``pthread_rwlock_{rd,wr}lock``, C11 ``mtx_lock``). ``try_lock`` and friends are not
  acquisitions here: they do not wait.
- ``blocking_call(call)``: what a call waits for when it blocks the thread anyway (a condition
  variable, a future, a semaphore, a latch or barrier, a join, ``std::atomic::wait``, a sleep, or
  I/O as ``hotness`` counts it).
- ``spin_wait(view, loop)``: the atomic read a loop spins on when the loop is a spin-wait: its
  condition reads an atomic and calls nothing else, its body does no work (empty, or only writes
  locals: ``expected = false`` of a compare-exchange loop) and calls nothing (a pause, a yield or
  a wait is a call), and no counter the loop changes bounds it. A compare-exchange loop with an
  empty body is a lock-free retry (each failure reloads the expected value), not a wait; one
  whose body resets the expected value (``expected = 0``) waits for that value: a spin-lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from .control import mutated_declarations
from .expressions import write_at
from .hotness import io_call
from .kinds import K
from .symbols import has_static_storage

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node
    from ..view import CallSite, FileView, Loop
    from .atomics import AtomicOp

MUTEX_TYPES = frozenset({"std::mutex", "std::recursive_mutex", "std::timed_mutex", "std::recursive_timed_mutex",
                         "std::shared_mutex", "std::shared_timed_mutex"})
GUARD_TYPES = frozenset({"std::lock_guard", "std::unique_lock", "std::scoped_lock", "std::shared_lock"})
LOCK_MEMBERS = frozenset({"lock", "lock_shared"})
LOCK_FUNCTIONS = frozenset({"pthread_mutex_lock", "pthread_rwlock_rdlock", "pthread_rwlock_wrlock", "mtx_lock",
                            "std::lock"})
# a guard constructed with one of these tags does not wait for the mutex in its constructor
_NOT_WAITING_TAGS = frozenset({"std::defer_lock_t", "std::try_to_lock_t", "std::adopt_lock_t"})

BLOCKING_MEMBERS = {
    "std::condition_variable": frozenset({"wait", "wait_for", "wait_until"}),
    "std::condition_variable_any": frozenset({"wait", "wait_for", "wait_until"}),
    "std::future": frozenset({"get", "wait", "wait_for", "wait_until"}),
    "std::shared_future": frozenset({"get", "wait", "wait_for", "wait_until"}),
    "std::thread": frozenset({"join"}),
    "std::jthread": frozenset({"join"}),
    "std::counting_semaphore": frozenset({"acquire", "try_acquire_for", "try_acquire_until"}),
    "std::latch": frozenset({"wait", "arrive_and_wait"}),
    "std::barrier": frozenset({"wait", "arrive_and_wait"}),
    "std::atomic": frozenset({"wait"}),
    "std::atomic_ref": frozenset({"wait"}),
    "std::atomic_flag": frozenset({"wait"}),
}
BLOCKING_FUNCTIONS = frozenset({
    "pthread_cond_wait", "pthread_cond_timedwait", "pthread_join", "pthread_barrier_wait", "sem_wait",
    "sem_timedwait", "cnd_wait", "cnd_timedwait", "thrd_join", "thrd_sleep", "thrd_yield", "sched_yield",
    "std::this_thread::sleep_for", "std::this_thread::sleep_until", "std::this_thread::yield",
    "std::atomic_wait", "std::atomic_wait_explicit", "std::atomic_flag_wait", "std::atomic_flag_wait_explicit",
    "syscall", "futex",
})


@dataclass(frozen=True)
class LockAcquisition:
    """A call that waits for a mutex: how (``std::lock_guard``, ``std::mutex::lock``,
    ``pthread_mutex_lock``) and the mutex expressions it locks (may be empty)."""

    call: "CallSite"
    how: str
    mutexes: tuple


def _owner(callee: "Node") -> str:
    parent = callee.semantic_parent
    return parent.qualified_name if parent is not None else ""


def lock_acquisition(call: "CallSite") -> Optional[LockAcquisition]:
    """The mutex ``call`` waits for and takes, or None (``try_lock``, a deferred guard, any other call)."""
    name = call.name
    if name not in GUARD_TYPES_SPELLINGS and name not in LOCK_MEMBERS and name not in _LOCK_SPELLINGS:
        return None  # cheap first: resolving the callee is a libclang round trip
    callee = call.callee
    if callee is None:
        return None
    if callee.kind == K.CONSTRUCTOR:
        owner = _owner(callee)
        if owner not in GUARD_TYPES:
            return None
        args = call.arguments
        if any(a.type.non_reference().canonical.record_or_enum_name in _NOT_WAITING_TAGS for a in args):
            return None
        mutexes = tuple(a for a in args if a.type.non_reference().canonical.record_or_enum_name in MUTEX_TYPES
                        or _is_mutex_like(a))
        if not mutexes:
            return None  # a default-constructed or moved-into guard locks nothing
        return LockAcquisition(call, owner, mutexes)
    if callee.kind == K.CXX_METHOD and name in LOCK_MEMBERS:
        owner = _owner(callee)
        if owner not in MUTEX_TYPES:
            return None
        kids = call.node.children
        obj = kids[0].children[0] if kids and kids[0].kind == K.MEMBER_REF_EXPR and kids[0].children else None
        return LockAcquisition(call, f"{owner}::{name}", (obj,) if obj is not None else ())
    if callee.kind == K.FUNCTION_DECL and call.qualified_name in LOCK_FUNCTIONS:
        return LockAcquisition(call, call.qualified_name, tuple(call.arguments))
    return None


GUARD_TYPES_SPELLINGS = frozenset(t.rsplit("::", 1)[1] for t in GUARD_TYPES)
_LOCK_SPELLINGS = frozenset(f.rsplit("::", 1)[-1] for f in LOCK_FUNCTIONS)


def _is_mutex_like(arg: "Node") -> bool:
    """A guard's argument of a mutex type outside the standard ones (a user's lockable class)."""
    t = arg.type.non_reference().canonical
    return t.is_record and t.record_or_enum_name not in _NOT_WAITING_TAGS


def blocking_call(call: "CallSite") -> Optional[str]:
    """What ``call`` blocks the thread on (``std::condition_variable::wait``, ``pthread_join``, an
    I/O function), or None."""
    name = call.name
    if name not in _BLOCKING_SPELLINGS:
        io = io_call(call.node)
        return io
    callee = call.callee
    if callee is None:
        return None
    if callee.kind == K.CXX_METHOD:
        owner = _owner(callee)
        if name in BLOCKING_MEMBERS.get(owner, ()):
            return f"{owner}::{name}"
        parent = callee.semantic_parent
        if name == "wait" and parent is not None and parent.type.is_atomic:
            return "std::atomic::wait"  # declared in a library base class (libstdc++'s __atomic_base)
        return None
    q = call.qualified_name
    if callee.kind == K.FUNCTION_DECL and q in BLOCKING_FUNCTIONS:
        return q
    return io_call(call.node)


_BLOCKING_SPELLINGS = (frozenset(m for ms in BLOCKING_MEMBERS.values() for m in ms)
                       | frozenset(f.rsplit("::", 1)[-1] for f in BLOCKING_FUNCTIONS))


def blocking_loops(view: "FileView") -> dict[int, str]:
    """id of each loop node -> the first blocking call (``blocking_call``) made in it, also in a
    loop nested in it (a consumer's ``while (!ready) cv.wait(lock)`` inside its outer loop)."""
    out: dict[int, str] = {}
    for call in view.calls:
        if call.loop is None:
            continue
        what = blocking_call(call)
        if what is None:
            continue
        loop = call.loop
        while loop is not None:
            out.setdefault(id(loop.node), what)
            loop = loop.parent
    return out


def spin_wait(view: "FileView", loop: "Loop", ops: list["AtomicOp"]) -> Optional["AtomicOp"]:
    """The atomic read ``loop`` spins on (``ops``: the atomic operations of the loop), or None
    when the loop is no idle spin-wait (see the module's docstring)."""
    if loop.node.kind not in (K.WHILE_STMT, K.DO_STMT, K.FOR_STMT):
        return None
    parts = loop.parts()
    cond, body = parts["condition"], parts["body"]
    if cond is None:
        return None
    in_cond = [op for op in ops if op.node is cond or op.node.is_within(cond)]
    if not in_cond:
        return None
    op_nodes = [op.node for op in in_cond]
    for n in cond.walk():
        if n.kind == K.CALL_EXPR and not any(n is o or n.is_within(o) for o in op_nodes):
            return None  # the condition asks something else too (a clock, a function)
    if body is not None and not _idle(body):
        return None
    op = in_cond[0]
    if op.operation.startswith("compare_exchange") and (body is None or not any(write_at(n) for n in body.walk())):
        return None  # a lock-free retry: each failure reloads the expected value and tries with it, no wait
    scopes = [p for p in (cond, parts["increment"], body) if p is not None]
    mutated = mutated_declarations(scopes)
    for n in cond.walk():
        if (n.kind == K.DECL_REF_EXPR and n.referenced is not None and n.referenced in mutated
                and not any(n.is_within(o) for o in op_nodes)):
            return None  # a counter bounds the spin
    if parts["increment"] is not None:
        return None  # a for-loop stepping something: a bounded retry
    return op


_WORK = frozenset({K.CALL_EXPR, K.ASM_STMT, K.MS_ASM_STMT, K.CXX_THROW_EXPR, K.RETURN_STMT, K.BREAK_STMT,
                   K.GOTO_STMT, K.IF_STMT, K.SWITCH_STMT, K.WHILE_STMT, K.DO_STMT, K.FOR_STMT,
                   K.CXX_FOR_RANGE_STMT, K.LAMBDA_EXPR, K.CONDITIONAL_OPERATOR})


def _idle(body: "Node") -> bool:
    """``body`` does no work: no call (a pause, a yield, a wait, a back-off), no loop, no asm, no
    branch, no exit; at most writes to local variables by name."""
    for n in body.walk():
        if n.kind in _WORK:
            return False
        w = write_at(n)
        if w is not None and (w.target is None or w.target.kind != K.DECL_REF_EXPR
                              or w.target.referenced is None or has_static_storage(w.target.referenced)):
            return False  # a write others can see is work
    return True


__all__ = ["BLOCKING_FUNCTIONS", "BLOCKING_MEMBERS", "GUARD_TYPES", "LOCK_FUNCTIONS", "MUTEX_TYPES",
           "LockAcquisition", "blocking_call", "blocking_loops", "lock_acquisition", "spin_wait"]
