"""analysis.types: the answers rules depend on, on real types from real headers, and each
depth limit or look-through that keeps a rule's old answer."""

from __future__ import annotations

import pytest

from _analysis_view import parse_view, type_of
from hotlint.analysis import types as ty
from hotlint.analysis.kinds import VALUE_TYPES, K

SOURCE = r"""
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

struct Plain { int a; double b; };
struct Dtor { ~Dtor(); int a; };
struct Based : Plain { int c; };
struct Virtual { virtual void f(); int a; };
struct Ctor { Ctor(); int a; };
struct TemplateCtor { template <class U> TemplateCtor(U); int a; };
struct Initialized { int a = 1; };
struct HasCtorField { Ctor c; };
struct N0 { int x; };
struct N1 { N0 n; };
struct N2 { N1 n; };
struct N3 { N2 n; };
struct N4 { N3 n; };
struct N5 { N4 n; };
struct N6 { N5 n; };
struct N7 { N6 n; };
struct HoldsPtr { int a; int* p; };
struct HoldsPlain { Plain p; char c; };
struct Defaulted { Defaulted() = default; ~Defaulted() = default; int a; };
struct Deleted { ~Deleted() = delete; int a; };
struct UserCtor { UserCtor() {} int a; };
struct BaseWithCtor : UserCtor {};
struct HoldsThread { std::thread t; };
struct HoldsAtomic { int x; std::atomic<int> a; char c; std::atomic<long> b; };
struct AtomicArrayMember { std::atomic<int> arr[2]; std::atomic<int> z; };
struct AtomicRefMember { std::atomic_ref<int> r; std::atomic<int> a; };
struct Nested { char c; HoldsAtomic inner; };
struct AtomicBase : HoldsAtomic { int y; };
enum E { E1 };
enum F { F1 };
enum class Byte8 : std::uint8_t {};

int g_int;
unsigned g_uint;
long g_long;
unsigned long g_ulong;
short g_short;
float g_float;
char g_char;
std::byte g_byte;
std::uint8_t g_u8;
int* g_intp;
float* g_floatp;
int Plain::* g_memptr;
void (*g_fnptr)(int);
E g_e;
F g_f;
Plain g_plain;
Dtor g_dtor;
Based g_based;
Virtual g_virtual;
Ctor g_ctor;
TemplateCtor g_tctor{1};
Initialized g_init;
HasCtorField g_hasctor;
Ctor g_ctor_array[3];
N3 g_n3;
N5 g_n5;
N7 g_n7;
int& g_ref = g_int;
HoldsPtr g_holdsptr;
HoldsPlain g_holdsplain;
int* g_ptrs[2];
Defaulted g_defaulted;
UserCtor g_userctor;
BaseWithCtor g_basewithctor;
HoldsThread g_holdsthread;
UserCtor g_userctor_array[2];
std::thread g_thread;
std::mutex g_mutex;
std::vector<int> g_vec;
std::vector<int>& g_vec_ref = g_vec;
std::vector<UserCtor> g_vec_userctor;
std::vector<Plain> g_vec_plain;
std::vector<HoldsPtr> g_vec_holdsptr;
std::vector<std::vector<std::vector<int>>> g_vec3;
std::vector<std::vector<std::vector<std::vector<std::vector<std::vector<std::vector<std::vector<int>>>>>>>> g_vec8;
std::string g_str;
std::pmr::string g_pmr_str;
std::pmr::string& g_pmr_str_ref = g_pmr_str;
std::pmr::vector<int> g_pmr_vec;
std::string& g_str_ref = g_str;
std::array<Plain, 3> g_array_plain;
std::array<int, 4> g_array_int;
std::span<int> g_span;
std::list<int> g_list;
std::unique_ptr<int[]> g_unique_array;
std::unique_ptr<Plain> g_unique_plain;
std::pair<int, double> g_pair;
std::optional<int> g_optional;
std::tuple<int, float> g_tuple;
std::pair<int, int*> g_pair_ptr;
int g_ints[5];
int g_matrix[2][3];
Plain g_plains[2][3];
Plain g_plains8[1][1][1][1][1][1][1][1];
Plain g_plains7[1][1][1][1][1][1][1];
std::array<Plain, 2> g_std_plains;
Plain* g_plainp;
Plain** g_plainpp;
Plain& g_plain_ref = g_plain;
const Plain& g_plain_cref = g_plain;
Plain* g_plainp_array[3];
std::vector<Plain*>* g_vec_plainp_p;
std::atomic<int> g_atomic;
std::atomic<int>* g_atomic_p;
std::atomic<int>& g_atomic_r = g_atomic;
std::atomic<int> g_atomics[4];
std::atomic_flag g_flag;
std::atomic_ref<int> g_atomic_ref{g_int};
HoldsAtomic g_holds_atomic;
AtomicArrayMember g_atomic_array_member;
AtomicRefMember g_atomic_ref_member{std::atomic_ref<int>(g_int)};
Nested g_nested;
AtomicBase g_atomic_base;
void returns_void();
"""


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return parse_view(tmp_path_factory.mktemp("types"), SOURCE)


