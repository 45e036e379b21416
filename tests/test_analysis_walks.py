"""hotlint.analysis.walks (and the two hotness questions node-container-traversal asks) on real
C++ parsed by libclang through the real standard headers."""

from __future__ import annotations

from analysis_snippets import snippet
from hotlint.analysis import walks as wa
from hotlint.analysis.kinds import K

WALKS = r"""
#include <deque>
#include <list>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>
struct Node { int v; Node* next; Node* other; };
struct Tree { int key; Tree* left; Tree* right; };
struct Other { Node* n; };
std::list<int> g;
long f(std::map<int, long>& m, std::map<int, long>& m2, const std::set<int>& s, std::unordered_map<int, int>& u,
       std::vector<int>& v, std::deque<int>& d, Node* head, Tree* t, Other* o, int k) {
  long x = 0;
  for (int e : g) x += e;                                     // @range-list
  for (auto it = m.begin(); it != m.end(); ++it) x += it->second;  // @iter-map
  for (auto it = s.crbegin(); it != s.crend(); it++) x += *it;     // @iter-set
  for (auto& [a, b] : u) x += b;                              // @range-unordered
  for (int e : v) x += e;                                     // @vector
  for (int e : d) x += e;                                     // @deque
  for (auto it = m.find(k); it != m.end(); ++it) x += it->first;   // @from-find
  for (auto it = m.begin(); it != m2.end(); ++it) x += 1;     // @mixed
  for (Node* n = head; n; n = n->next) x += n->v;             // @for-linked
  for (Node* n = head; n != nullptr && n->v != k; n = n->next) x += 1;  // @search
  Node* p = head;
  while (p != nullptr) { x += p->v; p = p->next; }            // @while-linked
  p = head;
  while (p) { if (p->v) p = p->next; else p = p->other; }    // @branch-step
  p = head;
  do { x += p->v; p = p->next; } while (p != 0);              // @do-linked
  while (t) { t = k < t->key ? t->left : t->right; }          // @descent
  while (o) { o = nullptr; }                                  // @no-link
  return x;
}
"""


def _loop_at(s, marker):
    line = s.line_of(f"@{marker}")
    return next(lp for lp in s.view.loops if lp.node.range.start.line == line)


def test_container_walks(tmp_path):
    s = snippet(tmp_path, WALKS)
    got = {}
    for marker in ("range-list", "iter-map", "iter-set", "range-unordered", "vector", "deque", "from-find", "mixed",
                   "for-linked"):
        w = wa.container_walk(_loop_at(s, marker))
        got[marker] = None if w is None else (w.family, w.declaration.spelling if w.declaration else None,
                                              "".join(w.step.tokens))
    assert got == {
        "range-list": ("std::list", "g", "g"),
        "iter-map": ("std::map", "m", "m.begin()"),
        "iter-set": ("std::set", "s", "s.crbegin()"),
        "range-unordered": ("std::unordered_map", "u", "u"),
        "vector": None, "deque": None,  # contiguous or chunked: no pointer per element
        "from-find": None,  # a walk from a key, not over the whole container
        "mixed": None,  # begin() of one container, end() of another
        "for-linked": None,
    }


def test_linked_walks(tmp_path):
    s = snippet(tmp_path, WALKS)
    got = {}
    for marker in ("for-linked", "while-linked", "do-linked", "search", "branch-step", "descent", "no-link",
                   "range-list"):
        w = wa.linked_walk(_loop_at(s, marker))
        got[marker] = None if w is None else (w.cursor.spelling, w.link.spelling, w.node.unqualified_name,
                                              "".join(w.step.tokens))
    assert got == {
        "for-linked": ("n", "next", "Node", "n=n->next"),
        "while-linked": ("p", "next", "Node", "p=p->next"),
        "do-linked": ("p", "next", "Node", "p=p->next"),
        "search": None,  # the condition tests a key too
        "branch-step": None,  # the step is under a branch
        "descent": None,  # left or right: a lookup
        "no-link": None,
        "range-list": None,
    }


