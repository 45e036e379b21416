"""The arena rewrite behind alloc-in-loop's findings.

For one loop, every per-iteration allocation that can safely draw from an arena is
rewritten at once:

- before the loop, a stack buffer and a ``std::pmr::monotonic_buffer_resource`` on it
  (upstream: the default heap, so an iteration that needs more still works);
- ``arena.release()`` as the first statement of the body: by then everything the previous
  iteration allocated is dead (released at the end of the body instead, the body's own
  containers would still be alive, and ``continue`` would skip it);
- ``std::vector``/``std::string``/node containers declared in the body become their
  ``std::pmr`` twins constructed on the arena; ``new T[n]`` of a trivial ``T`` becomes
  ``static_cast<T*>(arena.allocate(...))`` and ``new T(...)`` a placement new into the arena,
  with the matching ``delete`` removed (or a ``std::destroy_at`` when ``T`` has a
  destructor); ``std::make_unique<T[]>(n)`` becomes ``std::pmr::vector<T>(n, &arena)``;
  ``std::make_shared`` becomes ``std::allocate_shared`` with a polymorphic allocator;
  ``malloc``/``calloc`` freed in the same block become ``arena.allocate``; a
  ``std::string`` key built by ``+`` is appended piece by piece into a
  ``std::pmr::string``.

A site is left alone, with the reason, when its memory could leave the iteration (moved,
returned, swapped, a smart pointer copied, a pointer not freed in the block that made it)
or when the std::pmr type would not fit where the value goes (a function taking
``const std::vector<T>&`` cannot take a ``std::pmr::vector<T>``).

It is a display-only fix: the arena changes types and lifetimes a reviewer should see.

``sites`` are the rule's ``_Site`` records; this module reads their ``node``, ``kind``,
``callee``, ``family``, ``ctor``, ``array``, ``pieces``, ``max_length``, ``what`` and ``via``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from hotlint.analysis.containers import STRING_NAMES, UNORDERED, constructor_form, names_allocator, \
    spells_family, written_container
from hotlint.analysis.control import is_range_variable
from hotlint.analysis.edits import body_indentation, factor, fresh_name, include_edits, insert_at_line_start, \
    is_repeatable, remove_statement, replace, statement_room, word_in, written_arguments_text, \
    written_template_arguments
from hotlint.analysis.expressions import integer_in_text, parameters, parent_past, strip, use_context
from hotlint.analysis.kinds import K, T
from hotlint.analysis.memory import initialized_local, pointer_use
from hotlint.analysis.source import written_initializer, written_new, written_type
from hotlint.analysis.symbols import declared_alone, named_references_to, references_by_name
from hotlint.analysis.types import is_family, is_trivial
from hotlint.model import Applicability, Edit, Fix, Position, Range

# Calls that move, swap or hand out the object itself: its memory could leave the iteration.
_ESCAPING_CALLS = {"std::move", "std::forward", "std::swap", "std::exchange", "std::ref", "std::cref",
                   "std::addressof", "std::move_if_noexcept"}
# How a pointer use that keeps the block alive past its free is said.
_POINTER_USES = {"reallocated": "passed to realloc", "reassigned": "reassigned", "stepped": "moved",
                 "address-taken": "taken by address"}
_SMART_POINTER_MEMBERS = {"get", "use_count", "operator->", "operator*", "operator bool"}
_BUFFER_DEFAULT = 16 * 1024
_BUFFER_MIN, _BUFFER_MAX = 4 * 1024, 64 * 1024
_ARENA_NAMES = ("arena", *(f"arena{n}" for n in range(2, 100)))


@dataclass
class _Conversion:
    edits: list[Edit]
    label: str
    headers: set[str] = field(default_factory=set)
    bytes: Optional[int] = None  # what one iteration draws, when the code says


class _Refused(Exception):
    """Why a site keeps its allocation: becomes the finding's note."""


