"""hotlint.analysis.symbols on real C++ parsed by libclang."""

from __future__ import annotations

import os

from analysis_snippets import snippet
from hotlint.analysis import symbols as sy
from hotlint.analysis.expressions import function_body
from hotlint.analysis.kinds import K

USES = r"""
extern int g;
void f() { g = 1; }
int g = 2;
void h() { g = 3; }
template <class T> void t(T);
template <class T> void call(T x) { t(x); }
void over(int);
void over(double);
void twice(int);
void twice(int);
void twice(int) {}
void user() { over(1); twice(2); }
"""


def test_symbol_index_references_and_function_declarations(tmp_path):
    s = snippet(tmp_path, USES)
    index = sy.SymbolIndex(s.view)
    assert [r.range.start.line for r in index.references("g")] == [3, 5]
    assert [r.kind for r in index.references("t")] == [K.OVERLOADED_DECL_REF]  # resolved per instantiation
    assert index.references("nothing") == []
    defined = s.decl(K.FUNCTION_DECL, "twice", index=2)
    assert len(index.function_declarations(defined)) == 3
    first_over = s.decl(K.FUNCTION_DECL, "over")
    assert index.function_declarations(first_over) == [first_over]  # the other overload is another entity


def test_references_to_by_cursor_or_by_entity(tmp_path):
    s = snippet(tmp_path, USES)
    declared, defined = s.decl(K.VAR_DECL, "g"), s.decl(K.VAR_DECL, "g", index=1)
    roots = s.view.roots
    # a use refers to the declaration visible where it is written
    assert [r.range.start.line for r in sy.references_to(declared, roots)] == [3]
    assert [r.range.start.line for r in sy.references_to(defined, roots)] == [5]
    assert [r.range.start.line for r in sy.references_to(declared, roots, same="entity")] == [3, 5]
    by_name = {}
    for root in roots:
        for name, refs in sy.references_by_name(root).items():
            by_name.setdefault(name, []).extend(refs)
    assert [r.range.start.line for r in sy.named_references_to(declared, by_name)] == [3]
    assert [r.range.start.line for r in sy.named_references_to(defined, by_name, same="entity")] == [3, 5]


def test_references_by_name_walks_one_root(tmp_path):
    s = snippet(tmp_path, USES)
    refs = sy.references_by_name(s.decl(K.FUNCTION_DECL, "user"))
    assert sorted(refs) == ["over", "twice"]


def test_refers_to(tmp_path):
    s = snippet(tmp_path, "struct S { int m; };\nint v;\nint f(S s) { return s.m + v; }\n")
    v, m = s.decl(K.VAR_DECL, "v"), s.decl(K.FIELD_DECL, "m")
    use_v, use_m = s.one(K.DECL_REF_EXPR, "v"), s.one(K.MEMBER_REF_EXPR, "s.m")
    assert sy.refers_to(use_v, v) and not sy.refers_to(use_v, m) and not sy.refers_to(None, v)
    assert not sy.refers_to(use_m, m)  # DECL_REF_EXPR only by default
    assert sy.refers_to(use_m, m, kinds=(K.DECL_REF_EXPR, K.MEMBER_REF_EXPR))


LOOPS = r"""
void use(int);
int outside;
void f(int n) {
  for (int i = 0; i < n; ++i) {
    int t = i;
    use(t + outside);
  }
  use(n);
}
"""


def test_declared_in_and_uses_loop_variable(tmp_path):
    s = snippet(tmp_path, LOOPS)
    loops = s.view.loops
    assert sy.declared_in(s.decl(K.VAR_DECL, "t"), loops)
    assert not sy.declared_in(s.decl(K.VAR_DECL, "outside"), loops)
    inside, after = s.all(K.CALL_EXPR)[0], s.all(K.CALL_EXPR)[1]
    assert sy.uses_loop_variable(s.view, inside, loops)
    assert not sy.uses_loop_variable(s.view, after, loops)
    assert not sy.uses_loop_variable(s.view, inside, []) and not sy.uses_loop_variable(s.view, None, loops)


def test_in_linted_file(tmp_path):
    s = snippet(tmp_path, "#include <vector>\nstd::vector<int> v;\n")
    v = s.decl(K.VAR_DECL, "v")
    assert sy.in_linted_file(s.view, v)
    assert not sy.in_linted_file(s.view, v.type.declaration)  # declared in <vector>
    assert not sy.in_linted_file(s.view, None)
    dotted = os.path.join(os.path.dirname(s.view.path), ".", os.path.basename(s.view.path))
    assert sy.in_linted_file(s.view, dotted)
    assert not sy.in_linted_file(s.view, dotted, normalize=False)  # aos-layout's rewrite compared raw
    assert sy.in_linted_file(s.view, s.view.path, normalize=False)


