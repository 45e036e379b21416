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
    _, plain = run_json("--no-cache", "n.cpp", cwd=tmp_path)
    _, macro = run_json("--no-cache", "--extra-arg=-DPROJECT_NAMESPACE=project", "n.cpp", cwd=tmp_path)
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
    proc, data = run_json("--no-cache", "-p", "build", "-v", "tests", cwd=tmp_path)
    assert data["errors"] == [], data["errors"]
    assert sorted((d["path"], d["line"]) for d in data["diagnostics"]) == [("tests/db_test.cpp", 2),
                                                                           ("tests/helper.c", 2)]
    assert "borrowed from" in proc.stderr and f"{tmp_path / 'src' / 'db.cpp'}" in proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "without an entry of their own" in line]
    assert len(notes) == 1 and notes[0].startswith("hotlint: build/compile_commands.json: note: 2 files")
    c_flags = next(line for line in proc.stderr.splitlines() if line.startswith("hotlint: tests/helper.c:"))
    assert "-x c " in c_flags and "-std=c17" in c_flags and "-std=gnu++17" not in c_flags and "c++17" not in c_flags
