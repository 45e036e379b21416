"""analysis.layout: real record layouts, the file's records that hold each other, the lines
that pin or depend on a layout (read from the AST: a comment or a string is no use) and the
uses padding-waste reads as layout-dependent."""

from __future__ import annotations

import pytest

from _analysis_view import declared, parse_view, record
from hotlint.analysis import layout as lay
from hotlint.analysis.kinds import BYTE_REINTERPRETING_CASTS, K

SOURCE = r"""
#include <atomic>
#include <compare>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct Mixed { char a; double b; char c; };
struct Inner { std::atomic<long> v; };
struct Counters {
  int x;
  std::atomic<int> hits;
  std::atomic<int> arr[2];
  Inner inner;
  unsigned bits : 3;
  std::atomic_ref<int> ref;
  std::atomic<int>* p;
};

struct Base { int x; char y; };
struct OnPod : Base { char c; };
struct NonPod { NonPod() {} int x; char y; };
struct OnNonPod : NonPod { char c; };
struct WithVtable { virtual ~WithVtable(); int x; };
struct VirtualBase : virtual Base { int z; };
namespace { struct Hidden { int a; }; }
namespace ns { template <class T> struct Ring { T a; }; }
ns::Ring<int> ring;

struct alignas(64) Aligned { int a; };
struct MemberAligned { int a; alignas(64) int b; };
constexpr int kLine = 64;
struct NonLiteral { alignas(kLine) int a; };
struct Padded { long a; char pad[56]; };
struct Aligned32 { alignas(32) int a; };
struct Plain16 { long a, b; };

struct Pos { float px, py, pz; };
struct Entity { int id; Pos pos; double mass; };
struct Derived2 : Entity { int extra; };

struct Wire { int a; char b; };
struct Wired { int a; char b; };
struct Sized { int a; char b; };
struct Asserted { int a; char b; };
static_assert(sizeof(Asserted) == 8);
struct NotAsserted { int a; char b; };
static_assert(true, "NotAsserted");
struct Commented { int a; char b; };
void io(Wired* w, char* buf) { std::memcpy(buf, w, 8); }
void clear(Sized* s) { std::memset(s, 0, sizeof(Sized)); }
// fwrite(Commented) in a comment counts: the words are found in the text

struct L0 { int a; };
struct L1 { L0 x; };
struct L2 { L1 x[2]; };
struct L3 : L2 { int b; };
struct L4 { L3 x; };
struct L5 { L4 x; };
namespace q { struct Q { int a; }; struct R : Q { int b; }; }

struct Agg { int a; double b; auto operator<=>(const Agg&) const = default; };
struct Base1 { int x; };
struct Derived1 : Base1 { int y; };
extern "C" { struct CRec { int a; }; }
struct WithCtor { WithCtor(int) {} int a; };
void uses() {
  Agg a{1, 2.0};
  Agg copy;
  std::memcpy(&copy, &a, sizeof a);
  std::vector<Agg> v;
  v.emplace_back(1, 2.0);
  v.emplace_back(a);
  char* bytes = reinterpret_cast<char*>(&a);
  Agg* fresh = (Agg*)std::malloc(sizeof(Agg));
  Derived1 d;
  Base1* b = static_cast<Base1*>(&d);
  Agg p(1, 2.0);
  auto [x, y] = a;
  (void)bytes; (void)fresh; (void)b; (void)x; (void)y;
}

struct Pt { int x, y; };
struct HoldsPt { Pt p; int z; };
Pt pt{1, 2};
Pt empty{};
Pt pts[2] = {1, 2, 3, 4};
HoldsPt h{1, 2, 3};
HoldsPt h2{{5, 6}, 7};
Pt pts_braced[2] = {{1, 2}, {3, 4}};
"""


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("layout"), SOURCE)


def _line(view, text: str) -> int:
    [number] = [n for n, line in enumerate(view.lines, start=1) if text in line]
    return number


def L(view, name):  # noqa: N802 - reads as the layout of
    return record(view, name).layout


# ------------------------------------------------------------------ one record

def test_atomic_members_are_direct_owned_non_array_members(view):
    found = [(f.name, spans) for f, spans in lay.atomic_members(record(view, "Counters"))]
    # the array, the bitfield, the atomic_ref and the pointer hold no span of their own
    assert found == [("hits", [(4, 4)]), ("inner", [(16, 8)])]
    assert lay.atomic_members(record(view, "Mixed")) == []


