"""aliasing-vectorization: loops whose stores may alias their inputs or their bound."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, Optional

from hotlint.model import Applicability, Edit, Position, Range, Severity
from hotlint.rule import Finding, Rule, fix
from hotlint.view import LOOP_KINDS

from ._padding_waste_layout import is_source_file

# Clang's LoopAccessAnalysis emits at most this many run-time overlap checks
# (-runtime-memory-check-threshold); gcc stops at --param vect-max-version-for-alias-checks.
CLANG_MAX_CHECKS = 8
GCC_MAX_CHECKS = 10

_SCALAR_KINDS = frozenset({
    "BOOL", "CHAR_U", "UCHAR", "CHAR16", "CHAR32", "USHORT", "UINT", "ULONG", "ULONGLONG", "UINT128",
    "CHAR_S", "SCHAR", "WCHAR", "SHORT", "INT", "LONG", "LONGLONG", "INT128", "HALF", "FLOAT",
    "DOUBLE", "LONGDOUBLE", "FLOAT128", "FLOAT16", "BFLOAT16", "CHAR8", "POINTER", "ENUM",
})
# Signed and unsigned variants of one integer type share an alias set in C and C++.
_UNSIGNED_OF = {"INT": "UINT", "LONG": "ULONG", "LONGLONG": "ULONGLONG", "SHORT": "USHORT",
                "INT128": "UINT128"}
_SIGNED_OF = {v: k for k, v in _UNSIGNED_OF.items()}
_CASTS = frozenset({"UNEXPOSED_EXPR", "PAREN_EXPR", "CSTYLE_CAST_EXPR", "CXX_STATIC_CAST_EXPR",
                    "CXX_REINTERPRET_CAST_EXPR", "CXX_CONST_CAST_EXPR", "CXX_FUNCTIONAL_CAST_EXPR"})
_ACCESS_KINDS = frozenset({"DECL_REF_EXPR", "MEMBER_REF_EXPR", "ARRAY_SUBSCRIPT_EXPR", "UNARY_OPERATOR"})
_EXITS = frozenset({"BREAK_STMT", "CONTINUE_STMT", "RETURN_STMT", "GOTO_STMT", "INDIRECT_GOTO_STMT",
                    "CXX_THROW_EXPR", "ASM_STMT", "GCC_ASM_STMT", "MS_ASM_STMT", "CXX_TRY_STMT"})
_CONDITIONAL = frozenset({"IF_STMT", "SWITCH_STMT", "CONDITIONAL_OPERATOR"})
# Calls the vectorizer sees through; library math that may set errno (sqrt, exp, ...) keeps a
# loop scalar by default and is left out on purpose.
_PURE_STD = frozenset({"std::min", "std::max", "std::clamp", "std::abs", "std::fabs", "std::fmin",
                       "std::fmax", "std::copysign"})
_PURE_C = frozenset({"abs", "labs", "fabs", "fabsf", "fmin", "fminf", "fmax", "fmaxf", "copysign",
                     "copysignf"})
_KEYWORDS = frozenset({"new", "delete", "this", "int", "char", "float", "double", "long", "short",
                       "auto", "const", "signed", "unsigned", "default", "register", "operator"})


@dataclass(frozen=True)
class _Loc:
    """Where an lvalue lives: a top object and the member path from it.

    top is ('this',), ('ref', decl), ('global', decl), ('local', decl) or
    ('ptr', origin) for whatever a pointer points to; path holds field
    declarations and '[]' for an array element.
    """

    top: tuple
    path: tuple = ()
    restrict: bool = False
    param: Optional[object] = None  # the pointer/reference parameter the access goes through

    @property
    def is_memory(self) -> bool:
        return self.top[0] != "local"

    def member(self, field) -> "_Loc":
        return _Loc(self.top, self.path + (field,), self.restrict, self.param)

    def element(self) -> "_Loc":
        return _Loc(self.top, self.path + ("[]",), self.restrict, self.param)

    def key(self) -> tuple:
        return self.top + self.path


@dataclass(eq=False)
class _Access:
    node: object
    loc: _Loc
    store: bool
    invariant: bool
    in_condition: bool
    indirect: bool = False  # its address depends on another load (`x[idx[i]]`)

    @property
    def type(self):
        return self.node.type


@dataclass(eq=False)
class _Pair:
    store: _Access
    load: _Access
    kind: str  # one of _PRIORITY


_MAX_NOTES = 4
_PRIORITY = ("bound", "base-pointer", "accumulator", "clang-member", "indirect", "invariant", "stream")
_NOT_VECTORIZED = frozenset({"bound", "base-pointer", "accumulator", "clang-member", "indirect"})


class AliasingVectorization(Rule):
    """A loop the compiler cannot vectorize cleanly because a store may alias its inputs or its bound.

    ## What it does
    Looks at innermost counted `for` loops that gcc or clang could vectorize (an induction
    variable, no early exit, no opaque call, no conditional store) and finds each store that,
    by the language's aliasing rules, may write the memory of a value the loop reads:

    - a store through a pointer (or reference) parameter and a load through another pointer
      of a compatible type, with no `__restrict__` on either (`y[i] += a * x[i]`);
    - a store through `char`, `signed char`, `unsigned char`, `uint8_t`, `int8_t` or
      `std::byte` — types that may alias any object — while the loop bound, the pointer
      stored through or another invariant is read from memory (`buf.len`, `this->n_`, `*scale`);
    - a member function storing to a member array while reading another member of the same
      type (or any member, for a byte array);
    - a running total kept in memory (`sum_ += x[i]`, `int& count`) next to loads of its type;
    - loops over so many pointer streams that the run-time overlap checks the vectorizer
      needs exceed what it will emit (clang: 8, gcc: 10).

    Types follow strict aliasing: `int` and `float` never alias, signed and unsigned variants
    of one type do, character types alias everything. Stores to local variables and arrays,
    loops that only read, and values copied to locals before the loop are never reported.

    ## Why is this bad?
    A vectorized loop loads several iterations' inputs before it stores their results. That is
    only correct when no store feeds a later load, which the compiler must prove. When a store
    may alias a load it either adds a run-time overlap check and keeps a scalar copy of the
    loop (more code, a branch per call, and the scalar copy runs when the check is
    inconclusive), or gives up: when the bound itself may change under the loop's own stores
    (`i < buf.len` with a byte store) the trip count is unknown and the loop runs one element
    at a time, typically 4–16x slower for bytes and floats. The measured slow/fast ratio comes
    from the rule's bench pair: run `hotlint bench aliasing-vectorization`.

    ## Example
    ```cpp
    struct Buf { unsigned char* data; int len; };
    void mask(Buf& buf, unsigned char key) {
        for (int i = 0; i < buf.len; ++i)
            buf.data[i] ^= key;   // may modify buf.len and buf.data themselves
    }
    void axpy(float* y, const float* x, float a, int n) {
        for (int i = 0; i < n; ++i)
            y[i] += a * x[i];     // y may overlap x
    }
    ```

    ## Use instead
    ```cpp
    void mask(Buf& buf, unsigned char key) {
        const auto len = buf.len;
        const auto data = buf.data;
        for (int i = 0; i < len; ++i)
            data[i] ^= key;
    }
    void axpy(float* __restrict__ y, const float* x, float a, int n) {
        for (int i = 0; i < n; ++i)
            y[i] += a * x[i];
    }
    ```

    ## Fix safety
    When every value the store may alias is loop-invariant, the fix copies those values to
    `const auto` locals before the loop and uses the copies. That is safe (applied by `--fix`)
    when the stores go to a member array of the same object whose other members are copied:
    writing another member through the array would be undefined behaviour. Otherwise it is
    unsafe: it changes behaviour if the loop really does write the copied value. When the loop
    streams through several pointers the fix adds `__restrict__` (`restrict` in C) to the
    pointer or reference parameters stored through, or, when the store goes to a member or a
    global, to the parameter read from (either side of a pair is enough). That is only
    correct if no caller ever passes overlapping memory, so it is unsafe unless the file
    proves it. It is **safe** when all of these hold:

    - the function is a free function (not a member, template or lambda) with internal
      linkage (`static`, or in an anonymous namespace) in a source file, and no `#include`
      follows its first declaration: every caller is in the linted code;
    - its address is never taken: every use of its name is a direct call;
    - every call passes, for each parameter that gets `__restrict__` and each other pointer
      or reference parameter that may reach the same memory (a compatible type by the
      aliasing rules, `void*`, a record), a named variable that is provably a different
      object: different local or global arrays and variables (`a`, `&a[0]`, `a + 1`, `&x`)
      or the buffers of different `std::vector` / `std::array` / `std::string` variables
      (`v.data()`, `&v[0]`), none of them holding pointers;
    - the function reaches no restricted argument another way: the globals it (or a leaf
      helper it calls) names are never passed for a restricted parameter, it names no global
      that holds a pointer, takes no parameter that points to pointers or to a record holding
      them, and calls nothing but `std::min`-like helpers and leaf functions of the file.

    Anything else keeps it unsafe: external linkage (another translation unit may call it),
    one variable passed twice (also as pointer arithmetic on one base, or two members of one
    object), a parameter passed through, a pointer variable, a reference or a call's result
    as an argument, a pointer to the function. Parameters of an enclosing function captured
    by a lambda get no fix.

    ## Options
    None. The check limits it quotes (clang 8, gcc 10 run-time checks) are the compilers'
    defaults.

    ## References
    - C++ standard, [basic.lval]/11 (the strict aliasing rule) and C11 6.7.3.1 (`restrict`)
    - GCC: `--param vect-max-version-for-alias-checks`; LLVM: `-runtime-memory-check-threshold`
    - LLVM Loop Vectorizer documentation, "Runtime Checks of Pointers"
    - Mike Acton, "Understanding Strict Aliasing" (CellPerformance)
    """

    name = "aliasing-vectorization"
    summary = "a store may alias the loop's inputs or bound, so the loop is versioned or not vectorized"
    severity = Severity.WARNING
    needs_layout = True  # an unknown type parses as int and would invent int/int aliasing
    options = {}

    def check(self, view) -> Iterator[Finding]:
        functions: dict[int, _FunctionFacts] = {}
        callers = _Callers(view)  # gathered on first use: only a `__restrict__` fix asks
        for loop in view.loops:
            if loop.node.kind != "FOR_STMT" or loop.function is None:
                continue
            # a lambda's locals may be the enclosing function's: scan that whole function
            fn = loop.function
            while fn.node.kind == "LAMBDA_EXPR" and fn.node.parent is not None:
                outer = view.enclosing_function(fn.node.parent)
                if outer is None:
                    break
                fn = outer
            facts = functions.get(id(fn))
            if facts is None:
                facts = functions[id(fn)] = _FunctionFacts(fn)
            finding = _check_loop(self, view, loop, facts, callers)
            if finding is not None:
                yield finding


# --------------------------------------------------------------------------- loop analysis


class _FunctionFacts:
    """Variables assigned with `=` anywhere in a function: their origin is not their initializer."""

    def __init__(self, function):
        self.function = function
        self.reassigned = set()
        for n in function.node.walk():
            if n.kind == "BINARY_OPERATOR" and n.operator == "=" and n.children:
                target = _strip(n.children[0])
                if target.kind == "DECL_REF_EXPR" and target.referenced is not None:
                    self.reassigned.add(target.referenced)

    @cached_property
    def identifiers(self) -> set:
        """Names used unqualified in the function (only a fix that adds locals needs them)."""
        toks = self.function.node.tokens
        # `buf.len` does not stop a local from being called `len`; an unqualified `len` does
        return {t for i, t in enumerate(toks) if t.isidentifier() and (i == 0 or toks[i - 1] not in (".", "->"))}


def _check_loop(rule, view, loop, facts, callers) -> Optional[Finding]:
    parts = loop.parts()
    cond, inc, body = parts["condition"], parts["increment"], parts["body"]
    if cond is None or inc is None or body is None or not _simple_induction(inc):
        return None
    scope = [cond, inc, body]
    if not _vectorizable_shape(body, scope):
        return None
    modified = _modified_variables(scope)
    accesses = []
    for part in scope:
        for n in part.walk():
            acc = _access(n, facts, modified, cond)
            if acc is _GIVE_UP:
                return None
            if acc is not None:
                accesses.append(acc)
    stores = [a for a in accesses if a.store]
    if not stores or any(_conditional(s.node, body) for s in stores):
        return None
    loads = [a for a in accesses if not a.store]
    if any(_indirect(s, loads) for s in stores):
        return None  # a scatter (`hist[bucket[i]]++`) is not vectorized whatever its aliasing
    for ld in loads:
        ld.indirect = _indirect(ld, loads)
    pairs = []
    for s in stores:
        for other in loads + [t for t in stores if t is not s]:
            kind = _pair_kind(s, other)
            if kind is not None:
                pairs.append(_Pair(s, other, kind))
    if not pairs:
        return None
    checks = _runtime_checks(pairs)
    pairs.sort(key=lambda p: (_PRIORITY.index(p.kind), p.store.node.range.start, p.load.node.range.start))
    pairs = _dedupe(pairs, view)
    primary = pairs[0]
    many = checks > CLANG_MAX_CHECKS and primary.kind in ("invariant", "stream")
    message = _message(view, primary, checks if many else 0)
    notes = [_also(view, p) for p in pairs[1:1 + _MAX_NOTES]]
    if len(pairs) > 1 + _MAX_NOTES:
        notes.append(f"... and {len(pairs) - 1 - _MAX_NOTES} more pairs that may alias")
    base = Severity.WARNING if (primary.kind in _NOT_VECTORIZED or many) else Severity.INFO
    the_fix = _local_copy_fix(view, loop, pairs, accesses, facts) or _restrict_fix(view, loop, pairs, callers)
    if the_fix is None and primary.kind == "accumulator":
        notes.append(f"accumulate into a local variable and store it to `{_text(view, primary.store.node)}` "
                     "once after the loop")
    return Finding(primary.store.node.range, message, severity=rule.severity_for(view, primary.store.node, base),
                   fix=the_fix, notes=tuple(notes))


def _indirect(access: _Access, loads) -> bool:
    """True when the access's address depends on a value loaded from memory each iteration."""
    n = _strip(access.node)
    if n.kind == "ARRAY_SUBSCRIPT_EXPR" and len(n.children) == 2:
        where = n.children[1]
    elif n.kind == "UNARY_OPERATOR" and n.children:
        where = n.children[0]
    else:
        return False
    for ld in loads:
        if ld.invariant or not (ld.node is where or ld.node.is_within(where)):
            continue  # an offset read once (`p[hdr->skip + i]`) still walks memory in order
        if n.kind == "UNARY_OPERATOR" and _strip(ld.node).type.is_pointer:
            continue  # `*p` with `p` a member pointer: the base, not an index
        return True
    return False


