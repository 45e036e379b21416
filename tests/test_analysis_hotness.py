"""hotlint.analysis.hotness on real C++ parsed by libclang: cold regions (error paths, catch
handlers, [[unlikely]], __builtin_expect, I/O loops, small constant trip counts), function roles
and the call-graph fragment a file contributes."""

from __future__ import annotations

import re

from _analysis_view import parse_view
from hotlint.analysis.hotness import cold_role, name_words
from hotlint.callgraph import ProjectGraph
from hotlint.view import Settings

_MARK = re.compile(r"//\s*@([\w-]+)")

REGIONS = r"""
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LIKELY(x) __builtin_expect(!!(x), 1)

struct Status {
  static Status IOError(const char*) { return Status(); }
  static Status NotFound(const char*) { return Status(); }
};
[[noreturn]] void die(const char*);

int parse(const char* p, std::vector<int>& out) {
  if (p == nullptr) {
    out.push_back(1);  // @neg-return
    return -1;
  }
  if (*p == 'x') {
    out.push_back(2);  // @plain-return
    return 0;
  }
  if (*p == 'y') {
    out.push_back(3);  // @throw
    throw std::runtime_error("y");
  }
  if (*p == 'z') {
    out.push_back(4);  // @abort
    std::abort();
  }
  if (*p == 'w') {
    out.push_back(5);  // @noreturn
    die("w");
  }
  if (UNLIKELY(*p == 'u')) {
    out.push_back(6);  // @expect-then
  } else {
    out.push_back(7);  // @expect-else
  }
  if (LIKELY(*p != 'l')) {
    out.push_back(8);  // @likely-then
  } else {
    out.push_back(9);  // @likely-else
  }
  if (*p == 'a') [[unlikely]] {
    out.push_back(10);  // @attr-unlikely
  }
  try {
    out.push_back(11);  // @try
  } catch (const std::exception&) {
    out.push_back(12);  // @catch
  }
  return 1;
}

Status open_file(const char* name, std::string* out) {
  if (name == nullptr) {
    out->append("?");  // @status-error
    return Status::IOError(name);
  }
  if (*name == 0) {
    out->append("!");  // @status-not-found
    return Status::NotFound(name);
  }
  return Status();
}

bool lookup(const int* t, int n, int k, std::string* s) {
  for (int i = 0; i < n; ++i) {
    if (t[i] == k) {
      s->append("k");  // @false-return
      return false;
    }
  }
  return true;
}

void loops(const std::vector<int>& v, int n, std::FILE* f) {
  for (int i = 0; i < 4; ++i) {
    int* p = new int(i);  // @trip4
    delete p;
  }
  for (int i = 2; i <= 9; i++) {
    int* p = new int(i);  // @trip8
    delete p;
  }
  for (int i = 0; i < 9; ++i) {
    int* p = new int(i);  // @trip9
    delete p;
  }
  for (int i = 0; i < n; ++i) {
    int* p = new int(i);  // @unbounded
    delete p;
  }
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 8; ++j) {
      int* p = new int(j);  // @nest32
      delete p;
    }
    for (int j = 0; j < n; ++j) {
      int* p = new int(j);  // @nest-unbounded
      delete p;
    }
  }
  for (int x : {1, 2, 3}) {
    int* p = new int(x);  // @init-list
    delete p;
  }
  int arr[6] = {};
  for (int x : arr) {
    int* p = new int(x);  // @array6
    delete p;
  }
  for (int x : v) {
    std::string* s = new std::string(std::to_string(x));  // @printf
    std::fprintf(f, "%s\n", s->c_str());
    delete s;
  }
  for (int x : v) {
    std::string* s = new std::string(std::to_string(x));  // @printf-branch
    if (x < 0) std::printf("%s\n", s->c_str());
    delete s;
  }
}
"""


def _view(tmp_path, source, settings=None, name="case.cpp"):
    view = parse_view(tmp_path, source, name)
    if settings is not None:
        view.settings = settings
    return view


def _lines(source: str) -> dict[str, int]:
    return {m.group(1): n for n, line in enumerate(source.splitlines(), start=1) if (m := _MARK.search(line))}