def test_display_and_simple_names(view, tmp_path):
    hidden = L(view, "(anonymous namespace)::Hidden")
    assert lay.display_name(hidden) == "Hidden" and lay.simple_name(hidden) == "Hidden"
    ring = L(view, "ns::Ring<int>")
    assert lay.display_name(ring) == "ns::Ring<int>" and lay.simple_name(ring) == "Ring"
    c = parse_view(tmp_path, "struct Counters { int a; };\n", "names.c")
    [rec] = c.records
    assert rec.layout.name == "struct Counters" and lay.simple_name(rec.layout) == "Counters"


def test_align_up():
    assert [lay.align_up(n, 8) for n in (0, 1, 8, 9)] == [0, 8, 8, 16]
    assert lay.align_up(5, 1) == 5 and lay.align_up(5, 0) == 5


def test_fields_start_after_bases_and_the_vtable(view):
    assert lay.fields_start(L(view, "Mixed")) == 0
    assert lay.fields_start(L(view, "OnPod")) == 8  # a POD base's tail padding is not reused
    assert lay.fields_start(L(view, "OnNonPod")) == 5  # a non-POD base's is: the field shows it
    assert lay.fields_start(L(view, "WithVtable")) == 8
    assert lay.fields_start(L(view, "VirtualBase")) is None  # the base lies after the fields


def test_simulated_size(view):
    mixed = L(view, "Mixed")
    own = {f.name: f for f in mixed.fields}
    assert lay.simulated_size([own["a"], own["b"], own["c"]], 0, mixed.align) == mixed.size == 24
    assert lay.simulated_size([own["b"], own["a"], own["c"]], 0, mixed.align) == 16
    assert lay.simulated_size([own["a"]], 5, 4) == 8
    assert lay.simulated_size([], 0, 4) == 4 and lay.simulated_size([], 0, 1) == 1


def test_own_holes(view):
    mixed = L(view, "Mixed")
    assert lay.own_holes(mixed, list(mixed.fields), 0) == [(1, 7, "a", "b"), (17, 7, "c", None)]
    on_pod = L(view, "OnPod")
    own = [f for f in on_pod.fields if not f.is_base]
    assert lay.own_holes(on_pod, own, 8) == [(9, 3, "c", None)]
    assert lay.own_holes(on_pod, own, 0) == [(0, 8, None, "c"), (9, 3, "c", None)]
    assert lay.own_holes(L(view, "Plain16"), [f for f in L(view, "Plain16").fields], 0) == []


def test_laid_out_per_cache_line(view):
    for name in ("Aligned", "MemberAligned", "NonLiteral", "Padded"):
        assert lay.laid_out_per_cache_line(L(view, name), 64), name
    assert not lay.laid_out_per_cache_line(L(view, "Plain16"), 64)
    assert not lay.laid_out_per_cache_line(L(view, "Aligned32"), 64)
    assert lay.laid_out_per_cache_line(L(view, "Aligned32"), 32)
    # an alignment hotlint cannot read (alignas of a constant's name) counts as one
    assert L(view, "NonLiteral").fields[0].explicit_align == -1 and lay.laid_out_per_cache_line(L(view, "NonLiteral"), 128)


def test_member_offset(view):
    entity = declared(view, "pos").semantic_parent.type
    pos, y, mass, idf = (declared(view, n) for n in ("pos", "py", "mass", "id"))
    assert lay.member_offset(entity, [pos, y]) == (8, 4, "pos", 4, 12)
    assert lay.member_offset(entity, [mass]) == (16, 8, "mass", 16, 8)
    assert lay.member_offset(entity, []) is None
    assert lay.member_offset(entity, [y]) is None  # no field `py` in Entity itself
    derived = declared(view, "extra").semantic_parent.type
    assert lay.member_offset(derived, [idf]) is None  # inherited: not guessed
    assert lay.member_offset(entity, [idf, y]) is None  # `id` is no record


def test_bytes_covered():
    assert lay.bytes_covered([]) == 0
    assert lay.bytes_covered([(0, 4), (8, 4)]) == 8
    # a member and a field inside it (`pos` and `pos.x`), a repeat, and a partial overlap
    assert lay.bytes_covered({(0, 12): "pos", (0, 4): "pos.x", (16, 8): "a", (20, 8): "b"}) == 24
    assert lay.bytes_covered([(4, 4), (4, 4)]) == 4