def _simple_induction(inc) -> bool:
    """`++i`, `i++`, `i += k`, `++p`, or a comma list of them."""
    inc = _strip(inc)
    if inc.kind == "BINARY_OPERATOR" and inc.operator == ",":
        return all(_simple_induction(c) for c in inc.children)
    if inc.kind == "UNARY_OPERATOR" and inc.operator in ("++", "--", "post++", "post--"):
        return _strip(inc.children[0]).kind == "DECL_REF_EXPR"
    if inc.kind == "COMPOUND_ASSIGNMENT_OPERATOR" and inc.operator in ("+=", "-="):
        return _strip(inc.children[0]).kind == "DECL_REF_EXPR"
    return False


def _vectorizable_shape(body, scope) -> bool:
    """No inner loop, early exit, opaque or errno-setting call, volatile or atomic access."""
    for part in scope:
        for n in part.walk():
            k = n.kind
            if k in LOOP_KINDS and n is not body or k in _EXITS or k == "LAMBDA_EXPR":
                return False
            if k == "CALL_EXPR" and not _inlinable_pure_call(n):
                return False
            if k in ("BINARY_OPERATOR", "COMPOUND_ASSIGNMENT_OPERATOR", "UNARY_OPERATOR") and _writes(n):
                target = _strip(n.children[0])
                if target.kind not in _ACCESS_KINDS or target.kind == "UNARY_OPERATOR" and target.operator != "*":
                    return False  # a store the rule cannot place (through a call's result, ...)
            if n.is_expression and (n.type.is_volatile or n.type.is_atomic):
                return False
    return True


