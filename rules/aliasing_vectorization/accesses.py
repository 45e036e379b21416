"""What the vectorizer model of aliasing-vectorization reads and builds: the memory accesses
of a loop and the store/access pairs that may alias, and the facts it asks once per function.
Shared by the detection (``__init__``) and the fixes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Optional

from hotlint.analysis.control import reassigned_declarations
from hotlint.analysis.symbols import linted_text, unqualified_identifiers

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
