"""node-container-traversal on real C++ through the real standard headers: what the suggestion
reads from the rest of the file, when a walk is raised to a warning, the traps that must stay
silent, and the max-tiny-size option."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, engine_diagnostics, parse_expectations
from hotlint.model import Severity
from hotlint.view import Settings

RULE = "node-container-traversal"
HEADERS = """\
#include <cstdio>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>
struct Node { int v; Node* next; };
"""


def findings(tmp_path, body, settings=None):
    path = tmp_path / "case.cpp"
    source = HEADERS + body
    path.write_text(source)
    result = engine_diagnostics(path, source, rules=[RULE], settings=settings)
    assert not result.errors, [e.message for e in result.errors]
    return result.diagnostics


def line_of(body: str, marker: str) -> int:
    return HEADERS.count("\n") + next(i for i, line in enumerate(body.splitlines(), 1) if marker in line)


APPENDED = """
std::list<long> log_;
void record(long v) { log_.push_back(v); }
long total() { long s = 0; for (long v : log_) s += v; return s; }  // @walk
"""
LOOKED_UP = """
std::map<int, long> prices;
long price(int k) { auto it = prices.find(k); return it == prices.end() ? 0 : it->second; }  // @find
long sum() { long s = 0; for (const auto& [k, v] : prices) s += v; return s; }
"""
HASHED = """
std::unordered_map<int, long> hits;
void hit(int k) { ++hits[k]; }  // @index
long sum() { long s = 0; for (const auto& [k, v] : hits) s += v; return s; }
"""
HASHED_ONLY_WALKED = """
std::unordered_set<int> seen;
void see(int k) { seen.insert(k); }
long sum() { long s = 0; for (int k : seen) s += k; return s; }
"""
PARAMETER = """
long sum(const std::set<int>& ids) { long s = 0; for (int k : ids) s += k; return s; }
"""
MIDDLE = """
std::list<int> q;
void put_second(int v) { q.insert(std::next(q.begin()), v); }  // @insert
long sum(int n) { long s = 0; for (int r = 0; r < n; ++r) for (int v : q) s += v; return s; }
"""


@pytest.mark.parametrize("body, headline, note", [
    (APPENDED, "walking the std::list `log_` chases a pointer per element; use a std::vector",
     "`log_` is only filled at the back and walked in this file"),
    (LOOKED_UP, "walking the std::map `prices` chases a pointer per element; use a sorted std::vector or std::flat_map",
     "`prices` is looked up by key (find, line {find})"),
    (HASHED, "walking the std::unordered_map `hits` chases a pointer per element; use an open-addressing table "
             "(absl::flat_hash_map)", "`hits` is looked up by key (operator[], line {index})"),
    (HASHED_ONLY_WALKED, "walking the std::unordered_set `seen` chases a pointer per element; use a std::vector",
     "`seen` is never looked up by key in this file"),
    (PARAMETER, "walking the std::set `ids` chases a pointer per element; use a sorted std::vector or std::flat_set",
     "a std::vector sorted once after filling walks in the same key order"),
    (MIDDLE, "walking the std::list `q` chases a pointer per element; use a std::vector unless its iterators must "
             "stay valid", "`q` is changed in the middle (insert, line {insert})"),
])
def test_the_suggestion_follows_what_the_file_does_with_the_container(tmp_path, body, headline, note):
    [d] = findings(tmp_path, body)
    assert d.message == headline and len(d.message) < 120
    marks = {m: line_of(body, f"@{m}") for m in ("find", "index", "insert") if f"@{m}" in body}
    assert any(n.startswith(note.format(**marks)) for n in d.notes), d.notes


@pytest.mark.parametrize("body, severity, caller", [
    # one walk, nothing says it repeats
    ("long f(const std::list<int>& l) { long s = 0; for (int x : l) s += x; return s; }", Severity.INFO, None),
    # nested in another loop
    ("long f(const std::list<int>& l, int n) { long s = 0; for (int r = 0; r < n; ++r) for (int x : l) s += x * r;"
     " return s; }", Severity.WARNING, None),
    # a hot function
    ("[[gnu::hot]] long f(const Node* h) { long s = 0; for (; h; h = h->next) s += h->v; return s; }",
     Severity.WARNING, None),
    # a function of the file calls it on every iteration
    ("long f(const std::list<int>& l) { long s = 0; for (int x : l) s += x; return s; }\n"
     "long g(const std::list<int>& l, int n) { long t = 0; for (int i = 0; i < n; ++i) t += f(l); return t; }",
     Severity.WARNING, "g"),
    # a set-up function by its name, but called on every iteration: the call graph wins
    ("long init_sum(const std::list<int>& l) { long s = 0; for (int x : l) s += x; return s; }\n"
     "long g(const std::list<int>& l, int n) { long t = 0; for (int i = 0; i < n; ++i) t += init_sum(l); return t; }",
     Severity.WARNING, "g"),
    # a list changed in the middle stays an info, nested or not
    (MIDDLE, Severity.INFO, None),
])
def test_severity_rises_only_when_the_walk_repeats(tmp_path, body, severity, caller):
    [d] = findings(tmp_path, body)
    assert d.severity == severity
    said = [n for n in d.notes if "calls this function on every iteration" in n]
    assert said == ([f"`{caller}` calls this function on every iteration of a loop"] if caller else [])


TRAPS = {
    "lookups in a loop": """
        long f(const std::map<int, long>& m, std::unordered_map<int, long>& u, const int* k, int n) {
          long s = 0;
          for (int i = 0; i < n; ++i) s += m.count(k[i]) + u[k[i]] + m.find(k[i])->second;
          return s;
        }""",
    "a search that breaks": """
        bool f(const std::set<int>& s) { bool found = false; for (int x : s) if (x < 0) { found = true; break; }
          return found; }""",
    "a search that returns": """
        const Node* f(const Node* p, int v) { for (; p; p = p->next) if (p->v == v) return p; return nullptr; }""",
    "a walk from lower_bound": """
        long f(const std::map<int, long>& m) { long s = 0;
          for (auto it = m.lower_bound(3); it != m.end(); ++it) s += it->second; return s; }""",
    "a catch handler": """
        long f(const std::list<int>& l) { try { return 0; } catch (...) { long s = 0; for (int x : l) s += x;
          return s; } }""",
    "an error branch": """
        int f(const std::list<int>& l) { if (l.size() > 9) { for (int x : l) std::printf("%d", x); return -1; }
          return 0; }""",
    "a set-up function": """
        long setup_weights(const std::map<int, long>& m) { long s = 0; for (const auto& [k, v] : m) s += v;
          return s; }""",
    "a cold function": """
        [[gnu::cold]] long f(const std::map<int, long>& m) { long s = 0; for (const auto& [k, v] : m) s += v;
          return s; }""",
    "a tiny constant table": """
        int f(int x) { static const std::map<int, int> k = {{1, 2}, {3, 4}, {5, 6}}; int s = 0;
          for (const auto& [a, b] : k) s += a * x + b; return s; }""",
    "contiguous and chunked containers": """
        long f(const std::vector<long>& v, const std::deque<long>& d) { long s = 0; for (long x : v) s += x;
          for (auto it = d.begin(); it != d.end(); ++it) s += *it; return s; }""",
    "a walk that splices": """
        void f(std::list<int>& a, std::list<int>& b) {
          for (auto it = a.begin(); it != a.end(); ++it) if (*it > 0) b.splice(b.end(), a, it++); }""",
    "a walk that relinks": """
        Node* f(Node* p) { Node* prev = nullptr; while (p) { Node* n = p->next; p->next = prev; prev = p; p = n; }
          return prev; }""",
    "nodes from a pool": """
        struct Arena { Node slots[256]; Node* head; };
        long f(const Arena& a) { long s = 0; for (const Node* p = a.head; p; p = p->next) s += p->v; return s; }""",
}


@pytest.mark.parametrize("name", list(TRAPS))
def test_traps_are_silent(tmp_path, name):
    assert findings(tmp_path, TRAPS[name]) == []


def test_the_traps_are_reported_once_the_reason_goes(tmp_path):
    # the same walks without what made them silent: the tests above could not pass by accident
    assert findings(tmp_path, """
        bool f(const std::set<int>& s) { bool found = false; for (int x : s) if (x < 0) { found = true; }
          return found; }""")
    assert findings(tmp_path, """
        long f(const std::list<int>& l) { long s = 0; try { for (int x : l) s += x; } catch (...) {} return s; }""")
    assert findings(tmp_path, """
        long f(const Node* head) { long s = 0; for (const Node* p = head; p; p = p->next) s += p->v; return s; }""")
    grown = """
        std::map<int, int> k = {{1, 2}, {3, 4}, {5, 6}};
        void add(int a) { k.emplace(a, a); }
        int f(int x) { int s = 0; for (const auto& [a, b] : k) s += a * x + b; return s; }"""
    assert findings(tmp_path, grown)


def test_max_tiny_size(tmp_path):
    table = TRAPS["a tiny constant table"]
    assert findings(tmp_path, table) == []
    small = Settings(rule_options={RULE: {"max-tiny-size": 2}})
    [d] = findings(tmp_path, table, settings=small)
    assert "`k`" in d.message


def test_every_headline_of_the_bad_fixture_is_short():
    path = FIXTURES / RULE / "bad.cpp"
    text, expected = parse_expectations(path.read_text())
    result = engine_diagnostics(path, text, rules=[RULE])
    assert len(result.diagnostics) == sum(expected.values())
    for d in result.diagnostics:
        assert len(d.message) < 120, d.message
        assert d.fix is None
