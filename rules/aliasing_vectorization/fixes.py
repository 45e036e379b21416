"""aliasing-vectorization's two fixes: copy the invariant values a store may alias to locals
before the loop, or add `__restrict__` to the parameters the pairs go through (safe only when
every call in the file provably passes distinct objects)."""

from __future__ import annotations

from hotlint.analysis.calls import callers_pass_distinct_objects
from hotlint.analysis.edits import fresh_name, hoisted_copies, qualify_parameter, restrict_keyword, value_name
from hotlint.analysis.kinds import K
from hotlint.analysis.symbols import in_linted_file, unqualified_identifiers
from hotlint.model import Applicability
from hotlint.rule import fix

from .accesses import written_text

_KEYWORDS = frozenset({"new", "delete", "this", "int", "char", "float", "double", "long", "short",
                       "auto", "const", "signed", "unsigned", "default", "register", "operator"})


# --------------------------------------------------------------------------- local copies


def local_copy_fix(view, loop, pairs, accesses, fn):
    """Copy every invariant value a store may alias to a `const auto` local before the loop
    (named apart from the identifiers of ``fn``, the node of the function scanned)."""
    if any(p.kind in ("stream", "accumulator", "indirect") or p.load.store or not p.load.invariant
           or p.load.pointers is not None for p in pairs):
        return None  # a container's data pointers are read by `v[i]` too: copying the call is not enough
    wanted = []
    for p in pairs:
        t = written_text(view, p.load.node)
        if t is None:
            return None  # a value this file does not spell (a macro argument, another file) cannot be copied
        if t not in wanted:
            wanted.append(t)
    occurrences = {t: [a for a in accesses if not a.store and a.invariant and written_text(view, a.node) == t]
                   for t in wanted}
    taken, copies = unqualified_identifiers(fn), []
    for t in wanted:
        base = value_name(occurrences[t][0].node)
        name = fresh_name([base, f"{base}_copy", *(f"{base}_copy{i}" for i in range(2, 50))],
                          lambda c: c in taken or c in _KEYWORDS, base + "_local")
        taken.add(name)
        copies.append((name, t, [a.node for a in occurrences[t]]))
    edits = hoisted_copies(view.source, loop.node, copies)
    if edits is None:
        return None
    names = ", ".join(f"`{t}`" for t in wanted)
    return fix(f"copy {names} to local{'s' if len(wanted) > 1 else ''} before the loop", edits,
               Applicability.SAFE if _copies_provably_safe(pairs, loop) else Applicability.UNSAFE)


def _copies_provably_safe(pairs, loop) -> bool:
    """Stores into a member array cannot legally reach another member of the same object."""
    if any(n.kind == K.CALL_EXPR for part in (loop.parts()["body"], loop.parts()["condition"]) if part
           for n in part.walk()):
        return False
    for p in pairs:
        sl, ll = p.store.loc, p.load.loc
        if sl.top != ll.top or sl.top[0] == "ptr" or not sl.path or sl.path[-1] != "[]":
            return False
    return True


# --------------------------------------------------------------------------- __restrict__


def restrict_fix(view, loop, pairs):
    params = []
    own = loop.function.node.range
    for p in pairs:
        # `__restrict__` on either side of a pair settles it: memory reached through a restrict
        # pointer that is modified in the function is reached through that pointer only
        param = p.store.loc.param or p.load.loc.param
        if param is None or p.kind not in ("invariant", "stream", "accumulator", "bound", "indirect") and \
                p.load.pointers is None:  # a container's reference settles its data pointers too
            return None
        if not own.contains(param.range):
            return None  # a lambda's capture: the enclosing function's parameter does not reach it
        if param not in params:
            params.append(param)
    keyword = restrict_keyword(view.language)
    edits = [qualify_parameter(param, keyword) if in_linted_file(view, param) else None for param in params]
    if None in edits:
        return None
    names = ", ".join(f"`{p.spelling}`" for p in params)
    if callers_pass_distinct_objects(view, loop.function.node, params):
        return fix(f"add `{keyword}` to {names} (every call in this file passes distinct objects)",
                   edits, Applicability.SAFE)
    return fix(f"add `{keyword}` to {names} (only if callers never pass overlapping memory)",
               edits, Applicability.UNSAFE)
