"""shared-ptr-copy-in-loop: a std::shared_ptr copied on every iteration of a loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from hotlint.analysis.control import outermost_function
from hotlint.analysis.edits import replace
from hotlint.analysis.expressions import call_object, function_body, parameters, parent_past, same_cursor, strip
from hotlint.analysis.kinds import K, T
from hotlint.analysis.reach import Contact, TypeReach
from hotlint.analysis.source import written_type
from hotlint.analysis.symbols import in_linted_file, std_name
from hotlint.analysis.types import written_name
from hotlint.model import Applicability, Range, Severity
from hotlint.rule import Finding, Option, Rule, fix

SHARED_PTR = "std::shared_ptr"
# comparisons read both operands and keep neither
_COMPARISONS = frozenset({"operator==", "operator!=", "operator<", "operator<=", "operator>", "operator>=",
                          "operator<=>"})
# how deep a `const std::shared_ptr<T>&` parameter is followed into the functions it is handed to
_DEPTH = 3
_MECHANISM = (
    "each copy of a std::shared_ptr adds 1 to the shared count with a lock-prefixed atomic add "
    "(`lock xadd` on x86-64: a locked read-modify-write that also waits for the core's earlier stores) "
    "and its destruction subtracts 1 again; when several threads copy the same pointers, the "
    "count's cache line moves between their cores on every copy")


class SharedPtrCopyInLoop(Rule):
    """A `std::shared_ptr` copied on every iteration of a loop only to be read through.

    ## What it does
    Finds a copy of a `std::shared_ptr` (its copy constructor, or the converting one from a
    `shared_ptr` of a derived class) made on every iteration of a loop, where the copy is only
    read through:

    - a range-`for` loop variable declared by value: `for (auto p : ptrs)`,
      `for (std::shared_ptr<T> p : v)`, `for (const auto p : v)`;
    - a local declared in the loop and initialized from an lvalue: `auto p = v[i];`,
      `std::shared_ptr<T> cur = node->child;`, and `std::move` of a `const` pointer, which
      copies;
    - an lvalue passed to a by-value `std::shared_ptr<T>` parameter of a function whose body is
      in the unit (`void use(std::shared_ptr<T> p)` called with `use(v[i])`) and that only
      reads through its parameter.

    "Only read through" means every use of the copy is `->`, `*`, `get()`, `use_count()`, a
    test (`if (p)`), a comparison, or passing it to a `const std::shared_ptr<T>&` parameter of a
    function in the unit that itself only reads through it. Nothing is reported when the copy
    is kept or changed: moved (`std::move(p)`), copied on (into a container, a member, another
    call's by-value parameter), captured by a lambda, bound to a non-const reference, reset,
    assigned or swapped. A `std::unique_ptr` cannot be copied; `weak_ptr::lock()` and
    `std::make_shared` create a new strong reference, which is not a copy of one; a pointer
    moved into its new place (`auto p = std::move(v[i])` of a non-const `v`) is not a copy.

    A by-value parameter whose callee's body is not in the unit (declared in a header, defined
    in another file) is not reported by default: hotlint cannot see whether the callee keeps the
    pointer, and a by-value `std::shared_ptr` parameter is the C++ Core Guidelines' way to say
    it does (R.34), in which case the copy is needed. Set `unseen-callees = true` to report
    those calls as well (as information: the finding says the callee is not visible).

    Code that runs rarely is not reported: a catch handler, an `[[unlikely]]` or error branch, a
    loop doing I/O on every iteration, a loop of a small constant trip count in a function with
    no hot evidence. Without evidence of hotness a finding is an info; in a nested loop, in a
    function the file calls from a loop, or in a hot function (`[[gnu::hot]]`,
    `hot-functions`) it is a warning.

    ## Why is this bad?
    A `std::shared_ptr` keeps its owners' count in a control block shared by every copy.
    Copying increments that count with an atomic read-modify-write (`lock xadd` on x86-64) and
    destroying the copy decrements it the same way: two locked instructions per copy, each a
    full memory barrier that waits for the core's store buffer to drain, where a reference
    costs nothing. When several threads copy the same pointers, every copy also takes the
    count's cache line away from the other cores. The bench pair (summing a field through 4096
    `std::shared_ptr<Obj>` of a vector, by value against `const auto&`) measured slow/fast
    10.70x (min 9.12x, max 12.54x over 7 alternating rounds; 23 ns against 2.2 ns per element)
    with g++ 12 `-O2` on the 2-core x86-64 machine it was written on, shared with other jobs;
    hotlint's own fix applied to slow.cpp (`hotlint bench --verify-fixes`) gave 10.84x
    (9.02-12.36x) with the same checksum. With two threads copying the same pointers
    (`hotlint bench shared-ptr-copy-in-loop/threads`) the ratio was 15.69x (9.04-30.46x over 7
    alternating rounds; 13.9x, 12.3-25.9x, in a run by hand, 94 ns per copy); on that loaded
    2-core machine (load average 14) the threads often ran in turns, so the figure mixes the
    moving count line with scheduling.
    cachegrind counts instructions, not the cost of a locked one: in the quick mode slow.cpp
    ran 5.33 M instructions against 3.94 M (about 17 more per copy) with the same D1 misses.
    Run `hotlint bench shared-ptr-copy-in-loop` for your own figure.

    ## Example
    ```cpp
    long total(const std::vector<std::shared_ptr<Obj>>& objs) {
        long sum = 0;
        for (auto p : objs)        // two atomic operations per element
            sum += p->value;
        return sum;
    }
    ```

    ## Use instead
    ```cpp
    long total(const std::vector<std::shared_ptr<Obj>>& objs) {
        long sum = 0;
        for (const auto& p : objs) // no copy: the vector keeps every Obj alive
            sum += p->value;
        return sum;
    }
    ```
    For a parameter, take `const Obj&` or `Obj*` (the callee does not share ownership) or
    `const std::shared_ptr<Obj>&`; where the caller's pointer is not used after the call, pass
    `std::move(p)`.

    ## Fix safety
    For a by-value range-`for` variable or loop-local copy, the fix binds a reference instead
    (`auto p` becomes `const auto& p`, a written type `T` becomes `const T&`). It is **safe**
    (applied by `--fix`) when the copy is only read through and nothing else the loop body
    runs, following calls into the function bodies the unit has, touches a `std::shared_ptr`
    of the same type or a container of them: then nothing can reset or remove the pointer the
    reference names while the copy would have kept its object alive (the classic case is a
    callback that unregisters itself from the list being walked). Otherwise the rewrite is
    shown but not applied (display-only), with what hotlint could not rule out. No fix is
    offered for a copy into a base-class pointer (`std::shared_ptr<Base> b = derived`), whose
    reference would need the source's type.

    For a by-value parameter the finding shows the signature with
    `const std::shared_ptr<T>&` as a display-only fix: changing a signature changes every
    caller, and other units may call it.

    ## Options
    - `unseen-callees` (default `false`): also report an lvalue copied into a by-value
      `std::shared_ptr` parameter of a function whose body the unit does not have.

    ## References
    - C++ Core Guidelines R.30, R.34, R.36, F.7 (smart pointers as parameters)
    - libstdc++ `bits/shared_ptr_base.h`: `_Sp_counted_base::_M_add_ref_copy` and
      `_M_release` (`__atomic_add_fetch`, `__atomic_fetch_add` with `__ATOMIC_ACQ_REL`)
    - Agner Fog, "Instruction tables" (LOCK XADD latency); Intel SDM vol. 3, 8.2.5 (locked
      instructions as barriers)
    - Herb Sutter, GotW #91, "Smart Pointer Parameters"
    """

    name = "shared-ptr-copy-in-loop"
    summary = "a std::shared_ptr copied per iteration only to be read: two atomic count updates each time"
    severity = Severity.INFO
    needs_layout = False
    options = {
        "unseen-callees": Option(False, "report copies into by-value parameters of functions whose body "
                                        "is not in the unit", bool),
    }
    bench_note = ("single thread, the pointers' counts in L2: the cost is the two locked instructions per "
                  "copy, not cache misses (cachegrind shows the same D1 misses and ~17 more instructions per "
                  "copy); contention between threads, measured separately by the threads/ pair, adds to it")

    def check(self, view) -> Iterator[Finding]:
        unseen = bool(self.option(view, "unseen-callees"))
        hotness = view.analysis.hotness
        for site in view.calls:
            if site.name != "shared_ptr" or site.function is None:
                continue  # the cheap test first: only a constructor of shared_ptr is spelled so
            source = copied_from(site.node)
            if source is None or not in_linted_file(view, site.node):
                continue
            loop = view.enclosing_loop(site.node)
            if loop is None:
                continue
            copy = _classify(view, site.node, source, loop, unseen)
            if copy is None:
                continue
            region = hotness.cold_region(site.node)
            if region is not None and (region.strength != "trip" or not _hot(view, site.function)):
                continue
            yield self._finding(view, site, copy)

    def _finding(self, view, site, copy: "Copy") -> Finding:
        notes = [_MECHANISM]
        notes.extend(copy.notes)
        severity = self.severity_for(view, copy.at)
        if severity == Severity.INFO and view.analysis.hotness.called_in_loop(site.function.node):
            severity = Severity.WARNING  # a loop in a function called from a loop: a nested loop
        return Finding(copy.at.range, copy.message, severity=severity, fix=copy.fix, notes=tuple(notes))


@dataclass
class Copy:
    at: object  # where the finding points
    message: str
    notes: list
    fix: object = None


def copied_from(call) -> Optional[object]:
    """The lvalue a std::shared_ptr copy (or converting copy) constructor call copies
    (``auto p = v[i]``), None for any other call: a move, a conversion from a weak_ptr or a
    unique_ptr, make_shared."""
    callee = call.referenced
    if callee is None or callee.kind != K.CONSTRUCTOR:
        return None
    owner = callee.semantic_parent
    if owner is None or std_name(owner.qualified_name) != SHARED_PTR:
        return None
    params = parameters(callee)
    if len(params) != 1:
        return None
    t = params[0].type
    if t.kind != T.LVALUEREFERENCE or t.pointee is None or not t.pointee.is_const:
        return None
    if t.non_reference().record_name != SHARED_PTR:
        return None
    args = call.arguments
    return args[0] if len(args) == 1 else None


def _hot(view, fn) -> bool:
    return outermost_function(view, fn).is_hot


# --------------------------------------------------------------------------- what the copy is


def _classify(view, call, source, loop, unseen: bool) -> Optional[Copy]:
    cur, holder = parent_past(call)
    if holder is None:
        return None
    if holder.kind == K.VAR_DECL:
        return _variable_copy(view, holder, call, source, loop)
    if holder.kind == K.CALL_EXPR:
        args = holder.arguments
        index = next((i for i, a in enumerate(args) if a is cur), None)
        if index is not None:
            return _argument_copy(view, holder, index, call, source, unseen)
    return None


def _variable_copy(view, var, call, source, loop) -> Optional[Copy]:
    if var.storage != "auto" or var.type.is_reference:
        return None
    parts = loop.parts()
    in_range_for = loop.node.kind == K.CXX_FOR_RANGE_STMT and parts["variable"] is var
    if in_range_for:
        roots = [parts["body"]] if parts["body"] is not None else []
    else:
        roots = _following(var)
        if roots is None:
            return None
    kept = first_keeping_use(var, roots)
    if kept is not None:
        return None  # moved, copied on, captured, changed: the copy is the point
    name = var.spelling
    typ = _type_name(var.type)
    moved_const = _moved_const(source)
    src = _short(view, moved_const or source)
    converted = not _same_type(var.type, source.type)
    notes = []
    if in_range_for:
        rng = _short(view, parts["range"]) if parts["range"] is not None else None
        bind = f"bind `{_reference_spelling(view, var) or 'const auto&'} {name}` instead"
        message = f"`{name}` copies each {typ} of {'`' + rng + '`' if rng else 'the range'}; {bind}"
        if len(message) > 120:
            message = f"the loop variable `{name}` copies each {typ}; {bind}"
        if len(message) > 120:
            message = f"the loop variable `{name}` copies a std::shared_ptr per element; bind a const reference"
    else:
        message = f"`{name}` copies `{src}` every iteration only to read through it; " \
                  f"bind `{_reference_spelling(view, var) or 'const auto&'} {name}`"
        if len(message) > 120:
            message = f"`{name}` copies a std::shared_ptr every iteration only to read through it; bind a const reference"
    if moved_const:
        notes.append(f"`{src}` is const, so std::move cannot move from it: the copy constructor runs")
    notes.append(f"`{name}` is only read through in the loop (->, *, get(), tests), so "
                 f"{'the element' if in_range_for else f'`{src}`'} can be used where it is, without a copy")
    the_fix = None
    if converted:
        notes.append(f"`{name}` converts to {typ}: a reference needs the source's own type "
                     f"({_type_name(source.type)}), or use a raw `{_pointee(var.type)}*`")
    else:
        spelled = _reference_spelling(view, var)
        if spelled is not None and not moved_const:
            edit = replace(Range(var.range.start, var.location), spelled + " ")
            risk = _risk(view, var, roots)
            if risk is None:
                the_fix = fix(f"bind `{name}` as `{spelled}`", [edit], Applicability.SAFE)
            else:
                the_fix = fix(f"bind `{name}` as `{spelled}` (review first: see the note)", [edit],
                              Applicability.DISPLAY_ONLY)
                notes.append(f"not applied automatically: {risk}")
    return Copy(var, message, notes, the_fix)


def _argument_copy(view, call, index, copy_call, source, unseen: bool) -> Optional[Copy]:
    callee = call.referenced
    if callee is None or callee.kind not in (K.FUNCTION_DECL, K.CXX_METHOD):
        return None  # a constructor builds an object that keeps it; a template is not resolved
    if callee.is_in_system_header or callee.is_virtual:
        return None  # the library's by-value parameters keep their pointer; an override may too
    params = parameters(callee)
    if index >= len(params):
        return None
    param = params[index]
    if param.type.non_reference().record_name != SHARED_PTR or param.type.is_reference:
        return None
    moved_const = _moved_const(source)
    src = _short(view, moved_const or source)
    typ = _type_name(param.type)
    who = callee.spelling
    definition = callee.definition
    if definition is None:
        if not unseen:
            return None
        return Copy(source, f"`{src}` is copied into `{who}`'s by-value {typ} parameter every iteration",
                    [f"the body of `{who}` is not in this unit: if it keeps the pointer the copy is needed "
                     f"(pass std::move when `{src}` is not used after); if it only reads through it, take "
                     f"`const {_pointee(param.type)}&` or `const {typ}&`"])
    body = function_body(definition)
    dparams = parameters(definition)
    if body is None or index >= len(dparams):
        return None
    dparam = dparams[index]
    if first_keeping_use(dparam, [body]) is not None:
        return None  # the callee keeps it (stores, moves, copies it on): the copy is the point
    pname = dparam.spelling or "its parameter"
    message = (f"`{who}` takes {typ} by value only to read through it: each call copies `{src}`; "
               f"take `const {_pointee(param.type)}&`")
    if len(message) > 120:
        message = f"`{who}` takes a std::shared_ptr by value only to read through it: each call here copies one"
    notes = [f"`{who}` (line {definition.range.start.line}) only reads through `{pname}`: "
             f"`const {_pointee(param.type)}&` or `{_pointee(param.type)}*` says it does not share ownership, "
             f"`const {typ}&` keeps the callers as they are"]
    the_fix = None
    if in_linted_file(view, definition):
        edits = []
        for decl in _declarations(view, callee):
            ps = parameters(decl)
            if index < len(ps):
                e = _const_reference_edit(view, ps[index])
                if e is not None:
                    edits.append(e)
        if edits:
            the_fix = fix(f"take `{pname}` as `const {typ}&` (changes the signature for every caller)",
                          edits, Applicability.DISPLAY_ONLY)
    if moved_const:
        notes.append(f"`{src}` is const, so std::move cannot move from it: the copy constructor runs")
    return Copy(source, message, notes, the_fix)


# --------------------------------------------------------------------------- uses of the copy


def first_keeping_use(var, roots, depth: int = 0) -> Optional[object]:
    """The first use of the shared_ptr ``var`` under ``roots`` that may change it or keep a
    copy of it (moved, copied, captured, bound to a non-const reference, a non-const member
    call), None when every use only reads through it."""
    for root in roots:
        for n in root.walk():
            if n.kind == K.VARIABLE_REF and same_cursor(n.referenced, var):
                return n  # a lambda's explicit capture
            if n.kind != K.DECL_REF_EXPR or not same_cursor(n.referenced, var):
                continue
            if _in_lambda(n, root) or not _reads(n, depth):
                return n
    return None


def _in_lambda(node, stop) -> bool:
    for a in node.ancestors():
        if a is stop:
            return False
        if a.kind == K.LAMBDA_EXPR:
            return True
    return False


def _reads(ref, depth: int) -> bool:
    """``ref`` (a shared_ptr named) is only read through: the object of a const member call
    (``->``, ``*``, ``get()``, ``use_count()``, ``operator bool``), an operand of a comparison, or
    an argument bound to a ``const shared_ptr&`` parameter of a function that only reads it."""
    cur, parent = parent_past(ref)
    if parent is None:
        return False
    if parent.kind == K.MEMBER_REF_EXPR:
        call = parent.parent
        if call is None or call.kind != K.CALL_EXPR or not call.children or call.children[0] is not parent:
            return False
        callee = call.referenced
        return callee is not None and callee.is_const_method
    if parent.kind != K.CALL_EXPR:
        return False
    callee = parent.referenced
    if callee is None:
        return False
    if callee.kind in (K.CXX_METHOD, K.CONVERSION_FUNCTION) and parent.children and parent.children[0] is cur:
        return callee.is_const_method and parent.spelling.startswith("operator")
    if parent.spelling in _COMPARISONS:
        return True
    index = next((i for i, a in enumerate(parent.arguments) if a is cur), None)
    params = parameters(callee)
    if index is None or index >= len(params) or callee.kind == K.CONSTRUCTOR:
        return False
    t = params[index].type
    if t.kind != T.LVALUEREFERENCE or t.pointee is None or not t.pointee.is_const:
        return False
    # a const reference may still be copied from: follow it into a body the unit has
    definition = callee.definition
    if depth >= _DEPTH or definition is None or callee.is_virtual or callee.is_in_system_header:
        return False
    body, dparams = function_body(definition), parameters(definition)
    if body is None or index >= len(dparams):
        return False
    return first_keeping_use(dparams[index], [body], depth + 1) is None


def _pointer_reads(roots) -> list:
    """The calls under ``roots`` that only read a named std::shared_ptr variable: a const member
    call on it (``p->``, ``*p``, ``p.get()``, a test) or a comparison of such variables. They run
    no code of the program and change no count, and their subtrees hold nothing else."""
    out = []
    for root in roots:
        for n in root.walk():
            if n.kind != K.CALL_EXPR or n.referenced is None:
                continue
            if n.spelling in _COMPARISONS and n.referenced.is_in_system_header:
                operands = n.arguments
            elif n.referenced.is_const_method:
                obj = call_object(n, operators=True)
                operands = [obj] if obj is not None else []
            else:
                continue
            if operands and all(_named_pointer(o) for o in operands):
                out.append(n)
    return out


def _named_pointer(expr) -> bool:
    """A variable or parameter of a std::shared_ptr type, or a null pointer constant."""
    n = strip(expr)
    if n is None:
        return False
    if n.kind == K.CXX_NULL_PTR_LITERAL_EXPR:
        return True
    return n.kind == K.DECL_REF_EXPR and n.type.non_reference().record_name == SHARED_PTR


def _risk(view, var, roots) -> Optional[str]:
    """What else the loop body runs that could reset or remove the pointer a reference would
    name (another shared_ptr of the type or a container of them, code hotlint cannot follow),
    worded for a note; None when there is nothing."""
    reach = TypeReach(var.type)
    contact = reach.first_contact(roots, skip=_pointer_reads(roots))
    if contact is None:
        return None
    return _contact_words(view, contact, var)


def _contact_words(view, c: Contact, var) -> str:
    line = f" (line {c.node.range.start.line})" if c.node is not None and in_linted_file(view, c.node) else ""
    via = f" through `{c.via[0].spelling}`" if c.via else ""
    typ = _type_name(var.type)
    if c.kind == "uses-type":
        what = _short(view, c.node) if in_linted_file(view, c.node) else None
        return (f"the loop also uses {'`' + what + '`' if what else 'a ' + typ}{line}{via}, a {typ} or a container of "
                f"them: if that resets or removes the pointer `{var.spelling}` names, a reference would see it "
                f"where the copy kept its own")
    if c.kind in ("no-body", "library-call", "passes-user-types", "virtual-call", "unresolved-call"):
        name = c.name or (_short(view, c.node) if c.node is not None and in_linted_file(view, c.node) else "a call")
        return (f"the loop calls `{name}`{line}{via}, which hotlint cannot follow: if it can remove the "
                f"pointer `{var.spelling}` names from its container, a reference would dangle where the copy "
                f"kept the object alive")
    return (f"hotlint could not follow everything the loop runs ({c.kind}) to rule out that the pointer "
            f"`{var.spelling}` names is reset meanwhile")


# --------------------------------------------------------------------------- spelling


def _following(var) -> Optional[list]:
    """The statements after ``var``'s declaration in its block (where it is used), None when
    it is not declared in a block statement of its own."""
    stmt = var.parent
    if stmt is None or stmt.kind != K.DECL_STMT:
        return None
    block = stmt.parent
    if block is None or block.kind != K.COMPOUND_STMT:
        return None
    kids = block.children
    i = next(k for k, s in enumerate(kids) if s is stmt)
    if len(stmt.children) != 1:
        return None  # `auto a = x, b = y;`: the type is shared by both
    return kids[i + 1:]


def _reference_spelling(view, var) -> Optional[str]:
    """``var``'s written type as a const reference: ``auto`` -> ``const auto&``,
    ``std::shared_ptr<T>`` -> ``const std::shared_ptr<T>&``, ``const auto`` -> ``const auto&``;
    None when the type is not spelled in the file (a macro)."""
    if not in_linted_file(view, var):
        return None
    text = written_type(view.source, var).strip()
    if not text or "&" in text or "static" in text.split():
        return None
    words = text.split()
    if "const" in words:
        return f"{text}&"
    return f"const {text}&"


def _const_reference_edit(view, param):
    """The edit giving the by-value parameter ``param`` the type ``const T&``, None when its
    type is not spelled in the file."""
    if not in_linted_file(view, param):
        return None
    if param.spelling:
        text = written_type(view.source, param).strip()
        if not text:
            return None
        return replace(Range(param.range.start, param.location), f"const {text}& ")
    text = view.source.text(param.range)
    return replace(param.range, f"const {text.strip()}&") if text else None


def _declarations(view, callee) -> list:
    return [d for d in view.nodes(callee.kind) if d.spelling == callee.spelling and d.is_same_declaration(callee)]


def _moved_const(source):
    """The argument of ``std::move(x)`` when the copy's source is one (x is const, or the copy
    constructor would not run), else None."""
    n = strip(source)
    if n is None or n.kind != K.CALL_EXPR or n.spelling != "move" or n.referenced is None:
        return None
    if std_name(n.referenced.qualified_name) != "std::move" or len(n.arguments) != 1:
        return None
    return n.arguments[0]


def _same_type(a, b) -> bool:
    return a.non_reference().canonical.spelling.replace("const ", "") == \
        b.non_reference().canonical.spelling.replace("const ", "")


def _type_name(t) -> str:
    """The type as spelled, or its canonical spelling when that is a library typedef such as
    ``value_type`` (what ``auto p = v[i]`` is declared with)."""
    name = written_name(t.non_reference())
    return name if "shared_ptr" in name else written_name(t.non_reference().canonical)


def _pointee(t) -> str:
    args = t.non_reference().template_arguments
    return written_name(args[0]) if args else "T"


def _short(view, node) -> str:
    return view.source.shortened(node.range, 40, too_long="ellipsis") or "the pointer"
