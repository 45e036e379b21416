"""dynamic-dispatch-in-hot-loop on real C++: the same target per element is reported, a target
that changes or that the compiler sees is not, and the hot-path model ranks what is left."""

from __future__ import annotations

import pytest

from conftest import ROOT, analyze_source, run_json, write

RULE = "dynamic-dispatch-in-hot-loop"
HIERARCHY = """\
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>
struct Shape { virtual ~Shape() = default; virtual float area(float x) const = 0; };
struct Circle : Shape { float area(float x) const override { return 3 * x * x; } };
struct Square : Shape { float area(float x) const override { return x * x; } };
struct Tri final : Shape { float area(float x) const override { return x / 2; } };
"""


def lines(tmp_path, body):
    _, diags = analyze_source(tmp_path, HIERARCHY + body, rules=[RULE])
    first = HIERARCHY.count("\n")
    return [d.range.start.line - first for d in diags], diags


def test_the_same_object_through_a_reference_is_reported_with_its_static_type(tmp_path):
    got, [d] = lines(tmp_path, """\
void run(const Shape& s, float* x, int n) {
    for (int i = 0; i < n; ++i) x[i] = s.area(x[i]);
}
""")
    assert got == [2]
    assert d.message.startswith("virtual call `area` per element on `s`, which the loop never changes")
    assert len(d.message) < 120
    assert "slot of `Shape::area`" in d.notes[0] and "not vectorized" in d.notes[0]
    assert "`area_all(span)`" in d.notes[1] and "`final`" in d.notes[1]


@pytest.mark.parametrize("body", [
    # a different object per element, from a container the file cannot see into
    "void f(const std::vector<std::unique_ptr<Shape>>& v, float* x) {\n"
    "    int i = 0; for (const auto& s : v) { x[i] = s->area(x[i]); ++i; }\n}\n",
    # a local container filled with two types
    "void f(float* x, int n) {\n    std::vector<std::unique_ptr<Shape>> v;\n"
    "    v.push_back(std::make_unique<Circle>()); v.push_back(std::make_unique<Square>());\n"
    "    for (int i = 0; i < n; ++i) x[i] = v[i % 2]->area(x[i]);\n}\n",
    # a final class; a local by value; a pointer to that local; a qualified call
    "void f(const Tri& t, const Circle* c, float* x, int n) {\n    Square sq; const Shape* p = &sq;\n"
    "    for (int i = 0; i < n; ++i) x[i] = t.area(x[i]) + sq.area(x[i]) + p->area(1) + c->Circle::area(2);\n}\n",
    # a std::function called once, outside the loop
    "float f(const std::function<float(float)>& fn, float x) { return fn(x); }\n",
    # the object picked in the body, or replaced in it
    "void f(Shape* const* t, std::unique_ptr<Shape> u, std::unique_ptr<Shape> w, float* x, int n) {\n"
    "    for (int i = 0; i < n; ++i) { Shape* s = t[i & 1]; x[i] = s->area(x[i]) + u->area(1); u.swap(w); }\n}\n",
])
def test_targets_that_change_or_that_the_compiler_sees_are_not_reported(tmp_path, body):
    got, diags = lines(tmp_path, body)
    assert got == [], [d.message for d in diags]


def test_a_container_filled_with_one_type_names_it_and_where_it_was_filled(tmp_path):
    got, [d] = lines(tmp_path, """\
void f(float* x, int n) {
    std::vector<std::unique_ptr<Shape>> v;
    v.push_back(std::make_unique<Circle>());
    v.emplace_back(new Circle);
    for (int i = 0; i < n; ++i)
        for (const auto& s : v) x[i] = s->area(x[i]);
}
""")
    assert got == [6]
    assert d.message == ("every element of `v` is a `Circle`, yet `area` is dispatched per element: "
                         "store `Circle` objects by value")
    assert "are `Circle` (lines 11, 12)" in d.notes[0]  # the file's lines, hierarchy included


def test_a_std_function_replaced_in_the_loop_is_not_reported_but_a_kept_one_is(tmp_path):
    got, diags = lines(tmp_path, """\
void f(std::function<float(float)> fn, const std::function<float(float)>& g, float* x, int n) {
    for (int i = 0; i < n; ++i) {
        x[i] = fn(x[i]) + g(x[i]);
        fn = [](float v) { return v + 1; };
    }
}
""")
    assert got == [3] and diags[0].range.start.column == 27  # g, not fn
    assert diags[0].message.startswith("`std::function` `g` is called per element")


