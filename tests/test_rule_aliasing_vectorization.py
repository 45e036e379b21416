"""aliasing-vectorization: fixes that compile and remove the finding, applicability, docs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, engine_diagnostics, parse_expectations
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Applicability

RULE = "aliasing-vectorization"


def _diagnostics(tmp_path: Path, source: str):
    path = tmp_path / "case.cpp"
    path.write_text(source)
    result = engine_diagnostics(path, source, rules=[RULE])
    assert not result.errors, [e.message for e in result.errors]
    return path, result.diagnostics


def _compiles(path: Path) -> None:
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ not installed")
    proc = subprocess.run([gxx, "-std=c++20", "-fsyntax-only", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_fix_on_the_bad_fixture_compiles_and_removes_its_finding(tmp_path):
    text, _ = parse_expectations((FIXTURES / RULE / "bad.cpp").read_text())
    path, diags = _diagnostics(tmp_path, text)
    chosen, edits = select_fixes(diags, unsafe=True)
    assert len(chosen) == len(diags)
    fixed = apply_edits(text, edits)
    path.write_text(fixed)
    _compiles(path)
    _, after = _diagnostics(tmp_path, fixed)
    assert [d.message for d in after] == []


def test_restrict_on_the_read_pointer_when_the_store_is_a_member(tmp_path):
    source = """
struct Stats {
    long total_;
    void add(const long* values, int n) {
        for (int i = 0; i < n; ++i)
            total_ += values[i];
    }
};
"""
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and "`total_` is written to memory" in diags[0].message
    fixed = apply_edits(source, diags[0].fix.edits)
    assert "const long* __restrict__ values" in fixed
    path.write_text(fixed)
    _compiles(path)


def test_no_restrict_fix_for_a_lambda_capture(tmp_path):
    source = """
void f(float* dst, const float* src, int n) {
    auto body = [&]() {
        for (int i = 0; i < n; ++i)
            dst[i] = src[i];
    };
    body();
}
"""
    _, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and diags[0].fix is None


def test_local_copy_of_a_member_against_a_member_array_is_safe(tmp_path):
    source = """
struct Ring {
    unsigned char bytes_[64];
    int used_;
    void clear() {
        for (int i = 0; i < used_; ++i)
            bytes_[i] = 0;
    }
};
"""
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1
    fix = diags[0].fix
    assert fix.applicability is Applicability.SAFE
    fixed = apply_edits(source, fix.edits)
    assert "const auto used = used_;" in fixed and "i < used;" in fixed
    path.write_text(fixed)
    _compiles(path)


def test_local_copy_through_a_reference_is_unsafe_and_avoids_names_in_use(tmp_path):
    source = """
struct Buf { unsigned char* data; int len; };
int fill(Buf& buf, unsigned char v) {
    int len = 0;
    for (int i = 0; i < buf.len; ++i)
        buf.data[i] = v;
    return len;
}
"""
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and "loop bound `buf.len`" in diags[0].message
    fix = diags[0].fix
    assert fix.applicability is Applicability.UNSAFE
    fixed = apply_edits(source, fix.edits)
    assert "const auto len_copy = buf.len;" in fixed and "const auto data = buf.data;" in fixed
    path.write_text(fixed)
    _compiles(path)


def test_restrict_fix_names_every_stored_parameter(tmp_path):
    source = "void f(float *a, float* const b, const float* c, int n) {\n" \
             "    for (int i = 0; i < n; ++i) { a[i] = c[i]; b[i] = c[i]; }\n}\n"
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1
    fixed = apply_edits(source, diags[0].fix.edits)
    assert fixed.startswith("void f(float *__restrict__ a, float* const __restrict__ b, const float* c")
    path.write_text(fixed)
    _compiles(path)
    assert _diagnostics(tmp_path, fixed)[1] == []


@pytest.mark.parametrize("source", [
    # a store cannot alias a value of an unrelated type
    "void f(short* y, const double* x, int n) { for (int i = 0; i < n; ++i) y[i] = (short)x[i]; }",
    # the store goes to a local
    "float f(const float* x, int n) { float t[8] = {}; for (int i = 0; i < n && i < 8; ++i) t[i] = x[i]; return t[0]; }",
    # a by-value bound cannot change
    "void f(unsigned char* p, int n) { for (int i = 0; i < n; ++i) p[i] = 1; }",
])
def test_negatives(tmp_path, source):
    assert _diagnostics(tmp_path, source)[1] == []


def test_too_many_streams_is_a_warning_even_outside_hot_code(tmp_path):
    params = ", ".join(["float* o"] + [f"const float* i{k}" for k in range(9)])
    body = " + ".join(f"i{k}[j]" for k in range(9))
    source = f"void f({params}, int n) {{\n  for (int j = 0; j < n; ++j)\n    o[j] = {body};\n}}\n"
    _, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1
    assert diags[0].severity.value == "warning" and "9 pairs" in diags[0].message


def test_documentation_has_every_section():
    from hotlint.rule import load_rules

    assert load_rules().rules[RULE].missing_sections() == []
