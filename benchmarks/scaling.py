#!/usr/bin/env python3
"""How hotlint scales with a code base: a whole run on one machine against one process per unit
(as a build runs it, on any number of machines) plus ``hotlint merge``, and how many machines a
50,000-unit code base needs for a 10-minute CI run.

Corpus: ``--units`` (default 300) original C++17 translation units generated at run time into a
temporary folder (never committed): ``--units / 10`` modules, each with a header declaring its
functions and a record; every unit includes four to six standard headers (containers, strings,
atomics, threads, algorithms...), its module's header and a neighbour's, and defines six
functions, in three units of four code the rules flag (allocation and lock in a loop, a seq_cst
default, shared_ptr copies, virtual calls, a serial float reduction, map traversal...), and a step
function whose loop calls two of them and the previous unit's step: chains of 25 units across
files, every other chain entered from a ``[[gnu::hot]]`` function at its end, so most warnings are
raised by callers in other units (the rest of the findings are infos).

Each round, in turn (``--no-cache`` everywhere, every rule on, compiled bytecode as an installed
hotlint):

  -j1        ``hotlint -j1 src``: one process, the units one after another
  -j2        ``hotlint -j2 src``
  per-unit   ``hotlint --quiet --facts-out F unit -- g++ ... -c unit``, one process per unit as a build
             runs it (``--build-jobs`` at a time, default 2), then ``hotlint merge`` over all the facts
  merge      ``hotlint merge`` over the first 25%, 50% and 100% of the facts: how its cost grows

It checks that the merged report equals the whole run's (same findings, same severities), then
prints medians over the rounds (min-max beside), each unit process's CPU time (user + system, the
steady figure on a loaded machine) and the extrapolation with its arithmetic.

Usage: python benchmarks/scaling.py [--units 300] [--rounds 3] [--build-jobs 2] [--workdir DIR]
       [--synthetic-merge 5000]
``--synthetic-merge N`` (default 5000; 0: none) also times ``hotlint merge`` over N facts files made from the measured ones
(each copied under new file and function names), for a measured point nearer 50,000.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",) and not k.startswith("HOTLINT")}
ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="hotlint-bench-pyc-")
HOTLINT = [sys.executable, "-m", "hotlint"]
STD = "-std=c++17"
CI_SECONDS = 600
TARGET_UNITS = 50_000

# --------------------------------------------------------------------------- corpus

STD_HEADERS = ["<vector>", "<string>", "<map>", "<unordered_map>", "<memory>", "<algorithm>", "<atomic>",
               "<mutex>", "<numeric>", "<functional>", "<deque>", "<set>", "<cstdint>", "<cstring>", "<thread>",
               "<list>", "<optional>", "<string_view>"]
# what each function template needs beyond the module header
NEEDS = {
    "alloc": ["<memory>", "<vector>"], "lock": ["<mutex>", "<vector>"], "atomic": ["<atomic>", "<cstdint>"],
    "shared": ["<memory>", "<vector>"], "virtual": ["<vector>", "<memory>"], "reduce": ["<vector>"],
    "nodes": ["<map>", "<string>"], "strings": ["<string>", "<vector>"], "clean": ["<vector>", "<numeric>"],
    "search": ["<algorithm>", "<vector>"],
}


def module_header(m: int) -> str:
    return f"""\
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mod{m:02d} {{

struct Record{m:02d} {{
    char tag;
    double weight;
    char flags;
    std::int64_t id;
    float score;
}};

struct Shape{m:02d} {{
    virtual ~Shape{m:02d}() = default;
    virtual double area() const = 0;
}};

}}  // namespace mod{m:02d}
"""


def function_bodies(u: int, m: int, kinds: list[str]) -> list[str]:
    ns = f"mod{m:02d}"
    out = []
    for k, kind in enumerate(kinds):
        name = f"u{u:04d}_{kind}_{k}"
        if kind == "alloc":
            out.append(f"""\
long {name}(const std::vector<long>& ids) {{
    long total = 0;
    for (long id : ids) {{
        auto holder = std::make_unique<{ns}::Record{m:02d}>();
        holder->id = id;
        total += holder->id;
    }}
    return total;
}}""")
        elif kind == "lock":
            out.append(f"""\
static std::mutex lock_{u:04d}_{k};
long {name}(const std::vector<long>& values) {{
    long total = 0;
    for (long v : values) {{
        std::lock_guard<std::mutex> guard(lock_{u:04d}_{k});
        total += v;
    }}
    return total;
}}""")
        elif kind == "atomic":
            out.append(f"""\
