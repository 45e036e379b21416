"""The struct-of-arrays rewrite behind aos-layout's findings.

From the record's real layout and the loop's use of it, build:

- ``<Record>SoA``: one contiguous array per hot field (a member record such as a
  ``Vec3`` stays whole: ``std::vector<Vec3>``), the cold fields together in a
  ``Cold`` record, and a bridge to the old layout (``assign`` from and ``store``
  into any indexable sequence of the record);
- the loop rewritten over the struct of arrays, inside a block that builds it from
  the old container and, when the loop writes, stores it back — so the suggestion
  compiles and keeps the program's meaning as it stands, while its note says the
  saving comes once the container itself holds the new layout.

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


def soa_type(record_name: str, fields, hot: set[str], indent: str = "") -> Optional[str]:
    """The struct-of-arrays type, or None when a field cannot be carried (bitfields, nested arrays)."""
    if any(f.is_bitfield or f.is_base or f.name == "<anonymous>" for f in fields):
        return None
    if any(f.type_name.count("[") > 1 for f in fields):
        return None
    hot_fields = [f for f in fields if f.name in hot]
    cold_fields = [f for f in fields if f.name not in hot]
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
        "    // Migration bridge: build from, and store back into, any indexable sequence of",
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
    lines += ["        }", "    }", "", "    template <class Seq>", "    void store(Seq& aos) const {",
              f"        for (std::size_t {i} = 0; {i} < size(); ++{i}) {{"]
    for f in hot_fields:
        lines.append(f"            {_copy(f'aos[{i}].{f.name}', f'{f.name}[{i}]', _field_type(f.type_name)[1] is not None)}")
    lines += ["        }", "    }", "};"]
    return "\n".join(indent + ln if ln else ln for ln in lines)


def loop_rewrite(view, loop, sweep, soa_name: str, container: str, writes: bool) -> Optional[str]:
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
        f"{indent}    {inner}",
    ]
    if writes:
        out.append(f"{indent}    {var}.store({container});")
    out.append(f"{indent}}}")
    return "\n".join(out)


def rewrite(view, loop, sweep, layout, record_node, container: Optional[str]) -> Optional[Fix]:
    """The display-only struct-of-arrays fix for one finding, or None when it cannot be built."""
    if container is None or layout.is_template_instantiation:
        return None
    hot = set(sweep.top_fields)
    name = layout.name.split("::")[-1]
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        return None
    type_text = soa_type(name, [f for f in layout.fields], hot)
    if type_text is None:
        return None
    soa_name = f"{name}SoA"
    loop_text = loop_rewrite(view, loop, sweep, soa_name, container, sweep.writes)
    if loop_text is None:
        return None
    edits = []
    anchor = _after_definition(view, record_node) if record_node is not None else None
    if anchor is None:
        fn = view.enclosing_function(loop.node)
        if fn is None or fn.node.file != view.path:
            return None
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
               tuple(edits), Applicability.DISPLAY_ONLY)


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
