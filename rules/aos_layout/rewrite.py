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
the old sequence while the copy is the live one (``bridge.bridge_refusal``). Where the
sequence is a parameter whose callers in this file pass local vectors used nowhere else,
``migrate`` moves them to the new type instead, with every loop over them.

It is a display-only fix: splitting a record changes every place that uses it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Optional

from hotlint.analysis.edits import after_semicolon, fresh_name, include_edits, insert_at_line_start, \
    through_semicolon, word_in
from hotlint.analysis.expressions import initializer, parent_past, same_entity, strip
from hotlint.analysis.kinds import K
from hotlint.analysis.source import declared_name_end, indent_following_lines
from hotlint.analysis.symbols import in_linted_file
from hotlint.analysis.types import is_vector_of
from hotlint.model import Applicability, Edit, Fix, Range

from .bridge import bridge_refusal

if TYPE_CHECKING:  # pragma: no cover
    from hotlint.model import RecordLayout
    from hotlint.view import FileView, Loop

    from . import Sweep

_ARRAY = re.compile(r"^(.*?)\s*\[(\d+)\]$")
# what the struct of arrays and the rewritten loops use
_HEADERS = ("vector", "array", "algorithm", "iterator", "cstddef")


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


def refuse_layout(element) -> Optional[str]:
    """Why no struct-of-arrays form of the record can be offered at all, or None."""
    for name, t in element.field_types().items():
        if t.contains_atomic():
            return (f"`{name}` holds an atomic: a struct of arrays cannot copy it, and packing atomics that "
                    "different threads write into one array would put them on shared cache lines")
    return None


def _record_name(layout: "RecordLayout") -> Optional[str]:
    """The record's last name, when it is an identifier the SoA type can be named after."""
    name = layout.name.split("::")[-1]
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else None


def _index(source, loop: "Loop", sweep: "Sweep") -> str:
    """The index of the rewritten loop: an indexed loop's own, else a name its text does not use."""
    if sweep.index_name:
        return sweep.index_name
    return fresh_name(["i", "i_", "i_soa", "soa_index"], word_in(source.text(loop.node.range, strict=True)),
                      "hotlint_index")


def _loop_over(source, loop: "Loop", sweep: "Sweep", soa: str, index: str, access: Callable[[str], str]) -> str:
    """The loop with each use of an element's field replaced by ``access(field)``; a range-for
    becomes a loop indexing the struct of arrays ``soa``."""
    node, body = loop.node, loop.parts()["body"]
    replacements = [(r, access(name)) for r, name in sweep.sites]
    if node.kind == K.CXX_FOR_RANGE_STMT:
        body_text = source.replaced(body.range, replacements)
        header = f"for (std::size_t {index} = 0; {index} < {soa}.size(); ++{index})"
        return f"{header} {body_text}" if body_text.startswith("{") else f"{header}\n{body_text}"
    return source.replaced(node.range, replacements)


def _type_edit(view: "FileView", record_node, type_text: str) -> Optional[Edit]:
    """The struct of arrays inserted after the record's definition when this file has it."""
    if record_node is None or not in_linted_file(view, record_node, normalize=False):
        return None
    anchor = after_semicolon(view.source, record_node.range.end)
    return Edit(Range(anchor, anchor), "\n\n" + type_text) if anchor is not None else None


# --------------------------------------------------------------------------- the bridge around one loop


def loop_rewrite(view: "FileView", loop: "Loop", sweep: "Sweep", soa_name: str, container: str,
                 written: set[str]) -> Optional[str]:
    """The loop on the struct of arrays, in a block bridging from and to ``container``."""
    node = loop.node
    body = loop.parts()["body"]
    if body is None or not sweep.sites or sweep.aliases:
        return None
    if node.kind != K.CXX_FOR_RANGE_STMT and not (node.kind == K.FOR_STMT and sweep.index_name):
        return None
    source = view.source
    var = f"{re.sub(r'[^A-Za-z0-9_]', '_', container)}_soa"
    index = _index(source, loop, sweep)
    loop_text = _loop_over(source, loop, sweep, var, index, lambda name: f"{var}.{name}[{index}]")
    if not loop_text.rstrip().endswith(("}", ";")):
        loop_text += ";"  # a body without braces: its `;` lies past the statement's extent
    indent = source.indentation(node.range.start.line, any_whitespace=True)
    inner = indent_following_lines(loop_text, "    ")
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


def soa_fix(view: "FileView", loop: "Loop", sweep: "Sweep", layout: "RecordLayout",
            record_node) -> tuple[Optional[Fix], Optional[str]]:
    """The display-only struct-of-arrays fix for one finding, or (None, why not) when it cannot
    be built or cannot be shown to keep the program's behaviour (why is None when the reason is
    only that the loop reaches elements in a way the rewrite does not handle)."""
    container = sweep.container
    if container is None or layout.is_template_instantiation:
        return None, None
    name = _record_name(layout)
    if name is None:
        return None, None
    type_text = soa_type(name, list(layout.fields), set(sweep.top_fields), written=sweep.written, guard=True)
    if type_text is None:
        return None, None
    soa_name = f"{name}SoA"
    loop_text = loop_rewrite(view, loop, sweep, soa_name, container, sweep.written)
    if loop_text is None:
        return None, None
    refusal = bridge_refusal(view, loop, sweep, container)
    if refusal is not None:
        return None, refusal
    source = view.source
    type_edit = _type_edit(view, record_node, type_text)
    if type_edit is None:  # before the function, when the record is defined elsewhere
        fn = view.enclosing_function(loop.node)
        if fn is None or not in_linted_file(view, fn.node, normalize=False):
            return None, None
        type_edit = insert_at_line_start(fn.node.range.start.line, type_text + "\n\n")
    edits = [*include_edits(source, _HEADERS, placement="before-first-include"), type_edit,
             Edit(through_semicolon(source, loop.node.range), loop_text)]
    return Fix(f"rewrite `{name}` as struct of arrays for this loop (a suggestion: review and migrate)",
               tuple(edits), Applicability.DISPLAY_ONLY), None


