"""aos-layout: options, the cache-line arithmetic, what counts as a use of a record."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import engine_diagnostics, run_json
from hotlint.view import Settings

RULE = "aos-layout"

ENTITY = """
#include <cstdint>
#include <vector>
struct Vec3 { float x, y, z; };
struct Entity {
    Vec3 pos;
    Vec3 vel;
    std::uint32_t id;
    std::uint32_t flags;
    char name[48];
};
"""


def _diags(tmp_path: Path, body: str, **options):
    source = ENTITY + body
    path = tmp_path / "case.cpp"
    path.write_text(source)
    settings = Settings(rule_options={RULE: options}) if options else Settings()
    result = engine_diagnostics(path, source, rules=[RULE], settings=settings)
    assert not result.errors, [e.message for e in result.errors]
    return result.diagnostics


INTEGRATE = """
void integrate(std::vector<Entity>& es, float dt) {
    for (auto& e : es) {
        e.pos.x += e.vel.x * dt;
        e.pos.y += e.vel.y * dt;
        e.pos.z += e.vel.z * dt;
    }
}
"""


def test_message_gives_record_size_bytes_used_and_waste(tmp_path):
    (d,) = _diags(tmp_path, INTEGRATE)
    assert d.message == ("`Entity` is 80 bytes; this loop over `es` touches 24 of them (30%): "
                         "keep the fields it uses in arrays of their own")
    assert d.notes[0] == "70% of every cache line fetched is wasted"
    assert "`pos.x` (offset 0, 4 bytes)" in d.notes[1] and "`vel.z` (offset 20, 4 bytes)" in d.notes[1]
    assert "`id`, `flags`, `name`" in d.notes[2]
    assert d.fix is not None and d.fix.applicability.value == "display-only"
    assert any("struct EntitySoA {" in e.new_text for e in d.fix.edits)


def test_max_used_fraction_option(tmp_path):
    assert _diags(tmp_path, INTEGRATE, **{"max-used-fraction": 0.25}) == []
    assert len(_diags(tmp_path, INTEGRATE, **{"max-used-fraction": 0.3})) == 1


def test_min_record_size_option(tmp_path):
    assert _diags(tmp_path, INTEGRATE, **{"min-record-size": 81}) == []
    assert len(_diags(tmp_path, INTEGRATE, **{"min-record-size": 80})) == 1


def test_options_from_pyproject_reach_the_rule(tmp_path):
    (tmp_path / "case.cpp").write_text(ENTITY + INTEGRATE)
    (tmp_path / "pyproject.toml").write_text('[tool.hotlint]\nselect = ["aos-layout"]\n'
                                             '[tool.hotlint.aos-layout]\nmin-record-size = 96\n')
    proc, data = run_json("--no-cache", "--min-severity", "info", str(tmp_path / "case.cpp"), cwd=tmp_path)
    assert data["diagnostics"] == [], proc.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.hotlint]\nselect = ["aos-layout"]\n'
                                             '[tool.hotlint.aos-layout]\nmax-used-fraction = 0.75\n')
    proc, data = run_json("--no-cache", "--min-severity", "info", str(tmp_path / "case.cpp"), cwd=tmp_path)
    assert [d["rule"] for d in data["diagnostics"]] == [RULE], proc.stderr


def test_a_cache_line_size_setting_changes_the_skipped_line_count(tmp_path):
    body = """
struct Order { double price; char rest[248]; };
double total(const std::vector<Order>& book) {
    double t = 0.0;
    for (const auto& o : book)
        t += o.price;
    return t;
}
"""
    source = ENTITY + body
    path = tmp_path / "case.cpp"
    path.write_text(source)
    (d,) = engine_diagnostics(path, source, rules=[RULE]).diagnostics
    assert "touches 1 of every 4 cache lines and 88% of each line fetched is wasted" in d.notes[0]
    (d,) = engine_diagnostics(path, source, rules=[RULE], settings=Settings(cache_line_size=128)).diagnostics
    assert "touches 1 of every 2 cache lines and 94% of each line fetched is wasted" in d.notes[0]


@pytest.mark.parametrize("body", [
    # the element goes to a function that may read all of it
    "void use(const Entity&);\nvoid f(const std::vector<Entity>& es) { for (const auto& e : es) use(e); }",
    # the element is copied whole
    "Entity last;\nvoid f(const std::vector<Entity>& es) { for (const auto& e : es) last = e; }",
    # a local copy of the element reads every byte
    "void f(std::vector<Entity>& es) { for (std::size_t i = 0; i < es.size(); ++i) { Entity c = es[i]; (void)c; } }",
    # a by-value loop variable copies every byte
    "unsigned f(const std::vector<Entity>& es) { unsigned s = 0; for (Entity e : es) s += e.id; return s; }",
])
def test_whole_element_uses_are_not_reported(tmp_path, body):
    assert _diags(tmp_path, body) == []


def test_a_member_used_whole_counts_all_of_its_bytes(tmp_path):
    body = """
