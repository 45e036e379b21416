"""Output formats: text (clang/ruff style), json (SPEC.md), sarif 2.1.0, github annotations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..model import Diagnostic, ErrorRecord


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, note) about flags etc.
    files: int = 0
    cached: int = 0

    def sort(self) -> None:
        self.diagnostics.sort(key=Diagnostic.sort_key)
        self.errors.sort(key=ErrorRecord.sort_key)


def display_path(path: str) -> str:
    """Relative to the working directory when below it (as ruff and clang print)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def read_lines(path: str, _cache: dict = {}) -> list[str]:  # noqa: B006 - per-process memo
    if path not in _cache:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                _cache[path] = fh.read().splitlines()
        except OSError:
            _cache[path] = []
    return _cache[path]
