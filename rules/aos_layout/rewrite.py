"""The struct-of-arrays rewrite behind aos-layout's findings.

From the record's real layout and the loop's use of it, build:

- ``<Record>SoA``: one contiguous array per hot field (a member record such as a
  ``Vec3`` stays whole: ``std::vector<Vec3>``), the cold fields together in a
  ``Cold`` record, and a bridge to the old layout (``assign`` from and ``store``
  into any indexable sequence of the record);
- the loop rewritten over the struct of arrays, inside a block that builds it from
  the old container and, when the loop writes, stores every field it writes back
  however the loop ends (a guard's destructor: break, return, an exception) — so the
  suggestion compiles and keeps the program's meaning as it stands, while its note
  says the saving comes once the container itself holds the new layout.

The bridge works on a copy, so it is offered only when nothing the loop runs could see
the old sequence while the copy is the live one (``bridge_refusal``): no other use of
the record type in the loop, and every function it calls followed through this file
(or a pure standard one) without meeting the record type.

It is a display-only fix: splitting a record changes every place that uses it.
"""

from __future__ import annotations

import re
from typing import Optional

from hotlint.model import Applicability, Edit, Fix, Position, Range

_ARRAY = re.compile(r"^(.*?)\s*\[(\d+)\]$")


def _slice(view, r: Range) -> str:
    lines = view.text.split("\n")
    if r.start.line == r.end.line:
        raw = lines[r.start.line - 1].encode()
        return raw[r.start.column - 1:r.end.column - 1].decode()
    first = lines[r.start.line - 1].encode()[r.start.column - 1:].decode()
    middle = lines[r.start.line:r.end.line - 1]
    last = lines[r.end.line - 1].encode()[:r.end.column - 1].decode()
    return "\n".join([first, *middle, last])


def _apply(view, outer: Range, replacements: list[tuple[Range, str]]) -> str:
    """The text of ``outer`` with each inner range replaced (ranges must not overlap)."""
    text = _slice(view, outer)
    lines = view.text.split("\n")

    def offset(p: Position) -> int:
        if p.line == outer.start.line:
            return p.column - outer.start.column
        n = len(lines[outer.start.line - 1].encode()) - (outer.start.column - 1) + 1
        for ln in range(outer.start.line + 1, p.line):
            n += len(lines[ln - 1].encode()) + 1
        return n + p.column - 1

    data = text.encode()
    for r, new in sorted(replacements, key=lambda x: x[0].start, reverse=True):
        a, b = offset(r.start), offset(r.end)
        data = data[:a] + new.encode() + data[b:]
    return data.decode()


def _field_type(type_name: str) -> tuple[str, Optional[tuple[str, int]]]:
    """`char[48]` -> ("std::array<char, 48>", ("char", 48)); other types unchanged."""
    m = _ARRAY.match(type_name)
    if m and "[" not in m.group(1):
        return f"std::array<{m.group(1)}, {m.group(2)}>", (m.group(1), int(m.group(2)))
    return type_name, None


def _decl(type_name: str, name: str) -> str:
    m = _ARRAY.match(type_name)
    if m and "[" not in m.group(1):
        return f"{m.group(1)} {name}[{m.group(2)}];"
    return f"{type_name} {name};"


def _copy(dst: str, src: str, array: bool) -> str:
    if array:
        return f"std::copy(std::begin({src}), std::end({src}), std::begin({dst}));"
    return f"{dst} = {src};"


def _fresh(name: str, text: str) -> str:
    for cand in (name, name + "_", "i_soa", "soa_index"):
        if not re.search(rf"\b{re.escape(cand)}\b", text):
            return cand
    return "hotlint_index"