def _writes(n) -> bool:
    if not n.children:
        return False
    if n.kind == "UNARY_OPERATOR":
        return n.operator in ("++", "--", "post++", "post--")
    return n.kind == "COMPOUND_ASSIGNMENT_OPERATOR" or n.operator == "="


def _inlinable_pure_call(call) -> bool:
    """A call the vectorizer sees through: a small std helper, or a leaf function of this file."""
    callee = call.referenced
    if callee is None:
        return False
    if callee.qualified_name in _PURE_STD or callee.spelling in _PURE_C:
        return True
    d = callee.definition
    if d is None or d.file is None or d.is_in_system_header:
        return False
    body = [c for c in d.children if c.kind == "COMPOUND_STMT"]
    if not body:
        return False
    return not any(n.kind == "CALL_EXPR" or n.kind in LOOP_KINDS for n in body[0].walk())


def _modified_variables(scope) -> set:
    out = set()
    for part in scope:
        for n in part.walk():
            target = None
            if n.kind in ("BINARY_OPERATOR", "COMPOUND_ASSIGNMENT_OPERATOR") and n.operator in (
                    "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="):
                target = n.children[0] if n.children else None
            elif n.kind == "UNARY_OPERATOR" and n.operator in ("++", "--", "post++", "post--"):
                target = n.children[0] if n.children else None
            elif n.kind == "VAR_DECL":
                out.add(n)
            if target is not None:
                target = _strip(target)
                d = target.referenced if target.kind == "DECL_REF_EXPR" else None
                if d is not None and not d.type.is_reference:  # through a reference, the referent changes
                    out.add(d)
    return out


