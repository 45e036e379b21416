"""Shapes of real code hotlint must see as the build does (issue 13): macro-named namespaces,
declarations and loops made by macros, ..."""

from __future__ import annotations

from conftest import run_json

NAMESPACED = """\
#include <vector>
namespace PROJECT_NAMESPACE {
struct Wasteful { char a; double b; char c; };
Wasteful w[8];
void fill(std::vector<int>& out, int n) {
  for (int i = 0; i < n; ++i) { std::vector<int> tmp(16); out.push_back(tmp[0]); }
}
}  // namespace PROJECT_NAMESPACE
"""


def test_a_namespace_named_by_a_macro_is_analyzed(tmp_path):
    """`namespace ROCKSDB_NAMESPACE {` with -DROCKSDB_NAMESPACE=rocksdb hid the whole file."""
    (tmp_path / "n.cpp").write_text(NAMESPACED)
    _, plain = run_json("--min-severity", "info", "--no-cache", "n.cpp", cwd=tmp_path)
    _, macro = run_json("--min-severity", "info", "--no-cache", "--extra-arg=-DPROJECT_NAMESPACE=project", "n.cpp", cwd=tmp_path)
    assert [(d["line"], d["rule"]) for d in macro["diagnostics"]] == [(3, "padding-waste"), (6, "alloc-in-loop")]
    assert [(d["line"], d["rule"]) for d in plain["diagnostics"]] == [(3, "padding-waste"), (6, "alloc-in-loop")]
    assert "`project::Wasteful`" in macro["diagnostics"][0]["message"]


def test_files_missing_from_the_database_borrow_the_nearest_entrys_flags(tmp_path):
    """A CMake build with tests off lists no test file: each borrows the flags of the nearest unit of
    its language (as clangd does) instead of failing on `'lib/db.h' file not found`."""
    import subprocess

    (tmp_path / "include" / "lib").mkdir(parents=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "include" / "lib" / "db.h").write_text(
        "#pragma once\n#ifndef LIB_BUILD\n#error built without the library's flags\n#endif\n"
        "struct Wasteful { char a; double b; char c; };\n")
    (tmp_path / "src" / "db.cpp").write_text('#include "lib/db.h"\nWasteful w1[4];\n')
    (tmp_path / "tests" / "db_test.cpp").write_text('#include "lib/db.h"\nstruct T { char a; double b; char c; };\n'
                                                    "T t[4];\n")
    (tmp_path / "tests" / "helper.c").write_text('#include "lib/db.h"\nstruct C { char a; double b; char c; };\n'
                                                 "struct C c[4];\n")
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(lib C CXX)\noption(BUILD_TESTS OFF)\n"
        "set(CMAKE_CXX_STANDARD 17)\nadd_library(lib src/db.cpp)\n"
        "target_include_directories(lib PUBLIC include)\ntarget_compile_definitions(lib PUBLIC LIB_BUILD)\n"
        "if(BUILD_TESTS)\n  add_executable(db_test tests/db_test.cpp tests/helper.c)\nendif()\n")
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build"),
                    "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], check=True, capture_output=True)
    proc, data = run_json("--min-severity", "info", "--no-cache", "-p", "build", "-v", "tests", cwd=tmp_path)
    assert data["errors"] == [], data["errors"]
    assert sorted((d["path"], d["line"]) for d in data["diagnostics"]) == [("tests/db_test.cpp", 2),
                                                                           ("tests/helper.c", 2)]
    assert "borrowed from" in proc.stderr and f"{tmp_path / 'src' / 'db.cpp'}" in proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "without an entry of their own" in line]
    assert len(notes) == 1 and notes[0].startswith("hotlint: build/compile_commands.json: note: 2 files")
    c_flags = next(line for line in proc.stderr.splitlines() if line.startswith("hotlint: tests/helper.c:"))
    assert "-x c " in c_flags and "-std=c17" in c_flags and "-std=gnu++17" not in c_flags and "c++17" not in c_flags


# ---- headers in their includer's context (item 2) and class templates in headers (item 3)