def soa_type(record_name: str, fields, hot: set[str], indent: str = "", written: Optional[set[str]] = None,
             guard: bool = False) -> Optional[str]:
    """The struct-of-arrays type, or None when a field cannot be carried (bitfields, nested arrays).

    ``store`` writes back the ``written`` fields (every hot field by default) and nothing else:
    writing a field the loop only read would be a write the original program never made.
    ``guard`` adds ``StoreBack``, which stores on scope exit."""
    if any(f.is_bitfield or f.is_base or f.name == "<anonymous>" for f in fields):
        return None
    if any(f.type_name.count("[") > 1 for f in fields):
        return None
    hot_fields = [f for f in fields if f.name in hot]
    cold_fields = [f for f in fields if f.name not in hot]
    stored = [f for f in hot_fields if written is None or f.name in written]
    soa = f"{record_name}SoA"
    first = hot_fields[0].name
    i = "i"
    lines = [
        f"// Struct-of-arrays form of `{record_name}` (suggested by hotlint, aos-layout): each hot field",
        "// streams from its own contiguous array; the cold fields travel together.",
        f"struct {soa} {{",
    ]
    if cold_fields:
        lines.append("    struct Cold {")
        lines += [f"        {_decl(f.type_name, f.name)}" for f in cold_fields]
        lines.append("    };")
    for f in hot_fields:
        lines.append(f"    std::vector<{_field_type(f.type_name)[0]}> {f.name};")
    if cold_fields:
        lines.append("    std::vector<Cold> cold;")
    lines += [
        "",
        f"    {soa}() = default;",
        "    // Migration bridge: build from" + (", and store back into," if stored else "")
        + " any indexable sequence of",
        f"    // `{record_name}` (std::vector, std::array, a C array).",
        "    template <class Seq>",
        f"    explicit {soa}(const Seq& aos) {{ assign(aos); }}",
        f"    std::size_t size() const {{ return {first}.size(); }}",
        "",
        "    template <class Seq>",
        "    void assign(const Seq& aos) {",
        "        const std::size_t n = std::size(aos);",
    ]
    lines += [f"        {f.name}.resize(n);" for f in hot_fields]
    if cold_fields:
        lines.append("        cold.resize(n);")
    lines.append(f"        for (std::size_t {i} = 0; {i} < n; ++{i}) {{")
    for f in hot_fields:
        lines.append(f"            {_copy(f'{f.name}[{i}]', f'aos[{i}].{f.name}', _field_type(f.type_name)[1] is not None)}")
    for f in cold_fields:
        lines.append(f"            {_copy(f'cold[{i}].{f.name}', f'aos[{i}].{f.name}', _field_type(f.type_name)[1] is not None)}")
    lines += ["        }", "    }"]
    if stored:
        lines += ["", "    template <class Seq>", "    void store(Seq& aos) const {",
                  f"        for (std::size_t {i} = 0; {i} < size(); ++{i}) {{"]
        for f in stored:
            lines.append(f"            {_copy(f'aos[{i}].{f.name}', f'{f.name}[{i}]', _field_type(f.type_name)[1] is not None)}")
        lines += ["        }", "    }"]
    if stored and guard:
        lines += [
            "",
            "    // Stores back when it goes out of scope, so a loop that breaks, returns or throws",
            "    // leaves the sequence as the original loop would.",
            "    template <class Seq>",
            "    struct StoreBack {",
            f"        const {soa}& soa;",
            "        Seq& aos;",
            "        ~StoreBack() { soa.store(aos); }",
            "    };",
        ]
    lines.append("};")
    return "\n".join(indent + ln if ln else ln for ln in lines)


