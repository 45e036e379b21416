"""The rewrite of a serial sum or product into independent partial results: the counted loop
unrolled by ``PARTIALS``, one partial per copy of the body, a remainder loop, and one line that
combines the partials into the accumulator after the loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from hotlint.analysis.control import is_invariant, mutated_declarations, unit_step_variable
from hotlint.analysis.edits import fresh_name, replace, statement_room, through_semicolon, word_in
from hotlint.analysis.expressions import READ, THROUGH_CASTS, lvalue_use, strip
from hotlint.analysis.kinds import COUNT_TYPES, EXPLICIT_CASTS, FUNCTIONS, WRAPPERS, K
from hotlint.analysis.source import indent_following_lines, is_postfix_name
from hotlint.analysis.symbols import in_linted_file, name_is_taken
from hotlint.analysis.types import written_name
from hotlint.model import Applicability, Range
from hotlint.rule import fix

if TYPE_CHECKING:  # pragma: no cover
    from . import Reduction

PARTIALS = 8  # two vector adds in flight of four lanes, or eight scalar chains: enough to hide the latency


def partial_sums_fix(view, loop, red: "Reduction"):
    """The rewrite as an unsafe fix, or None when the loop is not one it can make mechanically."""
    built = _rewritten(view, loop, red)
    if built is None:
        return None
    where, text = built
    what = "sums" if red.kind == "sum" else "products"
    return fix(f"keep {PARTIALS} independent partial {what} and combine them after the loop "
               "(reorders the arithmetic: the result can differ in the last bits)",
               [replace(where, text)], Applicability.UNSAFE)


def _rewritten(view, loop, red) -> Optional[tuple[Range, str]]:
    node, source = loop.node, view.source
    parts = loop.parts()
    init, cond, inc, body = parts["init"], parts["condition"], parts["increment"], parts["body"]
    if node.kind != K.FOR_STMT or len(red.writes) != 1 or None in (init, cond, inc, body):
        return None
    if not in_linted_file(view, node) or node.range.start.line - 1 in dict(source.directives):
        return None  # a pragma above the loop (omp simd, ivdep) would apply to the first new line
    decls = [c for c in init.children if c.kind == K.VAR_DECL] if init.kind == K.DECL_STMT else []
    if len(decls) != 1 or decls[0].type.canonical.kind not in COUNT_TYPES:
        return None
    iv = decls[0]
    test = strip(cond, **THROUGH_CASTS)
    if test.kind != K.BINARY_OPERATOR or test.operator != "<" or len(test.children) != 2:
        return None
    left, bound = test.children
    left = strip(left, **THROUGH_CASTS)
    if left.kind != K.DECL_REF_EXPR or left.referenced != iv or unit_step_variable(inc) != iv:
        return None
    if not is_invariant(bound, mutated_declarations([cond, inc, body])) or iv in mutated_declarations([body]):
        return None
    iv_refs, acc_refs = [], []
    for n in body.walk():
        if n.kind == K.DECL_REF_EXPR and n.referenced == iv:
            if lvalue_use(n) != READ:
                return None  # `&i`, `f(i)` taking a reference: `i + 1` cannot stand in for it
            iv_refs.append(n)
        elif n.kind == K.DECL_REF_EXPR and n.referenced == red.var:
            acc_refs.append(n)
    indent = statement_room(source, node)
    if indent is None or name_is_taken(node.parent, iv, iv.spelling):
        return None
    texts = [source.text(x.range) for x in (iv, bound, inc)]
    body_range = body.range if body.kind == K.COMPOUND_STMT else through_semicolon(source, body.range)
    body_text = source.text(body_range)
    if None in texts or body_text is None or any(not _inside(r.range, body_range) for r in iv_refs + acc_refs):
        return None
    iv_text, bound_text, inc_text = texts
    if not is_postfix_name(bound_text) and bound.kind != K.INTEGER_LITERAL:
        bound_text = f"({bound_text})"
    fn_text = source.text(loop.function.node.range) or ""
    taken = word_in(fn_text)
    partials: list[str] = []
    for k in range(PARTIALS):
        partials.append(fresh_name([f"{red.var.spelling}{k}"], lambda c: taken(c) or c in partials,
                                   f"{red.var.spelling}_part{k}"))
    step = _indent_step(source, node, body, indent)
    inner = indent + step
    kind = red.kind
    identity, op = ("0", "+") if kind == "sum" else ("1", "*")
    typ = written_name(red.var.type)
    iv_name = iv.spelling
    copies = []
    for k in range(PARTIALS):
        swaps = [(r.range, _shifted(r, iv_name, k)) for r in iv_refs] + [(r.range, partials[k]) for r in acc_refs]
        copy = _substituted(source, body_range, body_text, swaps)
        copies.append(inner + indent_following_lines(copy, step))
    tail = _substituted(source, body_range, body_text, [(r.range, partials[0]) for r in acc_refs])
    combined = _tree(partials, op)
    lines = [
        f"{typ} " + ", ".join(f"{p} = {identity}" for p in partials) + ";",
        f"{iv_text};",
        f"for (; {iv_name} + {PARTIALS} <= {bound_text}; {iv_name} += {PARTIALS}) {{",
        *copies,
        "}",
        f"for (; {iv_name} < {bound_text}; {inc_text}) {tail}",
        f"{red.var.spelling} {op}= {combined};",
    ]
    text = lines[0] + "".join("\n" + (line if line.startswith(inner) else indent + line) for line in lines[1:])
    end = body_range.end
    return Range(node.range.start, end), text


def _indent_step(source, node, body, indent: str) -> str:
    """One level of the file's indentation: the body's own when it starts a later line, else the
    loop's when it sits at the top of a function body, else four spaces."""
    first = body.children[0] if body.kind == K.COMPOUND_STMT and body.children else body
    if first.range.start.line > node.range.start.line:
        deeper = source.indentation(first.range.start.line)
        if deeper.startswith(indent) and len(deeper) > len(indent):
            return deeper[len(indent):]
    holder = node.parent.parent if node.parent is not None else None
    if indent and holder is not None and holder.kind in FUNCTIONS:
        return indent
    return "    "


