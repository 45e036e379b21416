"""The benchmark pairs behind every rule, and `hotlint bench` itself (no timing assertions)."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from conftest import ROOT, run_cli, run_json, write
from hotlint import bench
from hotlint.rule import load_rules

RULES = load_rules().names()
PAIRS = bench.discover()


def test_every_rule_has_a_pair():
    assert sorted(k for k, p in PAIRS.items() if p.case is None) == sorted(RULES)
    for key, pair in PAIRS.items():  # sub-cases: bench_fixtures/<rule>/<case>/, named rule/case
        assert pair.rule in RULES and key == (f"{pair.rule}/{pair.case}" if pair.case else pair.rule)


@pytest.fixture(scope="module")
def built():
    """Every pair built as `hotlint bench` builds it: with the compiler it asks for (clang for
    ``// bench-compiler: clang``), a pair whose compiler is missing left unbuilt."""
    cxx = bench.find_compiler()
    with tempfile.TemporaryDirectory() as tmp:
        for pair in PAIRS.values():
            try:
                bench.build(pair, bench.pair_compiler(pair, cxx), bench.compile_flags(False), tmp)
            except bench.NoCompiler:
                pass
        yield PAIRS


@pytest.mark.parametrize("rule", sorted(PAIRS))
def test_pair_compiles_runs_short_and_agrees(built, rule):
    pair = built[rule]
    if pair.compiler == "clang" and bench.find_clang() is None:
        pytest.skip(f"{rule} is built with clang: {bench.NO_CLANG}")
    results = {p.name: bench.run_program(p, quick=True)[0] for p in pair.programs}
    assert len(set(results.values())) == 1, results
    bench.verify(pair, quick=True)  # the same check `hotlint bench` makes before timing


@pytest.mark.parametrize("rule", sorted(PAIRS))
def test_slow_program_is_flagged_and_fast_is_clean(rule):
    pair = PAIRS[rule]
    rel = os.path.relpath(pair.directory, ROOT)
    _, slow = run_json("--min-severity", "info", "--no-cache", f"{rel}/slow.cpp")
    assert not slow["errors"]
    assert pair.rule in {d["rule"] for d in slow["diagnostics"]}
    for p in pair.programs[1:]:
        proc, fast = run_json("--min-severity", "info", "--no-cache", os.path.relpath(p.source, ROOT))
        assert not fast["errors"]
        assert fast["diagnostics"] == [], [(d["rule"], d["line"], d["message"]) for d in fast["diagnostics"]]


def test_a_pair_that_disagrees_is_an_error(tmp_path):
    d = tmp_path / "some-rule"
    d.mkdir()
    (tmp_path / "harness.h").write_text((ROOT / "bench_fixtures" / "harness.h").read_text())
    body = ('#include "../harness.h"\nint main(int argc, char** argv) {{ auto m = bench::parse_mode(argc, argv); '
            'unsigned long long v = {}; (void)m; std::printf("checksum %llu\\nelapsed_ns 1\\n", v); }}\n')
    (d / "slow.cpp").write_text(body.format(1))
    (d / "fast.cpp").write_text(body.format(2))
    pair = bench.discover(str(tmp_path))["some-rule"]
    bench.build(pair, bench.find_compiler(), bench.compile_flags(False), str(tmp_path))
    with pytest.raises(bench.BenchError, match="disagree"):
        bench.verify(pair, quick=True)


def test_bench_command_quick_mode():
    proc = run_cli("bench", "--quick", "padding-waste", "aos-layout")
    assert proc.returncode == 0, proc.stderr
    assert "padding-waste: checksums agree (quick mode)" in proc.stdout
    assert "aos-layout: checksums agree (quick mode)" in proc.stdout


def test_bench_writes_results_that_diagnostics_and_docs_cite(tmp_path):
    results = tmp_path / "RESULTS.json"
    env = {"HOTLINT_BENCH_RESULTS": str(results)}
    proc = run_cli("bench", "padding-waste", "--rounds", "1", "--warmup", "0", "--format", "json",
                   "--output", str(tmp_path / "out"), env=env)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    entry = data["rules"]["padding-waste"]
    assert entry["slow_ns"] > 0 and entry["fast_ns"] > 0 and entry["ratio_min"] <= entry["ratio"] <= entry["ratio_max"]
    assert data["run"]["flags"].startswith("-O2")
    saved = json.loads(results.read_text())
    assert saved["rules"]["padding-waste"]["ratio"] == entry["ratio"]
    assert (tmp_path / "out" / "RESULTS.md").read_text().startswith("# Measured evidence")
    doc = run_cli("rule", "padding-waste", env=env)
    assert f"slow/fast measured {entry['ratio']:.2f}x" in doc.stdout
    _, lint = run_json("--min-severity", "info", "--no-cache", "bench_fixtures/padding-waste/slow.cpp", env=env)
    ev = [d["evidence"] for d in lint["diagnostics"] if d["rule"] == "padding-waste"]
    assert ev and ev[0].startswith(f"slow/fast measured {entry['ratio']:.2f}x")


def test_unknown_rule_is_a_usage_error():
    proc = run_cli("bench", "no-such-rule")
    assert proc.returncode == 3 and "no benchmark pair for no-such-rule" in proc.stderr


def test_callgrind_counts_the_kernel_alone(built):
    """Simulated counts where hardware counters are absent (valgrind is installed by .ci/run): with
    the harness's markers only the kernel is counted, so set-up and the checksum are left out."""
    assert bench.kernel_markers(bench.find_compiler())  # valgrind's callgrind.h comes with valgrind
    pair = built["padding-waste"]
    slow, fast = bench.callgrind(pair.slow), bench.callgrind(pair.fast)
    for counts in (slow, fast):
        assert counts["instructions"] > 0 and counts["d1_misses"] > 0 and counts["kernel_only"], counts
    assert slow["d1_misses"] > fast["d1_misses"]  # the wasteful layout misses more: deterministic
    whole = bench.callgrind(pair.slow, kernel_only=False)
    assert whole["instructions"] > slow["instructions"] and not whole["kernel_only"]
    verdict = bench.counts_verdict(slow, fast, ratio=1.5)
    assert verdict["agree"] and verdict["estimated_ratio"] > 1.05
    # the clock says faster, the counts do not: said, not hidden
    assert not bench.counts_verdict(slow, slow, ratio=3.0)["agree"]


def _pair_with_times(threads: int, cpu_per_wall: list[float]) -> bench.Pair:
    times = [100_000_000] * len(cpu_per_wall)
    progs = [bench.Program(name, f"{name}.cpp", times=list(t), cpu=[int(c * x) for c, x in zip(cpu_per_wall, t)],
                           switches=[3] * len(times))
             for name, t in (("slow", [x * 3 for x in times]), ("fast", times))]
    return bench.Pair("false-sharing", ".", progs, threads=threads)


def test_rounds_where_threads_took_turns_are_rejected():
    ran_together = _pair_with_times(2, [1.9, 1.95, 1.2, 1.9, 1.85])
    assert bench.concurrent_rounds(ran_together) == [True, True, False, True, True]
    entry = bench.summarize(ran_together, None)
    assert entry["rounds"] == 4 and entry["rejected_rounds"] == 1 and entry["ratio"] == pytest.approx(3.0)
    took_turns = bench.summarize(_pair_with_times(2, [1.0, 1.05, 1.1, 1.9, 1.0]), None)
    assert took_turns["measured"] is False and "ran at once in 1 of 5 rounds" in took_turns["verdict"]
    assert bench.concurrent_rounds(_pair_with_times(1, [1.0, 1.0])) == [True, True]


def test_a_run_replaces_only_what_it_measured_and_not_with_noisier_figures(tmp_path):
    path = str(tmp_path / "RESULTS.json")
    run_a = {"date": "a", "flags": "-O2", "cpu": "first"}
    steady = {"ratio": 2.0, "ratio_min": 1.9, "ratio_max": 2.1, "interval": [1.95, 2.05]}
    bench.write_results({"run": run_a, "rules": {"r1": dict(steady), "r2": dict(steady)}}, path)
    run_b = {"date": "b", "flags": "-O2 -march=native", "cpu": "second"}
    noisy = {"ratio": 3.0, "ratio_min": 1.0, "ratio_max": 5.0, "interval": [1.2, 4.0]}
    kept = bench.write_results({"run": run_b, "rules": {"r1": dict(noisy)}}, path)
    saved = json.loads((tmp_path / "RESULTS.json").read_text())["rules"]
    assert saved["r1"]["ratio"] == 2.0 and saved["r1"]["run"]["cpu"] == "first" and "noisier" in kept[0]
    bench.write_results({"run": run_b, "rules": {"r1": dict(noisy)}}, path, replace_noisier=True)
    saved = json.loads((tmp_path / "RESULTS.json").read_text())["rules"]
    # r1 replaced, with the run that measured it; r2 untouched although the flags differ
    assert saved["r1"]["ratio"] == 3.0 and saved["r1"]["run"]["cpu"] == "second"
    assert saved["r2"]["ratio"] == 2.0 and saved["r2"]["run"]["cpu"] == "first"
    kept = bench.write_results({"run": run_b, "rules": {"r2": {"measured": False, "verdict": "not measured: x"}}}, path)
    assert json.loads((tmp_path / "RESULTS.json").read_text())["rules"]["r2"]["ratio"] == 2.0 and kept


def test_results_say_where_they_were_measured(tmp_path):
    results = tmp_path / "RESULTS.json"
    proc = run_cli("bench", "padding-waste", "--rounds", "1", "--warmup", "0", "--format", "json",
                   env={"HOTLINT_BENCH_RESULTS": str(results)})
    assert proc.returncode == 0, proc.stderr
    run = json.loads(results.read_text())["rules"]["padding-waste"]["run"]
    for key in ("cpu", "caches", "cores", "hypervisor", "compiler_version", "flags", "load_average", "rounds"):
        assert key in run, key
    assert run["caches"].get("L1d")
    programs = json.loads(proc.stdout)["rules"]["padding-waste"]["programs"]
    assert programs["slow"]["cpu_ns"] > 0 and programs["slow"]["context_switches"] >= 0


def test_a_finding_cites_its_own_sub_case(tmp_path, monkeypatch):
    """seq_cst loads compile alike under every order on x86-64: a load finding cites the load pair's
    figure, never the store pair's gain; a sub-case nobody measured says so instead of borrowing."""
    from hotlint import evidence

    results = tmp_path / "RESULTS.json"
    run = {"compiler": "g++ 12", "flags": "-O2", "cpu": "Some CPU", "cores": 2}
    store = {"ratio": 3.5, "ratio_min": 3.1, "ratio_max": 3.9, "run": run}
    load = {"ratio": 1.0, "ratio_min": 0.97, "ratio_max": 1.03, "run": run, "note": "identical machine code"}
    results.write_text(json.dumps({"run": run, "rules": {"seq-cst-default": store, "seq-cst-default/load": load}}))
    monkeypatch.setenv("HOTLINT_BENCH_RESULTS", str(results))
    assert evidence.evidence_for("seq-cst-default").startswith("slow/fast measured 3.50x")
    cited = evidence.evidence_for("seq-cst-default", "load")
    assert cited.startswith("sub-case load: slow/fast measured 1.00x") and "no gain measured here" in cited
    assert "identical machine code" in cited and "3.50" not in cited
    assert evidence.evidence_for("seq-cst-default", "rmw") == (
        "sub-case rmw not measured yet: `hotlint bench seq-cst-default/rmw` measures it")
    # a finding on the load pair's slow program carries the case through the whole pipeline
    _, lint = run_json("--select", "seq-cst-default", "--min-severity", "info", "--no-cache",
                       "bench_fixtures/seq-cst-default/load/slow.cpp", env={"HOTLINT_BENCH_RESULTS": str(results)})
    assert [(d["evidence_case"], d["evidence"]) for d in lint["diagnostics"]] == [("load", cited)]


def test_a_pair_that_asks_for_clang_is_built_with_clang_or_not_measured(monkeypatch, capsys):
    pair = PAIRS["aliasing-vectorization/clang"]
    assert pair.compiler == "clang" and PAIRS["aliasing-vectorization"].compiler is None
    assert bench.pair_compiler(PAIRS["aliasing-vectorization"], ["g++"]) == ["g++"]
    monkeypatch.setenv("HOTLINT_BENCH_CLANG", "my-clang++ --gcc-toolchain=x")
    assert bench.pair_compiler(pair, ["g++"]) == ["my-clang++", "--gcc-toolchain=x"]
    # no clang anywhere: never built with g++ instead, and said so
    monkeypatch.setattr(bench, "find_clang", lambda: None)
    with pytest.raises(bench.NoCompiler, match="no clang found"):
        bench.pair_compiler(pair, ["g++"])
    assert bench.main(["aliasing-vectorization/clang", "--quick"]) == bench.EXIT_OK
    assert f"aliasing-vectorization/clang: {bench.NO_CLANG}" in " ".join(capsys.readouterr().out.split())


def test_the_record_of_a_clang_pair_names_clang(tmp_path):
    if bench.find_clang() is None:
        pytest.skip(bench.NO_CLANG)
    results = tmp_path / "RESULTS.json"
    proc = run_cli("bench", "aliasing-vectorization/clang", "--rounds", "1", "--warmup", "0", "--format", "json",
                   env={"HOTLINT_BENCH_RESULTS": str(results)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    run = data["rules"]["aliasing-vectorization/clang"]["run"]
    assert run["compiler"].startswith("clang++") and "clang" in run["compiler_version"], run
    assert "clang" not in data["run"]["compiler_version"] or bench.find_compiler() == ["clang++"]


def test_latency_percentiles_a_program_prints_are_recorded():
    lat = [{"new_p50": 30, "new_p99": 2093}, {"new_p50": 31, "new_p99": 2294}, {"new_p50": 29, "new_p99": 9000}]
    pair = _pair_with_times(1, [1.0, 1.0, 1.0])
    pair.slow.latencies = lat
    entry = bench.summarize(pair, None)
    assert entry["programs"]["slow"]["latency_ns"] == {"new_p50": 30, "new_p99": 2294}
    assert "latency_ns" not in entry["programs"]["fast"]
    assert dict(bench._LATENCY.findall("checksum 1\nlatency_free_p999_ns 581\nelapsed_ns 5\n")) == {"free_p999": "581"}


def test_a_unit_built_with_clang_cites_the_clang_pair(tmp_path):
    """clang -O2 vectorizes the byte loop behind a run-time overlap check: a finding in a unit the
    database compiles with clang cites the clang pair, one compiled with g++ the g++ pair."""
    from hotlint.compdb import compiler_family

    assert [compiler_family([c]) for c in ("/usr/bin/clang++-17", "g++-12", "c++", "cl.exe", "")] == \
        ["clang", "gcc", "gcc", "", ""]
    results = tmp_path / "RESULTS.json"
    run = {"compiler": "g++ 12", "flags": "-O2", "cores": 2}
    results.write_text(json.dumps({"run": run, "rules": {
        "aliasing-vectorization": {"ratio": 13.0, "ratio_min": 12.0, "ratio_max": 14.0, "run": run},
        "aliasing-vectorization/clang": {"ratio": 0.99, "ratio_min": 0.95, "ratio_max": 1.03,
                                         "run": {**run, "compiler": "clang++ 22"}}}}))
    write(tmp_path / "x.cpp", "#include <cstddef>\n#include <cstdint>\n"
          "void xor_bytes(std::uint8_t* out, const std::uint8_t* key, std::size_t n) {\n"
          "    for (std::size_t i = 0; i < n; ++i) out[i] ^= key[i];\n}\n")
    cited = {}
    for compiler in ("clang++", "g++"):
        (tmp_path / "compile_commands.json").write_text(json.dumps([{
            "directory": str(tmp_path), "file": "x.cpp", "arguments": [compiler, "-std=c++17", "-O2", "-c", "x.cpp"]}]))
        _, data = run_json("--no-cache", "--min-severity", "info", "x.cpp", cwd=tmp_path,
                           env={"HOTLINT_BENCH_RESULTS": str(results)})
        (d,) = [d for d in data["diagnostics"] if d["rule"] == "aliasing-vectorization"]
        cited[compiler] = (d.get("evidence_case"), d["evidence"].split(",")[0])
    assert cited == {"clang++": ("clang", "sub-case clang: slow/fast measured 0.99x (min 0.95"),
                     "g++": (None, "slow/fast measured 13.00x (min 12.00")}