def _conditional(node, body) -> bool:
    for a in node.ancestors():
        if a.kind in _CONDITIONAL:
            return True
        if a is body:
            return False
    return False


_GIVE_UP = object()


def _access(n, facts, modified, cond):
    """The scalar memory access at ``n``, None when ``n`` is none, _GIVE_UP for an unknown store."""
    if n.kind not in _ACCESS_KINDS:
        return None
    if n.kind == "UNARY_OPERATOR" and n.operator != "*":
        return None
    store = _is_store_target(n)
    if not _is_scalar(n.type):
        return _GIVE_UP if store else None
    parent = _outer(n).parent
    if parent is not None and parent.kind == "UNARY_OPERATOR" and parent.operator == "&":
        return None
    loc = _lvalue(n, facts)
    if loc is None:
        return _GIVE_UP if store else None
    if not loc.is_memory:
        return None
    invariant = _invariant(n, modified)
    in_cond = n is cond or n.is_within(cond)
    return _Access(n, loc, store, invariant, in_cond)


def _outer(n):
    """``n`` with the parentheses around it."""
    while n.parent is not None and n.parent.kind == "PAREN_EXPR":
        n = n.parent
    return n


def _is_store_target(n) -> bool:
    outer = _outer(n)
    parent = outer.parent
    if parent is None or not parent.children:
        return False
    if parent.kind == "BINARY_OPERATOR" and parent.operator == "=" or parent.kind == "COMPOUND_ASSIGNMENT_OPERATOR":
        return parent.children[0] is outer
    if parent.kind == "UNARY_OPERATOR" and parent.operator in ("++", "--", "post++", "post--"):
        return True
    return False


def _invariant(n, modified) -> bool:
    for d in n.walk():
        if d.kind == "CALL_EXPR":
            return False
        if d.kind == "UNARY_OPERATOR" and d.operator in ("++", "--", "post++", "post--"):
            return False
        if d.kind == "DECL_REF_EXPR" and d.referenced is not None and d.referenced in modified:
            return False
    return True


def _is_scalar(t) -> bool:
    return t.canonical.kind in _SCALAR_KINDS


def _strip(n):
    while n.kind in _CASTS and n.children:
        kids = [c for c in n.children if c.kind not in ("TYPE_REF", "NAMESPACE_REF", "TEMPLATE_REF")]
        if len(kids) != 1:
            break
        n = kids[0]
    return n


def _lvalue(e, facts) -> Optional[_Loc]:
    e = _strip(e)
    k = e.kind
    if k == "DECL_REF_EXPR":
        d = e.referenced
        if d is None or d.kind not in ("PARM_DECL", "VAR_DECL"):
            return None
        if d.type.is_reference:
            if d.kind != "PARM_DECL":
                return None  # a local reference: where it points is not tracked
            return _Loc(("ref", d), restrict=d.type.is_restrict, param=d)
        if _is_global(d) and not d.type.is_const:
            return _Loc(("global", d))
        return _Loc(("local", d))  # a const global cannot legally change: as good as a local
    if k == "MEMBER_REF_EXPR":
        field = e.referenced
        if field is None or field.kind != "FIELD_DECL":
            return None
        kids = [c for c in e.children if c.is_expression]
        if not kids:
            owner = _Loc(("this",))
        else:
            obj = kids[0]
            owner = _pointee(obj, facts) if _strip(obj).type.is_pointer else _lvalue(obj, facts)
        return owner.member(field) if owner is not None else None
    if k == "ARRAY_SUBSCRIPT_EXPR":
        kids = e.children
        if len(kids) != 2:
            return None
        base = _pointee(kids[0], facts)
        return base.element() if base is not None else None
    if k == "UNARY_OPERATOR" and e.operator == "*" and e.children:
        base = _pointee(e.children[0], facts)
        return base.element() if base is not None else None
    return None


