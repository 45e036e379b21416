"""``hotlint layout NAME [FILE]``: a record's layout drawn against cache-line boundaries, as
pahole prints it, with padding holes, atomics and the fields the file's loops name marked (the
rows of the editor's hover table, ``output.layout``).

Without FILE the project's files are searched for the definition: the compilation database's
units and the C and C++ files below them (default excludes applied), those whose text defines a
record of that name parsed with the database's flags.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from typing import Optional, Sequence

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE = 0, 2, 3


class LayoutError(Exception):
    """NAME names no record, or more than one, or FILE cannot be read: the message says which."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hotlint layout",
        description="Draw a record's layout: offsets, sizes, padding holes, cache-line boundaries, atomics and "
                    "the fields the file's loops use, as pahole shows it.")
    p.add_argument("name", metavar="NAME",
                   help="the record: `Rec`, `ns::Rec`, or an instantiation of a class template, `Ring<int>`")
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="the file that defines it (default: search the compilation database's units and the "
                        "files below them)")
    p.add_argument("-p", "--compile-commands", metavar="PATH",
                   help="compile_commands.json or its folder (default: found upward of FILE or the working folder)")
    p.add_argument("--cache-line-size", type=int, default=None, metavar="BYTES",
                   help="the cache line the picture marks (default: the unit's target's, as the findings assume: "
                        "64 on x86-64, 128 on Apple arm64)")
    p.add_argument("--extra-arg", action="append", default=[], metavar="FLAG",
                   help="a compiler flag added to the file's own (repeatable)")
    return p


@dataclass
class Found:
    path: str
    layout: object  # RecordLayout
    qualified: str  # ns::Rec or ns::Ring<int>
    touched: dict  # field name -> loop lines
    target: Optional[object] = None  # analysis.target.Target of the unit it was found in


_RECORD_WORDS = r"(?:struct|class|union)"


def _simple(name: str) -> str:
    """`ns::Ring<int>` -> `Ring`."""
    return name.split("<", 1)[0].rsplit("::", 1)[-1].strip()


def _normal(name: str) -> str:
    return re.sub(r"\s+", "", name)


def defines(text: str, simple: str) -> bool:
    """Whether ``text`` may define a record named ``simple`` (a textual pre-filter before parsing)."""
    return re.search(rf"\b{_RECORD_WORDS}\b[^;{{()]*?\b{re.escape(simple)}\b[^;{{]*\{{", text) is not None


def _qualified(rec) -> str:
    """The record's qualified name, with the template arguments of an instantiation."""
    layout, node = rec.layout, rec.node
    qname = node.qualified_name if node is not None and node.qualified_name else layout.name
    if "<" in layout.name and "<" not in qname:
        qname += layout.name[layout.name.index("<"):]
    return qname


def matches(name: str, qualified: str) -> bool:
    """``ns::Rec`` is named by `Rec`, `ns::Rec` and `::ns::Rec`; an instantiation `ns::Ring<int>`
    also by the template's name (`Ring`, `ns::Ring`)."""
    want, have = _normal(name).lstrip(":"), _normal(qualified)
    candidates = {have}
    if "<" in have and "<" not in want:
        candidates.add(have.split("<", 1)[0])
    return any(c == want or c.endswith("::" + want) for c in candidates)


def records_in(path: str, name: str, resolver, extra_args: Sequence[str]) -> tuple[list[Found], list[str], list[str]]:
    """(records of ``path`` that ``name`` names, every record name the file defines, problems)."""
    from . import clang  # noqa: PLC0415
    from .engine import EngineOptions, alone_args, analyze_unit_with_view, parse_with_fallbacks, read_source  # noqa: PLC0415
    from .rule import load_rules  # noqa: PLC0415
    from .view import Settings  # noqa: PLC0415

    text = read_source(path)
    flags = resolver.flags_for(path, list(extra_args))
    args = alone_args(flags.args, path) if flags.context is not None else flags.args
    try:
        tu, used, _notes = parse_with_fallbacks(path, text, list(args), clang.HEADER_BODIES_SKIPPED)
    except clang.ParseFailure as exc:
        return [], [], [f"{path}: could not be parsed ({exc})"]
    result, view = analyze_unit_with_view(tu, path, text, used, EngineOptions(rules=(), settings=Settings()),
                                          load_rules())
    problems = [f"{path}:{e.line}: {e.message}" for e in result.errors if e.kind == "parse-error" or e.line]
    names, found = [], []
    for rec in view.records:
        qualified = _qualified(rec)
        names.append(qualified)
        if matches(name, qualified):
            found.append(Found(path, rec.layout, qualified, view.analysis.layouts.loop_fields(rec.layout),
                               view.analysis.target))
    return found, names, problems


