"""``hotlint bench``: the measured evidence behind every rule.

Each rule has a pair of programs in ``bench_fixtures/<rule>/``: ``slow.cpp`` (the
pattern the rule flags) and ``fast.cpp`` (the fix it suggests), plus optional
``fast_<variant>.cpp`` alternatives. Both print ``checksum N`` and
``elapsed_ns N`` (the timed kernel only). hotlint compiles each pair with the
system compiler, refuses a pair whose checksums differ, then runs the programs
alternately (slow, fast, slow, fast, ...) after a warm-up and reports the ratio
of the medians with the spread of the per-round ratios.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Optional

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 2, 3
CONFIRMED_RATIO = 1.2


def fixtures_dir() -> str:
    from . import bench_fixtures  # noqa: PLC0415

    return os.path.dirname(os.path.abspath(bench_fixtures.__file__))


@dataclass
class Program:
    name: str  # slow, fast, fast_arena, ...
    source: str
    binary: Optional[str] = None
    times: list[int] = field(default_factory=list)  # ns per run
    checksum: Optional[str] = None
    cachegrind: Optional[dict] = None


@dataclass
class Pair:
    rule: str
    directory: str
    programs: list[Program]

    @property
    def slow(self) -> Program:
        return self.programs[0]

    @property
    def fast(self) -> Program:
        return self.programs[1]


class BenchError(Exception):
    pass


def discover(root: Optional[str] = None) -> dict[str, Pair]:
    root = root or fixtures_dir()
    pairs = {}
    for rule in sorted(os.listdir(root)):
        d = os.path.join(root, rule)
        slow, fast = os.path.join(d, "slow.cpp"), os.path.join(d, "fast.cpp")
        if not (os.path.isfile(slow) and os.path.isfile(fast)):
            continue
        progs = [Program("slow", slow), Program("fast", fast)]
        for f in sorted(os.listdir(d)):
            if f.startswith("fast_") and f.endswith(".cpp"):
                progs.append(Program(f[:-4], os.path.join(d, f)))
        pairs[rule] = Pair(rule, d, progs)
    return pairs


def find_compiler() -> list[str]:
    env = os.environ.get("CXX")
    if env:
        return shlex.split(env)
    for cand in ("c++", "g++", "clang++"):
        if shutil.which(cand):
            return [cand]
    raise BenchError("no C++ compiler found: set $CXX or install g++ or clang++")


def compiler_version(cxx: list[str]) -> str:
    try:
        out = subprocess.run(cxx + ["--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError as exc:
        raise BenchError(f"cannot run {cxx[0]}: {exc}") from None
    first = out.splitlines()[0] if out else cxx[0]
    m = re.search(r"(g\+\+|clang|c\+\+)[^\d]*(\d+)(?:\.\d+)*", first)
    if "clang" in first:
        v = re.search(r"clang version (\d+)", first)
        return f"clang++ {v.group(1)}" if v else first
    if m:
        v = re.search(r"\) (\d+)\.", first) or re.search(r" (\d+)\.\d+\.\d+", first)
        return f"g++ {v.group(1)}" if v else first
    return first


def compile_flags(march_native: bool) -> list[str]:
    flags = ["-O2", "-std=c++20", "-pthread"]
    if march_native:
        flags.append("-march=native")
    return flags


def build(pair: Pair, cxx: list[str], flags: list[str], outdir: str) -> None:
    for p in pair.programs:
        out = os.path.join(outdir, f"{pair.rule}-{p.name}")
        cmd = cxx + flags + ["-I", os.path.dirname(pair.directory), p.source, "-o", out]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchError(f"{pair.rule}/{os.path.basename(p.source)} does not compile:\n{proc.stderr.strip()}")
        p.binary = out


_LINE = re.compile(r"^(checksum|elapsed_ns)\s+(\S+)\s*$", re.M)


def read_measurement(stdout: str) -> dict[str, str]:
    """The benchmark contract: the last ``checksum N`` and ``elapsed_ns N`` lines a program
    printed (``elapsed_ns`` times its kernel only; ``checksum`` tells two versions apart that
    compute different results). Either may be missing."""
    return dict(_LINE.findall(stdout))


def run_program(p: Program, quick: bool, wrapper: Optional[list[str]] = None, timeout: float = 300) -> tuple[str, int, str]:
    """Run once: (checksum, elapsed ns, stderr)."""
    cmd = (wrapper or []) + [p.binary] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise BenchError(f"{p.source} exited with {proc.returncode}: {proc.stderr.strip()[-500:]}")
    found = read_measurement(proc.stdout)
    if "checksum" not in found or "elapsed_ns" not in found:
        raise BenchError(f"{p.source} did not print `checksum N` and `elapsed_ns N`")
    return found["checksum"], int(found["elapsed_ns"]), proc.stderr


def verify(pair: Pair, quick: bool) -> None:
    """Every program of a pair must print the same checksum: otherwise it is no speed-up."""
    sums = {}
    for p in pair.programs:
        checksum, _, _ = run_program(p, quick)
        sums[p.name] = checksum
    if len(set(sums.values())) != 1:
        raise BenchError(f"{pair.rule}: the programs disagree ({', '.join(f'{k} {v}' for k, v in sums.items())}); "
                         "a pair that computes different results proves nothing")
    for p in pair.programs:
        p.checksum = sums[p.name]


_CG = {"I refs": "instructions", "D refs": "data_refs", "D1 misses": "d1_misses", "LLd misses": "lld_misses",
       "LL misses": "ll_misses"}


def cachegrind(p: Program) -> dict:
    """Simulated cache behaviour of the quick mode: deterministic where hardware counters are absent."""
    wrapper = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null"]
    _, _, err = run_program(p, quick=True, wrapper=wrapper, timeout=600)
    out = {}
    for line in err.splitlines():
        m = re.match(r"==\d+==\s+([A-Za-z0-9 ]+?):\s+([\d,]+)", line)
        key = re.sub(r"\s+", " ", m.group(1).strip()) if m else None  # valgrind aligns with spaces: "I   refs"
        if key in _CG:
            out.setdefault(_CG[key], int(m.group(2).replace(",", "")))
    return out


def hardware_counters_available() -> bool:
    if not shutil.which("perf"):
        return False
    proc = subprocess.run(["perf", "stat", "-e", "cache-misses", "true"], capture_output=True, text=True)
    return proc.returncode == 0 and "not supported" not in proc.stderr


def alternate(runners: list, rounds: int, warmup: int = 0, on_round=None) -> list[list[float]]:
    """Run every one of ``runners`` (callables returning a time) once per round, after
    ``warmup`` untimed rounds, and return each one's times. The order reverses every round
    (a b, b a, a b, ...), so drift in the machine's load affects all of them alike; the ratio
    of two runners' times in one round (``ratio_interval``) is then a paired measurement."""
    for _ in range(warmup):
        for run in runners:
            run()
    times: list[list[float]] = [[] for _ in runners]
    for r in range(rounds):
        order = range(len(runners)) if r % 2 == 0 else range(len(runners) - 1, -1, -1)
        for i in order:
            times[i].append(runners[i]())
        if on_round:
            on_round()
    return times


# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (beyond: the normal's 1.96).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042)


@dataclass(frozen=True)
class Ratio:
    """How many times faster ``after`` ran than ``before``, from per-round ratios
    ``before[i] / after[i]``: their median, and a 95% confidence interval for their geometric
    mean (a t-interval on the logarithms of the per-round ratios, so 2x faster and 2x slower
    are symmetric and one round's outlier widens the interval instead of moving a mean)."""

    median: float
    low: float
    high: float
    rounds: int
    smallest: float
    largest: float


def ratio_interval(before: list[float], after: list[float]) -> Ratio:
    ratios = [b / a for b, a in zip(before, after) if a > 0 and b > 0]
    if not ratios:
        raise BenchError("no round produced a usable time")
    logs = [math.log(r) for r in ratios]
    mean = statistics.fmean(logs)
    if len(logs) > 1:
        t = _T95[len(logs) - 2] if len(logs) - 1 <= len(_T95) else 1.96
        half = t * statistics.stdev(logs) / math.sqrt(len(logs))
    else:
        half = math.inf  # one round says nothing about the noise
    return Ratio(statistics.median(ratios), math.exp(mean - half), math.exp(mean + half) if half != math.inf
                 else math.inf, len(ratios), min(ratios), max(ratios))


def measure(pair: Pair, rounds: int, warmup: int, on_round=None) -> None:
    def runner(p: Program):
        def run() -> int:
            checksum, ns, _ = run_program(p, quick=False)
            if checksum != p.checksum:
                raise BenchError(f"{pair.rule}/{p.name}: checksum changed between runs ({p.checksum} -> {checksum})")
            return ns
        return run

    times = alternate([runner(p) for p in pair.programs], rounds, warmup, on_round)
    for p, t in zip(pair.programs, times):
        p.times.extend(t)