def test_lines_touched():
    assert lay.lines_touched([(0, 8), (60, 8)], 0, 64) == {0, 1}
    assert lay.lines_touched([(0, 8), (40, 8)], 0, 64) == {0}
    assert lay.lines_touched([(0, 8), (40, 8)], 24, 64) == {0, 1}
    assert lay.lines_touched([(63, 0)], 0, 64) == {0}


# ------------------------------------------------------------------ the file's records









def test_enclosing_records_four_levels_out(view):
    layouts = lay.FileLayouts(view)
    names = lambda rs: [r.name for r in rs]  # noqa: E731
    # L2 holds an array of L1, L3 has L2 as its base; L5 is five levels out
    assert names(layouts.enclosing_records(L(view, "L0"))) == ["L1", "L2", "L3", "L4"]
    assert names(layouts.enclosing_records(L(view, "L1"))) == ["L2", "L3", "L4", "L5"]
    assert names(layouts.enclosing_records(L(view, "L5"))) == []
    # a base spelled without its namespace matches by the simple name
    assert names(layouts.enclosing_records(L(view, "q::Q"))) == ["q::R"]


def test_contents(view):
    contents = {layout.name: (bases, members) for layout, bases, members in lay.FileLayouts(view).contents}
    assert contents["L2"] == (set(), {"L1"}) and contents["L3"] == ({"L2"}, {"int"})
    assert contents["q::R"] == ({"Q"}, {"int"})


# ------------------------------------------------------------------ uses that depend on a layout

@pytest.fixture(scope="module")
def uses(view):
    return lay.LayoutUses(view)


def test_byte_calls(view, uses):
    calls = [(c.spelling, c.range.start.line, touched) for c, touched in uses.byte_calls]
    assert [(s, n) for s, n, _t in calls] == [("memcpy", _line(view, "void io(")), ("memcpy", _line(view, "&copy"))]
    assert "Wired" in calls[0][2] and "Agg" in calls[1][2]


def test_forwarding(view, uses):
    found = [(c.range.start.line, lone) for c, _spelled, lone in uses.forwarding]
    assert found == [(_line(view, "emplace_back(1, 2.0)"), None), (_line(view, "emplace_back(a)"), "Agg")]
    assert all("Agg" in spelled for _c, spelled, _l in uses.forwarding)


def test_pointer_casts(view, uses):
    found = [(c.kind, src, dst, both) for c, src, dst, both in uses.pointer_casts]
    # the C-style cast of malloc's memory is left out: nothing to reinterpret yet; the static cast's
    # operand is the implicit derived-to-base conversion, already a Base1*
    assert found == [(K.CXX_REINTERPRET_CAST_EXPR, "Agg", None, False),
                     (K.CXX_STATIC_CAST_EXPR, "Base1", "Base1", True)]
    assert set(lay._POINTER_CASTS) == BYTE_REINTERPRETING_CASTS


def test_positional_uses(view, uses):
    assert [(n.range.start.line, made) for n, made in uses.paren_inits] == [(_line(view, "Agg p(1, 2.0)"), "Agg")]
    assert [bound for _n, bound in uses.bindings] == ["Agg"]
    assert [(n.spelling, records) for n, records in uses.orderings] == [("operator<=>", {"Agg"})]
    assert [n.range.start.line for n in uses.linkage] == [_line(view, 'extern "C"')]
    assert [n.spelling for n in uses.constructors] == ["NonPod", "WithCtor"]




def test_brace_initialization_lines(view, uses):
    assert uses.brace_initialization_lines(L(view, "Pt")) == [
        _line(view, "Pt pt{1, 2}"),  # its own list ({} sets nothing)
        _line(view, "Pt pts[2] = {1, 2, 3, 4}"),  # an array with the braces around each Pt elided
        _line(view, "HoldsPt h{1, 2, 3}"),  # a holder with them elided
        _line(view, "HoldsPt h2{{5, 6}, 7}"),  # its own inner list
        _line(view, "pts_braced"), _line(view, "pts_braced"),  # two own lists
    ]
    assert uses.brace_initialization_lines(L(view, "Plain16")) == []


