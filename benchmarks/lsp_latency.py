"""Edit-to-diagnostics latency of ``hotlint lsp`` on a realistic file.

Starts the real server on stdio, opens a generated C++ file of several hundred lines
behind heavy standard-library headers, then edits one function body 50 times
(each edit waits for its diagnostics) and prints the first-parse time and the
median and 95th percentile from ``didChange`` to the matching
``publishDiagnostics``. The debounce is 0 ms by default (set through
``initializationOptions``) so the figures measure the analysis; an editor adds
its configured debounce (250 ms unless changed) on top.

It runs the server twice in one go, so the two stand side by side: as shipped
(prefix units on: after the first edits, a unit cut above the edited function is
built in the background and later edits reparse only the part below the cut),
and with prefix units off (``HOTLINT_PREFIX_UNITS=0``: every edit reparses the
whole file with its precompiled preamble).

    python benchmarks/lsp_latency.py [--edits 50] [--debounce 0] [--components 8] [--std c++20]
                                     [--only on|off] [--positions last,middle,first] [--keep FILE] [-v]

With prefix units on it edits three places in turn, each in a fresh server: the last
function (everything above the cut, the best case), the middle component's function, and
the first component's (almost the whole file is below the cut: no gain).

Target: median under 150 ms after the first parse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time

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


class Client(LanguageClient):
    def __init__(self):
        super().__init__("hotlint-lsp-latency", "1")
        self.published: dict[int, float] = {}
        self.counts: dict[int, int] = {}
        self.arrived = asyncio.Event()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams):
            if params.version is not None:
                self.published[params.version] = time.perf_counter()
                self.counts[params.version] = len(params.diagnostics)
                self.arrived.set()

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams):
            print(f"server: {params.message}", file=sys.stderr)

    async def published_at(self, version: int, timeout: float = 300) -> float:
        async def wait():
            while version not in self.published:
                self.arrived.clear()
                await self.arrived.wait()
            return self.published[version]

        return await asyncio.wait_for(wait(), timeout)


_TIMING = re.compile(r" v(\d+): worker ([\d.]+) ms \(parse ([\d.]+) ms([^;]*); cpu ([\d.]+) ms")


async def read_log(client: LanguageClient, timings: dict, echo: bool) -> None:
    """The server's log (an undrained pipe would block the server once full), and the worker's
    own figures for each version from it: wall, parse and CPU milliseconds."""
    stream = client._server.stderr
    while line := await stream.readline():
        text = line.decode(errors="replace")
        m = _TIMING.search(text)
        if m:
            timings[int(m.group(1))] = (float(m.group(2)), float(m.group(3)), float(m.group(5)),
                                        "below the cut" in m.group(4))
        elif echo or "WARNING" in text or "ERROR" in text:
            sys.stderr.write(text)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def run(source: str, edits: int, debounce: float, keep: str | None, verbose: bool, std: str,
              prefix_units: bool, marker: str) -> dict:
    folder = tempfile.mkdtemp(prefix="hotlint-lsp-bench-")
    path = keep or os.path.join(folder, "service.cpp")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    lines = source.split("\n")
    edit_line = next(i for i, line in enumerate(lines) if line.endswith("// EDIT " + marker))
    uri = "file://" + os.path.abspath(path)

    client = Client()
    env = {**os.environ, "HOTLINT_PREFIX_UNITS": "1" if prefix_units else "0"}
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
    counts = {client.counts[v] for v in range(1, edits + 2)}

    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    forward.cancel()
    if not keep:
        os.unlink(path)
        os.rmdir(folder)
    return {"first": first * 1000, "ms": [x * 1000 for x in latencies], "diagnostics": counts,
            "worker": [timings[v] for v in range(2, edits + 2) if v in timings]}


def report(label: str, stats: dict) -> None:
    ms = stats["ms"]
    print(f"{label}: first parse {stats['first']:.0f} ms; {len(ms)} edits: median {statistics.median(ms):.0f} ms, "
          f"p95 {percentile(ms, 0.95):.0f} ms, min {min(ms):.0f} ms, max {max(ms):.0f} ms")
    for tail, name in ((True, "below the cut (prefix unit)"), (False, "whole file")):
        rows = [t for t in stats["worker"] if t[3] == tail]
        if rows:
            wall, parse, cpu = (statistics.median(t[i] for t in rows) for i in range(3))
            print(f"    {len(rows):3d} edits reparsed {name}: in the worker, median {wall:.0f} ms per analysis "
                  f"of which reparse {parse:.0f} ms ({cpu:.0f} ms CPU)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--edits", type=int, default=50)
    p.add_argument("--components", type=int, default=8,
                   help="classes in the generated file, about 50 lines each (default 8: some 420 lines)")
    p.add_argument("--debounce", type=float, default=0, help="milliseconds (default 0: measure the analysis)")
    p.add_argument("--std", default="c++20", help="the language standard (default c++20, hotlint's default)")
    p.add_argument("--only", choices=("on", "off"), help="run one configuration: prefix units on or off")
    p.add_argument("--positions", default="last,middle,first",
                   help="where the edits go with prefix units on: the last function (hot_path), the middle "
                        "component's or the first one's; the further up, the more a prefix unit reparses "
                        "(default: all three)")
    p.add_argument("--keep", metavar="FILE", help="write the generated source here and keep it")
    p.add_argument("-v", "--verbose", action="store_true", help="print the server's log (each analysis's timings)")
    ns = p.parse_args()
    source = realistic_source(ns.components)
    print(f"file: {source.count(chr(10))} lines, {len(HEADERS)} standard headers, -std={ns.std}; "
          f"{ns.edits} edits of one function body, each waiting for its diagnostics; debounce {ns.debounce:g} ms")
    where = {"last": "hot_path", "middle": f"component {ns.components // 2}", "first": "component 0"}
    runs = [("off", "last")] if ns.only != "on" else []
    if ns.only != "off":
        runs += [("on", p) for p in ns.positions.split(",")]
    results = {}
    for mode, position in runs:
        stats = asyncio.run(run(source, ns.edits, ns.debounce, ns.keep, ns.verbose, ns.std, mode == "on",
                                where[position]))
        results[(mode, position)] = stats
        report(f"prefix units {mode}, editing the {position} function ({where[position]})", stats)
    if ("off", "last") in results and ("on", "last") in results:
        off, on = (statistics.median(results[(m, "last")]["ms"]) for m in ("off", "on"))
        print(f"median edit-to-diagnostics in the last function: {on:.0f} ms with prefix units, {off:.0f} ms "
              f"without ({off / on:.2f}x); target < 150 ms")
    counts = {key: sorted(r["diagnostics"]) for key, r in results.items() if key[1] == "last"}
    if len(counts) == 2:
        same = counts[("on", "last")] == counts[("off", "last")]
        print(f"diagnostics per version: {counts[('on', 'last')]} with prefix units, {counts[('off', 'last')]} "
              "without" + ("" if same else "  <-- DIFFERENT"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average {load:.2f} on {os.cpu_count()} cores")
    if ns.debounce == 0:
        print("an editor adds its debounce (default 250 ms) on top of these figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
