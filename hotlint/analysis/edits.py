"""The one edit kit: the edits fixes are built from, placed as clang counts lines.

Includes (is a header included, where a new ``#include`` goes), statements (is there room for
one before a statement, with which indentation; removing one through its ``;``), call arguments,
replacements and fresh names. Each function takes the file's ``SourceText``; where today's rules
place an edit differently, a named parameter says which placement a call site wants, so a rule's
fix text stays byte for byte what it was.

Every inserted line ends in ``\\n`` (the file's own line ends are not copied: a CRLF file gets LF
lines, as it always has).
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Callable, Iterable, Literal, Optional, Sequence, Union

from ..model import Edit, Position, Range
from .expressions import THROUGH_CASTS, strip
from .kinds import DECLARED_NAMES, K
from .source import SourceText, is_postfix_name, parenthesized_whole
from .symbols import declared_alone, name_is_taken

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node

# ---------------------------------------------------------------------- includes

# read on SourceText.directives: comments, literals and `#if 0` bodies are not there
_ANGLE_INCLUDE = re.compile(r"\s*#\s*include\s*<([\w./]+)>")  # a line of the <…> block
_ANY_INCLUDE = re.compile(r"\s*#\s*include\b")


def has_include(source: SourceText, header: str) -> bool:
    """A directive of the file is ``#include <header>`` (blanks allowed around ``#`` and
    ``include``). Only real directives count (SourceText.directives): not one in a comment, a
    string, a line a ``\\`` continues or a block ``#if 0`` leaves out, nor one after code on
    its line."""
    found = re.compile(rf"\s*#\s*include\s*<{re.escape(header)}>")
    return any(found.match(line) for _, line in source.directives)


def _first_include_line(source: SourceText) -> int:
    """The line of the first ``#include`` directive of any form (``"…"`` too), else 1."""
    return next((n for n, line in source.directives if _ANY_INCLUDE.match(line)), 1)


def include_edits(source: SourceText, headers: Iterable[str], *,
                  placement: Literal["sorted-block", "before-first-include"]) -> list[Edit]:
    """Insertions of ``#include <h>`` for each header the text does not include (has_include).

    'sorted-block': the missing headers in name order, each before the first entry of the
    file's first block of ``<…>`` includes whose name sorts after it (blank lines, and lines of
    nothing but comments, may sit in the block; any other line ends it), else after the block;
    without such a block before the first ``#include`` of any form, else at line 1. One edit
    per line. Includes are read as has_include reads them: real directives only.

    'before-first-include': the missing headers in the order given, all in one edit before the
    first ``#include`` of any form, else at line 1.
    """
    if placement == "before-first-include":
        missing = [h for h in headers if not has_include(source, h)]
        if not missing:
            return []
        return [insert_at_line_start(_first_include_line(source), "".join(f"#include <{h}>\n" for h in missing))]
    if placement != "sorted-block":
        raise ValueError(f"no include placement {placement!r}")
    missing = sorted(h for h in headers if not has_include(source, h))
    if not missing:
        return []
    block: list[tuple[int, str]] = []
    directives = dict(source.directives)
    for number, line in enumerate(source.code_lines, start=1):
        m = _ANGLE_INCLUDE.match(directives.get(number, ""))
        if m:
            block.append((number, m.group(1)))
        elif block and line.strip():
            break
    at: dict[int, list[str]] = {}
    for h in missing:
        line = next((n for n, name in block if name > h), block[-1][0] + 1 if block else None)
        if line is None:
            line = _first_include_line(source)
        at.setdefault(line, []).append(h)
    return [insert_at_line_start(n, "".join(f"#include <{h}>\n" for h in hs)) for n, hs in sorted(at.items())]


def last_include_line(source: SourceText, *, style: Literal["directive", "hash-and-word"]) -> int:
    """The line of the file's last include directive, 0 without one; only real directives count
    (SourceText.directives), their comments and literals blanked. 'directive': one starting
    (after blanks) with ``#include`` exactly (``# include`` is missed); 'hash-and-word': one
    whose code holds ``include`` anywhere (``#pragma … include``, ``#define X include`` count)."""
    if style == "directive":
        def counts(line: str) -> bool:
            return line.lstrip().startswith("#include")
    elif style == "hash-and-word":
        def counts(line: str) -> bool:
            return "include" in line
    else:
        raise ValueError(f"no include style {style!r}")
    return max((n for n, line in source.directives if counts(line)), default=0)


# ---------------------------------------------------------------------- statements


def insert_at_line_start(line: int, text: str) -> Edit:
    """An insertion at column 1 of ``line``."""
    at = Position(line, 1)
    return Edit(Range(at, at), text)


