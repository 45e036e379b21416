"""shared-ptr-copy-in-loop on real C++ through the standard headers: what is a copy only read
through, the traps that must stay silent, severity and cold code, the option, and the
const-reference fix compiled and run before and after."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import analyze_source, assert_compiles
from hotlint.view import Settings

RULE = "shared-ptr-copy-in-loop"
HEAD = """\
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>
#include <vector>
struct Obj { long value = 0; std::shared_ptr<Obj> next; };
"""


def run(tmp_path, body, settings=None):
    path, diags = analyze_source(tmp_path, HEAD + body, rules=[RULE], settings=settings)
    return path, [d for d in diags if d.rule == RULE]


def lines_of(diags):
    return [d.range.start.line - HEAD.count("\n") for d in diags]


def test_by_value_loop_variable_is_reported_with_a_safe_fix(tmp_path):
    _, [d] = run(tmp_path, """\
long total(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (auto p : objs) sum += p->value;
    return sum;
}
""")
    assert d.message == "`p` copies each std::shared_ptr<Obj> of `objs`; bind `const auto& p` instead"
    assert len(d.message) < 120
    assert d.severity.value == "info"  # one loop, nothing says it is hot
    assert d.fix is not None and d.fix.applicability.value == "safe"
    assert [e.new_text for e in d.fix.edits] == ["const auto& "]
    assert any("lock xadd" in n for n in d.notes)


@pytest.mark.parametrize("declared, expected", [
    ("std::shared_ptr<Obj> p", "const std::shared_ptr<Obj>& "),
    ("const auto p", "const auto& "),
    ("auto const p", "auto const& "),
])
def test_the_written_type_becomes_a_const_reference(tmp_path, declared, expected):
    _, [d] = run(tmp_path, f"""\
long total(const std::vector<std::shared_ptr<Obj>>& objs) {{
    long sum = 0;
    for ({declared} : objs) if (p && p != nullptr) sum += (*p).value + p.get()->value + p.use_count();
    return sum;
}}
""")
    assert [e.new_text for e in d.fix.edits] == [expected] and d.fix.applicability.value == "safe"


def test_nested_loop_or_hot_function_raise_it_to_a_warning(tmp_path):
    _, diags = run(tmp_path, """\
long grid(const std::vector<std::vector<std::shared_ptr<Obj>>>& rows) {
    long sum = 0;
    for (const auto& row : rows)
        for (auto p : row) sum += p->value;
    return sum;
}
[[gnu::hot]] long flat(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (auto p : objs) sum += p->value;
    return sum;
}
""")
    assert lines_of(diags) == [4, 9] and {d.severity.value for d in diags} == {"warning"}


def test_a_loop_in_a_function_called_from_a_loop_is_a_warning(tmp_path):
    _, diags = run(tmp_path, """\
long total(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (auto p : objs) sum += p->value;
    return sum;
}
long once(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (auto p : objs) sum += p->value;
    return sum;
}
long frames(const std::vector<std::shared_ptr<Obj>>& objs, int n) {
    long sum = once(objs);
    for (int f = 0; f < n; ++f) sum += total(objs);
    return sum;
}
""")
    assert [(line, d.severity.value) for line, d in zip(lines_of(diags), diags)] == [(3, "warning"), (8, "info")]


def test_escaping_moved_changed_or_captured_copies_are_silent(tmp_path):
    _, diags = run(tmp_path, """\
