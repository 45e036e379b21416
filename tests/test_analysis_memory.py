"""hotlint.analysis.memory on real C++ parsed by libclang."""

from __future__ import annotations

from analysis_snippets import snippet
from hotlint.analysis import memory as me
from hotlint.analysis.expressions import initializer, position_key, strip
from hotlint.analysis.kinds import K

ORIGINS = r"""
struct V {
  float* data;
  float scale;
  float arr[8];
  void step(int i) { arr[i] = scale; }
};
float g_values[16];
const float g_const = 2;
void f(float* __restrict__ out, const float* in, float& acc, V& v, float& r, int n) {
  float local[4];
  float* alias = out + 1;
  float* moved = out;
  moved = local;
  float& bound = local[0];
  for (int i = 0; i < n; ++i) {
    out[i] = in[i];
    acc += v.scale;
    v.data[i] = 0;
    local[i] = g_values[i];
    *alias = g_const;
    moved[i] = bound;
    *(&acc) = r;
    *++alias = 1;
  }
}
"""


def _key(origin):
    """An origin's key with declarations shown by name."""
    def show(x):
        if isinstance(x, tuple):
            return tuple(show(y) for y in x)
        return x if isinstance(x, str) else x.spelling
    return None if origin is None else show(origin.key())


def test_lvalue_origins(tmp_path):
    s = snippet(tmp_path, ORIGINS)
    reassigned = {s.decl(K.VAR_DECL, "moved")}  # what control.reassigned_declarations(f) answers

    def lhs(text):
        return me.lvalue_origin(s.one(K.BINARY_OPERATOR, text).children[0], reassigned)

    def rhs(text):
        return me.lvalue_origin(s.one(K.BINARY_OPERATOR, text).children[1], reassigned)

    out = lhs("out[i] = in[i]")
    assert _key(out) == ("ptr", ("var", "out"), "[]") and out.restrict and out.param.spelling == "out"
    assert out.is_memory
    assert _key(rhs("out[i] = in[i]")) == ("ptr", ("var", "in"), "[]") and not rhs("out[i] = in[i]").restrict
    acc = me.lvalue_origin(s.one(K.COMPOUND_ASSIGNMENT_OPERATOR, "acc += v.scale").children[0], reassigned)
    assert _key(acc) == ("ref", "acc") and acc.param.spelling == "acc"
    scale = me.lvalue_origin(s.one(K.COMPOUND_ASSIGNMENT_OPERATOR, "acc += v.scale").children[1], reassigned)
    assert _key(scale) == ("ref", "v", "scale")
    assert _key(lhs("v.data[i] = 0")) == ("ptr", ("field", "ref", "v", "data"), "[]")
    local = lhs("local[i] = g_values[i]")
    assert _key(local) == ("local", "local", "[]") and not local.is_memory
    assert _key(rhs("local[i] = g_values[i]")) == ("global", "g_values", "[]")
    # a local pointer is followed to its initializer; a const global is as good as a local
    assert _key(lhs("*alias = g_const")) == ("ptr", ("var", "out"), "[]")
    assert _key(rhs("*alias = g_const")) == ("local", "g_const")
    assert lhs("moved[i] = bound") is None  # reassigned: its initializer no longer says
    assert rhs("moved[i] = bound") is None  # a local reference is not tracked
    assert _key(lhs("*(&acc) = r")) == ("ref", "acc", "[]")
    # `++p` points where p points: a pointer's arithmetic keeps its origin
    assert _key(lhs("*++alias = 1")) == ("ptr", ("var", "out"), "[]")


def test_origin_of_a_member_in_a_method_is_this(tmp_path):
    s = snippet(tmp_path, ORIGINS)
    store = s.one(K.BINARY_OPERATOR, "arr[i] = scale")
    assert _key(me.lvalue_origin(store.children[0], set())) == ("this", "arr", "[]")
    assert _key(me.lvalue_origin(store.children[1], set())) == ("this", "scale")