def _cold_at(view, line: int):
    """The cold evidence for the statement on ``line`` (its first node there), as the ranking
    asks it: from the file's fragment, by the range and the innermost loop's lines."""
    calls = [s.node for s in view.calls if s.node.range.start.line == line]
    news = [n for n in view.nodes("CXX_NEW_EXPR") if n.range.start.line == line]
    node = (news or calls)[0]
    graph = ProjectGraph()
    graph.add(view.path, view.analysis.hotness.fragment)
    loop = view.enclosing_loop(node)
    lines = (loop.node.range.start.line, loop.node.range.end.line) if loop is not None else None
    region = graph.cold_region(view.path, node.range, lines)
    return None if region is None else (region.reason, region.strength)


def test_cold_regions(tmp_path):
    view = _view(tmp_path, REGIONS)
    at = _lines(REGIONS)
    got = {name: _cold_at(view, line) for name, line in at.items()}
    strong = {k: v[0] for k, v in got.items() if v and v[1] == "strong"}
    assert strong == {
        "neg-return": "in a branch that returns an error",
        "throw": "in a branch that throws",
        "abort": "in a branch that ends the program",
        "noreturn": "in a branch that ends the program",
        "expect-then": "in a branch `__builtin_expect` marks unlikely",
        "likely-else": "in a branch `__builtin_expect` marks unlikely",
        "attr-unlikely": "in an `[[unlikely]]` branch",
        "catch": "in a catch handler",
        "status-error": "in a branch that returns an error",
        "false-return": "in a branch that returns an error",
    }
    # a success return, NotFound (a miss is an answer), the likely side and the try block are not cold
    for name in ("plain-return", "status-not-found", "expect-else", "likely-then", "try"):
        assert got[name] is None, name
    trips = {k: v[0] for k, v in got.items() if v and v[1] == "trip"}
    assert trips == {"trip4": "a loop of 4 iterations", "trip8": "a loop of 8 iterations",
                     "nest32": "loops of 32 iterations in all", "init-list": "a loop of 3 iterations",
                     "array6": "a loop of 6 iterations"}
    assert got["printf"] == ("the loop calls `fprintf` on every iteration", "loop")
    for name in ("trip9", "unbounded", "nest-unbounded", "printf-branch"):  # under a branch: not every iteration
        assert got[name] is None, name


CALLS = r"""
#include <cstdio>
#include <vector>
namespace app {
struct Writer {
  void Append(const std::vector<int>& v);
  void Flush();
};
void encode(int x);
void recover();
[[gnu::hot]] void pump(int n);
__attribute__((cold)) void panic_report();
void init_tables();
void TearDown();

void Writer::Append(const std::vector<int>& v) {
  for (int x : v) encode(x);
  for (int k = 0; k < 2; ++k) Flush();
  if (v.empty()) {
    recover();
    throw 1;
  }
  if (v.size() == 1) {
    recover();  // a plain return: not an error path
    return;
  }
  try { Flush(); } catch (...) { recover(); }
}
void pump(int n) { for (int i = 0; i < n; ++i) encode(i); }
void panic_report() { std::puts("panic"); }
void init_tables() { for (int i = 0; i < 3; ++i) encode(i); }
void TearDown() {}
void Writer::Flush() { auto f = [] { recover(); }; f(); }
}
"""


def test_call_graph_fragment(tmp_path):
    settings = Settings(hot_functions=("app::Writer::Flush",), cold_functions=("*recover*",))
    view = _view(tmp_path, CALLS, settings)
    frag = view.analysis.hotness.fragment
    usrs = frag["usrs"]
    names = {usrs[i]: name for i, name, *_ in frag["functions"]}
    roles = {name: (role, why) for _, name, _, _, role, why in frag["functions"]}
    assert roles == {
        "app::Writer::Append": ("", ""),
        "app::pump": ("hot", "`[[gnu::hot]]`"),
        "app::panic_report": ("cold", "`[[gnu::cold]]`"),
        "app::init_tables": ("cold-role", "set-up or teardown code by its name"),
        "app::TearDown": ("cold-role", "set-up or teardown code by its name"),
        "app::Writer::Flush": ("hot", "hot-functions `app::Writer::Flush`"),
    }
    # callees by USR (declared only here: encode and recover are defined in other units)
    edges = {(names[usrs[a]], names.get(usrs[b], usrs[b]), k) for a, b, k in frag["calls"]}
    assert len(usrs) == len(set(usrs))  # each USR written once
    encode, recover = "c:@N@app@F@encode#I#", "c:@N@app@F@recover#"
    assert {e for e in edges if e[0] == "app::Writer::Append"} == {
        ("app::Writer::Append", encode, "loop"),
        ("app::Writer::Append", "app::Writer::Flush", "call"),  # a loop of 2 iterations is no loop; nor a try block
        ("app::Writer::Append", recover, "cold"),  # before a throw, and in the catch handler
        ("app::Writer::Append", recover, "call"),  # before a plain return
    }
    assert ("app::pump", encode, "loop") in edges and ("app::init_tables", encode, "call") in edges
    # a lambda's calls are its enclosing function's; the std library is left out
    assert ("app::Writer::Flush", recover, "call") in edges
    assert not any("@N@std@" in usrs[b] for _, b, _ in frag["calls"])
    # the cold regions travel with it
    assert [(c[0], c[4], c[5]) for c in frag["cold"]] == [
        (18, "a loop of 2 iterations", "trip"), (19, "in a branch that throws", "strong"),
        (27, "in a catch handler", "strong"), (31, "a loop of 3 iterations", "trip")]


