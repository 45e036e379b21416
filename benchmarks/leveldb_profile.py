#!/usr/bin/env python3
"""hotlint on leveldb with and without a profile of leveldb's own benchmark (issue 14's "done when").

The corpus script's leveldb (1.20, as the npm package leveldown 6.1.1 ships it, fetched through
npm into the work folder, never committed) is built here as its `db_bench`: every unit of the
compilation database corpus.py writes (node-gyp's Linux flags, plus -g for line numbers), snappy
from the same package, and db/db_bench.cc with util/testutil.cc and util/histogram.cc. A short run

    valgrind --tool=callgrind db_bench --benchmarks=fillseq,readrandom --num=20000

gives the profile, and hotlint lints the whole leveldb tree twice, without and with
`--profile callgrind.out.N`. For each run the script prints the findings shown by default
(warnings and errors) with the evidence each one ends with and the profile's figures note, then
how many were hidden.

Usage: python benchmarks/leveldb_profile.py [--workdir DIR] [-j N] [--num N] [--benchmarks LIST]
                                            [--hotlint CMD]

Writes only inside the work folder (shared with corpus.py, whose fetch and database it reuses).
Exits 2 when the fetch, the build or the profiled run fails.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402  (the sibling script: fetching and the database)

DROPPED = ("-o", "-MF")  # each followed by its operand
DROPPED_ALONE = ("-c", "-MMD", "-MD")


def compile_argv(arguments: list[str], listed: str, source: str, obj: str) -> list[str]:
    """The database command of the unit ``listed`` turned into a -g build of ``source`` into ``obj``."""
    out, skip = [], False
    for a in arguments[1:]:
        if skip:
            skip = False
            continue
        if a in DROPPED:
            skip = True
            continue
        if a in DROPPED_ALONE or a == listed:
            continue
        out.append(a)
    return [arguments[0], *out, "-g", "-c", source, "-o", obj]


def build_db_bench(work: corpus.Work, prep: corpus.Prepared, jobs: int) -> str:
    """Compile and link db_bench (reused when built before); its path."""
    out_dir = os.path.join(work.builds, "leveldb-db_bench")
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(out_dir, "db_bench")
    if os.path.exists(exe):
        return exe
    with open(os.path.join(prep.database, "compile_commands.json")) as fh:
        entries = json.load(fh)
    first = entries[0]
    deps = os.path.dirname(os.path.dirname(prep.root))  # .../package/deps
    extra = [os.path.join(prep.root, "db", "db_bench.cc"), os.path.join(prep.root, "util", "testutil.cc"),
             os.path.join(prep.root, "util", "histogram.cc"),
             *[os.path.join(deps, "snappy", "snappy", n) for n in ("snappy.cc", "snappy-sinksource.cc",
                                                                  "snappy-stubs-internal.cc")]]
    units = [(e["directory"], e["arguments"], e["file"], e["file"]) for e in entries]
    units += [(first["directory"], first["arguments"], first["file"], f) for f in extra]
    objects = []

    def one(unit) -> str:
        directory, arguments, listed, source = unit
        obj = os.path.join(out_dir, os.path.relpath(source, deps).replace(os.sep, "_") + ".o")
        if os.path.exists(obj):  # an earlier run compiled it
            return obj
        corpus.run_step(f"compile {os.path.relpath(source, deps)}", compile_argv(arguments, listed, source, obj),
                        directory, work.env)
        return obj

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        objects = list(pool.map(one, units))
    corpus.run_step("link db_bench", ["g++", "-o", exe, *objects, "-pthread"], out_dir, work.env)
    return exe


def profile_db_bench(work: corpus.Work, exe: str, benchmarks: str, num: int) -> str:
    """Run db_bench under callgrind; the profile's path."""
    out_dir = os.path.dirname(exe)
    for old in glob.glob(os.path.join(out_dir, "callgrind.out.*")):
        os.remove(old)
    db = tempfile.mkdtemp(prefix="db_bench-", dir=os.path.join(work.root, "tmp"))
    corpus.run_step("db_bench under callgrind",
                    ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.path.join(out_dir, "callgrind.out.%p"),
                     exe, f"--benchmarks={benchmarks}", f"--num={num}", f"--db={db}"],
                    out_dir, work.env, timeout=3600)
    found = glob.glob(os.path.join(out_dir, "callgrind.out.*"))
    if not found:
        raise corpus.StepFailed("db_bench under callgrind wrote no callgrind.out.N")
    return found[0]