# --------------------------------------------------------------------------- in-file migration


def migrate(view: "FileView", loop: "Loop", sweep: "Sweep", layout: "RecordLayout", record_node,
            all_sweeps) -> Optional[Fix]:
    """Move a parameter and the variables its callers pass to a struct of arrays, rewriting every
    loop over them, when nothing else in the file uses them; None when that does not hold."""
    param = sweep.container_decl
    fn = view.enclosing_function(loop.node)
    if param is None or param.kind != K.PARM_DECL or fn is None or fn.node.kind != K.FUNCTION_DECL:
        return None
    if layout.is_template_instantiation or not is_vector_of(param.type, sweep.element):
        return None
    name = _record_name(layout)
    if name is None or record_node is None or not in_linted_file(view, record_node, normalize=False):
        return None
    if sum(1 for f in view.functions if f.name == fn.name) != 1 or len(
            [n for n in view.nodes(K.FUNCTION_DECL) if n.spelling == fn.name]) != 1:
        return None  # declared more than once, or overloaded: callers elsewhere may expect the old type
    index_of = next((k for k, p in enumerate(fn.params) if same_entity(p, param)), None)
    if index_of is None:
        return None
    soa = f"{name}SoA"
    # the sequences to migrate: the parameter, and each variable a caller in this file passes for it
    calls = [c for c in view.calls if same_entity(c.callee, fn.node)]
    if not calls:
        return None
    variables = []
    for call in calls:
        args = call.arguments
        if index_of >= len(args):
            return None
        arg = strip(args[index_of], only_child=True)
        var = arg.referenced if arg.kind == K.DECL_REF_EXPR else None
        if var is None or var.kind != K.VAR_DECL or not in_linted_file(view, var, normalize=False) \
                or not is_vector_of(var.type, sweep.element) or var.type.is_reference:
            return None
        if not any(same_entity(v, var) for v in variables):
            variables.append(var)
    sequences = [param, *variables]
    covered = [(lp, sw) for lp, sw in all_sweeps
               if any(same_entity(sw.container_decl, t) for t in sequences)]
    if any(sw.whole or sw.aliases or not sw.container or (lp.node.kind == K.FOR_STMT and not sw.index_name)
           for lp, sw in covered):
        return None
    loop_nodes = [lp.node for lp, _ in covered]
    call_args = [strip(c.arguments[index_of], only_child=True) for c in calls]
    for ref in view.nodes(K.DECL_REF_EXPR):
        if not any(same_entity(ref.referenced, t) for t in sequences):
            continue
        if any(ref is n or ref.is_within(n) for n in loop_nodes) or _size_call(ref) \
                or any(ref is a or ref.is_within(a) for a in call_args):
            continue
        return None  # another use would need the old layout
    hot = set()
    for _, sw in covered:
        hot |= set(sw.top_fields)
    type_text = soa_type(name, list(layout.fields), hot)
    type_edit = _type_edit(view, record_node, type_text) if type_text is not None else None
    if type_edit is None:
        return None
    edits = [type_edit]
    # the parameter's type
    start, at = param.range.start, param.location
    if start.line != at.line:
        return None
    const = "const " if param.type.non_reference().is_const else ""
    edits.append(Edit(Range(start, at), f"{const}{soa}& "))
    # each variable's declaration: `std::vector<T> v = init` -> `TSoA v(init)`
    source = view.source
    for var in variables:
        decl = next((n for n in view.nodes(K.VAR_DECL) if same_entity(n, var)), None)
        if decl is None or decl.range.start.line != decl.location.line:
            return None
        init = initializer(decl)
        if init is not None and not source.text(Range(declared_name_end(decl), decl.range.end),
                                                strict=True).lstrip().startswith("="):
            return None
        init_text = f"({source.text(init.range, strict=True)})" if init is not None else ""
        edits.append(Edit(decl.range, f"{soa} {decl.spelling}{init_text}"))
    # every loop over them, indexing the struct of arrays
    for lp, sw in covered:
        index = _index(source, lp, sw)

        def access(field: str, c=sw.container, i=index) -> str:
            return f"{c}.{field}[{i}]" if field in hot else f"{c}.cold[{i}].{field}"

        text = _loop_over(source, lp, sw, sw.container, index, access)
        rng = lp.node.range
        if not text.rstrip().endswith(("}", ";")):
            extended = through_semicolon(source, rng)
            if extended is not rng:
                rng, text = extended, text + ";"
        edits.append(Edit(rng, text))
    edits[:0] = include_edits(source, _HEADERS, placement="before-first-include")
    names = ", ".join(f"`{v.spelling}`" for v in variables)
    return Fix(f"move `{param.spelling}` of `{fn.name}` and {names} to a struct of arrays `{soa}`, with every loop "
               "over them (a suggestion: review it)", tuple(edits), Applicability.DISPLAY_ONLY)


def _size_call(ref) -> bool:
    """`v.size()` / `v.empty()`: the struct of arrays answers both."""
    parent = parent_past(ref)[1]
    return parent is not None and parent.kind == K.MEMBER_REF_EXPR and parent.spelling in ("size", "empty")
