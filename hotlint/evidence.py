"""The measured evidence behind each rule: figures from its bench pair.

``hotlint bench`` writes ``RESULTS.json``; diagnostics, ``hotlint rule NAME`` and
the language server's hover cite it. A user's own run (``$HOTLINT_BENCH_RESULTS``,
else the user data folder) wins over the figures shipped with hotlint.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Optional



def packaged_results_path() -> str:
    """``bench_fixtures/RESULTS.json`` as installed (``hotlint.bench_fixtures``)."""
    from . import bench_fixtures  # noqa: PLC0415

    return os.path.join(os.path.dirname(os.path.abspath(bench_fixtures.__file__)), "RESULTS.json")


def user_results_path() -> str:
    env = os.environ.get("HOTLINT_BENCH_RESULTS")
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "hotlint", "RESULTS.json")


@lru_cache(maxsize=None)
def _load(path: str, mtime: float) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def results() -> tuple[dict, Optional[str]]:
    """The results in force and the file they came from."""
    for path in (user_results_path(), packaged_results_path()):
        try:
            mtime = os.path.getmtime(path)
        except OSError:
            continue
        data = _load(path, mtime)
        if data.get("rules"):
            return data, path
    return {}, None


def _machine(run: dict) -> str:
    """``AMD EPYC (x86-64)``: the CPU and its architecture, so a finding for another target
    (arm64, POWER) reads as measured elsewhere."""
    cpu, arch = run.get("cpu"), run.get("machine")
    if cpu and arch and arch.lower() not in cpu.lower():
        return f"{cpu} ({arch})"
    return cpu or arch or "?"


def describe(entry: dict, run: dict) -> str:
    """``slow/fast measured 11.2x (min 10.8, max 11.9), g++ 12 -O2, AMD EPYC 9B14, 2 cores``: the
    machine of the run that measured this entry (each entry keeps its own), else ``run``'s."""
    run = entry.get("run") or run
    text = (
        f"slow/fast measured {entry['ratio']:.2f}x (min {entry['ratio_min']:.2f}, max {entry['ratio_max']:.2f})"
        f", {run.get('compiler', '?')} {run.get('flags', '')}".rstrip()
        + f", {_machine(run)}, {run.get('cores', '?')} cores"
    )
    if not run.get("cpu"):  # saved before runs recorded their machine: say so rather than imply this one
        text += "; measured on a machine the results do not record"
    if entry.get("threads", 1) > 1 and entry.get("rejected_rounds"):
        text += f"; {entry['rejected_rounds']} rounds without the threads running at once left out"
    return text


def note_for(rule: str, case: Optional[str] = None) -> Optional[str]:
    """What the rule's measurement does and does not show, when its results carry a note."""
    data, _ = results()
    rules = data.get("rules", {})
    return (rules.get(f"{rule}/{case}", {}) if case else {}).get("note") or rules.get(rule, {}).get("note")


def evidence_for(rule: str, case: Optional[str] = None) -> Optional[str]:
    """The measured figure a finding cites: its sub-case's pair (``bench_fixtures/<rule>/<case>/``)
    when it has one and it was measured, else the rule's main pair."""
    data, _ = results()
    rules = data.get("rules", {})
    if case:
        entry = rules.get(f"{rule}/{case}")
        if entry and "ratio" in entry:
            text = f"sub-case {case}: " + describe(entry, data.get("run", {}))
            if entry["ratio"] < 1.05:
                text += "; no gain measured here" + (f" ({entry['note']})" if entry.get("note") else "")
            return text
        if any(k.startswith(rule + "/") for k in rules) or rules.get(rule):
            # the main pair measures another case: citing its figure here would claim a gain
            # this case may not have (seq_cst loads are the same MOV as acquire loads on x86-64)
            return f"sub-case {case} not measured yet: `hotlint bench {rule}/{case}` measures it"
    entry = rules.get(rule)
    if not entry or "ratio" not in entry:
        return None
    return describe(entry, data.get("run", {}))
