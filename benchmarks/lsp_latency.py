"""Edit-to-diagnostics latency of ``hotlint lsp`` at the first, middle and last function of a file.

Starts the real server on stdio, opens a generated C++20 file of some 420 lines behind
heavy standard-library headers, then edits one function body N times (each edit waits
for its diagnostics) and measures the first parse (``didOpen`` to the first
``publishDiagnostics``) and, per edit, ``didChange`` to the first ``publishDiagnostics``
of that version. It does so for three places, each in a fresh server: the first
component's function, the middle one's and the last function (``hot_path``), and says
for each whether it meets the targets:

    first parse <= 1000 ms, edit-to-diagnostics median <= 150 ms and p95 <= 250 ms

The server answers an edit inside one declaration quickly (``hotlint.lsp.fast``: that
declaration analyzed again, the rest of the last whole-file result kept), and once typing
pauses publishes the whole-file analysis of the same version from a second worker. The
benchmark waits for that second answer to the last edit and compares the two: a version
whose quick answer differed from its whole-file one is counted ("corrected"); for this file
there should be none. ``--compare`` also runs the server with quick answers off
(``HOTLINT_FAST_UNITS=0``: every edit waits for the whole-file analysis, with prefix
units), for reference.

The debounce is 0 ms (set through ``initializationOptions``) so the figures measure the
analysis; an editor adds its configured debounce (250 ms unless changed) on top.

The first parse is measured first, on its own, in ``--sessions`` pairs of server sessions
(default 3): *cold*, with a fresh ``XDG_CACHE_HOME`` (no stored precompiled headers of the
include block, ``hotlint.lsp.pch``; the session waits until the worker has stored them), then
*warm*, a second session on the same file and cache. It prints the medians side by side, with
the worker's own figures (parse, analysis after it, and the rest of the round trip: the
server's work and the publish). The edit runs then use the last warm cache. Every cache is a
temporary folder, removed at the end: the user's own is never touched. ``HOTLINT_PCH=0`` in
the environment measures the server without stored precompiled headers.

    python benchmarks/lsp_latency.py [--edits 30] [--repeat 1] [--positions first,middle,last]
                                     [--sessions 3] [--compare] [--components 8] [--std c++20]
                                     [--keep FILE] [-v]

Timings depend on the machine and how busy it is: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import glob
import re
import shutil
import statistics
import sys
import tempfile
import time
from typing import Optional

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HEADERS = ["vector", "string", "map", "unordered_map", "memory", "algorithm", "atomic", "thread",
           "functional", "mutex", "chrono", "optional", "numeric", "cstdint"]

COMPONENT = """\
// ---- component {i}
struct Sample{i} {{
  bool valid;
  double value;
  int channel;
  std::string label;
}};

class Store{i} {{
 public:
  void add(const Sample{i}& s) {{
    samples_.push_back(s);
    by_label_[s.label] += s.value;
  }}

  double total() const {{
    double sum = 0;  // EDIT component {i}
    for (const auto& s : samples_) {{
      if (s.valid) sum += s.value;
    }}
    return std::accumulate(samples_.begin(), samples_.end(), sum,
                           [](double acc, const Sample{i}& s) {{ return acc + s.channel; }});
  }}

  std::vector<std::string> labels() const {{
    std::vector<std::string> out;
    for (const auto& [label, value] : by_label_) {{
      if (value > {i}) out.push_back(label);
    }}
    std::sort(out.begin(), out.end());
    return out;
  }}

 private:
  std::vector<Sample{i}> samples_;
  std::map<std::string, double> by_label_;
  std::unordered_map<int, std::unique_ptr<Sample{i}>> cache_;
}};

std::atomic<long> events{i}{{0}};

