"""padding-waste: the claimed best size is what the compiler lays out, the reorder edit
compiles and keeps declarations whole, the guards hold, and the option works."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from conftest import FIXTURES, analyze_source, assert_compiles, parse_expectations, run_cli
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Applicability
from hotlint.view import Settings

RULE = "padding-waste"
LAYOUT_RULES = [RULE, "false-sharing"]
_BEST = re.compile(r"`([^`]+)` is (\d+) bytes, .* makes it (\d+) bytes")


def _diagnostics(tmp_path: Path, source: str, name: str = "case.cpp", rules=(RULE,), settings=None):
    return analyze_source(tmp_path, source, name, rules, settings)


def _claims(diags) -> dict[str, tuple[int, int]]:
    out = {}
    for d in diags:
        m = _BEST.match(d.message)
        assert m, d.message
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def test_message_reports_sizes_padding_and_order(tmp_path):
    source = "struct Order {\n  bool active;\n  double price;\n  int quantity;\n};\nOrder o;\n"
    [d] = _diagnostics(tmp_path, source)[1]
    assert d.message == ("`Order` is 24 bytes, 11 of them padding: ordering its fields `price, quantity, active` "
                         "makes it 16 bytes")
    assert d.notes[0] == "ordering its fields `price, quantity, active` makes it 16 bytes (8 bytes saved per object)"
    assert d.notes[1:3] == ("7 bytes of padding after `active` (offset 1)",
                           "4 bytes of tail padding after `quantity` (offset 20)")
    assert d.fix.applicability is Applicability.SAFE  # a source file's record nothing reads as bytes
    [d] = _diagnostics(tmp_path, source, name="case.h")[1]
    assert d.fix.applicability is Applicability.UNSAFE  # a header's record is shared with other files
    assert "unsafe: the record is in a header" in d.fix.description


@pytest.mark.parametrize("fixture", ["bad.cpp", "bad_c.c", "bad_form_feed.cpp"])
def test_reorder_compiles_and_gives_the_claimed_size(tmp_path, fixture):
    """Apply each reorder alone, then let the compiler lay the record out again."""
    text, _ = parse_expectations((FIXTURES / RULE / fixture).read_text())
    path, diags = _diagnostics(tmp_path, text, name=fixture, rules=LAYOUT_RULES)
    claims = _claims(diags)
    fixable = [d for d in diags if d.fix is not None]
    assert fixable
    for d in fixable:
        name = _BEST.match(d.message).group(1)
        fixed = apply_edits(text, d.fix.edits)
        path.write_text(fixed)
        assert_compiles(path)
        assert _record_sizes(path, fixed)[name] == claims[name][1], name
    # all together: the fixed records are silent, the others keep their findings
    chosen, edits = select_fixes(diags, unsafe=True)
    assert len(chosen) == len(fixable)
    fixed = apply_edits(text, edits)
    path.write_text(fixed)
    assert_compiles(path)
    _, after = _diagnostics(tmp_path, fixed, name=fixture, rules=LAYOUT_RULES)
    assert {d.message for d in after} == {d.message for d in diags if d.fix is None}


def _record_sizes(path: Path, text: str) -> dict[str, int]:
    from hotlint import clang
    from hotlint.compdb import default_flags
    from hotlint.engine import parse_with_fallbacks
    from hotlint.view import FileView

    tu, _, _ = parse_with_fallbacks(str(path), text, default_flags(str(path)))
    view = FileView(str(path), text, clang.main_file_roots(tu, str(path)), Settings())
    return {r.layout.name: r.layout.size for r in view.records}


def test_reorder_moves_whole_declarations_with_their_comments(tmp_path):
    source = """struct Order {
  bool active;  // still open
  // in cents
  double price;
  void touch() { active = true; }
  int quantity = 1;
};
Order o;
"""
    [d] = _diagnostics(tmp_path, source)[1]
    fixed = apply_edits(source, d.fix.edits)
    assert fixed == """struct Order {
  // in cents
  double price;
  int quantity = 1;
  void touch() { active = true; }
  bool active;  // still open
};
Order o;
"""


def test_a_form_feed_moves_no_field_line(tmp_path):
    """Clang starts no line at a form feed: the reorder reads and replaces the field lines clang
    points at, so a page break at the top of the file (or between records) withholds no fix."""
    source = "\f// page one\nstruct Order {\n  bool active;\n  double price;\n  int quantity;\n};\nOrder o;\n"
    [d] = _diagnostics(tmp_path, source)[1]
    assert d.fix is not None and d.fix.applicability is Applicability.SAFE, d.notes
    assert apply_edits(source, d.fix.edits) == (
        "\f// page one\nstruct Order {\n  double price;\n  int quantity;\n  bool active;\n};\nOrder o;\n")


def test_best_order_is_the_smallest_the_compiler_can_lay_out(tmp_path):
    """Every permutation of a few field mixes, sized by the compiler; the rule's claim
    (with min-bytes 1) must be the minimum, and a minimal order must be silent."""
    types = ["char", "short", "int", "double", "char[3]", "short[3]", "long long", "float"]
    rng = random.Random(7)
    mixes = [rng.sample(types, 4) for _ in range(6)]
    # Plain records, and records after a base whose tail padding they may reuse.
    lines, groups = ["struct Base { virtual ~Base(); char b; };"], []
    for i, mix in enumerate(mixes):
        for head, tag in (("", "M"), (" : Base", "D")):
            names = []
            for j, perm in enumerate(itertools.permutations(range(4))):
                name = f"{tag}{i}_{j}"
                names.append(name)
                decls = " ".join(_decl(mix[k], f"f{k}") for k in perm)
                lines.append(f"struct {name}{head} {{ {decls} }};")
            groups.append(names)
    source = "\n".join(lines) + "\n"
    settings = Settings(rule_options={RULE: {"min-bytes": 1}})
    path, diags = _diagnostics(tmp_path, source, settings=settings)
    claims = {d.message.split("`")[1]: d.message for d in diags}
    sizes = _record_sizes(path, source)
    for names in groups:
        smallest = min(sizes[n] for n in names)
        by_order = {_field_order(source, n): n for n in names}
        for n in names:
            if n not in claims:
                # silent: already minimal, or (after a base) no saving it can prove
                assert sizes[n] == smallest or n.startswith("D"), n
                continue
            now, best = _claims([_Msg(claims[n])])[n]
            assert now == sizes[n] and best < now, claims[n]
            order = tuple(re.search(r"ordering its fields `([^`]+)`", claims[n]).group(1).split(", "))
            assert sizes[by_order[order]] == best, (n, claims[n])  # the claimed order has the claimed size
            if n.startswith("M"):
                assert best == smallest, (n, claims[n], smallest)


class _Msg:
    def __init__(self, message):
        self.message = message


def _field_order(source: str, name: str) -> tuple[str, ...]:
    body = re.search(rf"struct {name}\b[^{{]*{{([^}}]*)}}", source).group(1)
    return tuple(re.findall(r"(f\d)", body))


def _decl(t: str, name: str) -> str:
    if t.endswith("]"):
        base, count = t[:-1].split("[")
        return f"{base} {name}[{count}];"
    return f"{t} {name};"


def test_vptr_and_base_stay_first_and_tail_reuse_is_counted(tmp_path):
    source = """
