"""alloc-in-loop beyond the fixtures: the hoist fix, its refusals, options, counts, severity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import FIXTURES, analyze_source, engine_diagnostics, parse_expectations
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
    fixable = [d for d in before if d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY]
    assert len(fixable) >= 3
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
    assert all(d.fix is None or d.fix.applicability is Applicability.DISPLAY_ONLY for d in after)


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
    assert "grown by `push_back` (line 6)" in d.notes[0]
    assert "1 heap allocation per iteration" in d.notes[0]
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
    assert "18-character literal, longer than the 15-character small-string buffer" in d.notes[0]
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
    assert "up to 2 heap allocations per iteration" in first.notes[0]
    assert "1 heap allocation per iteration" in inner.notes[0]
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


# --------------------------------------------------------------------------- the arena rewrite


def _arena(diags):
    return [d for d in diags if d.fix is not None and d.fix.applicability is Applicability.DISPLAY_ONLY]


def test_node_containers_take_the_arena_and_vectors_keep_the_hoist(tmp_path):
    """Hoisted, a map's clear() still frees every node: its fix is the arena. A vector's hoist
    keeps its capacity, so it keeps the (applicable) hoist."""
    path = tmp_path / "nodes.cpp"
    path.write_text(
        "#include <map>\n#include <vector>\n"
        "long total(const std::vector<long>&);\n"
        "long f(const std::vector<long>& xs) {\n"
        "  long sum = 0;\n"
        "  for (long x : xs) {\n"
        "    std::map<long, int> seen;\n"
        "    std::vector<long> out;\n"
        "    ++seen[x];\n"
        "    out.push_back(x);\n"
        "    sum += total(out) + static_cast<long>(seen.size());\n"
        "  }\n"
        "  return sum;\n"
        "}\n"
    )
    seen, out = _diagnostics(path)
    assert seen.fix.applicability is Applicability.DISPLAY_ONLY
    assert seen.fix.description.startswith("draw this loop's per-iteration allocations (`seen`)")
    assert out.fix.applicability is Applicability.UNSAFE and out.fix.description.startswith("hoist `out`")
    fixed = apply_edits(path.read_text(), seen.fix.edits)
    assert "    std::pmr::map<long, int> seen(&arena);" in fixed.splitlines()
    assert "    std::vector<long> out;" in fixed.splitlines()  # the vector is the hoist's
    path.write_text(fixed)
    assert _compiles(path).returncode == 0, _compiles(path).stderr
    (left,) = _diagnostics(path)
    assert left.notes[0].startswith("`out` (std::vector<long>)")  # only the vector is left


def test_no_arena_where_memory_leaves_the_iteration_or_types_would_clash(tmp_path):
    path = tmp_path / "refuse.cpp"
    path.write_text(
        "#include <memory>\n#include <string>\n#include <vector>\n"
        "struct P { long a; };\n"
        "void fill(std::vector<long>& out);\n"
        "void keep(std::shared_ptr<P> p);\n"
        "void f(int n, std::vector<std::vector<long>>& kept, std::vector<P*>& ps, const std::string& s) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::vector<long> moved(n);\n"  # moved out of the iteration
        "    kept.push_back(std::move(moved));\n"
        "    std::vector<long> filled(n);\n"  # a function takes std::vector<long>&
        "    fill(filled);\n"
        "    P* stored = new P{i};\n"  # never deleted: stored outside
        "    ps.push_back(stored);\n"
        "    auto shared = std::make_shared<P>();\n"  # the shared_ptr is copied on
        "    keep(shared);\n"
        "    std::string key = s + \"/\" + s;\n"  # compared with a std::string
        "    if (key == s) break;\n"
        "    auto one = std::make_unique<P>();\n"  # unique_ptr to one object
        "    ps.push_back(one.get());\n"
        "  }\n"
        "}\n"
    )
    diags = _diagnostics(path)
    assert _lines(diags) == [9, 11, 13, 15, 17, 19]
    assert not _arena(diags)
    notes = {d.range.start.line: [n for n in d.notes if n.startswith("no arena rewrite")] for d in diags}
    assert notes[9] == ["no arena rewrite: it is passed to `std::move`, so its memory could leave the iteration"]
    assert notes[11] == ["no arena rewrite: it is passed to `fill`, which takes `std::vector<long> &`: its "
                         "std::pmr twin is a different type"]
    assert notes[13] == ["no arena rewrite: `stored` is not freed exactly once, later in the block that allocates "
                         "it, so the memory may outlive the iteration"]
    assert notes[15][0].startswith("no arena rewrite: the std::shared_ptr `shared` is copied or passed on "
                                   "(`keep(shared)`)")
    assert notes[17] == ["no arena rewrite: `key == s` mixes it with a container of another allocator"]
    assert notes[19][0].startswith("no arena rewrite: a std::unique_ptr to one object cannot take its memory")


_PROGRAM = """#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct Node { long key; long weight; };
struct Tracked { long v; Tracked(long x) : v(x) {} ~Tracked() { ++destroyed; } static inline long destroyed = 0; };

