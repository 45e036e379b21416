"""Function names as profilers write them, made comparable with the names hotlint gives.

A profiler writes ``void sim::Grid<int>::step<3>(int) const [clone .constprop.0]``, or
``sim::Grid<int>::step`` (perf), or the mangled ``_ZN3sim4Grid...`` (callgrind with
``--demangle=no``, bpftrace); hotlint names the same function ``sim::Grid::step``. ``demangle``
turns mangled names into C++ (names already demangled stay as they are) and ``qualified_name``
strips what hotlint leaves out: the argument list, qualifiers after it, template arguments, the
return type, clone and version suffixes, anonymous and implementation namespaces.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Optional

# The mangled names the C++ runtime's demangler is given; a longer one stays as it is (the
# demangler recurses, and a profile can come from anywhere).
DEMANGLE_LIMIT = 16384

# hotlint's qualified names leave these namespaces out (hotlint/clang/nodes.py).
_INLINE_NAMESPACES = frozenset({"__cxx11", "__1", "__debug", "__8", "_V2", "__cxx1998"})
_ANONYMOUS = frozenset({"(anonymous namespace)", "{anonymous}"})

# Suffixes are taken off by string operations, a bounded number of times: a pattern anchored at
# the end of a name can take quadratic time on a long hostile one.
_GCC_SUFFIXES = frozenset({"cold", "part", "constprop", "isra", "lto_priv", "localalias", "clone", "str"})
_TRAILING_QUALIFIERS = ("const", "volatile", "&&", "&", "noexcept", "throw()")
_SYMBOL_VERSION = re.compile(r"@{1,2}[A-Za-z_][\w.]*$")  # memcpy@@GLIBC_2.14, malloc@plt
# After ``operator``: the symbols, longest first, so ``operator<<`` is not a template bracket.
_OPERATOR_SYMBOLS = (
    "<=>", "<<=", ">>=", "->*", "()", "[]", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "++",
    "--", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<", ">", "+", "-", "*", "/",
    "%", "^", "&", "|", "~", "!", "=", ",",
)

Demangler = Callable[[str], Optional[str]]


def _cxxfilt_demangler() -> tuple[Optional[Demangler], Optional[str]]:
    """The C++ runtime's own demangler (``abi::__cxa_demangle``) through ``cxxfilt``, or why not."""
    try:
        import cxxfilt
    except ImportError as e:
        return None, f"cxxfilt is not installed ({e})"
    try:
        cxxfilt.demangle("_Z1fv")
    except cxxfilt.LibraryNotFound as e:
        return None, f"cxxfilt found no C++ runtime to demangle with ({e})"
    except cxxfilt.Error as e:  # pragma: no cover - a runtime that cannot demangle f()
        return None, f"cxxfilt cannot demangle ({e})"

    def demangle_one(name: str) -> Optional[str]:
        try:
            return cxxfilt.demangle(name, external_only=True)
        except (cxxfilt.Error, UnicodeError, ValueError):
            return None

    return demangle_one, None


_DEMANGLER: Optional[tuple[Optional[Demangler], Optional[str]]] = None


def _demangler() -> tuple[Optional[Demangler], Optional[str]]:
    global _DEMANGLER
    if _DEMANGLER is None:
        _DEMANGLER = _cxxfilt_demangler()
    return _DEMANGLER