def arena_rewrite(view, loop, sites) -> tuple[Optional[Fix], set[int], dict[int, str]]:
    """The display-only arena fix for ``loop``, the ids of the sites it converts, and for each
    site it leaves alone the reason."""
    reasons: dict[int, str] = {}
    try:
        indent, body_indent = _placement(view, loop)
    except _Refused as why:
        return None, set(), {id(s): str(why) for s in sites}
    arena, buffer = _names(view, loop)
    refs = references_by_name(loop.node)
    converted: list[tuple[object, _Conversion]] = []
    taken: list[tuple[Position, Position]] = []
    for site in sites:
        try:
            conv = _convert(view, loop, site, refs, arena)
        except _Refused as why:
            reasons[id(site)] = str(why)
            continue
        spans = [(e.range.start, e.range.end) for e in conv.edits]
        if any(not (b <= s or e <= a) for a, b in spans for s, e in taken):
            reasons[id(site)] = "its edits overlap another allocation's rewrite in the same statement"
            continue
        taken.extend(spans)
        converted.append((site, conv))
    if not converted:
        return None, set(), reasons
    known = [c.bytes for _, c in converted]
    size = _BUFFER_DEFAULT
    if all(b is not None for b in known):
        need = sum(known)
        size = _BUFFER_MIN
        while size < 2 * need and size < _BUFFER_MAX:
            size *= 2
    kib = size // 1024
    decl = (f"{indent}// hotlint (alloc-in-loop): each iteration draws its allocations from this {kib} KiB stack\n"
            f"{indent}// buffer; past it the arena takes more from the heap. {arena}.release() at the top of\n"
            f"{indent}// the body recycles everything at once for the next iteration.\n"
            f"{indent}alignas(std::max_align_t) std::array<std::byte, {kib} * 1024> {buffer};\n"
            f"{indent}std::pmr::monotonic_buffer_resource {arena}{{{buffer}.data(), {buffer}.size()}};\n")
    body = loop.body
    after_brace = Position(body.range.start.line, body.range.start.column + 1)
    edits = [insert_at_line_start(loop.node.range.start.line, decl),
             Edit(Range(after_brace, after_brace),
                  f"\n{body_indent}{arena}.release();  // the previous iteration's allocations are all dead here")]
    headers = {"memory_resource", "array", "cstddef"}
    for _, conv in converted:
        edits.extend(conv.edits)
        headers |= conv.headers
    edits[:0] = include_edits(view.source, headers, placement="sorted-block")
    labels = ", ".join(c.label for s, c in sorted(converted, key=lambda sc: sc[0].node.range.start))
    description = (f"draw this loop's per-iteration allocations ({labels}) from a "
                   f"std::pmr::monotonic_buffer_resource released each iteration (a suggestion: review it)")
    return Fix(description, tuple(edits), Applicability.DISPLAY_ONLY), {id(s) for s, _ in converted}, reasons


# --------------------------------------------------------------------------- where the arena goes


def _placement(view, loop) -> tuple[str, str]:
    """(indent of the loop, indent of its body's statements); refused when there is no room."""
    node = loop.node
    if node.parent is None or node.parent.kind != K.COMPOUND_STMT:
        raise _Refused("the loop is not a statement of a block, so there is no room for the arena before it")
    indent = statement_room(view.source, node)
    if indent is None:
        raise _Refused("the loop does not start its line")
    body = loop.body
    if body is None or body.kind != K.COMPOUND_STMT:
        raise _Refused("the loop body has no braces to release the arena in")
    return indent, body_indentation(view.source, body, indent)


def _names(view, loop) -> tuple[str, str]:
    fn = view.enclosing_function(loop.node)
    taken = word_in(_text(view, (fn.node if fn is not None else loop.node).range))
    name = fresh_name(_ARENA_NAMES, lambda c: taken(c) or taken(f"{c}_buf"), "hotlint_arena")
    return name, f"{name}_buf"


def _text(view, r: Range) -> str:
    return view.source.text(r) or ""


def _short(view, node) -> str:
    return view.source.shortened(node.range, 40, too_long="ellipsis")


# --------------------------------------------------------------------------- one site


