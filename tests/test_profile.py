"""hotlint.profile: profiles read from real runs of a small program (callgrind always; gprof and
perf where they work here) and from small hand-written fixtures of the same program, which must
rank it the same way; and every way a profile can be unusable is said, never silent."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from hotlint.profile import ALLOCATORS, ProfileError, detect_format, load_profile, parse_profile
from hotlint.profile.names import demangle, qualified_name

DATA = Path(__file__).resolve().parent / "data" / "profiles"
PROGRAM = DATA / "program"
ROUNDS, PARTICLES = 20, 2000  # main.cpp's default rounds; setup(2000)
_MARKER = re.compile(r"//\s*@([\w-]+)\s*$")


def markers(path: Path) -> dict[str, int]:
    """``// @name`` comments of a source file: name -> line."""
    out = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        m = _MARKER.search(line)
        if m:
            out[m.group(1)] = number
    return out


WORLD = markers(PROGRAM / "world.cpp")
SIM = markers(PROGRAM / "sim.h")
HOT_LOOP = (WORLD["hot-loop-begin"], WORLD["hot-loop-end"])
SETUP_LOOP = (WORLD["setup-loop"], WORLD["setup-loop"] + 3)


def _run(cmd, cwd, **kw):
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _build(out: Path, *extra: str) -> Path:
    for f in PROGRAM.iterdir():
        shutil.copy(f, out / f.name)
    exe = out / "prog"
    _run(["g++", "-O1", "-g", *extra, "-o", str(exe), "main.cpp", "world.cpp"], cwd=out)
    return exe


def _callgrind(out: Path, name: str, *extra: str) -> tuple[Path, int]:
    """Profile the program under callgrind: the output file and the instruction count valgrind
    itself reports."""
    dest = out / name
    proc = _run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={dest}", "--dump-instr=no", *extra,
                 "./prog"], cwd=out)
    collected = re.search(r"Collected : (\d+)", proc.stderr)
    assert collected, proc.stderr
    return dest, int(collected.group(1))


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    out = tmp_path_factory.mktemp("program")
    _build(out)
    return out


@pytest.fixture(scope="module")
def callgrind(program):
    """The compressed profile the issue asks for, and valgrind's own instruction count."""
    return _callgrind(program, "callgrind.out", "--compress-strings=yes", "--compress-pos=yes")


@pytest.fixture(scope="module")
def profile(callgrind):
    return load_profile(str(callgrind[0]))


# ------------------------------------------------------------------ callgrind, from a real run

def test_callgrind_total_is_what_valgrind_counted(callgrind, profile):
    assert (profile.format, profile.unit) == ("callgrind", "Ir")
    assert profile.total == callgrind[1]
    assert profile.notes == ()


def test_callgrind_hot_function_has_the_largest_share(profile):
    own = [f for f in profile.functions if f.file and Path(f.file).name in ("world.cpp", "main.cpp")]
    by_self = max(own, key=lambda f: f.self_cost)
    assert by_self.name == "sim::World::step(int)"
    assert by_self.self_cost == max(f.self_cost for f in profile.functions)  # libc's malloc included
    step = profile.function_share("sim::World::step", "world.cpp")
    setup = profile.function_share("sim::World::setup", "world.cpp")
    main = profile.function_share("main", "main.cpp")
    assert step > 0.5 and setup < step / 100
    # inclusive shares nest: main holds step, step holds the allocation it calls
    assert main >= step > profile.function_share("sim::World::step", "world.cpp", inclusive=False)
    assert profile.function_share("release", "world.cpp") < step


