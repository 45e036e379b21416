"""What the command line prints: collapsed notes and hints, -q, --format concise, --output-file,
and the --fix count in the summary line (through the real command line)."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, run_cli, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"
pytestmark = pytest.mark.usefixtures("trusted_projects")

FALSE_SHARING = """
#include <atomic>
struct Q { std::atomic<long> head; std::atomic<long> tail; };
Q q;
void p() { q.head.fetch_add(1, std::memory_order_relaxed); }
void c() { q.tail.fetch_add(1, std::memory_order_relaxed); }
"""



@pytest.fixture()
def noisy(tmp_path):
    """Three files missing the same header, three empty files, two with the same finding."""
    for i in range(3):
        write(tmp_path / f"m{i}.cpp", f'#include "gone.h"\nstruct S{i} {{ int a; }};\n')
        write(tmp_path / f"e{i}.cpp", "")
    for i in range(2):
        write(tmp_path / f"q{i}.cpp", FALSE_SHARING)
    return tmp_path


def test_repeated_notes_and_hints_collapse_into_one_line_with_a_count(noisy):
    proc = run_cli("--no-cache", "--select", "false-sharing", ".", cwd=noisy)
    assert proc.returncode == 2, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "empty file" in line]
    assert notes == ["hotlint: note: empty file: nothing to analyze (3 files: e0.cpp, e1.cpp, e2.cpp)"]
    errors = [line for line in proc.stdout.splitlines() if "'gone.h' file not found" in line]
    assert [line.split(":")[0] for line in errors] == ["m0.cpp", "m1.cpp", "m2.cpp"]
    helps = [line for line in proc.stdout.splitlines() if "= help:" in line]
    assert len(helps) == 1 and helps[0].endswith("(the same for 3 files)")
    # the evidence of a rule is cited under its first finding only
    assert proc.stdout.count("= evidence:") == 1
    assert proc.stdout.count("[false-sharing]") == 2


def test_quiet_prints_findings_and_the_summary_only(noisy):
    proc = run_cli("--no-cache", "-q", "--select", "false-sharing", ".", cwd=noisy)
    assert proc.returncode == 2
    assert proc.stderr == ""  # no notes
    assert "= help:" not in proc.stdout
    assert proc.stdout.count("[false-sharing]") == 2
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Found 2 findings (2 warnings) in 8 files")


def test_concise_is_one_line_per_finding(noisy):
    proc = run_cli("--no-cache", "--format", "concise", "--select", "false-sharing", ".", cwd=noisy)
    lines = proc.stdout.rstrip().splitlines()
    assert len(lines) == 6, proc.stdout  # 3 errors, 2 findings, the summary
    shape = re.compile(r"^[\w./-]+:\d+:\d+: (error|warning|info): .+ \[[a-z-]+\]$")
    assert all(shape.match(line) for line in lines[:5]), lines
    assert lines[0].startswith("m0.cpp:1:10: error: parse error: 'gone.h' file not found")
    assert lines[3].startswith("q0.cpp:2:") and lines[3].endswith("[false-sharing]")
    assert lines[5].startswith("Found 2 findings")


def test_output_file_holds_the_report_written_atomically(noisy, tmp_path):
    out = noisy / "report.json"
    out.write_text("old")
    out.chmod(0o640)
    proc = run_cli("--no-cache", "--format", "json", "--output-file", "report.json", "--select", "false-sharing",
                   ".", cwd=noisy)
    assert proc.returncode == 2 and proc.stdout == ""
    import json

    data = json.loads(out.read_text())
    assert len(data["diagnostics"]) == 2 and len(data["errors"]) == 3
    assert oct(out.stat().st_mode & 0o777) == oct(0o640)  # the file's permissions kept
    assert not list(noisy.glob(".hotlint-*.tmp"))
    text = run_cli("--no-cache", "-o", "report.txt", "q0.cpp", cwd=noisy)
    assert text.stdout == "" and "\x1b[" not in (noisy / "report.txt").read_text()
    assert (noisy / "report.txt").read_text().rstrip().endswith("1 fixable with --fix.")
    bad = run_cli("--no-cache", "-o", "no/such/folder/r.txt", "q0.cpp", cwd=noisy)
    assert bad.returncode == 3 and "no such folder" in bad.stderr


def test_fix_counts_in_the_summary_line(tmp_path):
    for i in range(2):
        write(tmp_path / f"f{i}.cpp", "struct S { int a; };\n")
    write(tmp_path / "keep.cpp", "struct K { int a; };  // hotlint: ignore\n")
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    proc = run_cli("--no-cache", "--fix", ".", cwd=tmp_path)
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Found 2 findings (2 fixed, 0 remaining) in 3 files")
    assert "fixed" not in proc.stderr


COUNTERS = """\
#include <atomic>
#include <thread>
std::atomic<long> g_hits{0};
long run() {
  std::thread t([] {
    for (int i = 0; i < 100; ++i) {
      g_hits.fetch_add(1);
      ++g_hits;
      g_hits += 2;
    }
  });
  t.join();
  return g_hits.load(std::memory_order_relaxed);
}
"""


def test_a_rules_explanation_is_printed_once_per_run_and_in_full_in_json(tmp_path):
    write(tmp_path / "hits.cpp", COUNTERS)
    proc = run_cli("--no-cache", "--min-severity", "info", "--select", "seq-cst-default", "hits.cpp", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    heads = [line for line in proc.stdout.splitlines() if "[seq-cst-default]" in line]
    assert len(heads) == 3, heads
    mechanism = [line for line in proc.stdout.splitlines() if "is a `LOCK`-prefixed instruction" in line]
    assert len(mechanism) == 1  # under the first finding only
    refers = [line for line in proc.stdout.splitlines() if "as explained under hits.cpp:7:7 above" in line]
    assert len(refers) == 2, proc.stdout
    data = json.loads(run_cli("--no-cache", "--min-severity", "info", "--select", "seq-cst-default", "--format",
                              "json", "hits.cpp", cwd=tmp_path).stdout)
    diagnostics = data["diagnostics"]
    assert len(diagnostics) == 3
    assert all(any("On x86-64 a seq_cst read-modify-write is a `LOCK`-prefixed" in n for n in d["notes"]) for d in diagnostics)