struct Base { virtual ~Base(); char tag; };
struct Derived : Base { char a; double d; char b; };
Derived x;
"""
    # Base: vptr 8 + tag 1 -> 16, with 7 bytes of reusable tail; `a` already sits in it.
    [d] = _diagnostics(tmp_path, source)[1]
    assert d.message.startswith("`Derived` is 32 bytes")
    assert "ordering its fields `a, b, d` makes it 24 bytes" in d.message


@pytest.mark.parametrize("guarded, unguarded", [
    ("char tag; alignas(16) double v; int id;", "char tag; double v; int id;"),
    ("char tag; char pad_[3]; double v; int id;", "char tag; char name[3]; double v; int id;"),
    ("char tag; double v; short s; unsigned bits : 3;", "char tag; double v; short s; unsigned bits;"),
    ("char a; double b; char c; std::atomic<int> x; std::atomic<int> y;",
     "char a; double b; char c; std::atomic<int> x; int y;"),
])
def test_each_guard_is_what_silences_the_record(tmp_path, guarded, unguarded):
    source = "#include <atomic>\nstruct R { %s };\nR r;\n"
    assert _diagnostics(tmp_path, source % guarded, rules=[RULE])[1] == []
    assert len(_diagnostics(tmp_path, source % unguarded, rules=[RULE])[1]) == 1


@pytest.mark.parametrize("wrap", [
    "#pragma pack(push, 1)\nstruct R { char a; double b; int c; };\n#pragma pack(pop)\n",
    "struct __attribute__((packed)) R { char a; double b; int c; };\n",
    "union R { char a; double b; int c; };\n",
    "struct R { char a; double b; int c; };\nstatic_assert(sizeof(R) == 24);\n",
    "#include <cstdio>\nstruct R { char a; double b; int c; };\n"
    "void save(std::FILE* f, const R& r) { std::fwrite(&r, sizeof(R), 1, f); }\n",
    "#include <cstring>\nstruct R { char a; double b; int c; };\n"
    "void load(R& r, const char* p) { std::memcpy(&r, p, sizeof(R)); }\n",
])
def test_packed_unions_and_pinned_layouts_are_silent(tmp_path, wrap):
    assert _diagnostics(tmp_path, wrap + "R r;\n")[1] == []


def test_plain_record_of_the_guard_cases_is_reported(tmp_path):
    assert len(_diagnostics(tmp_path, "struct R { char a; double b; int c; };\nR r;\n")[1]) == 1


def test_min_bytes_and_cache_lines(tmp_path):
    small = "struct S { char a; short b; char c; };\nS s;\n"  # 6 -> 4
    assert _diagnostics(tmp_path, small)[1] == []
    settings = Settings(rule_options={RULE: {"min-bytes": 2}})
    [d] = _diagnostics(tmp_path, small, settings=settings)[1]
    assert "makes it 4 bytes (2 bytes saved per object)" in d.notes[0]
    # 72 -> 64 bytes saves 8, below min-bytes 16, but needs one line instead of two
    crossing = "struct C { char a; double v[7]; char b; };\nC c;\n"
    settings = Settings(rule_options={RULE: {"min-bytes": 16}})
    [d] = _diagnostics(tmp_path, crossing, settings=settings)[1]
    assert "fits it in one cache line of 64 bytes instead of 2" in d.notes[0]
    assert d.severity.value == "warning"


def test_option_is_validated():
    from hotlint.rule import load_rules

    option = load_rules().rules[RULE].options["min-bytes"]
    with pytest.raises(ValueError):
        option.validate(0)
    with pytest.raises(ValueError):
        option.validate("8")


def test_documentation_has_every_section():
    from hotlint.rule import load_rules

    cls = load_rules().rules[RULE]
    assert cls.missing_sections() == []
    assert "hotlint bench padding-waste" in cls.documentation()


def test_no_fix_when_a_record_holding_it_is_pinned(tmp_path):
    source = ("struct Inner {\n  char a;\n  double b;\n  int c;\n};\n"
              "struct Outer { Inner in; };\nstatic_assert(sizeof(Outer) == 24);\nInner i;\n")
    [d] = _diagnostics(tmp_path, source)[1]
    assert d.fix is None
    assert any("`Outer` holds it" in n for n in d.notes)
    [d] = _diagnostics(tmp_path, source.replace("static_assert(sizeof(Outer) == 24);\n", ""))[1]
    assert d.fix is not None


# --------------------------------------------------------------------------- reorder fix safety

_FIX_MARK = re.compile(r"^\s*//\s*fix:\s*(safe|unsafe|none)\s*$", re.M)


def _marks(text: str) -> dict[int, tuple[int, str]]:
    """The `// fix: safe|unsafe|none` marker that last precedes each line of a fixture."""
    out, current = {}, None
    for number, line in enumerate(text.split("\n"), start=1):
        m = _FIX_MARK.match(line)
        if m:
            current = (number, m.group(1))
        out[number] = current
    return out


def test_fix_safety_fixture_marks_each_finding_safe_unsafe_or_none(tmp_path):
    text, expected = parse_expectations((FIXTURES / RULE / "bad_fix_safety.cpp").read_text())
    _, diags = _diagnostics(tmp_path, text)
    assert len(diags) == sum(expected.values())
    marks, used = _marks(text), []
    for d in diags:
        mark_line, want = marks[d.range.start.line]
        got = d.fix.applicability.value if d.fix else "none"
        assert got == want, (d.range.start.line, d.fix.description if d.fix else d.notes)
        used.append(mark_line)
    assert len(used) == len(set(used)) == len(_FIX_MARK.findall(text))  # one finding per marked case


def test_fix_applies_only_the_safe_reorders_and_they_compile(tmp_path):
    text, _ = parse_expectations((FIXTURES / RULE / "bad_fix_safety.cpp").read_text())
    path, before = _diagnostics(tmp_path, text, name="safety.cpp")
    safe = {_BEST.match(d.message).group(1) for d in before if d.fix and d.fix.applicability is Applicability.SAFE}
    assert safe == {"Reading", "Label", "Metric", "Scope"}
    proc = run_cli("--min-severity", "info", "--no-cache", "--fix", "--select", RULE, path.name, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert_compiles(path)
    fixed = path.read_text()
    assert "struct Reading {\n  double celsius;\n  int sensor;\n  bool valid;\n};" in fixed
    assert "struct Header {\n  char version;\n  double stamp;" in fixed  # unsafe: left alone
    sizes = _record_sizes(path, fixed)
    assert {name: sizes[name] for name in safe} == {name: _claims(before)[name][1] for name in safe}
    _, after = _diagnostics(tmp_path, fixed, name="safety.cpp")
    assert {_BEST.match(d.message).group(1) for d in after} == {
        _BEST.match(d.message).group(1) for d in before} - safe


_ORDER = "struct Order {\n  bool active;\n  double price;\n  int quantity;\n};\n"


def _applicability(tmp_path, source: str, name: str = "case.cpp") -> str:
    [d] = _diagnostics(tmp_path, source, name=name)[1]
    return d.fix.applicability.value if d.fix else "none"


@pytest.mark.parametrize("use", [
    "Order o;\n",
    "#include <vector>\nstd::vector<Order> v(8);\n",
    "#include <cstdlib>\nOrder* o = static_cast<Order*>(std::malloc(sizeof(Order)));\n",
    "#include <cstring>\nvoid f(Order& o) { std::memset(&o, 0, sizeof o); }\n",
    "Order o{};\n",  # value-initialized: no positions
    "#include <vector>\nvoid f(std::vector<Order>& v, const Order& o) { v.emplace_back(o); }\n",  # a copy
    "bool same(const Order& a, const Order& b) { return a.price == b.price; }\n",
])
def test_reorder_is_safe_when_nothing_depends_on_the_order(tmp_path, use):
    assert _applicability(tmp_path, _ORDER + use) == "safe"


@pytest.mark.parametrize("use, why", [
    ("#include <cstring>\nvoid f(Order& o, const void* p) {\n  std::memcpy(&o, p, 24);\n}\n", "`memcpy` on line 8"),
    ("#include <cstring>\nbool f(const Order& a, const Order& b) {\n  return std::memcmp(&a, &b, 24) == 0;\n}\n",
     "`memcmp` on line 8"),
    ("#include <unistd.h>\nvoid f(int fd, Order* o) { (void)::read(fd, o, 24); }\n", "`read` on line 7"),
    ("#include <sys/socket.h>\nvoid f(int fd, const Order* o) { (void)send(fd, o, 24, 0); }\n", "`send` on line 7"),
    ("#include <bit>\n#include <array>\nusing Bytes = std::array<char, sizeof(Order)>;\n"
     "Bytes f(const Order& o) {\n  return std::bit_cast<Bytes>(o);\n}\n", "`bit_cast` on line 10"),
    ("const char* f(const Order& o) { return (const char*)&o; }\n", "the cast on line 6"),
    ("Order* f(void* p) { return static_cast<Order*>(p); }\n", "the cast on line 6"),
    ("Order o(true, 1.0, 2);\n", "line 6 initializes its fields by position"),
    ("#include <memory>\nauto p = std::make_unique<Order>(true, 1.0, 2);\n", "`make_unique` on line 7"),
    ("Order o{};\nauto [a, b, c] = o;\n", "structured binding on line 7"),
    ("union U {\n  Order o;\n  char raw[24];\n};\n", "the union `U` holds it"),
    ("static_assert(__is_trivially_copyable(Order));\n", "`static_assert` on line 6 names `Order`"),
    ("#include <cstring>\nbool f(const void* a, const void* b) { return std::memcmp(a, b, sizeof(Order)) == 0; }\n",
     "`memcmp` on line 7 names `Order`"),
    ("extern \"C\" void api(Order*);\n", "`extern \"C\"` on line 6"),
])
def test_reorder_is_unsafe_when_the_order_is_observable(tmp_path, use, why):
    source = _ORDER + use
    [d] = _diagnostics(tmp_path, source)[1]
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE, use
    assert "; unsafe: " in d.fix.description and why in d.fix.description, d.fix.description
    fixed = apply_edits(source, d.fix.edits)
    path = tmp_path / "case.cpp"
    path.write_text(fixed)
    assert_compiles(path)  # unsafe, yet still a valid edit


@pytest.mark.parametrize("use, want", [
    # a comment or a string is no use, nor is another statement on the same line
    ("// memcpy(Order) and fwrite(Order) in a comment\nOrder o;\n", "safe"),
    ('const char* doc = "reinterpret_cast<Order*> and offsetof(Order, price)";\nOrder o;\n', "safe"),
    ("#include <cstring>\nOrder o; void f(char* d, const char* s) { std::memcpy(d, s, 4); }\n", "safe"),
    # the type written in the operation pins the layout: no finding, wherever the words sit
    ("#include <cstring>\nvoid f(Order& o, const char* p) {\n  std::memcpy(&o,\n              p,\n"
     "              sizeof(Order));\n}\n", "silent"),
    ("#include <cstddef>\nstd::size_t f() { return offsetof(Order, price); }\n", "silent"),
    ("Order* f(char* p) { return reinterpret_cast<Order*>(p); }\n", "silent"),
    ("#include <sys/mman.h>\nOrder* f(int fd) {\n  return (Order*)mmap(nullptr, 24, PROT_READ, MAP_SHARED, fd, 0);\n}\n",
     "silent"),
    ("#include <bit>\nstruct Raw { char b[24]; };\nOrder f(Raw r) { return std::bit_cast<Order>(r); }\n", "silent"),
    ("Order o{};\nstatic_assert(sizeof o == 24);\n", "silent"),
])
def test_layout_uses_are_found_in_the_ast(tmp_path, use, want):
    """Issue 12: what pins a layout or makes its reorder unsafe is read from the AST, not from lines
    that hold a word and the record's name."""
    diags = _diagnostics(tmp_path, _ORDER + use)[1]
    if want == "silent":
        assert diags == [], [d.message for d in diags]
    else:
        [d] = diags
        assert d.fix is not None and d.fix.applicability.value == want, d.fix.description