def loop_rewrite(view, loop, sweep, soa_name: str, container: str, written: set[str]) -> Optional[str]:
    """The loop on the struct of arrays, in a block bridging from and to ``container``."""
    node = loop.node
    parts = loop.parts()
    body = parts["body"]
    if body is None or not sweep.sites or sweep.aliases:
        return None
    whole = _slice(view, node.range)
    var = f"{re.sub(r'[^A-Za-z0-9_]', '_', container)}_soa"
    index = _fresh("i", whole)
    if node.kind == "CXX_FOR_RANGE_STMT":
        replacements = [(site, f"{var}.{name}[{index}]") for site, name in sweep.sites]
        body_text = _apply(view, body.range, replacements)
        header = f"for (std::size_t {index} = 0; {index} < {var}.size(); ++{index})"
        loop_text = f"{header} {body_text}" if body_text.startswith("{") else f"{header}\n{body_text}"
    elif node.kind == "FOR_STMT" and sweep.index_name:
        index = sweep.index_name
        replacements = [(site, f"{var}.{name}[{index}]") for site, name in sweep.sites]
        loop_text = _apply(view, node.range, replacements)
    else:
        return None
    if not loop_text.rstrip().endswith(("}", ";")):
        loop_text += ";"  # a body without braces: its `;` lies past the statement's extent
    indent = re.match(r"\s*", view.line_text(node.range.start.line)).group(0)
    inner = loop_text.replace("\n", "\n    ")
    out = [
        "{",
        f"{indent}    // hotlint (aos-layout): this loop on the struct-of-arrays layout. Converting on every call",
        f"{indent}    // only bridges the migration: store `{container}` as `{soa_name}` where it is built,",
        f"{indent}    // and the bridge goes away.",
        f"{indent}    {soa_name} {var}({container});",
    ]
    if written:
        names = ", ".join(f"`{n}`" for n in sorted(written))
        out += [f"{indent}    // stores what the loop writes ({names}) back into `{container}` however it ends",
                f"{indent}    {soa_name}::StoreBack<decltype({container})> {var}_back{{{var}, {container}}};"]
    out += [f"{indent}    {inner}", f"{indent}}}"]
    return "\n".join(out)


def rewrite(view, loop, sweep, layout, record_node, container: Optional[str]) -> tuple[Optional[Fix], Optional[str]]:
    """The display-only struct-of-arrays fix for one finding, or (None, why not) when it cannot
    be built or cannot be shown to keep the program's behaviour (why is None when the reason is
    only that the loop reaches elements in a way the rewrite does not handle)."""
    if container is None or layout.is_template_instantiation:
        return None, None
    hot = set(sweep.top_fields)
    name = layout.name.split("::")[-1]
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        return None, None
    type_text = soa_type(name, [f for f in layout.fields], hot, written=sweep.written, guard=True)
    if type_text is None:
        return None, None
    soa_name = f"{name}SoA"
    loop_text = loop_rewrite(view, loop, sweep, soa_name, container, sweep.written)
    if loop_text is None:
        return None, None
    refusal = bridge_refusal(view, loop, sweep, container)
    if refusal is not None:
        return None, refusal
    edits = []
    anchor = _after_definition(view, record_node) if record_node is not None else None
    if anchor is None:
        fn = view.enclosing_function(loop.node)
        if fn is None or fn.node.file != view.path:
            return None, None
        start = fn.node.range.start
        anchor = Position(start.line, 1)
        edits.append(Edit(Range(anchor, anchor), type_text + "\n\n"))
    else:
        edits.append(Edit(Range(anchor, anchor), "\n\n" + type_text))
    loop_range = loop.node.range
    after = view.line_text(loop_range.end.line).encode()[loop_range.end.column - 1:]
    if after.lstrip().startswith(b";"):  # a body without braces ends at its `;`
        semi = after.index(b";")
        loop_range = Range(loop_range.start, Position(loop_range.end.line, loop_range.end.column + semi + 1))
    edits.append(Edit(loop_range, loop_text))
    includes = [h for h in ("vector", "array", "algorithm", "iterator", "cstddef")
                if not re.search(rf"#\s*include\s*<{h}>", view.text)]
    if includes:
        first_include = next((k for k, ln in enumerate(view.lines, start=1) if re.match(r"\s*#\s*include\b", ln)), 1)
        top = Position(first_include, 1)
        edits.insert(0, Edit(Range(top, top), "".join(f"#include <{h}>\n" for h in includes)))
    return Fix(f"rewrite `{name}` as struct of arrays for this loop (a suggestion: review and migrate)",
               tuple(edits), Applicability.DISPLAY_ONLY), None


def _after_definition(view, record_node) -> Optional[Position]:
    """Just after the `;` ending the record's definition, when it is in this file."""
    if record_node is None or record_node.file is None or record_node.file != view.path:
        return None
    end = record_node.range.end
    line = view.line_text(end.line).encode()
    rest = line[end.column - 1:]
    semi = rest.find(b";")
    if semi < 0:
        return None
    return Position(end.line, end.column + semi + 1)