LINTED_TEXT = r"""
#define SAME(x) (x)
#define AT(p, i) p[i]
int g;
int f(const int* p, int i) {
    return SAME(g) + AT(p, i) + p[
        i];
}
int h(const int* q) {
    int s = 0;
#include "body.inc"
    return s;
}
"""


def test_linted_text(tmp_path):
    (tmp_path / "body.inc").write_text("// h's body\n" * 12 + "    s += q[0];\n")
    s = snippet(tmp_path, LINTED_TEXT)
    view = s.view
    in_macro = next(n for n in view.nodes(K.DECL_REF_EXPR) if n.spelling == "g")
    assert in_macro.range.start == in_macro.range.end  # a macro argument: clang gives it no extent
    assert sy.linted_text(view, in_macro, multiline="first-line") is None
    used = s.one(K.ARRAY_SUBSCRIPT_EXPR, line=6)  # AT(p, i): the use spells it whole
    assert sy.linted_text(view, used, multiline="first-line") == "AT(p, i)"
    split = s.one(K.ARRAY_SUBSCRIPT_EXPR, line=6, index=1)
    assert sy.linted_text(view, split, multiline="first-line-ellipsis") == "p[ ..."
    included = s.one(K.ARRAY_SUBSCRIPT_EXPR, "q[0]")
    assert included.range.start.line == 13 and os.path.basename(included.file) == "body.inc"
    assert view.source.snippet(included.range, multiline="first-line") == ""  # line 13 of this file
    assert sy.linted_text(view, included, multiline="first-line") is None


QUOTED = r"""
#define SAME(x) (x)
struct S { int n; };
int g;
int f(const int* p, S& s, int i) {
    return SAME(g) + SAME(p[i]) + SAME(*p) + SAME(s.n) + SAME(i + 1) + p[
        i];
}
int h(const int* q) {
    int s = 0;
#include "body.inc"
    return s;
}
"""


def test_quoted_says_what_a_node_reads_when_the_file_does_not_spell_it(tmp_path):
    (tmp_path / "body.inc").write_text("    s += q[0] + *q;\n")
    s = snippet(tmp_path, QUOTED)
    view = s.view
    inside = [sy.quoted(view, n) for n in view.nodes(K.PAREN_EXPR) if n.range.start.line == 6]
    assert inside == ["`SAME(g)`", "`SAME(p[i])`", "`SAME(*p)`", "`SAME(s.n)`", "`SAME(i + 1)`"]  # the use spells each
    macro_args = {sy.quoted(view, n.children[0]) for n in view.nodes(K.PAREN_EXPR) if n.range.start.line == 6}
    assert macro_args == {"`g` in a macro argument", "an element of `p` in a macro argument",
                          "what `p` points to in a macro argument", "`n` in a macro argument",
                          "a `int` in a macro argument"}
    assert sy.quoted(view, s.one(K.ARRAY_SUBSCRIPT_EXPR, line=6, index=1)) == "`p[ ...`"
    assert sy.quoted(view, s.one(K.ARRAY_SUBSCRIPT_EXPR, "q[0]")) == "an element of `q` in `body.inc`"
    deref = next(n for n in view.nodes(K.UNARY_OPERATOR) if n.file and n.file.endswith("body.inc"))
    assert sy.quoted(view, deref) == "what `q` points to in `body.inc`"

def test_source_and_header_paths_are_not_complements():
    assert sy.is_source_path("a/b.cpp") and sy.is_source_path("x.C") and sy.is_source_path("x.c")
    assert sy.is_header_path("a/b.hpp") and sy.is_header_path("x.h") and sy.is_header_path("x.tcc")
    for neither in ("k.cu", "m.mm", "mod.cppm", "t.tpp", "README"):
        assert not sy.is_source_path(neither) and not sy.is_header_path(neither)
    assert not sy.is_source_path("b.hpp") and not sy.is_header_path("b.cpp")


PRIVATE = r"""
#include <atomic>
std::atomic<int> shared;
static std::atomic<int> hidden;
namespace { std::atomic<int> anonymous; }
namespace named { std::atomic<int> visible; }
struct Local { std::atomic<int> field; };
void f() { std::atomic<int> local; static std::atomic<int> kept; }
"""


def test_file_private(tmp_path):
    s = snippet(tmp_path, PRIVATE)

    def private(name, kind=K.VAR_DECL):
        return sy.file_private(s.view, s.decl(kind, name))

    assert private("hidden") and private("anonymous") and private("local") and private("kept")
    assert private("field", K.FIELD_DECL)
    assert not private("shared") and not private("visible")
    header = snippet(tmp_path, PRIVATE, name="shared.hpp")
    assert not sy.file_private(header.view, header.decl(K.VAR_DECL, "hidden"))
    other = snippet(tmp_path, PRIVATE, name="kernel.cu")  # not a header by seq-cst's list
    assert sy.file_private(other.view, other.decl(K.VAR_DECL, "hidden"))


