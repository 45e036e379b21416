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
import importlib.util
import json
import math
import os
import platform
import re
import resource
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
    cpu: list[int] = field(default_factory=list)  # the kernel's CPU ns per run (all threads), when printed
    switches: list[int] = field(default_factory=list)  # context switches per run (the whole process)
    latencies: list[dict] = field(default_factory=list)  # per run: ``latency_<name>_ns N`` lines it printed
    checksum: Optional[str] = None
    counts: Optional[dict] = None  # callgrind's, when asked


@dataclass
class Pair:
    rule: str
    directory: str
    programs: list[Program]
    threads: int = 1  # threads the kernel needs running at once (``// bench-threads: N`` in slow.cpp)
    case: Optional[str] = None  # a sub-case's name: the pair in ``bench_fixtures/<rule>/<case>/``
    flags: list[str] = field(default_factory=list)  # added to the compile flags (``// bench-flags: ...``)
    note: Optional[str] = None  # what this pair's figure does and does not show (``// bench-note: ...``)
    compiler: Optional[str] = None  # a compiler this pair needs (``// bench-compiler: clang``); None: the default

    @property
    def key(self) -> str:
        """How results name the pair: ``rule``, or ``rule/case`` for a sub-case."""
        return f"{self.rule}/{self.case}" if self.case else self.rule

    @property
    def slow(self) -> Program:
        return self.programs[0]

    @property
    def fast(self) -> Program:
        return self.programs[1]


class BenchError(Exception):
    pass


class NoCompiler(BenchError):
    """The compiler a pair asks for is not installed: the pair is not measured (never built with another)."""


def discover(root: Optional[str] = None) -> dict[str, Pair]:
    """Every pair by its key: ``bench_fixtures/<rule>/`` is the rule's main pair, and each
    ``bench_fixtures/<rule>/<case>/`` with its own slow.cpp and fast.cpp a sub-case of the rule
    (``rule/case``: seq_cst loads against stores, a working set that fits in cache, ...)."""
    root = root or fixtures_dir()
    pairs = {}
    for rule in sorted(os.listdir(root)):
        d = os.path.join(root, rule)
        pair = _pair_in(rule, None, d)
        if pair is None:
            continue
        pairs[rule] = pair
        for case in sorted(os.listdir(d)):
            sub = _pair_in(rule, case, os.path.join(d, case))
            if sub is not None:
                pairs[sub.key] = sub
    return pairs


def _pair_in(rule: str, case: Optional[str], d: str) -> Optional[Pair]:
    slow, fast = os.path.join(d, "slow.cpp"), os.path.join(d, "fast.cpp")
    if not (os.path.isfile(slow) and os.path.isfile(fast)):
        return None
    progs = [Program("slow", slow), Program("fast", fast)]
    for f in sorted(os.listdir(d)):
        if f.startswith("fast_") and f.endswith(".cpp"):
            progs.append(Program(f[:-4], os.path.join(d, f)))
    head = _head(slow)
    threads = _THREADS.search(head)
    flags = _FLAGS.search(head)
    note = _NOTE.search(head)
    compiler = _COMPILER.search(head)
    return Pair(rule, d, progs, max(1, int(threads.group(1))) if threads else 1, case,
                shlex.split(flags.group(1)) if flags else [], note.group(1) if note else None,
                compiler.group(1) if compiler else None)


def rule_keys(pairs: dict[str, Pair], rule: str) -> list[str]:
    """A rule's pairs: its main one, then its sub-cases."""
    return [k for k, p in pairs.items() if p.rule == rule]


_THREADS = re.compile(r"^//\s*bench-threads:\s*(\d+)\s*$", re.M)
_FLAGS = re.compile(r"^//\s*bench-flags:\s*(.+?)\s*$", re.M)
_NOTE = re.compile(r"^//\s*bench-note:\s*(.+?)\s*$", re.M)
_COMPILER = re.compile(r"^//\s*bench-compiler:\s*(\S+)\s*$", re.M)


def _head(source: str) -> str:
    """The opening comment of a pair's slow program, where it declares what it needs:
    ``// bench-threads: N`` (its kernel measures something only while N threads run at the same
    time: rounds where they took turns are rejected) and ``// bench-flags: -O3`` (compile flags
    added for this pair, e.g. a sub-case at another optimization level; the last -O wins) and
    ``// bench-note: ...`` (what its figure does and does not show, cited with it) and
    ``// bench-compiler: clang`` (built with clang whatever the default compiler is: the pair
    measures what that compiler makes of the pattern; see ``pair_compiler``)."""
    try:
        with open(source, encoding="utf-8") as fh:
            return fh.read(4096)
    except OSError:
        return ""