SINGLE_HEADER = """\
#ifndef TINYSUM_H
#define TINYSUM_H
#include <string>
#include <vector>
long tinysum_total(const std::vector<std::string>& rows);
#ifdef TINYSUM_IMPLEMENTATION
long tinysum_total(const std::vector<std::string>& rows) {
  long total = 0;
  for (const std::string& row : rows) {
    std::vector<char> digits(row.begin(), row.end());
    total += static_cast<long>(digits.size());
  }
  return total;
}
#endif
#endif
"""
SINGLE_HEADER_USER = '#include <cstdio>\n#define TINYSUM_IMPLEMENTATION\n#include "tinysum.h"\n' \
                     'int main() { return (int)tinysum_total({"12", "345"}); }\n'
# another unit includes it without the implementation: it must not be chosen
SINGLE_HEADER_PLAIN = '#include "tinysum.h"\nlong twice(const std::vector<std::string>& r) { return 2 * tinysum_total(r); }\n'


def _lines(data, path=None):
    return sorted((d["path"], d["line"], d["rule"]) for d in data["diagnostics"] if path in (None, d["path"]))


def test_a_single_header_library_is_analyzed_with_its_implementation_macro(tmp_path):
    """stb-style: the code is under `#ifdef TINYSUM_IMPLEMENTATION`, defined by one .cpp before the
    include. Alone the header has no code; inside that unit its per-iteration allocation is found."""
    (tmp_path / "tinysum.h").write_text(SINGLE_HEADER)
    (tmp_path / "a_plain.cpp").write_text(SINGLE_HEADER_PLAIN)  # first by name: the macro must decide
    (tmp_path / "impl.cpp").write_text(SINGLE_HEADER_USER)
    _, alone = run_json("--min-severity", "info", "--no-cache", "tinysum.h", cwd=tmp_path)
    assert alone["diagnostics"] == [] and alone["errors"] == []
    proc, data = run_json("--min-severity", "info", "--no-cache", "-v", "tinysum.h", "impl.cpp", "a_plain.cpp", cwd=tmp_path)
    assert data["errors"] == [], data["errors"]
    assert _lines(data) == [("tinysum.h", 10, "alloc-in-loop")]
    assert f"inside {tmp_path / 'impl.cpp'} (line 3)" in proc.stderr


NOT_SELF_CONTAINED = """\
#pragma once
#include <vector>
// uses `Sample`, declared by the includer before the include
inline double spread(const std::vector<Sample>& in) {
  double total = 0;
  for (const Sample& x : in) {
    std::vector<double> parts(x.n);
    total += static_cast<double>(parts.size());
  }
  return total;
}
"""
SAMPLE = "struct Sample { int n; };\n"


def test_a_header_that_is_not_self_contained_parses_inside_its_includer(tmp_path):
    (tmp_path / "spread.hpp").write_text(NOT_SELF_CONTAINED)
    (tmp_path / "spread.cpp").write_text(SAMPLE + '#include "spread.hpp"\ndouble run() { return spread({{1}, {2}}); }\n')
    _, data = run_json("--min-severity", "info", "--no-cache", "spread.hpp", "spread.cpp", cwd=tmp_path)
    assert data["errors"] == [], data["errors"]
    assert _lines(data) == [("spread.hpp", 7, "alloc-in-loop")]
    # with no unit to host it, it is parsed alone as before: `Sample` is unknown
    _, alone = run_json("--min-severity", "info", "--no-cache", "spread.hpp", cwd=tmp_path)
    assert [e["kind"] for e in alone["errors"]] == ["parse-error"] and "Sample" in alone["errors"][0]["message"]


def test_a_parse_error_of_the_includer_is_not_the_headers(tmp_path):
    """The unit has an error outside the header: the header is analyzed alone (said in a note), the
    unit's error is not reported against it, and nothing comes from the broken unit."""
    (tmp_path / "spread.hpp").write_text(SAMPLE + NOT_SELF_CONTAINED.replace("#pragma once\n", ""))
    (tmp_path / "spread.cpp").write_text('#include "spread.hpp"\nint broken = ;\n')
    proc, data = run_json("--min-severity", "info", "--no-cache", "spread.hpp", "spread.cpp", cwd=tmp_path)
    assert [(e["path"], e["line"]) for e in data["errors"]] == [("spread.cpp", 2)]  # the unit's own, at its line
    assert _lines(data) == [("spread.hpp", 7, "alloc-in-loop")]
    assert "analyzed alone, not inside" in proc.stderr and "parse error of its own" in proc.stderr


