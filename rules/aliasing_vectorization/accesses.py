"""What the vectorizer model of aliasing-vectorization reads and builds: the memory accesses
of a loop and the store/access pairs that may alias. Shared by the detection (``__init__``) and
the fixes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from hotlint.analysis.symbols import linted_text

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
    pointers: Optional["Node"] = None  # the container whose data pointers this call reads (`v.size()`)

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


def written_text(view, node: "Node") -> Optional[str]:
    """The node's text as the linted file holds it (the rest of its first line and `` ...`` when
    it spans lines); None when the file does not hold it (another file, a macro argument)."""
    return linted_text(view, node, multiline="first-line-ellipsis")