def _pointee(p, facts, depth: int = 0) -> Optional[_Loc]:
    """The object a pointer expression points into (an array decays to its own location)."""
    if depth > 8:
        return None
    while p.kind in _CASTS and p.children:
        kids = [c for c in p.children if c.kind not in ("TYPE_REF", "NAMESPACE_REF", "TEMPLATE_REF")]
        if len(kids) != 1:
            return None
        inner = kids[0]
        if inner.type.is_array:
            arr = _lvalue(inner, facts)
            return arr
        p = inner
    k = p.kind
    if p.type.is_array:
        return _lvalue(p, facts)
    if k == "CXX_THIS_EXPR":
        return _Loc(("this",))
    if k == "DECL_REF_EXPR":
        d = p.referenced
        if d is None or d.kind not in ("PARM_DECL", "VAR_DECL") or not d.type.is_pointer:
            return None
        if d in facts.reassigned:
            return None
        if d.kind == "PARM_DECL":
            return _Loc(("ptr", ("var", d)), restrict=d.type.is_restrict, param=d)
        if _is_global(d):
            return _Loc(("ptr", ("var", d)), restrict=d.type.is_restrict)
        init = [c for c in d.children if c.is_expression]
        if not init:
            return None
        origin = _pointee(init[-1], facts, depth + 1)
        if origin is None:
            return None
        return _Loc(origin.top, origin.path, origin.restrict or d.type.is_restrict, None)
    if k == "MEMBER_REF_EXPR":
        holder = _lvalue(p, facts)
        if holder is None:
            return None
        return _Loc(("ptr", ("field",) + holder.key()))
    if k == "BINARY_OPERATOR" and p.operator in ("+", "-"):
        for c in p.children:
            if _strip(c).type.is_pointer or _strip(c).type.is_array:
                return _pointee(c, facts, depth + 1)
        return None
    if k == "UNARY_OPERATOR" and p.operator in ("&",) and p.children:
        return _lvalue(p.children[0], facts)
    if k == "UNARY_OPERATOR" and p.operator in ("++", "--", "post++", "post--") and p.children:
        return _pointee(p.children[0], facts, depth + 1)
    return None


def _is_global(d) -> bool:
    if d.kind != "VAR_DECL":
        return False
    if d.storage in ("static", "extern", "thread_local"):
        return True
    parent = d.semantic_parent
    return parent is not None and parent.kind in ("NAMESPACE", "TRANSLATION_UNIT", "STRUCT_DECL", "CLASS_DECL")


# --------------------------------------------------------------------------- aliasing


def _types_may_alias(a, b) -> bool:
    if a.is_byte_like or b.is_byte_like:
        return True
    ca, cb = a.canonical, b.canonical
    ka, kb = ca.kind, cb.kind
    if ka == "POINTER" and kb == "POINTER":
        return True  # gcc gives every pointer type one alias set
    if ka in ("ENUM",) or kb in ("ENUM",):
        return a.unqualified_name == b.unqualified_name
    if ka != kb and _UNSIGNED_OF.get(ka) != kb and _SIGNED_OF.get(ka) != kb:
        return False
    return True


def _pair_kind(s: _Access, other: _Access) -> Optional[str]:
    """How the store ``s`` may alias ``other`` (a load or a second store), or None."""
    if not _types_may_alias(s.type, other.type):
        return None
    sl, ol = s.loc, other.loc
    if sl.restrict or ol.restrict:
        return None
    if sl.top == ol.top:
        if sl.top[0] == "ptr":
            return None  # one pointer: a dependence the vectorizer measures, not an aliasing question
        ps, po = sl.path, ol.path
        if ps and po and ps[0] != po[0]:
            # distinct members of one object: only an array element against a scalar member
            # defeats clang (no struct-path information on array subscripts)
            if other.store or ps[-1] != "[]" or po[-1] == "[]" or not other.invariant or not s.store:
                return None
            return "bound" if other.in_condition else "clang-member"
        return None
    if sl.top[0] == "global" and ol.top[0] == "global":
        return None  # two distinct named objects
    if other.store:
        return "stream"
    if other.in_condition and other.invariant:
        return "bound"
    if other.invariant and sl.top == ("ptr", ("field",) + ol.key()):
        return "base-pointer"
    if s.invariant and (not sl.path or sl.path[-1] != "[]"):
        return "accumulator"
    if other.indirect:
        return "indirect"
    if other.invariant:
        return "invariant"
    return "stream"


def _runtime_checks(pairs) -> int:
    """Overlap checks the vectorizer would need: one per pair of distinct pointer origins."""
    seen = set()
    for p in pairs:
        if p.kind not in ("invariant", "stream"):
            continue
        a, b = p.store.loc.top, p.load.loc.top
        seen.add(frozenset((a, b)))
    return len(seen)


def _dedupe(pairs, view):
    """One pair per (store text, load text): `y[i]` read twice is one finding."""
    out, seen = [], set()
    for p in pairs:
        a, b = _text(view, p.store.node), _text(view, p.load.node)
        key = frozenset((a, b)) if p.load.store else (a, b)
        if key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out


# --------------------------------------------------------------------------- messages


def _text(view, node) -> str:
    r = node.range
    if r.start.line != r.end.line:
        line = view.line_text(r.start.line).encode()
        return line[r.start.column - 1:].decode(errors="replace").strip() + " ..."
    line = view.line_text(r.start.line).encode()
    return line[r.start.column - 1:r.end.column - 1].decode(errors="replace")


def _type_name(t) -> str:
    s = t.spelling
    for q in ("const ", "volatile "):
        s = s.replace(q, "")
    return s


def _types(s: _Access, other: _Access) -> str:
    ts, to = _type_name(s.type), _type_name(other.type)
    if s.type.is_byte_like and not other.type.is_byte_like:
        return f"a store through `{ts}` may modify an object of any type"
    if other.type.is_byte_like and not s.type.is_byte_like:
        return f"a `{to}` access may touch the bytes of an object of any type"
    if ts == to:
        return f"both `{ts}`"
    return f"`{ts}` and `{to}`"