def test_callgrind_hot_loop_lines_carry_the_cost(profile):
    loop = profile.line_cost("world.cpp", *HOT_LOOP)
    setup_loop = profile.line_cost("world.cpp", *SETUP_LOOP)
    assert loop > 100 * setup_loop > 0
    world_lines = {line: c for (f, line), c in profile.lines.items() if Path(f).name == "world.cpp"}
    hottest = max(world_lines, key=world_lines.get)
    assert HOT_LOOP[0] <= hottest <= HOT_LOOP[1]
    # damp is inlined into the loop (`fi=` sim.h): its line has the cost of 32 calls an iteration
    damp = profile.line_cost("sim.h", SIM["damp"])
    assert damp >= 32 * ROUNDS * PARTICLES
    step = profile.functions_matching("sim::World::step", "world.cpp")[0]
    assert step.first_line <= HOT_LOOP[0] and step.last_line >= HOT_LOOP[1]
    # with the calls made from them, the loop's lines hold most of the program
    assert profile.line_share("world.cpp", *HOT_LOOP, inclusive=True) > 0.5 > profile.line_share("world.cpp", *HOT_LOOP)


def test_callgrind_allocation_call_site_from_the_loop(profile):
    sites = profile.call_sites_at("world.cpp", WORLD["alloc"], callee=ALLOCATORS)
    assert [s.callee.name for s in sites] == ["operator new[](unsigned long)"]
    site = sites[0]
    assert site.calls == ROUNDS * PARTICLES
    assert site.caller.name == "sim::World::step(int)" and site.line == WORLD["alloc"]
    # the call's inclusive cost is all of operator new[]'s: the loop is its only caller
    new_array = profile.functions_matching("operator new[]")[0]
    assert site.cost == new_array.inclusive > new_array.self_cost
    assert profile.call_cost("world.cpp", WORLD["alloc"], "operator new[]") == site.cost
    assert 0.05 < profile.call_share("world.cpp", WORLD["alloc"], ALLOCATORS) < profile.function_share("sim::World::step")
    # no other line of the loop allocates
    others = [s for s in profile.call_sites_at("world.cpp", *HOT_LOOP, callee=ALLOCATORS) if s.line != WORLD["alloc"]]
    assert others == []


def test_callgrind_names_are_demangled(program, profile):
    mangled, _ = _callgrind(program, "callgrind.mangled.out", "--demangle=no", "--compress-strings=no",
                            "--compress-pos=no")
    assert "fn=_ZN3sim5World4stepEi" in mangled.read_text()
    ours = load_profile(str(mangled))
    own = {f.name for f in ours.functions if f.file and Path(f.file).name in ("world.cpp", "main.cpp", "sim.h")}
    assert "sim::World::step(int)" in own and "(anonymous namespace)::tally(double const*)" in own
    assert not [n for n in own if n.startswith("_Z")]
    # our demangling of valgrind's mangled names gives the names valgrind's demangler gives
    theirs = {f.name for f in profile.functions if f.file and Path(f.file).name in ("world.cpp", "main.cpp", "sim.h")}
    assert own == theirs


def test_callgrind_uncompressed_output_reads_the_same(program, profile):
    """Name and position compression change how the file is written, not what it says: the
    program's own functions, lines and calls are the same in a run written without them."""
    plain, _ = _callgrind(program, "callgrind.plain.out", "--compress-strings=no", "--compress-pos=no")
    text = plain.read_text()
    assert not re.search(r"^c?fn=\(\d+\)", text, re.M) and not re.search(r"^[+*-]", text, re.M)
    assert "cfn=(below main)" in text  # a name in parentheses, not a compressed one
    other = load_profile(str(plain))

    def own(p):
        funcs = {(f.name, Path(f.file).name): (f.self_cost, f.inclusive) for f in p.functions
                 if f.file and Path(f.file).parent.name == Path(program).name}
        lines = {(Path(f).name, n): c for (f, n), c in p.lines.items() if Path(f).parent.name == Path(program).name}
        calls = {(s.caller.name, s.line, s.callee.name): (s.cost, s.calls) for s in p.call_sites
                 if s.caller.file and Path(s.caller.file).parent.name == Path(program).name}
        return funcs, lines, calls

    assert own(other) == own(profile)
    assert len(own(profile)[1]) > 10