def summarize(pair: Pair, rule_note: Optional[str]) -> dict:
    slow = pair.slow.times
    out: dict = {}
    variants = {}
    for p in pair.programs[1:]:
        spread = ratio_interval(slow, p.times)
        entry = {
            "slow_ns": int(statistics.median(slow)),
            "fast_ns": int(statistics.median(p.times)),
            "ratio": statistics.median(slow) / statistics.median(p.times),
            "ratio_min": spread.smallest,
            "ratio_max": spread.largest,
            "rounds": spread.rounds,
        }
        if p.cachegrind:
            entry["cachegrind"] = {"slow": pair.slow.cachegrind, "fast": p.cachegrind}
        if p.name == "fast":
            out.update(entry)
        else:
            variants[p.name] = entry
    if variants:
        out["variants"] = variants
    if out["ratio_min"] > CONFIRMED_RATIO:
        out["verdict"] = f"ahead in every round (> {CONFIRMED_RATIO}x)"
    elif out["ratio"] > 1.05:
        out["verdict"] = "ahead, not by 1.2x in every round"
    else:
        out["verdict"] = "no measurable difference"
    if rule_note:
        out["note"] = rule_note
    return out


def _rule_notes() -> dict[str, str]:
    from .rule import load_rules  # noqa: PLC0415

    return {n: getattr(c, "bench_note", None) for n, c in load_rules().rules.items() if getattr(c, "bench_note", None)}


def write_results(data: dict, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    old: dict = {}
    try:
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)
    except (OSError, ValueError):
        old = {}
    merged_rules = dict(old.get("rules", {})) if old.get("run", {}).get("flags") == data["run"]["flags"] else {}
    merged_rules.update(data["rules"])
    out = {"run": data["run"], "rules": dict(sorted(merged_rules.items()))}
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def results_markdown(data: dict) -> str:
    from .evidence import describe  # noqa: PLC0415

    run = data["run"]
    lines = [
        "# Measured evidence",
        "",
        f"Written by `hotlint bench` {run['date']}: {run['compiler']} {run['flags']}, {run['machine']}, "
        f"{run['cores']} cores, {run['rounds']} alternating rounds after {run['warmup']} warm-up. "
        "Regenerate on your machine with `hotlint bench --output bench_fixtures`; hotlint then cites your figures.",
        "",
        "| rule | slow (median) | fast (median) | ratio | min–max | verdict |",
        "|---|---:|---:|---:|---|---|",
    ]
    for rule, e in data["rules"].items():
        lines.append(f"| `{rule}` | {e['slow_ns'] / 1e6:.1f} ms | {e['fast_ns'] / 1e6:.1f} ms | {e['ratio']:.2f}x | "
                     f"{e['ratio_min']:.2f}–{e['ratio_max']:.2f}x | {e['verdict']} |")
        for name, v in e.get("variants", {}).items():
            lines.append(f"| `{rule}` ({name}) | {v['slow_ns'] / 1e6:.1f} ms | {v['fast_ns'] / 1e6:.1f} ms | "
                         f"{v['ratio']:.2f}x | {v['ratio_min']:.2f}–{v['ratio_max']:.2f}x | |")
    lines.append("")
    notes = [(r, e["note"]) for r, e in data["rules"].items() if e.get("note")]
    if notes:
        lines.append("## Notes")
        lines.append("")
        for rule, note in notes:
            lines.append(f"- `{rule}`: {note}")
        lines.append("")
    cg = [(r, e["cachegrind"]) for r, e in data["rules"].items() if e.get("cachegrind")]
    if cg:
        lines += ["## Simulated caches (cachegrind, quick mode)", "",
                  "| rule | program | instructions | D1 misses | LL data misses |", "|---|---|---:|---:|---:|"]
        for rule, c in cg:
            for side in ("slow", "fast"):
                s = c[side] or {}
                lines.append(f"| `{rule}` | {side} | {s.get('instructions', 0):,} | {s.get('d1_misses', 0):,} | "
                             f"{s.get('lld_misses', 0):,} |")
        lines.append("")
    lines.append("Evidence lines as diagnostics cite them:")
    lines.append("")
    for rule, e in data["rules"].items():
        lines.append(f"- `{rule}`: {describe(e, run)}")
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    from .cli import _Parser  # noqa: PLC0415

    p = _Parser(prog="hotlint bench", description="Compile and time each rule's slow/fast benchmark pair.")
    p.add_argument("rules", nargs="*", metavar="RULE", help="rules to measure (default: all)")
    p.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up runs of each program (default 1)")
    p.add_argument("--march-native", action="store_true", help="compile with -march=native")
    p.add_argument("--cachegrind", action="store_true", help="add simulated cache misses (valgrind)")
    p.add_argument("--quick", action="store_true", help="compile and check the pairs in their short mode only")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="DIR", help="also write RESULTS.json and RESULTS.md into DIR")
    p.add_argument("--no-save", action="store_true", help="do not update the results hotlint cites")
    p.add_argument("--verify-fixes", action="store_true",
                   help="apply hotlint's own fixes to each slow program: it must compile, agree and run faster")
    return p