@pytest.mark.parametrize("record, want", [
    # initializer lists: the new order `price, quantity, active` keeps or breaks them
    ("Order(double p, int q) : price(p), quantity(q) {}", "safe"),
    ("Order(bool a, int q) : active(a), quantity(q) {}", "unsafe"),
    ("Order(double p) : price(p + 1), quantity(static_cast<int>(p)) {}", "safe"),
    ("Order(double p) : price(p), quantity(tick()) {}", "unsafe"),  # a side effect
    ("Order(double p) : price(p), quantity(static_cast<int>(price)) {}", "unsafe"),  # reads a member
    ("Order() : price(this->quantity) {}", "unsafe"),
])
def test_reorder_and_member_initializer_lists(tmp_path, record, want):
    source = ("int tick();\nstruct Order {\n  %s\n  bool active = false;\n  double price;\n  int quantity = 0;\n"
              "};\nOrder* o;\n" % record)
    assert _applicability(tmp_path, source) == want


@pytest.mark.parametrize("use, want", [
    ("Order o{.active = true};\n", "none"),  # designated: would no longer compile
    ("Order o{true, 1.0, 2};\n", "none"),
    ("Order make() { return {true, 1.0, 2}; }\n", "none"),
    # brace elision: the array's or the holder's list sets the fields by position
    ("Order pair[2] = {true, 1.0, 2, false, 2.0, 3};\n", "none"),
    ("Order grid[2][2] = {true, 1.0};\n", "none"),
    ("#include <array>\nstd::array<Order, 2> a{true, 1.0, 2};\n", "none"),
    ("struct Outer { int k; Order o; };\nOuter out{1, true, 1.0, 2};\n", "none"),
    ("struct Outer { int k; Order o; };\nOuter out{1, true};\n", "none"),
    # lists that never reach the fields by position
    ("Order pair[2] = {};\n", "safe"),
    ("Order a{}, b{};\nOrder pair[2] = {a, b};\n", "safe"),
    ("#include <array>\nOrder a{};\nstd::array<Order, 2> both{a, a};\n", "safe"),
    ("struct Outer { int k; Order o; };\nOuter out{1};\n", "safe"),
])
def test_reorder_and_brace_initialization(tmp_path, use, want):
    assert _applicability(tmp_path, _ORDER + use) == want