struct Keeper {
    std::vector<std::shared_ptr<Obj>> kept;
    std::shared_ptr<Obj> last;
    void sink(std::shared_ptr<Obj> p) { kept.push_back(std::move(p)); }
    void note(const std::shared_ptr<Obj>& p) { last = p; }
};
void f(std::vector<std::shared_ptr<Obj>>& objs, std::vector<std::shared_ptr<Obj>>& out, Keeper& k,
       std::vector<std::unique_ptr<Obj>>& owned) {
    for (auto p : objs) out.push_back(p);
    for (auto p : objs) out.push_back(std::move(p));
    for (auto p : objs) k.note(p);
    for (auto p : objs) k.sink(p);
    for (auto p : objs) { p.reset(); }
    for (auto p : objs) { p = p->next; }
    for (auto p : objs) { auto f = [p] { return p->value; }; out.push_back(nullptr); (void)f; }
    for (auto p : objs) { auto& r = p; (void)r; }
    for (auto p : objs) { std::thread t([p] { std::printf("%ld\\n", p->value); }); t.join(); }
    for (std::size_t i = 0; i < objs.size(); ++i) { auto p = std::move(objs[i]); out.push_back(nullptr); (void)p; }
    for (std::size_t i = 0; i < objs.size(); ++i) k.sink(objs[i]);
    for (std::size_t i = 0; i < owned.size(); ++i) { auto& u = owned[i]; u->value = 1; }
    for (const auto& p : objs) (void)p->value;
}
""")
    assert diags == []


def test_a_const_reference_parameter_is_followed_into_the_callee(tmp_path):
    _, diags = run(tmp_path, """\
long value_of(const std::shared_ptr<Obj>& o) { return o->value; }
void keep(const std::shared_ptr<Obj>& o, std::vector<std::shared_ptr<Obj>>& out) { out.push_back(o); }
long f(const std::vector<std::shared_ptr<Obj>>& objs, std::vector<std::shared_ptr<Obj>>& out) {
    long sum = 0;
    for (auto p : objs) sum += value_of(p);
    for (auto p : objs) keep(p, out);
    return sum;
}
""")
    [d] = diags
    assert lines_of(diags) == [5]
    # value_of's parameter is itself a std::shared_ptr<Obj>: hotlint cannot tell reads from resets there
    assert d.fix.applicability.value == "display-only"
    assert any("not applied automatically" in n and "value_of" in n for n in d.notes)


def test_a_call_hotlint_cannot_follow_makes_the_fix_display_only(tmp_path):
    _, [d] = run(tmp_path, """\
void visit(Obj& o);
void all(const std::vector<std::shared_ptr<Obj>>& objs) {
    for (auto p : objs) visit(*p);
}
""")
    assert d.fix.applicability.value == "display-only"
    assert any("`visit`" in n and "dangle" in n for n in d.notes)


def test_weak_lock_make_shared_and_a_copy_before_the_loop_are_silent(tmp_path):
    _, diags = run(tmp_path, """\
long f(const std::vector<std::shared_ptr<Obj>>& objs, const std::weak_ptr<Obj>& w, int n) {
    long sum = 0;
    auto first = objs.front();
    for (int k = 0; k < n; ++k) {
        sum += first->value;
        if (auto s = w.lock()) sum += s->value;
        auto fresh = std::make_shared<Obj>();
        sum += fresh->value;
    }
    return sum;
}
""")
    assert diags == []


def test_locals_from_elements_and_members_and_const_move(tmp_path):
    _, diags = run(tmp_path, """\
struct Base { virtual ~Base() = default; long b = 0; };
struct Derived : Base {};
long f(const std::vector<std::shared_ptr<Obj>>& objs, const std::vector<std::shared_ptr<Derived>>& ds) {
    long sum = 0;
    for (std::size_t i = 0; i < objs.size(); ++i) {
        std::shared_ptr<Obj> nx = objs[i]->next;
        if (nx) sum += nx->value;
    }
    for (std::size_t i = 0; i < objs.size(); ++i) {
        auto p = std::move(objs[i]);
        sum += p->value;
    }
    for (std::size_t i = 0; i < ds.size(); ++i) {
        std::shared_ptr<Base> b = ds[i];
        sum += b->b;
    }
    return sum;
}
""")
    assert lines_of(diags) == [6, 10, 14]
    member, moved, converted = diags
    assert member.message.startswith("`nx` copies `objs[i]->next` every iteration")
    assert member.fix.applicability.value == "safe" and [e.new_text for e in member.fix.edits] == \
        ["const std::shared_ptr<Obj>& "]
    assert moved.message.startswith("`p` copies `objs[i]`") and moved.fix is None
    assert any("std::move cannot move from it" in n for n in moved.notes)
    assert converted.fix is None and any("Base*" in n for n in converted.notes)


def test_a_later_reassignment_of_the_source_blocks_the_automatic_fix(tmp_path):
    _, [d] = run(tmp_path, """\
