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


BUILT = r"""
#include <map>
#include <memory_resource>
#include <string>
#include <utility>
#include <vector>

void fill(std::vector<int>& out);
void look(const std::vector<int>& in);
std::vector<int> make();

void f(int n, std::vector<int> w, const int* b, const int* e) {
  std::vector<int> moved(std::move(w));
  std::vector<int> copied(w);
  std::vector<int> listed{1, 2, 3};
  std::vector<int> sized(n);
  std::vector<int> ranged(b, e);
  std::vector<int> with_alloc(std::allocator<int>{});
  std::vector<int> made = make();
  std::vector<int> cast = std::vector<int>(4);
  std::vector<int> plain;
  std::string text("abc");
  std::string repeated(3, 'x');
  std::map<int, int> counts;
  for (int i = 0; i < n; ++i) {
    plain.push_back(i);
    plain = w;
    plain = make();
    plain = std::move(w);
    fill(plain);
    look(plain);
    counts[i] += 1;
    counts.at(i);
    text += "de";
    text.append(text);
    text.reserve(8);
    text.push_back('!');
  }
}
"""


def test_constructor_call_and_form(tmp_path):
    s = snippet(tmp_path, BUILT)

    def form(name):
        ctor = co.constructor_call(s.decl(K.VAR_DECL, name))
        return None if ctor is None else co.constructor_form(ctor, "std::vector" if name != "text" and
                                                              name != "repeated" else "std::basic_string")

    assert [form(n) for n in ("moved", "copied", "listed", "sized", "ranged", "with_alloc", "cast")] == [
        "move", "copy", "initializer-list", "count", "range", "allocator", "count"]
    assert co.constructor_call(s.decl(K.VAR_DECL, "made")) is None  # a call returning the container
    assert co.constructor_call(s.decl(K.VAR_DECL, "plain")) is not None and form("plain") is None
    assert form("text") is None and form("repeated") == "count"
    listed = co.constructor_call(s.decl(K.VAR_DECL, "listed"))
    assert co.initializer_list_length(listed) == 3
    assert co.initializer_list_length(co.constructor_call(s.decl(K.VAR_DECL, "sized"))) is None


def test_element_growth(tmp_path):
    s = snippet(tmp_path, BUILT)
    loop = s.view.loops[0].node
    plain = s.decl(K.VAR_DECL, "plain")
    shown = [(g.how, g.name) for g in co.element_growth(plain, loop)]
    # `= w` copies elements; `= make()` and `= std::move(w)` move them; `look` takes a const reference
    assert shown == [("member", "push_back"), ("member", "operator="), ("by-reference", "fill")]
    assert [(g.how, g.name) for g in co.element_growth(plain, loop, through_calls=False)] == [
        ("member", "push_back"), ("member", "operator=")]
    # a map's operator[] inserts; at() does not
    assert [g.name for g in co.element_growth(s.decl(K.VAR_DECL, "counts"), loop)] == ["operator[]"]
    text = co.element_growth(s.decl(K.VAR_DECL, "text"), loop)
    assert [g.name for g in text] == ["operator+=", "append", "reserve", "push_back"]
    assert [co.appended_length(g.call) for g in text] == [2, None, 8, 1]
    assert co.element_growth(s.decl(K.VAR_DECL, "copied"), loop) == []


def test_written_container_and_the_pmr_questions():
    vec = co.written_container("const std::vector<long>")
    assert vec == co.WrittenContainer("const ", "vector", "<long>")
    assert co.spells_family(vec, "std::vector") and not co.spells_family(vec, "std::deque")
    assert not co.names_allocator(vec, "std::vector")
    assert co.names_allocator(co.written_container("std::vector<int, Arena<int>>"), "std::vector")
    # a map's allocator is its fourth argument; the comparator is not one
    assert not co.names_allocator(co.written_container("std::map<int, int, std::greater<int>>"), "std::map")
    wide = co.written_container("std::wstring")
    assert wide == co.WrittenContainer("", "wstring", "") and co.spells_family(wide, "std::basic_string")
    assert co.written_container("auto").name == "auto"
    assert co.written_container("Row") is None and co.written_container("std::pmr::vector<int>") is None


def test_size_queries(tmp_path):
    s = snippet(tmp_path, r"""
#include <iterator>
#include <vector>
struct Row { int a; };
int count(const std::vector<Row>& v);
void f(std::vector<Row>& rows, std::vector<Row>& other) {
  for (int i = 0; i < (int)rows.size(); ++i) {
    if (rows.empty()) break;
    auto n = std::size(rows);
    auto m = other.size();
    auto k = count(rows);
    (void)n; (void)m; (void)k;
  }
}
""")
    rows = s.decl(K.PARM_DECL, "rows")
    loop = s.view.loops[0].node
    found = co.size_queries([loop], rows)
    assert ["".join(n.tokens) for n in found] == ["rows.size()", "rows.empty()", "std::size(rows)"]
    assert co.size_queries([loop], None) == []


POINTERS = r"""
#include <memory>
#include <vector>
struct B { virtual ~B() = default; virtual int f() const = 0; };
struct D : B { int f() const override { return 1; } };
struct E : B { int f() const override { return 2; } };
void take(std::vector<std::unique_ptr<B>>& v);
void look(const std::vector<std::unique_ptr<B>>& v);
int g(int n) {
  std::vector<std::unique_ptr<B>> one;
  one.push_back(std::make_unique<D>());
  one.emplace_back(new D);
  one.push_back(std::unique_ptr<B>(new D()));
  look(one);
  std::vector<std::unique_ptr<B>> two;
  two.push_back(std::make_unique<D>());
  two.push_back(std::make_unique<E>());
  std::vector<std::unique_ptr<B>> passed;
  passed.push_back(std::make_unique<D>());
  take(passed);
  std::vector<std::unique_ptr<B>> reset;
  reset.push_back(std::make_unique<D>());
  reset[0].reset(new E);
  std::vector<std::unique_ptr<B>> assigned;
  assigned.push_back(std::make_unique<D>());
  for (auto& p : assigned) p = std::make_unique<E>();
  std::vector<std::shared_ptr<B>> shared(n);
  std::vector<B*> raw;
  D d;
  raw.push_back(new D);
  int s = 0;
  for (auto& p : one) s += p->f();
  for (const B* p : raw) s += p->f();
  return s + d.f() + static_cast<int>(shared.size());
}
"""


def test_concrete_types_put_into_a_container_of_pointers(tmp_path):
    s = snippet(tmp_path, POINTERS)
    body = s.decl(K.FUNCTION_DECL, "g").children[-1]

    def types(name):
        found = co.concrete_types_put(s.decl(K.VAR_DECL, name), body)
        return None if found is None else [t.spelling for t in found]

    assert co.pointed_record(s.decl(K.VAR_DECL, "one").type).spelling == "B"
    assert co.pointed_record(s.decl(K.VAR_DECL, "raw").type).spelling == "B"
    assert co.pointed_record(s.decl(K.VAR_DECL, "d").type) is None
    assert types("one") == ["D"]  # make_unique, new, unique_ptr(new): one type; a const& look changes nothing
    assert types("raw") == ["D"]
    assert types("two") == ["D", "E"]
    assert types("passed") is None  # handed out by mutable reference
    assert types("reset") is None  # an element replaced
    assert types("assigned") is None  # replaced through the range-for's reference
    assert types("shared") is None  # constructed with elements
    assert types("d") is None  # no container of pointers
