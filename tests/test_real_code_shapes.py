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
