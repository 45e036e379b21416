"""aliasing-vectorization: fixes that compile and remove the finding, applicability, docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import FIXTURES, analyze_source, assert_compiles, parse_expectations, run_cli
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Applicability

RULE = "aliasing-vectorization"


def _diagnostics(tmp_path: Path, source: str):
    return analyze_source(tmp_path, source, rules=[RULE])


def test_every_fix_on_the_bad_fixture_compiles_and_removes_its_finding(tmp_path):
    text, _ = parse_expectations((FIXTURES / RULE / "bad.cpp").read_text())
    path, diags = _diagnostics(tmp_path, text)
    chosen, edits = select_fixes(diags, unsafe=True)
    assert len(chosen) == len(diags)
    fixed = apply_edits(text, edits)
    path.write_text(fixed)
    assert_compiles(path)
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
    assert len(diags) == 1 and "`total_` is written to memory" in diags[0].notes[0]
    fixed = apply_edits(source, diags[0].fix.edits)
    assert "const long* __restrict__ values" in fixed
    path.write_text(fixed)
    assert_compiles(path)


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
    assert_compiles(path)


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
    assert_compiles(path)


def test_restrict_fix_names_every_stored_parameter(tmp_path):
    source = "void f(float *a, float* const b, const float* c, int n) {\n" \
             "    for (int i = 0; i < n; ++i) { a[i] = c[i]; b[i] = c[i]; }\n}\n"
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1
    fixed = apply_edits(source, diags[0].fix.edits)
    assert fixed.startswith("void f(float *__restrict__ a, float* const __restrict__ b, const float* c")
    path.write_text(fixed)
    assert_compiles(path)
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
    assert diags[0].severity.value == "warning" and "9 pairs" in diags[0].notes[0]


def _quotes_nothing_empty(diag) -> bool:
    texts = [diag.message, *diag.notes, diag.fix.description if diag.fix else ""]
    return not any("``" in t for t in texts)


def test_values_written_as_macro_arguments_are_described_and_never_copied(tmp_path):
    # clang gives an expression written as a macro's argument an empty range: its text is not
    # in the file, so the message says what it reads, and no fix spells it (`const auto n = ;`)
    text, _ = parse_expectations((FIXTURES / RULE / "bad_macro_arguments.hpp").read_text())
    path, diags = analyze_source(tmp_path, text, name="case.hpp", rules=[RULE])
    assert len(diags) == 6 and all(_quotes_nothing_empty(d) for d in diags)
    assert "the loop bound `len` in a macro argument" in diags[0].message
    assert "store to an element of `y` in a macro argument" in diags[3].message
    assert "the load of `HOTLINT_AT(x, i)`" in diags[4].message  # the macro's use is the text written
    _, edits = select_fixes(diags, unsafe=True)
    fixed = apply_edits(text, edits)
    assert "= ;" not in fixed
    path.write_text(fixed)
    assert_compiles(path)


def test_a_loop_body_included_from_another_file_is_reported_at_its_loop(tmp_path):
    # the store and load are spelled in body.inc, on a line this file does not have
    (tmp_path / "body.inc").write_text("// the body of axpy's loop\n" * 8 + "        y[i] += a * x[i];\n")
    source = ("void axpy(float* y, const float* x, float a, int n) {\n"
              "    for (int i = 0; i < n; ++i) {\n"
              "#include \"body.inc\"\n"
              "    }\n"
              "}\n")
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and _quotes_nothing_empty(diags[0])
    assert diags[0].range.start.line == 2  # the loop, not line 9 of body.inc read from this file
    assert diags[0].message.startswith(
        "store to an element of `y` in `body.inc` may alias the load of an element of `x` in `body.inc`")
    fixed = apply_edits(source, diags[0].fix.edits)
    assert fixed.startswith("void axpy(float* __restrict__ y,")
    path.write_text(fixed)
    assert_compiles(path)


def test_documentation_has_every_section():
    from hotlint.rule import load_rules

    assert load_rules().rules[RULE].missing_sections() == []


# --------------------------------------------------------------------------- `__restrict__` fix safety

_FIX_MARK = re.compile(r"^\s*//\s*fix:\s*(safe|unsafe|none)\s*$", re.M)


def expected_applicability(text: str) -> dict[int, str]:
    """The `// fix: safe|unsafe|none` marker that last precedes each line of a fixture."""
    out, current = {}, None
    for number, line in enumerate(text.split("\n"), start=1):
        m = _FIX_MARK.search(line)
        if m:
            current = (number, m.group(1))
        out[number] = current
    return out


def test_fix_safety_fixture_marks_each_finding_safe_or_unsafe(tmp_path):
    text, expected = parse_expectations((FIXTURES / RULE / "bad_fix_safety.cpp").read_text())
    _, diags = _diagnostics(tmp_path, text)
    marks = expected_applicability(text)
    assert len(diags) == sum(expected.values())
    used = []
    for d in diags:
        mark_line, want = marks[d.range.start.line]
        got = d.fix.applicability.value if d.fix else "none"
        assert got == want, (d.range.start.line, d.fix.description if d.fix else None)
        used.append(mark_line)
    assert len(used) == len(set(used)) == len(_FIX_MARK.findall(text))  # one finding per marked case


def test_fix_applies_only_the_proven_restricts(tmp_path):
    text, _ = parse_expectations((FIXTURES / RULE / "bad_fix_safety.cpp").read_text())
    path, before = _diagnostics(tmp_path, text)
    safe = {d.range.start.line for d in before if d.fix.applicability is Applicability.SAFE}
    assert len(safe) == 4
    # these findings are infos, which --fix leaves alone unless they are shown
    proc = run_cli("--no-cache", "--fix", "--min-severity", "info", "--select", RULE, path.name, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    fixed = path.read_text()
    for sig in ("static void copy_scaled(float* __restrict__ out, const float* in",
                "void accumulate(double* __restrict__ acc, const double* add",
                "static void sum_into(long& __restrict__ total, const long* values",
                "static void shift(int* __restrict__ dst, const int* src"):
        assert sig in fixed
    assert fixed.count("__restrict__") == text.count("__restrict__") + 4  # the unsafe ones are left alone
    assert_compiles(path)
    _, after = _diagnostics(tmp_path, fixed)
    assert {d.range.start.line for d in after} == {d.range.start.line for d in before} - safe


_CALLER_BASE = """\
#include <vector>
float* lookup(int which);
float g_a[64];
float g_b[64];
DECL void copy(float* out, const float* in, int n) {
    for (int i = 0; i < n; ++i)
        out[i] = in[i];
}
void run(float* p, const float* q) {
    float a[64] = {}, b[64] = {};
    std::vector<float> v(64), w(64);
    std::vector<float>& r = v;
    float* c = a;
    struct { float x[8]; float y[8]; } s = {};
    (void)p; (void)q; (void)r; (void)c; (void)s;
    CALL;
}
"""


def _restrict_applicability(tmp_path, call: str, decl: str = "static", extra: str = "") -> str:
    source = _CALLER_BASE.replace("DECL", decl).replace("CALL", call) + extra
    path, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and "__restrict__" in diags[0].fix.description
    fixed = apply_edits(source, diags[0].fix.edits)
    path.write_text(fixed)
    assert_compiles(path)
    return diags[0].fix.applicability.value


@pytest.mark.parametrize("call", [
    "copy(a, b, 64)",
    "copy(&a[0], &b[0], 64)",
    "copy(a + 1, b, 63)",
    "copy(g_a, g_b, 64)",
    "copy(g_a, a, 64)",
    "copy(v.data(), w.data(), 64)",
    "copy(&v[0], b, 64)",
    "copy(a, b, 64); copy(b, a, 64); copy(v.data(), a, 64)",
])
def test_restrict_is_safe_when_every_call_passes_distinct_objects(tmp_path, call):
    assert _restrict_applicability(tmp_path, call) == "safe"


@pytest.mark.parametrize("call", [
    "copy(a, a, 64)",  # the same base
    "copy(a + 1, a, 63)",  # pointer arithmetic on the same base
    "copy(&a[1], &a[0], 63)",
    "copy(v.data(), v.data(), 64)",
    "copy(r.data(), v.data(), 64)",  # a reference names v again
    "copy(s.x, s.y, 8)",  # two members of one object: not told apart
    "copy(p, b, 64)",  # a parameter passed through
    "copy(a, q, 64)",
    "copy(c, b, 64)",  # a pointer variable
    "copy(lookup(0), b, 64)",  # an unknown pointer
    "copy(a, b, 64); copy(a, a, 64)",  # one bad call is enough
])
def test_restrict_is_unsafe_when_a_call_may_overlap(tmp_path, call):
    assert _restrict_applicability(tmp_path, call) == "unsafe"


@pytest.mark.parametrize("decl, extra, want", [
    ("", "", "unsafe"),  # external linkage: callers elsewhere
    ("extern", "", "unsafe"),
    ("inline", "", "unsafe"),
    ("static inline", "", "safe"),
    ("static", "void (*hook)(float*, const float*, int) = copy;\n", "unsafe"),  # address escapes
    ("static", "auto hook = &copy;\n", "unsafe"),
    ("static", "void call_twice(float* x, const float* y) { copy(x, y, 8); }\n", "unsafe"),
    ("static", "#include <cstddef>\n", "unsafe"),  # an included file could call it
])
def test_restrict_needs_internal_linkage_and_no_escape(tmp_path, decl, extra, want):
    assert _restrict_applicability(tmp_path, "copy(a, b, 64)", decl=decl, extra=extra) == want


def test_restrict_in_an_anonymous_namespace_is_safe(tmp_path):
    source = _CALLER_BASE.replace("DECL void copy", "namespace { void copy").replace(
        "        out[i] = in[i];\n}\n", "        out[i] = in[i];\n}\n}\n").replace("CALL", "copy(a, b, 64)")
    _, diags = _diagnostics(tmp_path, source)
    assert [d.fix.applicability for d in diags] == [Applicability.SAFE]


@pytest.mark.parametrize("body, call, want", [
    # the function reads a global: safe unless a caller passes that global as the output
    ("out[i] = g_b[i] + in[i];", "copy(a, b, 64)", "safe"),
    ("out[i] = g_b[i] + in[i];", "copy(g_b, a, 64)", "unsafe"),
    # a leaf helper's globals count as the function's own
    ("out[i] = peek(i) + in[i];", "copy(g_b, a, 64)", "unsafe"),
    ("out[i] = peek(i) + in[i];", "copy(g_a, a, 64)", "safe"),
    # a global pointer may point at whatever a caller passes
    ("out[i] = g_p[i] + in[i];", "copy(a, b, 64)", "unsafe"),
])
def test_restrict_accounts_for_globals_the_function_reaches(tmp_path, body, call, want):
    source = _CALLER_BASE.replace("DECL", "static").replace("out[i] = in[i];", body).replace("CALL", call)
    source = source.replace("float g_b[64];\n", "float g_b[64];\nfloat* g_p = g_a;\n"
                            "static inline float peek(int i) { return g_b[i]; }\n")
    _, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and diags[0].fix.applicability.value == want, diags[0].fix.description


def test_restrict_is_unsafe_when_another_parameter_may_hold_a_pointer_to_it(tmp_path):
    source = """