def test_callgrind_agrees_with_gprof2dot(callgrind, profile):
    """gprof2dot's callgrind parser, read independently: the same self cost per function and
    the same cost per caller/callee pair (it keys functions by name, so we add ours up by name)."""
    gprof2dot = pytest.importorskip("gprof2dot")
    with open(callgrind[0]) as fh:
        theirs = gprof2dot.CallgrindParser(fh).parse()
    their_self = {f.name: f[gprof2dot.SAMPLES] for f in theirs.functions.values()}
    their_calls = Counter()
    for f in theirs.functions.values():
        for call in f.calls.values():
            their_calls[(f.name, theirs.functions[call.callee_id].name)] += call[gprof2dot.SAMPLES2]
    our_self = Counter()
    for f in profile.functions:
        our_self[f.name] += f.self_cost
    our_calls = Counter()
    for s in profile.call_sites:
        our_calls[(s.caller.name, s.callee.name)] += s.cost
    assert dict(our_self) == their_self
    assert dict(our_calls) == dict(their_calls)


def test_functions_matching_tells_statics_apart_by_file(program, profile):
    both = profile.functions_matching("tally")
    assert sorted(f.name for f in both) == ["(anonymous namespace)::tally(double const*)",
                                            "(anonymous namespace)::tally(int, char**)"]
    assert [f.name for f in profile.functions_matching("tally", "main.cpp")] == ["(anonymous namespace)::tally(int, char**)"]
    assert [f.name for f in profile.functions_matching("tally", str(program / "world.cpp"))] == [
        "(anonymous namespace)::tally(double const*)"]
    # a build on another machine or in another checkout: the file of that name, when the profile
    # has no closer spelling (profiles hold build paths)
    assert [f.name for f in profile.functions_matching("tally", str(PROGRAM / "world.cpp"))] == [
        "(anonymous namespace)::tally(double const*)"]
    assert profile.functions_matching("tally", "other.cpp") == []
    # without a file, the lines hotlint's definition spans pick one
    world_tally = [f for f in both if f.name.endswith("(double const*)")][0]
    assert profile.functions_matching("tally", extent=(world_tally.first_line, world_tally.last_line)) == [world_tally]
    assert profile.function_share("sim::World::step", "main.cpp") is None


def test_a_profile_of_other_code_says_so(profile, callgrind):
    cov = profile.coverage([("leveldb::DBImpl::Write", "db/db_impl.cc"), ("sim::World::step", "other.cpp")])
    assert cov.matched == ()
    assert cov.note.startswith(f"{callgrind[0]}: none of the {len(profile.functions)} functions")
    assert "`sim::World::step`" in cov.note  # the costliest, so the user sees what it is about
    cov = profile.coverage([("sim::World::step", "world.cpp"), ("sim::World::setup", "world.cpp")])
    assert cov.note is None
    assert [f.qualified for f in cov.matched] == ["sim::World::step", "sim::World::setup"]
    assert cov.matched_self_share == pytest.approx(
        profile.function_share("sim::World::step", inclusive=False) + profile.function_share("sim::World::setup", inclusive=False))


# ------------------------------------------------------------------ the same program, other formats

def _fixture(name):
    return load_profile(str(DATA / name))


FIXTURES = ["program.perf.txt", "program.folded", "program.gprof.txt"]


@pytest.mark.parametrize("name, fmt, unit", [
    ("program.perf.txt", "perf-script", "cpu-clock"),
    ("program.folded", "folded", "samples"),
    ("program.gprof.txt", "gprof", "seconds"),
])
def test_fixture_formats_are_detected_from_content(tmp_path, name, fmt, unit):
    renamed = tmp_path / "profile.out"  # the name says nothing
    renamed.write_bytes((DATA / name).read_bytes())
    p = load_profile(str(renamed))
    assert (p.format, p.unit) == (fmt, unit)
    assert p.notes == ()


def _ranking(p, names):
    shares = {n: p.function_share(n, "world.cpp") for n in names}
    assert all(v is not None for v in shares.values()), shares
    return sorted(names, key=lambda n: -shares[n])


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_rank_the_program_like_callgrind(profile, name):
    p = _fixture(name)
    # the hot function is the costliest function of the whole profile, and the cold set-up far below it
    assert p.functions[0].qualified == profile.functions[0].qualified == "sim::World::step"
    assert p.function_share("sim::World::setup", "world.cpp") < p.function_share("sim::World::step", "world.cpp") / 10
    names = ["sim::World::step", "release", "tally", "sim::World::setup"]
    if p.format == "gprof":
        # gprof sees no time in shared libraries: release's free() is invisible to it
        assert _ranking(p, names)[0] == _ranking(profile, names)[0] == "sim::World::step"
    else:
        assert _ranking(p, names) == _ranking(profile, names)


