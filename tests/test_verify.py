"""`hotlint verify`: fixes applied one at a time in a scratch copy, built, tested and benchmarked
against the unchanged build; only the verified ones are written with --apply.

The quick tests drive the whole pipeline with small Python build/test/bench scripts (a bench
that reads the fixed source and reports a time from it), so each verdict is decided by what
the fix really changed; the slow test runs the CMake project in tests/data/verify_project."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, write
from hotlint import bench
from hotlint.verify import Settings, UsageError, apply_table

# Two findings with fixes in one file: a vector grown in a loop (alloc-in-loop: hoist and
# clear) and a counter's seq_cst increment (seq-cst-default: relaxed).
SOURCE = """
#include <atomic>
#include <vector>

std::atomic<long> uses{0};

long lengths(int n) {
    uses.fetch_add(1);
    long total = 0;
    for (int i = 0; i < n; ++i) {
        std::vector<int> parts;
        for (int j = 0; j < i % 8; ++j)
            parts.push_back(j);
        total += static_cast<long>(parts.size());
    }
    return total;
}

long seen() { return uses.load(std::memory_order_relaxed); }
"""

# The "build" copies the source into out/ (and fails on a marker), the "test" fails when the
# counter is relaxed, and the "bench" takes 2 ms per run with the vector in the loop and 1 ms
# once it is hoisted, printing the time as `elapsed_ns`.
TOOLS = {
    "tools/build.py": """
        import os, shutil, sys
        text = open("src/lib.cpp").read()
        if "BROKEN" in text:
            sys.exit("lib.cpp: error: does not compile")
        os.makedirs("out", exist_ok=True)
        shutil.copy("src/lib.cpp", "out/lib.cpp")
        """,
    "tools/test.py": """
        import sys
        if "memory_order_relaxed);" in open("out/lib.cpp").read().split("long seen")[0]:
            print("FAILED: the counter must stay sequentially consistent")
            sys.exit(1)
        print("ok")
        """,
    "tools/bench.py": """
        text = open("out/lib.cpp").read()
        print("checksum 42")
        print("elapsed_ns", 1000000 if "parts.clear()" in text else 2000000)
        """,
}


def make_project(root: Path, git: bool = True) -> Path:
    write(root / "src" / "lib.cpp", SOURCE)
    for name, text in TOOLS.items():
        write(root / name, text)
    py = sys.executable
    write(root / ".hotlint.toml", f"""
        [verify]
        build = [[{py!r}, "tools/build.py"]]
        test = [{py!r}, "tools/test.py"]
        bench = "{py} tools/bench.py"
        rounds = 3
        warmup = 0
        timeout = 60
        """)
    write(root / ".gitignore", "out/\n")
    if git:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "init"],
                       cwd=root, check=True)
    return root


def hotlint_verify(cwd: Path, *args: str, env: dict | None = None, timeout: float = 600):
    environ = {k: v for k, v in os.environ.items() if k != "HOTLINT_TRUSTED_FOLDERS"}
    environ["XDG_CONFIG_HOME"] = str(cwd.parent / "xdg")  # no user configuration trusts anything
    environ["TMPDIR"] = str(cwd.parent / "tmp")  # where the scratch copies go, to check they are removed
    os.makedirs(environ["TMPDIR"], exist_ok=True)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "hotlint", "verify", *args], cwd=cwd, capture_output=True,
                          text=True, env=environ, timeout=timeout)


def by_rule(report: dict) -> dict:
    return {f["rule"]: f for f in report["fixes"]}


# --------------------------------------------------------------------------- trust


def test_an_untrusted_projects_commands_never_run(tmp_path):
    project = make_project(tmp_path / "p")
    marker = tmp_path / "ran"
    write(project / "tools" / "build.py", f"open({str(marker)!r}, 'w').write('x')\n")
    proc = hotlint_verify(project, "--unsafe-fixes")
    assert proc.returncode == 3, proc.stderr
    assert "not running its `verify` commands (build, test, bench)" in proc.stderr
    assert "not trusted (they would run its commands)" in proc.stderr
    assert "--trust" in proc.stderr and "HOTLINT_TRUSTED_FOLDERS" in proc.stderr
    assert not marker.exists()
    assert not os.listdir(tmp_path / "tmp")  # not even a scratch copy was made


def test_the_command_line_commands_run_without_trust_and_the_projects_are_not_read(tmp_path):
    project = make_project(tmp_path / "p")
    marker = tmp_path / "ran"
    write(project / "tools" / "evil.py", f"open({str(marker)!r}, 'w').write('x')\n")
    text = (project / ".hotlint.toml").read_text().replace('"tools/build.py"', '"tools/evil.py"')
    (project / ".hotlint.toml").write_text(text.replace("rounds = 3", "rounds = 999"))
    py = sys.executable
    proc = hotlint_verify(project, "--unsafe-fixes", "--format", "json", "--build", f"{py} tools/build.py",
                          "--test", f"{py} tools/test.py", "--bench", f"{py} tools/bench.py", "--rounds", "3")
    assert proc.returncode == 0, proc.stderr
    assert "its `verify` table was not read: the project is not trusted" in proc.stderr
    assert not marker.exists()
    report = json.loads(proc.stdout)
    assert report["rounds"] == 3
    assert {r: f["verdict"] for r, f in by_rule(report).items()} == {
        "alloc-in-loop": "verified", "seq-cst-default": "breaks tests"}


# --------------------------------------------------------------------------- verdicts and --apply


@pytest.mark.parametrize("git", [True, False], ids=["git-worktree", "copy"])
def test_verdicts_and_apply_writes_only_the_verified_fix(tmp_path, git):
    project = make_project(tmp_path / "p", git=git)
    before = (project / "src" / "lib.cpp").read_text()
    proc = hotlint_verify(project, "--unsafe-fixes", "--apply", "--format", "json",
                          env={"HOTLINT_TRUSTED_FOLDERS": str(project)})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["scratch"] == ("git worktree" if git else "copy")
    fixes = by_rule(report)
    assert set(fixes) == {"alloc-in-loop", "seq-cst-default"}
    alloc, counter = fixes["alloc-in-loop"], fixes["seq-cst-default"]
    assert alloc["verdict"] == "verified" and alloc["applied"]
    assert alloc["ratio"] == pytest.approx(2.0) and alloc["interval"] == pytest.approx([2.0, 2.0])
    assert alloc["rounds"] == 3 and alloc["clock"] == "elapsed_ns"
    assert counter["verdict"] == "breaks tests" and not counter["applied"]
    assert "exited with 1" in counter["reason"] and "sequentially consistent" in counter["output"]
    after = (project / "src" / "lib.cpp").read_text()
    assert "parts.clear();" in after and "uses.fetch_add(1);" in after and after != before
    assert not (project / "out").exists()  # nothing was built in the user's tree
    assert not os.listdir(tmp_path / "tmp")  # scratch copies removed
    if git:
        worktrees = subprocess.run(["git", "worktree", "list"], cwd=project, capture_output=True, text=True).stdout
        assert len(worktrees.splitlines()) == 1
        status = subprocess.run(["git", "status", "--short"], cwd=project, capture_output=True, text=True).stdout
        assert status.split() == ["M", "src/lib.cpp"]


def test_text_report_names_every_verdict_with_figures(tmp_path):
    project = make_project(tmp_path / "p")
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "alloc-in-loop@src/lib.cpp:" in out and "verified" in out and "2.00x (95% 2.00–2.00x, 3 rounds)" in out
    assert "breaks tests" in out and "FAILED: the counter must stay sequentially consistent" in out
    assert "1 verified, 0 no faster, 1 breaks tests, 0 does not build" in out
    assert "uses.fetch_add(1);" in (project / "src" / "lib.cpp").read_text()  # no --apply: untouched
    assert "std::vector<int> parts;" in (project / "src" / "lib.cpp").read_text()


def test_uncommitted_changes_are_in_the_scratch_copy(tmp_path):
    """A worktree starts from HEAD; the user's edits since (here: the bench reports no gain) go with it."""
    project = make_project(tmp_path / "p")
    write(project / "tools" / "bench.py", 'print("elapsed_ns 1000000")\n')
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--format", "json", "--select", "alloc-in-loop")
    assert proc.returncode == 0, proc.stderr
    alloc = by_rule(json.loads(proc.stdout))["alloc-in-loop"]
    assert alloc["verdict"] == "no faster" and alloc["ratio"] == pytest.approx(1.0)
    assert "within the noise" in alloc["reason"]