void move(Vec3&, const Vec3&);
void f(std::vector<Entity>& es) {
    for (auto& e : es)
        move(e.pos, e.vel);
}
"""
    (d,) = _diags(tmp_path, body)
    assert "touches 24 of them" in d.message or "reads 24 of them" in d.message


@pytest.mark.parametrize("call", ["step(e.vel.x)", "on_step(e.vel.x)", "hooks.step(e.vel.x)"])
def test_no_bridge_when_the_loop_calls_through_a_function_pointer(tmp_path, call):
    """`step(x)` through a pointer names the variable, parameter or member holding it; whatever it
    points to could read or change the sequence while the loop works on a copy, so the bridge
    is not offered (it was: the pointer's declaration was followed as if it were a body)."""
    body = f"""
std::vector<Entity> world;
float shrink(float v) {{ world.clear(); return v; }}
float (*step)(float) = shrink;
struct Hooks {{ float (*step)(float); }} hooks{{shrink}};
void f(float (*on_step)(float)) {{
    for (auto& e : world)
        e.pos.x = {call};
}}
"""
    (d,) = _diags(tmp_path, body)
    assert d.fix is None
    assert d.notes[-1] == ("no struct-of-arrays rewrite is shown for this loop: it calls through a pointer or a "
                           "name resolved only at instantiation, which hotlint cannot follow")


def test_a_file_with_lone_carriage_returns_gets_the_findings_and_rewrites_of_its_lf_twin(tmp_path):
    """Clang ends a line at a lone `\\r`; the rewrite used to split the text at `\\n` only and the
    rule failed on such a file (IndexError) with no finding at all."""
    lf = ENTITY + INTEGRATE
    (want,) = _diags(tmp_path, INTEGRATE)
    path = tmp_path / "cr.cpp"
    path.write_bytes(lf.replace("\n", "\r").encode())
    result = engine_diagnostics(path, lf.replace("\n", "\r"), rules=[RULE])
    assert not result.errors, [e.message for e in result.errors]
    (got,) = result.diagnostics
    assert (got.range, got.message, got.notes) == (want.range, want.message, want.notes)
    assert [e.range for e in got.fix.edits] == [e.range for e in want.fix.edits]
    # the loop moved into the bridge's block is indented one level deeper, line by line
    assert [e.new_text.replace("\r", "\n") for e in got.fix.edits] == [e.new_text for e in want.fix.edits]


def test_line_usage_arithmetic():
    from hotlint.analysis.layout import sweep_line_usage as _line_usage

    # 80-byte records, 24 bytes at offset 0: all 5 lines of each 320-byte period are fetched
    assert _line_usage(80, {(0, 24): "a"}, 64) == (5, 5, pytest.approx(96 / 320))
    # 256-byte records, 8 bytes used: one line in four
    assert _line_usage(256, {(0, 8): "a"}, 64) == (1, 4, pytest.approx(8 / 64))
    # a field straddling a line boundary fetches both lines
    assert _line_usage(128, {(60, 8): "a"}, 64) == (2, 2, pytest.approx(8 / 128))


def test_documentation_has_every_section():
    from hotlint.rule import load_rules

    assert load_rules().rules[RULE].missing_sections() == []


_SUM = "float s = 0; for (std::size_t i = 0; i < n; ++i) { %s } return s; }"
_SWEEPS = {
    "indexed": "float f(std::vector<Entity>& es, std::size_t n) { " + _SUM % "s += es[i].pos.x + es[i].vel.y;",
    "reference": "float f(std::vector<Entity>& es, std::size_t n) { "
                 + _SUM % "Entity& e = es[i]; s += e.pos.x + e.vel.y;",
    "const-auto-reference": "float f(std::vector<Entity>& es, std::size_t n) { "
                            + _SUM % "const auto& e = es[i]; s += e.pos.x + e.vel.y;",
    "address": "float f(std::vector<Entity>& es, std::size_t n) { "
               + _SUM % "Entity* p = &es[i]; s += p->pos.x + (*p).vel.y;",
    "pointer-plus-index": "float f(std::vector<Entity>& es, std::size_t n) { Entity* a = es.data(); "
                          + _SUM % "const Entity* p = a + i; s += p->pos.x + p->vel.y;",
}


@pytest.mark.parametrize("form", sorted(_SWEEPS))
def test_a_reference_or_pointer_to_the_element_is_the_same_sweep(tmp_path, form):
    (d,) = _diags(tmp_path, _SWEEPS[form])
    assert d.message.endswith("reads 8 of them (10%): keep the fields it uses in arrays of their own"), d.message
    assert d.notes[0] == "90% of every cache line fetched is wasted"
    assert d.notes[1] == "bytes used per element: `pos.x` (offset 0, 4 bytes), `vel.y` (offset 16, 4 bytes)"
    if form != "indexed":  # the rewrite follows only `es[i].field`
        assert d.fix is None and "no struct-of-arrays rewrite is shown" in d.notes[-1]


def test_a_pointer_stepping_through_the_array_is_a_sweep(tmp_path):
    (d,) = _diags(tmp_path, "float f(Entity* a, int n) { float s = 0; "
                            "for (Entity* p = a; p != a + n; ++p) s += p->pos.x + p->vel.y; return s; }")
    assert "stepping `p` reads 8 of them (10%)" in d.message
    assert d.notes[1] == "bytes used per element: `pos.x` (offset 0, 4 bytes), `vel.y` (offset 16, 4 bytes)"


@pytest.mark.parametrize("body", [
    # a reference bound to one of two arrays per iteration: neither is swept contiguously
    "float f(std::vector<Entity>& es, std::vector<Entity>& fs, std::size_t n) { "
    + _SUM % "Entity& e = (i % 2) ? es[i] : fs[i]; s += e.pos.x + e.vel.y;",
    # a pointer that moves on inside the body
    "float f(std::vector<Entity>& es, std::size_t n) { "
    + _SUM % "Entity* p = &es[i]; s += p->pos.x; p = &es[0]; s += p->vel.y;",
    # a pointer to the element handed to a call, which may read every field
    "float g(const Entity*); float f(std::vector<Entity>& es, std::size_t n) { "
    + _SUM % "const Entity* p = &es[i]; s += p->pos.x + g(p);",
    # a pointer that jumps through a list
    "struct Node { Entity e; Node* next; }; float f(Node* head) { float s = 0; "
    "for (Node* p = head; p; p = p->next) s += p->e.pos.x; return s; }",
])
def test_aliases_that_are_not_a_sweep_are_not_reported(tmp_path, body):
    assert _diags(tmp_path, body) == []


def test_a_pointer_to_a_wide_record_counts_the_lines_touched_as_the_subscript_does(tmp_path):
    wide = "struct Wide { double a; char note[120]; double b; char text[120]; };\n"
    forms = ["s += ws[i].a;", "const Wide* p = &ws[i]; s += p->a;", "const Wide& w = ws[i]; s += w.a;"]
    messages = [(d.message, d.notes[0]) for form in forms for d in _diags(
        tmp_path, wide + "double f(std::vector<Wide>& ws, std::size_t n) { double s = 0; "
        "for (std::size_t i = 0; i < n; ++i) { " + form + " } return s; }")]
    assert len(messages) == 3 and len(set(messages)) == 1, messages
    assert "touches 1 of every 4 cache lines" in messages[0][1], messages[0]


_POINTER_LOOPS = {
    "range-for-raw": "#include <memory>\nfloat f(const std::vector<Entity*>& es) { float s = 0; "
                     "for (const Entity* e : es) s += e->pos.x + e->vel.y; return s; }",
    "range-for-unique": "#include <memory>\nfloat f(const std::vector<std::unique_ptr<Entity>>& es) { float s = 0; "
                        "for (const auto& e : es) { if (!e) continue; s += e->pos.x + (*e).vel.y; } return s; }",
    "indexed-unique": "#include <memory>\nfloat f(const std::vector<std::unique_ptr<Entity>>& es) { float s = 0; "
                      "for (std::size_t i = 0; i < es.size(); ++i) s += es[i]->pos.x + es[i]->vel.y; return s; }",
    "pointer-array": "float f(Entity** es, int n) { float s = 0; "
                     "for (int i = 0; i < n; ++i) { Entity* e = es[i]; s += e->pos.x + e->vel.y; } return s; }",
}


@pytest.mark.parametrize("form", sorted(_POINTER_LOOPS))
def test_a_loop_over_pointers_to_wide_records_names_the_chase_and_the_line(tmp_path, form):
    (d,) = _diags(tmp_path, _POINTER_LOOPS[form])
    assert d.message.startswith("`Entity` is 80 bytes; this loop over `es` reads 8 of them (10%) through a pointer "
                                "per element"), d.message
    assert len(d.message) <= 120, d.message
    assert d.notes[0] == "bytes used per element: `pos.x` (offset 0, 4 bytes), `vel.y` (offset 16, 4 bytes)"
    assert "pointer chase" in d.notes[1] and "of what it fetches there (a cache line) for 8 bytes, 88% is wasted" \
        in d.notes[1], d.notes[1]
    assert "stream 24 bytes per element" in d.notes[2]  # `pos` and `vel` kept whole
    assert d.fix is None


@pytest.mark.parametrize("body", [
    # reads most of the record
    "float f(const std::vector<Entity*>& es) { float s = 0; for (const Entity* e : es) "
    "s += e->pos.x + e->pos.y + e->pos.z + e->vel.x + e->vel.y + e->vel.z + e->id + e->flags + e->name[0]"
    " + e->name[40]; return s; }",
    # a record within one line: a line per element whichever way it is split
    "struct Small { double key; char tag[40]; };\n"
    "double f(const std::vector<Small*>& ss) { double s = 0; for (auto* p : ss) s += p->key; return s; }",
    # dereferences nothing: counts, compares, hands the pointer on
    "void keep(Entity*); int f(const std::vector<Entity*>& es, const Entity* t) { int c = 0; "
    "for (Entity* e : es) { if (e == t) ++c; if (e) keep(e); } return c; }",
    "int f(const std::vector<Entity*>& es, const Entity* t) { int c = 0; "
    "for (Entity* e : es) if (e != t && e) ++c; return c; }",
])
def test_pointer_loops_that_are_not_reported(tmp_path, body):
    assert _diags(tmp_path, body) == []


_SEARCHES = {
    "while-index": "int f(const std::vector<Entity>& es, unsigned k) { int lo = 0, hi = (int)es.size(); "
                   "while (lo < hi) { int mid = lo + (hi - lo) / 2; if (es[mid].id < k) lo = mid + 1; "
                   "else hi = mid; } return lo; }",
    "while-pointers": "int f(Entity** es, int n, unsigned k) { int lo = 0, hi = n; "
                      "while (lo < hi) { int mid = (lo + hi) >> 1; if (es[mid]->id < k) lo = mid + 1; "
                      "else hi = mid; } return lo; }",
    "lower-bound": "#include <algorithm>\nconst Entity* f(const std::vector<Entity>& es, unsigned k) { "
                   "auto it = std::lower_bound(es.begin(), es.end(), k, "
                   "[](const Entity& e, unsigned key) { return e.id < key; }); "
                   "return it == es.end() ? nullptr : &*it; }",
}


@pytest.mark.parametrize("form", sorted(_SEARCHES))
def test_a_binary_search_over_wide_records_is_one_line_per_probe(tmp_path, form):
    (d,) = _diags(tmp_path, _SEARCHES[form])
    assert d.message.startswith("`Entity` is 80 bytes; ") and "reads 4 of them per probe (5%)" in d.message, d.message
    assert len(d.message) <= 120, d.message
    assert d.notes[0] == "bytes used per element: `id` (offset 24, 4 bytes)"
    assert "fetches a cache line for 4 useful bytes (94% of what it fetches is wasted)" in d.notes[1], d.notes[1]
    assert ("two dependent misses per probe" in d.notes[1]) == (form == "while-pointers")
    assert "16 keys share a line, so the last 4 probes" in d.notes[2] and "20x smaller" in d.notes[2], d.notes[2]
    if form == "lower-bound":
        assert d.message.startswith("`Entity` is 80 bytes; `std::lower_bound` reads 4")
        assert (d.range.start.column, d.range.end.column - d.range.start.column) == (
            _SEARCHES[form].split("\n")[-1].index("std::lower_bound") + 1, len("std::lower_bound"))
    else:
        assert "this binary search over `es`" in d.message


@pytest.mark.parametrize("body", [
    # the comparator reads most of the record
    "#include <algorithm>\nbool f(const std::vector<Entity>& es, const Entity& k) { "
    "return std::binary_search(es.begin(), es.end(), k, [](const Entity& a, const Entity& b) { "
    "return a.pos.x + a.pos.y + a.pos.z + a.vel.x + a.vel.y + a.vel.z + a.name[0] + a.name[40] + a.id"
    " < b.pos.x + b.pos.y + b.pos.z + b.vel.x + b.vel.y + b.vel.z + b.name[0] + b.name[40] + b.id; }); }",
    # records within a line
    "struct Key { unsigned id; char tag[20]; };\n"
    "int f(const Key* ks, int n, unsigned k) { int lo = 0, hi = n; "
    "while (lo < hi) { int mid = lo + (hi - lo) / 2; if (ks[mid].id < k) lo = mid + 1; else hi = mid; } return lo; }",
    # a comparator that is not a lambda: hotlint cannot see what it reads
    "#include <algorithm>\nbool less(const Entity&, unsigned); const Entity* f(const std::vector<Entity>& es, unsigned k) { "
    "return &*std::lower_bound(es.begin(), es.end(), k, less); }",
    # a loop halving a count that never probes a record
    "int f(int lo, int hi) { int steps = 0; while (lo < hi) { int mid = (lo + hi) / 2; ++steps; hi = mid; } "
    "return steps; }",
])
def test_searches_that_are_not_reported(tmp_path, body):
    assert _diags(tmp_path, body) == []