def _convert(view, loop, site, refs, arena: str) -> _Conversion:
    if site.via is not None:
        raise _Refused("it runs in a lambda, which would have to capture the arena")
    if site.kind == "container" and is_range_variable(loop, site.node):
        raise _Refused("it is the range-`for` variable: bind it by reference (`const auto&`) unless the copy is "
                       "needed")
    if site.kind == "c-alloc" and site.callee not in ("malloc", "calloc"):
        raise _Refused(f"hotlint has no arena form for `{site.callee}`")
    if not site.node.is_within(loop.body):
        raise _Refused("it runs in the loop's header, before the body could release the arena")
    kind = site.kind
    if kind == "container":
        return _container(view, site, refs, arena)
    if kind == "new":
        return _pointer(view, site, refs, arena, "new")
    if kind == "c-alloc":
        return _pointer(view, site, refs, arena, site.callee)
    if kind == "maker" and site.callee in ("std::make_unique", "std::make_unique_for_overwrite"):
        return _unique_array(view, site, refs, arena)
    if kind == "maker" and site.callee == "std::make_shared":
        return _shared(view, site, refs, arena)
    if kind == "concat":
        return _concatenation(view, site, refs, arena)
    raise _Refused(f"hotlint has no arena form for `{site.callee or site.kind}`")


def _local(node, what: str):
    """The variable ``node`` initializes, declared alone in its statement."""
    found = initialized_local(node)
    if found == "not-a-local":
        raise _Refused(f"{what} is not the initializer of a local variable")
    if found == "declared-with-others":
        raise _Refused(f"{what} initializes a variable declared together with others")
    return found


def _pmr_type(view, var, family: str) -> tuple[str, str]:
    """(``const `` or empty, ``std::pmr::vector<long>``) from the type as written."""
    text = written_type(view.source, var).strip()
    written = written_container(text)
    if written is None or not spells_family(written, family):
        raise _Refused(f"its type is written `{text}`; spell it as the std container to switch it to std::pmr")
    if names_allocator(written, family):
        raise _Refused("it names its own allocator")
    return written.const, f"std::pmr::{written.name}{written.arguments}"


def _container(view, site, refs, arena: str) -> _Conversion:
    var, family = site.node, site.family
    if declared_alone(var) is None:
        raise _Refused("it is declared together with other variables")
    const, pmr = _pmr_type(view, var, family)
    args = _constructor_arguments(view, var, site.ctor, family)
    for ref in named_references_to(var, refs):
        problem = value_problem(view, ref, family)
        if problem:
            raise _Refused(problem)
    alloc = f"&{arena}"
    init = f"({args}, {alloc})" if args else f"({alloc})"
    return _Conversion([replace(var, f"{const}{pmr} {var.spelling}{init}")], f"`{var.spelling}`")


def _constructor_arguments(view, var, ctor, family: str) -> str:
    """The constructor arguments to keep before the allocator, as written."""
    written = written_initializer(view.source, var)
    if written is None:
        return ""
    if ctor is None or written.arguments is None:
        raise _Refused(f"it is initialized as `{written.text}`")
    form = constructor_form(ctor, family)
    inner, args = written.inner, written.arguments
    if form == "initializer-list":
        if family in UNORDERED:
            raise _Refused("an unordered container has no initializer-list constructor taking only an allocator")
        return "{" + inner + "}" if inner is not None else args[0]
    if form in ("copy", "move") and len(args) == 1 and family != "std::basic_string":
        if family in UNORDERED or not is_repeatable(args[0]):
            raise _Refused(f"it copies `{args[0]}`, a container with another allocator")
        return f"{args[0]}.begin(), {args[0]}.end()"
    if written.copy and inner is None and family != "std::basic_string":
        raise _Refused(f"it is initialized as `{written.text}`")  # a temporary container, not arguments
    if family in UNORDERED and len(args) > 1:
        raise _Refused("an unordered container takes the allocator only after a bucket count")
    if family in ("std::vector", "std::deque", "std::list", "std::forward_list") and args:
        element = var.type.template_arguments[0] if var.type.template_arguments else None
        if element is not None and (element.is_pointer or element.canonical.kind == T.BOOL):
            raise _Refused("with pointer or bool elements `&arena` could be read as a value")
    return ", ".join(args)