void pump{i}(Store{i}& store, int rounds) {{
  for (int r = 0; r < rounds; ++r) {{
    Sample{i} s{{true, r * 0.5, r % 4, "s" + std::to_string(r)}};
    store.add(s);
    events{i}++;
  }}
}}
"""

HOT = """\
// ---- the function the benchmark edits
long hot_path(const std::vector<long>& data) {
  long acc = 0;
  int scale = 1;  // EDIT hot_path
  for (long x : data) {
    acc += x * scale;
  }
  std::function<long(long)> twice = [](long v) { return 2 * v; };
  std::thread worker([&] { acc = twice(acc); });
  worker.join();
  return acc;
}
"""


def realistic_source(components: int = 8) -> str:
    parts = [f"#include <{h}>\n" for h in HEADERS]
    parts.append("\n")
    parts.extend(COMPONENT.format(i=i) + "\n" for i in range(components))
    parts.append(HOT)
    return "".join(parts)


TARGETS = {"first": 1000.0, "median": 150.0, "p95": 250.0}  # milliseconds


class Client(LanguageClient):
    def __init__(self):
        super().__init__("hotlint-lsp-latency", "1")
        self.published: dict[int, list] = {}  # version -> [(time, diagnostics as JSON text)]
        self.arrived = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams):
            if params.version is not None:
                shown = sorted((d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
                                str(d.code), d.message) for d in params.diagnostics)
                self.published.setdefault(params.version, []).append((time.perf_counter(), shown))
                self.arrived.set()

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams):
            print(f"server: {params.message}", file=sys.stderr)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams):
            pass

    async def published_at(self, version: int, count: int = 1, timeout: float = 300) -> float:
        """When the ``count``-th publication of ``version`` arrived."""
        async def wait():
            while len(self.published.get(version, ())) < count:
                self.arrived.clear()
                await self.arrived.wait()
            return self.published[version][count - 1][0]

        return await asyncio.wait_for(wait(), timeout)


_TIMING = re.compile(r" v(\d+): worker ([\d.]+) ms \(parse ([\d.]+) ms")
_ROUND_TRIP = re.compile(r" v(\d+): worker ([\d.]+) ms \(parse ([\d.]+) ms.*round trip ([\d.]+) ms")
_FAST = re.compile(r" v(\d+): quick answer, worker ([\d.]+) ms \(parse ([\d.]+) ms, [^)]*?(declaration unit|truncated unit)")


async def read_log(client: LanguageClient, timings: dict, echo: bool, trips: Optional[dict] = None) -> None:
    """The server's log (an undrained pipe would block the server once full), and the workers'
    own figures from it: per version, ("whole"|"declaration unit"|"truncated unit", wall ms, parse ms)."""
    stream = client._server.stderr
    while line := await stream.readline():
        text = line.decode(errors="replace")
        m = _ROUND_TRIP.search(text)
        if m and trips is not None:
            trips.setdefault(int(m.group(1)), (float(m.group(2)), float(m.group(3)), float(m.group(4)),
                                               "stored precompiled headers" in text))
        m = _FAST.search(text)
        if m:
            timings.setdefault(int(m.group(1)), []).append((m.group(4), float(m.group(2)), float(m.group(3))))
        else:
            m = _TIMING.search(text)
            if m:
                timings.setdefault(int(m.group(1)), []).append(("whole", float(m.group(2)), float(m.group(3))))
        if echo or "WARNING" in text or "ERROR" in text or "Traceback" in text:
            sys.stderr.write(text)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def first_open(source: str, folder: str, std: str, verbose: bool, wait_pch: bool) -> dict:
    """One server session that opens ``folder``/src/service.cpp and waits for its first diagnostics
    (then, with ``wait_pch``, for the worker to store the include block's precompiled headers in
    ``folder``/cache, the session's XDG_CACHE_HOME)."""
    cache = os.path.join(folder, "cache")
    path = os.path.join(folder, "src", "service.cpp")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    client = Client()
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    await client.start_io(sys.executable, "-m", "hotlint", "lsp", "--log-level", "info", env=env)
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri="file://" + os.path.dirname(path),
        initialization_options={"debounce": 0, "extraArgs": [f"-std={std}"]}))
    client.initialized(types.InitializedParams())
    timings: dict = {}
    trips: dict = {}
    forward = asyncio.ensure_future(read_log(client, timings, verbose, trips))
    opened = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri="file://" + path, language_id="cpp", version=1, text=source)))
    first = (await client.published_at(1) - opened) * 1000
    stored = None
    if wait_pch:
        until = time.perf_counter() + 60
        while time.perf_counter() < until and not glob.glob(os.path.join(cache, "hotlint", "pch", "*.json")):
            await asyncio.sleep(0.05)
        stored = bool(glob.glob(os.path.join(cache, "hotlint", "pch", "*.json")))
    for _ in range(40):  # the server logs the worker's figures just after it publishes
        if 1 in trips:
            break
        await asyncio.sleep(0.05)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    forward.cancel()
    worker, parse, trip, loaded = trips.get(1, (float("nan"),) * 3 + (False,))
    return {"first": first, "worker": worker, "parse": parse, "trip": trip, "loaded": loaded, "stored": stored}


