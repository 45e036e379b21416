"""The language server's parsing process: ``python -m hotlint.lsp.worker``.

libclang is not thread-safe, a Python walk holds the GIL and a libclang crash kills
its process, so the server never parses: it sends this process one JSON request per
line on stdin and reads one JSON reply per line on stdout, in order.

Each file's translation unit is kept between requests and reparsed with a
precompiled preamble (as clangd does), so an edit below the ``#include`` lines does
not read every header again. The preamble files go to ``$TMPDIR``, which the server
points at a private folder it removes.

Requests: ``{"id": 1, "op": "analyze", "params": {"path", "text", "args", "options"}}``,
``{"id": 2, "op": "close", "params": {"path"}}``. Replies: ``{"id": 1, "result": ...}``
or ``{"id": 1, "error": "..."}``. End of input ends the process.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import clang
from ..engine import (
    analyze_unit_with_view,
    internal_error_record,
    parse_failure_record,
    parse_with_fallbacks,
)
from ..model import FileResult
from .wire import layout_to_json, options_from_json

# The preamble (the #include lines) is compiled once and reused by every reparse. As in clangd,
# it skips the bodies of header functions that need no instantiation. PARSE_INCOMPLETE skips the
# end-of-file instantiation of function template bodies (the std library's, mostly): no rule reads
# them, layouts come from class instantiations, which still happen; an error inside such a body
# then goes unreported here (the command line reports it). About 15% off each reparse.
PREAMBLE_OPTIONS = (clang.PARSE_PRECOMPILED_PREAMBLE | clang.PARSE_CREATE_PREAMBLE_ON_FIRST_PARSE
                    | clang.PARSE_SKIP_FUNCTION_BODIES | clang.PARSE_LIMIT_SKIP_FUNCTION_BODIES_TO_PREAMBLE
                    | clang.PARSE_INCOMPLETE)
MAX_UNITS = 8  # translation units kept (least recently used dropped): each holds an AST in memory


@dataclass
class Unit:
    tu: Any
    args: list[str]  # as requested: a change of flags means a fresh parse
    used: list[str]  # as parsed, after dropping flags clang rejected
    notes: list[str] = field(default_factory=list)


class Analyzer:
    """Parses and reparses files, runs the rules, and answers with results and layouts."""

    def __init__(self, max_units: int = MAX_UNITS):
        self.units: OrderedDict[str, Unit] = OrderedDict()
        self.max_units = max_units

    def close(self, path: str) -> None:
        self.units.pop(path, None)

    def _unit(self, path: str, text: str, args: list[str]) -> tuple[Unit, bool]:
        """The file's unit reflecting ``text``, and whether a kept unit was reparsed."""
        unit = self.units.pop(path, None)
        if unit is not None and unit.args == args:
            try:
                clang.reparse(unit.tu, path, text)
                self.units[path] = unit
                return unit, True
            except clang.ParseFailure as exc:
                if exc.crashed:
                    raise
                # an unusable unit: parse afresh below
        tu, used, notes = parse_with_fallbacks(path, text, list(args), PREAMBLE_OPTIONS)
        unit = Unit(tu, list(args), used, notes)
        self.units[path] = unit
        while len(self.units) > self.max_units:
            self.units.popitem(last=False)
        return unit, False

    def analyze(self, path: str, text: str, args: list[str], options: dict) -> dict:
        started, cpu = time.perf_counter(), time.process_time()
        clang.clear_caches()  # memos keyed by this unit's cursors must not outlive a reparse
        engine_options = options_from_json(options)
        reply: dict[str, Any] = {"records": [], "parse_errors": [], "reparsed": False}
        try:
            unit, reply["reparsed"] = self._unit(path, text, args)
        except clang.ParseFailure as exc:
            self.units.pop(path, None)
            reply["result"] = FileResult(path=path, errors=[parse_failure_record(path, exc)]).to_json()
            reply["crashed"] = exc.crashed
            return reply
        parsed = time.perf_counter()
        try:
            result, view = analyze_unit_with_view(unit.tu, path, text, unit.used, engine_options)
            result.warnings = unit.notes + result.warnings
            reply["records"] = [layout_to_json(r.layout) for r in view.records]
            # every error at its own place (the result keeps the first, with the consequences)
            reply["parse_errors"] = [e.to_json() for e in clang.error_records(unit.tu, path)[0]]
        except Exception as exc:  # a fault in a rule or a walk is reported, the process goes on
            result = FileResult(path=path, errors=[internal_error_record(path, exc)])
        reply["result"] = result.to_json()
        reply["parse_ms"] = round((parsed - started) * 1000, 1)
        reply["total_ms"] = round((time.perf_counter() - started) * 1000, 1)
        reply["cpu_ms"] = round((time.process_time() - cpu) * 1000, 1)  # below total_ms when the machine is busy
        reply["units"] = len(self.units)  # kept in memory now (the server logs it: a leak shows there)
        return reply


def serve(requests, replies, analyzer: Optional[Analyzer] = None) -> None:
    analyzer = analyzer or Analyzer()
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
                                                                 params["options"])}
            elif op == "close":
                analyzer.close(params["path"])
                reply = {"id": msg_id, "result": None}
            else:
                reply = {"id": msg_id, "error": f"unknown op {op!r}"}
        except Exception as exc:
            reply = {"id": msg_id, "error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> int:
    # The server decides what a Ctrl-C in its terminal means; the worker ends with its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Replies need a clean stdout: anything else writing to fd 1 (libclang included) goes to stderr.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8"), replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