def value_problem(view, node, family: str, depth: int = 0) -> Optional[str]:
    """Why the object ``node`` names could not become its std::pmr twin where it is used: a
    type mismatch (a function taking the std:: container) or its memory leaving the
    iteration (moved, swapped, returned). None when the use is fine either way."""
    if depth > 4:
        return "it flows through more calls than hotlint follows"
    cur, parent = parent_past(node)
    if parent is None:
        return "hotlint cannot see where it is used"
    kind = parent.kind
    if kind == K.MEMBER_REF_EXPR:
        call = parent_past(parent)[1]
        if call is None or call.kind != K.CALL_EXPR:
            return f"it is used as `{_short(view, parent)}`"
        return _member_call_problem(view, call, parent.spelling, family, call.arguments, depth)
    if kind == K.CALL_EXPR:
        callee = parent.referenced
        if callee is None:
            return f"it is passed to `{_short(view, parent)}`, which hotlint cannot resolve"
        kids = parent.children
        member_operator = callee.kind == K.CXX_METHOD and parent.spelling.startswith("operator")
        if member_operator and kids and kids[0] is cur:
            return _member_call_problem(view, parent, parent.spelling, family, parent.arguments[1:], depth)
        return _argument_problem(view, parent, callee, cur, family, member_operator, depth)
    if kind in (K.COMPOUND_STMT, K.CXX_FOR_RANGE_STMT, K.LAMBDA_EXPR):
        return None  # a discarded value, the range of a loop, a lambda's capture (uses inside are checked)
    if kind in (K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR) and parent.type.spelling == "void":
        return None
    if kind == K.RETURN_STMT:
        return "it is returned, so its memory would outlive the arena"
    if kind == K.UNARY_OPERATOR:
        return "its address is taken"
    if kind == K.VAR_DECL:
        return f"it initializes `{parent.spelling}`"
    return f"it is used in `{_short(view, parent)}`"


def _member_call_problem(view, call, name: str, family: str, others, depth: int) -> Optional[str]:
    if "swap" in name:
        return "it is swapped with another container"
    if family != "std::basic_string":  # strings take other strings through std::string_view overloads
        for arg in others:
            if is_family(strip(arg).type, family):
                return f"`{name}` combines it with `{_short(view, strip(arg))}`, a container with another allocator"
    result = call.type
    if is_family(result, family):
        return value_problem(view, call, family, depth + 1)
    holder = parent_past(call)[1]
    if holder is not None and holder.kind == K.VAR_DECL and "iterator" in result.canonical.spelling \
            and "auto" not in written_type(view.source, holder):
        return f"its iterator is stored as `{written_type(view.source, holder).strip()}`"
    return None


def _argument_problem(view, call, callee, cur, family: str, member_operator: bool, depth: int) -> Optional[str]:
    qname = callee.qualified_name
    if qname in _ESCAPING_CALLS or qname.endswith("::swap"):
        return f"it is passed to `{qname}`, so its memory could leave the iteration"
    args = call.arguments
    index = next((i for i, a in enumerate(args) if a is cur), None)
    if index is None:
        return f"it is used in `{_short(view, call)}`"
    if callee.template_kind == K.FUNCTION_TEMPLATE:
        # deduced again for the std::pmr type; a std operator still needs both sides to agree
        if call.spelling.startswith("operator") or qname.startswith("std::"):
            for k, arg in enumerate(args):
                if k != index and is_family(strip(arg).type, family):
                    return f"`{_short(view, call)}` mixes it with a container of another allocator"
        if is_family(call.type, family):
            return value_problem(view, call, family, depth + 1)
        return None
    plist = parameters(callee)
    slot = index - 1 if member_operator else index
    if 0 <= slot < len(plist) and is_family(plist[slot].type, family):
        pt = plist[slot].type
        written, meant = pt.spelling, pt.non_reference().unqualified_name
        shown = f"`{written}`" if "std::" in written else f"`{written}` (`{meant}`)"
        return (f"it is passed to `{callee.spelling}`, which takes {shown}: its std::pmr twin is a "
                f"different type")
    if is_family(call.type, family):
        return value_problem(view, call, family, depth + 1)
    return None


# --------------------------------------------------------------------------- pointers