ATOMIC_PATHS = r"""
#include <atomic>
struct Hits { long pad; std::atomic<int> hits; std::atomic<int>* p; std::atomic<int> arr[2];
              std::atomic_ref<int> ref; unsigned bits : 3; };
struct Stats { char c; Hits inner; std::atomic_flag flag; };
struct Base { std::atomic<int> b; };
struct Derived : Base { int x; };
struct Holder { double d; Stats stats; Derived derived; int plain; };
"""


def test_atomic_paths_name_each_atomic_at_its_own_offset(tmp_path):
    """false-sharing names the atomic a member holds by its dotted name and its own offset."""
    view = parse_view(tmp_path, ATOMIC_PATHS)
    hits = lay.member_offset(declared(view, "inner").type, [declared(view, "hits")])[0]
    inner = lay.member_offset(declared(view, "stats").type, [declared(view, "inner")])[0]
    flag = lay.member_offset(declared(view, "stats").type, [declared(view, "flag")])[0]
    stats = lay.member_offset(declared(view, "derived").semantic_parent.type, [declared(view, "stats")])[0]
    assert (hits, inner, stats) == (8, 8, 8) and flag > inner
    # pointers, arrays, std::atomic_ref, bitfields and bases hold none of their own
    assert lay.atomic_paths(declared(view, "stats").type, "stats", stats) == [
        ("stats.inner.hits", stats + inner + hits), ("stats.flag", stats + flag)]
    assert lay.atomic_paths(declared(view, "derived").type, "derived", 40) == []
    # an atomic is its own path; an atomic_ref and a scalar are none
    assert lay.atomic_paths(declared(view, "hits").type, "hits", 8) == [("hits", 8)]
    assert lay.atomic_paths(declared(view, "ref").type, "ref", 32) == []
    assert lay.atomic_paths(declared(view, "plain").type, "plain", 4) == []
    assert lay.atomic_paths(None, "x") == []


# ------------------------------------------------------------------ layout uses from the AST

AST_SOURCE = r"""
#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <type_traits>

struct Copied { char a; double b; };
struct Sized { char a; double b; };
struct Offset { char a; double b; };
struct Cast { char a; double b; };
struct Mapped { char a; double b; };
struct Bits { char a; double b; };
struct Measured { char a; double b; };
struct Traited { char a; double b; };
struct Compared { char a; double b; };
struct Punned { char a; double b; };
struct Pointed { char a; double b; };
struct Mentioned { char a; double b; };
struct Raw { unsigned char bytes[16]; };
template <class T> struct Ring { T a; char b; };
Ring<int> ring;
typedef Sized SizedAlias;

// memcpy(Mentioned) and fwrite(Mentioned) in a comment are no use
const char* doc = "offsetof(Mentioned, b) in a string is none either";
static_assert(sizeof(Measured) == 16);
static_assert(std::is_trivially_copyable_v<Traited>);
static_assert(alignof(Ring<int>) == 4);

void io(Copied* c, const char* p, std::FILE* f, const void* x, const void* y, int fd) {
  std::memcpy(c, p, 16);
  std::fwrite(p, sizeof(SizedAlias), 1, f);
  std::size_t at = offsetof(Offset, b);
  Cast* cast = reinterpret_cast<Cast*>(const_cast<char*>(p));
  Mapped* mapped = (Mapped*)mmap(nullptr, 16, PROT_READ, MAP_SHARED, fd, 0);
  Raw raw{};
  Bits bits = std::bit_cast<Bits>(raw);
  bool same = std::memcmp(x, y, sizeof(Compared)) == 0;
  union { Punned punned; char raw[16]; } pun{};
  union { Pointed* pointer; long word; } ptr{};
  (void)at; (void)cast; (void)mapped; (void)bits; (void)same; (void)pun; (void)ptr;
}
"""


@pytest.fixture(scope="module")
def ast_view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("layout_ast"), AST_SOURCE)


def test_operations_are_the_uses_written_in_code(ast_view):
    uses = lay.LayoutUses(ast_view)
    found = [(u.word, u.line) for u in uses.operations]
    assert ("static_assert", _line(ast_view, "sizeof(Measured)")) in found
    assert ("offsetof", _line(ast_view, "offsetof(Offset")) in found
    assert ("bit_cast", _line(ast_view, "std::bit_cast")) in found  # std::bit_cast is a call
    assert ("union", _line(ast_view, "Punned punned")) in found
    assert found == sorted(found, key=lambda f: f[1])
    # nothing comes from the comment or the string
    assert not {_line(ast_view, "// memcpy(Mentioned)"), _line(ast_view, "const char* doc")} & {n for _w, n in found}
    assert uses.operations is uses.operations