def test_pointee_origin_through_casts(tmp_path):
    s = snippet(tmp_path, "void f(float* p, char* c, int n) {\n"
                          "  ((int*)p)[0] = 1;\n"
                          "  reinterpret_cast<float*>(c)[n] = 2;\n}\n")
    first = s.one(K.BINARY_OPERATOR, "((int*)p)[0] = 1").children[0]
    assert _key(me.lvalue_origin(first, set())) == ("ptr", ("var", "p"), "[]")
    second = s.one(K.BINARY_OPERATOR, "reinterpret_cast<float*>(c)[n] = 2").children[0]
    assert _key(me.lvalue_origin(second, set())) == ("ptr", ("var", "c"), "[]")
    assert me.lvalue_origin(s.one(K.DECL_REF_EXPR, "n"), set()) is not None


ATOMICS = r"""
#include <atomic>
struct S { std::atomic<int> m; std::atomic<int> arr[4]; };
std::atomic<int> a;
std::atomic<int> many[8];
std::atomic<int>* make();
void f(S& s, std::atomic<int>* p, int i) {
  a.fetch_add(1);
  std::atomic_fetch_add(&a, 1);
  p->store(2);
  (*p).store(3);
  many[i].load();
  s.m += 1;
  s.arr[i].store(4);
  make()->load();
  ++a;
}
"""


def test_atomic_target(tmp_path):
    s = snippet(tmp_path, ATOMICS)
    named = [(op.node.range.start.line, getattr(me.atomic_target(op.object), "spelling", None))
             for op in s.view.atomic_ops]
    line = s.line_of
    assert named == [(line("a.fetch_add"), "a"), (line("std::atomic_fetch_add"), "a"), (line("p->store"), "p"),
                     (line("(*p).store"), "p"), (line("many[i]"), "many"), (line("s.m +="), "m"),
                     (line("s.arr[i]"), "arr"), (line("make()->"), None), (line("++a"), "a")]
    assert me.atomic_target(None) is None
    for op in s.view.atomic_ops:  # the recognizer's own reading agrees
        target = op.target
        assert (None if target is None else position_key(target)) == (
            None if me.atomic_target(op.object) is None else position_key(me.atomic_target(op.object)))


def test_object_base(tmp_path):
    s = snippet(tmp_path, ATOMICS + "#include <vector>\nstruct W { int n; };\n"
                "int g(std::vector<W>& v, W* w, int i) { return v[i].n + (*w).n; }\n")
    ops = {op.node.range.start.line: op for op in s.view.atomic_ops}
    line = s.line_of
    assert me.object_base(ops[line("many[i]")].object).kind == K.ARRAY_SUBSCRIPT_EXPR
    assert me.object_base(ops[line("s.arr[i]")].object).kind == K.ARRAY_SUBSCRIPT_EXPR
    assert me.object_base(ops[line("s.m +=")].object).spelling == "s"
    assert me.object_base(ops[line("(*p).store")].object).spelling == "p"
    assert me.object_base(ops[line("make()->")].object) is None
    assert me.object_base(s.one(K.MEMBER_REF_EXPR, "v[i].n")).kind == K.CALL_EXPR  # any operator[]
    assert me.object_base(None) is None


OBJECTS = r"""
#include <array>
#include <string>
#include <vector>
struct S { int m; float f; };
void take(...);
void f(S* p, S& ref, int i) {
  float arr[8];
  std::vector<float> vec;
  std::array<int, 4> fixed;
  std::string str;
  S s;
  float& alias = arr[0];
  take(arr, &arr[1], arr + 1, &s, vec.data(), p, p + 1, &s.f, str.data(), &fixed[0], &alias, &ref.m, &p->m);
}
"""


def test_pointed_object_named_object_and_owned_elements(tmp_path):
    s = snippet(tmp_path, OBJECTS)
    args = s.one(K.CALL_EXPR, line=s.line_of("take(arr")).arguments

    def shown(found):
        return None if found is None else (found[0].spelling, found[1].spelling)

    assert [shown(me.pointed_object(a)) for a in args] == [
        ("arr", "float[8]"), ("arr", "float"), ("arr", "float[8]"), ("s", "S"), ("vec", "float"), None, None,
        ("s", "float"), ("str", "char"), ("fixed", "int"), None, None, None]
    assert shown(me.owned_elements(s.one(K.DECL_REF_EXPR, "vec", line=s.line_of("take(arr")))) == ("vec", "float")
    assert shown(me.named_object(s.one(K.DECL_REF_EXPR, "s", line=s.line_of("take(arr")))) == ("s", "S")
    assert me.named_object(s.one(K.DECL_REF_EXPR, "p", line=s.line_of("take(arr"))) is None  # a parameter