@pytest.mark.parametrize("member, want", [
    ("decltype(active) copy;", "unsafe"),  # must stay below `active`
    ("auto get() const -> decltype(active) { return active; }", "unsafe"),
    ("void touch() { active = true; quantity = 1; }", "safe"),  # a body sees every member
])
def test_reorder_and_declarations_that_name_a_field(tmp_path, member, want):
    source = "struct Order {\n  bool active;\n  double price;\n  %s\n  int quantity;\n};\nOrder o;\n" % member
    assert _applicability(tmp_path, source) == want


def test_reorder_in_a_class_template_has_no_fix(tmp_path):
    source = "template <class T> struct Order {\n  bool active;\n  T price;\n  int quantity;\n};\nOrder<double> o;\n"
    assert _applicability(tmp_path, source) == "none"


def test_reorder_in_c_is_safe_unless_written_as_bytes(tmp_path):
    struct = "struct reading {\n  char valid;\n  double celsius;\n  int sensor;\n};\n"
    assert _applicability(tmp_path, struct + "struct reading r;\n", name="case.c") == "safe"
    io = "#include <stdio.h>\nvoid save(FILE* f, struct reading* r) {\n  fwrite(r, sizeof *r, 1, f);\n}\n"
    assert _applicability(tmp_path, struct + io, name="case.c") == "unsafe"


def test_casts_between_classes_of_one_hierarchy_and_fresh_memory_are_not_byte_use(tmp_path):
    source = ("#include <cstdlib>\nstruct Base { virtual ~Base() = default; };\n"
              "struct Order : Base {\n  bool active;\n  double price;\n  int quantity;\n};\n"
              "Order* down(Base* b) { return static_cast<Order*>(b); }\n"
              "Order* fresh() { return (Order*)std::malloc(sizeof(Order)); }\n")
    assert _applicability(tmp_path, source) == "safe"
    assert _applicability(tmp_path, source.replace("static_cast<Order*>(b)", "(Order*)(void*)b")) == "unsafe"
