"""Per-unit facts (``hotlint --facts-out``) merged by ``hotlint merge`` report what one run over
every unit reports: the call graph and thread roles joined across units (hotlint.facts)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import run_cli, write

DATA = Path(__file__).resolve().parent / "data" / "threads"

# a.cpp's hot function calls b.cpp's `process` in a loop: only the joined graph makes the
# allocation in `process` a warning; `lonely`'s stays an info
A = """\
void process(int n);
[[gnu::hot]] void run() {
    for (int i = 0; i < 1000; ++i) {
        process(i);
    }
}
"""
B = """\
#include <memory>
struct Item { long id; long weight; };
void consume(const Item* item);
void process(int n) {
    for (int k = 0; k < n; ++k) {
        Item* item = new Item{k, 1};
        consume(item);
        delete item;
    }
}
void lonely(int n) {
    for (int k = 0; k < n; ++k) {
        auto owned = std::make_unique<Item>();
        consume(owned.get());
    }
}
"""
BROKEN = "void broken( {\n"


def project(tmp_path: Path) -> Path:
    write(tmp_path / "src" / "a.cpp", A)
    write(tmp_path / "src" / "b.cpp", B)
    return tmp_path


def facts_for(root: Path, units: list[str], out: Path, *extra: str) -> list[Path]:
    written = []
    for unit in units:
        f = out / (unit.replace("/", "_") + ".hotlint-facts.json")
        proc = run_cli("--no-cache", *extra, "--facts-out", str(f), unit, cwd=root)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""  # no report: merge makes it
        written.append(f)
    return written


def both(root: Path, units: list[str], *report_args: str, facts=None):
    """(whole-project run, merge of per-unit facts), each (exit code, stdout)."""
    whole = run_cli("--no-cache", *report_args, *units, cwd=root)
    facts = facts or facts_for(root, units, root / "facts")
    merged = run_cli("merge", *report_args, *map(str, facts), cwd=root)
    return (whole.returncode, whole.stdout), (merged.returncode, merged.stdout)


@pytest.mark.parametrize("report_args", [("--format", "json", "--min-severity", "info"),
                                         ("--format", "concise"), ("--format", "sarif"), ()])
def test_merge_reports_what_a_whole_project_run_reports(tmp_path, report_args):
    root = project(tmp_path)
    whole, merged = both(root, ["src/a.cpp", "src/b.cpp"], *report_args)
    assert merged == whole
    assert whole[0] == 1


def test_a_callee_in_another_unit_is_raised_by_the_hot_caller(tmp_path):
    root = project(tmp_path)
    alone = json.loads(run_cli("--no-cache", "--format", "json", "--min-severity", "info", "src/b.cpp",
                               cwd=root).stdout)
    assert {d["line"]: d["severity"] for d in alone["diagnostics"]} == {6: "info", 13: "info"}
    facts = facts_for(root, ["src/a.cpp", "src/b.cpp"], root / "facts")
    merged = json.loads(run_cli("merge", "--format", "json", "--min-severity", "info", str(root / "facts"),
                                cwd=root).stdout)
    by_line = {d["line"]: d for d in merged["diagnostics"]}
    assert by_line[6]["severity"] == "warning" and "called from `run`" in by_line[6]["message"]
    assert by_line[13]["severity"] == "info"
    assert by_line[6]["path"] == "src/b.cpp"
    # the facts of b.cpp hold its findings before ranking: no evidence of hotness either way yet
    b = json.loads(facts[1].read_text())
    assert [d["line"] for d in b["results"][0]["diagnostics"]] == [6, 13]
    assert not any("called from" in d["message"] or "no evidence" in d["message"]
                   for d in b["results"][0]["diagnostics"])


def test_thread_roles_join_across_units(tmp_path):
    for f in (DATA / "memtable").iterdir():
        shutil.copy(f, tmp_path / f.name)
    units = ["db.cpp", "memtable.cpp", "memtable.h"]
    whole, merged = both(tmp_path, units, "--format", "json", "--min-severity", "info")
    assert merged == whole
    sharing = [d for d in json.loads(merged[1])["diagnostics"] if d["rule"] == "false-sharing"]
    assert sharing and all("one writer: the thread running `WriterLoop`" in d["message"] for d in sharing)


def test_errors_of_a_unit_are_merged(tmp_path):
    root = project(tmp_path)
    write(root / "src" / "c.cpp", BROKEN)
    whole, merged = both(root, ["src/a.cpp", "src/b.cpp", "src/c.cpp"], "--format", "json")
    assert merged == whole
    assert whole[0] == 2 and json.loads(whole[1])["errors"]


def test_facts_are_the_same_bytes_wherever_the_unit_is_analyzed(tmp_path):
    one, two = project(tmp_path / "one"), project(tmp_path / "elsewhere" / "two")
    f1 = facts_for(one, ["src/b.cpp"], tmp_path / "f1")[0]
    f2 = facts_for(two, ["src/b.cpp"], tmp_path / "f2", "-j", "2")[0]
    assert f1.read_bytes() == f2.read_bytes()
    assert str(tmp_path) not in f1.read_text()
    assert f1.read_text().endswith("\n") and f1.read_text().count("\n") == 1
    assert [p.name for p in f1.parent.iterdir()] == [f1.name]  # no temporary file left behind
    # merged under the other checkout, the report names its files
    merged = run_cli("merge", "--format", "concise", "--min-severity", "info", str(f1), cwd=two)
    assert merged.stdout.startswith("src/b.cpp:6:22: info:"), merged.stdout


def test_merge_with_root_reads_facts_from_elsewhere(tmp_path):
    root = project(tmp_path / "p")
    facts = facts_for(root, ["src/a.cpp", "src/b.cpp"], tmp_path / "facts")
    proc = run_cli("merge", "--format", "json", "--root", str(root), str(tmp_path / "facts"), cwd=tmp_path)
    diags = json.loads(proc.stdout)["diagnostics"]
    assert [(d["path"], d["line"], d["severity"]) for d in diags] == [("p/src/b.cpp", 6, "warning")]
    listing = write(tmp_path / "facts.list", "\n".join(map(str, facts)) + "\n")
    again = run_cli("merge", "--format", "json", "--root", str(root), f"@{listing}", cwd=tmp_path)
    assert again.stdout == proc.stdout


@pytest.mark.parametrize("bad", ["not json at all", '{"format": "something-else"}',
                                 '{"format": "hotlint-facts", "version": 99}',
                                 '{"format": "hotlint-facts", "version": 1, "results": [{"path": 3}]}'])
def test_a_bad_facts_file_is_an_error_naming_it_and_the_rest_is_merged(tmp_path, bad):
    root = project(tmp_path)
    facts = facts_for(root, ["src/a.cpp", "src/b.cpp"], root / "facts")
    corrupt = write(root / "facts" / "corrupt.hotlint-facts.json", bad)
    proc = run_cli("merge", "--format", "json", str(root / "facts"), cwd=root)
    assert proc.returncode == 2, proc.stderr
    data = json.loads(proc.stdout)
    assert [e["path"] for e in data["errors"]] == ["facts/corrupt.hotlint-facts.json"]
    assert data["errors"][0]["kind"] == "facts"
    assert [(d["line"], d["severity"]) for d in data["diagnostics"]] == [(6, "warning")]  # the others, joined
    text = run_cli("merge", str(root / "facts"), cwd=root)
    assert "corrupt.hotlint-facts.json: error: facts " in text.stdout
    assert len(facts) == 2 and corrupt.exists()


def test_missing_facts_file_and_usage(tmp_path):
    root = project(tmp_path)
    proc = run_cli("merge", "--format", "json", "nowhere.hotlint-facts.json", cwd=root)
    assert proc.returncode == 2
    assert "cannot read it" in json.loads(proc.stdout)["errors"][0]["message"]
    for option in (["--fix"], ["--export-fixes", "x.yaml"], ["--baseline", "b.json"], ["-o", "r.txt"]):
        proc = run_cli("--facts-out", "f.json", *option, "src/a.cpp", cwd=root)
        assert proc.returncode == 3 and "give the report's options to `hotlint merge`" in proc.stderr, option
    assert not (root / "f.json").exists()
    assert run_cli("merge", cwd=root).returncode == 3
    empty = root / "empty"
    empty.mkdir()
    proc = run_cli("merge", str(empty), cwd=root)
    assert proc.returncode == 3 and "no facts files" in proc.stderr


def test_merge_overrides_the_units_minimum_severity(tmp_path):
    root = project(tmp_path)
    facts = facts_for(root, ["src/a.cpp", "src/b.cpp"], root / "facts", "--min-severity", "info")
    shown = run_cli("merge", "--format", "json", *map(str, facts), cwd=root)
    assert len(json.loads(shown.stdout)["diagnostics"]) == 2  # the units' setting travels in the facts
    hidden = run_cli("merge", "--format", "json", "--min-severity", "warning", *map(str, facts), cwd=root)
    assert len(json.loads(hidden.stdout)["diagnostics"]) == 1


def test_duplicate_units_in_two_facts_files(tmp_path):
    root = project(tmp_path)
    facts_for(root, ["src/b.cpp"], root / "f1")
    facts_for(root, ["src/b.cpp"], root / "f2")
    write(root / "src" / "b.cpp", "// moved down a line\n" + B)
    facts_for(root, ["src/b.cpp"], root / "f3")
    same = run_cli("merge", "--format", "json", "--min-severity", "info", "f1", "f2", cwd=root)
    assert len(json.loads(same.stdout)["diagnostics"]) == 2 and "differ" not in same.stderr
    differ = run_cli("merge", "--format", "json", "f1", "f3", cwd=root)
    assert "facts from several units differ" in differ.stderr


def test_path_marker_round_trip():
    from hotlint.facts import relocate_in, relocate_out

    data = {"/r/x/a.cpp": ["/r/x/b.h", "nul \x00R here", "\x00\x00", "/elsewhere/c.h", 3, None]}
    out = relocate_out(data, "/r/x")
    assert "/r/x" not in json.dumps(out)
    assert relocate_in(out, "/r/x") == data
    assert relocate_in(out, "/new") == {"/new/a.cpp": ["/new/b.h", "nul \x00R here", "\x00\x00",
                                                       "/elsewhere/c.h", 3, None]}


def test_merge_takes_a_baseline_as_a_run_does(tmp_path):
    root = project(tmp_path)
    units = ["src/a.cpp", "src/b.cpp"]
    assert run_cli("--no-cache", "--write-baseline", "whole.json", *units, cwd=root).returncode == 0
    facts = facts_for(root, units, root / "facts")
    assert run_cli("merge", "--write-baseline", "merged.json", *map(str, facts), cwd=root).returncode == 0
    assert (root / "merged.json").read_text() == (root / "whole.json").read_text()
    recorded = json.loads((root / "whole.json").read_text())["findings"]
    assert [(f["path"], f["function"]) for f in recorded] == [("src/b.cpp", "process")]  # the warning
    # a new hot allocation above the old one: only it is new
    write(root / "src" / "b.cpp", B.replace("    for (int k = 0; k < n; ++k) {\n        Item* item",
                                            "    for (int j = 0; j < n; ++j) {\n        consume(new Item{j, 2});\n"
                                            "    }\n    for (int k = 0; k < n; ++k) {\n        Item* item", 1))
    facts = facts_for(root, units, root / "facts")
    whole, merged = both(root, units, "--format", "json", "--baseline", "whole.json", facts=facts)
    assert merged == whole
    new = json.loads(merged[1])["diagnostics"]
    assert [(d["line"], d["severity"]) for d in new] == [(6, "warning")], new