def test_is_offsetof(ast_view):
    [use] = [u for u in lay.LayoutUses(ast_view).operations if u.word == "offsetof"]
    assert lay.is_offsetof(use.node) and use.named == {"Offset"}
    assert not any(lay.is_offsetof(n) for n in ast_view.nodes(K.UNEXPOSED_EXPR) if n is not use.node)


@pytest.mark.parametrize("name, word", [
    ("Measured", "static_assert"),  # a static_assert on its size
    ("Ring<int>", "static_assert"),  # on an instantiation's alignment: the template is named
    ("Sized", "fwrite"),  # its type written (through a typedef) in the call
    ("Offset", "offsetof"),
    ("Cast", "reinterpret_cast"),
    ("Mapped", "mmap"),  # the call's result converted to it
    ("Bits", "bit_cast"),
])
def test_pinning_use(ast_view, name, word):
    use = lay.LayoutUses(ast_view).pinning_use(L(ast_view, name))
    assert use is not None and use.word == word


@pytest.mark.parametrize("name", ["Copied", "Traited", "Compared", "Punned", "Pointed", "Mentioned", "Raw"])
def test_not_pinned(ast_view, name):
    # Copied: an object copied as bytes, its type never written (format_use and byte_calls see it);
    # Traited: a static_assert that measures nothing; Raw: the bit cast's source object
    assert lay.LayoutUses(ast_view).pinning_use(L(ast_view, name)) is None


@pytest.mark.parametrize("name, word", [
    ("Traited", "static_assert"),  # any static_assert naming it
    ("Compared", "memcmp"),  # a byte call with its type written
    ("Punned", "union"),  # a union holding it as a member
    ("Measured", "static_assert"),  # a pinning use is a format use too
])
def test_format_use(ast_view, name, word):
    use = lay.LayoutUses(ast_view).format_use(L(ast_view, name))
    assert use is not None and use.word == word


@pytest.mark.parametrize("name", ["Copied", "Pointed", "Mentioned"])
def test_no_format_use(ast_view, name):
    # Copied has only its objects copied; a union of a pointer to Pointed holds no Pointed bytes
    assert lay.LayoutUses(ast_view).format_use(L(ast_view, name)) is None


@pytest.mark.parametrize("name, asserted", [
    ("Measured", True), ("Ring<int>", True),  # sizeof / alignof of it in a static_assert
    ("Traited", False),  # a static_assert naming it, measuring nothing
    ("Mentioned", False), ("Sized", False),  # a string; an fwrite's sizeof outside any assertion
])
def test_asserting(ast_view, name, asserted):
    use = lay.LayoutUses(ast_view).asserting(L(ast_view, name))
    assert (use is not None) == asserted
    if asserted:
        assert use.word == "static_assert"


def test_dependent_lines(ast_view):
    uses = lay.LayoutUses(ast_view)
    assert uses.dependent_lines(L(ast_view, "Copied")) == [_line(ast_view, "std::memcpy(c, p, 16)")]
    assert uses.dependent_lines(L(ast_view, "Pointed")) == [_line(ast_view, "Pointed* pointer")]  # named in a union
    assert uses.dependent_lines(L(ast_view, "Mentioned")) == []
    assert uses.dependent_lines(L(ast_view, "Raw")) == [_line(ast_view, "std::bit_cast<Bits>")]


def test_sweep_line_usage():
    # 96-byte records on 64-byte lines: a period of two records over three lines
    assert lay.sweep_line_usage(96, {(0, 8): "a"}, 64) == (2, 3, 16 / 128)
    # 128-byte records reading 4 bytes: one of every two lines, 4 of its 64 bytes useful
    assert lay.sweep_line_usage(128, [(0, 4)], 64) == (1, 2, 4 / 64)
    # a span across the record's first two lines touches both
    assert lay.sweep_line_usage(128, [(60, 8)], 64) == (2, 2, 8 / 128)
    # empty spans touch nothing: nothing fetched counts as all used
    assert lay.sweep_line_usage(64, [(8, 0)], 64) == (0, 1, 1.0)