def first_parse(source: str, sessions: int, std: str, verbose: bool) -> tuple[bool, Optional[str]]:
    """Cold and warm first parses, ``sessions`` pairs (each pair opens one file path with one
    cache); whether warm meets the target, and the last pair's folder (for the edit runs)."""
    cold, warm, caches = [], [], []
    for _ in range(sessions):
        folder = tempfile.mkdtemp(prefix="hotlint-lsp-bench-")
        caches.append(folder)
        cold.append(asyncio.run(first_open(source, folder, std, verbose, True)))
        warm.append(asyncio.run(first_open(source, folder, std, verbose, False)))
    print(f"first parse (didOpen to first publishDiagnostics), {sessions} session(s) each, medians:")

    def line(label: str, runs: list) -> float:
        med = {k: statistics.median(r[k] for r in runs) for k in ("first", "worker", "parse", "trip")}
        every = ", ".join(f"{r['first']:.0f}" for r in runs)
        print(f"  {label}: {med['first']:.0f} ms (all: {every}); "
              f"worker {med['worker']:.0f} ms = parse {med['parse']:.0f} ms + analysis "
              f"{med['worker'] - med['parse']:.0f} ms; server and publish {med['first'] - med['worker']:.0f} ms "
              f"(round trip {med['trip']:.0f} ms)")
        return med["first"]

    cold_ms = line("cold (no stored precompiled headers)", cold)
    warm_ms = line("warm (a second session, headers stored by the first)", warm)
    stored = sum(1 for r in cold if r["stored"])
    loaded = sum(1 for r in warm if r["loaded"])
    ok = warm_ms <= TARGETS["first"]
    print(f"  stored after {stored}/{sessions} cold sessions; loaded in {loaded}/{sessions} warm sessions; "
          f"warm/cold {warm_ms / cold_ms:.2f}; cold -> {'PASS' if cold_ms <= TARGETS['first'] else 'FAIL'}, "
          f"warm -> {'PASS' if ok else 'FAIL'} (target <= {TARGETS['first']:.0f} ms)")
    for cache in caches[:-1]:
        shutil.rmtree(cache, ignore_errors=True)
    return ok, caches[-1] if caches else None


async def run(source: str, edits: int, debounce: float, keep: Optional[str], verbose: bool, std: str,
              fast: bool, marker: str, shared: str) -> dict:
    """One session of edits, on ``shared``/src/service.cpp with ``shared``/cache as XDG_CACHE_HOME."""
    folder = os.path.join(shared, "src")
    os.makedirs(folder, exist_ok=True)
    path = keep or os.path.join(folder, "service.cpp")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    lines = source.split("\n")
    edit_line = next(i for i, line in enumerate(lines) if line.endswith("// EDIT " + marker))
    uri = "file://" + os.path.abspath(path)

    client = Client()
    env = {**os.environ, "HOTLINT_FAST_UNITS": "1" if fast else "0"}
    env["XDG_CACHE_HOME"] = os.path.join(shared, "cache")
    await client.start_io(sys.executable, "-m", "hotlint", "lsp", "--log-level", "info", env=env)
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri="file://" + folder,
        initialization_options={"debounce": debounce, "extraArgs": [f"-std={std}"]}))
    client.initialized(types.InitializedParams())

    timings: dict = {}
    forward = asyncio.ensure_future(read_log(client, timings, verbose))
    opened = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="cpp", version=1, text=source)))
    first = await client.published_at(1) - opened

    latencies = []
    old = lines[edit_line]
    for n in range(edits):
        version = n + 2
        new = re.sub(r"= \d+;", f"= {n + 2};", old)
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=edit_line, character=0),
                                  end=types.Position(line=edit_line, character=len(old))),
                text=new)]))
        old = new
        latencies.append(await client.published_at(version) - sent)
    last = edits + 1
    # the whole-file analysis of the last version follows a quick answer: wait for it (or a second)
    try:
        await client.published_at(last, 2, timeout=5 if fast else 0.5)
    except asyncio.TimeoutError:
        pass
    corrected = [v for v, pubs in client.published.items() if len(pubs) > 1 and pubs[0][1] != pubs[-1][1]]

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    forward.cancel()
    return {"first": first * 1000, "ms": [x * 1000 for x in latencies], "corrected": corrected,
            "twice": sum(1 for v in range(2, last + 1) if len(client.published.get(v, ())) > 1),
            "counts": sorted({len(client.published[v][0][1]) for v in range(1, last + 1)}),
            "worker": [t for v in range(2, last + 1) for t in timings.get(v, ())]}