def main(argv) -> int:
    from rich.console import Console  # noqa: PLC0415

    ns = parser().parse_args(list(argv))
    err = Console(stderr=True, highlight=False)
    out = Console(highlight=False)
    if ns.rounds < 1 or ns.warmup < 0:
        err.print("hotlint bench: --rounds must be at least 1 and --warmup not negative")
        return EXIT_USAGE
    pairs = discover()
    unknown = [r for r in ns.rules if r not in pairs]
    if unknown:
        err.print(f"hotlint bench: no benchmark pair for {', '.join(unknown)} (have: {', '.join(pairs)})")
        return EXIT_USAGE
    chosen = [pairs[r] for r in (ns.rules or pairs)]
    try:
        cxx = find_compiler()
    except BenchError as exc:
        err.print(f"hotlint bench: {exc}")
        return EXIT_FAILED
    if ns.verify_fixes:
        from .verify_fixes import run as verify_fixes  # noqa: PLC0415

        return verify_fixes(chosen, cxx, ns, out, err)
    flags = compile_flags(ns.march_native)
    version = compiler_version(cxx)
    use_cg = ns.cachegrind
    if use_cg and not shutil.which("valgrind"):
        err.print("hotlint bench: --cachegrind needs valgrind, which is not installed; continuing without it")
        use_cg = False
    if not hardware_counters_available():
        err.print("hotlint bench: hardware cache counters (perf stat) are not available on this machine; "
                  + ("cachegrind simulates them" if use_cg else "use --cachegrind for simulated cache misses"))
    err.print(f"hotlint bench: {version} {' '.join(flags)}, {platform.machine()}, {os.cpu_count()} cores")
    failures: list[str] = []
    results: dict[str, dict] = {}
    notes = _rule_notes()
    with tempfile.TemporaryDirectory(prefix="hotlint-bench-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            built = {pool.submit(build, pair, cxx, flags, tmp): pair for pair in chosen}
            for fut in concurrent.futures.as_completed(built):
                try:
                    fut.result()
                except BenchError as exc:
                    failures.append(str(exc))
        ready = [p for p in chosen if all(prog.binary for prog in p.programs)]
        progress = _progress(err, sum(ns.rounds for _ in ready)) if not ns.quick and ready else None
        try:
            for pair in ready:
                try:
                    verify(pair, quick=True)
                    if ns.quick:
                        results[pair.rule] = {"checksum": pair.slow.checksum, "verdict": "checksums agree (quick mode)"}
                        continue
                    verify(pair, quick=False)
                    if progress:
                        progress[0].update(progress[1], description=pair.rule)
                    measure(pair, ns.rounds, ns.warmup,
                            on_round=(lambda: progress[0].update(progress[1], advance=1)) if progress else None)
                    if use_cg:
                        for prog in pair.programs:
                            prog.cachegrind = cachegrind(prog)
                    results[pair.rule] = summarize(pair, notes.get(pair.rule))
                except (BenchError, subprocess.TimeoutExpired) as exc:
                    failures.append(str(exc))
        finally:
            if progress:
                progress[0].stop()
    data = {
        "run": {
            "tool": f"hotlint {__version__}", "compiler": version, "flags": " ".join(flags),
            "machine": platform.machine().replace("_", "-"), "cores": os.cpu_count(),
            "date": datetime.date.today().isoformat(), "rounds": ns.rounds, "warmup": ns.warmup,
        },
        "rules": results,
    }
    if ns.format == "json":
        print(json.dumps({**data, "errors": failures}, indent=2))
    else:
        _table(out, data, ns.quick)
        for f in failures:
            err.print(f"hotlint bench: error: {f}")
    if results and not ns.quick:
        if not ns.no_save:
            from .evidence import user_results_path  # noqa: PLC0415

            write_results(data, user_results_path())
            err.print(f"hotlint bench: results saved to {user_results_path()}; diagnostics now cite them")
        if ns.output:
            write_results(data, os.path.join(ns.output, "RESULTS.json"))
            with open(os.path.join(ns.output, "RESULTS.json"), encoding="utf-8") as fh:
                merged = json.load(fh)
            with open(os.path.join(ns.output, "RESULTS.md"), "w", encoding="utf-8") as fh:
                fh.write(results_markdown(merged))
            err.print(f"hotlint bench: wrote {os.path.join(ns.output, 'RESULTS.json')} and RESULTS.md")
    return EXIT_FAILED if failures else EXIT_OK


def _progress(console, total: int):
    if not console.is_terminal:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    prog = Progress(TextColumn("[bold]bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.description}"), console=console, transient=True)
    prog.start()
    return prog, prog.add_task("", total=total)


def _table(console, data: dict, quick: bool) -> None:
    from rich.table import Table  # noqa: PLC0415

    run = data["run"]
    if quick:
        for rule, e in data["rules"].items():
            console.print(f"{rule}: {e['verdict']} (checksum {e['checksum']})")
        return
    t = Table(title=f"hotlint bench: {run['compiler']} {run['flags']}, {run['machine']}, {run['cores']} cores, "
                    f"{run['rounds']} rounds", title_justify="left")
    for col, just in (("rule", "left"), ("program", "left"), ("slow", "right"), ("fast", "right"),
                      ("ratio", "right"), ("min–max", "right"), ("verdict", "left")):
        t.add_column(col, justify=just)
    any_cg = False
    for rule, e in data["rules"].items():
        t.add_row(rule, "fast", f"{e['slow_ns'] / 1e6:.1f} ms", f"{e['fast_ns'] / 1e6:.1f} ms",
                  f"{e['ratio']:.2f}x", f"{e['ratio_min']:.2f}–{e['ratio_max']:.2f}x", e["verdict"])
        for name, v in e.get("variants", {}).items():
            t.add_row("", name, f"{v['slow_ns'] / 1e6:.1f} ms", f"{v['fast_ns'] / 1e6:.1f} ms",
                      f"{v['ratio']:.2f}x", f"{v['ratio_min']:.2f}–{v['ratio_max']:.2f}x", "")
        any_cg = any_cg or bool(e.get("cachegrind"))
    console.print(t)
    if any_cg:
        c = Table(title="cachegrind (quick mode, simulated)", title_justify="left")
        for col in ("rule", "program", "instructions", "D1 misses", "LL data misses"):
            c.add_column(col, justify="left" if col in ("rule", "program") else "right")
        for rule, e in data["rules"].items():
            for side in ("slow", "fast"):
                s = (e.get("cachegrind") or {}).get(side) or {}
                c.add_row(rule if side == "slow" else "", side, f"{s.get('instructions', 0):,}",
                          f"{s.get('d1_misses', 0):,}", f"{s.get('lld_misses', 0):,}")
        console.print(c)
    for rule, e in data["rules"].items():
        if e.get("note"):
            console.print(f"note: {rule}: {e['note']}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