def statement_room(source: SourceText, stmt: "Node", *,
                   indentation: Literal["spaces-tabs", "blank-prefix"] = "spaces-tabs") -> Optional[str]:
    """The indentation for a statement inserted on its own line before ``stmt``, or None when
    there is no room: ``stmt`` is not a statement of a block (``{ … }``), or other text precedes it
    on its line. 'spaces-tabs': only the line's spaces and tabs may precede it, and are the
    answer; 'blank-prefix': whatever blank text precedes it (form feeds too) is the answer."""
    parent = stmt.parent
    if parent is None or parent.kind != K.COMPOUND_STMT:
        return None
    start = stmt.range.start
    if indentation == "blank-prefix":
        prefix = source.before(start)
        return None if prefix.strip() else prefix
    if indentation != "spaces-tabs":
        raise ValueError(f"no indentation style {indentation!r}")
    return source.indentation(start.line) if source.starts_line(start) else None


def body_indentation(source: SourceText, body: "Node", outer: str) -> str:
    """Indentation of a braced body's statements: that of its first statement's line when the
    statement starts a later line than the ``{``, else ``outer`` and four spaces."""
    first = body.children[0] if body.children else None
    if first is not None and first.range.start.line > body.range.start.line:
        return source.indentation(first.range.start.line)
    return outer + "    "


def remove_statement(source: SourceText, stmt: "Node") -> Edit:
    """Delete ``stmt`` through the first ``;`` after it on its line, and the whole line when
    nothing but blanks precedes it and nothing (or a ``//`` comment, deleted with it) follows.
    A statement over several lines is deleted from its start through that ``;``, the lines kept;
    the ``;`` is looked for on its first line, from the column where it ends."""
    r = stmt.range
    line = source.line_bytes(r.start.line)
    rest = line[r.end.column - 1:]
    semi = rest.find(b";")
    end = Position(r.end.line, r.end.column + semi + 1) if semi >= 0 else r.end
    before = line[: r.start.column - 1]
    after = line[end.column - 1:] if r.start.line == r.end.line else b"x"
    if not before.strip() and (not after.strip() or after.strip().startswith(b"//")):
        return Edit(Range(Position(r.start.line, 1), Position(r.end.line + 1, 1)), "")
    return Edit(Range(r.start, end), "")


def through_semicolon(source: SourceText, r: Range) -> Range:
    """``r`` extended through the ``;`` that follows it on its last line with only blanks
    between (a statement whose extent stops short of its ``;``, such as a loop with a body
    without braces); ``r`` itself when there is none."""
    after = source.after(r.end)
    if not after.lstrip().startswith(b";"):
        return r
    return Range(r.start, Position(r.end.line, r.end.column + after.index(b";") + 1))


def after_semicolon(source: SourceText, pos: Position) -> Optional[Position]:
    """Just past the first ``;`` at or after ``pos`` on its line (anything may come between);
    None without one."""
    semi = source.after(pos).find(b";")
    return Position(pos.line, pos.column + semi + 1) if semi >= 0 else None



def hoisted_copies(source: SourceText, stmt: "Node",
                   copies: Sequence[tuple[str, str, Sequence["Node"]]]) -> Optional[list[Edit]]:
    """Edits that copy values to locals before the statement ``stmt``: for each ``(name, text,
    uses)`` of ``copies`` a line ``const auto name = text;`` (in the order given, all in one
    insertion at the start of ``stmt``'s line, indented by the blank text before ``stmt``:
    statement_room 'blank-prefix'), and each node of ``uses`` replaced by ``name``; the
    insertion first, then the replacements in order. None when there is no room before
    ``stmt`` or two of the uses overlap (one inside another)."""
    prefix = statement_room(source, stmt, indentation="blank-prefix")
    if prefix is None:
        return None
    edits = [replace(use, name) for name, _, uses in copies for use in uses]
    spans = sorted((e.range.start, e.range.end) for e in edits)
    if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
        return None
    lines = "".join(f"{prefix}const auto {name} = {text};\n" for name, text, _ in copies)
    return [insert_at_line_start(stmt.range.start.line, lines), *edits]

# ---------------------------------------------------------------------- expressions