EXITS = r"""
#include <list>
#include <stdexcept>
int f(const std::list<int>& xs, int k) {
  int s = 0;
  for (int x : xs) { for (int y : xs) { if (y == k) break; } s += x; }   // @inner-break
  for (int x : xs) { switch (x) { case 1: break; default: s += x; } }    // @switch-break
  for (int x : xs) { if (x == k) break; }                                // @break
  for (int x : xs) { if (x == k) return x; }                             // @return
  for (int x : xs) { auto g = [&] { return x; }; s += g(); }             // @lambda
  for (int x : xs) { if (x < 0) throw std::runtime_error("neg"); s += x; }  // @throw
  for (int x : xs) { if (x == k) goto out; }                             // @goto
out:
  return s;
}
"""


def test_early_exits(tmp_path):
    s = snippet(tmp_path, EXITS)
    got = {m: [n.kind for n in wa.early_exits(_loop_at(s, m))]
           for m in ("inner-break", "switch-break", "break", "return", "lambda", "throw", "goto")}
    assert got == {"inner-break": [], "switch-break": [], "break": [K.BREAK_STMT], "return": [K.RETURN_STMT],
                   "lambda": [], "throw": [], "goto": [K.GOTO_STMT]}


USES = r"""
#include <list>
#include <map>
struct Cache {
  std::map<int, int> index;
  std::list<int> order;
  int get(int k) { return index.at(k) + static_cast<int>(index.count(k)); }
  void put(int k) { index[k] = k; order.push_back(k); }
  void move_front(std::list<int>& other) {
    for (auto it = order.begin(); it != order.end(); ++it) { other.splice(other.end(), order, it); }
    for (int x : order) other.push_back(x);
  }
};
"""


def test_container_calls_and_reshapes(tmp_path):
    s = snippet(tmp_path, USES)
    index, order = s.decl(K.FIELD_DECL, "index"), s.decl(K.FIELD_DECL, "order")
    calls = [c.node for c in s.view.calls]
    assert [c.spelling for c in wa.container_calls(index, calls)] == ["at", "count", "operator[]"]
    assert [c.spelling for c in wa.container_calls(order, calls)] == ["push_back", "begin", "end"]
    splicing, copying = s.view.loops
    walk = wa.container_walk(splicing)
    assert walk.declaration.is_same_declaration(order)
    body = [splicing.body]
    assert [c.spelling for c in wa.reshapes(walk, body)] == ["splice"]  # the walked list is an argument
    assert wa.reshapes(wa.container_walk(copying), [copying.body]) == []  # it grows another list


HOT = r"""
#include <stdexcept>
#include <list>
long walk(const std::list<int>& xs) { long s = 0; for (int x : xs) s += x; return s; }
long once(const std::list<int>& xs) { return walk(xs); }
long often(const std::list<int>& xs, int n) {
  long t = 0;
  for (int i = 0; i < n; ++i) t += walk(xs);
  return t;
}
long few(const std::list<int>& xs) { long t = 0; for (int i = 0; i < 3; ++i) t += once(xs); return t; }
int guarded(const std::list<int>& xs) {
  if (xs.empty()) {
    long s = walk(xs);  // @error
    throw std::runtime_error(std::to_string(s));
  }
  return 0;
}
"""


def test_strong_region_at_and_loop_caller(tmp_path):
    s = snippet(tmp_path, HOT)
    hot = s.view.analysis.hotness
    fns = {f.name: f for f in s.view.functions}
    assert hot.loop_caller(fns["walk"]) == "often"
    assert hot.loop_caller(fns["once"]) is None  # called in a loop of 3 iterations only
    assert hot.loop_caller(fns["often"]) is None
    call = next(c.node for c in s.view.calls if c.node.range.start.line == s.line_of("@error"))
    region = hot.strong_region_at(call)
    assert region is not None and region.reason == "in a branch that throws"
    assert hot.strong_region_at(s.view.loops[0].node) is None
