"""aliasing-vectorization's two fixes: copy the invariant values a store may alias to locals
before the loop, or add `__restrict__` to the parameters the pairs go through (safe only when
every call in the file provably passes distinct objects)."""

from __future__ import annotations

import re
from typing import Optional

from hotlint.analysis.edits import fresh_name, insert_at_line_start, last_include_line, replace, statement_room
from hotlint.analysis.expressions import THROUGH_CASTS, function_body, parent_past, strip
from hotlint.analysis.kinds import K, T
from hotlint.analysis.memory import named_object, pointed_object
from hotlint.analysis.symbols import has_static_storage, in_linted_file, internal_linkage, is_source_path
from hotlint.analysis.types import holds_pointer, is_scalar, may_alias
from hotlint.model import Applicability, Edit, Range
from hotlint.rule import fix

from .accesses import inlinable_pure_call, written_text

_KEYWORDS = frozenset({"new", "delete", "this", "int", "char", "float", "double", "long", "short",
                       "auto", "const", "signed", "unsigned", "default", "register", "operator"})


# --------------------------------------------------------------------------- local copies


def local_copy_fix(view, loop, pairs, accesses, facts):
    """Copy every invariant value a store may alias to a `const auto` local before the loop."""
    if any(p.kind in ("stream", "accumulator", "indirect") or p.load.store or not p.load.invariant for p in pairs):
        return None
    prefix = statement_room(view.source, loop.node, indentation="blank-prefix")
    if prefix is None:
        return None
    wanted = []
    for p in pairs:
        t = written_text(view, p.load.node)
        if t is None:
            return None  # a value this file does not spell (a macro argument, another file) cannot be copied
        if t not in wanted:
            wanted.append(t)
    occurrences = {t: [a for a in accesses if not a.store and a.invariant and written_text(view, a.node) == t]
                   for t in wanted}
    taken = set(facts.identifiers)
    decls, edits = [], []
    for t in wanted:
        name = _fresh_name(occurrences[t][0].node, taken)
        taken.add(name)
        decls.append(f"{prefix}const auto {name} = {t};\n")
        edits.extend(replace(a.node, name) for a in occurrences[t])
    spans = sorted((e.range.start, e.range.end) for e in edits)
    if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
        return None
    edits.insert(0, insert_at_line_start(loop.node.range.start.line, "".join(decls)))
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


def _fresh_name(node, taken) -> str:
    """A local's name after the copied value (`buf.len` -> `len`, `*scale` -> `scale_value`)."""
    n = strip(node, **THROUGH_CASTS)
    if n.kind == K.MEMBER_REF_EXPR or n.kind == K.DECL_REF_EXPR:
        base = n.spelling
    elif n.kind == K.UNARY_OPERATOR and n.children:
        base = (strip(n.children[0], **THROUGH_CASTS).spelling or "value") + "_value"
    else:
        base = "value"
    base = re.sub(r"^(m_|g_|s_)", "", base).strip("_") or "value"
    return fresh_name([base, f"{base}_copy", *(f"{base}_copy{i}" for i in range(2, 50))],
                      lambda c: c in taken or c in _KEYWORDS, base + "_local")


# --------------------------------------------------------------------------- __restrict__


def restrict_fix(view, loop, pairs):
    params = []
    own = loop.function.node.range
    for p in pairs:
        # `__restrict__` on either side of a pair settles it: memory reached through a restrict
        # pointer that is modified in the function is reached through that pointer only
        param = p.store.loc.param or p.load.loc.param
        if param is None or p.kind not in ("invariant", "stream", "accumulator", "bound", "indirect"):
            return None
        if not own.contains(param.range):
            return None  # a lambda's capture: the enclosing function's parameter does not reach it
        if param not in params:
            params.append(param)
    edits = []
    for param in params:
        edit = _restrict_edit(view, param)
        if edit is None:
            return None
        edits.append(edit)
    names = ", ".join(f"`{p.spelling}`" for p in params)
    keyword = _restrict_keyword(view)
    if _callers_pass_distinct_objects(view, loop.function, params):
        return fix(f"add `{keyword}` to {names} (every call in this file passes distinct objects)",
                   edits, Applicability.SAFE)
    return fix(f"add `{keyword}` to {names} (only if callers never pass overlapping memory)",
               edits, Applicability.UNSAFE)


def _restrict_keyword(view) -> str:
    return "restrict" if view.language == "c" else "__restrict__"