STORES = r"""
#include <memory>
struct H { int* ptr; };
int* make();
void take(int*);
void f(int* p, std::unique_ptr<int>& up, H& h) {
  p = new int;
  up.reset(new int);
  up = std::make_unique<int>();
  h.ptr = new int;
  int* q = new int;
  take(new int);
  p = (int*)make();
  *p = 1;
}
"""


def test_assigned_entity(tmp_path):
    s = snippet(tmp_path, STORES)
    line = s.line_of

    def target(marker, kind=K.CXX_NEW_EXPR):
        found = me.assigned_entity(s.one(kind, line=line(marker)))
        return None if found is None else (found.kind, found.spelling)

    assert target("p = new int") == (K.PARM_DECL, "p")
    assert target("up.reset(") == (K.PARM_DECL, "up")
    made = me.assigned_entity(s.one(K.CALL_EXPR, "std::make_unique<int>()"))
    assert (made.kind, made.spelling) == (K.PARM_DECL, "up")  # stored through operator=
    assert target("h.ptr = ") == (K.FIELD_DECL, "ptr")
    assert target("int* q = ") is None and target("take(new") is None
    assert target("p = (int*)make()", K.CSTYLE_CAST_EXPR) == (K.PARM_DECL, "p")
    assert target("p = (int*)make()", K.CALL_EXPR) is None  # a cast is between it and the store
    assert me.assigned_entity(s.one(K.INTEGER_LITERAL, "1", line=line("*p = 1"))) is None


def test_assigned_entity_of_operator_assignment_to_a_member(tmp_path):
    s = snippet(tmp_path, "#include <memory>\n"
                          "struct C { std::unique_ptr<int> up; };\n"
                          "void f(C& c) {\n"
                          "  c.up = std::make_unique<int>();\n"
                          "  c.up.reset(new int);\n"
                          "}\n")
    made = s.one(K.CALL_EXPR, "std::make_unique<int>()")
    old = me.assigned_entity(made)  # call_object's member test first: the object of `c.up`, c
    assert (old.kind, old.spelling) == (K.PARM_DECL, "c")
    fixed = me.assigned_entity(made, operators_first=True)
    assert (fixed.kind, fixed.spelling) == (K.FIELD_DECL, "up")
    reset = s.one(K.CXX_NEW_EXPR)  # a member call: the same answer either way
    assert me.assigned_entity(reset).spelling == me.assigned_entity(reset, operators_first=True).spelling == "up"


def test_reference_source_and_bool_conversion_object(tmp_path):
    s = snippet(tmp_path, "#include <functional>\n#include <memory>\nint* ref(int&);\n"
                          "void take(...);\n"
                          "void f(int x, std::unique_ptr<int>& up) {\n"
                          "  take(std::ref(x), std::cref(x), &x, x, ref(x));\n"
                          "  if (!up) {}\n}\n")
    args = s.one(K.CALL_EXPR, line=s.line_of("take(std::ref")).arguments
    found = [me.reference_source(a) for a in args]
    assert [n.kind for n in found[:4]] == [K.DECL_REF_EXPR] * 4 and all(n.spelling == "x" for n in found[:4])
    assert found[4].kind == K.CALL_EXPR  # not std::ref
    assert me.reference_source(None) is None
    negation = s.one(K.UNARY_OPERATOR, "!up")
    tested = me.bool_conversion_object(negation.children[0])  # through explicit operator bool
    assert tested.kind == K.DECL_REF_EXPR and tested.spelling == "up"
    plain = s.one(K.DECL_REF_EXPR, "x", line=s.line_of("take(std::ref"))
    assert me.bool_conversion_object(plain) is plain and me.bool_conversion_object(None) is None


PATHS = r"""
#include <string>
#include <vector>
struct P { float x, y; };
struct E { P pos; float mass; std::string name; float total() const; };
void sink(...);
void use(const E&);
void f(std::vector<E>& es, E* first, E* last) {
  for (auto& e : es) {
    sink(e.pos.x);
    sink(e.mass);
    sink(e.name.size());
    sink(e.total());
    use(e);
  }
  for (E* p = first; p != last; ++p) {
    sink(p->mass);
    sink((*p).pos.y);
  }
}
"""