def test_folded_lines_and_call_sites_match_callgrind(profile):
    p = _fixture("program.folded")
    assert p.line_cost("world.cpp", *HOT_LOOP) > 10 * p.line_cost("world.cpp", *SETUP_LOOP)
    sites = p.call_sites_at("world.cpp", WORLD["alloc"], callee=ALLOCATORS)
    assert [(s.callee.name, s.caller.qualified) for s in sites] == [("operator new[](unsigned long)", "sim::World::step")]
    assert sites[0].cost == 41 and sites[0].calls is None
    # the same call is found in both, and it is a part of the loop in both
    for q in (p, profile):
        assert 0 < q.call_share("world.cpp", WORLD["alloc"], ALLOCATORS) < q.line_share("world.cpp", *HOT_LOOP, inclusive=True)
    # mangled frames (bpftrace writes them) are demangled, and match
    setup = p.functions_matching("sim::World::setup", "world.cpp")
    assert [f.name for f in setup] == ["sim::World::setup(int)"]
    assert [f.name for f in p.functions_matching("tally", "main.cpp")] == ["(anonymous namespace)::tally(int, char**)"]


def test_fixture_lines_are_the_programs_marked_lines():
    """The hand-written positions must stay on the lines they describe."""
    text = (DATA / "program.folded").read_text()
    assert f"world.cpp:{WORLD['alloc']};operator new[]" in text
    assert f"world.cpp:{WORLD['damp-call']} " in text
    assert (PROGRAM / "main.cpp").read_text().splitlines()[19 - 1].strip().startswith("double sum = world.step(")


def test_perf_samples_are_weighted_by_period():
    p = _fixture("program.perf.txt")
    step = p.functions_matching("sim::World::step")[0]
    # 12 samples of 250000 and one of 500000 end in step's own code
    assert step.self_cost == 12 * 250000 + 500000
    assert p.total == 23 * 250000
    assert step.object == "/home/dev/sim/build/prog" and step.file is None
    assert p.has_lines is False and p.line_cost("world.cpp", 1, 100) is None
    # call sites are there, without lines
    edges = {(s.caller.qualified, s.callee.qualified): s.cost for s in p.call_sites}
    assert edges[("sim::World::step", "operator new[]")] == 2 * 250000
    assert edges[("main", "sim::World::step")] == step.inclusive


def test_gprof_fixture_inclusive_from_calls():
    p = _fixture("program.gprof.txt")
    step = p.functions_matching("sim::World::step")[0]
    assert step.self_cost == pytest.approx(0.30) and step.inclusive == pytest.approx(0.33)
    assert p.total == pytest.approx(0.34)
    assert p.function_share("sim::World::step") == pytest.approx(0.33 / 0.34)


# ------------------------------------------------------------------ other real profilers, where they run

def test_gprof_from_a_real_run(tmp_path):
    if shutil.which("gprof") is None:
        pytest.skip("gprof (binutils) is not installed; test_gprof_fixture_inclusive_from_calls covers the format")
    _build(tmp_path, "-pg")
    _run(["./prog", "5000"], cwd=tmp_path)  # long enough for gprof's 10 ms samples
    out = _run(["gprof", "-b", "-p", "prog", "gmon.out"], cwd=tmp_path).stdout
    (tmp_path / "gprof.txt").write_text(out)
    p = load_profile(str(tmp_path / "gprof.txt"))
    assert (p.format, p.unit) == ("gprof", "seconds")
    assert p.functions[0].name == "sim::World::step(int)", out
    assert p.function_share("sim::World::step", inclusive=False) > 0.5
    assert p.function_share("sim::World::setup") < p.function_share("sim::World::step")


