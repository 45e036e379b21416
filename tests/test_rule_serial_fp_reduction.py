"""serial-fp-reduction: what the unit's flags allow, and the partial-sums rewrite run for real."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import FIXTURES, engine_diagnostics, parse_expectations, run_json

RULE = "serial-fp-reduction"
SUM_SQ_DIFF = """\
float sum_sq_diff(const float* a, const float* b, int n) {
    float sum = 0;
    for (int i = 0; i < n; ++i) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}
"""
LOWEST = """\
float lowest(const float* x, int n) {
    float m = x[0];
    for (int i = 1; i < n; ++i)
        if (x[i] < m)
            m = x[i];
    return m;
}
"""
OMP = """\
float dot(const float* x, const float* y, int n) {
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int i = 0; i < n; ++i)
        s += x[i] * y[i];
    return s;
}
"""


def findings(tmp_path, source, *flags, name="case.cpp"):
    from hotlint.engine import EngineOptions, analyze

    path = tmp_path / name
    path.write_text(source)
    args = ["-x", "c++", "-std=c++20", *flags]
    result = analyze(str(path), source, args, EngineOptions(rules=(RULE,)))
    assert not result.errors, [e.message for e in result.errors]
    return result.diagnostics


@pytest.mark.parametrize("flags", [["-O2"], ["-O3"], ["-O3", "-march=x86-64-v3"], ["-Ofast", "-O3"],
                                   ["-O3", "-fassociative-math"], ["-O3", "-fopenmp-simd"],
                                   ["-O3", "-ffast-math", "-fno-associative-math"],
                                   ["-O3", "-ffast-math", "-fsigned-zeros"], ["-O3", "-ffast-math", "-fno-fast-math"]])
def test_the_reference_kernel_is_reported_where_gcc_keeps_the_order(tmp_path, flags):
    [d] = findings(tmp_path, SUM_SQ_DIFF, *flags)
    assert d.range.start.line == 5 and d.message.startswith("`sum` is a float sum kept in source order")
    assert any("vaddss" in n for n in d.notes)
    cancelled = flags in (["-O3", "-fassociative-math"], ["-O3", "-ffast-math", "-fsigned-zeros"])
    assert ("-fassociative-math is set but has no effect" in " ".join(d.notes)) == cancelled


@pytest.mark.parametrize("flags", [["-O2", "-ffast-math"], ["-O3", "-ffast-math"], ["-Ofast"], ["-O2", "-Ofast"],
                                   ["-O3", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"],
                                   ["-O3", "-funsafe-math-optimizations"]])
def test_the_reference_kernel_is_silent_where_the_flags_allow_reordering(tmp_path, flags):
    assert findings(tmp_path, SUM_SQ_DIFF, *flags) == []


def test_min_max_need_finite_math_and_no_signed_zeros_not_associativity(tmp_path):
    # g++ 12 -O3: vminps under -ffinite-math-only -fno-signed-zeros, vminss under -funsafe-math-optimizations
    assert findings(tmp_path, LOWEST, "-O3", "-ffinite-math-only", "-fno-signed-zeros") == []
    [d] = findings(tmp_path, LOWEST, "-O3", "-funsafe-math-optimizations")
    assert "minimum" in d.message and d.fix is None
    assert findings(tmp_path, SUM_SQ_DIFF, "-O3", "-ffinite-math-only", "-fno-signed-zeros") != []


def test_omp_simd_reduction_counts_only_with_openmp(tmp_path):
    assert findings(tmp_path, OMP, "-O3", "-fopenmp-simd") == []
    assert findings(tmp_path, OMP, "-O3", "-fopenmp") == []
    [d] = findings(tmp_path, OMP, "-O3")
    assert d.message.startswith("`#pragma omp simd reduction` on `s` is ignored without -fopenmp-simd")
    assert d.fix is None  # a rewrite under the pragma would put a declaration where it wants a loop


def test_flags_come_from_the_compile_database(tmp_path):
    source = tmp_path / "kernel.cpp"
    source.write_text(SUM_SQ_DIFF)
    counts = {}
    for flags in (["-O2"], ["-O3", "-ffast-math"]):
        db = [{"directory": str(tmp_path), "file": str(source),
               "arguments": ["g++", *flags, "-c", str(source)]}]
        (tmp_path / "compile_commands.json").write_text(json.dumps(db))
        proc, data = run_json("--no-cache", "--min-severity", "info", "--select", RULE, str(source), cwd=tmp_path)
        assert not data["errors"], data["errors"]
        counts[" ".join(flags)] = len(data["diagnostics"])
    assert counts == {"-O2": 1, "-O3 -ffast-math": 0}


def test_headlines_are_short():
    for path in sorted((FIXTURES / RULE).glob("*.cpp")):
        text, _ = parse_expectations(path.read_text())
        for d in engine_diagnostics(path, text, rules=[RULE]).diagnostics:
            assert len(d.message) <= 120, d.message


# --------------------------------------------------------------------------- the rewrite, run

DRIVER = """
#include <cmath>
#include <cstdio>
#include <initializer_list>
float sum_sq_diff(const float* a, const float* b, int n);
double total(const double* x, int n);
double balance(const double* x, int n, double opening);
float likelihood(const float* p, int n);
int main() {
    static float a[1003], b[1003], p[1003];
    static double x[1003];
    for (int i = 0; i < 1003; ++i) {
        a[i] = 0.37f * (i % 17); b[i] = 1.0f / (1 + i % 5);
        x[i] = std::sin(i * 0.1) * 1e3; p[i] = 1.0f + 0.0003f * (i % 7);
    }
    for (int n : {0, 1, 7, 8, 9, 64, 1003})
        std::printf("%d %.9g %.17g %.17g %.9g\\n", n, sum_sq_diff(a, b, n), total(x, n), balance(x, n, 5.0),
                    likelihood(p, n));
}
"""
KERNELS = SUM_SQ_DIFF + """
double total(const double* x, int n) {
    double s = 0.0;
    for (int i = 0; i < n; ++i)
        s = s + x[i];
    return s;
}
double balance(const double* x, int n, double opening) {
    double s = opening;
    for (int i = 0; i < n; ++i) s -= 0.5 * x[i];
    return s;
}
float likelihood(const float* p, int n) {
    float prod = 1.0f;
    for (int i = 0; i < n; ++i)
        prod *= p[i];
    return prod;
}
"""


def _run(tmp_path, name: str, kernels: str) -> list[list[float]]:
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.fail("g++ is required for this test (.ci/run installs it)")
    (tmp_path / f"{name}.cpp").write_text(kernels)
    (tmp_path / "driver.cpp").write_text(DRIVER)
    exe = tmp_path / name
    subprocess.run([gxx, "-O2", "-std=c++20", str(tmp_path / f"{name}.cpp"), str(tmp_path / "driver.cpp"), "-o",
                    str(exe)], check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    return [[float(v) for v in line.split()] for line in out.splitlines()]


def test_the_partial_sums_rewrite_compiles_and_agrees_up_to_rounding(tmp_path):
    from hotlint.fixes import apply_edits

    diags = findings(tmp_path, KERNELS, "-O2")
    assert len(diags) == 4 and all(d.fix is not None for d in diags)
    assert {d.fix.applicability.value for d in diags} == {"unsafe"}
    fixed = KERNELS
    for d in sorted(diags, key=lambda d: d.range.start, reverse=True):  # non-overlapping: one loop each
        fixed = apply_edits(fixed, d.fix.edits)
    assert fixed.count("+ 8 <= n; i += 8") == 4
    before, after = _run(tmp_path, "before", KERNELS), _run(tmp_path, "after", fixed)
    assert [row[0] for row in before] == [row[0] for row in after]
    for old, new in zip(before, after):
        assert new == pytest.approx(old, rel=1e-5, abs=1e-9)
    # the rewritten loops carry eight chains and a short remainder: nothing left to report
    assert findings(tmp_path, fixed, "-O2", name="fixed.cpp") == []
