"""The language server's parsing process: ``python -m hotlint.lsp.worker``.

libclang is not thread-safe, a Python walk holds the GIL and a libclang crash kills
its process, so the server never parses: it sends this process one JSON request per
line on stdin and reads one JSON reply per line on stdout, in order.

Each file's translation unit is kept between requests and reparsed with a
precompiled preamble (as clangd does), so an edit below the ``#include`` lines does
not read every header again. The preamble files go to ``$TMPDIR``, which the server
points at a private folder it removes.

When reparsing a file is slow and the user keeps editing one declaration, a second
unit, a *prefix unit* (see ``prefix``), is built on a background thread with the file
cut above that declaration, so later edits below the cut reparse only the tail. It is
used only once its result for the text it was built from equals the ordinary unit's.
``HOTLINT_PREFIX_UNITS=0`` in the environment turns prefix units off.

A file's first parse loads a precompiled header of its ``#include`` block kept from an
earlier session when there is one (``pch``), and otherwise has one built on a thread once
its reply is sent. ``HOTLINT_PCH=0`` in the environment turns that off.

Requests: ``{"id": 1, "op": "analyze", "params": {"path", "text", "args", "options"}}``,
``{"id": 2, "op": "close", "params": {"path"}}``, ``{"id": 3, "op": "analyze_fast", "params": {"path", "text", "args",
"options", "base", "outline"}}``: the findings of the one declaration edited since ``base`` (see
``fast``). Replies: ``{"id": 1, "result": ...}``
or ``{"id": 1, "error": "...", "kind": "internal-error"}``. End of input ends the process.

A reply is at most ``MAX_REPLY`` bytes (``HOTLINT_WORKER_MAX_REPLY`` in the environment
changes it): a few hundred bytes of C++ can make type names that double with every line,
and the record layouts that carry them then run to hundreds of megabytes. A longer reply
becomes an error reply of kind ``too-large`` for that request alone, saying how large it
was and what made it so; the server shows it on that document.

The server starts this process without the working directory on ``sys.path``
(``workerclient.WORKER_BOOTSTRAP``): hotlint must be installed, not run from the folder
the editor was started in.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import clang
from ..compdb import HeaderContext
from ..engine import (
    FileProblem,
    alone_args,
    analyze_unit_with_view,
    context_errors,
    cut_preamble,
    read_source,
    internal_error_record,
    parse_failure_record,
    parse_with_fallbacks,
)
from ..model import FileResult
from . import fast, pch, prefix
from .wire import layout_to_json, options_from_json

log = logging.getLogger("hotlint.lsp.worker")

# The preamble (the #include lines) is compiled once and reused by every reparse. As in clangd,
# it skips the bodies of header functions that need no instantiation. PARSE_INCOMPLETE skips the
# end-of-file instantiation of function template bodies (the std library's, mostly): no rule reads
# them, layouts come from class instantiations, which still happen; an error inside such a body
# then goes unreported here (the command line reports it). About 15% off each reparse.
PREAMBLE_OPTIONS = (clang.PARSE_PRECOMPILED_PREAMBLE | clang.PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE
                    | clang.PARSE_SKIP_FUNCTION_BODIES | clang.PARSE_LIMIT_SKIP_FUNCTION_BODIES_TO_PREAMBLE
                    | clang.PARSE_INCOMPLETE)
MAX_UNITS = 8  # translation units kept (least recently used dropped): each holds an AST in memory
# A prefix unit's preamble is the head of the file, function bodies included: nothing is skipped.
PREFIX_OPTIONS = (clang.PARSE_PRECOMPILED_PREAMBLE | clang.PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE
                  | clang.PARSE_INCOMPLETE)
PREFIX_AFTER_MS = 40.0  # build a prefix unit only for files whose reparse takes longer than this
MAX_REPLY = 16 * 1024 * 1024  # bytes in one reply line (below workerclient.READ_LIMIT)


@dataclass
class Unit:
    tu: Any
    args: list[str]  # as requested: a change of flags means a fresh parse
    used: list[str]  # as parsed, after dropping flags clang rejected
    notes: list[str] = field(default_factory=list)
    context: Optional[tuple] = None  # (header, unit, line): a header's unit, parsed inside its includer
    pch: Optional[tuple[str, str]] = None  # (include block, its header): the block came from a stored PCH


@dataclass
class PrefixUnit:
    """A unit whose main file is cut at ``split`` (see ``prefix``); usable while the
    document's text still starts with ``head``."""

    tu: Any
    args: list[str]
    used: list[str]
    split: prefix.Split
    header: str  # the virtual header's path
    head: bytes  # the document's bytes above the split
    header_text: str  # what the header holds: the head, then closing braces
    main_head: bytes  # the head blanked, as the main file starts (``prefix.blanked_head``)
    notes: list[str]  # the ordinary unit's (flags dropped, and why)
    built_from: str  # the document text the unit was parsed with
    reference: dict  # the ordinary unit's comparable result for ``built_from``
    options: dict  # the options that result was computed with
    verified: bool = False