long walk(std::shared_ptr<Obj> cur, int n) {
    long sum = 0;
    for (int k = 0; k < n && cur; ++k) {
        std::shared_ptr<Obj> here = cur;
        cur = cur->next;
        sum += here->value;
    }
    return sum;
}
""")
    # `const auto& here = cur` would see the next node: never applied
    assert d.fix.applicability.value == "display-only"


def test_by_value_parameter_the_callee_only_reads(tmp_path):
    _, diags = run(tmp_path, """\
long value_of(std::shared_ptr<Obj> o);
long value_of(std::shared_ptr<Obj> o) { return o->value; }
long unseen(std::shared_ptr<Obj> o);
long f(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (std::size_t i = 0; i < objs.size(); ++i) sum += value_of(objs[i]) + unseen(objs[i]);
    return sum;
}
""")
    [d] = diags
    assert d.message == ("`value_of` takes std::shared_ptr<Obj> by value only to read through it: each call "
                         "copies `objs[i]`; take `const Obj&`")
    assert d.fix.applicability.value == "display-only"
    assert [e.new_text for e in d.fix.edits] == ["const std::shared_ptr<Obj>& "] * 2  # declaration and definition


def test_unseen_callees_option(tmp_path):
    settings = Settings(rule_options={RULE: {"unseen-callees": True}})
    _, [d] = run(tmp_path, """\
long unseen(std::shared_ptr<Obj> o);
long f(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (std::size_t i = 0; i < objs.size(); ++i) sum += unseen(objs[i]);
    return sum;
}
""", settings=settings)
    assert "`unseen`'s by-value" in d.message and d.fix is None
    assert any("not in this unit" in n for n in d.notes)


def test_cold_code_is_silent(tmp_path):
    _, diags = run(tmp_path, """\
#include <stdexcept>
long f(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (const auto& p : objs) {
        try {
            sum += p->value;
        } catch (const std::exception&) {
            auto copy = p;
            sum += copy->value;
        }
        if (p->value < 0) {
            auto bad = p;
            std::printf("%ld\\n", bad->value);
            return -1;
        }
    }
    for (int k = 0; k < 4; ++k) {
        auto q = objs[k];
        sum += q->value;
    }
    for (auto p : objs) std::printf("%ld\\n", p->value);
    return sum;
}
[[gnu::hot]] long g(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (int k = 0; k < 4; ++k) {
        auto q = objs[k];
        sum += q->value;
    }
    return sum;
}
""")
    # only the small loop of the hot function stays (a trip count is weak evidence there)
    assert lines_of(diags) == [27]


DRIVER = """\
#include <cstdio>
#include <memory>
#include <vector>
struct Obj { long value = 0; std::shared_ptr<Obj> next; };
long total(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (auto p : objs)
        sum += p->value * 3;
    for (std::size_t i = 0; i < objs.size(); ++i) {
        std::shared_ptr<Obj> n = objs[i]->next;
        if (n) sum += n->value;
    }
    return sum;
}
int main() {
    std::vector<std::shared_ptr<Obj>> objs;
    for (int i = 0; i < 100; ++i) objs.push_back(std::make_shared<Obj>(Obj{i, nullptr}));
    for (int i = 0; i + 1 < 100; ++i) objs[i]->next = objs[i + 1];
    std::printf("%ld\\n", total(objs));
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_the_fix_compiles_and_runs_the_same(tmp_path):
    from hotlint.fixes import apply_edits

    path, diags = analyze_source(tmp_path, DRIVER, rules=[RULE])
    assert [d.fix.applicability.value for d in diags] == ["safe", "safe"]
    fixed = apply_edits(DRIVER, [e for d in diags for e in d.fix.edits])
    assert "for (const auto& p : objs)" in fixed and "const std::shared_ptr<Obj>& n = objs[i]->next;" in fixed
    out = {}
    for name, text in (("before", DRIVER), ("after", fixed)):
        src = tmp_path / f"{name}.cpp"
        src.write_text(text)
        assert_compiles(src)
        exe = tmp_path / name
        subprocess.run(["g++", "-O2", "-std=c++20", str(src), "-o", str(exe)], check=True)
        out[name] = int(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout)
    assert out["before"] == out["after"] == 4 * sum(range(100))
