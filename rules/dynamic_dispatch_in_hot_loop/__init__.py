"""dynamic-dispatch-in-hot-loop: a virtual or std::function call per element whose target the
loop never changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from hotlint.analysis.containers import OWNING_POINTERS, concrete_types_put, is_replaced, pointed_record
from hotlint.analysis.control import is_invariant, mutated_declarations
from hotlint.analysis.expressions import call_object, function_body, initializer, strip
from hotlint.analysis.kinds import NAME_REFS, K
from hotlint.analysis.symbols import in_linted_file, references_to
from hotlint.analysis.types import family, written_name
from hotlint.model import Severity
from hotlint.rule import Finding, Rule

FUNCTION_WRAPPERS = frozenset({"std::function", "std::move_only_function", "std::copyable_function"})
# a body of at most this many nodes, without a loop, is small: the call is the work
SMALL_BODY = 80
# smart-pointer members that give the pointee of the same pointer on every call
_POINTER_ACCESS = frozenset({"operator->", "operator*", "get"})


class DynamicDispatchInHotLoop(Rule):
    """A virtual call or a `std::function` call on every iteration of a loop, although the
    object (so the function called) is the same on each.

    ## What it does
    Finds, in a loop, a call whose target is chosen at run time while nothing in the loop can
    change it:

    - a virtual member function called through a pointer, a reference, a `std::unique_ptr` or
      `std::shared_ptr`, or on `*this`, on an object the loop does not change (declared before
      it, never reassigned, reset or handed out by mutable reference in it);
    - a `std::function` (or `std::move_only_function`) called with a target the loop does not
      change;
    - a virtual call on each element of a container of pointers (`std::vector<std::unique_ptr<
      Shape>>`, `std::vector<Shape*>`) that is a local whose every `push_back`/`emplace_back`
      in the function puts in the same concrete type (`std::make_unique<Circle>()`, `new
      Circle`): the target does not change either.

    Not reported: a call whose target changes per element (a container filled with several
    types, a parameter the file cannot see into, an object chosen in the body); a class or
    method marked `final`; an object whose type the compiler knows (a local or member held by
    value, a pointer to such a local): the compiler calls those directly; a qualified call
    (`p->Shape::area()`); a call outside a loop; a batch method, a virtual whose every
    definition in the file runs a loop of its own (not of a small constant trip count): its
    dispatch is paid once per range, which is the fix this rule asks for. Calls in cold code
    (a catch handler, an error branch, a loop doing I/O, set-up functions) are ranked infos
    by the hot-path model; a nested loop or a hot function raises the finding.

    Severity: a `std::function` call, or a virtual call of which the file defines at least one
    small override (no loop, at most 80 nodes, calling only functions the unit defines and that
    are not virtual: inlining would leave no call), is a warning. A virtual call whose small
    bodies the file does not show (every override defined elsewhere, or each doing more work)
    is an info: whether the dispatch matters next to the work of each call is not visible.

    ## Why is this bad?
    A virtual call loads the object's vtable pointer, loads the slot and branches indirectly;
    a `std::function` call goes through a stored pointer to a type-erased invoker. When the
    target never changes the branch predicts well, so the branch itself costs little: what
    costs is that the compiler cannot see the body. It cannot inline it, so a loop that would
    be a few vector instructions per eight elements becomes a call per element, with its
    argument and result moves and the registers saved around it, and no vectorization.

    The bench pair (`bench_fixtures/dynamic-dispatch-in-hot-loop`: 4096 floats in place, a
    transfer picked at run time from two classes called through `const Transfer&`, then a
    `std::function<float(float)>` stage; fast.cpp makes one virtual `apply_all` per pass into
    `final` classes and takes the lambda as a template parameter) measured slow/fast 5.14x
    (min 3.04x, max 5.51x over 7 alternating rounds) and 5.23x (3.48-6.44x) in a second run,
    with g++ 12 `-O2` on the 2-core AMD EPYC machine it was written on, shared with other
    jobs. Under cachegrind (`--quick`, 819,200 calls) the timed part runs 14.0 instructions
    per element against 4.9: the call, the vtable or invoker loads, the moves around it.

    Each half alone, and the work per call swept (`-DDISPATCH_STEPS=N` Horner steps of a
    multiply-add, median of 7 rounds, same machine): the virtual call against the inlined
    `final` loop 3.6x (1.8-4.7x) at one step, 2.9x at 4, and no gain from 16 steps (0.94x,
    1.00x at 64): at `-O2` g++ 12 vectorizes only loops whose trip count it knows, so the
    inlined loop over a run-time `n` stays scalar and the multiply-add chain's latency soon
    dwarfs the call. At `-O3` the same loop vectorizes: 18.6x at one step, 3.3x at 16, 3.8x
    at 64. The `std::function` against a lambda template parameter (whose loop of constant
    length `-O2` does vectorize): 116x (11-138x) at one step, 2.5x at 4, 1.16x at 16 and
    1.11x at 64. So the dispatch costs most where the call is a few instructions and the
    loop could vectorize, and nothing measurable once each call runs a long dependent chain
    or the loop cannot vectorize anyway. A loop that also does I/O per iteration is ranked
    cold (the I/O dominates). Run `hotlint bench dynamic-dispatch-in-hot-loop` for your own
    figure.

    ## Example
    ```cpp
    float total(const Shape& s, const std::vector<float>& xs) {
        float sum = 0;
        for (float x : xs)
            sum += s.area(x);      // an indirect call per element, never inlined
        return sum;
    }
    ```

    ## Use instead
    Hoist the dispatch out of the loop: give the base class a batch method called once per
    range, whose overrides run the loop over their own concrete type:
    ```cpp
    struct Shape { virtual float area_sum(std::span<const float> xs) const = 0; };
    float total(const Shape& s, const std::vector<float>& xs) { return s.area_sum(xs); }
    ```
    or make the loop a template over the concrete type (`template <class S> float
    total(const S& s, ...)`), or mark the class or the method `final` where the static type
    is the concrete one. For a `std::function`, take the callable as a template parameter
    (`template <class F> float apply(F&& f, ...)`). For a container of one concrete type,
    store that type (`std::vector<Circle>`); for several types, sort or group the elements
    by type so each group's loop calls one target.

    ## Fix safety
    No fix is offered: a batch method, a template or `final` changes the class's interface,
    and whether other translation units derive from the class is not visible in one file.

    ## Options
    None.

    ## References
    - Agner Fog, "Optimizing software in C++", 7.30 "Virtual member functions" and 7.31
      "Runtime type identification"
    - GCC manual, `-fdevirtualize`, `-fdevirtualize-speculatively` (what g++ devirtualizes
      by itself)
    - C++ standard, [class.virtual] (`final`), [func.wrap.func] (`std::function`)
    """

    name = "dynamic-dispatch-in-hot-loop"
    summary = "a virtual or std::function call per element whose target the loop never changes"
    severity = Severity.WARNING
    needs_layout = False
    options = {}
    bench_note = (  # said with its measured ratio wherever hotlint cites it
        "tiny calls (one multiply-add) in an L1-resident buffer: the gain is the call removed and, "
        "where the compiler then vectorizes, the vector width; with a long dependent chain per call "
        "(16+ steps) and no vectorization (g++ -O2, run-time trip count) it is gone"
    )

    def check(self, view) -> Iterator[Finding]:
        for call in view.calls:
            loop = call.loop
            if loop is None or not in_linted_file(view, call.node):
                continue
            node = call.node
            kids = node.children
            # cheap test first: a member call or an operator() call, before resolving the callee
            if not kids or (kids[0].kind != K.MEMBER_REF_EXPR and node.spelling != "operator()"):
                continue
            callee = call.callee
            if callee is None or callee.kind != K.CXX_METHOD:
                continue
            found = _function_call(call) or _virtual_call(view, call, callee)
            if found is not None:
                yield self._finding(view, call, callee, found)

    def _finding(self, view, call, callee, d: "Dispatch") -> Finding:
        loop_line = call.loop.node.range.start.line
        name = callee.spelling
        notes = []
        base = self.severity
        if d.kind == "function":
            head = (f"{d.wrapper} `{d.object_text}` is called per element, its target never changing here: "
                    "take the callable as a template parameter")
            notes.append(f"each call goes through the {d.wrapper}'s stored pointer to a type-erased invoker, so the "
                         "compiler cannot inline the callable: the loop makes one opaque call per element and is "
                         "not vectorized")
            notes.append(f"take the callable as a template parameter (`template <class F> ... F&& {d.object_text}`) "
                         "or an `auto` parameter so a lambda inlines, or pass the whole range to the callable once")
        elif d.kind == "container":
            head = (f"every element of `{d.object_text}` is a `{d.concrete}`, yet `{name}` is dispatched per element: "
                    f"store `{d.concrete}` objects by value")
            notes.append(f"the only elements put into `{d.object_text}` in `{call.function.name}` are `{d.concrete}`"
                         f" (line{'s' if len(d.fills) > 1 else ''} {', '.join(map(str, d.fills))}), so every "
                         f"`{name}` call in the loop at line {loop_line} goes to the same function through the "
                         "vtable, never inlined")
            notes.append(f"store the objects by value (`std::vector<{d.concrete}>`: contiguous, the call inlined), "
                         f"or mark `{d.concrete}` `final` and call through a `{d.concrete}*`; with several types, "
                         "sort or group the elements by type so each group's loop calls one target")
        else:
            where = "`*this`" if d.object_text == "this" else f"`{d.object_text}`"
            head = (f"virtual call `{name}` per element on {where}, which the loop never changes: dispatch once per "
                    "range or use a `final` type")
            notes.append(f"the call loads the vtable pointer of {where}, loads the slot of `{d.static_type}::{name}` "
                         "and branches indirectly: predicted well since the target never changes, but the compiler "
                         "cannot inline the body, so the loop makes one call per element and is not vectorized")
            notes.append(f"hoist the dispatch: a virtual batch method on `{d.static_type}` (`{name}_all(span)`) "
                         "called once, whose overrides loop over their own type; or a template over the concrete "
                         f"type, or `final` on the class or `{name}` where the static type is the concrete one")
            if not d.small:
                base = Severity.INFO
                notes.append(f"no small definition of `{name}` is in this file ({_seen(d.defined)}): whether each "
                             "call does little enough work for the dispatch to matter is not visible here, so this is "
                             "an info unless the loop is nested or its function hot")
        return Finding(call.node.range, head, severity=self.severity_for(view, call.node, base), notes=tuple(notes))


@dataclass
class Dispatch:
    kind: str  # "virtual", "function" or "container"
    object_text: str  # how the object is written (or the container's name)
    static_type: str = ""
    wrapper: str = ""
    concrete: str = ""
    fills: tuple = ()
    small: tuple = ()  # the small definitions of the callee in the file
    defined: int = 0  # how many definitions of the callee the file has


def _text(node) -> str:
    return "".join(node.tokens) if len(node.tokens) <= 8 else node.spelling


def _unchanged(obj, loop) -> bool:
    """``obj`` names the same object on every iteration of ``loop``: no call, no variable
    the loop declares or assigns, and no variable in it replaced through a call (``f = g``
    on a ``std::function``, ``p.reset(q)``, passed by mutable reference)."""
    if not is_invariant(obj, mutated_declarations([loop.node])):
        return False
    for ref in obj.walk():
        decl = ref.referenced if ref.kind == K.DECL_REF_EXPR else None
        if decl is not None and any(is_replaced(r) for r in references_to(decl, [loop.node], kinds=(K.DECL_REF_EXPR,))):
            return False
    return True


def _through_pointer(obj):
    """The smart pointer behind ``p->``, ``*p`` or ``p.get()`` on a ``std::unique_ptr`` or
    ``std::shared_ptr``; ``obj`` itself otherwise."""
    for _ in range(4):
        if obj is None:
            return None
        if obj.kind == K.UNARY_OPERATOR and obj.operator == "*" and obj.children:
            obj = strip(obj.children[0])
            continue
        if obj.kind == K.CALL_EXPR and obj.spelling in _POINTER_ACCESS:
            inner = call_object(obj, operators=True)
            if inner is not None and family(inner.type) in OWNING_POINTERS:
                obj = inner
                continue
        break
    return obj


def _function_call(call) -> Optional[Dispatch]:
    if call.node.spelling != "operator()":
        return None
    obj = call_object(call.node, operators=True)
    wrapper = family(obj.type) if obj is not None else None
    if wrapper not in FUNCTION_WRAPPERS or not _unchanged(obj, call.loop):
        return None
    return Dispatch("function", _text(obj), wrapper=f"`{wrapper}`")


def _is_final(decl) -> bool:
    return decl is not None and "final" in decl.attribute_names()


def _known_type(view, obj, fn) -> bool:
    """The compiler knows the dynamic type of the object ``obj`` designates: a variable or
    member held by value, or a pointer variable initialized with the address of one and never
    reassigned."""
    if obj.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
        decl = obj.referenced
        if decl is None:
            return False
        t = decl.type
        if t.is_record:
            return True  # by value: the compiler calls the override of its own type
        if t.is_pointer and decl.kind == K.VAR_DECL:
            init = strip(initializer(decl))
            if init is not None and init.kind == K.UNARY_OPERATOR and init.operator == "&" and init.children \
                    and fn is not None and decl not in view.analysis.reassigned(fn.node):
                target = strip(init.children[0])
                return target is not None and target.kind == K.DECL_REF_EXPR and target.referenced is not None \
                    and target.referenced.type.is_record
    if obj.kind == K.ARRAY_SUBSCRIPT_EXPR:
        return obj.type.is_record  # an element of an array of objects
    return False


def _virtual_call(view, call, callee) -> Optional[Dispatch]:
    if not callee.is_virtual or _is_final(callee):
        return None
    member = call.node.children[0]
    if member.kind != K.MEMBER_REF_EXPR:
        return None  # an operator called with operator syntax
    if any(c.kind in NAME_REFS for c in member.children):
        return None  # `p->Shape::area()`: called directly
    obj = call_object(call.node, operators=False)
    if obj is None or obj.kind == K.CXX_THIS_EXPR:
        fn = call.function
        record = fn.node.semantic_parent if fn is not None and fn.node.kind == K.CXX_METHOD else None
        if record is None or _is_final(record):
            return None
        return _virtual(view, callee, "this", record.spelling)
    t = obj.type.non_reference()
    record = t.pointee if t.is_pointer else t
    if record is None or _is_final(record.declaration):
        return None
    if _known_type(view, obj, call.function):
        return None
    behind = _through_pointer(obj)
    if behind is not None and _unchanged(behind, call.loop):
        return _virtual(view, callee, _text(behind), written_name(record))
    return _same_element_type(call, callee, behind)


def _virtual(view, callee, text: str, static_type: str) -> Optional[Dispatch]:
    defs = _definitions(view, callee)
    if defs.count and len(defs.looping) == defs.count:
        return None  # a batch method: one dispatch per range is the fix itself
    return Dispatch("virtual", text, static_type=static_type, small=defs.small, defined=defs.count)


def _same_element_type(call, callee, obj) -> Optional[Dispatch]:
    """A container finding: ``obj`` is an element of a local container of pointers every one of
    whose elements is of one concrete type."""
    if obj is None or call.function is None:
        return None
    loop = call.loop
    container = None
    if obj.kind == K.DECL_REF_EXPR and loop.node.kind == K.CXX_FOR_RANGE_STMT:
        parts = loop.parts()
        if parts["variable"] is not None and obj.referenced == parts["variable"]:
            container = strip(parts.get("range"))
    elif obj.kind == K.CALL_EXPR and obj.spelling in ("operator[]", "at"):
        container = call_object(obj, operators=True)
    if container is None or container.kind != K.DECL_REF_EXPR or container.referenced is None:
        return None
    decl = container.referenced
    fn = call.function.node
    if decl.kind != K.VAR_DECL or pointed_record(decl.type) is None or not _within(decl, fn):
        return None
    body = function_body(fn) if fn.kind != K.LAMBDA_EXPR else None
    if body is None:
        return None
    types = concrete_types_put(decl, body)
    if not types or len(types) != 1:
        return None
    concrete = types[0]  # even a `final` one: the call sees only the pointer's type
    fills = tuple(sorted({r.range.start.line for r in references_to(decl, [body], kinds=(K.DECL_REF_EXPR,))
                          if _fill_line(r)}))
    return Dispatch("container", decl.spelling, concrete=written_name(concrete), fills=fills)


def _fill_line(ref) -> bool:
    parent = ref.parent
    call = parent.parent if parent is not None and parent.kind == K.MEMBER_REF_EXPR else None
    return call is not None and call.kind == K.CALL_EXPR and call.spelling in ("push_back", "emplace_back",
                                                                              "push_front", "emplace_front")


def _within(decl, fn) -> bool:
    r, f = decl.range, fn.range
    return (r.start.line, r.start.column) >= (f.start.line, f.start.column) and \
        (r.end.line, r.end.column) <= (f.end.line, f.end.column)


@dataclass
class Definitions:
    """What the file shows of the bodies a virtual call can reach: the definitions in it of the
    callee and of its overrides."""

    small: tuple  # `Class::method` of those with a small body (no loop, few nodes, no opaque call)
    looping: tuple  # those that run a loop not of a small constant trip count
    count: int  # how many are defined here


def _definitions(view, callee) -> Definitions:
    """The definitions in this file of ``callee`` and its overrides (virtual methods of the same
    name in its class or a class derived from it), sorted by what their bodies do."""
    base = callee.semantic_parent
    hotness = view.analysis.hotness
    small, looping, count = [], [], 0
    for fn in view.functions:
        node = fn.node
        if node.kind != K.CXX_METHOD or node.spelling != callee.spelling or not node.is_virtual:
            continue
        if not _derives(node.semantic_parent, base):
            continue
        body = function_body(node)
        if body is None:
            continue
        count += 1
        name = f"`{node.semantic_parent.spelling}::{node.spelling}`"
        loops = [loop for loop in view.loops if loop.function is fn]
        if any(hotness.trip_count(loop) is None for loop in loops):
            looping.append(name)
        elif _small(body):
            small.append(name)
    return Definitions(tuple(small), tuple(looping), count)


def _small(body) -> bool:
    """A body inlining would make cheap: at most SMALL_BODY nodes, and every call in it to a
    function defined in the unit and not virtual (an opaque call would stay after inlining)."""
    size = 0
    for n in body.walk():
        size += 1
        if size > SMALL_BODY:
            return False
        if n.kind == K.CALL_EXPR:
            callee = n.referenced
            if callee is None or callee.is_virtual or callee.definition is None:
                return False
    return True


def _seen(count: int) -> str:
    if count == 0:
        return "none of its definitions is"
    return f"its {count} definition{'s' if count > 1 else ''} here each run{'' if count > 1 else 's'} more work"


def _derives(record, base, depth: int = 0) -> bool:
    if record is None or base is None or depth > 8:
        return False
    if record.is_same_declaration(base):
        return True
    for c in record.children:
        if c.kind == K.CXX_BASE_SPECIFIER:
            t = c.type.declaration
            if _derives(t, base, depth + 1):
                return True
    return False