# --------------------------------------------------------------------------- can the bridge keep behaviour?

# Standard functions that compute from their arguments and touch nothing else.
_PURE = frozenset({
    "abs", "fabs", "labs", "llabs", "sqrt", "cbrt", "hypot", "pow", "exp", "exp2", "expm1", "log", "log2",
    "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
    "floor", "ceil", "round", "lround", "llround", "trunc", "nearbyint", "rint", "fmod", "remainder",
    "fma", "fmin", "fmax", "fdim", "copysign", "nextafter", "ldexp", "min", "max", "clamp", "lerp",
    "isnan", "isinf", "isfinite", "isnormal", "signbit", "move", "forward", "as_const", "size", "ssize",
    "empty", "data", "begin", "end", "cbegin", "cend", "popcount", "countl_zero", "countr_zero",
    "bit_width", "rotl", "rotr", "byteswap", "bit_cast", "swap", "exchange",
})
_PURE_FLOAT = frozenset({f"{n}f" for n in _PURE} | {f"{n}l" for n in _PURE})
# Standard value types whose members only touch the object and their arguments.
_VALUE_CLASSES = frozenset({
    "std::basic_string", "std::basic_string_view", "std::vector", "std::array", "std::span", "std::deque",
    "std::list", "std::forward_list", "std::map", "std::multimap", "std::set", "std::multiset",
    "std::unordered_map", "std::unordered_multimap", "std::unordered_set", "std::unordered_multiset",
    "std::pair", "std::tuple", "std::optional", "std::bitset", "std::complex",
})
_INLINE_NAMESPACE = re.compile(r"::__\w+(?=::)")
_SCALAR_KINDS = frozenset({"BOOL", "CHAR_U", "UCHAR", "CHAR16", "CHAR32", "USHORT", "UINT", "ULONG",
                           "ULONGLONG", "UINT128", "CHAR_S", "SCHAR", "WCHAR", "SHORT", "INT", "LONG",
                           "LONGLONG", "INT128", "HALF", "FLOAT", "DOUBLE", "LONGDOUBLE", "ENUM",
                           "FLOAT128", "CHAR8"})
_NODE_BUDGET = 50_000  # nodes followed through called functions before giving up


def _std_name(name: str) -> str:
    return _INLINE_NAMESPACE.sub("", name)


def _stripped(t):
    """The type a value, reference, pointer or array of ``t`` is made of."""
    if t.is_reference:
        t = t.non_reference()
    for _ in range(8):
        inner = t.pointee if t.is_pointer else t.element if t.is_array else None
        if inner is None:
            break
        t = inner
    return t


