"""Findings ranked by a profile (hotlint.rank, `--profile`, `--min-severity`): a small program with
the same two patterns (a heap buffer per iteration, a seq_cst counter) on a hot loop and on a cold
set-up loop is built, run under callgrind and linted with the profile; its perf script text and
folded stacks (hand-written fixtures of the same program) must rank it the same way."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import markers, run_cli, run_json
from hotlint.model import Diagnostic, Measurement, Range, Severity, Where
from hotlint.rank import Ranker, at_least, hidden_summary, parse_threshold, percent

DATA = Path(__file__).resolve().parent / "data" / "rank"
PROGRAM = DATA / "ledger"
LEDGER = markers(PROGRAM / "ledger.cpp")
MAIN = markers(PROGRAM / "main.cpp")
HOT = {("alloc-in-loop", LEDGER["hot-alloc"]), ("seq-cst-default", LEDGER["hot-counter"])}
COLD = {("alloc-in-loop", LEDGER["cold-alloc"]), ("seq-cst-default", LEDGER["cold-counter"])}


def _copy(dest: Path) -> Path:
    for f in PROGRAM.iterdir():
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture(scope="module")
def callgrind(tmp_path_factory):
    """The program built with g++ -g -O1 and its callgrind profile (``callgrind.out``)."""
    out = _copy(tmp_path_factory.mktemp("ledger"))
    subprocess.run(["g++", "-g", "-O1", "-o", "prog", "main.cpp", "ledger.cpp"], cwd=out, check=True,
                   capture_output=True, timeout=300)
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=callgrind.out", "./prog"],
                          cwd=out, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def sources(tmp_path):
    """The program's sources alone, with the hand-written profiles beside them."""
    _copy(tmp_path)
    for name in ("ledger.perf.txt", "ledger.folded"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def ledger_findings(data: dict) -> dict[tuple[str, int], dict]:
    return {(d["rule"], d["line"]): d for d in data["diagnostics"] if d["path"] == "ledger.cpp"}


def ranking(data: dict) -> dict[tuple[str, int], str]:
    return {k: d["severity"] for k, d in ledger_findings(data).items()}


# ---------------------------------------------------------------------- callgrind, end to end


@pytest.mark.slow
def test_callgrind_profile_makes_the_hot_loop_errors_and_hides_the_cold_set_up(callgrind):
    _, plain = run_json("--no-cache", "--min-severity", "info", ".", cwd=callgrind)
    # without a profile nothing shows the set-up's loops repeat: its findings are infos (hidden
    # by default), and nothing measures which copy runs
    assert set(ledger_findings(plain)) == HOT | COLD
    assert {ranking(plain)[k] for k in COLD} == {"info"}
    assert all("profile" not in d for d in plain["diagnostics"])

    proc, data = run_json("--no-cache", "--profile", "callgrind.out", ".", cwd=callgrind)
    assert proc.returncode == 1, proc.stderr
    found = ledger_findings(data)
    assert set(found) == HOT  # the cold set-up's findings are infos: hidden by default
    for key in HOT:
        d = found[key]
        assert d["severity"] == "error"
        m = d["profile"]
        assert (m["file"], m["format"], m["unit"], m["hotness"], m["scope"]) == (
            "callgrind.out", "callgrind", "Ir", "hot", "loop")
        assert m["share"] > 0.5 and m["share"] <= m["function_share"] <= 1
        assert d["message"].endswith(f"(hot: {percent(m['share'])} of the callgrind profile)")
        assert d["where"]["function"]["qualified_name"] == "shop::Ledger::settle"
        assert d["where"]["loop"]["line"] == LEDGER["hot-loop"] + 1  # the inner range-for
    alloc = found[("alloc-in-loop", LEDGER["hot-alloc"])]
    assert alloc["profile"]["operation"] == "allocation"
    assert 0.05 < alloc["profile"]["operation_share"] < alloc["profile"]["share"]
    assert any(n.startswith("profile callgrind.out: this loop (lines ") and "of the profiled instructions" in n
               and f"the allocation on this line {percent(alloc['profile']['operation_share'])}" in n
               for n in alloc["notes"])

    _, everything = run_json("--no-cache", "--profile", "callgrind.out", "--min-severity", "info", ".",
                             cwd=callgrind)
    cold = ledger_findings(everything)
    for key in COLD:
        d = cold[key]
        assert d["severity"] == "info" and d["profile"]["hotness"] == "cold", d
        assert d["profile"]["share"] < 0.001
        assert re.search(r"\(cold: [0-9.]+% of the callgrind profile\)$", d["message"]), d["message"]
        assert d["where"]["function"]["qualified_name"] == "shop::Ledger::load"
    assert ranking(everything) == {**{k: "error" for k in HOT}, **{k: "info" for k in COLD}}

    text = run_cli("--no-cache", "--profile", "callgrind.out", ".", cwd=callgrind)
    assert "2 infos not shown (--min-severity info shows them)" in text.stdout
    assert "cold:" not in text.stdout and text.stdout.count("(hot: ") == 2

    # the figures the profile itself gives, by way of the profile package: the ranking agrees
    from hotlint.profile import load_profile

    p = load_profile(str(callgrind / "callgrind.out"))
    loop = found[("alloc-in-loop", LEDGER["hot-alloc"])]["where"]["loop"]
    assert found[("alloc-in-loop", LEDGER["hot-alloc"])]["profile"]["share"] == pytest.approx(
        p.line_share("ledger.cpp", loop["line"], loop["end_line"], inclusive=True))

    # the same ranking from the sampled profiles of the program, written by hand
    for name in ("ledger.perf.txt", "ledger.folded"):
        shutil.copy(DATA / name, callgrind / name)
        _, other = run_json("--no-cache", "--profile", name, "--min-severity", "info", ".", cwd=callgrind)
        assert ranking(other) == ranking(everything), name


# ---------------------------------------------------------------------- the hand-written profiles


def test_fixture_profiles_name_the_program_s_lines():
    folded = (DATA / "ledger.folded").read_text()
    assert f"settle(int) ledger.cpp:{LEDGER['hot-alloc']};operator new[]" in folded
    assert f"settle(int) ledger.cpp:{LEDGER['hot-counter']} " in folded
    assert f"_ZN4shop6Ledger4loadEi ledger.cpp:{LEDGER['cold-alloc']};_Znam" in folded
    assert f"main main.cpp:{MAIN['load-call']};_ZN4shop6Ledger4loadEi" in folded
    assert f"main main.cpp:{MAIN['settle-call']};shop::Ledger::settle" in folded


@pytest.mark.parametrize("name,scope", [("ledger.perf.txt", "function"), ("ledger.folded", "loop")])
def test_sampled_profiles_rank_hot_and_cold(sources, name, scope):
    proc, data = run_json("--no-cache", "--profile", name, "--min-severity", "info", ".", cwd=sources)
    assert proc.returncode == 1, proc.stderr
    assert ranking(data) == {**{k: "error" for k in HOT}, **{k: "info" for k in COLD}}
    found = ledger_findings(data)
    assert {found[k]["profile"]["scope"] for k in HOT} == {scope}
    fmt = "perf-script" if name.endswith(".txt") else "folded"
    assert all(found[k]["message"].endswith(f"of the {fmt} profile)") for k in HOT | COLD)
    # by default the cold set-up is left out and counted
    _, shown = run_json("--no-cache", "--profile", name, ".", cwd=sources)
    assert set(ledger_findings(shown)) == HOT


def test_folded_allocation_share_is_the_allocator_called_from_the_line(sources):
    _, data = run_json("--no-cache", "--profile", "ledger.folded", ".", cwd=sources)
    m = ledger_findings(data)[("alloc-in-loop", LEDGER["hot-alloc"])]["profile"]
    total = sum(int(line.rsplit(None, 1)[1]) for line in (DATA / "ledger.folded").read_text().splitlines())
    assert m["operation"] == "allocation" and m["operation_share"] == pytest.approx(1404 / total)
    counter = ledger_findings(data)[("seq-cst-default", LEDGER["hot-counter"])]["profile"]
    assert counter["operation"] == "line" and counter["operation_share"] == pytest.approx(428 / total)


def test_threshold_and_min_severity(sources):
    # a threshold above the loop's share: the hot findings are warm, so warnings
    _, data = run_json("--no-cache", "--profile", "ledger.folded", "--hot-threshold", "99.9%",
                       "--min-severity", "info", ".", cwd=sources)
    assert {ranking(data)[k] for k in HOT} == {"warning"}
    assert {ledger_findings(data)[k]["profile"]["hotness"] for k in HOT} == {"warm"}
    proc, data = run_json("--no-cache", "--profile", "ledger.folded", "--min-severity", "error", ".", cwd=sources)
    assert {(d["path"], d["severity"]) for d in data["diagnostics"]} == {("ledger.cpp", "error")}
    text = run_cli("--no-cache", "--profile", "ledger.folded", "--min-severity", "error", ".", cwd=sources)
    assert "1 warning, 2 infos not shown (--min-severity info shows them)" in text.stdout
    bad = run_cli("--profile", "ledger.folded", "--hot-threshold", "0", ".", cwd=sources)
    assert bad.returncode == 3 and "--hot-threshold must be a percentage above 0" in bad.stderr


def test_config_keys(sources):
    (sources / "profiles").mkdir()
    shutil.move(sources / "ledger.folded", sources / "profiles" / "ledger.folded")
    (sources / ".hotlint.toml").write_text('profile = ["profiles/ledger.folded"]\nmin-severity = "info"\n'
                                           'hot-threshold = 2\n')
    sub = sources / "elsewhere"
    sub.mkdir()
    # the profile's path is the configuration file's, not the working directory's
    _, data = run_json("--no-cache", "--config", str(sources / ".hotlint.toml"), str(sources), cwd=sub)
    found = {(d["rule"], d["line"]): d for d in data["diagnostics"] if d["path"].endswith("ledger.cpp")}
    assert {k: d["severity"] for k, d in found.items()} == {**{k: "error" for k in HOT},
                                                            **{k: "info" for k in COLD}}
    assert {d["profile"]["threshold"] for d in found.values()} == {0.02}
    # --profile replaces the configured one
    _, data = run_json("--no-cache", "--profile", "ledger.perf.txt", ".", cwd=sources)
    assert {d["profile"]["format"] for d in data["diagnostics"] if "profile" in d} == {"perf-script"}
    for bad, said in (('min-severity = "loud"', "`min-severity` must be one of info, warning, error"),
                      ('hot-threshold = "lots"', "`hot-threshold` must be a percentage"),
                      ("profile = 3", "`profile` must be a list"),
                      ("profile = [1]", "`profile` must be a list of strings")):
        (sources / ".hotlint.toml").write_text(bad + "\n")
        proc = run_cli("--no-cache", "ledger.cpp", cwd=sources)
        assert proc.returncode == 3 and said in proc.stderr, (bad, proc.stderr)


@pytest.mark.parametrize("content,said", [
    (None, "missing.out: error: profile does not exist"),
    ("hello\n", "missing.out: error: profile is not a profile hotlint can read"),
    ("events: Ir\nfl=a.cpp\nfn=f\n3 10\ntotals: 99\n", "missing.out: error: profile"),
])
def test_unusable_profile_is_an_error_naming_it(sources, content, said):
    if content is not None:
        (sources / "missing.out").write_text(content)
    proc = run_cli("--no-cache", "--profile", "missing.out", "ledger.cpp", cwd=sources)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert said in proc.stdout
    assert "1 profile could not be read" in proc.stdout and "could not be fully analyzed" not in proc.stdout
    proc, data = run_json("--no-cache", "--profile", "missing.out", "ledger.cpp", cwd=sources)
    assert proc.returncode == 2 and [e["kind"] for e in data["errors"]] == ["profile"]


def test_profile_of_other_code_is_a_note(sources):
    other = Path(__file__).resolve().parent / "data" / "profiles" / "program.folded"
    proc = run_cli("--no-cache", "--profile", str(other), "--min-severity", "info", ".", cwd=sources)
    notes = [line for line in proc.stderr.splitlines() if "matches none of the analyzed code" in line]
    assert len(notes) == 1 and "program.folded" in notes[0] and "`sim::World::step`" in notes[0], proc.stderr
    assert proc.returncode == 1
    assert "error:" not in proc.stdout  # nothing measured: no error, and every finding says so
    assert proc.stdout.count("(not in the folded profile)") == 4


def test_profile_from_another_machine_matches_by_file_name(sources):
    text = (DATA / "ledger.folded").read_text().replace("ledger.cpp:", "/home/dev/shop/src/ledger.cpp:")
    (sources / "abs.folded").write_text(text)
    _, data = run_json("--no-cache", "--profile", "abs.folded", "--min-severity", "info", ".", cwd=sources)
    assert ranking(data) == {**{k: "error" for k in HOT}, **{k: "info" for k in COLD}}


def test_sarif_carries_the_figures(sources):
    proc = run_cli("--no-cache", "--format", "sarif", "--profile", "ledger.folded", ".", cwd=sources)
    results = json.loads(proc.stdout)["runs"][0]["results"]
    hot = [r for r in results if r["level"] == "error"]
    assert len(hot) == 2
    for r in hot:
        fig = r["properties"]["hotlint/profile"]
        assert fig["hotness"] == "hot" and fig["file"] == "ledger.folded"
        assert r["rank"] == pytest.approx(fig["share"] * 100, abs=1e-3)


def test_default_hides_infos_without_a_profile(sources):
    (sources / "pad.cpp").write_text("struct R { char a; double b; char c; };\nR r[2];\n")
    proc, data = run_json("--no-cache", "pad.cpp", cwd=sources)
    assert data["diagnostics"] == [] and proc.returncode == 0
    text = run_cli("--no-cache", "pad.cpp", cwd=sources)
    assert "No findings in 1 file; 1 info not shown (--min-severity info shows it)." in text.stdout
    _, data = run_json("--no-cache", "--min-severity", "info", "pad.cpp", cwd=sources)
    assert [(d["rule"], d["severity"]) for d in data["diagnostics"]] == [("padding-waste", "info")]


# ---------------------------------------------------------------------- the stage's own rules


def _diag(severity, hotness=1, where=True, rule="alloc-in-loop"):
    w = Where("f", "ns::f", (1, 20), (3, 9), max(hotness, 0), None, hotness) if where else None
    return Diagnostic("/src/a.cpp", Range.of(5, 1, 5, 4), rule, severity, "m.", where=w)


class _Flat:
    """A stand-in profile answering only what the ranker asks: one share for every question."""

    path, format, unit = "p.out", "callgrind", "Ir"
    files = ("a.cpp",)
    functions = ()

    def __init__(self, share):
        self._share = share

    def line_share(self, *a, **k):
        return self._share

    def function_share(self, *a, **k):
        return self._share

    def call_share(self, *a, **k):
        return None

    def functions_matching(self, *a, **k):
        return []

    def knows_file(self, path):
        return True


@pytest.mark.parametrize("share,engine,want", [
    (0.5, Severity.WARNING, Severity.ERROR),  # hot, mechanism applies
    (0.5, Severity.INFO, Severity.WARNING),  # hot, the rule's own info (a load on x86): never hidden
    (0.5, Severity.ERROR, Severity.ERROR),
    (0.005, Severity.ERROR, Severity.WARNING),  # warm: at most a warning
    (0.005, Severity.INFO, Severity.INFO),
    (0.0005, Severity.ERROR, Severity.INFO),  # cold
    (0.0, Severity.WARNING, Severity.INFO),
])
def test_severity_follows_the_measurement(share, engine, want):
    d = _diag(engine, hotness=2 if engine == Severity.ERROR else 1)
    Ranker([_Flat(share)]).rank([d])
    assert d.severity == want
    assert d.message.startswith("m. (") and d.message.endswith(" of the callgrind profile)")


def test_an_engine_error_from_loop_depth_alone_is_not_kept_without_measurement():
    d = _diag(Severity.ERROR, where=False)
    Ranker([_Flat(0.9)]).rank([d])
    assert d.severity == Severity.WARNING and d.message == "m. (not measured: outside any function)"
    assert d.measured is None


def test_measurement_round_trips_through_json():
    d = _diag(Severity.WARNING)
    Ranker([_Flat(0.31)]).rank([d])
    back = Diagnostic.from_json(json.loads(json.dumps(d.to_json())))
    assert back.measured == d.measured and back.where == d.where
    assert isinstance(back.measured, Measurement) and back.measured.share == 0.31


def test_helpers():
    assert [percent(x) for x in (0.31, 0.062, 0.00044, 0.0, 1e-7)] == ["31%", "6.2%", "0.044%", "0.0%", "<0.001%"]
    assert parse_threshold("1") == parse_threshold("1%") == 0.01
    with pytest.raises(ValueError):
        parse_threshold("101")
    shown, hidden = at_least([_diag(s) for s in (Severity.INFO, Severity.WARNING, Severity.ERROR)],
                             Severity.ERROR)
    assert [d.severity for d in shown] == [Severity.ERROR]
    assert hidden_summary(hidden) == "1 warning, 1 info not shown (--min-severity info shows them)"
    assert hidden_summary(at_least([], Severity.ERROR)[1]) is None


def test_engine_says_where_each_finding_is(tmp_path):
    from hotlint.engine import EngineOptions, analyze
    from hotlint.rule import load_rules

    src = tmp_path / "w.cpp"
    src.write_text(
        "#include <vector>\n"
        "struct R { char a; double b; char c; };\n"
        "namespace n {\n"
        "void run(std::vector<int>& out) {\n"
        "    auto f = [&] {\n"
        "        for (int i = 0; i < 9; ++i) { int* p = new int(i); out.push_back(*p); delete p; }\n"
        "    };\n"
        "    f();\n"
        "}\n"
        "}\n")
    res = analyze(str(src), None, ["-std=c++20"], EngineOptions(rules=tuple(load_rules().names())))
    by_rule = {d.rule: d for d in res.diagnostics}
    assert by_rule["padding-waste"].where is None
    w = by_rule["alloc-in-loop"].where
    assert (w.function, w.qualified_name, w.function_lines) == ("run", "n::run", (4, 9))
    assert w.lambda_lines == (5, 7) and w.loop_lines == (6, 6) and w.loop_depth == 1