SPSC = """\
#pragma once
#include <atomic>
#include <cstddef>
#include <vector>

template <typename T>
class Ring {
 public:
  explicit Ring(std::size_t n) : slots_(n) {}
  bool push(const T& v) {
    std::size_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_.load(std::memory_order_acquire) == slots_.size()) return false;
    slots_[t % slots_.size()] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  bool pop(T& out) {
    std::size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_.load(std::memory_order_acquire)) return false;
    out = slots_[h % slots_.size()];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }

 private:
  std::atomic<std::size_t> head_{0};
  std::atomic<std::size_t> tail_{0};
  std::vector<T> slots_;
};
"""
SPSC_USER = """\
#include <thread>
#include "ring.hpp"

long drain(int n) {
  Ring<int> ints(64);
  Ring<double> reals(64);
  std::thread producer([&] { for (int i = 0; i < n; ++i) { while (!ints.push(i)) {} reals.push(i); } });
  long sum = 0;
  int v = 0;
  for (int i = 0; i < n; ++i) { while (!ints.pop(v)) {} sum += v; }
  producer.join();
  return sum;
}
"""


def _cmake_project(tmp_path, files: dict[str, str], sources: list[str]) -> None:
    """A CMake project with the given files; its compile_commands.json in build/."""
    import subprocess

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(p CXX)\nset(CMAKE_CXX_STANDARD 17)\n"
        f"add_library(p {' '.join(sources)})\ntarget_include_directories(p PUBLIC include)\n"
        "target_compile_definitions(p PRIVATE P_BUILD)\n")
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build"),
                    "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], check=True, capture_output=True)


def test_a_header_only_queue_template_is_laid_out_where_a_unit_instantiates_it(tmp_path):
    """head_ and tail_ of a header-only SPSC queue share a line: reported once at the header's field,
    however many instantiations (Ring<int>, Ring<double>) and units; never at the .cpp."""
    _cmake_project(tmp_path, {"include/ring.hpp": SPSC, "src/drain.cpp": SPSC_USER,
                              "src/other.cpp": SPSC_USER.replace("drain", "other")},
                   ["src/drain.cpp", "src/other.cpp"])
    proc, data = run_json("--min-severity", "info", "--no-cache", "-j1", "-p", "build", "src/", "include/", cwd=tmp_path)
    assert data["errors"] == [], data["errors"]
    assert _lines(data) == [("include/ring.hpp", 27, "false-sharing")]
    (finding,) = data["diagnostics"]
    # the headline names the members and the instantiation; the offsets are in a note
    assert "`head_` and `tail_` of `Ring<" in finding["message"]
    assert any("offset 0" in n and "offset 8" in n for n in finding["notes"]), finding["notes"]
    # and the same run again from the cache: still once
    _, again = run_json("--min-severity", "info", "-p", "build", "src/", "include/", cwd=tmp_path)
    assert _lines(again) == _lines(data)


def test_an_uninstantiated_queue_template_is_reported_where_its_indices_do_not_depend_on_t(tmp_path):
    """Alone, the header has no instantiation; the two std::atomic<size_t> lead the template, so
    their offsets are those of every instantiation."""
    (tmp_path / "ring.hpp").write_text(SPSC)
    _, data = run_json("--min-severity", "info", "--no-cache", "ring.hpp", cwd=tmp_path)
    assert _lines(data) == [("ring.hpp", 27, "false-sharing")]
    assert "`Ring`" in data["diagnostics"][0]["message"]
    assert "no declaration here instantiates `Ring`" in " ".join(data["diagnostics"][0]["notes"])