@pytest.fixture(scope="module")
def t(view):
    return lambda name: type_of(view, name)


# ------------------------------------------------------------------ construction and values

def test_is_trivial_records_by_what_they_declare(t):
    assert ty.is_trivial(t("g_int")) and ty.is_trivial(t("g_plain")) and ty.is_trivial(t("g_intp"))
    for name in ("g_dtor", "g_based", "g_virtual", "g_ctor", "g_tctor", "g_init", "g_hasctor"):
        assert not ty.is_trivial(t(name)), name


def test_is_trivial_without_construction_asks_about_destruction_only(t):
    # constructors, constructor templates and default member initializers do not count
    for name in ("g_ctor", "g_tctor", "g_init", "g_hasctor", "g_ctor_array"):
        assert not ty.is_trivial(t(name)) and ty.is_trivial(t(name), construction=False), name
    for name in ("g_dtor", "g_based", "g_virtual"):
        assert not ty.is_trivial(t(name), construction=False), name


def test_is_trivial_arrays_follow_their_element_and_references_are_not(t):
    assert not ty.is_trivial(t("g_ctor_array")) and ty.is_trivial(t("g_ints"))
    assert not ty.is_trivial(t("g_ref"))


def test_is_trivial_gives_up_past_six_levels_of_fields(t):
    # N5 is six records deep, N7 eight: the old depth limit answers "not trivial"
    assert ty.is_trivial(t("g_n5")) and not ty.is_trivial(t("g_n7"))


def test_holds_pointer(t):
    for name in ("g_intp", "g_ref", "g_memptr", "g_holdsptr", "g_ptrs"):
        assert ty.holds_pointer(t(name)), name
    for name in ("g_int", "g_plain", "g_holdsplain", "g_ints", "g_e"):
        assert not ty.holds_pointer(t(name)), name
    # a base or a vtable is assumed to hold one, whatever it holds
    assert ty.holds_pointer(t("g_based")) and ty.holds_pointer(t("g_virtual"))


def test_holds_pointer_assumes_one_past_four_levels(t):
    # N3's int is four fields down, N5's six: no pointer anywhere, but the old limit says "may"
    assert not ty.holds_pointer(t("g_n3")) and ty.holds_pointer(t("g_n5"))


def test_is_plain_value(view, t):
    void = next(n for n in view.nodes(K.FUNCTION_DECL) if n.spelling == "returns_void").result_type
    assert ty.is_plain_value(void)
    for name in ("g_int", "g_float", "g_e", "g_plain", "g_holdsplain", "g_pair", "g_optional", "g_tuple"):
        assert ty.is_plain_value(t(name)), name
    for name in ("g_intp", "g_holdsptr", "g_pair_ptr", "g_ref", "g_unique_plain", "g_list"):
        assert not ty.is_plain_value(t(name)), name