long look(std::string_view key) { return static_cast<long>(key.size()); }

int main() {
  long checksum = 0;
  for (int round = 0; round < 300; ++round) {
    std::map<long, long> histogram;
    std::vector<long> values(static_cast<std::size_t>(round % 97) * 40);  // up to 30 KiB
    auto scratch = std::make_unique<double[]>(64);
    std::string key = std::to_string(round) + "/a key that does not fit the small buffer/" + std::to_string(round);
    Node* node = new Node{round, 2};
    long* block = new long[128];
    Tracked* tracked = new Tracked(round);
    auto shared = std::make_shared<Node>(Node{round, 3});
    void* zeroed = std::calloc(32, sizeof(long));
    block[0] = round;
    for (std::size_t k = 0; k < values.size(); ++k) {
      values[k] = static_cast<long>(k) * round;
      histogram[values[k] % 13] += values[k];
      scratch[k % 64] += static_cast<double>(k);
      block[k % 128] = values[k];
    }
    for (const auto& [bucket, sum] : histogram) checksum += bucket * 31 + sum;
    checksum += look(key) + node->weight + block[0] + tracked->v + shared->weight;
    checksum += static_cast<long>(scratch.get()[1]) + static_cast<long*>(zeroed)[5];
    std::free(zeroed);
    delete tracked;
    delete[] block;
    delete node;
  }
  std::printf("%ld %ld\\n", checksum, Tracked::destroyed);
  return 0;
}
"""


def _run(path: Path, tmp_path: Path) -> str:
    exe = tmp_path / (path.stem + ".out")
    build = subprocess.run(["g++", "-std=c++20", "-O1", "-g", "-fsanitize=address,undefined",
                            "-fno-omit-frame-pointer", "-o", str(exe), str(path)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, env={"ASAN_OPTIONS": "detect_leaks=1"})
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_arena_rewrite_keeps_the_program_meaning(tmp_path):
    """Rewritten onto the arena, a program that builds maps, vectors, string keys, arrays and
    objects every iteration (past the stack buffer, so the arena also takes heap blocks) prints
    the same result, and the sanitizers see no use after release and no leak."""
    path = tmp_path / "program.cpp"
    path.write_text(_PROGRAM)
    diags = _diagnostics(path)
    rewrites = _arena(diags)
    assert len(rewrites) == 9 and all(d.fix == rewrites[0].fix for d in rewrites)
    assert len(diags) == 9  # every allocation of the loop is converted
    rewritten = tmp_path / "rewritten.cpp"
    rewritten.write_text(apply_edits(_PROGRAM, rewrites[0].fix.edits))
    assert _diagnostics(rewritten) == []
    assert "std::destroy_at(tracked);" in rewritten.read_text()
    assert _run(rewritten, tmp_path) == _run(path, tmp_path)


def test_a_guard_that_the_pointer_is_set_is_no_lazy_creation(tmp_path):
    """`if (p != nullptr) p = new T;` allocates on every iteration whose pointer is set: only a
    test that the pointer is null (alone or in a conjunction) makes the allocation run once."""
    source = """
