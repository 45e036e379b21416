"""``hotlint bench --verify-fixes``: hotlint proves its own advice.

For each rule's slow benchmark program, hotlint applies its own fixes to a copy —
every safe and unsafe fix of that rule, in passes as ``--fix --unsafe-fixes`` does,
then the first display-only rewrite (struct of arrays, arena) on top — and checks
that the result compiles, prints the same checksum as the original, and runs faster
than it, timed alternately like the pairs themselves.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from .bench import (
    CONFIRMED_RATIO, EXIT_FAILED, EXIT_OK, BenchError, Pair, Program, build, compile_flags, compiler_version,
    measure, ratio_interval, verify,
)
from .fixes import apply_edits
from .model import Fix


def _lint(path: str, rule: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "hotlint", "--no-cache", "--format", "json", "--select", rule, path],
                          capture_output=True, text=True)
    return json.loads(proc.stdout)


def fixed_copy(pair: Pair, workdir: str) -> tuple[str, dict]:
    """A copy of the slow program with hotlint's fixes applied, and what was applied."""
    rule_dir = os.path.join(workdir, pair.rule)
    os.makedirs(rule_dir, exist_ok=True)
    shutil.copy(os.path.join(os.path.dirname(pair.directory), "harness.h"), os.path.join(workdir, "harness.h"))
    target = os.path.join(rule_dir, "slow.cpp")
    shutil.copy(pair.slow.source, target)
    before = _lint(target, pair.rule)
    kinds = [d["fix"]["applicability"] for d in before["diagnostics"] if d.get("fix")]
    applied = {"safe": kinds.count("safe"), "unsafe": kinds.count("unsafe"), "display-only": 0}
    subprocess.run([sys.executable, "-m", "hotlint", "--no-cache", "--fix", "--unsafe-fixes", "--select", pair.rule,
                    target], capture_output=True, text=True)
    after = _lint(target, pair.rule)
    rewrites = [d for d in after["diagnostics"] if d.get("fix") and d["fix"]["applicability"] == "display-only"]
    if rewrites:
        with open(target, encoding="utf-8") as fh:
            text = fh.read()
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(apply_edits(text, Fix.from_json(rewrites[0]["fix"]).edits))
        applied["display-only"] = 1
    remaining = _lint(target, pair.rule)["diagnostics"]
    applied["findings_before"] = len(before["diagnostics"])
    applied["findings_after"] = len(remaining)
    return target, applied


def run(pairs: list[Pair], cxx: list[str], ns, out, err) -> int:
    flags = compile_flags(ns.march_native)
    err.print(f"hotlint bench --verify-fixes: {compiler_version(cxx)} {' '.join(flags)}")
    rows, failures = [], []
    with tempfile.TemporaryDirectory(prefix="hotlint-verify-") as tmp:
        for pair in pairs:
            row: dict = {"rule": pair.rule}
            try:
                target, applied = fixed_copy(pair, os.path.join(tmp, "src"))
                row.update(applied)
                if not any(applied[k] for k in ("safe", "unsafe", "display-only")):
                    row["verdict"] = "no fix or rewrite to verify"
                    rows.append(row)
                    continue
                check = Pair(pair.rule, os.path.dirname(target),
                             [Program("slow", pair.slow.source), Program("fixed", target)])
                # the original includes "../harness.h" relative to its own folder
                build(Pair(pair.rule, pair.directory, [check.programs[0]]), cxx, flags, tmp)
                build(Pair(pair.rule, os.path.dirname(target), [check.programs[1]]), cxx, flags, tmp)
                verify(check, quick=True)
                verify(check, quick=False)
                measure(check, ns.rounds, ns.warmup)
                slow, fixed = check.programs
                spread = ratio_interval(slow.times, fixed.times)
                row.update(ratio=statistics.median(slow.times) / statistics.median(fixed.times),
                           ratio_min=spread.smallest, ratio_max=spread.largest,
                           ratio_interval=[spread.low, spread.high], checksum=slow.checksum)
                ok = row["ratio_min"] > 1.0
                row["verdict"] = ("compiles, same result, faster in every round"
                                  + (f" (> {CONFIRMED_RATIO}x)" if row["ratio_min"] > CONFIRMED_RATIO else "")
                                  if ok else "compiles, same result, but not faster in every round")
                if not ok:
                    failures.append(f"{pair.rule}: fixed program not faster in every round "
                                    f"(min {row['ratio_min']:.2f}x)")
            except (BenchError, subprocess.SubprocessError, ValueError) as exc:
                row["verdict"] = f"failed: {exc}"
                failures.append(f"{pair.rule}: {exc}")
            rows.append(row)
    if ns.format == "json":
        print(json.dumps({"rows": rows, "errors": failures}, indent=2))
    else:
        _table(out, rows)
    return EXIT_FAILED if failures else EXIT_OK


def _table(console, rows: list[dict]) -> None:
    from rich.table import Table  # noqa: PLC0415

    t = Table(title="hotlint bench --verify-fixes: hotlint's fixes applied to each slow program",
              title_justify="left")
    for col in ("rule", "fixes applied", "findings", "ratio", "min–max", "verdict"):
        t.add_column(col, justify="right" if col in ("ratio", "min–max") else "left")
    for r in rows:
        applied = ", ".join(f"{r.get(k, 0)} {k}" for k in ("safe", "unsafe", "display-only") if r.get(k))
        findings = f"{r.get('findings_before', '?')} → {r.get('findings_after', '?')}"
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
        spread = f"{r['ratio_min']:.2f}–{r['ratio_max']:.2f}x" if "ratio" in r else ""
        t.add_row(r["rule"], applied or "none", findings, ratio, spread, r["verdict"])
    console.print(t)