def test_is_plain_value_reads_every_template_argument_of_a_standard_class(t):
    # the allocator of a vector, the traits of a string and the size of an array are arguments too
    for name in ("g_vec", "g_str", "g_array_int"):
        assert not ty.is_plain_value(t(name)), name


def test_runs_user_code(t):
    for name in ("g_plain", "g_plainp", "g_plain_ref", "g_vec_plain", "g_fnptr", "g_memptr", "g_plainp_array"):
        assert ty.runs_user_code(t(name)), name
    for name in ("g_int", "g_vec", "g_str", "g_vec3", "g_intp"):
        assert not ty.runs_user_code(t(name)), name


def test_runs_user_code_assumes_so_past_six_levels_of_template_arguments(t):
    assert not ty.runs_user_code(t("g_vec3")) and ty.runs_user_code(t("g_vec8"))


def test_has_visible_lifetime(t):
    for name in ("g_userctor", "g_basewithctor", "g_holdsthread", "g_thread", "g_vec_userctor", "g_userctor_array",
                 "g_dtor", "g_ctor"):
        assert ty.has_visible_lifetime(t(name)), name
    for name in ("g_int", "g_plain", "g_defaulted", "g_vec", "g_mutex", "g_str"):
        assert not ty.has_visible_lifetime(t(name)), name
    assert not ty.has_visible_lifetime(None)


def test_has_visible_lifetime_assumes_so_past_four_levels(t):
    # no constructor anywhere in N3 or N5, but N5's fields go deeper than the old limit
    assert not ty.has_visible_lifetime(t("g_n3")) and ty.has_visible_lifetime(t("g_n5"))


# ------------------------------------------------------------------ aliasing and scalars

@pytest.mark.parametrize("a, b, alias", [
    ("g_int", "g_uint", True),  # signed and unsigned variants
    ("g_long", "g_ulong", True),
    ("g_int", "g_float", False),
    ("g_int", "g_short", False),
    ("g_char", "g_float", True),  # byte types alias everything
    ("g_byte", "g_float", True),
    ("g_u8", "g_float", True),
    ("g_intp", "g_floatp", True),  # every pointer type in one set
    ("g_e", "g_e", True),
    ("g_e", "g_int", False),  # an enumeration aliases only itself
    ("g_e", "g_f", False),
    ("g_plain", "g_holdsptr", True),  # any two records
    ("g_int", "g_intp", False),
])
def test_may_alias(t, a, b, alias):
    assert ty.may_alias(t(a), t(b)) is alias and ty.may_alias(t(b), t(a)) is alias


def test_is_scalar_and_the_value_kinds(t):
    for name in ("g_int", "g_float", "g_e", "g_intp", "g_char"):
        assert ty.is_scalar(t(name)), name
    assert not ty.is_scalar(t("g_plain")) and not ty.is_scalar(t("g_ints"))
    # pointers are scalars to the vectorizer but no plain value
    assert not ty.is_scalar(t("g_intp"), kinds=VALUE_TYPES) and ty.is_scalar(t("g_int"), kinds=VALUE_TYPES)



def test_written_name_keeps_typedefs_and_drops_cv(tmp_path):
    view = parse_view(tmp_path, "#include <cstdint>\n"
                                "const std::uint8_t u = 0; volatile const float v = 0; const char* const q = 0;\n"
                                "float* const r = 0; const volatile int* w = 0;\n")
    names = {n: ty.written_name(type_of(view, n)) for n in ("u", "v", "q", "r", "w")}
    # the typedef as written (not `unsigned char`); a pointer's own const has no space after it and stays
    assert names == {"u": "std::uint8_t", "v": "float", "q": "char *const", "r": "float *const", "w": "int *"}

# ------------------------------------------------------------------ containers

def test_family_looks_through_references(t):
    assert ty.family(t("g_vec")) == ty.family(t("g_vec_ref")) == "std::vector"
    assert ty.family(t("g_str")) == "std::basic_string" and ty.family(t("g_plain")) == "Plain"
    assert ty.family(t("g_int")) is None


