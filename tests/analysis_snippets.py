"""Finders for the nodes of small C++ snippets (parsed by _analysis_view.parse_view), for the
analysis layer's unit tests of expressions, control, symbols and memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from _analysis_view import parse_view
from hotlint.view import FileView


@dataclass
class Snippet:
    """A parsed snippet with finders for its nodes (nodes keep their translation unit alive)."""

    view: FileView

    def all(self, kind, text: Optional[str] = None, *, line: Optional[int] = None) -> list:
        """Nodes of ``kind`` in source order, optionally only those whose tokens, joined without
        blanks, equal ``text`` with its blanks removed, and only those starting on ``line``."""
        want = None if text is None else "".join(text.split())
        out = []
        for n in self.view.nodes(kind):
            if want is not None and "".join(n.tokens) != want:
                continue
            if line is not None and n.range.start.line != line:
                continue
            out.append(n)
        return out

    def one(self, kind, text: Optional[str] = None, *, line: Optional[int] = None, index: int = 0):
        """The ``index``-th node of ``kind`` matching ``text``/``line`` (see all); fails when absent."""
        found = self.all(kind, text, line=line)
        assert len(found) > index, f"no {kind} {text!r} (line {line}) among {len(found)} matches"
        return found[index]

    def decl(self, kind, name: str, index: int = 0):
        """The ``index``-th declaration of ``kind`` spelled ``name``."""
        found = [n for n in self.view.nodes(kind) if n.spelling == name]
        assert len(found) > index, f"no {kind} named {name!r}"
        return found[index]

    def line_of(self, marker: str) -> int:
        """The 1-based line holding ``marker``."""
        for number, line in enumerate(self.view.text.split("\n"), start=1):
            if marker in line:
                return number
        raise AssertionError(f"{marker!r} not in the snippet")


def snippet(tmp_path: Path, text: str, name: str = "snippet.cpp") -> Snippet:
    """Parse ``text`` as the file ``tmp_path/name`` (C for a ``.c`` name) into the view the engine
    would build; the snippet must parse without errors."""
    return Snippet(parse_view(tmp_path, text, name))
