"""padding-waste's fix: the field declarations moved into the best order, and why moving them
could change what the program does (which makes the fix unsafe)."""

from __future__ import annotations

import re
from typing import Optional

from hotlint.analysis.edits import replace
from hotlint.analysis.expressions import write_at
from hotlint.analysis.kinds import EFFECTS, K
from hotlint.analysis.layout import display_name, simple_name
from hotlint.analysis.symbols import extern_c_line, is_source_path
from hotlint.analysis.types import has_visible_lifetime
from hotlint.model import Applicability, FieldLayout, Fix, Position, Range
from hotlint.rule import fix

_AFTER_DECLARATION = re.compile(r"\s*;\s*(//.*|/\*.*?\*/\s*)?")
# Declarations whose bodies see the whole class: a field named only inside them may move below them.
_COMPLETE_CLASS_BODIES = frozenset({K.CXX_METHOD, K.CONSTRUCTOR, K.DESTRUCTOR, K.CONVERSION_FUNCTION,
                                    K.FUNCTION_TEMPLATE, K.FRIEND_DECL})
# Calls an initializer may make without its place in the initialization order showing.
_TRANSPARENT_CALLS = ("std::move", "std::forward")


def reorder_fix(view, rec, own: list[FieldLayout], best: list[FieldLayout],
                best_size: int) -> tuple[Optional[Fix], Optional[str]]:
    """The reorder edit, or None and the reason no mechanical edit is offered."""
    layout, node = rec.layout, rec.node
    if layout.is_template_instantiation or node.kind == K.CLASS_TEMPLATE:
        return None, (f"layout of the instantiation `{display_name(layout)}`; the best order of a class template "
                      "can depend on its arguments, so no fix is offered")
    uses = view.analysis.layout_uses
    inits = uses.brace_initialization_lines(layout)
    if inits:
        return None, (f"brace-initialized on line {inits[0]}: positional initializers follow the field "
                      "order, so no fix is offered")
    pinned = next((r for r in view.analysis.layouts.enclosing_records(layout) if uses.pinning_use(r)), None)
    if pinned is not None:
        return None, (f"`{display_name(pinned)}` holds it and its layout is pinned (a `static_assert`, "
                      "or read and written as bytes), so no fix is offered")
    source = view.source
    slots = [_slot(source, f) for f in own]
    if None in slots or any(b[0] <= a[1] for a, b in zip(slots, slots[1:])):
        return None, ("fields share lines with each other or with other code (`int a, b;`), "
                      "so no fix is offered")
    first, last = slots[0][0], slots[-1][1]
    if any(source.line(n).lstrip().startswith("#") for n in range(first, last + 1)):
        return None, "preprocessor lines sit between the fields, so no fix is offered"
    if any(c.kind == K.CXX_ACCESS_SPEC_DECL and first <= c.range.start.line <= last for c in node.children):
        return None, ("the fields are in different access sections; moving one across a `public:` / "
                      "`private:` line would change its access, so no fix is offered")
    text = {f.name: _whole_lines(source, top, bottom) for f, (top, bottom) in zip(own, slots)}
    edits = [replace(Range(Position(top, 1), Position(bottom, len(source.line_bytes(bottom)) + 1)), text[f.name])
             for (top, bottom), f in zip(slots, best)]
    description = (f"reorder the fields of `{display_name(layout)}` to `{', '.join(f.name for f in best)}` "
                   f"({layout.size} -> {best_size} bytes)")
    risk = _reorder_risk(view, rec, own, best)
    if risk is None:
        return fix(description, edits, Applicability.SAFE), None
    return fix(f"{description}; unsafe: {risk}", edits, Applicability.UNSAFE), None


def _whole_lines(source, top: int, bottom: int) -> str:
    return "\n".join(source.lines[top - 1:bottom])


def _slot(source, f: FieldLayout) -> Optional[tuple[int, int]]:
    """The whole lines a field declaration occupies, with the `//` lines just above it."""
    r = f.range
    if source.line_bytes(r.start.line)[: r.start.column - 1].strip():
        return None
    if not _AFTER_DECLARATION.fullmatch(source.after(r.end).decode(errors="replace")):
        return None
    if not re.search(rf"\b{re.escape(f.name)}\b", _whole_lines(source, r.start.line, r.end.line)):
        return None  # made by a macro
    top = r.start.line
    while top > 1 and source.line(top - 1).lstrip().startswith("//"):
        top -= 1
    return top, r.end.line


# --------------------------------------------------------------------------- fix safety

def _reorder_risk(view, rec, own: list[FieldLayout], best: list[FieldLayout]) -> Optional[str]:
    """Why moving the fields could change what the program does, or None when it cannot: the
    record lives in this source file only, nothing reads it as bytes or by position, and the
    order its members are initialized in is unobservable."""
    layout, node = rec.layout, rec.node
    uses = view.analysis.layout_uses
    if not is_source_path(view.path):
        return "the record is in a header, where other translation units share its layout"
    line = extern_c_line(node, simple_name(layout), uses.linkage)
    if line:
        return f"C code shares its layout (`extern \"C\"` on line {line})"
    source = view.source
    overlapping = next((f.name for f in own if "no_unique_address" in _whole_lines(
        source, f.range.start.line, f.range.end.line)), None)
    if overlapping:
        return f"`[[no_unique_address]]` on `{overlapping}` lets fields share storage"
    affected = [layout, *view.analysis.layouts.enclosing_records(layout)]
    union = next((r for r in affected if r.is_union), None)
    if union is not None:
        return f"the union `{display_name(union)}` holds it"
    reason = _byte_use(affected, uses)
    if reason:
        return reason
    reason = _positional_use(node, layout, uses) or _declaration_order_risk(node, own)
    if reason:
        return reason
    return _initialization_order_risk(rec, own, best, uses)