LINKAGE = r"""
static void declared_static(int);
void declared_static(int) {}
void plain(int) {}
namespace { void anonymous(int) {} }
"""


def test_internal_linkage_reads_every_declaration(tmp_path):
    s = snippet(tmp_path, LINKAGE)
    index = sy.SymbolIndex(s.view)
    definition = s.decl(K.FUNCTION_DECL, "declared_static", index=1)
    assert sy.internal_linkage(definition, index.function_declarations(definition))
    assert not sy.internal_linkage(definition, [definition])  # its own tokens say no `static`
    plain = s.decl(K.FUNCTION_DECL, "plain")
    assert not sy.internal_linkage(plain, index.function_declarations(plain))
    anonymous = s.decl(K.FUNCTION_DECL, "anonymous")
    assert sy.internal_linkage(anonymous, [anonymous])


STORAGE = r"""
int global;
extern int declared;
namespace ns { int scoped; }
struct S { static int member; };
thread_local int per_thread;
void f(int parameter) {
  int local;
  static int kept;
  extern int elsewhere;
}
"""


def test_has_static_storage(tmp_path):
    s = snippet(tmp_path, STORAGE)
    expected = {"global": True, "declared": True, "scoped": True, "member": True, "per_thread": True,
                "local": False, "kept": True, "elsewhere": True}
    assert {name: sy.has_static_storage(s.decl(K.VAR_DECL, name)) for name in expected} == expected
    assert not sy.has_static_storage(s.decl(K.PARM_DECL, "parameter"))


EXTERN_C = r"""
extern "C" {
struct Inside { int a; };
}
struct Named { int b; };
struct Other { int c; };
extern "C" void take(struct Named*);
"""


def test_extern_c_line(tmp_path):
    s = snippet(tmp_path, EXTERN_C)
    specs = s.view.nodes(K.LINKAGE_SPEC)
    assert sy.extern_c_line(s.decl(K.STRUCT_DECL, "Inside"), "Inside", specs) == 2
    assert sy.extern_c_line(s.decl(K.STRUCT_DECL, "Named"), "Named", specs) == 7
    assert sy.extern_c_line(s.decl(K.STRUCT_DECL, "Other"), "Other", specs) is None
    assert sy.extern_c_line(s.decl(K.STRUCT_DECL, "Other"), "", specs) is None


def test_std_name():
    assert sy.std_name("std::__1::vector") == "std::vector"
    assert sy.std_name("std::__cxx11::basic_string") == "std::basic_string"
    assert sy.std_name("__gnu_cxx::__normal_iterator") == "__gnu_cxx::__normal_iterator"  # only between ::
    assert sy.std_name("std::vector") == "std::vector"


NAMES = r"""
struct Buf { int len; int data; };
int data;
void use(int);
void f(Buf buf, int count) {
  int local = 0;
  use(buf.len + data + local);
  for (int i = 0; i < count; ++i) {
    int kept = 0;
    use(kept);
  }
}
"""


def test_unqualified_identifiers(tmp_path):
    s = snippet(tmp_path, NAMES)
    names = sy.unqualified_identifiers(s.decl(K.FUNCTION_DECL, "f"))
    assert {"data", "local", "buf", "count", "use"} <= names
    assert "len" not in names  # only ever written after `.`


def test_name_is_taken(tmp_path):
    s = snippet(tmp_path, NAMES)
    block = function_body(s.decl(K.FUNCTION_DECL, "f"))
    kept = s.decl(K.VAR_DECL, "kept")
    assert sy.name_is_taken(block, kept, "local")  # declared by a statement of the block
    assert sy.name_is_taken(block, kept, "count")  # a parameter of the function
    assert sy.name_is_taken(block, kept, "data")  # would capture the use of the global
    assert not sy.name_is_taken(block, kept, "len")  # buf.len is looked up in Buf
    assert not sy.name_is_taken(block, kept, "kept")  # only its own uses
    assert not sy.name_is_taken(block, kept, "fresh")


def test_declared_alone(tmp_path):
    s = snippet(tmp_path, r"""
int g;
void f(int p, int (&xs)[2]) {
  int a = 1;
  int b = 2, c = 3;
  for (int x : xs) { (void)x; }
}
""")
    a = s.decl(K.VAR_DECL, "a")
    assert sy.declared_alone(a) is a.parent and a.parent.kind == K.DECL_STMT
    assert sy.declared_alone(s.decl(K.VAR_DECL, "b")) is None
    assert sy.declared_alone(s.decl(K.VAR_DECL, "g")) is None
    assert sy.declared_alone(s.decl(K.PARM_DECL, "p")) is None
    assert sy.declared_alone(s.decl(K.VAR_DECL, "x")) is None
