"""analysis.containers: standard container families, small-string facts, string length bounds
and concatenation chains, on real C++ parsed through the real headers."""

from __future__ import annotations

from analysis_snippets import snippet
from hotlint.analysis import containers as co
from hotlint.analysis.expressions import initializer
from hotlint.analysis.kinds import K

STRINGS = r"""
#include <string>
#include <memory_resource>

void f(int i, long l, short h, double d, std::string s, char c) {
  std::string a = "abc";
  std::string b = 'x' + std::string("-") + std::to_string(i);
  std::string e = s + std::to_string(l) + std::to_string(h);
  std::string g = std::to_string(d) + s;
  std::string k = (s + "x") + (c + s);
  std::wstring w = L"wide";
  std::pmr::string p = std::pmr::string("a") + "b";
  std::u16string u;
  std::string q = std::string(3, 'z');
  std::string r = std::string("lit", 2);
}
"""


def _init(s, name):
    return initializer(s.decl(K.VAR_DECL, name))


def test_small_string_chars_divides_by_the_character_size(tmp_path):
    s = snippet(tmp_path, STRINGS)
    assert co.small_string_chars(s.decl(K.VAR_DECL, "a").type, 15) == 15
    assert co.small_string_chars(s.decl(K.VAR_DECL, "w").type, 15) == 3  # 4-byte wchar_t
    assert co.small_string_chars(s.decl(K.VAR_DECL, "u").type, 22) == 11
    assert co.SSO_CAPACITY == {"libstdc++": 15, "libc++": 22}


def test_concatenation_chains(tmp_path):
    s = snippet(tmp_path, STRINGS)
    chain = [n for n in s.view.nodes(K.CALL_EXPR) if co.is_string_concatenation(n)]
    top_b = next(n for n in chain if n.is_within(_init(s, "b")) or n.range == _init(s, "b").range)
    leaves = co.concatenation_operands(top_b)
    assert ["".join(x.tokens) for x in leaves] == ["'x'", 'std::string("-")', "std::to_string(i)"]
    top_k = next(n for n in chain if n.is_within(_init(s, "k")) or n.range == _init(s, "k").range)
    # parenthesized chains are followed through their wrappers
    assert ["".join(x.tokens) for x in co.concatenation_operands(top_k)] == ["s", '"x"', "c", "s"]
    # a std::pmr::string has a polymorphic allocator: not the family
    p = _init(s, "p")
    assert not any(co.is_string_concatenation(n) for n in p.walk())
    assert not co.is_string_concatenation(None)


def test_string_length_bound(tmp_path):
    s = snippet(tmp_path, STRINGS)
    assert co.string_length_bound(_init(s, "a")) == 3
    b_leaves = co.concatenation_operands(
        next(n for n in _init(s, "b").walk() if co.is_string_concatenation(n)))
    assert [co.string_length_bound(x) for x in b_leaves] == [1, 1, 11]
    e_leaves = co.concatenation_operands(
        next(n for n in _init(s, "e").walk() if co.is_string_concatenation(n)))
    assert [co.string_length_bound(x) for x in e_leaves] == [None, 20, 6]  # a variable is unbounded
    g_leaves = co.concatenation_operands(
        next(n for n in _init(s, "g").walk() if co.is_string_concatenation(n)))
    assert co.string_length_bound(g_leaves[0]) is None  # to_string of a double
    assert co.string_length_bound(_init(s, "w")) == 4
    assert co.string_length_bound(_init(s, "q")) is None  # (count, char) is no one-argument construction
    assert co.string_length_bound(_init(s, "r")) is None
    assert co.string_length_bound(None) is None


def test_families():
    assert "std::basic_string" in co.CONTAINERS and "std::array" not in co.CONTAINERS
    assert co.NODE_BASED < co.CONTAINERS and "std::vector" not in co.NODE_BASED
    assert co.UNORDERED < co.NODE_BASED