def test_member_path(tmp_path):
    s = snippet(tmp_path, PATHS)
    line = s.line_of

    def path(marker, name, through_pointer=False):
        ref = s.one(K.DECL_REF_EXPR, name, line=line(marker))
        found = me.member_path(ref, through_pointer=through_pointer)
        if found is None or found is me.NOT_A_USE:
            return found
        members, last = found
        return [m.spelling for m in members], "".join(last.tokens)

    assert path("sink(e.pos.x)", "e") == (["pos", "x"], "e.pos.x")
    assert path("sink(e.mass)", "e") == (["mass"], "e.mass")
    assert path("e.name.size()", "e") == (["name"], "e.name")  # a method of a member ends the chain
    assert path("e.total()", "e") is None  # a method of the element may read every field
    assert path("use(e)", "e") is None
    assert path("p->mass", "p", through_pointer=True) == (["mass"], "p->mass")
    assert path("(*p).pos.y", "p", through_pointer=True) == (["pos", "y"], "(*p).pos.y")
    assert path("p != last", "p", through_pointer=True) is me.NOT_A_USE
    # without through_pointer the expression is the element itself: `*p` and comparisons use it whole
    assert path("p->mass", "p") == (["mass"], "p->mass")
    assert path("(*p).pos.y", "p") is None
    assert path("p != last", "p") is None


LOCALS = r"""
#include <cstdlib>
int* g;
void f() {
  int* a = new int;
  auto* b = static_cast<int*>(std::malloc(4));
  int *c = new int, *d = nullptr;
  static int* e = new int;
  g = new int;
  delete a; std::free(b); delete c; (void)d; (void)e;
}
"""


def test_initialized_local(tmp_path):
    s = snippet(tmp_path, LOCALS)
    line = s.line_of

    def local(marker, kind=K.CXX_NEW_EXPR):
        found = me.initialized_local(s.one(kind, line=line(marker)))
        return found if isinstance(found, str) else (found[0].spelling, found[1].kind)

    assert local("int* a") == ("a", K.DECL_STMT)
    assert local("auto* b", K.CALL_EXPR) == ("b", K.DECL_STMT)  # past the static_cast
    assert local("int *c") == "declared-with-others"
    assert local("static int* e") == "not-a-local"
    assert local("g = new") == "not-a-local"


def test_origin_helpers():
    top = me.Origin(("local", "x"))
    assert not top.is_memory and me.Origin(("this",)).is_memory
    assert top.member("f").element().key() == ("local", "x", "f", "[]")
    assert me.Origin(("this",), restrict=True).element().restrict


def test_pointee_origin_follows_a_local_pointer_unless_reassigned(tmp_path):
    s = snippet(tmp_path, "void f(int* p) { int* q = p; *q = 1; }\n")
    q = s.decl(K.VAR_DECL, "q")
    assert strip(initializer(q)).spelling == "p"
    assert _key(me.pointee_origin(s.one(K.DECL_REF_EXPR, "q"), set())) == ("ptr", ("var", "p"))
    assert me.pointee_origin(s.one(K.DECL_REF_EXPR, "q"), {q}) is None


def test_named_declaration(tmp_path):
    s = snippet(tmp_path, "struct S { int m; };\nenum E { One };\nint g;\nint f(S s, S* p, int* a) {\n"
                          "  return g + s.m + p->m + a[0] + One + f(s, p, a);\n}\n")
    line = s.line_of("return g")
    names = [me.named_declaration(n) for n in s.all(K.DECL_REF_EXPR, "g", line=line)
             + s.all(K.MEMBER_REF_EXPR, "s.m") + s.all(K.MEMBER_REF_EXPR, "p->m")]
    assert [(d.kind, d.spelling) for d in names] == [(K.VAR_DECL, "g"), (K.FIELD_DECL, "m"), (K.FIELD_DECL, "m")]
    assert me.named_declaration(s.one(K.DECL_REF_EXPR, "a", line=line)).kind == K.PARM_DECL
    assert me.named_declaration(s.one(K.DECL_REF_EXPR, "One")) is None  # an enumerator
    assert me.named_declaration(s.one(K.ARRAY_SUBSCRIPT_EXPR, "a[0]")) is None
    assert me.named_declaration(s.one(K.CALL_EXPR, "f(s, p, a)")) is None
    assert me.named_declaration(None) is None