static std::atomic<std::uint64_t> hits_{u:04d}_{k}{{0}};
void {name}(int n) {{
    for (int i = 0; i < n; ++i) {{
        hits_{u:04d}_{k}.fetch_add(1);
    }}
}}""")
        elif kind == "shared":
            out.append(f"""\
long {name}(const std::vector<std::shared_ptr<{ns}::Record{m:02d}>>& records) {{
    long total = 0;
    for (std::shared_ptr<{ns}::Record{m:02d}> r : records) {{
        total += r->id;
    }}
    return total;
}}""")
        elif kind == "virtual":
            out.append(f"""\
double {name}(const std::vector<std::unique_ptr<{ns}::Shape{m:02d}>>& shapes) {{
    double total = 0;
    for (const auto& s : shapes) {{
        total += s->area();
    }}
    return total;
}}""")
        elif kind == "reduce":
            out.append(f"""\
float {name}(const std::vector<float>& xs) {{
    float sum = 0.0f;
    for (float x : xs) {{
        sum += x;
    }}
    return sum;
}}""")
        elif kind == "nodes":
            out.append(f"""\
long {name}(const std::map<std::string, long>& table) {{
    long total = 0;
    for (const auto& entry : table) {{
        total += entry.second;
    }}
    return total;
}}""")
        elif kind == "strings":
            out.append(f"""\
std::size_t {name}(const std::vector<std::string>& words) {{
    std::size_t total = 0;
    for (const auto& w : words) {{
        std::string copy = w + "_{u}";
        total += copy.size();
    }}
    return total;
}}""")
        elif kind == "search":
            out.append(f"""\
bool {name}(std::vector<long> values, long wanted) {{
    std::sort(values.begin(), values.end());
    return std::binary_search(values.begin(), values.end(), wanted);
}}""")
        else:
            out.append(f"""\
long {name}(const std::vector<long>& values) {{
    return std::accumulate(values.begin(), values.end(), 0L);
}}""")
    return out


def call_of(name: str, kind: str, m: int) -> str:
    """A statement calling the function ``name`` of template ``kind`` from the step's loop."""
    ns = f"mod{m:02d}"
    arg = {"alloc": "std::vector<long>{}", "lock": "std::vector<long>{}", "atomic": "i",
           "shared": f"std::vector<std::shared_ptr<{ns}::Record{m:02d}>>{{}}",
           "virtual": f"std::vector<std::unique_ptr<{ns}::Shape{m:02d}>>{{}}", "reduce": "std::vector<float>{}",
           "nodes": "std::map<std::string, long>{}", "strings": "std::vector<std::string>{}",
           "search": "std::vector<long>{}, i", "clean": "std::vector<long>{}"}[kind]
    if kind == "atomic":
        return f"{name}({arg});"
    return f"total += static_cast<long>({name}({arg}));"


KINDS = ["alloc", "lock", "atomic", "shared", "virtual", "reduce", "nodes", "strings", "search", "clean"]


def unit_source(u: int, units: int, modules: int) -> str:
    m = u % modules
    neighbour = (m + 1) % modules
    kinds = [KINDS[(u + i * 3) % len(KINDS)] for i in range(6)]
    if u % 4 == 3:  # a quarter of the units are clean code
        kinds = ["clean", "search", "clean", "search", "clean", "clean"]
    headers = set(STD_HEADERS[(u * 7 + i * 5) % len(STD_HEADERS)] for i in range(4))
    for kind in kinds:
        headers.update(NEEDS[kind])
    lines = [f"// unit {u}: generated by benchmarks/scaling.py", *(f"#include {h}" for h in sorted(headers)),
             f'#include "mod{m:02d}.h"', f'#include "mod{neighbour:02d}.h"', ""]
    if u % 25:
        lines.append(f"long u{u - 1:04d}_step(int n);")
    lines.append("")
    lines.extend(b + "\n" for b in function_bodies(u, m, kinds))
    # the chain: each unit's step calls two of its own functions and the previous unit's step in a
    # loop; chains of 25 units, every other one entered from a [[gnu::hot]] function at its end
    calls = [call_of(f"u{u:04d}_{kind}_{k}", kind, m) for k, kind in enumerate(kinds[:2])]
    if u % 25:
        calls.append(f"total += u{u - 1:04d}_step(i);")
    body = "\n        ".join(calls)
    lines.append(f"""\
long u{u:04d}_step(int n) {{
    long total = 0;
    for (int i = 0; i < n; ++i) {{
        {body}
    }}
    return total;
}}
""")
    if u % 50 == 24:
        lines.append(f"""\
[[gnu::hot]] long u{u:04d}_serve(int requests) {{
    long total = 0;
    for (int r = 0; r < requests; ++r) {{
        total += u{u:04d}_step(r);
    }}
    return total;
}}
""")
    return "\n".join(lines)