def find_compiler() -> list[str]:
    env = os.environ.get("CXX")
    if env:
        return shlex.split(env)
    for cand in ("c++", "g++", "clang++"):
        if shutil.which(cand):
            return [cand]
    raise BenchError("no C++ compiler found: set $CXX or install g++ or clang++")


NO_CLANG = "not measured: no clang found (install the ziglang wheel or set HOTLINT_BENCH_CLANG)"


def find_clang() -> Optional[list[str]]:
    """A clang++ command: ``$HOTLINT_BENCH_CLANG``, else ``clang++`` on PATH, else the clang inside
    the ``ziglang`` wheel (``python -m ziglang c++ -mcpu=baseline``), else None."""
    env = os.environ.get("HOTLINT_BENCH_CLANG")
    if env:
        return shlex.split(env)
    if shutil.which("clang++"):
        return ["clang++"]
    if importlib.util.find_spec("ziglang") is not None:
        # zig builds for the host's CPU by default (AVX-512 where there is one, which valgrind
        # cannot run); g++ and clang++ build for the architecture's baseline: so must this one
        return [sys.executable, "-m", "ziglang", "c++", "-mcpu=baseline"]
    return None


def pair_compiler(pair: Pair, default: list[str]) -> list[str]:
    """The compiler a pair is built with: ``default`` unless its slow program names one. A pair
    that asks for clang is never built with anything else: without clang it is not measured."""
    if pair.compiler is None:
        return default
    if pair.compiler == "clang":
        clang = find_clang()
        if clang is None:
            raise NoCompiler(f"{pair.key}: {NO_CLANG}")
        return clang
    raise BenchError(f"{pair.key}: unknown bench-compiler {pair.compiler!r} (known: clang)")


def compiler_version(cxx: list[str], first: Optional[str] = None) -> str:
    """``g++ 12`` or ``clang++ 22`` from the compiler's ``--version`` line (``first``, when the
    caller has it already: the compiler is asked once)."""
    if first is None:
        try:
            out = subprocess.run(cxx + ["--version"], check=False, capture_output=True, text=True, timeout=30).stdout
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


def compiler_record(cxx: list[str]) -> dict:
    """How a run record names a compiler: its short name, its ``--version`` line and the command
    (only the program's base name: ``python3 -m ziglang c++`` says the clang came from the wheel)."""
    line = _version_line(cxx)
    return {"compiler": compiler_version(cxx, line or cxx[0]), "compiler_version": line,
            "compiler_command": " ".join([os.path.basename(cxx[0])] + cxx[1:])}