def _pointer(view, site, refs, arena: str, how: str) -> _Conversion:
    """``T* p = new T...`` / ``malloc`` freed by the same block: the block's lifetime is already
    one iteration, so the arena keeps the program's meaning."""
    node = site.node
    what = "the new-expression" if how == "new" else f"the `{how}` call"
    var, stmt = _local(node, what)
    if not var.type.is_pointer:
        raise _Refused(f"{what} does not initialize a pointer")
    array = how == "new" and site.array
    frees = []
    for ref in named_references_to(var, refs):
        use = pointer_use(ref)
        if use is not None and use[0] == "freed":
            frees.append(use[1])
        elif use is not None and use[0] == "by-reference":
            raise _Refused(f"`{var.spelling}` is passed by reference to `{use[1].referenced.spelling}`")
        elif use is not None:
            raise _Refused(f"`{var.spelling}` is {_POINTER_USES[use[0]]}")
    statement = frees[0] if len(frees) == 1 else None
    if statement is None or statement.parent is not stmt.parent or statement.range.start < stmt.range.end:
        raise _Refused(f"`{var.spelling}` is not freed exactly once, later in the block that allocates it, so "
                       "the memory may outlive the iteration")
    if how == "new":
        deleted_array = "[" in statement.tokens[:3]
        if deleted_array != array:
            raise _Refused("the delete does not match the new")
        return _new_conversion(view, site, var, statement, arena)
    return _c_conversion(view, site, statement, arena, how)


def _new_conversion(view, site, var, delete_stmt, arena: str) -> _Conversion:
    node = site.node
    written = written_new(view.source, node)
    if written == "parenthesized":
        raise _Refused("a parenthesized or placement new is left as written")
    if written == "array-shape":
        raise _Refused("the array is value-initialized or has more than one bound")
    pointee = node.type.pointee
    type_text = written.type_text
    if written.bound is not None:
        element = pointee
        if element is None or not is_trivial(element):
            raise _Refused(f"`{type_text}` has constructors or a destructor that `new[]` runs")
        count = factor(written.bound)
        text = f"static_cast<{type_text}*>({arena}.allocate({count} * sizeof({type_text}), alignof({type_text})))"
        literal = integer_in_text(written.bound)
        size = literal * element.size if literal is not None and element.size else None
        return _Conversion([replace(node, text), remove_statement(view.source, delete_stmt)], site.what, set(), size)
    after_new = written.after_new
    edits = [Edit(Range(after_new, after_new), f" ({arena}.allocate(sizeof({type_text}), alignof({type_text})))")]
    headers = {"new"}
    if pointee is not None and is_trivial(pointee, construction=False):
        edits.append(remove_statement(view.source, delete_stmt))
    else:
        edits.append(replace(strip(delete_stmt), f"std::destroy_at({var.spelling})"))
        headers.add("memory")
    return _Conversion(edits, site.what, headers, pointee.size if pointee is not None else None)


def _c_conversion(view, site, free_stmt, arena: str, how: str) -> _Conversion:
    call = site.node
    args = [_text(view, a.range) for a in call.arguments]
    align = "alignof(std::max_align_t)"
    if how == "malloc" and len(args) == 1:
        text = f"{arena}.allocate({args[0]}, {align})"
        headers = set()
    elif how == "calloc" and len(args) == 2:
        if not all(re.fullmatch(r"(sizeof\s*\([^()]*\)|[\w\s.*+-])+", a) for a in args):
            raise _Refused("calloc's arguments would be evaluated twice")
        total = f"{factor(args[0])} * {factor(args[1])}"
        text = f"std::memset({arena}.allocate({total}, {align}), 0, {total})"
        headers = {"cstring"}
    else:
        raise _Refused(f"hotlint has no arena form for `{how}`")
    literal = integer_in_text(args[0]) if len(args) == 1 else None
    return _Conversion([replace(call, text), remove_statement(view.source, free_stmt)], site.what, headers, literal)


# --------------------------------------------------------------------------- smart pointers, strings


