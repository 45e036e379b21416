"""Findings ranked without a profile (hotlint.rank.Ranker.infer, hotlint.callgraph): a small
multi-file program with the same allocation per iteration on a hot loop called from main's loop
and on cold paths (load_config's set-up, an error branch, a function only load_config calls, a
catch handler, an [[unlikely]] branch, a loop of 4 iterations, a loop printing every element),
linted through the CLI. Only the hot copy is shown by default; each message says its evidence;
a profile always wins."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import markers, run_cli, run_json
from hotlint.callgraph import ProjectGraph

DATA = Path(__file__).resolve().parent / "data" / "hotness"
PROGRAM = DATA / "mixer"
MIXER = markers(PROGRAM / "mixer.cpp")
CONFIG = markers(PROGRAM / "config.cpp")
EXPECTED = {  # (file, line) -> (severity, evidence ending the message)
    ("mixer.cpp", MIXER["hot-alloc"]): ("warning", "hot: called from the loop in `main`"),
    ("mixer.cpp", MIXER["unlikely-alloc"]): ("info", "cold: in an `[[unlikely]]` branch"),
    ("mixer.cpp", MIXER["small-trip-alloc"]): ("info", "cold: a loop of 4 iterations"),
    ("mixer.cpp", MIXER["catch-alloc"]): ("info", "cold: in a catch handler"),
    ("mixer.cpp", MIXER["printf-alloc"]): ("info", "cold: the loop calls `printf` on every iteration"),
    ("config.cpp", CONFIG["config-alloc"]): ("info", "cold: `load_config` is set-up or teardown code by its name"),
    ("config.cpp", CONFIG["error-branch-alloc"]): ("info", "cold: in a branch that returns an error"),
    ("config.cpp", CONFIG["callee-of-cold-alloc"]): ("info", "cold: only called from `load_config`"),
}


@pytest.fixture
def program(tmp_path):
    for f in PROGRAM.iterdir():
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(DATA / "report.folded", tmp_path / "report.folded")
    return tmp_path


def findings(data: dict) -> dict[tuple[str, int], dict]:
    return {(d["path"], d["line"]): d for d in data["diagnostics"] if d["rule"] == "alloc-in-loop"}


def evidence(message: str) -> str:
    m = re.search(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)$", message)
    assert m, message
    return m.group(1)


def test_without_a_profile_only_the_hot_loop_is_shown(program):
    proc, data = run_json("--no-cache", "--min-severity", "info", ".", cwd=program)
    assert proc.returncode == 1, proc.stderr
    found = findings(data)
    assert set(found) == set(EXPECTED)
    assert {k: (d["severity"], evidence(d["message"])) for k, d in found.items()} == EXPECTED
    assert all("profile" not in d for d in found.values())

    text = run_cli("--no-cache", ".", cwd=program)
    shown = [line for line in text.stdout.splitlines() if "[alloc-in-loop]" in line]
    assert len(shown) == 1 and shown[0].startswith(f"mixer.cpp:{MIXER['hot-alloc']}:")
    assert shown[0].endswith("(hot: called from the loop in `main`) [alloc-in-loop]")
    assert "7 infos not shown (--min-severity info shows them)" in text.stdout


def test_the_cache_keeps_the_call_graph(program):
    env = {"HOTLINT_CACHE_DIR": str(program / "cache")}
    _, cold = run_json("--min-severity", "info", ".", cwd=program, env=env)
    _, warm = run_json("--min-severity", "info", ".", cwd=program, env=env)
    assert findings(warm) == findings(cold)
    assert findings(warm)[("mixer.cpp", MIXER["hot-alloc"])]["severity"] == "warning"
    # one file changed: its fragment is read afresh, the others' from the cache
    main = program / "main.cpp"
    main.write_text(main.read_text().replace("for (int round = 0; round < 2000; ++round) {",
                                             "{  // once"))
    _, changed = run_json("--min-severity", "info", ".", cwd=program, env=env)
    d = findings(changed)[("mixer.cpp", MIXER["hot-alloc"])]
    # nothing shows it repeats any more: a pattern without evidence of a cost is an info
    assert d["severity"] == "info" and evidence(d["message"]) == "no evidence this runs often"


def test_configured_roles_override_names_and_trip_counts(program):
    (program / ".hotlint.toml").write_text('hot-functions = ["Mixer::blend"]\ncold-functions = ["Mixer::mix"]\n')
    _, data = run_json("--no-cache", "--min-severity", "info", ".", cwd=program)
    found = findings(data)
    blend = found[("mixer.cpp", MIXER["small-trip-alloc"])]
    assert (blend["severity"], evidence(blend["message"])) == ("warning", "hot: hot-functions `Mixer::blend`")
    mix = found[("mixer.cpp", MIXER["hot-alloc"])]
    assert (mix["severity"], evidence(mix["message"])) == ("info", "cold: cold-functions `Mixer::mix`")


def test_a_profile_always_wins(program):
    # recorded when report printed a large batch: its loop is hot in spite of the printf
    _, data = run_json("--no-cache", "--profile", "report.folded", ".", cwd=program)
    found = findings(data)
    report = found[("mixer.cpp", MIXER["printf-alloc"])]
    assert report["severity"] == "error" and report["profile"]["hotness"] == "hot"
    assert evidence(report["message"]).startswith("hot: ") and "of the folded profile" in report["message"]
    assert found[("mixer.cpp", MIXER["hot-alloc"])]["severity"] == "error"
    # the profile covers config.cpp: load_config ran, fill_keys did not: cold by measurement
    _, everything = run_json("--no-cache", "--profile", "report.folded", "--min-severity", "info", ".", cwd=program)
    every = findings(everything)
    assert every[("config.cpp", CONFIG["config-alloc"])]["profile"]["hotness"] == "cold"
    assert every[("config.cpp", CONFIG["config-alloc"])]["severity"] == "info"


def fragment(functions=(), calls=(), cold=()) -> dict:
    """A file's fragment as analysis.hotness writes it (USRs listed once, then indexed), from
    functions and calls that name USRs."""
    usrs: dict[str, int] = {}
    index = lambda usr: usrs.setdefault(usr, len(usrs))  # noqa: E731
    fns = [[index(f[0]), *f[1:]] for f in functions]
    edges = [[index(a), index(b), k] for a, b, k in calls]
    return {"usrs": list(usrs), "functions": fns, "calls": edges, "cold": list(cold)}


def test_graph_propagation_rules():
    g = ProjectGraph()
    g.add("a.cpp", fragment(**{
        "functions": [["root", "root", 1, 9, "hot", "`[[gnu::hot]]`"], ["leaf", "leaf", 10, 19, "", ""],
                      ["err", "err", 20, 29, "", ""], ["setup", "setup", 30, 39, "cold-role", "set-up code"],
                      ["only", "only", 40, 49, "", ""], ["main", "main", 50, 59, "", ""],
                      ["inner", "inner", 60, 69, "", ""], ["deep", "deep", 70, 79, "", ""],
                      ["init_row", "init_row", 80, 89, "cold-role", "set-up code"],
                      ["marked", "marked", 90, 99, "cold", "`[[gnu::cold]]`"]],
        "calls": [["root", "leaf", "call"], ["root", "err", "cold"], ["setup", "only", "loop"],
                  ["main", "setup", "call"], ["main", "inner", "loop"], ["inner", "deep", "call"],
                  ["inner", "init_row", "loop"], ["root", "marked", "call"], ["main", "marked", "loop"]],
    }))
    heat = {u: g.heat(u) for u in ("root", "leaf", "err", "setup", "only", "main", "inner", "deep", "init_row",
                                   "marked")}
    assert (heat["root"].state, heat["root"].why) == ("hot", "`[[gnu::hot]]`")
    assert (heat["leaf"].state, heat["leaf"].why) == ("hot", "called from `root` (`[[gnu::hot]]`)")
    assert (heat["err"].state, heat["err"].why) == ("cold", "only called on error paths")
    assert heat["setup"].state == "cold" and heat["main"] is None
    assert (heat["only"].state, heat["only"].why) == ("cold", "only called from `setup`")  # a cold caller's loop
    assert (heat["inner"].state, heat["inner"].why) == ("warm", "called from the loop in `main`")
    assert (heat["deep"].state, heat["deep"].why) == ("warm", "called from `inner`, called from the loop in `main`")
    # a role name does not hold against a loop that calls it; an attribute does
    assert heat["init_row"].state == "warm" and heat["marked"].state == "cold"


class _SelfCost:
    """A stand-in profile that measures only `kernel` (40% of its own cost) and covers no file."""

    path, format, unit = "k.folded", "folded", "samples"
    files = ()
    functions = ()

    def line_share(self, *a, **k):
        return None

    def function_share(self, name, *a, **k):
        return 0.4 if name == "kernel" else None

    def call_share(self, *a, **k):
        return None

    def functions_matching(self, *a, **k):
        return []

    def knows_file(self, path):
        return False


def test_what_a_profile_hot_function_calls_is_hot_where_the_profile_has_nothing():
    from hotlint.model import Diagnostic, Range, Severity, Where
    from hotlint.rank import Ranker

    g = ProjectGraph()
    g.add("/src/k.cpp", fragment([["kernel", "kernel", 1, 9, "", ""]], [["kernel", "helper", "call"]]))
    g.add("/src/h.cpp", fragment([["helper", "helper", 1, 9, "", ""], ["other", "other", 10, 19, "", ""]]))

    def finding(first):
        w = Where("f", "helper" if first == 1 else "other", (first, first + 8), (first + 1, first + 3), 1, None, 1)
        return Diagnostic("/src/h.cpp", Range.of(first + 2, 1, first + 2, 4), "alloc-in-loop", Severity.WARNING,
                          "m.", where=w)

    helper, other = finding(1), finding(10)
    Ranker([_SelfCost()], graph=g).rank([helper, other])
    assert helper.message == "m. (not in the folded profile; hot: called from `kernel` (40% of the folded profile))"
    assert helper.severity == Severity.WARNING  # error needs a measurement of the finding's own code
    assert other.message == "m. (not in the folded profile)"


def test_cache_fragments_are_the_verified_newest_per_file(program):
    """What the language server reads to rank before it has analyzed the project itself."""
    import json

    from hotlint.cache import Cache

    cache_dir = program / "cache"
    run_json(".", cwd=program, env={"HOTLINT_CACHE_DIR": str(cache_dir)})
    cache = Cache.open(str(cache_dir), salt="")
    frags = cache.fragments()
    assert {Path(p).name for p in frags} == {"main.cpp", "mixer.cpp", "config.cpp", "mixer.h"}
    main = frags[str(program / "main.cpp")]
    assert any(name == "main" for _, name, *_ in main["functions"]) and main["usrs"]
    # an entry that does not verify (edited by someone without the user's key) is skipped
    entry = next(p for p in cache_dir.glob("??/*.json"))
    stored = json.loads(entry.read_text())
    stored["entry"]["result"]["hotness"] = {"functions": [], "calls": [], "cold": []}
    entry.write_text(json.dumps(stored))
    forged = stored["entry"]["result"]["path"]
    assert forged not in cache.fragments()


def test_a_file_analyzed_again_replaces_its_part():
    g = ProjectGraph()
    g.add("m.cpp", fragment([["main", "main", 1, 9, "", ""]], [["main", "work", "loop"]]))
    g.add("w.cpp", fragment([["work", "work", 1, 9, "", ""]]))
    assert g.heat("work").state == "warm"
    g.add("m.cpp", fragment([["main", "main", 1, 9, "", ""]], [["main", "work", "call"]]))  # the loop is gone
    assert g.heat("work") is None and "m.cpp" in g and "x.cpp" not in g