def test_perf_from_a_real_run(tmp_path):
    if shutil.which("perf") is None:
        pytest.skip("perf is not installed; the program.perf.txt fixture covers the format")
    _build(tmp_path, "-fno-omit-frame-pointer")
    rec = subprocess.run(["perf", "record", "-q", "-g", "-o", "perf.data", "--", "./prog", "3000"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    if rec.returncode != 0 or not (tmp_path / "perf.data").exists():
        pytest.skip(f"perf cannot record here: {rec.stderr.strip()[:200]}")
    text = _run(["perf", "script", "-i", "perf.data", "-F", "+srcline"], cwd=tmp_path).stdout
    (tmp_path / "perf.txt").write_text(text)
    p = load_profile(str(tmp_path / "perf.txt"))
    assert p.format == "perf-script"
    assert p.functions[0].qualified == "sim::World::step"
    assert p.function_share("sim::World::step", "world.cpp", inclusive=False) > 0.5
    # srcline: the loop's lines and the inlined damp carry the samples
    assert p.line_cost("world.cpp", *HOT_LOOP) + p.line_cost("sim.h", SIM["damp"]) > 0.5 * p.total


# ------------------------------------------------------------------ formats in detail

CALLGRIND_BY_HAND = """\
# callgrind format
version: 1
creator: by hand
positions: instr line
events: Dr Ir
summary: 38 980

ob=(1) /bin/prog
fl=(1) /src/a.cpp
fn=(1) _Z3hotv
0x10 10 2 100
+4 +2 1 200
* * 5 50
fi=(2) /src/inl.h
+8 -7 0 300
fe=(1)
+2 13 0 10
cfl=(3) /src/b.cpp
cfn=(2) cold()
calls=4 0x90 40
+2 +1 3 120
jump=2 +6 *
+6 *
+1 * 0 40

fl=(3)
fn=(2)
0x90 40 30 280
totals: 38 980
"""


def test_callgrind_by_hand():
    """Name and position compression of both positions, fi=/fe=, cfl=, jump=, and Ir chosen
    when it is not the first event. Positions are read as KCachegrind reads them: the call cost
    line moves the current position (line 14), the target after ``calls=`` does not."""
    p = parse_profile(CALLGRIND_BY_HAND, "by-hand.out")
    assert p.unit == "Ir" and p.total == 980
    assert p.lines == {("/src/a.cpp", 10): 100, ("/src/a.cpp", 12): 250, ("/src/inl.h", 5): 300,
                       ("/src/a.cpp", 13): 10, ("/src/a.cpp", 14): 40, ("/src/b.cpp", 40): 280}
    hot = p.functions_matching("hot", "a.cpp")[0]
    assert hot.name == "hot()" and hot.self_cost == 700 and hot.inclusive == 820
    assert (hot.first_line, hot.last_line) == (10, 14) and hot.object == "/bin/prog"
    cold = p.functions_matching("cold")[0]
    assert cold.file == "/src/b.cpp" and cold.self_cost == 280
    [site] = p.call_sites_at("a.cpp", 14)
    assert (site.callee, site.cost, site.calls, site.caller) == (cold, 120, 4, hot)
    assert p.line_cost("a.cpp", 10, 14, inclusive=True) == 400 + 120


@pytest.mark.parametrize("cut, cause", [
    (lambda t: t[: t.index("\nfl=(3)")], "add up to 700 Ir but its `summary:` line says 980"),  # cut at a line
    (lambda t: t.replace("+1 * 0 40", "+1 * 0 4"), "add up to 944 Ir but its `totals:` line says 980"),
    (lambda t: t[: t.index("events:")], "without an `events:` line"),
    (lambda t: t.replace("fn=(1) _Z3hotv", "fn=(1)"), "line 10: the compressed function name (1) is used before it is defined"),
    (lambda t: t.replace("+4 +2 1 200", "+4 +2 1 2x0"), "line 12: `2x0` is not a cost"),
])
def test_damaged_callgrind_is_an_error(cut, cause):
    with pytest.raises(ProfileError) as e:
        parse_profile(cut(CALLGRIND_BY_HAND), "cg.out")
    assert str(e.value).startswith("cg.out: ") and cause in str(e.value)


def test_truncated_real_callgrind_file(tmp_path, callgrind, profile):
    text = callgrind[0].read_text()
    middle = len(text) // 2
    for at in (middle, text.index("\n", middle) + 1):  # inside a line, and at a line's end
        (tmp_path / "cut.out").write_text(text[:at])
        with pytest.raises(ProfileError, match=r"add up to [\d,]+ Ir but its `summary:` line says [\d,]+: "
                                               r"the callgrind file is truncated or damaged"):
            load_profile(str(tmp_path / "cut.out"))
    # without a summary, a line cut mid-way is left out and said
    summary = next(line for line in text.splitlines(keepends=True) if line.startswith("summary:"))
    no_summary = text.replace(summary, "")
    end = no_summary.index("\n", len(no_summary) // 2)
    while no_summary[end - 1] == "\n":  # a line of at least one character, cut before its last
        end = no_summary.index("\n", end + 1)
    (tmp_path / "cut.out").write_text(no_summary[:end - 1])
    cut = load_profile(str(tmp_path / "cut.out"))
    assert any("is cut off and no `summary:` or `totals:` line" in n for n in cut.notes), cut.notes
    assert 0 < cut.total < profile.total
    # cut just before the closing `totals:` line, every cost is still there and adds up
    (tmp_path / "cut.out").write_text(text[:text.index("totals:")])
    assert load_profile(str(tmp_path / "cut.out")).total == profile.total


PERF_SRCLINE = """\
prog 101 [000] 10.000001:     1000 cycles:u: 
\t    1327 sim::World::step+0x6f (/b/prog)
  world.cpp:32
\t    10b4 main+0x44 (/b/prog)
  main.cpp:19

prog 101 [000] 10.000002:     3000 cycles:u: 
\t   98975 malloc+0x45 (/lib/libc.so.6)
  malloc.c:3300
\t   a9589 operator new+0x19 (/lib/libstdc++.so.6)
  prog[1080]
\t    1300 sim::World::step+0x48 (/b/prog)
  world.cpp:30
\t    10b4 main+0x44 (/b/prog)
  main.cpp:19

prog 101 [000] 10.000003:     5 page-faults:u: 
\t    1327 sim::World::step+0x6f (/b/prog)
"""


def test_perf_script_srcline():
    p = parse_profile(PERF_SRCLINE, "perf.txt")
    assert p.unit == "cycles" and p.total == 4000
    assert p.lines == {("world.cpp", 32): 1000, ("malloc.c", 3300): 3000}
    [site] = p.call_sites_at("world.cpp", 30, callee=ALLOCATORS)
    assert (site.callee.name, site.cost) == ("operator new", 3000)
    assert p.call_share("main.cpp", 19) == 1.0
    assert p.notes == ("perf.txt: the profile mixes events; only its 2 samples of cycles are used, "
                       "not its 1 sample of page-faults",)


def test_perf_script_without_call_graph():
    text = "prog 7 1.5: 250000 cpu-clock:  5581a0b1c2d3 hot_loop(int)+0x23 (/a.out)\n" * 3
    p = parse_profile(text, "p.txt")
    assert p.format == "perf-script"
    assert [(f.name, f.self_cost) for f in p.functions] == [("hot_loop(int)", 750000)]


def test_folded_positions_annotations_and_bad_lines():
    text = ("main;work [w.cpp:7];leaf (w.cpp:3) 5\n"
            "main;work w.cpp:8;std::map<int, int>::find(int const&) 2\n"
            "main;do_page_fault_[k] 1\n"
            "this line has no count\n")
    p = parse_profile(text, "f.txt")
    assert p.lines == {("w.cpp", 3): 5}
    assert {(s.line, s.callee.qualified) for s in p.call_sites_at("w.cpp", 1, 10)} == {(7, "leaf"), (8, "std::map::find")}
    assert p.functions_matching("do_page_fault")[0].self_cost == 1
    assert p.notes == ("f.txt: 1 line not of the form `frame;frame count` skipped (the first is line 4)",)


# ------------------------------------------------------------------ unusable profiles are said

def test_unknown_format(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("These are my notes about the hot loop.\nIt is slow.\n")
    with pytest.raises(ProfileError) as e:
        load_profile(str(f))
    assert e.value.path == str(f)
    assert "is not a profile hotlint can read" in e.value.reason and "folded stacks" in e.value.reason
    assert detect_format(f.read_text()) is None


def test_gprof_call_graph_alone_gets_a_hint():
    text = "\t\t     Call graph\n\ngranularity: each sample hit covers 4 byte(s)\n\nindex % time    self  children\n"
    with pytest.raises(ProfileError, match=r"gprof -b -p"):
        parse_profile(text, "g.txt")


@pytest.mark.parametrize("content", ["", "\n  \n\t\n"])
def test_empty_profile(tmp_path, content):
    f = tmp_path / "empty.out"
    f.write_text(content)
    with pytest.raises(ProfileError, match=r"empty\.out: is empty$"):
        load_profile(str(f))


def test_profile_without_cost():
    text = CALLGRIND_BY_HAND.replace(" 980", " 0")
    text = re.sub(r"^((?:\S+ ){2}\S+) \d+$", r"\1 0", text, flags=re.M)
    with pytest.raises(ProfileError, match="records no cost"):
        parse_profile(text, "zero.out")


def test_missing_file(tmp_path):
    with pytest.raises(ProfileError, match=r"gone\.out: does not exist$"):
        load_profile(str(tmp_path / "gone.out"))


def test_directory(tmp_path):
    with pytest.raises(ProfileError, match="is a directory"):
        load_profile(str(tmp_path))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "profile.fifo"
    os.mkfifo(fifo)
    result = []

    def load():
        try:
            load_profile(str(fifo))
        except ProfileError as e:
            result.append(str(e))

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "load_profile blocked on a FIFO"
    assert result == [f"{fifo}: is a FIFO (named pipe), not a regular file; not read"]


@pytest.mark.parametrize("head, hint", [
    (b"PERFILE2\x68\x00\x00\x00", "perf script -i FILE"),
    (b"gmon\x00\x00\x00\x01", "gprof -b -p PROGRAM FILE"),
    (b"\x1f\x8b\x08\x00", "gunzip"),
    (b"\x7fELF\x02\x01\x01\x00", "binary file"),
])
def test_binary_profiles_say_what_to_run(tmp_path, head, hint):
    f = tmp_path / "perf.data"
    f.write_bytes(head + bytes(64))
    with pytest.raises(ProfileError, match=re.escape(hint)):
        load_profile(str(f))


# ------------------------------------------------------------------ names

@pytest.mark.parametrize("written, hotlint", [
    ("sim::World::step(int)", "sim::World::step"),
    ("sim::World::step", "sim::World::step"),
    ("void sim::Grid<int>::step<3>(int) const [clone .isra.0]", "sim::Grid::step"),
    ("(anonymous namespace)::tally(double const*)", "tally"),
    ("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::_M_create(unsigned long&, unsigned long)",
     "std::basic_string::_M_create"),
    ("operator new[](unsigned long)", "operator new[]"),
    ("Foo::operator()(int) const", "Foo::operator()"),
    ("Foo::operator<<(std::ostream&)", "Foo::operator<<"),
    ("bool operator< <int>(A<int> const&, A<int> const&)", "operator<"),
    ("Foo::operator&", "Foo::operator&"),
    ("Foo::operator int() const", "Foo::operator int"),
    ("malloc@plt", "malloc"),
    ("memcpy@@GLIBC_2.14", "memcpy"),
    ("fib'2", "fib"),
    ("hot.cold", "hot"),
    ("hot.constprop.0", "hot"),
])
def test_qualified_names(written, hotlint):
    assert qualified_name(written) == hotlint


def test_demangle_keeps_what_is_not_mangled():
    names, note = demangle(["_ZN3sim5World4stepEi", "_ZdlPv@plt", "malloc", "sim::World::step(int)", "_Zbogus"])
    assert names == {"_ZN3sim5World4stepEi": "sim::World::step(int)", "_ZdlPv@plt": "operator delete(void*)"}
    assert note == "1 name that looks mangled could not be demangled and stays as written"
