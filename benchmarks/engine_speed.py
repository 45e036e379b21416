#!/usr/bin/env python3
"""How much hotlint costs over a bare libclang parse, and what a warm run costs.

Corpus: google/leveldb 1.20 (its library translation units, with the standard
library includes they really have), fetched at run time from the npm registry
inside the `leveldown` package and never committed. A compile_commands.json is
written for it. Then, several rounds, alternating:

  bare     one process parses every unit with libclang (same cleaned flags), no walk
  hotlint  `hotlint -j1 --no-cache` with every rule on, end to end (process start included)
  warm     `hotlint -j1` again over the unchanged tree, served from the cache

and then, side by side, cold and warm runs with one more unit that has a real parse error (a
missing header): its result is cached like the others', so the warm run parses nothing.

Each process runs from compiled bytecode, as an installed hotlint does (see ``ENV``); CPU time is
printed beside wall-clock time because it is far steadier on a loaded machine.

Usage: python benchmarks/engine_speed.py [--rounds 5] [--workdir DIR] [-j N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

PACKAGE = "leveldown@6.1.1"
LEVELDB = "package/deps/leveldb/leveldb-1.20"


def fetch(workdir: str) -> str:
    root = os.path.join(workdir, LEVELDB)
    if os.path.isdir(root):
        return root
    os.makedirs(workdir, exist_ok=True)
    out = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(os.path.join(workdir, out)) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(LEVELDB + "/")]
        tar.extractall(workdir, members=members, filter="data")
    return root


def library_units(root: str) -> list[str]:
    units = []
    for sub in ("db", "table", "util", "port", "helpers/memenv"):
        d = os.path.join(root, sub)
        for name in sorted(os.listdir(d)):
            if not name.endswith(".cc"):
                continue
            if name.endswith(("_test.cc", "_bench.cc", "_main.cc")) or name in ("testutil.cc", "testharness.cc",
                                                                                  "db_bench.cc", "leveldbutil.cc"):
                continue
            if name.endswith("_win.cc") or name == "port_example.h":
                continue
            units.append(os.path.join(d, name))
    return units


def write_database(root: str, units: list[str]) -> None:
    flags = ["c++", "-std=c++11", "-O2", "-fno-builtin-memcmp", "-pthread", "-DOS_LINUX", "-DLEVELDB_PLATFORM_POSIX",
             "-DLEVELDB_ATOMIC_PRESENT", f"-I{root}", f"-I{root}/include", "-MMD", "-MF", "dep.d"]
    db = [{"directory": root, "file": u, "arguments": flags + ["-c", u, "-o", u + ".o"]} for u in units]
    with open(os.path.join(root, "compile_commands.json"), "w") as fh:
        json.dump(db, fh, indent=1)


# Every process runs as an installed hotlint does: from compiled bytecode (pip writes it at install
# time). Under PYTHONDONTWRITEBYTECODE each process would compile hotlint's ~100 modules again,
# twice per run (the command and its worker), and the comparison would measure that. The bytecode
# goes to a folder of the benchmark's own, never into the source tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="hotlint-bench-pyc-")


def _timed(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float, float]:
    """The finished process, its wall-clock seconds and the CPU seconds it and its children used
    (user + system: far less sensitive than wall time to other jobs on a loaded machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bare_parse(root: str, units: list[str]) -> tuple[float, float]:
    """Parse every unit in this process: libclang only, flags cleaned as hotlint does."""
    code = f"""
import json, time
from hotlint.compdb import FlagResolver
from hotlint import clang
units = json.loads({json.dumps(json.dumps(units))})
fr = FlagResolver({json.dumps(root)})
args = [fr.flags_for(u, []).args for u in units]
clang.cindex().conf.lib
t = time.perf_counter()
for u, a in zip(units, args):
    tu = clang.parse(u, a)
    assert not [d for d in tu.diagnostics if d.severity >= 3], u
    del tu
print(time.perf_counter() - t)
"""
    proc, _, cpu = _timed([sys.executable, "-c", code], env=ENV)
    proc.check_returncode()
    return float(proc.stdout.strip()), cpu


def run_hotlint(root: str, cache_dir: str, jobs: int, no_cache: bool, errors: int = 0) -> tuple[float, float]:
    """Wall-clock and CPU seconds for one run; ``errors``: how many files are expected to fail to parse."""
    cmd = [sys.executable, "-m", "hotlint", "-j", str(jobs), "--format", "json", "--exit-zero", "."]
    if no_cache:
        cmd.insert(3, "--no-cache")
    proc, elapsed, cpu = _timed(cmd, cwd=root, env=dict(ENV, HOTLINT_CACHE_DIR=cache_dir))
    data = json.loads(proc.stdout)
    if len(data["errors"]) != errors:
        raise SystemExit(f"hotlint reported {len(data['errors'])} errors, expected {errors}: {data['errors'][:3]}")
    return elapsed, cpu


def with_parse_error(root: str, units: list[str], cache_dir: str, jobs: int, rounds: int) -> tuple[list, list]:
    """Cold and warm times with one unit more, a copy of the first one that includes a missing header."""
    broken = os.path.join(root, "db", "hotlint_bench_broken.cc")
    with open(units[0], encoding="utf-8") as src, open(broken, "w", encoding="utf-8") as out:
        out.write('#include "hotlint_bench/not_there.h"\n' + src.read())
    write_database(root, units + [broken])
    try:
        cold, warm = [], []
        run_hotlint(root, cache_dir, jobs, no_cache=False, errors=1)  # fill the cache
        for _ in range(rounds):
            cold.append(run_hotlint(root, cache_dir, jobs, no_cache=True, errors=1))
            warm.append(run_hotlint(root, cache_dir, jobs, no_cache=False, errors=1))
        return cold, warm
    finally:
        os.unlink(broken)
        write_database(root, units)


def _table(rows: list[tuple[str, list[float], int]]) -> None:
    print(f"{'':28}{'median':>10}{'min':>10}{'max':>10}")
    for label, xs, digits in rows:
        print(f"{label:28}" + "".join(f"{x:>9.{digits}f}s" for x in (statistics.median(xs), min(xs), max(xs))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "hotlint-bench-corpus"))
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ns = ap.parse_args()

    root = fetch(ns.workdir)
    units = library_units(root)
    write_database(root, units)
    lines = sum(sum(1 for _ in open(u, encoding="utf-8", errors="replace")) for u in units)
    print(f"corpus: leveldb 1.20 from {PACKAGE}: {len(units)} translation units, {lines} lines of their own")
    # hotlint lints only the units (headers too would change the comparison)
    with open(os.path.join(root, ".hotlint.toml"), "w") as fh:
        fh.write('exclude = ["*.h", "*.c", "*_test.cc", "*_bench.cc", "*_main.cc", "testutil.cc", "testharness.cc", '
                 '"db_bench.cc", "leveldbutil.cc", "*_win.cc", "issues", "doc", "benchmarks"]\n')
    cache_dir = tempfile.mkdtemp(prefix="hotlint-bench-cache-")
    bare, cold, warm = [], [], []  # (wall, cpu) per round
    run_hotlint(root, cache_dir, ns.jobs, no_cache=False)  # warm-up: bytecode, and fill the cache
    for r in range(ns.rounds):
        bare.append(bare_parse(root, units))
        cold.append(run_hotlint(root, cache_dir, ns.jobs, no_cache=True))
        warm.append(run_hotlint(root, cache_dir, ns.jobs, no_cache=False))
        print(f"round {r + 1}: bare {bare[-1][0]:.2f} s (cpu {bare[-1][1]:.2f} s)   hotlint -j{ns.jobs} "
              f"{cold[-1][0]:.2f} s (cpu {cold[-1][1]:.2f} s)   warm {warm[-1][0]:.3f} s", flush=True)
    print()
    _table([("bare libclang parse", [w for w, _ in bare], 2), ("hotlint -j" + str(ns.jobs) + ", all rules",
            [w for w, _ in cold], 2), ("hotlint warm (cache)", [w for w, _ in warm], 3)])
    wall = [c[0] / b[0] for b, c in zip(bare, cold)]
    cpu = [c[1] / b[1] for b, c in zip(bare, cold)]
    print(f"hotlint / bare parse, wall clock: median {statistics.median(wall):.3f}x "
          f"(per round min {min(wall):.3f}x, max {max(wall):.3f}x); bare counts its parse loop alone")
    print(f"hotlint / bare parse, CPU time:   median {statistics.median(cpu):.3f}x "
          f"(per round min {min(cpu):.3f}x, max {max(cpu):.3f}x); both whole processes, start-up included")
    print("target <= 1.1x")
    print(f"warm run: median {statistics.median(w for w, _ in warm):.3f} s; target <= 0.3 s")
    cold_e, warm_e = with_parse_error(root, units, cache_dir, ns.jobs, ns.rounds)
    print()
    print(f"with a unit that has a parse error ({len(units) + 1} units):")
    _table([("cold (--no-cache)", [w for w, _ in cold_e], 2), ("warm (cache)", [w for w, _ in warm_e], 3)])
    print(f"warm / cold: {statistics.median(w for w, _ in warm_e) / statistics.median(w for w, _ in cold_e):.3f} "
          "(the parse error is served from the cache too)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