def test_a_batch_method_whose_overrides_loop_is_the_fix_not_a_finding(tmp_path):
    got, _ = lines(tmp_path, """\
struct Block { virtual ~Block() = default; virtual void run(float* x, int n) const = 0; };
struct Twice final : Block { void run(float* x, int n) const override { for (int i = 0; i < n; ++i) x[i] *= 2; } };
struct Small : Block { void run(float* x, int) const override { for (int i = 0; i < 4; ++i) x[i] += 1; } };
void f(const Block& b, float* x, int rows, int n) {
    for (int r = 0; r < rows; ++r) b.run(x + r * n, n);
}
""")
    # `Small::run` loops only four times: its dispatch is not amortized, so the call is reported
    assert got == [5]


def test_only_looping_overrides_silence_the_call(tmp_path):
    got, _ = lines(tmp_path, """\
struct Block { virtual ~Block() = default; virtual void run(float* x, int n) const = 0; };
struct Twice final : Block { void run(float* x, int n) const override { for (int i = 0; i < n; ++i) x[i] *= 2; } };
void f(const Block& b, float* x, int rows, int n) {
    for (int r = 0; r < rows; ++r) b.run(x + r * n, n);
}
""")
    assert got == []


COLD = HIERARCHY + """\
float hot_nest(const Shape& s, const float* x, float* y, int rows, int n) {
    for (int r = 0; r < rows; ++r)
        for (int i = 0; i < n; ++i) y[r * n + i] = s.area(x[i]);  // @nest
    return y[0];
}
void logged(const Shape& s, const float* x, int n) {
    for (int i = 0; i < n; ++i) std::printf("%f\\n", s.area(x[i]));  // @io
}
void guarded(const Shape& s, float* x, int n) {
    try { x[0] = 1; } catch (...) {
        for (int i = 0; i < n; ++i) x[i] = s.area(x[i]);  // @catch
    }
}
void init_table(const Shape& s, float* x, int n) {
    for (int i = 0; i < n; ++i) x[i] = s.area(x[i]);  // @setup
}
"""


def test_the_hot_path_model_ranks_the_findings(tmp_path):
    from conftest import markers

    path = write(tmp_path / "cold.cpp", COLD)
    at = markers(path)
    _, data = run_json("--select", RULE, "--min-severity", "info", "--no-cache", "cold.cpp", cwd=tmp_path)
    severity = {d["line"]: d["severity"] for d in data["diagnostics"]}
    assert severity == {at["nest"]: "warning", at["io"]: "info", at["catch"]: "info", at["setup"]: "info"}
    # cold code stays below the default threshold: only the nest is shown
    _, shown = run_json("--select", RULE, "--no-cache", "cold.cpp", cwd=tmp_path)
    assert [d["line"] for d in shown["diagnostics"]] == [at["nest"]]


def test_a_nested_loop_is_raised_by_the_engine(tmp_path):
    _, diags = analyze_source(tmp_path, COLD, rules=[RULE])
    by_line = {d.range.start.line: d.severity.value for d in diags}
    nest = COLD.splitlines().index(next(l for l in COLD.splitlines() if "@nest" in l)) + 1
    assert by_line[nest] == "error"  # depth 2 before ranking; no profile caps it at a warning


def test_the_rule_agrees_with_the_rule_pack_prototype_it_grew_from(tmp_path):
    example = ROOT / "tests" / "data" / "rulepack_dispatch" / "example.cpp"
    _, diags = analyze_source(tmp_path, example.read_text(), rules=[RULE])
    assert [d.range.start.line for d in diags] == [7, 22, 27]


def test_the_bench_pair_is_flagged_and_its_fix_is_clean():
    pair = ROOT / "bench_fixtures" / RULE
    _, slow = run_json("--select", RULE, "--min-severity", "info", "--no-cache", str(pair / "slow.cpp"))
    assert {d["message"].split(" ")[0] for d in slow["diagnostics"]} == {"virtual", "`std::function`"}
    _, fast = run_json("--min-severity", "info", "--no-cache", str(pair / "fast.cpp"))
    assert fast["diagnostics"] == []


def test_a_call_whose_small_body_the_file_does_not_show_is_an_info(tmp_path):
    source = """\
struct Sink { virtual ~Sink() = default; virtual void put(int v) = 0; virtual int get() const = 0; };
int slow_sum(int v);  // defined elsewhere: a call inlining would not remove
struct Adder : Sink {
    int total = 0;
    void put(int v) override { total += slow_sum(v); }
    int get() const override { return total; }
};
void feed(Sink& s, const int* v, int n) {
    for (int i = 0; i < n; ++i) s.put(v[i]);
    for (int i = 0; i < n; ++i) s.put(s.get());
}
"""
    _, diags = analyze_source(tmp_path, source, rules=[RULE])
    got = {(d.range.start.line, d.range.start.column): d for d in diags}
    put, get = got[(9, 33)], got[(10, 39)]
    assert put.severity.value == "info" and "no small definition of `put`" in put.notes[-1]
    assert get.severity.value == "warning" and len(get.notes) == 2  # `Adder::get` is one load