NEWS = r"""
#include <cstddef>
#include <new>
struct Plain { int a; };
struct Pooled { int a; static void* operator new(std::size_t); static void operator delete(void*); };
struct Templated { template <class... A> static void* operator new(std::size_t, A...); int a; };
void f(void* buf) {
  Plain* a = new Plain;
  Plain* b = new (std::nothrow) Plain;
  Plain* c = new (buf) Plain;
  Pooled* d = new Pooled;
  Templated* e = new Templated;
  int* g = new int[4];
  Pooled* k = ::new Pooled;
}
"""


def test_allocates_from_heap(tmp_path):
    s = snippet(tmp_path, NEWS)
    # nothrow is still the heap; placement into a buffer and a class's own operator new (a
    # template too) are not; `::new` is not told apart from `new`
    assert [me.allocates_from_heap(n) for n in s.all(K.CXX_NEW_EXPR)] == [
        True, True, False, False, False, True, False]


POINTER_USES = r"""
#include <cstdlib>
void keep(int*& p);
void look(int* p);
void f() {
  int* p = static_cast<int*>(std::malloc(8));
  look(p);
  keep(p);
  p = nullptr;
  p += 1;
  ++p;
  int** pp = &p;
  *p = 1;
  p = static_cast<int*>(std::realloc(p, 16));
  std::free(p);
  int* q = new int;
  delete q;
}
"""


def test_pointer_use(tmp_path):
    s = snippet(tmp_path, POINTER_USES)
    p, q = s.decl(K.VAR_DECL, "p"), s.decl(K.VAR_DECL, "q")
    uses = [me.pointer_use(r) for r in s.all(K.DECL_REF_EXPR) if r.referenced == p]
    assert [None if u is None else u[0] for u in uses] == [
        None, "by-reference", "reassigned", "reassigned", "stepped", "address-taken", None, "reassigned",
        "reallocated", "freed"]
    assert uses[1][1].referenced.spelling == "keep"
    [deleted] = [me.pointer_use(r) for r in s.all(K.DECL_REF_EXPR) if r.referenced == q]
    assert deleted[0] == "freed" and deleted[1].kind == K.CXX_DELETE_EXPR


INDEXED = r"""
#include <map>
#include <vector>
struct Row { int a; };
struct Table { std::vector<Row> rows; };
std::vector<Row> make();
void f(int n, Row* p, Row arr[], std::vector<Row>& v, std::map<int, Row>& m, Table& t) {
  for (int i = 0; i < n; ++i) {
    p[i].a = 1;
    arr[i].a = 2;
    v[i].a = 3;
    t.rows[i].a = 4;
    v[i + 1].a = 5;
    m[i].a = 6;
    make()[i].a = 7;
    v[n].a = 8;
  }
}
"""


def test_indexed_sequence(tmp_path):
    s = snippet(tmp_path, INDEXED)
    i = s.decl(K.VAR_DECL, "i")
    subscripts = s.all(K.ARRAY_SUBSCRIPT_EXPR) + [c for c in s.all(K.CALL_EXPR) if c.spelling == "operator[]"]
    found = sorted((n.range.start.line, me.indexed_sequence(n, i)) for n in subscripts)
    shown = [(line, None if b is None else "".join(b.tokens)) for line, b in found]
    assert shown == [(9, "p"), (10, "arr"), (11, "v"), (12, "t.rows"), (13, None), (14, None), (15, None),
                     (16, None)]


CONTAINERS = r"""
#include <array>
#include <cstddef>
#include <vector>
struct Holder { std::vector<unsigned char> bytes; };
void f(std::vector<unsigned char>& v, const std::vector<float>& x, std::array<int, 4>& a, Holder& h,
       const std::vector<float>& __restrict__ r, std::size_t n, const int* idx) {
  std::vector<unsigned char> local(8);
  unsigned char* data = v.data();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = (unsigned char)x[i];
  for (std::size_t i = 0; i < n; ++i) a[i] = h.bytes[i] + data[i] + local[i] + (int)r[i];
  for (std::size_t i = 0; i < n; ++i) a[idx[i]] = a[i + idx[0]] + *(idx + i);
  for (auto& b : v) b = 0;
  for (int& e : a) e = 0;
  (void)x.empty(); (void)v.front();
}
"""