@dataclass
class _Build:
    """A prefix unit being parsed on a background thread (``Analyzer.builds`` holds it by path)."""

    thread: threading.Thread
    unit: Optional[PrefixUnit] = None
    failure: Optional[str] = None


def _comparable(reply: dict) -> dict:
    """The parts of a reply that must not depend on how the file was parsed."""
    result = reply.get("result") or {}
    return {"diagnostics": result.get("diagnostics"), "errors": result.get("errors"),
            "records": reply.get("records"), "parse_errors": reply.get("parse_errors")}


class Analyzer:
    """Parses and reparses files, runs the rules, and answers with results and layouts."""

    def __init__(self, max_units: int = MAX_UNITS, prefix_units: Optional[bool] = None,
                 prefix_after_ms: float = PREFIX_AFTER_MS, use_pch: Optional[bool] = None):
        self.units: OrderedDict[str, Unit] = OrderedDict()
        self.max_units = max_units
        if prefix_units is None:
            prefix_units = os.environ.get("HOTLINT_PREFIX_UNITS", "1") != "0"
        self.prefix_units = prefix_units
        self.prefix_after_ms = prefix_after_ms
        self.prefixes: dict[str, PrefixUnit] = {}
        self.builds: dict[str, _Build] = {}
        self.refused: dict[str, set[int]] = {}  # splits whose unit disagreed with the ordinary one
        self.texts: dict[str, str] = {}  # each file's last analyzed text (an edit is told from it)
        self.decls = fast.DeclUnits()  # quick answers for an edit inside one declaration (``fast``)
        self.use_pch = pch.enabled() if use_pch is None else use_pch
        self.pch_wanted: dict[str, tuple] = {}  # path -> what ``pch.build`` needs, built after the reply
        self.pch_builds: list[threading.Thread] = []

    def close(self, path: str) -> None:
        self.units.pop(path, None)
        self.pch_wanted.pop(path, None)
        self.decls.close(path)
        self._drop_prefix(path)
        self.refused.pop(path, None)
        self.texts.pop(path, None)
        build = self.builds.pop(path, None)
        if build is not None:
            build.thread.join()  # its unit is dropped with it

    def forget_all(self) -> None:
        """Drop every kept unit (after running out of memory), so the next file is parsed afresh."""
        for path in list(self.units) + list(self.prefixes) + list(self.texts):
            self.close(path)
        gc.collect()

    def _drop_prefix(self, path: str) -> None:
        unit = self.prefixes.pop(path, None)
        if unit is not None:
            clang.unalias_file(unit.header)

    def _unit(self, path: str, text: str, args: list[str]) -> tuple[Unit, bool]:
        """The file's unit reflecting ``text``, and whether a kept unit was reparsed."""
        unit = self.units.pop(path, None)
        if unit is not None and unit.pch is not None and not text.startswith(unit.pch[0]):
            unit = None  # the include block changed: the PCH no longer holds it
        if unit is not None and unit.args == args and unit.context is None:
            try:
                if unit.pch is None:
                    clang.reparse(unit.tu, path, text)
                else:
                    block, header = unit.pch
                    clang.reparse(unit.tu, path, pch.main_text(text, block), 0, [(header, block)])
                self.units[path] = unit
                return unit, True
            except clang.ParseFailure as exc:
                if exc.crashed:
                    raise
                # an unusable unit: parse afresh below
        unit = self._pch_unit(path, text, args)
        if unit is None:
            tu, used, notes = parse_with_fallbacks(path, text, list(args), PREAMBLE_OPTIONS)
            unit = Unit(tu, list(args), used, notes)
            if path in self.pch_wanted:
                self.pch_wanted[path] += (used, notes)
        self.units[path] = unit
        while len(self.units) > self.max_units:
            dropped, _ = self.units.popitem(last=False)
            self._drop_prefix(dropped)
        return unit, False

    def _pch_unit(self, path: str, text: str, args: list[str]) -> Optional[Unit]:
        """The file's unit parsed with the stored PCH of its include block (``pch``), or None
        (then, when the block has none, ``pch_wanted`` says what to build after the reply)."""
        self.pch_wanted.pop(path, None)
        if not self.use_pch:
            return None
        block = pch.include_block(text)
        if block is None:
            return None
        header = pch.header_path(path)
        name = pch.key(block, header, args)
        entry = pch.lookup(name)
        if entry is None:
            self.pch_wanted[path] = (name, block)
            return None
        try:
            tu = clang.parse(path, entry.used, pch.main_text(text, block), PREAMBLE_OPTIONS, None, [(header, block)],
                             pch=entry.path)
        except clang.ParseFailure as exc:
            pch.discard(name, f"the parse with it failed: {exc}")
            self.pch_wanted[path] = (name, block)
            return None
        problem = pch.load_problem(tu, entry.path, path)
        if problem is not None:
            why, blame = problem
            log.info("%s: parsed without the stored precompiled headers: %s", os.path.basename(path), why)
            if blame:
                pch.discard(name, why)
                self.pch_wanted[path] = (name, block)  # built again after the reply
            return None
        clang.alias_file(header, path)  # whatever clang places in the block is in the file
        return Unit(tu, list(args), list(entry.used), list(entry.notes), pch=(block, header))

    def after_reply(self) -> None:
        """Build, on threads, the PCHs that first parses found missing (``pch``): after the reply,
        so a first answer never waits for one."""
        self.pch_builds = [t for t in self.pch_builds if t.is_alive()]
        for path, wanted in list(self.pch_wanted.items()):
            del self.pch_wanted[path]
            if len(wanted) != 4 or any(t.name == wanted[0] for t in self.pch_builds):
                continue  # the ordinary parse did not run (or failed), or it is being built
            name, block, used, notes = wanted

            def run(name=name, path=path, block=block, used=used, notes=notes):
                _lower_priority()  # the edits the user makes meanwhile come first
                started = time.perf_counter()
                failure = pch.build(name, path, block, used, notes)
                log.info("%s: precompiled headers of the include block %s (%.0f ms)", os.path.basename(path),
                         f"not stored: {failure}" if failure else "stored", (time.perf_counter() - started) * 1000)

            thread = threading.Thread(target=run, daemon=True, name=name)
            self.pch_builds.append(thread)
            thread.start()

    def analyze(self, path: str, text: str, args: list[str], options: dict,
                context: Optional[dict] = None) -> dict:
        started, cpu = time.perf_counter(), time.process_time()
        clang.clear_caches()  # memos keyed by this unit's cursors must not outlive a reparse
        engine_options = options_from_json(options)
        reply = None
        if context:
            reply = self._analyze_in_context(path, text, args, HeaderContext(context["unit"], context.get("line")),
                                             engine_options)
            if reply is None:  # the unit cannot serve: the header alone, as the command line does
                args = alone_args(args, path)
        if reply is None:
            reply = self._analyze_prefix(path, text, args, options, engine_options)
        if reply is None:
            reply = self._analyze_ordinary(path, text, args, options, engine_options)
        self.texts[path] = text
        reply["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        # the process's (libclang parses on threads of its own), so a prefix unit being built meanwhile
        # counts too; below total_ms when the machine is busy
        reply["cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)
        reply["units"] = len(self.units) + len(self.prefixes)  # kept in memory (a leak shows in the log)
        return reply

    def _analyze_ordinary(self, path: str, text: str, args: list[str], options: dict, engine_options) -> dict:
        started = time.perf_counter()
        reply: dict[str, Any] = {"records": [], "parse_errors": [], "reparsed": False}
        previous = self.texts.get(path)
        try:
            unit, reply["reparsed"] = self._unit(path, text, args)
            reply["pch"] = unit.pch is not None and not reply["reparsed"]
        except clang.ParseFailure as exc:
            self.units.pop(path, None)
            self._drop_prefix(path)
            reply["result"] = FileResult(path=path, errors=[parse_failure_record(path, exc)]).to_json()
            reply["crashed"] = exc.crashed
            return reply
        reply["parse_ms"] = round((time.perf_counter() - started) * 1000, 1)
        view = self._run(reply, unit.tu, path, text, unit.used, unit.notes, engine_options)
        if view is not None and previous is not None and reply["parse_ms"] >= self.prefix_after_ms:
            self._maybe_build(path, previous, text, unit, view, reply, options)
        return reply

    def _analyze_in_context(self, path: str, text: str, args: list[str], context: HeaderContext,
                            engine_options) -> Optional[dict]:
        """The reply for a header analyzed inside the unit that includes it (``engine.analyze_in_context``):
        that unit is kept under the header's path and reparsed with the header's text as the editor
        holds it. None when the unit cannot serve (unreadable, not including the header, or with a
        parse error outside it)."""
        started = time.perf_counter()
        key = (path, context.unit, context.line)
        try:
            unit_text = cut_preamble(read_source(context.unit), context.line)
        except FileProblem:
            return None
        unit = self.units.pop(path, None)
        reparsed = False
        if unit is not None and unit.args == args and unit.context == key:
            try:
                clang.reparse(unit.tu, context.unit, unit_text, 0, [(path, text)])
                reparsed = True
            except clang.ParseFailure:
                unit = None
        else:
            unit = None
        if unit is None:
            try:
                tu, used, notes = parse_with_fallbacks(context.unit, unit_text, list(args), PREAMBLE_OPTIONS,
                                                       extra_unsaved=[(path, text)])
            except clang.ParseFailure:
                return None
            unit = Unit(tu, list(args), used, notes)
            unit.context = key
        if not clang.includes(unit.tu, path) or context_errors(unit.tu, path)[1]:
            return None
        self.units[path] = unit
        while len(self.units) > self.max_units:
            dropped, _ = self.units.popitem(last=False)
            self._drop_prefix(dropped)
        reply: dict[str, Any] = {"records": [], "parse_errors": [], "reparsed": reparsed, "context": context.unit,
                                 "parse_ms": round((time.perf_counter() - started) * 1000, 1)}
        self._run(reply, unit.tu, path, text, unit.used, unit.notes, engine_options, context.unit)
        return reply

    @staticmethod
    def _run(reply: dict, tu, path: str, text: str, used: list[str], notes: list[str], engine_options,
             context: Optional[str] = None):
        """Run the rules over a parsed unit into ``reply``; the view, or None after a fault."""
        try:
            result, view = analyze_unit_with_view(tu, path, text, used, engine_options, context=context)
            result.warnings = notes + result.warnings
            reply["records"] = [layout_to_json(r.layout) for r in view.records]
            # per record, the fields the file's loops name (the hover marks them, as `hotlint layout` does)
            reply["record_loops"] = [view.analysis.layouts.loop_fields(r.layout) for r in view.records]
            # the file's declarations, for the fast worker's declaration units (``fast``)
            reply["outline"] = None if context else [d.to_json() for d in prefix.outline(view.roots, text.encode())]
            reply["line_size"] = view.analysis.target.line_size  # the layout hover's cache lines
            # every error at its own place (the result keeps the first, with the consequences)
            reply["parse_errors"] = [e.to_json() for e in
                                     (context_errors(tu, path)[0] if context else clang.error_records(tu, path)[0])]
        except MemoryError:
            raise  # the worker forgets every unit it keeps (``serve``): the next file must not inherit the shortage
        except Exception as exc:  # a fault in a rule or a walk is reported, the process goes on
            result, view = FileResult(path=path, errors=[internal_error_record(path, exc)]), None
        reply["result"] = result.to_json()
        return view

    def analyze_fast(self, path: str, text: str, args: list[str], options: dict, base: str, outline: list) -> dict:
        """The findings of the declaration an edit is in (``fast``), or why there are none:
        ``{"declined": reason}``."""
        started = time.perf_counter()
        clang.clear_caches()
        try:
            reply = self.decls.analyze(path, text, args, options_from_json(options), base, outline, self._truncated)
        except fast.Declined as exc:
            return {"declined": str(exc)}
        finally:
            clang.clear_caches()
        reply["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return reply

    def _truncated(self, path: str, text: str, args: list[str]) -> tuple:
        """The file's whole-file unit reparsed with ``text`` (the file cut after a declaration)."""
        unit, _ = self._unit(path, text, args)
        return unit.tu, unit.used, unit.notes

    # ---- prefix units
    def _analyze_prefix(self, path: str, text: str, args: list[str], options: dict, engine_options) -> Optional[dict]:
        """The reply from the file's prefix unit, or None when it has none that fits ``text``."""
        self._adopt_build(path)
        unit = self.prefixes.get(path)
        if unit is None:
            return None
        data = text.encode()
        if not data.startswith(unit.head):
            self._drop_prefix(path)  # the head changed: the cut is stale
            return None
        if unit.args != args or len(data) == len(unit.head):
            return None
        if not unit.verified and not self._verify(path, unit):
            return None
        started = time.perf_counter()
        main = unit.main_head + data[unit.split.offset:]
        reply: dict[str, Any] = {"records": [], "parse_errors": [], "reparsed": True, "prefix": True}
        try:
            clang.reparse(unit.tu, path, main.decode(), 0, [(unit.header, unit.header_text)])
        except clang.ParseFailure:
            self._drop_prefix(path)  # the whole-file unit parses it instead (and reports a crash)
            return None
        reply["parse_ms"] = round((time.perf_counter() - started) * 1000, 1)
        self._run(reply, unit.tu, path, text, unit.used, unit.notes, engine_options)
        return reply

    def settle(self) -> None:
        """Wait for the prefix units being built (their files' next analyses will use them)."""
        for build in list(self.builds.values()):
            build.thread.join()
        self.decls.settle()
        for thread in self.pch_builds:
            thread.join()

    def _verify(self, path: str, unit: PrefixUnit) -> bool:
        """Whether the unit, as built, gives what the ordinary unit gave for the same text."""
        check: dict[str, Any] = {}
        self._run(check, unit.tu, path, unit.built_from, unit.used, unit.notes, options_from_json(unit.options))
        if _comparable(check) == unit.reference:
            unit.verified = True
            return True
        log.warning("%s: the unit cut at byte %d disagrees with the whole file's; not used",
                    os.path.basename(path), unit.split.offset)
        self.refused.setdefault(path, set()).add(unit.split.offset)
        self._drop_prefix(path)
        return False

    def _adopt_build(self, path: str) -> None:
        build = self.builds.get(path)
        if build is None or build.thread.is_alive():
            return
        del self.builds[path]
        if build.unit is None:
            log.info("%s: no prefix unit: %s", os.path.basename(path), build.failure)
            return
        self._drop_prefix(path)
        self.prefixes[path] = build.unit
        clang.alias_file(build.unit.header, path)

    def _maybe_build(self, path: str, previous: str, text: str, unit: Unit, view, reply: dict,
                     options: dict) -> None:
        """After a slow reparse, cut the file above the declaration just edited and parse
        that on a background thread, unless a fitting prefix unit exists or is on its way."""
        if not self.prefix_units or path in self.builds or reply["result"].get("errors"):
            return
        data = text.encode()
        change = prefix.first_difference(previous.encode(), data)
        if change is None:
            return
        split = prefix.choose_split(view.roots, change, data)
        if split is None or split.offset in self.refused.get(path, ()):
            return
        current = self.prefixes.get(path)
        if current is not None and current.split == split and current.args == unit.args \
                and data.startswith(current.head):
            return
        main_head = prefix.blanked_head(data, split, path)
        if main_head is None:
            return
        header = prefix.header_path(path)
        header_text = prefix.head_text(data, split).decode()
        pending = PrefixUnit(None, list(unit.args), list(unit.used), split, header, data[:split.offset],
                             header_text, main_head, list(unit.notes), text, _comparable(reply), options)

        def run():  # on the thread: libclang only, no Python analysis
            try:
                pending.tu = clang.parse(path, pending.used, (main_head + data[split.offset:]).decode(),
                                         PREFIX_OPTIONS, None, [(header, header_text)])
            except Exception as exc:  # noqa: BLE001 - reported when adopted
                build.unit, build.failure = None, f"{type(exc).__name__}: {exc}"

        build = _Build(threading.Thread(target=run, daemon=True, name="hotlint-prefix"), pending)
        self.builds[path] = build
        build.thread.start()


def _lower_priority() -> None:
    """Make the calling thread (and the threads libclang starts from it) run at a lower priority:
    on Linux a thread has a nice value of its own."""
    try:
        if sys.platform.startswith("linux"):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10))
    except (AttributeError, OSError):
        pass


def oversized(reply: dict, size: int, limit: int) -> str:
    """Why a reply of ``size`` bytes is refused: its size, the limit, and its largest part."""
    said = f"{size:,}-byte reply, over the {limit:,}-byte limit of the analyzer's replies"
    answer = reply.get("result")
    if not isinstance(answer, dict) or "records" not in answer:
        return f"a {said}"
    result = answer.get("result") or {}
    parts = {"record layouts": answer.get("records") or [], "findings": result.get("diagnostics") or [],
             "errors": (result.get("errors") or []) + (answer.get("parse_errors") or [])}
    sizes = {name: len(json.dumps(value)) for name, value in parts.items()}
    largest = max(sizes, key=lambda name: sizes[name])
    cause = f"its {largest} take {sizes[largest]:,} bytes"
    if largest == "record layouts":
        records = parts[largest]
        fields = [f for r in records for f in r.get("fields", ())]
        longest = max((len(t) for t in [r.get("name", "") for r in records] + [f.get("type_name", "") for f in fields]),
                      default=0)
        cause += (f" ({len(records):,} records, {len(fields):,} fields; the longest type name has "
                  f"{longest:,} characters)")
    path = os.path.basename(str(result.get("path") or "the file"))
    return f"the analysis of {path} came to a {said}: {cause}; no findings can be shown for it"


def serve(requests, replies, analyzer: Optional[Analyzer] = None, max_reply: Optional[int] = None) -> None:
    analyzer = analyzer or Analyzer()
    if max_reply is None:
        max_reply = int(os.environ.get("HOTLINT_WORKER_MAX_REPLY") or MAX_REPLY)
    for line in requests:
        if not line.strip():
            continue
        msg_id = None
        try:
            message = json.loads(line)
            msg_id = message.get("id")
            op, params = message["op"], message.get("params") or {}
            if op == "analyze":
                reply = {"id": msg_id, "result": analyzer.analyze(params["path"], params["text"], params["args"],
                                                                 params["options"], params.get("context"))}
            elif op == "analyze_fast":
                reply = {"id": msg_id, "result": analyzer.analyze_fast(params["path"], params["text"], params["args"],
                                                                      params["options"], params["base"],
                                                                      params["outline"])}
            elif op == "close":
                analyzer.close(params["path"])
                reply = {"id": msg_id, "result": None}
            else:
                reply = {"id": msg_id, "error": f"unknown op {op!r}", "kind": "internal-error"}
        except MemoryError:
            analyzer.forget_all()
            reply = {"id": msg_id, "error": "ran out of memory (HOTLINT_MAX_MEMORY or --max-memory sets the limit); "
                                            "every unit kept in memory was dropped", "kind": "out-of-memory"}
        except Exception as exc:
            reply = {"id": msg_id, "error": f"{type(exc).__name__}: {exc}", "kind": "internal-error"}
        text = json.dumps(reply)  # ASCII (non-ASCII is escaped): characters are bytes
        if len(text) > max_reply:
            text = json.dumps({"id": msg_id, "error": oversized(reply, len(text), max_reply), "kind": "too-large"})
        replies.write(text + "\n")
        replies.flush()
        analyzer.after_reply()
    analyzer.settle()  # never tear the interpreter down under a parse still running on a thread


def memory_limit_mib() -> int:
    """The worker's address-space limit: ``HOTLINT_MAX_MEMORY`` (MiB) or the command line's default."""
    from ..safeio import DEFAULT_WORKER_MEMORY_MIB

    try:
        return max(256, int(os.environ.get("HOTLINT_MAX_MEMORY", DEFAULT_WORKER_MEMORY_MIB)))
    except ValueError:
        return DEFAULT_WORKER_MEMORY_MIB


def main() -> int:
    # The server decides what a Ctrl-C in its terminal means; the worker ends with its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # As the command line's workers: a file that makes clang allocate without bound ends this
    # process (the server reports it against that file and starts another), not the machine.
    from ..workers import _limit_memory

    _limit_memory(memory_limit_mib())
    # Replies need a clean stdout: anything else writing to fd 1 (libclang included) goes to stderr.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # The rules and the analysis layer are imported while the first request's parse runs (libclang
    # releases the GIL): the server starts this process as the editor starts it, and the first file
    # is opened at once, so that import would otherwise be part of the first answer.
    threading.Thread(target=_preload, daemon=True, name="hotlint-preload").start()
    serve(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8"), replies)
    return 0


def _preload() -> None:
    try:
        from ..rule import load_rules

        load_rules()
    except Exception:  # noqa: BLE001 - the first analysis loads them again and reports what fails
        pass


if __name__ == "__main__":
    sys.exit(main())