def test_is_pmr_reads_only_the_type_itself(t):
    assert ty.is_pmr(t("g_pmr_vec")) and ty.is_pmr(t("g_pmr_str")) and not ty.is_pmr(t("g_vec"))
    assert not ty.is_pmr(t("g_pmr_str_ref"))  # a reference has no template arguments


def test_is_family(t):
    assert ty.is_family(t("g_str"), "std::basic_string") and ty.is_family(t("g_str_ref"), "std::basic_string")
    assert not ty.is_family(t("g_pmr_str"), "std::basic_string")
    assert not ty.is_family(t("g_pmr_str_ref"), "std::basic_string")  # looked through before the pmr test
    assert ty.is_family(t("g_vec"), "std::vector") and not ty.is_family(t("g_vec"), "std::basic_string")


def _spell(pair):
    element, count = pair
    return (element.spelling if element is not None else None, count)


def test_contiguous_element(t):
    assert _spell(ty.contiguous_element(t("g_ints"))) == ("int", 5)
    assert _spell(ty.contiguous_element(t("g_vec_plain"))) == ("Plain", None)
    assert _spell(ty.contiguous_element(t("g_vec_ref"))) == ("int", None)
    assert _spell(ty.contiguous_element(t("g_array_plain"))) == ("Plain", 3)
    assert _spell(ty.contiguous_element(t("g_span"))) == ("int", None)
    for name in ("g_list", "g_intp", "g_unique_array", "g_int"):
        assert ty.contiguous_element(t(name)) == (None, None), name


def test_sequence_element_adds_pointers_and_unique_arrays(t):
    assert _spell(ty.sequence_element(t("g_intp"))) == ("int", None)
    assert _spell(ty.sequence_element(t("g_unique_array"))) == ("int", None)
    assert _spell(ty.sequence_element(t("g_unique_plain"))) == ("Plain", None)
    assert _spell(ty.sequence_element(t("g_atomics"))) == ("std::atomic<int>", 4)
    # only arrays give a count; std::array's is left to the layout
    assert _spell(ty.sequence_element(t("g_array_plain"))) == ("Plain", None)
    assert ty.sequence_element(t("g_list")) == (None, None) and ty.sequence_element(t("g_int")) == (None, None)


def test_is_vector_of(t):
    plain = t("g_plain")
    assert ty.is_vector_of(t("g_vec_plain"), plain)
    assert not ty.is_vector_of(t("g_vec_holdsptr"), plain) and not ty.is_vector_of(t("g_array_plain"), plain)
    assert ty.is_vector_of(t("g_vec_ref"), t("g_int"))


def test_owned_element(t):
    assert ty.owned_element(t("g_vec_plain")).spelling == "Plain"
    assert ty.owned_element(t("g_str_ref")).spelling == "char"
    assert ty.owned_element(t("g_array_plain")).spelling == "Plain"
    for name in ("g_span", "g_list", "g_int", "g_unique_array"):
        assert ty.owned_element(t(name)) is None, name


def test_holds_record(t):
    assert ty.holds_record(t("g_plain"), "Plain", set())
    assert ty.holds_record(t("g_plains"), "Plain", set()) and ty.holds_record(t("g_std_plains"), "Plain", set())
    assert ty.holds_record(t("g_holdsplain"), "Plain", {"HoldsPlain"})
    assert not ty.holds_record(t("g_holdsplain"), "Plain", set()) and not ty.holds_record(None, "Plain", set())
    # eight levels of arrays are peeled, and then nothing is left to answer with
    assert ty.holds_record(t("g_plains7"), "Plain", set()) and not ty.holds_record(t("g_plains8"), "Plain", set())


# ------------------------------------------------------------------ atomics