def lint(hotlint: list[str], prep: corpus.Prepared, work: corpus.Work, jobs: int, profile: str | None) -> dict:
    cmd = hotlint + ["--format", "json", "--no-cache", "--exit-zero", "--min-severity", "info", "-j", str(jobs),
                     "-p", prep.database, *(["--profile", profile] if profile else []),
                     *[os.path.relpath(f, prep.root) for f in prep.files]]
    env = dict(work.env, PYTHONSAFEPATH="1", NO_COLOR="1")
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=prep.root, env=env, capture_output=True, text=True, errors="replace")
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise corpus.StepFailed(f"hotlint exited {proc.returncode} without JSON:\n{proc.stderr[-800:]}") from None
    data["seconds"] = time.perf_counter() - t
    return data


def evidence(message: str) -> str:
    """The evidence a ranked message ends with: its last parenthesis."""
    if message.endswith(")") and " (" in message:
        depth = 0
        for i in range(len(message) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(message[i], 0)
            if depth == 0:
                return message[i + 1:-1]
    return ""


def report(title: str, data: dict, out) -> None:
    diags = data.get("diagnostics", [])
    shown = [d for d in diags if d["severity"] in ("warning", "error")]
    hidden = len(diags) - len(shown)
    by = {s: sum(1 for d in shown if d["severity"] == s) for s in ("error", "warning")}
    out.write(f"\n{title}: {len(shown)} shown by default ({by['error']} errors, {by['warning']} warnings), "
              f"{hidden} infos hidden; hotlint {data['seconds']:.0f} s\n")
    for d in sorted(shown, key=lambda d: ({"error": 0, "warning": 1}[d["severity"]], d["path"], d["line"])):
        out.write(f"  {d['severity']:7} {d['path']}:{d['line']} [{d['rule']}] {evidence(d['message']) or '-'}\n")
        for n in d.get("notes", ()):
            if n.startswith("profile "):
                out.write(f"          {n}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "hotlint-corpus"))
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--num", type=int, default=20000)
    ap.add_argument("--benchmarks", default="fillseq,readrandom")
    ap.add_argument("--hotlint", metavar="CMD", default="")
    ns = ap.parse_args(argv)
    hotlint = shlex.split(ns.hotlint) if ns.hotlint else [sys.executable, "-m", "hotlint"]
    work = corpus.Work(ns.workdir)
    try:
        prep = corpus.prepare_leveldb(work)
        t = time.perf_counter()
        exe = build_db_bench(work, prep, ns.jobs)
        print(f"db_bench: {exe} [{time.perf_counter() - t:.0f} s]", flush=True)
        t = time.perf_counter()
        profile = profile_db_bench(work, exe, ns.benchmarks, ns.num)
        print(f"profile: valgrind --tool=callgrind db_bench --benchmarks={ns.benchmarks} --num={ns.num} -> "
              f"{os.path.basename(profile)} [{time.perf_counter() - t:.0f} s]", flush=True)
        without = lint(hotlint, prep, work, ns.jobs, None)
        with_profile = lint(hotlint, prep, work, ns.jobs, profile)
    except corpus.StepFailed as exc:
        print(f"leveldb with a profile: {exc}", file=sys.stderr)
        return 2
    print(f"leveldb 1.20: {len(prep.files)} files linted")
    report("without a profile", without, sys.stdout)
    report(f"with --profile {os.path.basename(profile)}", with_profile, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
