"""Node.constant_value: libclang's constant evaluator, as the analysis layer asks it."""

from __future__ import annotations

from hotlint import clang

SOURCE = """
#include <atomic>
enum class Color { Red = 3, Green = 7 };
constexpr int N = 4 * 16;
constexpr unsigned long long Big = ~0ULL;
template <class T> constexpr std::memory_order order = std::memory_order_acquire;
void f(std::atomic<int>& a, int x) {
  a.fetch_add(1, order<int>);
  auto c = Color::Green;
  int y = x + 1;
  (void)c; (void)y;
}
"""


def test_constant_values(tmp_path):
    path = tmp_path / "e.cpp"
    path.write_text(SOURCE)
    tu = clang.parse(str(path), ["-x", "c++", "-std=c++20"])
    nodes = [n for r in clang.main_file_roots(tu, str(path)) for n in r.walk()]

    def value(kind, spelling):
        return next(n.constant_value for n in nodes if n.kind == kind and n.spelling == spelling)

    assert value("VAR_DECL", "N") == 64
    assert value("VAR_DECL", "Big") == 2**64 - 1  # unsigned: not read as -1
    assert value("DECL_REF_EXPR", "Green") == 7
    assert value("DECL_REF_EXPR", "order") == 2  # memory_order_acquire, chosen by a template
    assert value("VAR_DECL", "y") is None  # not a constant
    assert value("DECL_REF_EXPR", "x") is None
