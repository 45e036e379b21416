"""What the vectorizer model of aliasing-vectorization reads and builds: the memory accesses
of a loop and the store/access pairs that may alias, and the facts it asks once per function.
Shared by the detection (``__init__``) and the fixes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Optional

from hotlint.analysis.control import reassigned_declarations
from hotlint.analysis.expressions import THROUGH_CASTS, strip
from hotlint.analysis.kinds import K
from hotlint.analysis.memory import named_declaration
from hotlint.analysis.symbols import in_linted_file, linted_text, unqualified_identifiers

if TYPE_CHECKING:  # pragma: no cover
    from hotlint.analysis.memory import Origin
    from hotlint.clang.nodes import Node

@dataclass(eq=False)
class Access:
    """A scalar load or store of memory in the loop."""

    node: "Node"
    loc: "Origin"
    store: bool
    invariant: bool
    in_condition: bool
    indirect: bool = False  # its address depends on another load (`x[idx[i]]`)

    @property
    def type(self):
        return self.node.type


@dataclass(eq=False)
class Pair:
    store: Access
    load: Access  # a load, or a second store
    kind: str  # one of PRIORITY


PRIORITY = ("bound", "base-pointer", "accumulator", "clang-member", "indirect", "invariant", "stream")
NOT_VECTORIZED = frozenset({"bound", "base-pointer", "accumulator", "clang-member", "indirect"})


class FunctionFacts:
    """Asked once per function: the variables assigned with `=` anywhere in it (their origin is
    not their initializer) and, for a fix that adds locals, the names it uses."""

    def __init__(self, function) -> None:
        self.function = function
        self.reassigned = reassigned_declarations(function.node)

    @cached_property
    def identifiers(self) -> set[str]:
        return unqualified_identifiers(self.function.node)


def written_text(view, node: "Node") -> Optional[str]:
    """The node's text as the linted file holds it (the rest of its first line and `` ...`` when
    it spans lines); None when the file does not hold it (another file, a macro argument)."""
    return linted_text(view, node, multiline="first-line-ellipsis")


def quoted(view, node: "Node") -> str:
    """The node's text in backquotes, for a message; when the linted file does not hold it, what
    the node reads (a variable, an element of one, what a pointer points to) and where it is
    spelled, never an empty or a wrong text."""
    text = written_text(view, node)
    if text is not None:
        return f"`{text}`"
    n = strip(node, **THROUGH_CASTS)
    named = named_declaration(n)
    base = named_declaration(n.children[0]) if named is None and n.children else None
    if named is not None:
        what = f"`{named.spelling}`"
    elif base is not None and n.kind == K.ARRAY_SUBSCRIPT_EXPR:
        what = f"an element of `{base.spelling}`"
    elif base is not None and n.kind == K.UNARY_OPERATOR:
        what = f"what `{base.spelling}` points to"
    else:
        what = f"a `{n.type.spelling}`"
    if in_linted_file(view, node):
        return f"{what} in a macro argument"
    return f"{what} in `{os.path.basename(node.file)}`" if node.file else f"{what} outside this file"