def test_owns_atomic(t):
    for name in ("g_atomic", "g_flag", "g_atomics", "g_holds_atomic", "g_nested", "g_atomic_array_member"):
        assert ty.owns_atomic(t(name)), name
    for name in ("g_atomic_p", "g_atomic_r", "g_atomic_ref", "g_int", "g_plain"):
        assert not ty.owns_atomic(t(name)), name
    assert not ty.owns_atomic(None)


def test_owns_atomic_is_not_contains_atomic(t):
    # an atomic_ref is an atomic to Type.contains_atomic but owns nothing; bases are not read
    assert t("g_atomic_ref").contains_atomic() and not ty.owns_atomic(t("g_atomic_ref"))
    assert not ty.owns_atomic(t("g_atomic_base"))


def test_atomic_spans(t):
    assert ty.atomic_spans(t("g_atomic")) == [(0, 4)]
    assert ty.atomic_spans(t("g_holds_atomic")) == [(4, 4), (16, 8)]
    assert ty.atomic_spans(t("g_holds_atomic"), 100) == [(104, 4), (116, 8)]
    assert ty.atomic_spans(t("g_nested")) == [(12, 4), (24, 8)]
    # array members, atomic_refs, pointers and references hold no span of their own
    assert ty.atomic_spans(t("g_atomic_array_member")) == [(8, 4)]
    assert ty.atomic_spans(t("g_atomic_ref_member")) == [(8, 4)]
    for name in ("g_atomic_p", "g_atomic_r", "g_int"):
        assert ty.atomic_spans(t(name)) == [], name
    assert ty.atomic_spans(None) == []


def test_atomic_spans_memo_is_cleared_with_the_caches(t):
    ty.atomic_spans(t("g_nested"))
    assert ty._SPANS
    ty.clear_caches()
    assert not ty._SPANS
    assert ty.atomic_spans(t("g_nested")) == [(12, 4), (24, 8)]


# ------------------------------------------------------------------ peeling

def test_record_beneath(t):
    for name in ("g_plain", "g_plainp", "g_plainpp", "g_plain_ref", "g_plain_cref", "g_plains", "g_plainp_array"):
        assert ty.record_beneath(t(name)) == "Plain", name
    assert ty.record_beneath(t("g_vec_plain")) == "std::vector<Plain>"
    assert ty.record_beneath(t("g_int")) is None and ty.record_beneath(t("g_intp")) is None
    assert ty.record_beneath(None) is None


def test_innermost_peels_one_reference_then_pointers_and_arrays(t):
    assert ty.innermost(t("g_plain_cref")).unqualified_name == "Plain"
    assert ty.innermost(t("g_plainp_array")).spelling == "Plain"
    assert ty.innermost(t("g_vec_plainp_p")).spelling == "std::vector<Plain *>"
    assert ty.innermost(t("g_int")).spelling == "int"


def test_record_types_follow_pointers_arrays_and_template_arguments(t):
    names = [r.spelling for r in ty.record_types(t("g_vec_plainp_p"))]
    assert names == ["std::vector<Plain *>", "std::allocator<Plain *>", "Plain", "Plain"]  # repeats kept
    assert [r.spelling for r in ty.record_types(t("g_plainp_array"))] == ["Plain"]
    assert list(ty.record_types(t("g_int"))) == []


def test_record_types_stops_after_sixteen_types(t):
    # every level of g_vec8 mentions the next twice (as the element and in the allocator): far more
    # than sixteen types, of which the walk reads the first sixteen
    assert len(list(ty.record_types(t("g_vec3")))) == 12
    assert len(list(ty.record_types(t("g_vec8")))) == 16


def test_without_arrays(t):
    assert ty.without_arrays(t("g_matrix")).spelling == "int"
    assert ty.without_arrays(t("g_plains8")).spelling == "Plain"
    assert ty.without_arrays(t("g_int")).spelling == "int" and ty.without_arrays(None) is None


