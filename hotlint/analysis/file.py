"""``FileAnalysis``: every per-file answer of the layer, computed once, on first use.

A rule reaches it as ``view.analysis`` (the source model as ``view.source``). Nothing here is
kept past the file: no module-level memo is keyed by views, and nothing is set on the view
from outside.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..view import FileView
    from ..clang.nodes import Node
    from .hotness import FileHotness
    from .layout import FileLayouts, LayoutUses
    from .symbols import SymbolIndex
    from .target import Target
    from .threads import Joins, ThreadBodies, ThreadRoles


class FileAnalysis:
    """The layer's per-file indexes of one ``FileView``."""

    def __init__(self, view: "FileView") -> None:
        self.view = view

    @cached_property
    def symbols(self) -> "SymbolIndex":
        """References and function declarations of the file, by spelling."""
        from .symbols import SymbolIndex

        return SymbolIndex(self.view)

    @cached_property
    def layouts(self) -> "FileLayouts":
        """What the file says about its records' layouts (assertions, layout words, holders)."""
        from .layout import FileLayouts

        return FileLayouts(self.view)

    @cached_property
    def layout_uses(self) -> "LayoutUses":
        """The file's uses that depend on record layouts (byte copies, casts, positional inits ...)."""
        from .layout import LayoutUses

        return LayoutUses(self.view, self.layouts)

    @cached_property
    def threads(self) -> "ThreadBodies":
        """Thread entry points of the file and the evidence of per-thread indexing."""
        from .threads import ThreadBodies

        return ThreadBodies(self.view)

    @cached_property
    def thread_roles(self) -> "ThreadRoles":
        """The threads the file starts and the atomic fields its functions write, for the
        project's thread roles (``analysis.threads.ThreadRoles``, joined by ``hotlint.callgraph``)."""
        from .threads import ThreadRoles

        return ThreadRoles(self.view)

    @cached_property
    def hotness(self) -> "FileHotness":
        """Cold regions and the file's part of the project call graph (``analysis.hotness``)."""
        from .hotness import FileHotness

        return FileHotness(self.view)

    @cached_property
    def target(self) -> "Target":
        """The machine the unit's findings assume: triple, cache-line size and its source, atomic
        instruction features (``analysis.target``)."""
        from .target import target_of

        return target_of(self.view.args, self.view.settings.cache_line_size)

    @cached_property
    def joins(self) -> "Joins":
        """The file's thread joins."""
        from .threads import Joins

        return Joins(self.view)

    @cached_property
    def _reassigned(self) -> dict["Node", set["Node"]]:
        return {}

    def reassigned(self, fn: "Node") -> set["Node"]:
        """The variables the function ``fn`` (its node) assigns with ``=`` anywhere in it
        (``control.reassigned_declarations``: their origin is not their initializer, as
        ``memory.lvalue_origin`` asks), once per function of the file."""
        found = self._reassigned.get(fn)
        if found is None:
            from .control import reassigned_declarations

            found = self._reassigned[fn] = reassigned_declarations(fn)
        return found