def test_container_elements_lie_in_their_buffer(tmp_path):
    s = snippet(tmp_path, CONTAINERS)

    def origin(text):
        return me.lvalue_origin(s.one(K.CALL_EXPR, text), set())

    # a heap container's elements are what its data pointers point to; std::array's are its own
    assert _key(origin("v[i]")) == ("ptr", ("field", "ref", "v", me.BUFFER_POINTERS), "[]")
    assert _key(origin("x[i]")) == ("ptr", ("field", "ref", "x", me.BUFFER_POINTERS), "[]")
    assert _key(origin("a[i]")) == ("ref", "a", "[]")
    assert _key(origin("h.bytes[i]")) == ("ptr", ("field", "ref", "h", "bytes", me.BUFFER_POINTERS), "[]")
    assert origin("v[i]").in_container_buffer and not origin("a[i]").in_container_buffer
    assert origin("local[i]").is_memory  # a local vector's buffer is still memory
    # data() points into the same buffer, through a local pointer too
    assert _key(me.lvalue_origin(s.one(K.ARRAY_SUBSCRIPT_EXPR, "data[i]"), set())) == \
        ("ptr", ("field", "ref", "v", me.BUFFER_POINTERS), "[]")
    assert me.container_member(s.one(K.CALL_EXPR, "v.size()")) == "size"
    assert me.container_member(s.one(K.CALL_EXPR, "x.empty()")) == "empty"
    assert me.container_member(s.one(K.CALL_EXPR, "v.front()")) is None  # not one of CONTAINER_ACCESSORS


def test_container_pointers_are_read_by_its_accessors(tmp_path):
    s = snippet(tmp_path, CONTAINERS)

    def pointers(text):
        return me.container_pointers(s.one(K.CALL_EXPR, text), set())

    assert _key(pointers("v.size()")) == ("ref", "v", me.BUFFER_POINTERS)
    assert _key(pointers("v[i]")) == ("ref", "v", me.BUFFER_POINTERS)
    assert _key(pointers("h.bytes[i]")) == ("ref", "h", "bytes", me.BUFFER_POINTERS)
    assert pointers("a[i]") is None  # std::array: inline elements, no pointers
    assert not pointers("local[i]").is_memory  # a local vector's own members
    assert pointers("r[i]").restrict  # __restrict__ on the reference covers its pointers


def test_range_element_origin(tmp_path):
    s = snippet(tmp_path, CONTAINERS)
    ranges = [loop.parts()["range"] for loop in s.view.loops if loop.node.kind == K.CXX_FOR_RANGE_STMT]
    assert [_key(me.range_element_origin(r, set())) for r in ranges] == [
        ("ptr", ("field", "ref", "v", me.BUFFER_POINTERS), "[]"), ("ref", "a", "[]")]
    b = s.decl(K.VAR_DECL, "b")
    store = s.one(K.BINARY_OPERATOR, "b = 0").children[0]
    assert me.lvalue_origin(store, set()) is None  # a local reference, unless the caller knows it
    assert _key(me.lvalue_origin(store, set(), {b: me.range_element_origin(ranges[0], set())})) == \
        ("ptr", ("field", "ref", "v", me.BUFFER_POINTERS), "[]")


def test_address_reads(tmp_path):
    s = snippet(tmp_path, CONTAINERS)
    idx_i = s.one(K.ARRAY_SUBSCRIPT_EXPR, "idx[i]")
    idx_0 = s.one(K.ARRAY_SUBSCRIPT_EXPR, "idx[0]")
    loads = [(idx_i, False), (idx_0, True)]
    assert me.address_reads(s.one(K.CALL_EXPR, "a[idx[i]]"), loads)  # a scatter
    assert not me.address_reads(s.one(K.CALL_EXPR, "a[i + idx[0]]"), loads)  # an offset read once
    assert not me.address_reads(s.one(K.CALL_EXPR, "a[i]"), loads)


