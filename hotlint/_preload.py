"""Imported by the fork server before it forks workers: load libclang once, not per worker."""

from .clang import cindex

cindex().conf.lib  # noqa: B018 - loading the shared library is the point