struct Node { int v; };
void refill(Node** out, int n) {
    for (int i = 0; i < n; ++i) {
        Node* p = out[i];
        if (p != nullptr) p = new Node{i};
        out[i] = p;
    }
}
void lazily(Node** out, int n) {
    Node* cache = nullptr;
    for (int i = 0; i < n; ++i) {
        if (cache == nullptr) cache = new Node{i};
        if (!cache) cache = new Node{i};
        if (nullptr == cache && i > 2) cache = new Node{i};
        out[i] = cache;
    }
}
void sometimes(Node** out, int n) {
    Node* cache = nullptr;
    for (int i = 0; i < n; ++i) {
        if (cache == nullptr || i > 2) cache = new Node{i};
        out[i] = cache;
    }
}
"""
    _, diagnostics = analyze_source(tmp_path, source, rules=["alloc-in-loop"])
    assert [d.range.start.line for d in diagnostics] == [6, 22]


def test_a_member_smart_pointer_filled_under_its_null_test_is_lazy_creation(tmp_path):
    """`if (!c.node) c.node = std::make_unique<Node>(...)` stores into the member `node`: the
    object of an `operator=` applied to a member is that member (`c.node`), not the object
    holding it (`c`), so the null test guards the store and the allocation runs once. The same
    store without the guard, or guarded by another member's test, still allocates each time."""
    source = """
#include <memory>
struct Node { int v; };
struct Cache { std::unique_ptr<Node> node, spare; };
int lazily(const int* xs, int n) {
    Cache c;
    int total = 0;
    for (int i = 0; i < n; ++i) {
        if (!c.node) c.node = std::make_unique<Node>(Node{xs[i]});
        if (c.node == nullptr) c.node = std::make_unique<Node>(Node{xs[i]});
        total += c.node->v;
    }
    return total;
}
int every_time(const int* xs, int n) {
    Cache c;
    int total = 0;
    for (int i = 0; i < n; ++i) {
        c.node = std::make_unique<Node>(Node{xs[i]});
        if (!c.spare) c.node = std::make_unique<Node>(Node{xs[i]});
        total += c.node->v;
    }
    return total;
}
"""
    _, diagnostics = analyze_source(tmp_path, source, rules=["alloc-in-loop"])
    assert [d.range.start.line for d in diagnostics] == [19, 20]


def test_filled_through_a_pointer_out_parameter(tmp_path):
    path = tmp_path / "outparam.cpp"
    path.write_text(
        "#include <string>\n"
        "#include <vector>\n"
        "bool read_name(int in, std::string* out);\n"
        "void peek(int in, const std::string* seen);\n"
        "void parse(int line, std::string& out);\n"
        "void show(const std::string& s);\n"
        "void f(int n) {\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::string name;\n"
        "    read_name(i, &name);\n"
        "    show(name);\n"
        "  }\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::string word;\n"
        "    parse(i, word);\n"
        "  }\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    std::string seen;\n"
        "    peek(i, &seen);\n"  # a pointer to const cannot fill it
        "    show(seen);\n"
        "  }\n"
        "  std::string kept;\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    read_name(i, &kept);\n"  # declared outside: already the good form
        "  }\n"
        "}\n"
    )
    diags = _diagnostics(path)
    assert _lines(diags) == [9, 14]
    assert "`read_name` (by reference)" in diags[0].notes[0]
    fixed = apply_edits(path.read_text(), diags[0].fix.edits)
    assert fixed.splitlines()[7:10] == [
        "  std::string name;",
        "  for (int i = 0; i < n; ++i) {",
        "    name.clear();",
    ]
    assert _diagnostics(path, **{"through-calls": False}) == []