def test_a_fix_that_does_not_build_and_one_that_changes_the_benchmarks_checksum(tmp_path):
    project = make_project(tmp_path / "p")
    py = sys.executable
    # the build fails once the vector is hoisted; the counter fix changes the benchmark's checksum
    write(project / "tools" / "build.py", TOOLS["tools/build.py"].replace('"BROKEN" in text', '"parts.clear()" in text'))
    write(project / "tools" / "bench.py", """
        text = open("out/lib.cpp").read()
        print("checksum", 7 if "memory_order_relaxed);" in text.split("long seen")[0] else 42)
        print("elapsed_ns 1000")
        """)
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--format", "json", "--test", f"{py} -c pass")
    assert proc.returncode == 0, proc.stderr
    fixes = by_rule(json.loads(proc.stdout))
    assert fixes["alloc-in-loop"]["verdict"] == "does not build"
    assert "does not compile" in fixes["alloc-in-loop"]["output"]
    assert fixes["seq-cst-default"]["verdict"] == "breaks tests"
    assert fixes["seq-cst-default"]["reason"] == "the benchmark printed checksum 7, the unchanged build 42"


def test_timeout_kills_the_test_and_says_so(tmp_path):
    project = make_project(tmp_path / "p")
    py = sys.executable
    write(project / "tools" / "test.py", 'import time\nif "parts.clear()" in open("out/lib.cpp").read(): '
                                         'time.sleep(60)\n')
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--format", "json", "--timeout", "3",
                          "--select", "alloc-in-loop", timeout=120)
    assert proc.returncode == 0, proc.stderr
    alloc = by_rule(json.loads(proc.stdout))["alloc-in-loop"]
    assert alloc["verdict"] == "breaks tests"
    assert "took longer than the time limit (3 s)" in alloc["reason"]
    assert f"{py}" in alloc["reason"]