def generate(root: str, units: int) -> list[str]:
    modules = max(1, units // 10)
    os.makedirs(os.path.join(root, "include"), exist_ok=True)
    os.makedirs(os.path.join(root, "src"), exist_ok=True)
    for m in range(modules):
        with open(os.path.join(root, "include", f"mod{m:02d}.h"), "w") as fh:
            fh.write(module_header(m))
    paths = []
    for u in range(units):
        rel = os.path.join("src", f"u{u:04d}.cpp")
        with open(os.path.join(root, rel), "w") as fh:
            fh.write(unit_source(u, units, modules))
        paths.append(rel)
    with open(os.path.join(root, "compile_commands.json"), "w") as fh:
        json.dump([{"directory": root, "file": p, "arguments": compile_command(p)} for p in paths], fh)
    return paths


def compile_command(unit: str) -> list[str]:
    return ["g++", STD, "-Iinclude", "-O2", "-c", unit, "-o", unit + ".o"]


# --------------------------------------------------------------------------- runs


def timed(cmd: list[str], cwd: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """The finished process, its wall seconds and the CPU seconds it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_run(root: str, jobs: int) -> tuple[float, float, dict]:
    proc, wall, cpu = timed([*HOTLINT, "--no-cache", f"-j{jobs}", "--format", "json", "-q",
                             "-p", "compile_commands.json", "src"], root)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"hotlint -j{jobs} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, cpu, json.loads(proc.stdout)


def per_unit_run(root: str, units: list[str], facts_dir: str, build_jobs: int) -> tuple[float, list[float], list[float]]:
    """Every unit as its own process, ``build_jobs`` at a time: (wall, each unit's wall, each CPU)."""
    shutil.rmtree(facts_dir, ignore_errors=True)
    os.makedirs(facts_dir)
    pending = list(units)
    running: dict[int, tuple[subprocess.Popen, float]] = {}
    walls, cpus = [], []
    start = time.perf_counter()
    while pending or running:
        while pending and len(running) < build_jobs:
            unit = pending.pop(0)
            out = os.path.join(facts_dir, os.path.basename(unit) + ".hotlint-facts.json")
            proc = subprocess.Popen([*HOTLINT, "--no-cache", "--quiet", "--facts-out", out, unit, "--",
                                     *compile_command(unit)], cwd=root, env=ENV,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            running[proc.pid] = (proc, time.perf_counter())
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        proc, began = running.pop(pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode != 0:
            raise SystemExit(f"a unit failed ({proc.returncode}): {' '.join(proc.args)}\n{err[-2000:]}")
        walls.append(time.perf_counter() - began)
        cpus.append(usage.ru_utime + usage.ru_stime)
    return time.perf_counter() - start, walls, cpus


def merge_run(root: str, facts: list[str]) -> tuple[float, float, dict]:
    listing = os.path.join(root, "facts.list")
    with open(listing, "w") as fh:
        fh.write("\n".join(facts) + "\n")
    proc, wall, cpu = timed([*HOTLINT, "merge", "--format", "json", "-q", "@" + listing], root)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"hotlint merge failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, cpu, json.loads(proc.stdout)


def synthetic_facts(facts: list[str], count: int, out_dir: str) -> list[str]:
    """``count`` facts files copied from ``facts`` under new file and function names (so they join
    as distinct units): a merge input of that size without analyzing that many units."""
    import re

    os.makedirs(out_dir, exist_ok=True)
    texts = [open(f).read() for f in facts]
    unit_name = re.compile(r"(?<![\\\w])u(\d{4})")  # u0042 in paths, USRs, messages; never \u0000
    out = []
    for i in range(count):
        copy, base = divmod(i, len(texts))
        # unit names u0000..u9999 and their functions become v<copy>u0000...: distinct files and USRs
        text = unit_name.sub(lambda m: f"v{copy}u{m.group(1)}", texts[base])
        path = os.path.join(out_dir, f"{i:06d}.hotlint-facts.json")
        with open(path, "w") as fh:
            fh.write(text)
        out.append(path)
    return out


def summary(report: dict) -> list[tuple]:
    return sorted((d["path"], d["line"], d["column"], d["rule"], d["severity"], d["message"])
                  for d in report["diagnostics"])


def med(xs: list[float]) -> str:
    if not xs:
        return "-"
    return f"{statistics.median(xs):.2f} s" + (f" ({min(xs):.2f}-{max(xs):.2f})" if len(xs) > 1 else "")


def report(ns, rounds: int, units: list[str], cores: int, res: dict, merge_sizes: dict, unit_walls: list,
           unit_cpus: list, findings: dict, synthetic) -> None:
    """The figures over the ``rounds`` finished so far, and the extrapolation."""
    print(f"\n===== after {rounds} round{'s' if rounds != 1 else ''} =====")
    sev: dict[str, int] = {}
    for d in findings["diagnostics"]:
        sev[d["severity"]] = sev.get(d["severity"], 0) + 1
    raised = sum(1 for d in findings["diagnostics"] if "called from" in d["message"] or "reached from" in d["message"])
    print(f"\nfindings (default --min-severity warning): {len(findings['diagnostics'])} "
          f"({', '.join(f'{n} {s}' for s, n in sorted(sev.items()))}), {raised} of them hot through the call graph; "
          f"errors: {len(findings['errors'])}")

    n = len(units)
    j1, j2 = statistics.median(res["j1"]), statistics.median(res["j2"])
    pu, merge = statistics.median(res["unit_wall"]), statistics.median(res["merge"])
    print(f"\n{'path':<34} {'wall (median, min-max)':<26} CPU (median)")
    print(f"{'hotlint -j1':<34} {med(res['j1']):<26} {statistics.median(res['j1cpu']):.1f} s")
    print(f"{'hotlint -j2':<34} {med(res['j2']):<26} {statistics.median(res['j2cpu']):.1f} s")
    print(f"{f'per-unit processes ({ns.build_jobs} at a time)':<34} {med(res['unit_wall']):<26} "
          f"{statistics.median(res['unit_sum_cpu']):.1f} s")
    print(f"{'hotlint merge (all facts)':<34} {med(res['merge']):<26} {statistics.median(res['merge_cpu']):.2f} s")
    print(f"{'per-unit + merge':<34} {pu + merge:.2f} s")
    print(f"speed-up -j1 -> -j2: {j1 / j2:.2f}x; per-unit + merge vs -j{ns.build_jobs}: "
          f"{(pu + merge) / (j2 if ns.build_jobs == 2 else j1):.2f}x the time")

    cpu_unit = statistics.median(unit_cpus)
    wall_unit = statistics.median(unit_walls)
    p90 = sorted(unit_cpus)[int(0.9 * (len(unit_cpus) - 1))]
    inproc = statistics.median(res["j1cpu"]) / n
    print(f"\nper unit, as its own process ({len(unit_cpus)} runs): CPU {cpu_unit:.3f} s median, {p90:.3f} s p90; "
          f"wall {wall_unit:.3f} s median ({ns.build_jobs} at a time on {cores} cores)")
    print(f"per unit inside one -j1 run: CPU {inproc:.3f} s (so a process's start-up costs "
          f"{cpu_unit - inproc:.3f} s of each unit's {cpu_unit:.3f} s)")

    # merge growth: CPU seconds = a + b * units, least squares over the measured sizes
    sizes = sorted(merge_sizes)
    pts = [(k, statistics.median(merge_sizes[k])) for k in sizes]
    if synthetic is not None:
        count, sw, sc = synthetic
        pts.append((count, sc))
        print(f"\nsynthetic merge of {count} facts files: {sw:.2f} s wall, {sc:.2f} s CPU")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - mx) * (y - my) for x, y in pts) / max(1e-9, sum((x - mx) ** 2 for x in xs))
    a = my - b * mx
    print("merge CPU by facts files: " + ", ".join(f"{k}: {v:.2f} s" for k, v in pts)
          + f" -> fit {a:.2f} s + {b * 1000:.2f} ms x units")
    merge_big = a + b * TARGET_UNITS
    budget = CI_SECONDS - merge_big
    total_cpu = TARGET_UNITS * cpu_unit
    print(f"\nextrapolation to {TARGET_UNITS:,} units, a {CI_SECONDS} s CI run, at the measured per-unit cost:")
    print(f"  units:  {TARGET_UNITS:,} x {cpu_unit:.3f} s CPU = {total_cpu:,.0f} CPU-seconds "
          f"({total_cpu / 3600:.1f} core-hours)")
    print(f"  merge:  {a:.2f} + {b * 1000:.2f} ms x {TARGET_UNITS:,} = {merge_big:.0f} s on one core, after the units")
    if budget <= 0:
        print(f"  the merge alone needs more than {CI_SECONDS} s: no number of machines fits")
        return
    cores_needed = math.ceil(total_cpu / budget)
    print(f"  left for the units: {CI_SECONDS} - {merge_big:.0f} = {budget:.0f} s; cores needed = "
          f"{total_cpu:,.0f} / {budget:.0f} = {cores_needed}")
    for per_machine in sorted({cores, 8, 32, 64}):
        print(f"  machines of {per_machine:>2} cores: ceil({cores_needed} / {per_machine}) = "
              f"{math.ceil(cores_needed / per_machine)}")
    eff = j1 / j2 / min(2, cores)
    print(f"  (assumes every core does a unit's work at this machine's per-core rate; -j2 here ran at "
          f"{eff:.0%} of two cores' ideal, so count {1 / max(eff, 0.01):.2f}x the machines if units share "
          f"cores that badly; a whole-project -j run instead costs {inproc:.3f} s a unit but cannot leave one "
          f"machine: {TARGET_UNITS:,} x {inproc:.3f} s / {cores} cores = {TARGET_UNITS * inproc / cores:,.0f} s)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--build-jobs", type=int, default=2, help="unit processes at a time (a build's -j)")
    ap.add_argument("--workdir", help="generate the corpus here (default: a temporary folder, removed after)")
    ap.add_argument("--synthetic-merge", type=int, default=5000, metavar="N",
                    help="also time a merge of N facts files copied from the measured ones")
    ns = ap.parse_args(argv)
    workdir = ns.workdir or tempfile.mkdtemp(prefix="hotlint-scaling-")
    root = os.path.join(workdir, "corpus")
    shutil.rmtree(root, ignore_errors=True)
    units = generate(root, ns.units)
    lines = sum(open(os.path.join(root, u)).read().count("\n") for u in units)
    cores = os.cpu_count() or 1
    print(f"corpus: {len(units)} generated C++17 units ({lines} lines, {lines // len(units)} per unit before "
          f"headers), {max(1, ns.units // 10)} module headers; machine: {cores} cores, load average "
          f"{os.getloadavg()[0]:.2f}; {ns.rounds} rounds", flush=True)

    res: dict[str, list[float]] = {k: [] for k in ("j1", "j1cpu", "j2", "j2cpu", "unit_wall", "unit_sum_cpu",
                                                   "merge", "merge_cpu")}
    merge_sizes: dict[int, list[float]] = {}
    unit_walls: list[float] = []
    unit_cpus: list[float] = []
    facts_dir = os.path.join(root, "facts")
    findings = None
    synthetic = None
    for r in range(ns.rounds):
        w, c, whole1 = whole_run(root, 1)
        res["j1"].append(w)
        res["j1cpu"].append(c)
        w, c, whole2 = whole_run(root, 2)
        res["j2"].append(w)
        res["j2cpu"].append(c)
        wall, walls, cpus = per_unit_run(root, units, facts_dir, ns.build_jobs)
        res["unit_wall"].append(wall)
        res["unit_sum_cpu"].append(sum(cpus))
        unit_walls.extend(walls)
        unit_cpus.extend(cpus)
        facts = sorted(os.path.join(facts_dir, f) for f in os.listdir(facts_dir))
        mw, mc, merged = merge_run(root, facts)
        res["merge"].append(mw)
        res["merge_cpu"].append(mc)
        for share in (4, 2):
            k = len(facts) // share
            merge_sizes.setdefault(k, []).append(merge_run(root, facts[:k])[1])
        merge_sizes.setdefault(len(facts), []).append(mc)
        same = summary(merged) == summary(whole1) == summary(whole2)
        findings = whole1
        print(f"round {r + 1}: -j1 {res['j1'][-1]:.1f} s, -j2 {res['j2'][-1]:.1f} s, per-unit {wall:.1f} s "
              f"+ merge {mw:.2f} s; merged report {'equals' if same else 'DIFFERS FROM'} the whole run's",
              flush=True)
        if not same:
            print("  whole run only:", sorted(set(summary(whole1)) - set(summary(merged)))[:5])
            print("  merge only:", sorted(set(summary(merged)) - set(summary(whole1)))[:5])
            return 1
        if r == 0 and ns.synthetic_merge:
            syn = synthetic_facts(facts, ns.synthetic_merge, os.path.join(root, "synthetic"))
            sw, sc, _ = merge_run(root, syn)
            synthetic = (len(syn), sw, sc)
            shutil.rmtree(os.path.join(root, "synthetic"), ignore_errors=True)
        # the figures so far: a run cut short still reports every round it finished
        report(ns, r + 1, units, cores, res, merge_sizes, unit_walls, unit_cpus, findings, synthetic)

    if not ns.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