def _restrict_edit(view, param) -> Optional[Edit]:
    """Insert `__restrict__` before the parameter's name: `float* y` -> `float* __restrict__ y`."""
    if not param.spelling or not in_linted_file(view, param):
        return None
    toks = param.token_positions
    loc = param.location
    for i, (spelling, pos) in enumerate(toks):
        if pos == loc and spelling == param.spelling and i > 0:
            prev = toks[i - 1][0]
            if prev in ("*", "&", "&&") or (prev == "const" and i > 1 and toks[i - 2][0] == "*"):
                return replace(Range(loc, loc), _restrict_keyword(view) + " ")
            return None
    return None


# --------------------------------------------------------------------------- callers


def _callers_pass_distinct_objects(view, function, params) -> bool:
    """True when no call can pass overlapping memory for ``params``: the function is only
    callable from this source file, never escapes as a pointer, and every call passes, for
    each restricted parameter and each parameter that could reach the same memory, named
    variables that are provably different objects, none of which the function reaches
    another way."""
    node = function.node
    symbols = view.analysis.symbols
    if node.kind != K.FUNCTION_DECL or not is_source_path(view.path):
        return False
    declarations = symbols.function_declarations(node) or [node]
    if not internal_linkage(node, declarations):
        return False
    if last_include_line(view.source, style="hash-and-word") > min(d.range.start.line for d in declarations):
        return False  # a file included after the declaration may call it: hotlint does not see it
    roles = _parameter_roles(function.params, params)
    if roles is None:
        return False
    reached = _objects_reached_directly(node)
    if reached is None:
        return False
    for ref in symbols.references(node.spelling):
        if ref.kind == K.OVERLOADED_DECL_REF:
            return False  # a call in a template, resolved per instantiation
        if not node.is_same_declaration(ref.referenced):
            continue  # another function of that name
        callee, call = parent_past(ref, only_child=True)
        if call is None or call.kind != K.CALL_EXPR or not call.children or call.children[0] is not callee:
            return False  # its address is taken: callers hotlint cannot see
        if not _call_passes_distinct_objects(call.arguments, roles, params, function.params, reached):
            return False
    return True


def _parameter_roles(all_params, restricted) -> Optional[list[bool]]:
    """For each parameter, whether its argument must name a distinct object; None when a
    parameter may reach the restricted memory through a pointer it holds."""
    targets = []
    for p in restricted:
        t = p.type.pointee
        if t is None or holds_pointer(t):
            return None
        targets.append(t)
    roles = []
    for p in all_params:
        t = p.type
        if p in restricted:
            roles.append(True)
        elif t.is_pointer or t.is_reference:
            u = t.pointee
            kind = u.canonical.kind
            if kind == T.VOID:
                roles.append(True)
            elif kind == T.POINTER or not (is_scalar(u) or u.is_record or u.is_array) or holds_pointer(u):
                return None
            else:  # strict aliasing: an `int*` never reaches a `float`
                roles.append(not is_scalar(u) or any(not is_scalar(x) or may_alias(u, x) for x in targets))
        elif t.is_record and holds_pointer(t):
            return None  # a by-value span or iterator may point anywhere
        else:
            roles.append(False)
    return roles


def _objects_reached_directly(fn_node) -> Optional[list]:
    """Variables the function (and the leaf helpers it calls) names with static storage; None
    when it names one holding a pointer, or calls a function the vectorizer cannot see into."""
    body = function_body(fn_node)
    if body is None:
        return None
    reached, bodies, seen = [], [body], set()
    while bodies:
        for n in bodies.pop().walk():
            if n.kind == K.CALL_EXPR:
                if not inlinable_pure_call(n):
                    return None
                d = n.referenced.definition
                if d is not None and not d.is_in_system_header and d not in seen:
                    seen.add(d)  # a leaf helper of this program: what it names counts too
                    bodies.extend(c for c in d.children if c.kind == K.COMPOUND_STMT)
            elif n.kind == K.DECL_REF_EXPR:
                d = n.referenced
                if d is None or d.kind != K.VAR_DECL or not has_static_storage(d):
                    continue
                if holds_pointer(d.type):
                    return None  # may point at whatever a caller passes
                reached.append(d)
    return reached


def _call_passes_distinct_objects(args, roles, restricted, all_params, reached) -> bool:
    if len(args) < len(all_params):
        return False
    named = []
    for arg, param, needed in zip(args, all_params, roles):
        if not needed:
            named.append(None)
            continue
        found = named_object(arg) if param.type.is_reference else pointed_object(arg)
        if found is None or holds_pointer(found[1]):
            return False
        named.append(found[0])
    for i, (param, var) in enumerate(zip(all_params, named)):
        if param not in restricted:
            continue
        if any(var.is_same_declaration(g) for g in reached):
            return False
        if any(other is not None and j != i and var.is_same_declaration(other) for j, other in enumerate(named)):
            return False
    return True