def test_the_unchanged_project_must_pass_its_tests(tmp_path):
    project = make_project(tmp_path / "p")
    py = sys.executable
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--test", f"{py} -c 'raise SystemExit(4)'")
    assert proc.returncode == 2
    assert "the unchanged project's tests fail:" in proc.stdout and "exited with 4" in proc.stdout
    assert not os.listdir(tmp_path / "tmp")


def test_list_and_finding_ids(tmp_path):
    project = make_project(tmp_path / "p")
    proc = hotlint_verify(project, "--unsafe-fixes", "--list")  # lists without running anything: no trust needed
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines()]
    assert [i.split("@")[0] for i in ids] == ["seq-cst-default", "alloc-in-loop"]
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--format", "json", "--finding", ids[1])
    assert [f["id"] for f in json.loads(proc.stdout)["fixes"]] == [ids[1]]
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--finding", "src/lib.cpp:999")
    assert proc.returncode == 3 and "no fixable finding there" in proc.stderr
    proc = hotlint_verify(project, "--list")  # both fixes are unsafe
    assert proc.stdout == ""


def test_apply_leaves_a_file_the_user_changed_meanwhile(tmp_path):
    """The bench edits the user's file while hotlint runs: --apply must not overwrite it."""
    project = make_project(tmp_path / "p", git=False)
    user_file = project / "src" / "lib.cpp"
    write(project / "tools" / "bench.py", TOOLS["tools/bench.py"] + f"""
        open({str(user_file)!r}, "a").write("// edited by the user\\n")
        """)
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--apply", "--format", "json",
                          "--select", "alloc-in-loop")
    assert proc.returncode == 2
    report = json.loads(proc.stdout)
    assert report["applied"] == []
    assert any("changed since hotlint copied it" in e for e in report["errors"])
    assert "std::vector<int> parts;" in user_file.read_text()


# --------------------------------------------------------------------------- settings


def test_settings_commands_are_argument_lists_never_a_shell():
    s = Settings()
    apply_table(s, {"build": "make -j2 'all targets'", "test": [["ctest"], "ctest -L slow"],
                    "bench": ["./bench", "--quick"], "rounds": 5, "working-directory": "build"}, "cfg")
    assert s.build == [["make", "-j2", "all targets"]]
    assert s.test == [["ctest"], ["ctest", "-L", "slow"]]
    assert s.bench == ["./bench", "--quick"] and s.rounds == 5 and s.working_directory == "build"
    for bad, what in (({"rounds": 2}, "between 3"), ({"rounds": True}, "an integer"), ({"timeout": math.nan}, "between"),
                      ({"working-directory": "../elsewhere"}, "inside the project"),
                      ({"working-directory": "/abs"}, "inside the project"), ({"bench": [["a"], ["b"]]}, "one command"),
                      ({"build": []}, "must be a command"), ({"test": "'unclosed"}, "No closing quotation"),
                      ({"bench": [1, 2]}, "must hold strings"), ({"shell": "x"}, "unknown key `verify.shell`")):
        with pytest.raises(UsageError, match=what):
            apply_table(Settings(), bad, "cfg")