def test_allocation_inside_a_callee_defined_in_the_file(tmp_path):
    path = tmp_path / "callee.cpp"
    path.write_text(
        "#include <memory>\n"
        "#include <stdexcept>\n"
        "#include <vector>\n"
        "struct Node { int v; };\n"
        "void sink(Node*);\n"
        "static void process(int x) {\n"
        "  std::vector<int> tmp(x);\n"
        "  sink(new Node{tmp[0]});\n"
        "}\n"
        "static int reads(const std::vector<int>& v, int i) { return v[i] * 2; }\n"
        "static int check(int x, bool ok) {\n"
        "  if (!ok) throw std::runtime_error(\"bad\");\n"
        "  return x + 1;\n"
        "}\n"
        "void external(int x);\n"
        "int f(const std::vector<int>& v, int n) {\n"
        "  int s = 0;\n"
        "  for (int i = 0; i < n; ++i) {\n"
        "    process(i);\n"
        "    s += reads(v, i);\n"
        "    s += check(i, i < 100);\n"
        "    external(i);\n"
        "  }\n"
        "  process(n);\n"  # outside any loop
        "  return s;\n"
        "}\n"
    )
    diags = _diagnostics(path)
    assert _lines(diags) == [19]
    (d,) = diags
    assert "`process`" in d.notes[0]
    assert "callee.cpp:7: `tmp` (std::vector<int>) in `process`" in d.notes
    assert any(note.startswith("callee.cpp:8: `new Node") for note in d.notes)


_TEMPORARIES = """\
#include <array>
#include <string>
#include <string_view>
#include <vector>
void f(const std::string&);
void g(const std::vector<int>&);
void v(std::string_view);
void w(const std::array<int, 4>&);
void loop(const char* buf, int n, long big, int small, const char* name) {
  for (int i = 0; i < n; ++i) {
    f(std::string(buf, n));
    g(std::vector<int>{i, n});
    f(std::to_string(big));
    f(name);
    f("short");
    v(name);
    v("a literal longer than fifteen characters");
    w(std::array<int, 4>{i, i, i, i});
    f(std::to_string(small));
    g({});
  }
  f(std::string(buf, n));
}
"""


def test_temporaries_passed_as_arguments(tmp_path):
    path = tmp_path / "temps.cpp"
    path.write_text(_TEMPORARIES)
    diags = _diagnostics(path)
    # not: a string_view parameter (14, 17), a short literal (15), a std::array (18), the
    # to_string of an int (at most 11 characters, 19), an empty vector (20), outside the loop (22)
    assert _lines(diags) == [11, 12, 13, 14]
    text = [d.message + " " + " ".join(d.notes) for d in diags]
    assert "the temporary `std::string(buf, n)`" in text[0] and "for each call of `f`" in text[0]
    assert "string_view" in diags[0].message
    assert "2-element initializer list" in text[1] and "std::span" in diags[1].message
    assert "`std::to_string(big)`" in text[2] and "longer than 15 characters" in text[2]
    assert "`name` is converted to a temporary std::string for each call of `f`" in text[3]
    assert all(d.fix is None for d in diags)


def test_a_temporary_spelled_in_a_macro_argument_is_named_by_its_type_and_callee(tmp_path):
    path = tmp_path / "macro.cpp"
    path.write_text("#include <string>\n"
                    "bool put(const std::string& key, const std::string& value);\n"
                    "#define CHECK(e) do { if (!(e)) return false; } while (0)\n"
                    "bool fill(int n) {\n"
                    "  for (int i = 0; i < n; ++i) {\n"
                    "    CHECK(put(\"k\", std::string(100000, 'x')));\n"
                    "  }\n"
                    "  return true;\n"
                    "}\n")
    diags = [d for d in _diagnostics(path) if "temporary" in d.message]
    assert [d.range.start.line for d in diags] == [6]
    assert diags[0].message.startswith("a temporary std::string passed to `put`"), diags[0].message