def _message(view, p: _Pair, checks: int) -> str:
    s, ld = _text(view, p.store.node), _text(view, p.load.node)
    head = f"store to `{s}` may alias {_other(view, p)} ({_types(p.store, p.load)})"
    if p.kind == "bound" and p.store.loc.top == p.load.loc.top:
        return (f"{head}: clang re-reads the bound every iteration, cannot compute the trip count and does "
                "not vectorize the loop (gcc can rule the overlap out from the array's bounds)")
    if p.kind == "bound":
        return (f"{head}: the bound is re-read from memory every iteration, so the trip count is unknown "
                "and the loop is not vectorized")
    if p.kind == "base-pointer":
        return f"{head}: the pointer is re-loaded every iteration and the loop is not vectorized"
    if p.kind == "accumulator":
        floating = p.store.type.canonical.kind in ("FLOAT", "DOUBLE", "LONGDOUBLE", "HALF", "FLOAT16", "BFLOAT16")
        tail = "" if floating else ", and the reduction is not vectorized"
        return f"{head}: `{s}` is written to memory and re-read every iteration instead of staying in a register{tail}"
    if p.kind == "clang-member":
        return (f"{head}: clang cannot rule the overlap out and does not vectorize the loop "
                "(gcc can, from the array's bounds)")
    if p.kind == "indirect":
        return (f"{head}: the load's address comes from memory, so no run-time overlap check can cover it "
                "and the loop is not vectorized")
    if checks:
        limit = (f"more than gcc ({GCC_MAX_CHECKS}) or clang ({CLANG_MAX_CHECKS}) will emit, so neither "
                 "vectorizes the loop") if checks > GCC_MAX_CHECKS else (
            f"more than clang will emit ({CLANG_MAX_CHECKS}; gcc stops at {GCC_MAX_CHECKS}), so clang does "
            "not vectorize the loop")
        return f"{head}; {checks} pairs of pointers in this loop may overlap and need run-time checks, {limit}"
    if p.kind == "invariant":
        return (f"{head}: without `__restrict__` `{ld}` is re-read every iteration, or the compiler adds a "
                "run-time overlap check and a scalar copy of the loop")
    return (f"{head}: without `__restrict__` the compiler must re-load or add a run-time overlap check and "
            "keep a scalar copy of the loop")


def _other(view, p: _Pair) -> str:
    ld = _text(view, p.load.node)
    if p.kind == "bound":
        return f"the loop bound `{ld}`"
    if p.kind == "base-pointer":
        return f"the pointer `{ld}` it writes through"
    if p.kind == "clang-member":
        return f"member `{ld}` of the same object"
    return f"the {'store to' if p.load.store else 'load of'} `{ld}`"


def _also(view, p: _Pair) -> str:
    return f"store to `{_text(view, p.store.node)}` may also alias {_other(view, p)} ({_types(p.store, p.load)})"


# --------------------------------------------------------------------------- fixes


def _restrict_fix(view, loop, pairs, callers):
    params = []
    own = loop.function.node.range
    for p in pairs:
        # `__restrict__` on either side of a pair settles it: memory reached through a restrict
        # pointer that is modified in the function is reached through that pointer only
        param = p.store.loc.param or p.load.loc.param
        if param is None or p.kind not in ("invariant", "stream", "accumulator", "bound", "indirect"):
            return None
        if not own.contains(param.range):
            return None  # a lambda's capture: the enclosing function's parameter does not reach it
        if param not in params:
            params.append(param)
    edits = []
    for param in params:
        edit = _restrict_edit(view, param)
        if edit is None:
            return None
        edits.append(edit)
    names = ", ".join(f"`{p.spelling}`" for p in params)
    keyword = _restrict_keyword(view)
    if _callers_pass_distinct_objects(view, loop.function, params, callers):
        return fix(f"add `{keyword}` to {names} (every call in this file passes distinct objects)",
                   edits, Applicability.SAFE)
    return fix(f"add `{keyword}` to {names} (only if callers never pass overlapping memory)",
               edits, Applicability.UNSAFE)


def _restrict_keyword(view) -> str:
    return "restrict" if view.language == "c" else "__restrict__"


def _restrict_edit(view, param) -> Optional[Edit]:
    """Insert `__restrict__` before the parameter's name: `float* y` -> `float* __restrict__ y`."""
    if not param.spelling or param.file is None or not _same_file(param.file, view.path):
        return None
    toks = param.token_positions
    loc = param.location
    for i, (spelling, pos) in enumerate(toks):
        if pos == loc and spelling == param.spelling and i > 0:
            prev = toks[i - 1][0]
            if prev in ("*", "&", "&&") or (prev == "const" and i > 1 and toks[i - 2][0] == "*"):
                return Edit(Range(loc, loc), _restrict_keyword(view) + " ")
            return None
    return None


def _same_file(a: str, b: str) -> bool:
    import os

    return os.path.abspath(a) == os.path.abspath(b)


# --------------------------------------------------------------------------- callers

# Containers that own their elements: `v.data()` of two such variables are two objects.
_OWNING = frozenset({"std::vector", "std::array", "std::basic_string"})


class _Callers:
    """References to this file's functions by name, gathered once per check on first use."""

    def __init__(self, view):
        self._view = view

    def references(self, name: str) -> list:
        return self._references.get(name, [])

    def declarations(self, fn_node) -> list:
        return [d for d in self._declarations.get(fn_node.spelling, []) if d.is_same_declaration(fn_node)]

    @cached_property
    def last_include(self) -> int:
        """The line of the file's last `#include` (0 without one)."""
        return max((number for number, line in enumerate(self._view.lines, start=1)
                    if line.lstrip().startswith("#") and "include" in line), default=0)

    @cached_property
    def _references(self) -> dict:
        return _by_spelling(self._view.nodes("DECL_REF_EXPR", "OVERLOADED_DECL_REF"))

    @cached_property
    def _declarations(self) -> dict:
        return _by_spelling(self._view.nodes("FUNCTION_DECL"))