class _Reach:
    """What the code a loop runs can see: does it use the record type anywhere, directly or in
    a function it calls (followed through this file), or call what hotlint cannot follow?"""

    def __init__(self, element, container: str):
        self.key = element.unqualified_name
        self.name = element.unqualified_name.split("::")[-1]
        self.container = container
        self.functions: dict = {}  # definition -> reason or None
        self.records: dict = {}
        self.budget = _NODE_BUDGET

    def involves(self, t, depth: int = 0) -> bool:
        """``t`` is the record, or holds, points or refers to it, or has it as a template argument."""
        if depth > 6:
            return True
        t = _stripped(t)
        if t.unqualified_name == self.key:
            return True
        return t.is_record and any(self.involves(a, depth + 1) for a in t.template_arguments)

    def user_code(self, t, depth: int = 0) -> bool:
        """``t`` can run code outside the standard library: a record declared outside the system
        headers (or a standard one with such a template argument), or a function pointer."""
        if depth > 6:
            return True
        t = _stripped(t)
        kind = t.canonical.kind
        if kind in ("FUNCTIONPROTO", "FUNCTIONNOPROTO", "MEMBERPOINTER", "BLOCKPOINTER"):
            return True
        if not t.is_record:
            return False
        decl = t.declaration
        if decl is not None and not decl.is_in_system_header:
            return True
        return any(self.user_code(a, depth + 1) for a in t.template_arguments)

    def nodes(self, roots, skip=()) -> Optional[str]:
        """Why the code under ``roots`` (minus the subtrees in ``skip``) may see the sequence, or None."""
        skipped = {id(n) for n in skip}
        stack = list(reversed(roots))
        while stack:
            n = stack.pop()
            if id(n) in skipped:
                continue
            self.budget -= 1
            if self.budget < 0:
                return "it calls more code than hotlint follows to prove the copy is never seen"
            if n.is_expression or n.kind in ("VAR_DECL", "PARM_DECL"):
                if self.involves(n.type):
                    return (f"it uses another `{self.name}` (`{_short(n)}`) while the loop works on a copy of "
                            f"`{self.container}`")
            if n.kind == "CALL_EXPR":
                why = self.call(n)
                if why is not None:
                    return why
            if n.kind == "VAR_DECL" and _stripped(n.type).is_record:
                why = self.record(_stripped(n.type))  # its destructor runs in the loop
                if why is not None:
                    return why
            stack.extend(reversed(n.children))
        return None

    def call(self, call) -> Optional[str]:
        callee = call.referenced
        if callee is None:
            return "it calls through a pointer or a name resolved only at instantiation, which hotlint cannot follow"
        name = _std_name(callee.qualified_name) or callee.spelling
        if callee.is_in_system_header:
            operands = list(call.arguments)
            head = call.children[0] if call.children else None
            if head is not None and head.kind == "MEMBER_REF_EXPR" and head.children:
                operands.append(head.children[0])
            if any(self.user_code(o.type) for o in operands):
                return f"it passes its own types to `{name}`, which may call back into code hotlint cannot see"
            short = name[len("std::"):] if name.startswith("std::") else name
            if callee.kind == "FUNCTION_DECL" and (short in _PURE or short in _PURE_FLOAT):
                return None
            owner = callee.semantic_parent
            if callee.kind != "FUNCTION_DECL" and owner is not None and _std_name(owner.qualified_name) in _VALUE_CLASSES:
                return None
            return (f"it calls `{name}`, which hotlint cannot follow: it could read or change `{self.container}` "
                    "while the loop works on a copy")
        if callee.is_virtual:
            return (f"it makes a virtual call to `{name}`, and an override hotlint cannot pin down could read "
                    f"or change `{self.container}` while the loop works on a copy")
        why = self.function(callee)
        if why is None and callee.kind == "CONSTRUCTOR" and callee.semantic_parent is not None:
            why = self.record(callee.semantic_parent.type)
        return why

    def function(self, callee) -> Optional[str]:
        definition = callee.definition
        if definition is None:
            return (f"it calls `{callee.spelling}`, whose body hotlint cannot see: it could read or change "
                    f"`{self.container}` while the loop works on a copy")
        key = definition
        if key in self.functions:
            return self.functions[key]
        self.functions[key] = None  # a recursive call adds nothing new
        why = self.nodes([definition])
        if why is None and not any(c.kind == "COMPOUND_STMT" for c in definition.children) and \
                definition.kind in ("CONSTRUCTOR", "DESTRUCTOR", "CXX_METHOD") and definition.semantic_parent is not None:
            why = self.record(definition.semantic_parent.type)  # implicit: runs the members' own
        if why is not None and not why.startswith(f"it calls `{callee.spelling}`"):
            why = f"it calls `{callee.spelling}`, which {why[len('it '):] if why.startswith('it ') else why}"
        self.functions[key] = why
        return why

    def record(self, t) -> Optional[str]:
        """Why constructing, copying or destroying a ``t`` may see the sequence: a special member
        written in this program that does, or a field whose type's does."""
        t = _stripped(t)
        if not t.is_record or t.declaration is None or t.declaration.is_in_system_header:
            return None if not self.user_code(t) else f"it uses `{t.spelling}`, whose members hotlint cannot follow"
        key = t.unqualified_name
        if key in self.records:
            return self.records[key]
        self.records[key] = None
        if self.involves(t):
            why = f"it uses `{t.spelling}`, which holds a `{self.name}`"
        else:
            why = None
            decl = t.declaration.definition or t.declaration
            for member in decl.children:
                if member.kind in ("CONSTRUCTOR", "DESTRUCTOR") or (
                        member.kind == "CXX_METHOD" and member.spelling == "operator="):
                    if any(c.kind == "COMPOUND_STMT" for c in member.children):
                        why = self.function(member)
                elif member.kind == "FIELD_DECL":
                    why = self.record(member.type)
                if why is not None:
                    break
        self.records[key] = why
        return why