def test_name_roles():
    assert name_words("initTable") == ["init", "table"]
    assert name_words("HTTPSetUp") == ["http", "set", "up"]
    assert name_words("load_config") == ["load", "config"]
    for name in ("init", "initTable", "init_db", "SetUp", "TearDown", "shutdown", "DestroyDB", "load_config",
                 "parse_args", "print_usage", "Configure"):
        assert cold_role(name, name) is not None, name
    for name in ("infinite", "reinit", "main", "settle", "Append", "definition", "parse", "test_and_set",
                 "TestAndSet", "upset"):
        assert cold_role(name, name) is None, name
    assert cold_role("TestBody", "Suite_Case_Test::TestBody") == "a test body"
    assert cold_role("Run", "MySuite_Works_Test::Run") == "a test body"


COLD_AT = r"""
#include <cstdio>
#include <stdexcept>
int f(const int* xs, int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) {
    s += xs[i];  // @hot
    try {
      if (xs[i] < 0) throw std::runtime_error("neg");
    } catch (const std::exception&) {
      s -= 1;  // @catch
    }
    for (int k = 0; k < 4; ++k) s += k;  // @nested-trip
    std::printf("%d\n", s);  // @io
  }
  for (int k = 0; k < 4; ++k) {
    s += k;  // @trip
    for (int j = 0; j < n; ++j) s += j;  // @inner
  }
  return s;
}
"""


def test_cold_region_of_a_node_reads_like_the_ranking(tmp_path):
    from hotlint.analysis.hotness import region_holding
    from hotlint.analysis.kinds import K

    view = parse_view(tmp_path, COLD_AT)
    marks = {m.group(1): n for n, line in enumerate(COLD_AT.split("\n"), start=1) if (m := _MARK.search(line))}
    hot = view.analysis.hotness

    def region_on(mark):
        stmts = [n for n in view.nodes(K.COMPOUND_ASSIGNMENT_OPERATOR, K.CALL_EXPR)
                 if n.range.start.line == marks[mark]]
        return hot.cold_region(stmts[0])

    assert region_on("catch").reason == "in a catch handler"
    # the outer loop prints on every iteration: what is directly in it is cold, I/O included
    assert region_on("hot").strength == "loop" and region_on("io").strength == "loop"
    assert region_on("trip").strength == "trip"
    # four iterations of a loop that runs n times: not a small nest
    assert region_on("nested-trip") is None
    # the innermost loop of a statement decides: a loop of n iterations inside the small one is not cold
    assert region_on("inner") is None
    # the same answer from the regions alone, as ProjectGraph.cold_region asks it
    stmt = [n for n in view.nodes(K.COMPOUND_ASSIGNMENT_OPERATOR) if n.range.start.line == marks["catch"]][0]
    assert region_holding(hot.regions, stmt.range, None).reason == "in a catch handler"
    assert region_holding([], stmt.range, None) is None


def test_called_in_loop(tmp_path):
    from hotlint.analysis.kinds import K

    view = parse_view(tmp_path, """
int leaf(int x) { return x * 2; }
int once(int x) { return x + 1; }
int lambda_only(int x) { return x; }
int driver(int n) {
  int s = once(n);
  for (int i = once(n); i < n; ++i) s += i;
  for (int i = 0; i < n; ++i) s += leaf(i);
  auto f = [](int x) { return lambda_only(x); };
  return s + f(n);
}
""")
    fns = {f.spelling: f for f in view.nodes(K.FUNCTION_DECL)}
    hot = view.analysis.hotness
    assert hot.called_in_loop(fns["leaf"])
    assert not hot.called_in_loop(fns["once"]) and not hot.called_in_loop(fns["lambda_only"])
    assert not hot.called_in_loop(fns["driver"])
