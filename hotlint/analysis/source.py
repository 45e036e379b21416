"""The one source model: the linted file's text with lines and columns as clang counts them.

Clang ends a line at ``\\n``, ``\\r\\n`` and a lone ``\\r``; a form feed, a vertical tab, ``\\x85``
and U+2028/2029 end none (``str.splitlines`` would end a line at each, and every later line
number would be off). Columns are 1-based and count UTF-8 bytes; a range's end is exclusive.

``SourceText`` is built once per file and computes what is asked of it on first use. The token
and bracket helpers below it read a node's tokens or a piece of written text; they are the
matchers rules used to write by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal, Optional, Sequence, Union

from ..model import Position, Range

if TYPE_CHECKING:  # pragma: no cover
    from ..clang.nodes import Node

Token = tuple[str, Position]

# clang's line ends; the longest alternative first, so `\r\n` is one end, not two
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")
_SPACE_RUN = re.compile(r"\s+")
_LEADING_SPACE = re.compile(r"\s*")


def split_lines(text: str) -> list[str]:
    """``text``'s lines as clang counts them, without their ends; a final line end starts no
    line (the list ``str.splitlines`` gives for text without form feeds and the like)."""
    lines = _LINE_END.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def line_starts(data: bytes) -> list[int]:
    """The byte offset where each of clang's lines of ``data`` starts (the first is 0; a final
    line end starts an empty last line)."""
    if b"\r" not in data:  # the common case, without the regular expression
        starts = [0]
        i = data.find(b"\n")
        while i != -1:
            starts.append(i + 1)
            i = data.find(b"\n", i + 1)
        return starts
    return [0, *(m.end() for m in _LINE_END_BYTES.finditer(data))]


def indent_following_lines(text: str, prefix: str) -> str:
    """``text`` with ``prefix`` after each of its line ends as clang counts them (``\\r\\n``,
    ``\\r``, ``\\n``), the ends kept as written: written code moved into a block one level
    deeper, its first line placed by whoever inserts it."""
    return _LINE_END.sub(lambda m: m.group(0) + prefix, text)


# what the preprocessor does not read as code: comments (a `//` one runs on over a line end
# spliced by a backslash; an unclosed `/*` to the end), then literals (raw strings first, their
# delimiter repeated at the end; an unclosed quote ends at its line's end), then numbers, only so
# that a digit separator (`1'000`) starts no character literal
_NOT_CODE = re.compile(r"""
    (?P<comment>//(?:[^\r\n\\]|\\(?:\r\n|[\s\S]))*|/\*[\s\S]*?(?:\*/|\Z))
  | (?P<literal>(?<!\w)(?:u8|[uUL])?R"(?P<delimiter>[^()\\\s"]{0,16})\([\s\S]*?(?:\)(?P=delimiter)"|\Z)
      | (?:(?<!\w)(?:u8|[uUL]))?(?:"(?:[^"\\\r\n]|\\(?:\r\n|[\s\S]))*"?|'(?:[^'\\\r\n]|\\(?:\r\n|[\s\S]))*'?))
  | (?<![\w.])\.?\d(?:[eEpP][+-]|'\w|[\w.])*
""", re.VERBOSE)
_NOT_LINE_END = re.compile(r"[^\r\n]")
_DIRECTIVE = re.compile(r"[ \t\f\v]*#[ \t\f\v]*(\w*)(.*)")
_OPENS = frozenset({"if", "ifdef", "ifndef"})
_ELSE = frozenset({"else", "elif", "elifdef", "elifndef"})


def _blanked(m: "re.Match[str]") -> str:
    """A comment made blanks; a literal's inside made blanks, its prefix and quotes kept; a
    number as it is."""
    text = m.group(0)
    if m.group("comment"):
        return _NOT_LINE_END.sub(" ", text)
    if m.group("literal"):
        quote = min(i for i in (text.find('"'), text.find("'")) if i >= 0)
        end = len(text) - 1 if len(text) > quote + 1 and text[-1] == text[quote] else len(text)
        return text[:quote + 1] + _NOT_LINE_END.sub(" ", text[quote + 1:end]) + text[end:]
    return text


Multiline = Literal["first-line", "first-line-stripped", "first-line-ellipsis", "first-line-by-characters"]


class SourceText:
    """The linted file's text, with lines as clang counts them.

    Text of a range keeps the line ends inside it as written (``\\r\\n`` in a CRLF file); a line
    (``line``, ``lines``) never has its end. A position's column may lie past its line's content
    by the ``\\r`` of a ``\\r\\n`` end, never further: text of a single-line range that reaches
    there includes that ``\\r`` (the model every fix of today's rules was written against).
    """

    def __init__(self, text: str) -> None:
        self.content = text  # the whole text (``text(r)`` is a range's)

    # ------------------------------------------------------------------ lines

    @cached_property
    def lines(self) -> list[str]:
        """Each line without its end (a final line end starts no line)."""
        return split_lines(self.content)

    @cached_property
    def data(self) -> bytes:
        """The text as UTF-8, the bytes clang's columns count."""
        return self.content.encode("utf-8", "surrogatepass")

    @cached_property
    def _bounds(self) -> tuple[list[int], list[int], list[int]]:
        """Per line: where it starts, where its content ends, how far a column may reach."""
        data = self.data
        starts = line_starts(data)
        ends = [s - 1 for s in starts[1:]] + [len(data)]  # the byte before a start is `\n` or `\r`
        if b"\r\n" not in data:
            return starts, ends, ends
        reach = list(ends)
        for i, s in enumerate(starts[1:]):
            if data[s - 1] == 0x0A and s >= 2 and data[s - 2] == 0x0D:  # `\r\n`: content ends before `\r`
                ends[i] = s - 2
                reach[i] = s - 1
        return starts, ends, reach

    @property
    def last_line(self) -> int:
        """The number of the last line clang can point into (after a final line end: the empty
        line that follows it)."""
        return len(self._bounds[0])

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its end; '' outside the file."""
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def line_bytes(self, number: int) -> bytes:
        """UTF-8 of ``line(number)``."""
        starts, ends, _ = self._bounds
        if not 0 < number <= len(starts):
            return b""
        return self.data[starts[number - 1]:ends[number - 1]]

    def lines_matching(self, pattern: "re.Pattern[str]") -> list[tuple[int, str, "re.Match[str]"]]:
        """(number, line, match) of every line ``pattern`` is found in (``^`` anchors it at the
        line's start)."""
        out = []
        for number, line in enumerate(self.lines, start=1):
            m = pattern.search(line)
            if m:
                out.append((number, line, m))
        return out

    # ------------------------------------------------------------------ what the preprocessor reads

    @cached_property
    def _code(self) -> tuple[list[str], list[tuple[int, str]]]:
        lines = split_lines(_NOT_CODE.sub(_blanked, self.content))
        directives: list[tuple[int, str]] = []
        skipping = 0  # inside `#if 0`: how many conditionals are open, it among them
        spliced = False  # the line before ends in `\`: this one continues it
        for i, line in enumerate(lines):
            m = None if spliced else _DIRECTIVE.match(line)
            spliced = line.endswith("\\")
            name = m.group(1) if m else None
            if skipping:
                if name in _OPENS:
                    skipping += 1
                elif name == "endif":
                    skipping -= 1
                elif name in _ELSE and skipping == 1:
                    skipping = 0
                if skipping or not (name == "endif" or name in _ELSE):
                    lines[i] = " " * len(line)
                    continue
            if m:
                directives.append((i + 1, line))
                if name == "if" and m.group(2).strip() in ("0", "false"):
                    skipping = 1
        return lines, directives

    @property
    def code_lines(self) -> list[str]:
        """Each line (as ``lines`` has it) as the preprocessor reads it: comments, the inside of
        string and character literals (an ``#include "…"``'s name too) and the lines an ``#if 0``
        (or ``#if false``) leaves out made blanks, a space for each character, so what is left
        keeps its line and its index in the line. A comment or literal runs on over line ends as clang's do (a
        ``//`` comment over a line end after ``\\``, a raw string to its delimiter); an unclosed
        quote ends at its line's end."""
        return self._code[0]

    @property
    def directives(self) -> list[tuple[int, str]]:
        """(number, code line) of each line that starts a preprocessor directive: its code begins
        with ``#`` after blanks and the line before does not run on into it (end in ``\\``).
        Those inside ``#if 0`` are left out; the ``#else``, ``#elif`` or ``#endif`` ending it is in."""
        return self._code[1]

    # ------------------------------------------------------------------ ranges

    def offset(self, pos: Position) -> int:
        """Byte offset of ``pos`` in ``data``; its column is clamped to the line (and the ``\\r`` of
        a ``\\r\\n`` end). ValueError for a line outside the file."""
        starts, _, reach = self._bounds
        if not 0 < pos.line <= len(starts):
            raise ValueError(f"line {pos.line} is outside the file ({len(starts)} lines)")
        start = starts[pos.line - 1]
        return start + min(max(pos.column - 1, 0), reach[pos.line - 1] - start)

    def text(self, r: Range, *, strict: bool = False) -> Optional[str]:
        """The text ``r`` covers, line ends inside it as written. None when a line of it is
        outside the file, it ends before it starts or it cuts a UTF-8 character; with
        ``strict`` those raise ValueError instead."""
        last = self.last_line
        if not (0 < r.start.line <= last and 0 < r.end.line <= last) or r.end < r.start:
            if strict:
                raise ValueError(f"{r} does not lie in the file")
            return None
        chunk = self.data[self.offset(r.start):self.offset(r.end)]
        try:
            return chunk.decode("utf-8")
        except UnicodeDecodeError:
            if strict:
                raise
            return None

    def replaced(self, outer: Range, replacements: Sequence[tuple[Range, str]]) -> str:
        """The text of ``outer`` with each inner range replaced (the ranges must not overlap);
        ValueError when a range does not lie in the file or cuts a character."""
        self.text(outer, strict=True)  # raises as text() does
        base = self.offset(outer.start)
        data = self.data[base:self.offset(outer.end)]
        for r, new in sorted(replacements, key=lambda x: x[0].start, reverse=True):
            a, b = self.offset(r.start) - base, self.offset(r.end) - base
            data = data[:a] + new.encode("utf-8") + data[b:]
        return data.decode("utf-8")

    # ------------------------------------------------------------------ around a position

    def indentation(self, number: int, *, any_whitespace: bool = False) -> str:
        """The spaces and tabs a line starts with; ``any_whitespace``: every leading whitespace
        character (form feeds and vertical tabs too)."""
        line = self.line(number)
        if any_whitespace:
            return _LEADING_SPACE.match(line).group(0)
        return line[: len(line) - len(line.lstrip(" \t"))]

    def before(self, pos: Position) -> str:
        """The line's text before ``pos`` (a cut character shown as U+FFFD)."""
        return self.line_bytes(pos.line)[: max(pos.column - 1, 0)].decode("utf-8", "replace")

    def after(self, pos: Position) -> bytes:
        """The line's bytes from ``pos`` to its end."""
        return self.line_bytes(pos.line)[max(pos.column - 1, 0):]

    def starts_line(self, pos: Position) -> bool:
        """Only the line's indentation (spaces and tabs) precedes ``pos``."""
        return self.text(Range(Position(pos.line, 1), pos)) == self.indentation(pos.line)

    # ------------------------------------------------------------------ text for messages

    def snippet(self, r: Range, *, multiline: Multiline) -> str:
        """A range's text for a message. A single-line range: its bytes (a cut character shown
        as U+FFFD). A range over several lines: the rest of its first line, as is
        ('first-line'), stripped ('first-line-stripped'), stripped and followed by `` ...``
        ('first-line-ellipsis'), or stripped and cut at the column counted in characters
        instead of bytes ('first-line-by-characters': false-sharing's reading until it was
        fixed, wrong after non-ASCII text)."""
        start = r.start
        if start.line == r.end.line:
            return self.line_bytes(start.line)[max(start.column - 1, 0):max(r.end.column - 1, 0)].decode(
                "utf-8", "replace")
        if multiline == "first-line-by-characters":
            return self.line(start.line)[max(start.column - 1, 0):].strip()
        rest = self.after(start).decode("utf-8", "replace")
        if multiline == "first-line":
            return rest
        if multiline == "first-line-stripped":
            return rest.strip()
        if multiline == "first-line-ellipsis":
            return rest.strip() + " ..."
        raise ValueError(f"no snippet form {multiline!r}")

    def shortened(self, r: Range, limit: int, *, too_long: Literal["none", "ellipsis"],
                  whitespace: Literal["collapse", "remove"] = "collapse") -> Optional[str]:
        """A range's text with each run of whitespace made one space ('collapse', ends
        stripped) or removed ('remove'). Longer than ``limit``: None (``too_long='none'``), or
        its first ``limit - 3`` characters and ``...`` ('ellipsis'). A range with no text:
        None ('none'), '' ('ellipsis')."""
        text = self.text(r)
        if text is None:
            if too_long == "none":
                return None
            text = ""
        text = _SPACE_RUN.sub(" ", text.strip()) if whitespace == "collapse" else _SPACE_RUN.sub("", text)
        if len(text) <= limit:
            return text
        return None if too_long == "none" else text[: limit - 3] + "..."


_PUNCTUATION_SPACE = re.compile(r"\s*([^\w\s])\s*")


def token_snippet(node: "Node", *, tokens: int = 12, limit: int = 40) -> str:
    """A node as a reader would write it: a declaration's name (or any node without tokens of
    its own), else its first ``tokens`` tokens with no spaces around punctuation, longer than
    ``limit`` cut to ``limit - 3`` characters and ``...``."""
    if node.is_declaration or not node.tokens:
        return node.spelling
    text = _PUNCTUATION_SPACE.sub(r"\1", " ".join(node.tokens[:tokens]))
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------- tokens and brackets


def header_semicolons(for_stmt: "Node") -> list[Position]:
    """Positions of the two ``;`` of a for-statement's header (fewer for a malformed one)."""
    # only the header: tokenizing the whole statement would lex its body again
    body = for_stmt.children[-1] if for_stmt.children else None
    tokens = for_stmt.header_token_positions(body) if body is not None else for_stmt.token_positions
    depth, found = 0, []
    for spelling, pos in tokens:
        if spelling == "(":
            depth += 1
        elif spelling == ")":
            depth -= 1
            if depth == 0:
                break
        elif spelling == ";" and depth == 1:
            found.append(pos)
    return found


def first_paren_close(stmt: "Node") -> Optional[Position]:
    """Where the ``)`` closing the statement's first ``(`` is (an ``if``'s or ``while``'s
    condition ends there)."""
    depth = 0
    for spelling, pos in stmt.token_positions:
        if spelling == "(":
            depth += 1
        elif spelling == ")":
            depth -= 1
            if depth == 0:
                return pos
    return None


def matching_token(tokens: Sequence[Token], start: int, open_: str, close: str) -> Optional[int]:
    """Index of the token closing the first ``open_`` at or after index ``start``."""
    depth = 0
    for k in range(start, len(tokens)):
        if tokens[k][0] == open_:
            depth += 1
        elif tokens[k][0] == close:
            depth -= 1
            if depth == 0:
                return k
    return None


def angle_depth(tokens: Sequence[Token]) -> int:
    """``<`` minus ``>`` over the tokens, ``>>`` counting two."""
    return sum(1 if t == "<" else -1 if t == ">" else -2 if t == ">>" else 0 for t, _ in tokens)


def parenthesized_whole(text: str) -> bool:
    """``(a)`` but not ``(a) + (b)``: the first ``(`` closes at the last character."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


_POSTFIX_NAME = re.compile(r"^[A-Za-z_]\w*(?:\s*(?:\.|->|::)\s*[A-Za-z_]\w*|\s*\[[^\[\]]*\])*$")


def is_postfix_name(text: str) -> bool:
    """``text`` is a name followed only by member accesses (``.``, ``->``, ``::``) and subscripts
    without brackets inside (``s.v[i]``, ``p->n``, ``ns::x``): it binds tighter than any prefix or
    binary operator, so ``&``, ``*`` or ``.m`` can be written at it without parentheses. (A trailing
    line end is let through, as a pattern's ``$`` lets it.)"""
    return _POSTFIX_NAME.match(text) is not None


def split_top_level(text: str, *, opens: str = "<([{", closes: str = ">)]}") -> list[str]:
    """``text`` split at the commas outside brackets, each piece stripped; an empty last piece
    is dropped, an empty inner one kept. ``<`` and ``>`` count as brackets (so do those of
    ``a < b`` and ``->``: the text is a template's or a constructor's argument list)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def template_argument_span(type_text: str) -> Optional[tuple[int, int]]:
    """(start, end) character indexes of the first template argument of a written type
    (``std::atomic<long>`` → the span of ``long``): from the first ``<`` to its ``>`` or the
    first comma at its depth, ``(`` nesting like ``<``. None without a ``<`` or its end."""
    open_at = type_text.find("<")
    if open_at < 0:
        return None
    depth = 0
    for k in range(open_at, len(type_text)):
        ch = type_text[k]
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
            if depth == 0:
                return open_at + 1, k
        elif ch == "," and depth == 1:
            return open_at + 1, k
    return None


def new_is_array(tokens: Sequence[str], new_index: int) -> bool:
    """``new T[n]``: after ``new`` and any parenthesized part (placement arguments or a
    parenthesized type-id), the type-id reaches a ``[`` outside ``<…>`` before a ``(``, ``{``,
    ``;`` or ``,``. (``>>`` is not counted as two closing angles.)"""
    j, depth = new_index + 1, 0
    while j < len(tokens) and tokens[j] == "(":
        for k in range(j, len(tokens)):
            depth += {"(": 1, ")": -1}.get(tokens[k], 0)
            if depth == 0:
                j = k + 1
                break
        else:
            return False
    angle = 0
    for t in tokens[j:]:
        if t == "<":
            angle += 1
        elif t == ">":
            angle -= 1
        elif angle <= 0 and t == "[":
            return True
        elif angle <= 0 and t in ("(", "{", ";", ","):
            return False
    return False


def new_placement_close(node: "Node", new_index: int) -> Optional[Position]:
    """Where the ``)`` ending ``new ( … )``'s placement arguments is, when a ``(`` follows the
    ``new`` token at ``new_index`` of the node's tokens."""
    positions = node.token_positions
    if new_index + 1 >= len(positions) or positions[new_index + 1][0] != "(":
        return None
    close = matching_token(positions, new_index + 1, "(", ")")
    return positions[close][1] if close is not None else None


@dataclass(frozen=True)
class WrittenNew:
    """A new-expression's parts as the file writes them: ``type_text`` (between ``new`` and the
    array bound or the initializer, stripped), ``bound`` (the text inside ``new T[…]``'s
    brackets, stripped; None for one object) and ``after_new`` (just past the ``new`` token)."""

    type_text: str
    bound: Optional[str]
    after_new: Position


def written_new(source: SourceText, node: "Node") -> Union[WrittenNew, Literal["parenthesized", "array-shape"]]:
    """The written parts of the new-expression ``node`` (WrittenNew), else why they cannot be
    read: ``parenthesized`` when a ``(`` follows ``new`` (placement arguments or a parenthesized
    type) or the node has no ``new`` token; ``array-shape`` for an array new (new_is_array) whose
    first bound does not close its last token (an initializer, ``()``, ``{}``, or a second bound)."""
    positions = node.token_positions
    i = next((k for k, (t, _) in enumerate(positions) if t == "new"), None)
    if i is None or i + 1 >= len(positions) or positions[i + 1][0] == "(":
        return "parenthesized"

    def between(a: Position, b: Position) -> str:
        return (source.text(Range(a, b)) or "").strip()

    start = positions[i + 1][1]
    if new_is_array([t for t, _ in positions], i):
        bracket = next((k for k in range(i + 1, len(positions)) if positions[k][0] == "["), None)
        close = matching_token(positions, bracket, "[", "]") if bracket is not None else None
        if close is None or close + 1 != len(positions):
            return "array-shape"
        return WrittenNew(between(start, positions[bracket][1]),
                          between(token_end(positions[bracket]), positions[close][1]), token_end(positions[i]))
    end = next((k for k in range(i + 1, len(positions)) if positions[k][0] in ("(", "{")
                and angle_depth(positions[i + 1:k]) == 0), len(positions))
    type_text = between(start, positions[end][1] if end < len(positions) else node.range.end)
    return WrittenNew(type_text, None, token_end(positions[i]))


def starts_declaration(source: SourceText, pos: Position) -> bool:
    """Only blanks, or text ending in ``;``, ``{`` or ``:``, precede ``pos`` on its line: a
    declaration written there in the file (not one a macro made)."""
    line = source.line_bytes(pos.line)
    if pos.column - 1 > len(line):
        return False
    before = source.before(pos)
    return before.strip() == "" or before.rstrip().endswith((";", "{", ":"))


def token_end(token: Token) -> Position:
    """The position just past a token."""
    spelling, pos = token
    return Position(pos.line, pos.column + len(spelling.encode()))


def declared_name_end(decl: "Node") -> Position:
    """The position just past a declaration's name."""
    loc = decl.location
    return Position(loc.line, loc.column + len(decl.spelling.encode()))


def name_written(source: SourceText, decl: "Node") -> bool:
    """The declaration's name is written in the file at its location: not made by a macro (a
    name from a macro's arguments or body is located at the macro's use, where the macro's own
    name is written)."""
    return bool(decl.spelling) and source.text(Range(decl.location, declared_name_end(decl))) == decl.spelling


@dataclass(frozen=True)
class WrittenInitializer:
    """What a declaration writes after its name: ``text`` (stripped: ``= {1, 2}``, ``(n, 0)``),
    ``copy`` (it starts with ``=``), ``inner`` (inside the outer parentheses or braces, also of
    ``= {…}``, stripped; None for ``= expr``) and ``arguments`` (split_top_level of ``inner``, or
    ``[expr]`` for ``= expr``; None when the text is none of those shapes)."""

    text: str
    copy: bool
    inner: Optional[str]
    arguments: Optional[list[str]]


def written_initializer(source: SourceText, decl: "Node") -> Optional[WrittenInitializer]:
    """The declaration's initializer as written after its name, up to the end of clang's extent
    of the declaration (WrittenInitializer); None when nothing but blanks follows the name there.
    Clang ends some declarations before their ``)``: ``v(T{1, 2})`` reads as ``(T{1, 2}``, its
    one argument ``T{1, 2``."""
    text = (source.text(Range(declared_name_end(decl), decl.range.end)) or "").strip()
    if not text:
        return None
    if text.startswith("="):
        expr = text[1:].strip()
        inner = expr[1:-1].strip() if expr.startswith("{") and expr.endswith("}") else None
        return WrittenInitializer(text, True, inner, [expr] if inner is None else split_top_level(inner))
    if text[0] in "({" and text[-1] in ")}":
        inner = text[1:-1].strip()
        return WrittenInitializer(text, False, inner, split_top_level(inner))
    return WrittenInitializer(text, False, None, None)


def written_type(source: SourceText, var: "Node") -> str:
    """The text from a declaration's start to its name: its type and specifiers as written
    ('' when that is not in the file)."""
    return source.text(Range(var.range.start, var.location)) or ""


def source_of(text_or_source: Union[str, SourceText]) -> SourceText:
    """``text_or_source`` as a SourceText (a str is wrapped)."""
    return text_or_source if isinstance(text_or_source, SourceText) else SourceText(text_or_source)


__all__ = [
    "Multiline", "SourceText", "Token", "WrittenInitializer", "WrittenNew", "angle_depth", "declared_name_end", "first_paren_close",
    "header_semicolons", "indent_following_lines", "is_postfix_name", "line_starts", "matching_token", "new_is_array", "new_placement_close",
    "name_written", "parenthesized_whole", "source_of", "split_lines", "split_top_level", "starts_declaration",
    "template_argument_span", "token_end", "token_snippet", "written_initializer", "written_new", "written_type",
]