def _version_line(cxx: list[str]) -> str:
    try:
        out = subprocess.run(cxx + ["--version"], check=False, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.splitlines()[0].strip() if out else ""


def compile_flags(march_native: bool) -> list[str]:
    flags = ["-O2", "-std=c++20", "-pthread"]
    if march_native:
        flags.append("-march=native")
    return flags


def build(pair: Pair, cxx: list[str], flags: list[str], outdir: str) -> None:
    for p in pair.programs:
        out = os.path.join(outdir, f"{pair.key.replace('/', '-')}-{p.name}")
        cmd = cxx + flags + pair.flags + ["-I", os.path.dirname(pair.directory), p.source, "-o", out]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchError(f"{pair.key}/{os.path.basename(p.source)} does not compile:\n{proc.stderr.strip()}")
        p.binary = out


_LINE = re.compile(r"^(checksum|elapsed_ns|cpu_ns)\s+(\S+)\s*$", re.M)
_LATENCY = re.compile(r"^latency_(\w+?)_ns\s+(\d+)\s*$", re.M)


def read_measurement(stdout: str) -> dict[str, str]:
    """The benchmark contract: the last ``checksum N`` and ``elapsed_ns N`` lines a program
    printed (``elapsed_ns`` times its kernel only; ``checksum`` tells two versions apart that
    compute different results), and ``cpu_ns N``, the kernel's CPU time, when the harness prints
    it. Any may be missing."""
    return dict(_LINE.findall(stdout))


def run_program(p: Program, quick: bool, wrapper: Optional[list[str]] = None, timeout: float = 300) -> tuple[str, int, str]:
    """Run once: (checksum, elapsed ns, stderr)."""
    checksum, ns, err, _ = _run(p, quick, wrapper, timeout)
    return checksum, ns, err


def _run(p: Program, quick: bool, wrapper: Optional[list[str]] = None,
         timeout: float = 300) -> tuple[str, int, str, dict]:
    """Run once: (checksum, elapsed ns, stderr, {"cpu_ns", "switches"}); the context switches
    come from the process's resource usage (the runs are sequential, so the difference of the
    children's usage around one run is that run's)."""
    cmd = (wrapper or []) + [p.binary] + (["--quick"] if quick else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise BenchError(f"{p.source} exited with {proc.returncode}: {proc.stderr.strip()[-500:]}")
    found = read_measurement(proc.stdout)
    if "checksum" not in found or "elapsed_ns" not in found:
        raise BenchError(f"{p.source} did not print `checksum N` and `elapsed_ns N`")
    extra = {"switches": (after.ru_nvcsw - before.ru_nvcsw) + (after.ru_nivcsw - before.ru_nivcsw)}
    if "cpu_ns" in found:
        extra["cpu_ns"] = int(found["cpu_ns"])
    # per-operation latency percentiles a program measures itself (`latency_new_p99_ns 2093`)
    extra["latency"] = {m.group(1): int(m.group(2)) for m in _LATENCY.finditer(proc.stdout)}
    return found["checksum"], int(found["elapsed_ns"]), proc.stderr, extra


def verify(pair: Pair, quick: bool) -> None:
    """Every program of a pair must print the same checksum: otherwise it is no speed-up."""
    sums = {}
    for p in pair.programs:
        checksum, _, _ = run_program(p, quick)
        sums[p.name] = checksum
    if len(set(sums.values())) != 1:
        raise BenchError(f"{pair.key}: the programs disagree ({', '.join(f'{k} {v}' for k, v in sums.items())}); "
                         "a pair that computes different results proves nothing")
    for p in pair.programs:
        p.checksum = sums[p.name]


# The simulated machine every count is taken on, whatever the host's caches: 32 KiB 8-way L1
# instruction and data caches and an 8 MiB 16-way last level, 64-byte lines (valgrind would
# otherwise copy the host's geometry, and on an odd host round it to something else).
GEOMETRY = {"I1": (32768, 8, 64), "D1": (32768, 8, 64), "LL": (8388608, 16, 64)}


def geometry_text() -> str:
    return ", ".join(f"{name} {size // 1024} KiB {ways}-way {line} B lines" for name, (size, ways, line)
                     in GEOMETRY.items())


def kernel_markers(cxx: list[str]) -> bool:
    """Whether programs built with ``cxx`` get the harness's valgrind markers (valgrind's
    ``callgrind.h`` is on its include path): their counts then cover the kernel alone."""
    try:
        proc = subprocess.run(cxx + ["-x", "c++", "-E", "-", "-o", os.devnull], check=False,
                              input="#include <valgrind/callgrind.h>\n", capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def callgrind(p: Program, kernel_only: bool = True) -> dict:
    """Simulated instruction, cache and branch counts of the quick mode under callgrind, with the
    fixed ``GEOMETRY``. With ``kernel_only`` instrumentation starts off and the harness switches
    it on around the kernel; otherwise the whole program is counted."""
    with tempfile.TemporaryDirectory(prefix="hotlint-callgrind-") as tmp:
        out = os.path.join(tmp, "callgrind.out")
        wrapper = ["valgrind", "--tool=callgrind", "--cache-sim=yes", "--branch-sim=yes",
                   f"--callgrind-out-file={out}", "--dump-instr=no", "--compress-strings=no"]
        wrapper += [f"--{name}={size},{ways},{line}" for name, (size, ways, line) in GEOMETRY.items()]
        if kernel_only:
            wrapper.append("--instr-atstart=no")
        run_program(p, quick=True, wrapper=wrapper, timeout=600)
        events, totals = [], []
        with open(out, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("events:"):
                    events = line.split()[1:]
                elif line.startswith(("totals:", "summary:")) and len(line.split()) > 2:
                    totals = [int(x) for x in line.split()[1:]]
    c = dict(zip(events, totals))
    if not c.get("Ir"):
        raise BenchError(f"{p.source}: callgrind counted nothing (the kernel markers never switched it on)")
    g = c.get
    counts = {
        "instructions": g("Ir", 0),
        "data_refs": g("Dr", 0) + g("Dw", 0),
        "d1_misses": g("D1mr", 0) + g("D1mw", 0),
        "lld_misses": g("DLmr", 0) + g("DLmw", 0),
        "ll_misses": g("ILmr", 0) + g("DLmr", 0) + g("DLmw", 0),
        "branches": g("Bc", 0) + g("Bi", 0),
        "mispredicts": g("Bcm", 0) + g("Bim", 0),
        "kernel_only": kernel_only,
    }
    # the classic estimate from valgrind's documentation: an L1 miss served by the last level
    # costs about 10 instructions' time, a last-level miss about 100; a mispredict about 15
    counts["estimated_cycles"] = (counts["instructions"] + 10 * (g("I1mr", 0) + counts["d1_misses"])
                                  + 100 * counts["ll_misses"] + 15 * counts["mispredicts"])
    return counts


cachegrind = callgrind  # the earlier name of the option and of this function


def counts_verdict(slow: dict, fast: dict, ratio: float, low: Optional[float] = None) -> dict:
    """Do the counts tell the same story as the clock? ``ratio`` is slow/fast in time and ``low``
    the lower end of its 95% interval: the clock says "faster" only when the interval is above
    1.02 (a median of 1.07 within the noise is no gain)."""
    est = slow["estimated_cycles"] / max(1, fast["estimated_cycles"])
    timed_faster = (low if low is not None else ratio) > 1.02
    counted_faster = est > 1.05
    out = {"estimated_ratio": est, "agree": timed_faster == counted_faster}
    if out["agree"]:
        out["text"] = (f"counts agree: {est:.2f}x fewer estimated cycles" if counted_faster
                       else f"counts agree: no difference ({est:.2f}x)")
    elif timed_faster:
        out["text"] = (f"counts disagree: the clock says {ratio:.2f}x, the simulated counts {est:.2f}x: what the "
                       "fix saves is not in the simulation (locked instructions, fences, coherence traffic)")
    else:
        out["text"] = (f"counts disagree: {est:.2f}x fewer estimated cycles, but the clock shows no gain beyond "
                       f"the noise ({ratio:.2f}x)")
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
            checksum, ns, _, extra = _run(p, quick=False)
            if checksum != p.checksum:
                raise BenchError(f"{pair.key}/{p.name}: checksum changed between runs ({p.checksum} -> {checksum})")
            if "cpu_ns" in extra:
                p.cpu.append(extra["cpu_ns"])
            p.switches.append(extra["switches"])
            p.latencies.append(extra.get("latency") or {})
            return ns
        return run

    times = alternate([runner(p) for p in pair.programs], rounds, warmup, on_round)
    for p, t in zip(pair.programs, times):
        p.times.extend(t)
        # the warm-up runs came first: keep the timed rounds' figures only
        p.cpu[:] = p.cpu[-len(t):] if len(p.cpu) >= len(t) else []
        p.switches[:] = p.switches[-len(t):]
        p.latencies[:] = p.latencies[-len(t):]


# A round of a multi-threaded pair counts only when its threads ran at once: the kernel's CPU
# time over its wall-clock time reaches this share of the thread count in every program.
CONCURRENCY_SHARE = 0.8


def concurrent_rounds(pair: Pair) -> list[bool]:
    """Per round, whether every program's kernel ran with its threads at the same time (always
    true for a single-threaded pair, or a program that does not print its CPU time)."""
    n = len(pair.slow.times)
    if pair.threads <= 1:
        return [True] * n
    ok = [True] * n
    for p in pair.programs:
        if len(p.cpu) != len(p.times):
            continue
        for i, (cpu, ns) in enumerate(zip(p.cpu, p.times)):
            if ns <= 0 or cpu / ns < CONCURRENCY_SHARE * pair.threads:
                ok[i] = False
    return ok


def _concurrency(p: Program) -> Optional[float]:
    if len(p.cpu) != len(p.times) or not p.times:
        return None
    return statistics.median(c / t for c, t in zip(p.cpu, p.times) if t > 0)


def summarize(pair: Pair, rule_note: Optional[str], run: Optional[dict] = None) -> dict:
    keep = concurrent_rounds(pair)
    rejected = keep.count(False)
    if sum(keep) < min(3, len(keep)):
        conc = _concurrency(pair.slow)
        return {"verdict": (f"not measured: the {pair.threads} threads ran at once in {sum(keep)} of {len(keep)} "
                            f"rounds (kernel CPU/wall median {conc:.2f}, needed {CONCURRENCY_SHARE * pair.threads:.1f}); "
                            "a loaded machine or too few free cores makes them take turns"),
                "rounds": len(keep), "rejected_rounds": rejected, "measured": False}
    slow = [t for t, k in zip(pair.slow.times, keep) if k]
    out: dict = {}
    variants = {}
    for p in pair.programs[1:]:
        times = [t for t, k in zip(p.times, keep) if k]
        spread = ratio_interval(slow, times)
        entry = {
            "slow_ns": int(statistics.median(slow)),
            "fast_ns": int(statistics.median(times)),
            "ratio": statistics.median(slow) / statistics.median(times),
            "ratio_min": spread.smallest,
            "ratio_max": spread.largest,
            "interval": [spread.low, spread.high],
            "rounds": spread.rounds,
        }
        if p.counts and pair.slow.counts:
            entry["callgrind"] = {"slow": pair.slow.counts, "fast": p.counts,
                                  **counts_verdict(pair.slow.counts, p.counts, entry["ratio"], spread.low)}
        if p.name == "fast":
            out.update(entry)
        else:
            variants[p.name] = entry
    if variants:
        out["variants"] = variants
    out["programs"] = {p.name: {k: v for k, v in (("cpu_ns", int(statistics.median(p.cpu)) if p.cpu else None),
                                                  ("kernel_cpu_per_wall", _concurrency(p)),
                                                  ("context_switches", int(statistics.median(p.switches))
                                                   if p.switches else None),
                                                  ("latency_ns", _latencies(p, keep))) if v is not None}
                       for p in pair.programs}
    if pair.threads > 1:
        out["threads"] = pair.threads
        out["rejected_rounds"] = rejected
    if out["ratio_min"] > CONFIRMED_RATIO:
        out["verdict"] = f"ahead in every round (> {CONFIRMED_RATIO}x)"
    elif out["ratio"] > 1.05:
        out["verdict"] = "ahead, not by 1.2x in every round"
    else:
        out["verdict"] = "no measurable difference"
    if rule_note:
        out["note"] = rule_note
    if run is not None:
        out["run"] = run
    return out


def _latencies(p: Program, keep: list[bool]) -> Optional[dict]:
    """The median over the kept rounds of each latency percentile the program printed, or None."""
    runs = [lat for lat, k in zip(p.latencies, keep) if k and lat]
    keys = sorted({key for lat in runs for key in lat})
    return {key: int(statistics.median(lat[key] for lat in runs if key in lat)) for key in keys} or None


def noise(entry: dict) -> float:
    """How wide an entry's 95% interval on the ratio is (high/low; 1.0 is no noise at all)."""
    low, high = (entry.get("interval") or [entry.get("ratio_min", 0), entry.get("ratio_max", 0)])[:2]
    return high / low if low and high and high != math.inf else math.inf


def _rule_notes() -> dict[str, str]:
    from .rule import load_rules  # noqa: PLC0415

    return {n: getattr(c, "bench_note", None) for n, c in load_rules().rules.items() if getattr(c, "bench_note", None)}


def write_results(data: dict, path: str, replace_noisier: bool = False) -> list[str]:
    """Merge ``data`` into the results at ``path``: only the rules this run measured change, each
    with the record of the run that measured it; a rule whose new interval is wider (noisier)
    than the saved one keeps the saved one unless ``replace_noisier``. Returns what was kept."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    old: dict = {}
    try:
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)
    except (OSError, ValueError):
        old = {}
    merged = {}
    for rule, entry in (old.get("rules") or {}).items():
        if isinstance(entry, dict):
            merged[rule] = entry if "run" in entry or not old.get("run") else {**entry, "run": old["run"]}
    kept = []
    for rule, entry in data["rules"].items():
        if entry.get("measured") is False:
            kept.append(f"{rule}: {entry['verdict']}; the saved figures stay")
            continue
        prev = merged.get(rule)
        if prev is not None and not replace_noisier and "ratio" in prev and noise(entry) > noise(prev):
            kept.append(f"{rule}: this run was noisier (interval {noise(entry):.2f}x wide against "
                        f"{noise(prev):.2f}x); the saved figures stay (--replace-noisier to replace them)")
            continue
        merged[rule] = {**entry, "run": entry.get("run", data["run"])}
    out = {"run": data["run"], "rules": dict(sorted(merged.items()))}
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return kept


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read().strip()


def machine_record() -> dict:
    """Where a measurement was taken: what its figures depend on."""
    rec: dict = {"machine": platform.machine().replace("_", "-"), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            info = fh.read()
        m = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
        if m:
            rec["cpu"] = m.group(1).strip()
        flags = re.search(r"^flags\s*:\s*(.+)$", info, re.M)
        rec["hypervisor"] = bool(flags and " hypervisor" in f" {flags.group(1)}")
    except OSError:
        pass
    if rec.get("hypervisor"):
        virt = shutil.which("systemd-detect-virt")
        if virt:
            try:
                name = subprocess.run([virt], check=False, capture_output=True, text=True, timeout=10).stdout.strip()
                if name and name != "none":
                    rec["hypervisor"] = name
            except (OSError, subprocess.TimeoutExpired):
                pass
    caches = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for idx in sorted(os.listdir(base)):
            d = os.path.join(base, idx)
            try:
                level, kind, size = (_read(os.path.join(d, name)) for name in ("level", "type", "size"))
            except OSError:
                continue
            caches[f"L{level}" + {"Data": "d", "Instruction": "i"}.get(kind, "")] = size
    except OSError:
        pass
    if caches:
        rec["caches"] = caches
    return rec


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
        if "ratio" not in e:
            lines.append(f"| `{rule}` | | | | | {e.get('verdict', '')} |")
            continue
        lines.append(f"| `{rule}` | {e['slow_ns'] / 1e6:.1f} ms | {e['fast_ns'] / 1e6:.1f} ms | {e['ratio']:.2f}x | "
                     f"{e['ratio_min']:.2f}–{e['ratio_max']:.2f}x | {e['verdict']} |")
        for name, v in e.get("variants", {}).items():
            lines.append(f"| `{rule}` ({name}) | {v['slow_ns'] / 1e6:.1f} ms | {v['fast_ns'] / 1e6:.1f} ms | "
                         f"{v['ratio']:.2f}x | {v['ratio_min']:.2f}–{v['ratio_max']:.2f}x | |")
    lines.append("")
    lines += ["## Where each figure was measured", "", "| rule | date | CPU | caches | hypervisor | load | rounds |",
              "|---|---|---|---|---|---|---:|"]
    for rule, e in data["rules"].items():
        r = e.get("run") or run
        caches = ", ".join(f"{k} {v}" for k, v in (r.get("caches") or {}).items())
        load = "–".join(str(x) for x in r.get("load_average", [])) or "?"
        lines.append(f"| `{rule}` | {r.get('date', '?')} | {r.get('cpu', r.get('machine', '?'))} | {caches or '?'} | "
                     f"{r.get('hypervisor', '?')} | {load} | {e.get('rounds', '?')} |")
    lines.append("")
    notes = [(r, e["note"]) for r, e in data["rules"].items() if e.get("note")]
    if notes:
        lines.append("## Notes")
        lines.append("")
        for rule, note in notes:
            lines.append(f"- `{rule}`: {note}")
        lines.append("")
    cg = [(r, e.get("callgrind") or e.get("cachegrind")) for r, e in data["rules"].items()
          if e.get("callgrind") or e.get("cachegrind")]
    if cg:
        lines += ["## Simulated counts (callgrind, quick mode)", "",
                  "| rule | program | instructions | D1 misses | LL misses | mispredicts | est. cycles | counts vs clock |",
                  "|---|---|---:|---:|---:|---:|---:|---|"]
        for rule, c in cg:
            for side in ("slow", "fast"):
                x = c[side] or {}
                lines.append(f"| `{rule}` | {side} | {x.get('instructions', 0):,} | {x.get('d1_misses', 0):,} | "
                             f"{x.get('ll_misses', 0):,} | {x.get('mispredicts', 0):,} | "
                             f"{x.get('estimated_cycles', 0):,} | {c.get('text', '') if side == 'fast' else ''} |")
        lines.append("")
    lines.append("Evidence lines as diagnostics cite them:")
    lines.append("")
    for rule, e in data["rules"].items():
        if "ratio" in e:
            lines.append(f"- `{rule}`: {describe(e, e.get('run') or run)}")
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    from .cli import _Parser  # noqa: PLC0415

    p = _Parser(prog="hotlint bench", description="Compile and time each rule's slow/fast benchmark pair.")
    p.add_argument("rules", nargs="*", metavar="RULE", help="rules to measure (default: all)")
    p.add_argument("--rounds", type=int, default=7, help="alternating rounds (default 7)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up runs of each program (default 1)")
    p.add_argument("--march-native", action="store_true", help="compile with -march=native")
    p.add_argument("--callgrind", "--cachegrind", dest="callgrind", action="store_true",
                   help="add simulated instruction, cache and branch counts of the kernel alone (valgrind's "
                        "callgrind, a fixed cache geometry)")
    p.add_argument("--replace-noisier", action="store_true",
                   help="save a rule's figures even when this run's interval is wider than the saved one's")
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
    unknown = [r for r in ns.rules if r not in pairs]  # a rule (with its sub-cases) or one rule/case
    if unknown:
        err.print(f"hotlint bench: no benchmark pair for {', '.join(unknown)} (have: {', '.join(pairs)})")
        return EXIT_USAGE
    keys = [k for r in ns.rules for k in ([r] if "/" in r else rule_keys(pairs, r))] if ns.rules else list(pairs)
    chosen = [pairs[k] for k in dict.fromkeys(keys)]
    try:
        cxx = find_compiler()
    except BenchError as exc:
        err.print(f"hotlint bench: {exc}")
        return EXIT_FAILED
    if ns.verify_fixes:
        from .verify_fixes import run as verify_fixes  # noqa: PLC0415

        return verify_fixes([p for p in chosen if p.case is None], cxx, ns, out, err)  # sub-cases are measurements
    flags = compile_flags(ns.march_native)
    version_line = _version_line(cxx)
    version = compiler_version(cxx, version_line or None)
    failures: list[str] = []
    results: dict[str, dict] = {}
    compilers: dict[str, list[str]] = {}  # a pair's key -> the compiler it is built with
    for pair in chosen:
        try:
            compilers[pair.key] = pair_compiler(pair, cxx)
        except NoCompiler:
            results[pair.key] = {"verdict": NO_CLANG, "measured": False}
        except BenchError as exc:
            failures.append(str(exc))
    others = {tuple(c): compiler_record(c) for c in compilers.values() if c != cxx}
    use_cg = ns.callgrind
    if use_cg and not shutil.which("valgrind"):
        err.print("hotlint bench: --callgrind needs valgrind, which is not installed; continuing without it")
        use_cg = False
    markers = use_cg and kernel_markers(cxx)
    other_markers = {c: use_cg and kernel_markers(list(c)) for c in others}
    if not hardware_counters_available():
        err.print("hotlint bench: hardware counters (perf stat) are not available on this machine; "
                  + ("callgrind simulates them" if use_cg else "use --callgrind for simulated counts"))
    machine = machine_record()
    err.print(f"hotlint bench: {version} {' '.join(flags)}, {machine.get('cpu', platform.machine())}, "
              f"{os.cpu_count()} cores" + (f", caches {', '.join(f'{k} {v}' for k, v in machine['caches'].items())}"
                                           if machine.get("caches") else ""))
    if use_cg:
        err.print(f"hotlint bench: callgrind counts {'the kernel alone' if markers else 'the whole program'} "
                  f"({'the harness marks it' if markers else 'valgrind/callgrind.h is not on the include path'}), "
                  f"simulated caches: {geometry_text()}")
    for c, rec in others.items():
        names = ", ".join(k for k, v in compilers.items() if tuple(v) == c)
        err.print(f"hotlint bench: {names} built with {rec['compiler']} ({rec['compiler_command']})")
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    notes = _rule_notes()
    chosen = [p for p in chosen if p.key in compilers]
    with tempfile.TemporaryDirectory(prefix="hotlint-bench-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            built = {pool.submit(build, pair, compilers[pair.key], flags, tmp): pair for pair in chosen}
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
                        results[pair.key] = {"checksum": pair.slow.checksum, "verdict": "checksums agree (quick mode)"}
                        continue
                    verify(pair, quick=False)
                    if progress:
                        progress[0].update(progress[1], description=pair.key)
                    measure(pair, ns.rounds, ns.warmup,
                            on_round=(lambda: progress[0].update(progress[1], advance=1)) if progress else None)
                    if use_cg:
                        own = tuple(compilers[pair.key])
                        for prog in pair.programs:
                            prog.counts = callgrind(prog, kernel_only=other_markers.get(own, markers))
                    # a sub-case's own note, never the rule's (which speaks of the main pair)
                    results[pair.key] = summarize(pair, pair.note or (notes.get(pair.rule) if pair.case is None else None))
                except (BenchError, subprocess.TimeoutExpired) as exc:
                    failures.append(str(exc))
        finally:
            if progress:
                progress[0].stop()
    run = {
        "tool": f"hotlint {__version__}", "compiler": version, "compiler_version": version_line,
        "flags": " ".join(flags), **machine,
        "date": datetime.date.today().isoformat(), "rounds": ns.rounds, "warmup": ns.warmup,
    }
    if load_before is not None:
        run["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # before, after
    if use_cg:
        run["counts"] = {"tool": "callgrind", "kernel_only": markers, "geometry": geometry_text()}
    for key, entry in results.items():
        if "ratio" in entry:
            own = others.get(tuple(compilers[key]))
            # a pair built with another compiler says so in its own record: the run's names the default
            entry["run"] = {**run, **own} if own else run
    data = {"run": run, "rules": results}
    if ns.format == "json":
        print(json.dumps({**data, "errors": failures}, indent=2))
    else:
        _table(out, data, ns.quick)
        for f in failures:
            err.print(f"hotlint bench: error: {f}")
    if results and not ns.quick:
        if not ns.no_save:
            from .evidence import user_results_path  # noqa: PLC0415

            for line in write_results(data, user_results_path(), ns.replace_noisier):
                err.print(f"hotlint bench: {line}")
            err.print(f"hotlint bench: results saved to {user_results_path()}; diagnostics now cite them")
        if ns.output:
            for line in write_results(data, os.path.join(ns.output, "RESULTS.json"), ns.replace_noisier):
                err.print(f"hotlint bench: {line}")
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
            console.print(f"{rule}: {e['verdict']}" + (f" (checksum {e['checksum']})" if "checksum" in e else ""))
        return
    t = Table(title=f"hotlint bench: {run['compiler']} {run['flags']}, {run['machine']}, {run['cores']} cores, "
                    f"{run['rounds']} rounds", title_justify="left")
    for col, just in (("rule", "left"), ("program", "left"), ("slow", "right"), ("fast", "right"),
                      ("ratio", "right"), ("min–max", "right"), ("verdict", "left")):
        t.add_column(col, justify=just)
    any_cg = False
    for rule, e in data["rules"].items():
        if "ratio" not in e:
            t.add_row(rule, "", "", "", "", "", e.get("verdict", ""))
            continue
        own = (e.get("run") or run).get("compiler")
        t.add_row(rule if own == run["compiler"] else f"{rule} ({own})", "fast", f"{e['slow_ns'] / 1e6:.1f} ms",
                  f"{e['fast_ns'] / 1e6:.1f} ms",
                  f"{e['ratio']:.2f}x", f"{e['ratio_min']:.2f}–{e['ratio_max']:.2f}x", e["verdict"])
        for name, v in e.get("variants", {}).items():
            t.add_row("", name, f"{v['slow_ns'] / 1e6:.1f} ms", f"{v['fast_ns'] / 1e6:.1f} ms",
                      f"{v['ratio']:.2f}x", f"{v['ratio_min']:.2f}–{v['ratio_max']:.2f}x", "")
        any_cg = any_cg or bool(e.get("callgrind"))
    console.print(t)
    if any_cg:
        cg = run.get("counts") or {}
        c = Table(title=f"callgrind, quick mode, {'kernel only' if cg.get('kernel_only') else 'whole program'}; "
                        f"{cg.get('geometry', '')}", title_justify="left")
        for col in ("rule", "program", "instructions", "D1 misses", "LL misses", "mispredicts", "est. cycles",
                    "counts vs clock"):
            c.add_column(col, justify="left" if col in ("rule", "program", "counts vs clock") else "right")
        for rule, e in data["rules"].items():
            entries = [("fast", e)] + list(e.get("variants", {}).items())
            for name, v in entries:
                counts = v.get("callgrind")
                if not counts:
                    continue
                for side in ("slow", name):
                    x = counts["slow" if side == "slow" else "fast"]
                    c.add_row(rule if side == "slow" and name == "fast" else "", side, f"{x['instructions']:,}",
                              f"{x['d1_misses']:,}", f"{x['ll_misses']:,}", f"{x['mispredicts']:,}",
                              f"{x['estimated_cycles']:,}", counts["text"] if side != "slow" else "")
        console.print(c)
    for rule, e in data["rules"].items():
        if e.get("note"):
            console.print(f"note: {rule}: {e['note']}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
