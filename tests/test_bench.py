"""The benchmark pairs behind every rule, and `hotlint bench` itself (no timing assertions)."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from conftest import ROOT, run_cli, run_json
from hotlint import bench
from hotlint.rule import load_rules

RULES = load_rules().names()
PAIRS = bench.discover()


def test_every_rule_has_a_pair():
    assert sorted(PAIRS) == sorted(RULES)


@pytest.fixture(scope="module")
def built():
    cxx = bench.find_compiler()
    with tempfile.TemporaryDirectory() as tmp:
        for pair in PAIRS.values():
            bench.build(pair, cxx, bench.compile_flags(False), tmp)
        yield PAIRS


@pytest.mark.parametrize("rule", sorted(PAIRS))
def test_pair_compiles_runs_short_and_agrees(built, rule):
    pair = built[rule]
    results = {p.name: bench.run_program(p, quick=True)[0] for p in pair.programs}
    assert len(set(results.values())) == 1, results
    bench.verify(pair, quick=True)  # the same check `hotlint bench` makes before timing


@pytest.mark.parametrize("rule", sorted(PAIRS))
def test_slow_program_is_flagged_and_fast_is_clean(rule):
    pair = PAIRS[rule]
    rel = os.path.relpath(pair.directory, ROOT)
    _, slow = run_json("--min-severity", "info", "--no-cache", f"{rel}/slow.cpp")
    assert not slow["errors"]
    assert rule in {d["rule"] for d in slow["diagnostics"]}
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


def test_cachegrind_counts_are_read(built):
    """Simulated cache counts, where hardware counters are absent (valgrind is installed by .ci/run)."""
    pair = built["padding-waste"]
    slow, fast = bench.cachegrind(pair.slow), bench.cachegrind(pair.fast)
    for counts in (slow, fast):
        assert counts["instructions"] > 0 and counts["d1_misses"] > 0, counts
    assert slow["d1_misses"] > fast["d1_misses"]  # the wasteful layout misses more: deterministic