def append_argument(source: SourceText, call: "Node", text: str, *,
                    separator: Literal["if-arguments", "always"] = "if-arguments") -> Optional[Edit]:
    """Insert ``text`` as the call's last argument, just before the ``)`` its written text ends
    with; None when the call's text does not end with ``)`` (a macro, an operator). ``, `` goes
    first when the call has arguments with tokens of their own ('if-arguments'; a defaulted one
    has none) or in any case ('always')."""
    written = source.text(call.range)
    if not written or not written.endswith(")"):
        return None
    if separator == "always":
        comma = True
    elif separator == "if-arguments":
        comma = any(a.is_written for a in call.arguments)
    else:
        raise ValueError(f"no separator rule {separator!r}")
    end = call.range.end
    close = Position(end.line, end.column - 1)
    return Edit(Range(close, close), (", " if comma else "") + text)


def written_template_arguments(source: SourceText, call: "Node") -> Optional[str]:
    """The text between the ``<`` and the ``>`` that end the call's callee as written
    (``std::make_shared<Item>(1, 2)`` → ``Item``; ``std::make_unique<int[]>(n)`` → ``int[]``),
    stripped; None when the callee's text does not end in ``>`` or the file does not hold it."""
    ref = strip(call.children[0]) if call.children else None
    text = source.text(ref.range) if ref is not None else None
    m = re.search(r"<(.*)>\s*$", text or "", re.S)
    return m.group(1).strip() if m else None


def written_arguments_text(source: SourceText, call: "Node") -> str:
    """The text of the call's arguments as written, between its parentheses and stripped
    (``f(a, b + 1)`` → ``a, b + 1``; ``f()`` → ''): everything after the callee when it is not
    wrapped in ``( )`` (a macro), '' when the file does not hold it."""
    ref = strip(call.children[0])
    tail = (source.text(Range(ref.range.end, call.range.end)) or "").strip()
    return tail[1:-1].strip() if tail.startswith("(") and tail.endswith(")") else tail


def factor(text: str) -> str:
    """An expression's text made an operand of ``*`` (``n * sizeof(T)``): as written when it is a
    name, a member access by ``.``, a number or a ``sizeof(…)`` without inner parentheses, else in
    parentheses (``(n + 1)``)."""
    return text if re.fullmatch(r"[\w.]+|sizeof\s*\([^()]*\)", text.strip()) else f"({text})"


def is_repeatable(text: str) -> bool:
    """An expression's text that a fix may write twice (``v.begin(), v.end()``) with the same
    value and no effect: names joined by ``.``, ``::`` and ``->``, subscripted by names or
    numbers (``rows[i].cells``); no call, operator or cast."""
    return bool(re.fullmatch(r"[\w.:\[\]]+(->[\w.:\[\]]+)*", text))


def member_object(text: str) -> str:
    """An expression's text made the object of a member access (``….load()``): as written when it
    is a postfix name (``s.v[i]``) or wholly parenthesized, else in parentheses (``(*p)``)."""
    if is_postfix_name(text) or (text.startswith("(") and parenthesized_whole(text)):
        return text
    return f"({text})"


def address_of(lvalue: str) -> str:
    """The text of a pointer to the object the lvalue text ``lvalue`` names: ``p`` for ``*p`` or
    ``(*p)`` with a postfix name under the ``*``, ``&x`` for a postfix name, else ``&(…)``."""
    if lvalue.startswith("*") and is_postfix_name(lvalue[1:].strip()):
        return lvalue[1:].strip()
    if lvalue.startswith("(") and parenthesized_whole(lvalue):
        inner = lvalue[1:-1].strip()
        if inner.startswith("*") and is_postfix_name(inner[1:].strip()):
            return inner[1:].strip()
    if is_postfix_name(lvalue):
        return "&" + lvalue
    return f"&({lvalue})"


def replace(node_or_range: Union["Node", Range], text: str) -> Edit:
    """Replace a node's (or a range's) text with ``text``."""
    r = node_or_range if isinstance(node_or_range, Range) else node_or_range.range
    return Edit(r, text)


# ---------------------------------------------------------------------- declarations


def restrict_keyword(language: str) -> str:
    """The restrict qualifier as a fix writes it: ``restrict`` in C (``language`` ``"c"``), the
    ``__restrict__`` extension gcc and clang accept in C++ (which has no ``restrict``)."""
    return "restrict" if language == "c" else "__restrict__"


def qualify_parameter(param: "Node", qualifier: str) -> Optional[Edit]:
    """Insert ``qualifier`` and a space just before a pointer or reference parameter's name
    (``float* y`` becomes ``float* __restrict__ y``, ``float* const y`` becomes ``float* const
    __restrict__ y``): the name's token must directly follow ``*``, ``&``, ``&&`` or ``* const``.
    None for an unnamed parameter, a name its tokens do not spell where clang places it (a
    macro), or any other declarator (an array, a value). Read from the tokens alone: a function
    pointer's name (``(*fp)(int)``) follows ``*`` too, so the caller picks pointers to objects."""
    if not param.spelling:
        return None
    toks = param.token_positions
    loc = param.location
    for i, (spelling, pos) in enumerate(toks):
        if pos == loc and spelling == param.spelling and i > 0:
            prev = toks[i - 1][0]
            if prev in ("*", "&", "&&") or (prev == "const" and i > 1 and toks[i - 2][0] == "*"):
                return replace(Range(loc, loc), qualifier + " ")
            return None
    return None


