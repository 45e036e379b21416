"""alloc-in-loop beyond the fixtures: the hoist fix, its refusals, options, counts, severity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import FIXTURES, engine_diagnostics, parse_expectations
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Applicability, Severity
from hotlint.view import Settings

RULE = "alloc-in-loop"


def _diagnostics(path: Path, **options):
    settings = Settings(rule_options={RULE: options}) if options else None
    result = engine_diagnostics(path, None, rules=[RULE], settings=settings)
    assert not result.errors, [e.message for e in result.errors]
    return result.diagnostics


def _compiles(path: Path) -> subprocess.CompletedProcess:
    cmd = [shutil.which("g++") or "g++", "-std=c++20", "-fsyntax-only", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True)


def _lines(diags) -> list[int]:
    return [d.range.start.line for d in diags]


def test_hoist_fixes_compile_and_silence_their_findings(tmp_path):
    text, _ = parse_expectations((FIXTURES / RULE / "bad.cpp").read_text())
    path = tmp_path / "bad.cpp"
    path.write_text(text)
    before = _diagnostics(path)
    fixable = [d for d in before if d.fix is not None]
    assert len(fixable) >= 5
    assert all(d.fix.applicability is Applicability.UNSAFE for d in fixable)
    # fixes that insert at the same place wait for the next run, as with --fix
    for _ in range(len(fixable)):
        diags = _diagnostics(path)
        _, edits = select_fixes(diags, unsafe=True)
        if not edits:
            break
        path.write_text(apply_edits(path.read_text(), edits))
        proc = _compiles(path)
        assert proc.returncode == 0, proc.stderr
    after = _diagnostics(path)
    assert len(after) == len(before) - len(fixable)
    assert all(d.fix is None for d in after)


def test_hoisted_code(tmp_path):
    path = tmp_path / "hoist.cpp"
    path.write_text(
        "#include <vector>\n"
        "void use(const std::vector<int>&);\n"
        "void f(int n) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::vector<int> tmp;\n"
        "    tmp.push_back(i);\n"
        "    use(tmp);\n"
        "  }\n"
        "}\n"
    )
    (d,) = _diagnostics(path)
    assert "grown by `push_back` (line 6)" in d.message
    assert "1 heap allocation per iteration" in d.message
    fixed = apply_edits(path.read_text(), d.fix.edits)
    assert fixed.splitlines()[3:6] == [
        "  std::vector<int> tmp;",
        "  for (int i = 0; i < n; ++i) {",
        "    tmp.clear();",
    ]


def test_no_hoist_where_it_would_not_compile_or_would_change_names(tmp_path):
    path = tmp_path / "refuse.cpp"
    path.write_text(
        "#include <string>\n"
        "void use(const std::string&);\n"
        "void f(int n, bool c, const std::string& s, int label) {\n"
        "  if (c)\n"
        "    for (int i = 0; i < n; ++i) {\n"  # the loop is the if's body: no room before it
        "      std::string a;\n"
        "      a += s;\n"
        "      use(a);\n"
        "    }\n"
        "  int b = 0;\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::string b;\n"  # the block already declares a `b`
        "    b += s;\n"
        "    use(b);\n"
        "  }\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::string label;\n"  # a parameter of the function the block belongs to
        "    label += s;\n"
        "    use(label);\n"
        "  }\n"
        "  int d = n;\n"
        "  {\n"
        "    for (int i = 0; i < n; ++i) {\n"
        "      std::string d;\n"  # the block uses the outer `d` after the loop
        "      d += s;\n"
        "      use(d);\n"
        "    }\n"
        "    use(std::to_string(d));\n"
        "  }\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    using Text = std::string;\n"  # the type is named inside the loop
        "    Text t;\n"
        "    t += s;\n"
        "    use(t);\n"
        "  }\n"
        "}\n"
    )
    diags = _diagnostics(path)
    assert _lines(diags) == [6, 12, 17, 24, 32]
    assert all(d.fix is None for d in diags), [d.range.start.line for d in diags if d.fix]


def test_sso_capacity_option(tmp_path):
    path = tmp_path / "sso.cpp"
    path.write_text(
        "#include <string>\n"
        "void use(const std::string&);\n"
        "void f(int n) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::string s = \"eighteen chars....\";\n"
        "    use(s);\n"
        "  }\n"
        "}\n"
    )
    (d,) = _diagnostics(path)
    assert "18-character literal, longer than the 15-character small-string buffer" in d.message
    assert _diagnostics(path, **{"sso-capacity": 22}) == []


def test_through_calls_option(tmp_path):
    path = tmp_path / "calls.cpp"
    path.write_text(
        "#include <vector>\n"
        "void fill(std::vector<int>& out);\n"
        "void look(const std::vector<int>& in);\n"
        "void f(int n) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::vector<int> v;\n"
        "    fill(v);\n"
        "    look(v);\n"
        "  }\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::vector<int> w;\n"
        "    look(w);\n"  # a const reference cannot grow it
        "  }\n"
        "}\n"
    )
    assert _lines(_diagnostics(path)) == [6]
    assert _diagnostics(path, **{"through-calls": False}) == []


def test_counts_conditional_allocations_and_raises_severity_when_nested(tmp_path):
    path = tmp_path / "count.cpp"
    path.write_text(
        "#include <memory>\n"
        "struct P { long a, b; };\n"
        "void keep(P*);\n"
        "void f(int n) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    keep(new P{1, 2});\n"
        "    if (i % 2) keep(new P{3, 4});\n"
        "    for (int j = 0; j < n; ++j) keep(new P{5, 6});\n"
        "  }\n"
        "}\n"
    )
    diags = _diagnostics(path)
    first, second, inner = diags
    assert "up to 2 heap allocations per iteration" in first.message
    assert "1 heap allocation per iteration" in inner.message
    assert first.severity is Severity.WARNING
    assert inner.severity is Severity.ERROR


def test_once_per_loop_and_cold_paths_are_quiet(tmp_path):
    path = tmp_path / "once.cpp"
    path.write_text(
        "#include <memory>\n#include <stdexcept>\n#include <string>\n"
        "struct P { long a, b; };\n"
        "std::unique_ptr<P> f(int n) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    if (i == 7) return std::make_unique<P>();\n"
        "    if (i < 0) throw std::runtime_error(\"bad index \" + std::to_string(i));\n"
        "    switch (i) {\n"
        "      case 3: { auto p = std::make_unique<P>(); break; }\n"  # leaves the switch, not the loop
        "    }\n"
        "  }\n"
        "  return nullptr;\n"
        "}\n"
    )
    assert _lines(_diagnostics(path)) == [10]