def _short(node) -> str:
    """A node as a reader would write it: a declaration's name, an expression's tokens."""
    if node.is_declaration or not node.tokens:
        return node.spelling
    text = re.sub(r"\s*([^\w\s])\s*", r"\1", " ".join(node.tokens[:12]))
    return text if len(text) <= 40 else text[:37] + "..."


def _returns_value(t, depth: int = 0) -> bool:
    """A returned ``t`` holds no pointer or reference that could point into the loop's copy."""
    if depth > 4:
        return False
    c = t.canonical
    if c.kind == "VOID" or c.kind in _SCALAR_KINDS:
        return True
    if not t.is_record:
        return False
    decl = t.declaration
    if decl is None:
        return False
    if decl.is_in_system_header:
        return _std_name(t.record_name or "") in ("std::basic_string", "std::vector", "std::array", "std::optional",
                                                  "std::pair", "std::tuple", "std::complex") and all(
            _returns_value(a, depth + 1) for a in t.template_arguments)
    return all(_returns_value(ft, depth + 1) for ft in t.field_types().values())


def bridge_refusal(view, loop, sweep, container: str) -> Optional[str]:
    """Why running ``loop`` on a struct of arrays copied from ``container`` (and storing back
    the fields it writes) might not keep the program's behaviour, or None when it does: every
    element use is followed, nothing else in the loop uses the record type, and every function
    the loop calls is followed through this file (or is a pure standard one) without meeting it.
    Other threads are outside what one file shows; the rule's documentation says so."""
    if sweep.unfollowed:
        return sweep.unfollowed
    node, parts = loop.node, loop.parts()
    body = parts["body"]
    for site in sweep.site_nodes:
        if any(a.kind == "LAMBDA_EXPR" and a.is_within(node) for a in site.ancestors()):
            return "it uses the element inside a lambda, which would need the struct of arrays captured"
    if any(t in ("co_await", "co_yield", "co_return") for t in node.tokens):
        return "it suspends a coroutine, and other code could see the sequence while the loop works on a copy"
    fn = view.enclosing_function(node)
    if fn is not None and _has_return(body) and not _returns_value(fn.node.result_type):
        return ("it returns from the function, and the result could point into the struct of arrays, "
                "which lives only as long as the loop")
    if _keeps_reference(body):
        return "it takes the address of a reference bound in its body, which could outlive the loop"
    reach = _Reach(sweep.element, container)
    roots = [body] if node.kind == "CXX_FOR_RANGE_STMT" else [
        p for p in (parts["init"], parts["condition"], parts["increment"], body) if p is not None]
    skip = list(sweep.site_nodes) + _size_queries(roots, sweep.container_decl)
    return reach.nodes(roots, skip)


def _keeps_reference(body) -> bool:
    """`&r` of a reference declared in the loop: `r` may be bound to the loop's copy."""
    for n in body.walk():
        if n.kind == "UNARY_OPERATOR" and n.operator == "&" and n.children:
            target = n.children[0]
            while target.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and target.children:
                target = target.children[0]
            ref = target.referenced if target.kind == "DECL_REF_EXPR" else None
            if ref is not None and ref.kind == "VAR_DECL" and ref.type.is_reference and ref.file == body.file \
                    and body.range.contains(ref.range):
                return True
    return False


def _has_return(body) -> bool:
    stack = [body]
    while stack:
        n = stack.pop()
        if n.kind == "RETURN_STMT":
            return True
        if n.kind != "LAMBDA_EXPR":  # a lambda's return leaves the lambda, not the loop
            stack.extend(n.children)
    return False