def test_scalar_access(tmp_path):
    s = snippet(tmp_path, CONTAINERS)
    store = me.scalar_access(s.one(K.CALL_EXPR, "v[i]"), set())
    assert _key(store[0]) == ("ptr", ("field", "ref", "v", me.BUFFER_POINTERS), "[]") and store[1] is True
    load = me.scalar_access(s.one(K.CALL_EXPR, "x[i]"), set())
    assert load[1] is False
    assert me.scalar_access(s.one(K.DECL_REF_EXPR, "n", line=s.line_of("a[i] = h")), set()) is None  # a value
    assert me.scalar_access(s.one(K.CALL_EXPR, "local[i]"), set())[0].is_memory  # its buffer
    # `b = 0` stores through a local reference lvalue_origin cannot place without the range-for's help
    assert me.scalar_access(s.one(K.BINARY_OPERATOR, "b = 0").children[0], set()) == me.UNPLACED


ALIASES = r"""
#include <vector>
struct R { float x; R* next; };
float f(std::vector<R>& v, R* a, R (&arr)[8], std::vector<R>& w, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) {
    R& ref = v[i];
    const auto& cref = w[i];
    R* addr = &v[i];
    const R* plus = a + i;
    R* flipped = i + arr;
    R* moved = &v[i];
    moved = moved->next;
    R* stepped = a + i;
    ++stepped;
    R& either = (i % 2) ? v[i] : w[i];
    R* shifted = a + i + 1;
    R* other = &v[n];
    R copy = v[i];
    s += ref.x + cref.x + addr->x + plus->x + flipped->x + moved->x + stepped->x + either.x + shifted->x + other->x + copy.x;
  }
  return s;
}
"""


def test_element_alias_and_indexed_address(tmp_path):
    s = snippet(tmp_path, ALIASES)
    i = s.decl(K.VAR_DECL, "i")
    body = s.all(K.FOR_STMT)[0].children[-1]
    shown = {}
    for name in ("ref", "cref", "addr", "plus", "flipped", "moved", "stepped", "either", "shifted", "other", "copy"):
        alias = me.element_alias(s.decl(K.VAR_DECL, name), i, body)
        shown[name] = None if alias is None else ("".join(alias[0].tokens), alias[1])
    assert shown == {"ref": ("v", False), "cref": ("w", False), "addr": ("v", True), "plus": ("a", True),
                     "flipped": ("arr", True), "moved": None, "stepped": None, "either": None, "shifted": None,
                     "other": None, "copy": None}
    assert me.indexed_address(initializer(s.decl(K.VAR_DECL, "addr")), i) is not None
    assert me.indexed_address(initializer(s.decl(K.VAR_DECL, "shifted")), i) is None


SMART = r"""
#include <memory>
#include <vector>
struct R { long key; double w; char tail[100]; };
void sink(...);
void hold(const std::unique_ptr<R>&);
void f(const std::vector<std::unique_ptr<R>>& owners, R** slots, int n) {
  for (const auto& up : owners) {
    sink(up->key);
    sink((*up).w);
    sink(up.get()->w);
    if (!up) continue;
    if (up == nullptr) break;
    hold(up);
  }
  for (int i = 0; i < n; ++i) {
    if (!slots[i]) continue;
    R* q = slots[i];
    sink(q->key && q);
  }
}
"""


def test_member_path_through_a_smart_pointer_and_null_tests(tmp_path):
    s = snippet(tmp_path, SMART)
    line = s.line_of

    def path(marker, name):
        ref = s.one(K.DECL_REF_EXPR, name, line=line(marker))
        found = me.member_path(ref, through_pointer=True)
        if found is None or found is me.NOT_A_USE:
            return found
        members, last = found
        return [m.spelling for m in members], "".join(last.tokens)

    assert path("sink(up->key)", "up") == (["key"], "up->key")
    assert path("sink((*up).w)", "up") == (["w"], "(*up).w")
    assert path("up.get()->w", "up") == (["w"], "up.get()->w")
    assert path("if (!up)", "up") is me.NOT_A_USE
    assert path("up == nullptr", "up") is me.NOT_A_USE
    assert path("hold(up);", "up") is None  # handed on whole
    assert path("q->key && q", "q") == (["key"], "q->key")


def test_element_alias_takes_the_pointer_a_sequence_of_pointers_holds(tmp_path):
    s = snippet(tmp_path, SMART)
    loop = s.view.loops[1]
    q = s.decl(K.VAR_DECL, "q")
    i = s.decl(K.VAR_DECL, "i")
    alias = me.element_alias(q, i, loop.parts()["body"])
    assert alias is not None and alias[0].spelling == "slots" and alias[1] is True