def _candidates(name: str, resolver, explicit: Optional[str]) -> tuple[list[str], str]:
    """Files that may define ``name``, and what was searched (for the not-found message)."""
    from .cli import collect_files  # noqa: PLC0415
    from .compdb import CompilationDatabase, CompilationDatabaseError  # noqa: PLC0415

    db_path = resolver.database_path(os.path.join(os.getcwd(), "-"))  # found from the working folder up
    if db_path is None or not os.path.isfile(db_path):
        raise LayoutError("no FILE given and no compile_commands.json found (upward of the working folder or in "
                          "its build/): name the file that defines the record, or pass -p")
    try:
        units = CompilationDatabase(db_path).sorted_units()
    except CompilationDatabaseError as exc:
        raise LayoutError(f"{db_path}: {exc}") from None
    # the project: the database's folder (its parent for a build/ folder) and every unit's
    db_dir = os.path.dirname(os.path.abspath(db_path))
    project = os.path.dirname(db_dir) if os.path.basename(db_dir) == "build" else db_dir
    root = os.path.commonpath([project] + [os.path.dirname(u) for u in units])
    files, _errors = collect_files([root])
    ordered = list(dict.fromkeys(list(units) + sorted(files)))
    simple = _simple(name)
    out = []
    for f in ordered:
        try:
            with open(f, encoding="utf-8", errors="replace") as fh:
                if defines(fh.read(), simple):
                    out.append(f)
        except OSError:
            continue
    return out, f"the {len(ordered)} files of {db_path} and below {root}"


def find(name: str, file: Optional[str], explicit: Optional[str], extra_args: Sequence[str]) -> list[Found]:
    """The records ``name`` names: one, or the instantiations of one template. Raises LayoutError
    when there is none or when it names different records."""
    from .compdb import FlagResolver  # noqa: PLC0415

    resolver = FlagResolver(explicit, [file] if file else [])
    if file is not None:
        if not os.path.isfile(file):
            raise LayoutError(f"{file}: no such file")
        found, names, problems = records_in(os.path.abspath(file), name, resolver, extra_args)
        if not found:
            have = ", ".join(f"`{n}`" for n in names[:12]) + (", ..." if len(names) > 12 else "")
            why = f"it defines {have}" if names else "it defines no record hotlint can lay out"
            if problems:
                why += f"; it has parse errors ({problems[0]})"
            raise LayoutError(f"no record `{name}` in {file}: {why}")
        return _one(name, found)
    candidates, searched = _candidates(name, resolver, explicit)
    found: list[Found] = []
    seen: set = set()
    for path in candidates:
        for f in records_in(path, name, resolver, extra_args)[0]:
            if (f.qualified, f.layout.size) in seen:
                continue  # the same record seen from another unit
            seen.add((f.qualified, f.layout.size))
            found.append(f)
    if not found:
        looked = f"{len(candidates)} of them define a record of that name textually" if candidates else \
            "none defines a record of that name"
        raise LayoutError(f"no record `{name}` found in {searched} ({looked}); name the file that defines it")
    return _one(name, found)


def _one(name: str, found: list[Found]) -> list[Found]:
    """``found`` when it is one record (or instantiations of one template), else LayoutError."""
    templates = {_normal(f.qualified).split("<", 1)[0] for f in found}
    if len(templates) > 1:
        listed = "; ".join(f"`{f.qualified}` ({os.path.basename(f.path)}:{f.layout.name_range.start.line})"
                           for f in found[:8])
        raise LayoutError(f"`{name}` names {len(found)} different records: {listed}; qualify it (`ns::{_simple(name)}`)")
    exact = [f for f in found if _normal(f.qualified).lstrip(":").endswith(_normal(name).lstrip(":"))
             and "<" in _normal(name)]
    return exact or found


def main(argv: Sequence[str]) -> int:
    from .output import display_path  # noqa: PLC0415
    from .output.layout import layout_text  # noqa: PLC0415

    ns = parser().parse_args(list(argv))
    if ns.cache_line_size is not None and (ns.cache_line_size <= 0 or ns.cache_line_size & (ns.cache_line_size - 1)):
        print("hotlint layout: error: --cache-line-size must be a power of two", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = find(ns.name, ns.file, ns.compile_commands, ns.extra_arg)
    except LayoutError as exc:
        print(f"hotlint layout: error: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    for i, f in enumerate(found):
        if i:
            print()
        where = f"{display_path(f.path)}:{f.layout.name_range.start.line}"
        line_size = ns.cache_line_size or (f.target.line_size if f.target is not None else 64)
        for line in layout_text(f.layout, line_size, f.touched, where=where, title=f.qualified):
            print(line)
        if f.target is not None and ns.cache_line_size is None:
            print(f"// {f.target.assumed}")
    return EXIT_OK