def _size_queries(roots, decl) -> list:
    """`v.size()`, `v.empty()`, `std::size(v)` of the sequence itself: the struct of arrays has
    as many elements, and nothing in the loop can change that."""
    out = []
    if decl is None:
        return out
    for root in roots:
        for n in root.walk():
            if n.kind != "CALL_EXPR" or n.spelling not in ("size", "empty", "ssize"):
                continue
            refs = [m for m in n.walk() if m.kind in ("DECL_REF_EXPR", "MEMBER_REF_EXPR")
                    and m.referenced is not None and m.referenced.is_same_declaration(decl)]
            if refs and all(m.kind != "CALL_EXPR" or m is n for m in n.walk()):  # nothing else is called
                out.append(n)
    return out


def refuse_layout(element) -> Optional[str]:
    """Why no struct-of-arrays form of the record can be offered at all, or None."""
    for name, t in element.field_types().items():
        if t.contains_atomic():
            return (f"`{name}` holds an atomic: a struct of arrays cannot copy it, and packing atomics that "
                    "different threads write into one array would put them on shared cache lines")
    return None


# --------------------------------------------------------------------------- in-file migration


def _strip(n):
    while n.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and len(n.children) == 1:
        n = n.children[0]
    return n


def _vector_of(t, element) -> bool:
    t = t.non_reference() if t.is_reference else t
    args = t.template_arguments if t.is_record else []
    return t.record_name == "std::vector" and bool(args) and args[0].unqualified_name == element.unqualified_name


def _loop_over(view, loop, sweep, container: str, index: str, hot: set[str]) -> Optional[str]:
    """The loop indexing the struct of arrays ``container`` directly."""
    def access(name: str) -> str:
        return f"{container}.{name}[{index}]" if name in hot else f"{container}.cold[{index}].{name}"

    node, body = loop.node, loop.parts()["body"]
    if node.kind == "CXX_FOR_RANGE_STMT":
        body_text = _apply(view, body.range, [(r, access(n)) for r, n in sweep.sites])
        header = f"for (std::size_t {index} = 0; {index} < {container}.size(); ++{index})"
        return f"{header} {body_text}" if body_text.startswith("{") else f"{header}\n{body_text}"
    return _apply(view, node.range, [(r, access(n)) for r, n in sweep.sites])


def _covered(ref, loops) -> bool:
    return any(ref is n or ref.is_within(n) for n in loops)


def _size_call(ref) -> bool:
    """`v.size()` / `v.empty()`: the struct of arrays answers both."""
    p = ref.parent
    while p is not None and p.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR"):
        p = p.parent
    return p is not None and p.kind == "MEMBER_REF_EXPR" and p.spelling in ("size", "empty")


