"""Where a finding sits: its enclosing function and innermost loop, as ``model.Where``.

The engine asks this once per diagnostic when a rule's ``Finding`` becomes a ``Diagnostic``, so
the ranking stage (``hotlint.rank``) can match a finding to a profile's functions and lines
without the syntax tree, from a cached result as well as a fresh one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .analysis.control import outermost_function
from .analysis.kinds import K
from .model import Range, Where

if TYPE_CHECKING:  # pragma: no cover
    from .view import FileView, Function, Loop


def _lines(r: Range) -> tuple[int, int]:
    return (r.start.line, r.end.line)


def _innermost(items, rng: Range, range_of):
    """The item whose range holds ``rng`` and starts last (ties: the shorter)."""
    best = None
    for item in items:
        r = range_of(item)
        if r.contains(rng) and (best is None or (r.start, -r.end.line, -r.end.column)
                                > (range_of(best).start, -range_of(best).end.line, -range_of(best).end.column)):
            best = item
    return best


def where_of(view: "FileView", rng: Range) -> Optional[Where]:
    """The function and loop of ``view``'s file around ``rng``; None outside every function (a
    record's finding)."""
    fn: Optional["Function"] = _innermost(view.functions, rng, lambda f: f.node.range)
    if fn is None:
        return None
    loop: Optional["Loop"] = _innermost((lp for lp in view.loops if lp.function is fn), rng,
                                        lambda lp: lp.node.range)
    outer = outermost_function(view, fn)
    hotness = loop.depth if loop is not None else 0
    hotness += (2 if outer.is_hot else 0) - (2 if outer.is_cold else 0)
    return Where(
        function=outer.name, qualified_name=outer.qualified_name, function_lines=_lines(outer.node.range),
        loop_lines=_lines(loop.node.range) if loop is not None else None,
        loop_depth=loop.depth if loop is not None else 0,
        lambda_lines=_lines(fn.node.range) if fn.node.kind == K.LAMBDA_EXPR and fn is not outer else None,
        hotness=hotness,
    )