def _line(node) -> int:
    return node.range.start.line


def _byte_use(affected, uses) -> Optional[str]:
    """A use, call or cast that treats the record (or one holding it) as bytes."""
    for r in affected:
        use = uses.format_use(r)
        if use is not None:
            if use.word == "union":
                return f"the union on line {use.line} holds `{display_name(r)}`"
            return f"`{use.word}` on line {use.line} names `{display_name(r)}`"
    names = {r.name for r in affected}
    for call, touched in uses.byte_calls:
        if not touched.isdisjoint(names):
            return f"`{call.spelling}` on line {_line(call)} reads or writes its bytes"
    for cast, src, dst, both_records in uses.pointer_casts:
        a, b = src in names, dst in names
        if not (a or b):
            continue
        if cast.kind != K.CXX_REINTERPRET_CAST_EXPR:
            if a == b:
                continue  # between records that move together
            if cast.kind == K.CXX_STATIC_CAST_EXPR and both_records:
                continue  # up or down a class hierarchy: no bytes reinterpreted
        return f"the cast on line {_line(cast)} reinterprets its bytes"
    return None


def _positional_use(node, layout, uses) -> Optional[str]:
    """Code that relies on the field order by position: C++20 parenthesized aggregate
    initialization, direct or through `emplace`-like calls, structured bindings and defaulted
    ordering comparisons (lexicographic in declaration order)."""
    name = layout.name
    for n, made in uses.paren_inits:
        if made == name:
            return f"line {_line(n)} initializes its fields by position"
    if not any(c.kind == K.CONSTRUCTOR for c in node.children):  # an aggregate
        word = re.compile(rf"(?<![\w:]){re.escape(name)}\b")
        for call, spelled, lone in uses.forwarding:
            if lone != name and word.search(spelled):  # a lone argument of its own type is a copy
                return f"`{call.spelling}` on line {_line(call)} initializes its fields by position"
    for n, bound in uses.bindings:
        if bound == name:
            return f"the structured binding on line {_line(n)} binds its fields by position"
    for n, compared in uses.orderings:
        if name in compared:
            return f"the defaulted `{n.spelling}` on line {_line(n)} compares its fields in declaration order"
    return None


def _declaration_order_risk(node, own) -> Optional[str]:
    """A declaration among the fields that names a field (`decltype(n) m;`, `char buf[sizeof n]`,
    a signature `-> decltype(n)`): outside function bodies a class member is only visible
    after its declaration, so moving the field below it would not compile."""
    names = {f.name for f in own}
    first, last = min(f.range.start.line for f in own), max(f.range.end.line for f in own)
    for c in node.children:
        if not first <= c.range.start.line <= last:
            continue
        toks = c.tokens
        stop = ("{", "=", ":") if c.kind in _COMPLETE_CLASS_BODIES or c.kind == K.FIELD_DECL else ()
        head = next((toks[:i] for i, t in enumerate(toks) if t in stop), toks)
        named = {t for t in head if t in names} - ({c.spelling} if c.kind == K.FIELD_DECL else set())
        if named:
            return f"the declaration on line {_line(c)} names `{sorted(named)[0]}`, which must stay above it"
    return None


def _initialization_order_risk(rec, own, best, uses) -> Optional[str]:
    """Members are initialized in declaration order: a reorder is invisible only when no
    initializer has a side effect or reads another member, every constructor's initializer
    list still follows the new order, and members with a visible constructor or destructor
    keep their order among themselves."""
    node, short = rec.node, simple_name(rec.layout)
    position = {f.name: i for i, f in enumerate(best)}
    own_names = set(position)
    for f in node.children:
        if f.kind == K.FIELD_DECL and f.spelling in own_names:
            for init in (c for c in f.children if c.is_expression):
                effect = _initializer_effect(init)
                if effect:
                    return f"the initializer of `{f.spelling}` on line {_line(init)} {effect}"
    for ctor in uses.constructors:
        if ctor.spelling != short or not node.is_same_declaration(ctor.semantic_parent):
            continue
        kids, order = ctor.children, []
        for i, k in enumerate(kids):
            if k.kind != K.MEMBER_REF or k.spelling not in own_names:
                continue
            order.append(position[k.spelling])
            if i + 1 < len(kids) and kids[i + 1].is_expression:
                effect = _initializer_effect(kids[i + 1])
                if effect:
                    return f"the initializer of `{k.spelling}` on line {_line(k)} {effect}"
        if order != sorted(order):
            return (f"the member initializer list on line {_line(ctor)} would no longer follow the field order "
                    "(members are initialized in declaration order)")
    types = rec.type.field_types()
    visible = [f.name for f in own if has_visible_lifetime(types.get(f.name))]
    moved = sorted(visible, key=position.__getitem__)
    if moved != visible:
        a, b = next((x, y) for x, y in zip(visible, moved) if x != y)
        return f"`{a}` and `{b}` have constructors or destructors of their own that would run in the other order"
    return None


def _initializer_effect(expr) -> Optional[str]:
    """What makes an initializer's position in the initialization order observable, or None."""
    for n in expr.walk():
        k = n.kind
        if k == K.MEMBER_REF_EXPR and not any(c.is_expression for c in n.children):
            return f"reads member `{n.spelling}`"
        if k in EFFECTS or write_at(n, operators=("=",)) is not None:
            return "has a side effect or reads `this`"
        if k == K.CALL_EXPR:
            callee = n.referenced
            if callee is None or (callee.kind != K.CONSTRUCTOR and callee.qualified_name not in _TRANSPARENT_CALLS):
                return f"calls `{n.spelling or 'a function'}`"
    return None