def migrate(view, loop, sweep, layout, record_node, all_sweeps) -> Optional[Fix]:
    """Move a parameter and the variables its callers pass to a struct of arrays, rewriting every
    loop over them, when nothing else in the file uses them; None when that does not hold."""
    param = sweep.container_decl
    fn = view.enclosing_function(loop.node)
    if param is None or param.kind != "PARM_DECL" or fn is None or fn.node.kind != "FUNCTION_DECL":
        return None
    if layout.is_template_instantiation or not _vector_of(param.type, sweep.element):
        return None
    name = layout.name.split("::")[-1]
    if not re.fullmatch(r"[A-Za-z_]\w*", name) or record_node is None or record_node.file != view.path:
        return None
    if sum(1 for f in view.functions if f.name == fn.name) != 1 or len(
            [n for n in view.nodes("FUNCTION_DECL") if n.spelling == fn.name]) != 1:
        return None  # declared more than once, or overloaded: callers elsewhere may expect the old type
    index_of = next((k for k, p in enumerate(fn.params) if p.is_same_declaration(param)), None)
    if index_of is None:
        return None
    soa = f"{name}SoA"
    # the sequences to migrate: the parameter, and each variable a caller in this file passes for it
    calls = [c for c in view.calls if c.callee is not None and c.callee.is_same_declaration(fn.node)]
    if not calls:
        return None
    variables = []
    for call in calls:
        args = call.arguments
        if index_of >= len(args):
            return None
        arg = _strip(args[index_of])
        var = arg.referenced if arg.kind == "DECL_REF_EXPR" else None
        if var is None or var.kind != "VAR_DECL" or var.file != view.path or not _vector_of(var.type, sweep.element) \
                or var.type.is_reference:
            return None
        if all(not v.is_same_declaration(var) for v in variables):
            variables.append(var)
    covered = [(lp, sw) for lp, sw in all_sweeps
               if sw.container_decl is not None and any(sw.container_decl.is_same_declaration(t)
                                                        for t in [param, *variables])]
    if any(sw.whole or sw.aliases or not sw.container or (lp.node.kind == "FOR_STMT" and not sw.index_name)
           for lp, sw in covered):
        return None
    loop_nodes = [lp.node for lp, _ in covered]
    call_args = [_strip(c.arguments[index_of]) for c in calls]
    for ref in view.nodes("DECL_REF_EXPR"):
        target = ref.referenced
        if target is None or not any(target.is_same_declaration(t) for t in [param, *variables]):
            continue
        if _covered(ref, loop_nodes) or _size_call(ref) or any(ref is a or ref.is_within(a) for a in call_args):
            continue
        return None  # another use would need the old layout
    hot = set()
    for _, sw in covered:
        hot |= set(sw.top_fields)
    type_text = soa_type(name, list(layout.fields), hot)
    anchor = _after_definition(view, record_node)
    if type_text is None or anchor is None:
        return None
    edits = [Edit(Range(anchor, anchor), "\n\n" + type_text)]
    # the parameter's type
    start, at = param.range.start, param.location
    if start.line != at.line:
        return None
    const = "const " if param.type.non_reference().is_const else ""
    edits.append(Edit(Range(start, at), f"{const}{soa}& "))
    # each variable's declaration: `std::vector<T> v = init` -> `TSoA v(init)`
    for var in variables:
        decl = next((n for n in view.nodes("VAR_DECL") if n.is_same_declaration(var)), None)
        if decl is None or decl.range.start.line != decl.location.line:
            return None
        inits = [c for c in decl.children if c.is_expression]
        name_end = Position(decl.location.line, decl.location.column + len(decl.spelling.encode()))
        between = _slice(view, Range(name_end, decl.range.end)) if inits else ""
        if inits and not between.lstrip().startswith("="):
            return None
        init = f"({_slice(view, inits[-1].range)})" if inits else ""
        edits.append(Edit(decl.range, f"{soa} {decl.spelling}{init}"))
    # every loop over them, indexing the struct of arrays
    for lp, sw in covered:
        text = _loop_over(view, lp, sw, sw.container, sw.index_name or _fresh("i", _slice(view, lp.node.range)), hot)
        rng = lp.node.range
        after = view.line_text(rng.end.line).encode()[rng.end.column - 1:]
        if not text.rstrip().endswith(("}", ";")) and after.lstrip().startswith(b";"):
            rng = Range(rng.start, Position(rng.end.line, rng.end.column + after.index(b";") + 1))
            text += ";"
        edits.append(Edit(rng, text))
    includes = [h for h in ("vector", "array", "algorithm", "iterator", "cstddef")
                if not re.search(rf"#\s*include\s*<{h}>", view.text)]
    if includes:
        first = next((k for k, ln in enumerate(view.lines, start=1) if re.match(r"\s*#\s*include\b", ln)), 1)
        edits.insert(0, Edit(Range(Position(first, 1), Position(first, 1)),
                             "".join(f"#include <{h}>\n" for h in includes)))
    names = ", ".join(f"`{v.spelling}`" for v in variables)
    return Fix(f"move `{param.spelling}` of `{fn.name}` and {names} to a struct of arrays `{soa}`, with every loop "
               "over them (a suggestion: review it)", tuple(edits), Applicability.DISPLAY_ONLY)