def _inside(r: Range, outer: Range) -> bool:
    return outer.start <= r.start and r.end <= outer.end and r.start < r.end


def _shifted(ref, name: str, k: int) -> str:
    """The text for the induction variable in copy ``k``: ``i + k``, parenthesized unless it is a
    whole subscript or call argument."""
    if k == 0:
        return name
    outer = ref
    while outer.parent is not None and outer.parent.kind in WRAPPERS | EXPLICIT_CASTS and \
            outer.parent.kind != K.PAREN_EXPR:
        outer = outer.parent
    parent = outer.parent
    bare = parent is not None and (
        (parent.kind == K.ARRAY_SUBSCRIPT_EXPR and len(parent.children) == 2 and parent.children[1] is outer)
        or (parent.kind == K.CALL_EXPR and outer in parent.arguments) or parent.kind == K.PAREN_EXPR)
    return f"{name} + {k}" if bare else f"({name} + {k})"


def _substituted(source, where: Range, text: str, swaps) -> str:
    """``text`` (the source of ``where``) with each range of ``swaps`` replaced."""
    base = source.offset(where.start)
    data = text.encode("utf-8")
    for r, new in sorted(swaps, key=lambda s: s[0].start, reverse=True):
        a, b = source.offset(r.start) - base, source.offset(r.end) - base
        data = data[:a] + new.encode("utf-8") + data[b:]
    return data.decode("utf-8")


def _tree(names: list[str], op: str) -> str:
    """``names`` combined pairwise: ((a + b) + (c + d)) + ((e + f) + (g + h))."""
    level = list(names)
    while len(level) > 1:
        level = [f"({level[i]} {op} {level[i + 1]})" if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    text = level[0]
    return text[1:-1] if text.startswith("(") and len(names) > 1 else text