def verdict(stats: dict) -> tuple[bool, str]:
    ms = stats["ms"]
    figures = {"first": stats["first"], "median": statistics.median(ms), "p95": percentile(ms, 0.95)}
    missed = [f"{k} {figures[k]:.0f} > {TARGETS[k]:.0f} ms" for k in TARGETS if figures[k] > TARGETS[k]]
    return not missed, "PASS" if not missed else "FAIL (" + "; ".join(missed) + ")"


def report(label: str, stats: dict) -> bool:
    ms = stats["ms"]
    ok, said = verdict(stats)
    print(f"{label}: first parse {stats['first']:.0f} ms; {len(ms)} edits: median {statistics.median(ms):.0f} ms, "
          f"p95 {percentile(ms, 0.95):.0f} ms, min {min(ms):.0f} ms, max {max(ms):.0f} ms  -> {said}")
    for kind in ("declaration unit", "truncated unit", "whole"):
        rows = [t for t in stats["worker"] if t[0] == kind]
        if rows:
            wall, parse = (statistics.median(t[i] for t in rows) for i in (1, 2))
            what = "whole-file analyses" if kind == "whole" else f"quick answers from the {kind}"
            print(f"    {len(rows):3d} {what}: in the worker, median {wall:.0f} ms of which parsing {parse:.0f} ms")
    print(f"    findings per version {stats['counts']}; {stats['twice']} version(s) published twice (quick, then "
          f"whole file); quick answers the whole file corrected: {len(stats['corrected'])}"
          + (f" (versions {stats['corrected']})  <-- DIFFERENT" if stats["corrected"] else ""))
    return ok and not stats["corrected"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--edits", type=int, default=30)
    p.add_argument("--repeat", type=int, default=1, help="runs per position (each in a fresh server)")
    p.add_argument("--components", type=int, default=8,
                   help="classes in the generated file, about 50 lines each (default 8: some 420 lines)")
    p.add_argument("--debounce", type=float, default=0, help="milliseconds (default 0: measure the analysis)")
    p.add_argument("--std", default="c++20", help="the language standard (default c++20, hotlint's default)")
    p.add_argument("--positions", default="first,middle,last",
                   help="where the edits go: the first component's function, the middle one's, the last "
                        "function (hot_path); default all three")
    p.add_argument("--compare", action="store_true",
                   help="also run each position with quick answers off (HOTLINT_FAST_UNITS=0)")
    p.add_argument("--sessions", type=int, default=3,
                   help="cold and warm first-parse sessions (default 3 of each; 0: none)")
    p.add_argument("--keep", metavar="FILE", help="write the generated source here and keep it")
    p.add_argument("-v", "--verbose", action="store_true", help="print the server's log (each analysis's timings)")
    ns = p.parse_args()
    source = realistic_source(ns.components)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"file: {source.count(chr(10))} lines, {len(HEADERS)} standard headers, -std={ns.std}; "
          f"{ns.edits} edits of one function body per run, each waiting for its diagnostics; debounce "
          f"{ns.debounce:g} ms; targets: first parse <= {TARGETS['first']:.0f} ms, median <= {TARGETS['median']:.0f} "
          f"ms, p95 <= {TARGETS['p95']:.0f} ms" + (f"; load average {load:.2f} on {os.cpu_count()} cores" if load
                                                  is not None else ""))
    where = {"last": "hot_path", "middle": f"component {ns.components // 2}", "first": "component 0"}
    modes = [True, False] if ns.compare else [True]
    passed, cache = True, None
    if ns.sessions > 0:
        passed, cache = first_parse(source, ns.sessions, ns.std, ns.verbose)
    if cache is None:
        cache = tempfile.mkdtemp(prefix="hotlint-lsp-bench-cache-")
    for position in ns.positions.split(","):
        for fast in modes:
            for r in range(ns.repeat):
                stats = asyncio.run(run(source, ns.edits, ns.debounce, ns.keep, ns.verbose, ns.std, fast,
                                        where[position], cache))
                label = f"{position} function ({where[position]})" + ("" if fast else ", quick answers off")
                if ns.repeat > 1:
                    label += f", run {r + 1}"
                ok = report(label, stats)
                if fast:
                    passed = passed and ok
    shutil.rmtree(cache, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average {load:.2f} on {os.cpu_count()} cores")
    print("all positions within the targets" if passed else "NOT all positions within the targets")
    if ns.debounce == 0:
        print("an editor adds its debounce (default 250 ms) on top of these figures")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
