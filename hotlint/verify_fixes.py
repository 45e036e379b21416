"""``hotlint bench --verify-fixes``: hotlint proves its own advice.

For each rule's slow benchmark program, hotlint applies its own fixes to a copy —
every safe and unsafe fix of that rule, in passes as ``--fix --unsafe-fixes`` does,
then the first display-only rewrite (struct of arrays, arena) on top — and checks
that the result compiles, prints the same checksum as the original, and runs faster
than it, timed alternately like the pairs themselves.

It then does the same to hotlint's own fixtures and examples (``fixtures/`` and ``examples/``
beside the package, in a source checkout): each file is copied, linted with every rule, fixed
with ``--fix --unsafe-fixes``, and linted again. A file fails when ``--fix`` reports an error,
leaves an applicable fix unapplied, changes nothing although fixes were offered, produces a file
that does not compile, or sets off a finding that was not there before (a false-sharing fix
must not make aos-layout report the padded record). The edits really made (changed regions of
the text) are counted beside the fixes offered.
"""

from __future__ import annotations

import difflib
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

SOURCE_SUFFIXES = (".c", ".cpp", ".cc", ".cxx", ".h", ".hpp")


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


def source_folders() -> list[str]:
    """``fixtures/`` and ``examples/`` of the source checkout hotlint runs from (none when
    hotlint is installed without them)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [d for d in (os.path.join(root, "fixtures"), os.path.join(root, "examples")) if os.path.isdir(d)]


def _sources(folders: list[str], rules: list[str]) -> list[str]:
    """Each source file of ``folders`` (a fixture folder per rule: only the chosen rules')."""
    found = []
    for folder in folders:
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = os.path.relpath(base, folder)
            if rules and os.path.basename(folder) == "fixtures" and rel.split(os.sep)[0] not in rules:
                continue
            found += [os.path.join(base, f) for f in sorted(files) if f.endswith(SOURCE_SUFFIXES)]
    return found


def _lint_tree(root: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "hotlint", "--no-cache", "--format", "json", "--min-severity", "info",
                           "."], cwd=root, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise BenchError(f"hotlint did not lint {root}: {proc.stderr.strip()[-500:]}") from None


def _by_file(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for d in data["diagnostics"]:
        out.setdefault(os.path.normpath(d["path"]), []).append(d)
    return out


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def changed_regions(before: str, after: str) -> int:
    """How many separate regions of ``before`` ``after`` changes (the edits really made)."""
    ops = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False).get_opcodes()
    return sum(1 for tag, *_ in ops if tag != "equal")


def _compiles(path: str) -> str:
    """The compiler's complaint about ``path`` alone (a header compiled as a source), or ''."""
    c = path.endswith(".c")
    cmd = ["gcc", "-std=c17"] if c else ["g++", "-std=c++20", "-x", "c++"]
    if not shutil.which(cmd[0]):
        return ""
    proc = subprocess.run([*cmd, "-fsyntax-only", "-pthread", path], capture_output=True, text=True)
    return "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["does not compile"])[0]


def introduced(before: list[dict], after: list[dict]) -> list[dict]:
    """The findings of ``after`` that fixing set off: of a rule that now has more findings than
    before, those whose message no finding before had (lines move when fixes add text, so a
    finding is known by its rule and message)."""
    was: dict[str, int] = {}
    for d in before:
        was[d["rule"]] = was.get(d["rule"], 0) + 1
    now: dict[str, int] = {}
    for d in after:
        now[d["rule"]] = now.get(d["rule"], 0) + 1
    seen = {(d["rule"], d["message"]) for d in before}
    return [d for d in after if now[d["rule"]] > was.get(d["rule"], 0) and (d["rule"], d["message"]) not in seen]


def verify_sources(files: list[str], workdir: str, label_root: str | None = None) -> list[dict]:
    """Fix a copy of each file with ``--fix --unsafe-fixes`` (every rule, info findings too),
    lint the result with every rule, and return one row per file: fixes offered, findings
    fixed, regions changed, findings set off by the fixes, and what went wrong."""
    if not files:
        return []
    common = os.path.commonpath([os.path.dirname(f) for f in files])
    copies = {}
    for f in files:
        rel = os.path.relpath(f, common)
        target = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(f, target)
        copies[os.path.normpath(rel)] = f
    before = _by_file(_lint_tree(workdir))
    originals = {rel: _read(os.path.join(workdir, rel)) for rel in copies}
    proc = subprocess.run([sys.executable, "-m", "hotlint", "--no-cache", "--min-severity", "info", "--fix",
                           "--unsafe-fixes", "."], cwd=workdir, capture_output=True, text=True)
    crashed = "Traceback" in proc.stderr
    after_data = _lint_tree(workdir)
    after = _by_file(after_data)
    rows = []
    for rel in sorted(copies):
        path = os.path.join(workdir, rel)
        old, new = before.get(rel, []), after.get(rel, [])
        fixable = [d for d in old if d.get("fix") and d["fix"]["applicability"] in ("safe", "unsafe")]
        left = [d for d in new if d.get("fix") and d["fix"]["applicability"] in ("safe", "unsafe")]
        text = _read(path)
        row = {"file": os.path.relpath(copies[rel], label_root or common).replace(os.sep, "/"),
               "offered": len(fixable),
               "rewrites": sum(1 for d in old if d.get("fix") and d["fix"]["applicability"] == "display-only"),
               "fixed": len(fixable) - len(left), "regions": changed_regions(originals[rel], text),
               "findings_before": len(old), "findings_after": len(new), "problems": []}
        problems = row["problems"]
        if crashed:
            problems.append("hotlint --fix crashed: " + proc.stderr.strip().splitlines()[-1])
        if any(os.path.normpath(e.get("path", "")) == rel for e in after_data.get("errors", [])):
            problems.append("the fixed file has errors")
        if left:
            problems.append(f"{len(left)} applicable fixes left unapplied (lines "
                            f"{', '.join(str(d['line']) for d in left)})")
        if fixable and text == originals[rel]:
            problems.append(f"{len(fixable)} fixes offered, nothing changed")
        if fixable:
            complaint = _compiles(path)
            if complaint:
                problems.append(f"the fixed file does not compile: {complaint}")
        row["introduced"] = [f"{d['line']}: [{d['rule']}] {d['message'][:100]}" for d in introduced(old, new)]
        if row["introduced"]:
            problems.append("the fixes set off new findings: " + "; ".join(row["introduced"]))
        rows.append(row)
    return rows


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
    folders = source_folders()
    chosen = sorted({p.rule for p in pairs}) if ns.rules else []
    files = _sources(folders, chosen)
    with tempfile.TemporaryDirectory(prefix="hotlint-verify-sources-") as tmp:
        try:
            sources = verify_sources(files, tmp, os.path.dirname(folders[0]) if folders else None)
        except (BenchError, subprocess.SubprocessError, ValueError) as exc:
            sources = []
            failures.append(f"fixtures and examples: {exc}")
    failures += [f"{r['file']}: {p}" for r in sources for p in r["problems"]]
    if ns.format == "json":
        print(json.dumps({"rows": rows, "sources": sources, "errors": failures}, indent=2))
    else:
        _table(out, rows)
        if sources:
            _sources_table(out, sources)
        elif not folders:
            err.print("hotlint bench --verify-fixes: no fixtures/ or examples/ beside this hotlint "
                      "(an installed copy): only the benchmark programs were checked")
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


def _sources_table(console, rows: list[dict]) -> None:
    """One line per file that offered a fix or had a problem (a table is too wide for the paths)."""
    console.print("hotlint bench --verify-fixes: --fix --unsafe-fixes on the fixtures and examples, "
                  "linted again with every rule", highlight=False)
    for r in rows:
        if not r["offered"] and not r["problems"]:
            continue  # nothing to fix: counted in the summary below
        console.print(f"  {r['file']}: {r['offered']} fixes offered, {r['fixed']} applied in {r['regions']} "
                      f"changed regions, {r['rewrites']} rewrites; findings {r['findings_before']} → "
                      f"{r['findings_after']}: {'; '.join(r['problems']) or 'ok'}", highlight=False, soft_wrap=True)
    quiet = sum(1 for r in rows if not r["offered"] and not r["problems"])
    console.print(f"{len(rows)} files: {sum(r['offered'] for r in rows)} fixes offered, "
                  f"{sum(r['fixed'] for r in rows)} applied in {sum(r['regions'] for r in rows)} changed regions; "
                  f"{quiet} files with nothing to fix; {sum(1 for r in rows if r['problems'])} with problems",
                  highlight=False)
