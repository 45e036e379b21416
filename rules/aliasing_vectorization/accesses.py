"""What the vectorizer model of aliasing-vectorization reads and builds: the calls it sees
through, the memory accesses of a loop and the store/access pairs that may alias, and the
facts it asks once per function. Shared by the detection (``__init__``) and the fixes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from hotlint.analysis.control import reassigned_declarations
from hotlint.analysis.expressions import function_body
from hotlint.analysis.kinds import LOOPS, K
from hotlint.analysis.symbols import unqualified_identifiers

if TYPE_CHECKING:  # pragma: no cover
    from hotlint.analysis.memory import Origin
    from hotlint.clang.nodes import Node

# Calls the vectorizer sees through; library math that may set errno (sqrt, exp, ...) keeps a
# loop scalar by default and is left out on purpose.
PURE_STD = frozenset({"std::min", "std::max", "std::clamp", "std::abs", "std::fabs", "std::fmin",
                      "std::fmax", "std::copysign"})
PURE_C = frozenset({"abs", "labs", "fabs", "fabsf", "fmin", "fminf", "fmax", "fmaxf", "copysign",
                    "copysignf"})


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


def inlinable_pure_call(call: "Node") -> bool:
    """A call the vectorizer sees through: a small std helper, or a leaf function of this file."""
    callee = call.referenced
    if callee is None:
        return False
    if callee.qualified_name in PURE_STD or callee.spelling in PURE_C:
        return True
    d = callee.definition
    if d is None or d.file is None or d.is_in_system_header:
        return False
    body = function_body(d)
    if body is None:
        return False
    return not any(n.kind == K.CALL_EXPR or n.kind in LOOPS for n in body.walk())


def written_text(view, node: "Node") -> str:
    """The node's text for a message: as written on its line, or the rest of its first line and
    `` ...``."""
    return view.source.snippet(node.range, multiline="first-line-ellipsis")