def _unique_array(view, site, refs, arena: str) -> _Conversion:
    call = site.node
    targ = written_template_arguments(view.source, call)
    m = re.fullmatch(r"(.+?)\s*\[\s*\]", targ or "", re.S)
    if m is None:
        raise _Refused("a std::unique_ptr to one object cannot take its memory from an arena without changing "
                       "its type: reuse one object hoisted before the loop")
    element = m.group(1)
    var, _ = _local(call, "the std::make_unique call")
    element_type = call.type.template_arguments[0].element if call.type.template_arguments else None
    if "*" in element or element == "bool" or (element_type is not None and element_type.canonical.kind == T.BOOL):
        raise _Refused("a std::pmr::vector of pointers or bools does not behave like the array")
    edits = []
    for ref in named_references_to(var, refs):
        cur, parent = parent_past(ref)
        if parent is not None and parent.kind == K.CALL_EXPR and parent.spelling == "operator[]" \
                and parent.children and parent.children[0] is cur:
            continue
        if parent is not None and parent.kind == K.MEMBER_REF_EXPR and parent.spelling == "get":
            loc = parent.location
            edits.append(Edit(Range(loc, Position(loc.line, loc.column + 3)), "data"))
            continue
        raise _Refused(f"`{var.spelling}` is used as a std::unique_ptr (`{_short(view, use_context(ref))}`), not "
                       "only indexed")
    count = written_arguments_text(view.source, call)
    literal = integer_in_text(count)
    size = literal * element_type.size if literal is not None and element_type is not None and element_type.size \
        else None
    edits.insert(0, replace(var, f"std::pmr::vector<{element}> {var.spelling}({count}, &{arena})"))
    return _Conversion(edits, site.what, set(), size)


def _shared(view, site, refs, arena: str) -> _Conversion:
    call = site.node
    targ = written_template_arguments(view.source, call)
    if not targ or targ.endswith("]"):
        raise _Refused("hotlint rewrites std::make_shared of one object only")
    var, _ = _local(call, "the std::make_shared call")
    for ref in named_references_to(var, refs):
        cur, parent = parent_past(ref)
        member = parent is not None and (
            (parent.kind == K.MEMBER_REF_EXPR and parent.spelling in _SMART_POINTER_MEMBERS)
            or (parent.kind == K.CALL_EXPR and parent.spelling in _SMART_POINTER_MEMBERS
                and parent.children and parent.children[0] is cur))
        if not member:
            raise _Refused(f"the std::shared_ptr `{var.spelling}` is copied or passed on "
                           f"(`{_short(view, use_context(ref))}`), so the object could outlive the iteration")
    args = written_arguments_text(view.source, call)
    alloc = f"std::pmr::polymorphic_allocator<{targ}>(&{arena})"
    text = f"std::allocate_shared<{targ}>({alloc}{', ' + args if args else ''})"
    pointee = call.type.template_arguments[0] if call.type.template_arguments else None
    size = pointee.size + 32 if pointee is not None and pointee.size else None
    return _Conversion([replace(call, text)], site.what, {"memory"}, size)


def _concatenation(view, site, refs, arena: str) -> _Conversion:
    call = site.node
    var, stmt = _local(call, "the concatenation")
    if not is_family(var.type, "std::basic_string") or var.type.is_reference:
        raise _Refused("the concatenation does not initialize a std::string")
    written = written_type(view.source, var).strip()
    parsed = written_container(written)
    name = parsed.name if parsed is not None else ""
    if name == "auto":
        name = "string"
    if name not in STRING_NAMES:
        raise _Refused(f"its type is written `{written}`; spell it as std::string to switch it to std::pmr")
    for ref in named_references_to(var, refs):
        problem = value_problem(view, ref, "std::basic_string")
        if problem:
            raise _Refused(problem)
    pieces = [view.source.text(p.range) for p in site.pieces]
    if any(not p for p in pieces):
        raise _Refused("a piece of the concatenation comes from a macro")
    indent = view.source.indentation(stmt.range.start.line)
    key = var.spelling
    lines = [f"std::pmr::{name} {key}(&{arena});"] + [f"{key} += {p};" for p in pieces]
    return _Conversion([replace(stmt, f"\n{indent}".join(lines))], f"`{key}`", set(), site.max_length)