def _by_spelling(nodes) -> dict:
    out: dict = {}
    for n in nodes:
        out.setdefault(n.spelling, []).append(n)
    return out


def _callers_pass_distinct_objects(view, function, params, callers) -> bool:
    """True when no call can pass overlapping memory for ``params``: the function is only
    callable from this source file, never escapes as a pointer, and every call passes, for
    each restricted parameter and each parameter that could reach the same memory, named
    variables that are provably different objects, none of which the function reaches
    another way."""
    node = function.node
    if node.kind != "FUNCTION_DECL" or not is_source_file(view.path) or not _internal_linkage(node, callers):
        return False
    if callers.last_include > min(d.range.start.line for d in callers.declarations(node) or [node]):
        return False  # a file included after the declaration may call it: hotlint does not see it
    roles = _parameter_roles(function.params, params)
    if roles is None:
        return False
    reached = _objects_reached_directly(node)
    if reached is None:
        return False
    for ref in callers.references(node.spelling):
        if ref.kind == "OVERLOADED_DECL_REF":
            return False  # a call in a template, resolved per instantiation
        if not node.is_same_declaration(ref.referenced):
            continue  # another function of that name
        call = _called_by(ref)
        if call is None:
            return False  # its address is taken: callers hotlint cannot see
        if not _call_passes_distinct_objects(call.arguments, roles, params, function.params, reached):
            return False
    return True


def _internal_linkage(node, callers) -> bool:
    """`static`, or declared in an anonymous namespace."""
    parent = node.semantic_parent
    while parent is not None and parent.kind != "TRANSLATION_UNIT":
        if parent.kind == "NAMESPACE" and not parent.spelling:
            return True
        parent = parent.semantic_parent
    for d in callers.declarations(node) or [node]:
        toks = d.tokens
        head = toks[:toks.index(node.spelling)] if node.spelling in toks else []
        if "static" in head:
            return True
    return False


def _called_by(ref):
    """The call whose callee ``ref`` is, or None when the function is used another way."""
    child, parent = ref, ref.parent
    while parent is not None and parent.kind in ("UNEXPOSED_EXPR", "PAREN_EXPR") and len(parent.children) == 1:
        child, parent = parent, parent.parent
    if parent is not None and parent.kind == "CALL_EXPR" and parent.children and parent.children[0] is child:
        return parent
    return None


def _parameter_roles(all_params, restricted) -> Optional[list[bool]]:
    """For each parameter, whether its argument must name a distinct object; None when a
    parameter may reach the restricted memory through a pointer it holds."""
    targets = []
    for p in restricted:
        t = p.type.pointee
        if t is None or _holds_pointer(t):
            return None
        targets.append(t)
    roles = []
    for p in all_params:
        t = p.type
        if p in restricted:
            roles.append(True)
        elif t.is_pointer or t.is_reference:
            u = t.pointee
            kind = u.canonical.kind
            if kind == "VOID":
                roles.append(True)
            elif kind == "POINTER" or not (_is_scalar(u) or u.is_record or u.is_array) or _holds_pointer(u):
                return None
            else:  # strict aliasing: an `int*` never reaches a `float`
                roles.append(not _is_scalar(u) or any(not _is_scalar(x) or _types_may_alias(u, x) for x in targets))
        elif t.is_record and _holds_pointer(t):
            return None  # a by-value span or iterator may point anywhere
        else:
            roles.append(False)
    return roles


def _holds_pointer(t, depth: int = 0) -> bool:
    """True when an object of type ``t`` may hold a pointer or reference (a record with bases:
    assumed to)."""
    if depth > 4 or t.is_pointer or t.is_reference or t.canonical.kind in ("MEMBERPOINTER", "BLOCKPOINTER"):
        return True
    if t.is_array:
        return t.element is None or _holds_pointer(t.element, depth + 1)
    if t.is_record:
        layout = t.layout()
        if layout is None or any(f.is_base for f in layout.fields) or layout.has_vtable:
            return True
        return any(_holds_pointer(ft, depth + 1) for ft in t.field_types().values())
    return False


def _objects_reached_directly(fn_node) -> Optional[list]:
    """Variables the function (and the leaf helpers it calls) names with static storage; None
    when it names one holding a pointer, or calls a function the vectorizer cannot see into."""
    body = next((c for c in reversed(fn_node.children) if c.kind == "COMPOUND_STMT"), None)
    if body is None:
        return None
    reached, bodies, seen = [], [body], set()
    while bodies:
        for n in bodies.pop().walk():
            if n.kind == "CALL_EXPR":
                if not _inlinable_pure_call(n):
                    return None
                d = n.referenced.definition
                if d is not None and not d.is_in_system_header and d not in seen:
                    seen.add(d)  # a leaf helper of this program: what it names counts too
                    bodies.extend(c for c in d.children if c.kind == "COMPOUND_STMT")
            elif n.kind == "DECL_REF_EXPR":
                d = n.referenced
                if d is None or d.kind != "VAR_DECL" or not _is_global(d):
                    continue
                if _holds_pointer(d.type):
                    return None  # may point at whatever a caller passes
                reached.append(d)
    return reached