def counted(n: int, noun: str) -> str:
    """``1 line``, ``2 lines``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def is_mangled(name: str) -> bool:
    """An Itanium C++ ABI name (``_Z...``; ``__Z...`` on macOS)."""
    return name.startswith("_Z") or name.startswith("__Z")


def demangle(names: Iterable[str]) -> tuple[dict[str, str], Optional[str]]:
    """Each mangled name of ``names`` in C++, and a note when some could not be demangled.

    Names that are not mangled, and names the demangler rejects, are left out of the mapping
    (they stay as they are). A symbol version or ``@plt`` after a mangled name is dropped, and a
    GCC clone suffix (``.constprop.0``) is kept by the demangler as ``[clone .constprop.0]``.
    """
    mangled = [n for n in set(names) if is_mangled(n)]
    if not mangled:
        return {}, None
    demangle_one, why_not = _demangler()
    if demangle_one is None:
        return {}, f"{counted(len(mangled), 'mangled name')} left as written: {why_not}"
    out: dict[str, str] = {}
    failed = 0
    for name in mangled:
        bare = _SYMBOL_VERSION.sub("", name)
        if bare.startswith("__Z"):
            bare = bare[1:]
        result = demangle_one(bare) if len(bare) <= DEMANGLE_LIMIT else None
        if result and result != bare:
            out[name] = result
        else:
            failed += 1
    note = None
    if failed:
        s = "s" if failed == 1 else ""
        note = f"{counted(failed, 'name')} that look{s} mangled could not be demangled and stay{s} as written"
    return out, note


def _strip_suffixes(name: str) -> str:
    """``name`` without `` [clone .isra.0]``, ``.cold``/``.constprop.0``, callgrind's recursion
    level (``fib'2``) and a symbol version (``malloc@plt``, ``memcpy@@GLIBC_2.14``)."""
    n = name.strip()
    for _ in range(4):
        if not n.endswith("]"):
            break
        i = n.rfind("[clone ")
        if i < 0 or "]" in n[i:-1]:
            break
        n = n[:i].rstrip()
    if "@" in n:
        n = _SYMBOL_VERSION.sub("", n)
    head, quote, level = n.rpartition("'")
    if quote and level.isdigit() and head:
        n = head
    for _ in range(4):
        head, dot, tail = n.rpartition(".")
        if not dot or not head:
            break
        if tail.isdigit():
            head2, dot2, tail2 = head.rpartition(".")
            if dot2 and head2 and tail2 in _GCC_SUFFIXES:
                n = head2
                continue
        if tail in _GCC_SUFFIXES:
            n = head
            continue
        break
    return n


def _strip_arguments(name: str) -> str:
    """``name`` without the argument list and the qualifiers after it (``f(int) const`` -> ``f``)."""
    for _ in range(8):
        stripped = name.rstrip()
        for q in _TRAILING_QUALIFIERS:
            if stripped.endswith(q) and (q[0] in "&(" or len(stripped) == len(q) or not (
                    stripped[-len(q) - 1].isalnum() or stripped[-len(q) - 1] == "_")):
                cut = stripped[:-len(q)].rstrip()
                if not cut.endswith("operator"):  # ``A::operator&`` is the name itself
                    stripped = cut
                break
        if stripped == name:
            break
        name = stripped
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        c = name[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                head = name[:i].rstrip()
                if not head or head.endswith("operator") or head.endswith("::"):
                    return name  # ``operator()`` itself, or ``(anonymous namespace)``
                return head
    return name


def _strip_templates(name: str) -> str:
    """``name`` without template arguments; ``operator<`` and friends are kept."""
    out: list[str] = []
    depth = 0
    i, n = 0, len(name)
    while i < n:
        if name.startswith("operator", i) and (i == 0 or name[i - 1] in ": ") and (
            i + 8 == n or not (name[i + 8].isalnum() or name[i + 8] == "_")
        ):
            j = i + 8
            while j < n and name[j] == " ":
                j += 1
            for sym in _OPERATOR_SYMBOLS:
                if name.startswith(sym, j):
                    if depth == 0:
                        out.append(name[i:j + len(sym)])
                    i = j + len(sym)
                    break
            else:
                if depth == 0:
                    out.append("operator")
                i += 8
            continue
        c = name[i]
        if c == "<":
            depth += 1
        elif c == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(c)
        i += 1
    return "".join(out)


def _split_top(name: str, sep: str) -> list[str]:
    """``name`` split at ``sep`` outside parentheses and braces."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(name):
        c = name[i]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth = max(0, depth - 1)
        elif depth == 0 and name.startswith(sep, i):
            parts.append(name[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(name[start:])
    return parts


def _drop_return_type(name: str) -> str:
    """``void ns::f`` -> ``ns::f``; ``ns::C::operator new[]`` keeps its space."""
    words = [w for w in _split_top(name, " ") if w]
    if len(words) <= 1:
        return name.strip()
    for i, w in enumerate(words):
        last = _split_top(w, "::")[-1]
        if last == "operator" or last.startswith("operator") and not (last[8:9].isalnum() or last[8:9] == "_"):
            return " ".join(words[i:])
    return words[-1]


def qualified_name(name: str) -> str:
    """The name hotlint would give the function ``name`` names: ``ns::Class::method``.

    ``void sim::Grid<int>::step<3>(int) const [clone .isra.0]`` -> ``sim::Grid::step``;
    ``(anonymous namespace)::tally(double const*)`` -> ``tally``;
    ``operator new[](unsigned long)`` -> ``operator new[]``; a name it cannot read stays as it is.
    """
    n = _strip_suffixes(name)
    n = _strip_arguments(n)
    n = _strip_templates(n)
    n = _drop_return_type(n)
    parts = [p.strip() for p in _split_top(n, "::")]
    kept = [p for p in parts if p and p not in _ANONYMOUS and p not in _INLINE_NAMESPACES]
    return "::".join(kept) if kept else n


def base_name(qualified: str) -> str:
    """The last component of a qualified name: ``sim::World::step`` -> ``step``."""
    return _split_top(qualified, "::")[-1]
