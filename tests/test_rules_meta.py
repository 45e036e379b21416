"""Rule metadata and documentation, the whole fixture tree through the CLI, and packaging."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections import Counter

import pytest

from conftest import FIXTURES, ROOT, parse_expectations, run_cli, run_json
from hotlint.rule import DOC_SECTIONS, Rule, load_rules

RULES = load_rules().names()


def test_the_six_rules_of_the_spec_are_registered():
    assert set(RULES) >= {"false-sharing", "seq-cst-default", "alloc-in-loop", "aliasing-vectorization",
                          "aos-layout", "padding-waste"}


@pytest.mark.parametrize("name", RULES)
def test_rule_documentation_has_every_section(name):
    cls = load_rules().rules[name]
    assert cls.summary and cls.name == name
    assert cls.missing_sections() == [], f"{name} lacks {cls.missing_sections()}"
    proc = run_cli("rule", name)
    assert proc.returncode == 0
    for section in DOC_SECTIONS:
        assert f"## {section}" in proc.stdout


def test_the_section_check_can_fail():
    class Incomplete(Rule):
        """## What it does
        Something.

        ## Example
        x
        """

        name = "incomplete"

    assert Incomplete.missing_sections() == [s for s in DOC_SECTIONS if s not in ("What it does", "Example")]


def test_rules_command_lists_all():
    proc = run_cli("rules")
    assert proc.returncode == 0
    listed = [line.split()[0] for line in proc.stdout.splitlines()]
    assert listed == RULES


def _expected_counts() -> Counter:
    counts: Counter = Counter()
    for path in FIXTURES.glob("*/*"):
        if path.suffix in (".cpp", ".c", ".hpp", ".h"):
            _, expected = parse_expectations(path.read_text())
            for (_, rule), n in expected.items():
                counts[rule] += n
    return counts


def test_fixture_tree_through_the_cli_gives_the_expected_counts():
    proc, data = run_json("--min-severity", "info", "--no-cache", "fixtures")
    assert not data["errors"], data["errors"]
    got = Counter(d["rule"] for d in data["diagnostics"])
    assert got == _expected_counts()
    assert proc.returncode == 1
    # good files are silent through the CLI as well
    assert not [d for d in data["diagnostics"] if d["path"].split("/")[-1].startswith("good")]


def test_standard_headers_alone_give_nothing(tmp_path):
    headers = ["atomic", "vector", "string", "map", "unordered_map", "memory", "thread", "mutex", "algorithm",
               "functional", "memory_resource", "deque", "list", "set", "array", "cstdint"]
    (tmp_path / "only_headers.cpp").write_text("".join(f"#include <{h}>\n" for h in headers) + "int main() {}\n")
    proc, data = run_json("--no-cache", "only_headers.cpp", cwd=tmp_path)
    assert proc.returncode == 0, data
    assert data == {"version": 1, "diagnostics": [], "errors": []}


def test_a_plain_install_ships_rules_and_bench_pairs(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("hotlint-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for rule in RULES:
        module = rule.replace("-", "_")
        package = ROOT / "rules" / module
        assert package.is_dir(), f"{rule}: rules/{module}/ is its package"
        for source in package.glob("*.py"):  # every module of the rule's package, not only its entry
            assert f"hotlint/rules/{module}/{source.name}" in names
        assert f"hotlint/bench_fixtures/{rule}/slow.cpp" in names
        assert f"hotlint/bench_fixtures/{rule}/fast.cpp" in names
    assert "hotlint/clang/libclang.py" in names
    assert "hotlint/bench_fixtures/harness.h" in names