DEPENDENT_RING = """\
#pragma once
#include <atomic>
#include <cstddef>
template <typename T>
struct Slots {
  std::atomic<std::size_t> head{0};
  T gap;
  std::atomic<std::size_t> tail{0};
  void push() { tail.fetch_add(1, std::memory_order_release); }
  void pop() { head.fetch_add(1, std::memory_order_release); }
};
"""


def test_a_template_whose_layout_depends_on_t_is_judged_per_instantiation(tmp_path):
    """`T gap` between the indices: alone nothing is said (tail's offset depends on T); inside a
    unit, Slots<char> puts both in one line and is reported, Slots<Wide> (a 64-byte aligned T)
    puts them 128 bytes apart: nothing to say."""
    (tmp_path / "slots.hpp").write_text(DEPENDENT_RING)
    _, alone = run_json("--min-severity", "info", "--no-cache", "slots.hpp", cwd=tmp_path)
    assert alone["errors"] == [] and alone["diagnostics"] == []
    (tmp_path / "use.cpp").write_text('#include "slots.hpp"\nSlots<char> small;\n')
    _, data = run_json("--min-severity", "info", "--no-cache", "slots.hpp", "use.cpp", cwd=tmp_path)
    assert _lines(data) == [("slots.hpp", 8, "false-sharing")]
    assert "Slots<char>" in data["diagnostics"][0]["message"]
    (tmp_path / "use.cpp").write_text('#include "slots.hpp"\nstruct alignas(64) Wide { char c[56]; };\n'
                                      "Slots<Wide> wide;\n")
    _, wide = run_json("--min-severity", "info", "--no-cache", "slots.hpp", "use.cpp", cwd=tmp_path)
    assert wide["errors"] == [] and wide["diagnostics"] == [], wide["diagnostics"]


SINGLE_WRITER = """\
#pragma once
#include <atomic>
#include <cstddef>
template <typename T>
class Counter {
 public:
  void add(const T&) {
    count_.fetch_add(1, std::memory_order_relaxed);
    bytes_.fetch_add(sizeof(T), std::memory_order_relaxed);
  }
 private:
  std::atomic<std::size_t> count_{0};
  std::atomic<std::size_t> bytes_{0};
};
"""


def test_a_template_whose_atomics_one_function_writes_is_not_false_sharing(tmp_path):
    (tmp_path / "counter.hpp").write_text(SINGLE_WRITER)
    (tmp_path / "count.cpp").write_text('#include "counter.hpp"\nCounter<int> c;\nvoid f() { c.add(1); }\n')
    _, alone = run_json("--min-severity", "info", "--no-cache", "counter.hpp", cwd=tmp_path)
    _, data = run_json("--min-severity", "info", "--no-cache", "counter.hpp", "count.cpp", cwd=tmp_path)
    assert alone["diagnostics"] == [] and data["diagnostics"] == [], data["diagnostics"]


def test_cmake_project_headers_are_reported_once_each(tmp_path):
    """`hotlint -p build src/ include/`: a header included by two units is analyzed once, inside
    one of them (the one with its stem), and its findings are not repeated per includer."""
    # a reorder takes it from two cache lines to one: a warning
    padded = "#pragma once\n#ifndef P_BUILD\n#error needs the build's flags\n#endif\n" \
             "struct Entry { char a; double w; char b; double x; char c; double y; char d; double z; char e; };\n" \
             "inline Entry table[16];\n"
    _cmake_project(tmp_path, {"include/p/entry.h": padded,
                              "src/entry.cpp": '#include "p/entry.h"\nint first() { return table[0].a; }\n',
                              "src/use.cpp": '#include "p/entry.h"\nint last() { return table[15].e; }\n'},
                   ["src/entry.cpp", "src/use.cpp"])
    proc, data = run_json("--min-severity", "info", "--no-cache", "-j1", "-v", "-p", "build", "src/", "include/", cwd=tmp_path)
    assert data["errors"] == [], data["errors"]
    assert _lines(data) == [("include/p/entry.h", 5, "padding-waste")]
    assert f"inside {tmp_path / 'src' / 'entry.cpp'} (line 1)" in proc.stderr