def test_ratio_interval_is_a_t_interval_on_log_ratios():
    r = bench.ratio_interval([200.0, 200.0, 200.0], [100.0, 100.0, 100.0])
    assert (r.median, r.low, r.high, r.rounds) == (2.0, 2.0, 2.0, 3)
    before, after = [110.0, 90.0, 100.0, 105.0], [100.0, 100.0, 100.0, 100.0]
    r = bench.ratio_interval(before, after)
    logs = [math.log(b / a) for b, a in zip(before, after)]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    assert r.low == pytest.approx(math.exp(mean - 3.182 * sd / 2))
    assert r.high == pytest.approx(math.exp(mean + 3.182 * sd / 2))
    assert r.low < 1 < r.high and r.smallest == pytest.approx(0.9) and r.largest == pytest.approx(1.1)


def test_alternate_reverses_the_order_every_round():
    calls = []
    times = bench.alternate([lambda: calls.append("a") or 1.0, lambda: calls.append("b") or 2.0], rounds=3, warmup=1)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert times == [[1.0] * 3, [2.0] * 3]


def test_verify_has_help_and_shell_completions():
    proc = subprocess.run([sys.executable, "-m", "hotlint", "verify", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for words in ("--build CMD", "--bench CMD", "--apply", "elapsed_ns", "trusted", "without a shell"):
        assert words in " ".join(proc.stdout.split())
    for shell in ("bash", "zsh", "fish"):
        script = subprocess.run([sys.executable, "-m", "hotlint", "completion", shell], capture_output=True,
                                text=True, check=True).stdout
        assert "verify" in script
        for option in ("min-speedup", "unsafe-fixes", "bench"):
            assert f"--{option}" in script or f"-l {option}" in script


# --------------------------------------------------------------------------- the done-when test


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("cmake") and shutil.which("c++") and shutil.which("git")),
                    reason="needs cmake, a C++ compiler and git")
def test_cmake_project_one_fix_faster_one_no_faster_one_breaks_its_test(tmp_path):
    """tests/data/verify_project: three fixable findings, each with its own outcome."""
    project = tmp_path / "verify_project"
    shutil.copytree(ROOT / "tests" / "data" / "verify_project", project)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "init"],
                   cwd=project, check=True)
    source = project / "src" / "signals.cpp"
    before = source.read_text()
    proc = hotlint_verify(project, "--unsafe-fixes", "--apply", "--format", "json",
                          env={"HOTLINT_TRUSTED_FOLDERS": str(project)}, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    print(json.dumps(report["fixes"], indent=1))  # the figures, for the record (pytest -s)
    fixes = by_rule(report)
    assert len(report["fixes"]) == 3
    assert fixes["alloc-in-loop"]["verdict"] == "verified"
    assert report["min_speedup"] == 1.1  # the project's own setting
    assert fixes["alloc-in-loop"]["interval"][0] > 1.1
    assert fixes["seq-cst-default"]["verdict"] == "no faster"
    assert fixes["serial-fp-reduction"]["verdict"] == "breaks tests"
    assert "total == 0.0" in fixes["serial-fp-reduction"]["output"]
    assert report["applied"] == [fixes["alloc-in-loop"]["id"]]
    after = source.read_text()
    assert "window.clear();" in after
    assert "call_count.fetch_add(1);" in after and "total += r[i];" in after  # the other two not written
    status = subprocess.run(["git", "status", "--short"], cwd=project, capture_output=True, text=True).stdout
    assert status.split() == ["M", "src/signals.cpp"]  # no build folder or anything else in the user's tree
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=project, capture_output=True, text=True).stdout
    assert len(worktrees.splitlines()) == 1
    assert not os.listdir(tmp_path / "tmp")


def test_a_linked_source_is_fixed_in_the_copy_never_through_the_link(tmp_path):
    """A source that links to a file outside the project: the scratch copy gets a fixed file of
    its own; the file the link names is never written."""
    project = make_project(tmp_path / "p", git=False)
    outside = tmp_path / "shared" / "lib.cpp"
    outside.parent.mkdir()
    (project / "src" / "lib.cpp").rename(outside)
    (project / "src" / "lib.cpp").symlink_to(outside)
    original = outside.read_text()
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--format", "json", "--select", "alloc-in-loop")
    assert proc.returncode == 0, proc.stderr
    assert by_rule(json.loads(proc.stdout))["alloc-in-loop"]["verdict"] == "verified"
    assert outside.read_text() == original
    proc = hotlint_verify(project, "--unsafe-fixes", "--trust", "--format", "json", "--select", "alloc-in-loop",
                          "--apply")
    assert proc.returncode == 2
    assert any("outside the project" in e for e in json.loads(proc.stdout)["errors"])
    assert outside.read_text() == original