struct Span { float* data; int n; };
static void fill(float* out, const Span* in) {
    for (int i = 0; i < in->n; ++i)
        out[i] = in->data[i];
}
void run() {
    float a[8] = {}, b[8] = {};
    Span s{b, 8};
    fill(a, &s);
}
"""
    _, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and diags[0].fix is not None
    assert diags[0].fix.applicability is Applicability.UNSAFE


def test_restrict_ignores_parameters_of_a_type_that_cannot_alias(tmp_path):
    # an `int*` argument may be anything: ints never alias the floats stored
    source = """
static void gather(float* out, const float* in, const int* order, int n) {
    for (int i = 0; i < n; ++i)
        out[i] = in[order[i]];
}
int* order_of(int);
void run() {
    float a[8] = {}, b[8] = {};
    gather(a, b, order_of(0), 8);
}
"""
    _, diags = _diagnostics(tmp_path, source)
    assert len(diags) == 1 and diags[0].fix.applicability is Applicability.SAFE


# ------------------------------------------------------------------ containers, while/do, range-for

_PACKED = re.compile(r"^\s+(movdqu|movdqa|movups|movaps|mulps|addps|pxor|cvttps2dq)\b", re.M)


def _packed_functions(tmp_path: Path, source: str) -> dict[str, bool]:
    """Each function of ``source`` compiled by g++ -O3 -S (x86-64 SSE2) -> whether its code
    holds packed (vector) instructions."""
    import shutil
    import subprocess

    compiler = shutil.which("g++")
    if compiler is None:
        pytest.fail("g++ is required for this test (.ci/run installs it)")
    src, asm = tmp_path / "asm.cpp", tmp_path / "asm.s"
    src.write_text(source)
    proc = subprocess.run([compiler, "-std=c++20", "-O3", "-S", "-fno-asynchronous-unwind-tables", "-o", str(asm),
                           str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = {}
    for m in re.finditer(r"^_Z(\d+)(\w+):\n(.*?)(?=^\s+\.size)", asm.read_text(), re.M | re.S):
        out[m.group(2)[: int(m.group(1))]] = bool(_PACKED.search(m.group(3)))
    return out


def test_container_loops_are_reported_where_gcc_keeps_them_scalar(tmp_path):
    """What g++ 12.2 -O3 (x86-64) makes of bad_containers.cpp, and of it after the fixes:

    * ``mask`` (``v[i] ^= key`` under ``i < v.size()``): scalar; the loop re-reads both
      pointers of ``v`` every iteration (``xorb %sil,(%rdx,%rax); movq (%rdi),%rdx;
      movq 8(%rdi),%rcx; subq %rdx,%rcx; cmpq %rcx,%rax; jb``). ``mask_while`` is the same
      loop. With ``std::vector<unsigned char>& __restrict__ v``: a ``pxor`` loop.
    * ``mask_counted`` (the bound a parameter): still scalar, the data pointer is re-read
      (``movq (%rdi),%rdx; addq %rax,%rdx; xorb %r8b,(%rdx)``).
    * ``to_bytes`` (bytes from floats): scalar, re-reading the pointers of ``out`` and ``x``
      (``movq (%rdi),%rax; movb %cl,(%rax,%rdx); movq (%rsi),%rcx; movq 8(%rsi),%rax``);
      ``__restrict__`` on both references gives a ``cvttps2dq`` loop.
    * ``axpy_do``, ``scale``, ``mask_data`` (infos): vectorized behind a run-time overlap check
      with a scalar copy (``scale``: ``cmpq %r8,%rsi; jnb; cmpq %rcx,%rdx; jnb``); with
      ``const float* __restrict__ scale`` the check is gone and ``*scale`` is read once.
    * Not reported (good_containers.cpp): two ``std::vector<float>&`` (``axpy``) vectorize
      behind an overlap check (``subq %rax,%rsi; cmpq $8,%rsi; ja``) that ``__restrict__`` on
      both references, or on ``data()`` copies, leaves in place: a float store cannot reach
      the vectors' pointers, and no source change removes the check, so there is nothing to
      advise. A range-for over bytes (``mask_range``) reads begin and end once: a ``pxor``
      loop with no check.
    """
    bad, _ = parse_expectations((FIXTURES / RULE / "bad_containers.cpp").read_text())
    good, _ = parse_expectations((FIXTURES / RULE / "good_containers.cpp").read_text())
    before = _packed_functions(tmp_path, bad)
    warned = ["mask", "mask_counted", "to_bytes", "mask_while"]
    assert [before[f] for f in warned] == [False] * 4
    path, diags = _diagnostics(tmp_path, bad)
    by_line = {d.range.start.line: d for d in diags}
    fixes = [by_line[bad.split("\n").index(line) + 1].fix for line in bad.split("\n") if "v[i] ^= key;" in line]
    assert all(f is not None and "__restrict__` to `v`" in f.description for f in fixes)
    fixed = apply_edits(bad, select_fixes(diags, unsafe=True)[1])
    after = _packed_functions(tmp_path, fixed)
    assert [after[f] for f in warned] == [True] * 4
    assert "std::vector<unsigned char>& __restrict__ v" in fixed
    path.write_text(fixed)
    assert_compiles(path)
    assert [d.message for d in _diagnostics(tmp_path, fixed)[1]] == []
    # what is not reported vectorizes (skip_some is no counted loop: nothing to say about aliasing)
    packed = _packed_functions(tmp_path, good)
    assert {f for f, vector in packed.items() if not vector} == {"skip_some"}


def test_container_messages_name_the_pointers_and_the_element_type(tmp_path):
    source = (
        "#include <cstddef>\n#include <cstdint>\n#include <vector>\n"
        "void mask(std::vector<std::uint8_t>& v, std::uint8_t key) {\n"
        "  for (std::size_t i = 0; i < v.size(); ++i) v[i] ^= key;\n"
        "}\n"
    )
    d = _only(_diagnostics(tmp_path, source)[1])
    assert d.message == "store to `v[i]` may alias the loop bound `v.size()`: read the bound into a local before the loop"
    assert d.notes[0] == ("The bound is re-read from memory every iteration, so the trip count is unknown and the "
                          "loop is not vectorized (a store through `unsigned char` may modify a pointer)")
    assert d.notes[1:] == ("store to `v[i]` may also alias the data pointer of `v` (a store through `unsigned char` "
                       "may modify a pointer)",
                       "or copy the data pointer and size of `v` to locals before the loop and index the copies")
    assert d.fix.applicability is Applicability.UNSAFE


@pytest.mark.parametrize("source", [
    # int elements cannot reach the vector's pointers: g++ hoists them and versions the loop
    "void f(std::vector<int>& d, const std::vector<int>& s) { for (std::size_t i = 0; i < s.size(); ++i) d[i] = s[i]; }",
    # a std::array holds its elements: no pointers to modify
    "void f(std::array<unsigned char, 64>& a, unsigned char k) { for (std::size_t i = 0; i < a.size(); ++i) a[i] ^= k; }",
    # a while loop with no induction step the condition reads
    "void f(std::vector<unsigned char>& v, std::size_t n) { std::size_t i = 0, j = 0; while (i < n) { v[j] = 0; ++j; } }",
    # a range-for by reference over bytes, nothing read through memory
    "void f(std::vector<unsigned char>& v, unsigned char k) { for (auto& b : v) b ^= k; }",
])
def test_container_negatives(tmp_path, source):
    head = "#include <array>\n#include <cstddef>\n#include <vector>\n"
    assert [d.message for d in _diagnostics(tmp_path, head + source)[1]] == []


def _only(diags):
    assert len(diags) == 1, [d.message for d in diags]
    return diags[0]