def test_survives_integer_promotion(tmp_path):
    view = parse_view(tmp_path, "#include <atomic>\n#include <cstdint>\n"
                      "typedef float real;\n"
                      "int i; unsigned u; long l; unsigned long long ull; std::int32_t i32; int* p;\n"
                      "short s; char c; bool b; std::uint16_t u16; float f; double d; long double ld;\n"
                      "real r; enum E { E1 } e;\n")
    for name in ("i", "u", "l", "ull", "i32", "p", "e"):
        assert ty.survives_integer_promotion(type_of(view, name)), name
    for name in ("s", "c", "b", "u16", "f", "d", "ld", "r"):
        assert not ty.survives_integer_promotion(type_of(view, name)), name
    assert not ty.survives_integer_promotion(None)


INLINE = r"""
struct Base { int b; };
struct Mixed : Base {
  char c;
  int bits : 3;
  double arr[2];
  int* ptr;
  Base inner;
};
Mixed g_mixed;
int g_int;
Mixed* g_pointer;
"""


def test_inline_fields_leave_out_bases_bitfields_and_arrays(tmp_path):
    v = parse_view(tmp_path, INLINE)
    fields = ty.inline_fields(type_of(v, "g_mixed"))
    assert [(f.name, f.offset, ft.spelling) for f, ft in fields] == [
        ("c", 4, "char"), ("ptr", 24, "int *"), ("inner", 32, "Base")]
    assert ty.inline_fields(type_of(v, "g_int")) == []
    assert ty.inline_fields(type_of(v, "g_pointer")) == []
    assert ty.inline_fields(None) == []


PROGRAM_RECORDS = r"""
#include <string>
struct Mine { int a; };
struct Incomplete;
template <class T> struct Box { T v; };
Mine g_mine;
Mine* g_mine_ptr;
std::string g_string;
int g_int;
Incomplete* g_incomplete;
Box<int> g_box;
"""


def test_program_record(tmp_path):
    v = parse_view(tmp_path, PROGRAM_RECORDS)
    assert ty.program_record(type_of(v, "g_mine")).spelling == "Mine"
    assert ty.program_record(type_of(v, "g_box")).spelling == "Box<int>"
    assert ty.program_record(type_of(v, "g_mine_ptr")) is None
    assert ty.program_record(type_of(v, "g_mine_ptr").pointee).spelling == "Mine"
    assert ty.program_record(type_of(v, "g_string")) is None  # a standard record
    assert ty.program_record(type_of(v, "g_int")) is None
    assert ty.program_record(type_of(v, "g_incomplete").pointee) is None  # no size
    assert ty.program_record(None) is None


def test_may_modify_pointers_and_is_undetermined(tmp_path):
    view = parse_view(tmp_path, r"""
#include <cstddef>
#include <cstdint>
enum class Tag : unsigned char { A };
template <class P> struct S {
  std::uint8_t u; char c; std::byte b; float f; int* p; Tag t; long l;
  typename P::type dep;
  void g() { constexpr auto o = P::value; (void)o; }
};
""")
    t = lambda name: type_of(view, name)  # noqa: E731
    # a byte or a pointer store may land on a container's data pointers; an enum over bytes is no byte
    assert [ty.may_modify_pointers(t(n)) for n in ("u", "c", "b", "f", "p", "t", "l")] == \
        [True, True, True, False, True, False, False]
    assert ty.is_undetermined(t("dep")) and ty.is_undetermined(t("o"))
    assert not ty.is_undetermined(t("l"))


def test_pointee_record_of_pointer_like_elements(t):
    def name(found):
        return None if found is None else found.spelling.replace("const ", "")

    assert name(ty.pointee_record(t("g_plainp"))) == "Plain"
    assert name(ty.pointee_record(t("g_unique_plain"))) == "Plain"
    assert name(ty.pointee_record(t("g_plain_ref"))) is None  # the record itself, no pointer to follow
    assert ty.pointee_record(t("g_unique_array")) is None  # unique_ptr<int[]>: an array of scalars
    assert ty.pointee_record(t("g_intp")) is None and ty.pointee_record(t("g_plainpp")) is None
    assert ty.pointee_record(t("g_vec_plainp_p")) is None  # a pointer to a standard container
