"""Views of small original C and C++ snippets, parsed through the real headers, for the
analysis layer's tests."""

from __future__ import annotations

from pathlib import Path

from hotlint import clang
from hotlint.analysis.kinds import K
from hotlint.view import FileView, Settings

CXX = ["-x", "c++", "-std=c++20"]
C = ["-x", "c", "-std=c17"]


def parse_view(directory: Path, source: str, name: str = "case.cpp") -> FileView:
    """The FileView the rules would see for ``source`` saved as ``directory/name`` (C for a
    ``.c`` name); the snippet must parse without errors."""
    path = directory / name
    path.write_text(source)
    c = name.endswith(".c")
    tu = clang.parse(str(path), C if c else CXX, source)
    errors, _fatal = clang.error_records(tu, str(path))
    assert not errors, [e.message for e in errors]
    roots = clang.main_file_roots(tu, str(path))
    return FileView(str(path), source, roots, Settings(), language="c" if c else "c++")


def declared(view: FileView, name: str, kinds=(K.VAR_DECL, K.FIELD_DECL, K.PARM_DECL)):
    """The one declaration of the file spelled ``name``."""
    found = [n for n in view.nodes(*kinds) if n.spelling == name]
    assert len(found) == 1, (name, found)
    return found[0]


def type_of(view: FileView, name: str):
    """The declared type of the variable, field or parameter ``name``."""
    return declared(view, name).type


def record(view: FileView, name: str):
    """The view's Record whose layout is named ``name``."""
    found = [r for r in view.records if r.layout.name == name]
    assert len(found) == 1, (name, [r.layout.name for r in view.records])
    return found[0]