def _call_passes_distinct_objects(args, roles, restricted, all_params, reached) -> bool:
    if len(args) < len(all_params):
        return False
    named = []
    for arg, param, needed in zip(args, all_params, roles):
        if not needed:
            named.append(None)
            continue
        found = _object_of(arg) if param.type.is_reference else _pointed_object(arg)
        if found is None or _holds_pointer(found[1]):
            return False
        named.append(found[0])
    for i, (param, var) in enumerate(zip(all_params, named)):
        if param not in restricted:
            continue
        if any(var.is_same_declaration(g) for g in reached):
            return False
        if any(other is not None and j != i and var.is_same_declaration(other) for j, other in enumerate(named)):
            return False
    return True


def _pointed_object(e):
    """(variable, object type) a pointer argument points into: an array (`a`, `&a[0]`, `a + 1`),
    `&x`, or the buffer of an owning container (`v.data()`, `&v[0]`). None for anything else."""
    e = _strip(e)
    if e.type.is_array:
        return _object_of(e)
    if e.kind == "UNARY_OPERATOR" and e.operator == "&" and e.children:
        return _object_of(e.children[0])
    if e.kind == "BINARY_OPERATOR" and e.operator in ("+", "-"):
        ptrs = [c for c in e.children if _strip(c).type.is_pointer or _strip(c).type.is_array]
        return _pointed_object(ptrs[0]) if len(ptrs) == 1 else None
    if e.kind == "CALL_EXPR" and e.spelling == "data" and e.children and e.children[0].kind == "MEMBER_REF_EXPR":
        ref = e.children[0]
        return _owned_elements(ref.children[0]) if ref.children else None
    return None


def _object_of(e):
    """(variable, type of the designated object) for an lvalue inside a named variable."""
    e = _strip(e)
    k = e.kind
    if k == "DECL_REF_EXPR":
        d = e.referenced
        if d is None or d.kind != "VAR_DECL" or d.type.is_reference:
            return None
        return d, d.type
    if k == "ARRAY_SUBSCRIPT_EXPR" and len(e.children) == 2:
        base = _strip(e.children[0])
        found = _object_of(base) if base.type.is_array else None
        return (found[0], e.type) if found else None
    if k == "MEMBER_REF_EXPR":
        kids = [c for c in e.children if c.is_expression]
        if not kids or _strip(kids[0]).type.is_pointer:
            return None  # `this->x`, `p->x`: where the object lives is not known
        found = _object_of(kids[0])
        return (found[0], e.type) if found else None
    if k == "CALL_EXPR" and e.spelling == "operator[]" and e.children:
        return _owned_elements(e.children[0])
    return None


def _owned_elements(container):
    """(variable, element type) for a named std::vector / std::array / std::string."""
    found = _object_of(container)
    if found is None:
        return None
    t = found[1].non_reference()
    if t.record_name not in _OWNING or not t.template_arguments:
        return None
    return found[0], t.template_arguments[0]


def _local_copy_fix(view, loop, pairs, accesses, facts):
    """Copy every invariant value a store may alias to a `const auto` local before the loop."""
    if any(p.kind in ("stream", "accumulator", "indirect") or p.load.store or not p.load.invariant for p in pairs):
        return None
    node = loop.node
    parent = node.parent
    start = node.range.start
    if parent is None or parent.kind != "COMPOUND_STMT":
        return None
    line = view.line_text(start.line)
    prefix = line.encode()[:start.column - 1].decode(errors="replace")
    if prefix.strip():
        return None
    wanted = []
    for p in pairs:
        t = _text(view, p.load.node)
        if t not in wanted:
            wanted.append(t)
    occurrences = {t: [a for a in accesses if not a.store and a.invariant and _text(view, a.node) == t]
                   for t in wanted}
    taken = set(facts.identifiers)
    decls, edits = [], []
    for t in wanted:
        name = _fresh_name(occurrences[t][0].node, taken)
        taken.add(name)
        decls.append(f"{prefix}const auto {name} = {t};\n")
        for a in occurrences[t]:
            edits.append(Edit(a.node.range, name))
    spans = sorted((e.range.start, e.range.end) for e in edits)
    if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
        return None
    edits.insert(0, Edit(Range(Position(start.line, 1), Position(start.line, 1)), "".join(decls)))
    safe = _copies_provably_safe(pairs, loop)
    names = ", ".join(f"`{t}`" for t in wanted)
    return fix(f"copy {names} to local{'s' if len(wanted) > 1 else ''} before the loop", edits,
               Applicability.SAFE if safe else Applicability.UNSAFE)


def _copies_provably_safe(pairs, loop) -> bool:
    """Stores into a member array cannot legally reach another member of the same object."""
    if any(n.kind == "CALL_EXPR" for part in (loop.parts()["body"], loop.parts()["condition"]) if part
           for n in part.walk()):
        return False
    for p in pairs:
        sl, ll = p.store.loc, p.load.loc
        if sl.top != ll.top or sl.top[0] == "ptr" or not sl.path or sl.path[-1] != "[]":
            return False
    return True


def _fresh_name(node, taken) -> str:
    n = _strip(node)
    if n.kind == "MEMBER_REF_EXPR" or n.kind == "DECL_REF_EXPR":
        base = n.spelling
    elif n.kind == "UNARY_OPERATOR" and n.children:
        inner = _strip(n.children[0])
        base = (inner.spelling or "value") + "_value"
    else:
        base = "value"
    base = re.sub(r"^(m_|g_|s_)", "", base).strip("_") or "value"
    candidates = [base] + [f"{base}_copy"] + [f"{base}_copy{i}" for i in range(2, 50)]
    for c in candidates:
        if c not in taken and c not in _KEYWORDS:
            return c
    return base + "_local"