# ---------------------------------------------------------------------- names


def fresh_name(candidates: Iterable[str], taken: Callable[[str], bool], fallback: str) -> str:
    """The first candidate ``taken`` does not reject, else the first of ``fallback``,
    ``fallback2``, ``fallback3``, … it does not reject: never a taken name. (``taken`` must
    let some name through, as a test against a finite text or set does.)"""
    names = itertools.chain(candidates, [fallback], (f"{fallback}{n}" for n in itertools.count(2)))
    return next(c for c in names if not taken(c))



def value_name(expr: "Node") -> str:
    """A name for a local holding the value of ``expr`` (an lvalue, looked at through casts and
    implicit wrappers): a variable's or member's own name (``buf.len``: ``len``), the pointer's
    name and ``_value`` for a dereference (``*scale``: ``scale_value``), else ``value``; an
    ``m_``, ``g_`` or ``s_`` prefix and outer underscores dropped (``value`` when nothing is
    left). Not checked against other names: pass it to fresh_name."""
    n = strip(expr, **THROUGH_CASTS)
    if n.kind == K.MEMBER_REF_EXPR or n.kind == K.DECL_REF_EXPR:
        base = n.spelling
    elif n.kind == K.UNARY_OPERATOR and n.children:
        base = (strip(n.children[0], **THROUGH_CASTS).spelling or "value") + "_value"
    else:
        base = "value"
    return re.sub(r"^(m_|g_|s_)", "", base).strip("_") or "value"

def word_in(text: str) -> Callable[[str], bool]:
    """A ``taken`` test for fresh_name: the name occurs in ``text`` as a whole word."""
    def taken(name: str) -> bool:
        return re.search(rf"\b{re.escape(name)}\b", text) is not None
    return taken


def hoist_declaration(source: SourceText, var: "Node", scope: "Node", body: "Node",
                      leave: str) -> Optional[list[Edit]]:
    """Edits moving the declaration of the local ``var`` out of ``scope`` (a loop, say) to a
    line of its own just before it, its statement replaced by ``leave`` (``v.clear();``); None
    when that cannot be done as written: the declaration is not a statement of ``body`` (the
    block of ``scope`` that holds it) declaring ``var`` alone, there is no room for a statement
    before ``scope`` (statement_room), the statement is not the declaration's one line and its
    ``;``, it says ``auto``, ``const``, ``constexpr`` or ``static``, its type names a name
    declared under ``scope`` (DECLARED_NAMES), or ``var``'s name is declared elsewhere under
    ``scope`` or taken in the block around it (symbols.name_is_taken)."""
    decl_stmt = declared_alone(var)
    if decl_stmt is None or decl_stmt.parent is not body:
        return None
    indent = statement_room(source, scope)
    if indent is None:
        return None
    decl_text = source.text(var.range)
    stmt_text = source.text(decl_stmt.range)
    if not decl_text or stmt_text is None or stmt_text.rstrip() != decl_text + ";" or "\n" in decl_text:
        return None
    if re.search(r"\b(auto|const|constexpr|static)\b", decl_text):
        return None
    name = var.spelling
    inner_names = {n.spelling for n in scope.walk() if n.kind in DECLARED_NAMES and n is not var and n.spelling}
    type_text = decl_text[: decl_text.rfind(name)]
    if any(re.search(rf"\b{re.escape(n)}\b", type_text) for n in inner_names):
        return None
    if name in inner_names or name_is_taken(scope.parent, var, name):
        return None
    return [insert_at_line_start(scope.range.start.line, f"{indent}{decl_text};\n"), replace(decl_stmt, leave)]


__all__ = [
    "address_of", "after_semicolon", "append_argument", "body_indentation", "factor", "fresh_name",
    "has_include", "hoist_declaration", "hoisted_copies", "include_edits", "insert_at_line_start",
    "is_repeatable", "last_include_line", "member_object", "qualify_parameter", "remove_statement", "replace",
    "restrict_keyword", "statement_room", "through_semicolon", "value_name", "word_in",
    "written_arguments_text", "written_template_arguments",
]
