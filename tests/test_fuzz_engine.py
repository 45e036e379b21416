"""Property-based fuzzing of the engine: random edits to real fixtures.

Whatever the edit, the engine returns diagnostics or error records and never raises, and no rule
fails (a ``rule-error`` or an ``internal-error`` is a hotlint bug, not bad input). The edits are
made where the rules look, inside function bodies, and keep most files parsing: an edit that
breaks the parse only exercises the parse-error path, on which no rule runs.

Every failing input hypothesis finds is written to tests/data/fuzz_regressions/ and replayed as
an explicit example of the property from then on.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from hotlint.compdb import default_flags
from hotlint.engine import EngineOptions, analyze
from hotlint.rule import load_rules

REGRESSIONS = ROOT / "tests" / "data" / "fuzz_regressions"
SOURCES = sorted(p for p in FIXTURES.glob("*/*") if p.suffix in (".cpp", ".c"))
OPTIONS = EngineOptions(rules=tuple(load_rules().names()))

# statements valid in any C or C++ function body
HARMLESS = [";", "{ }", "if (0) { }", "for (int fz = 0; fz < 3; ++fz) { }", "(void)0;", "do { } while (0);",
            "{ int fz = 1; (void)fz; }", "while (0) { }"]
# token swaps that keep a statement well formed
SWAPS = [(" += ", " -= "), ("++", "--"), (" < ", " <= "), ("relaxed", "seq_cst"), ("acquire", "release"),
         ("push_back", "emplace_back"), ("[i]", "[0]"), (" + ", " * "), (" && ", " || ")]
_STATEMENT = re.compile(r"^(\s+)(?!//|#|/\*|\*)(.*;)\s*(//.*)?$")
_DECLARATION = re.compile(r"^\s*(static\s+|const\s+|constexpr\s+)*[\w:<>,*& ]+[\s*&]\w+\s*([=({;\[]|$)")
_NUMBER = re.compile(r"\b\d+\b")


def check(path: Path, text: str) -> bool:
    """Run every rule on ``text``; whether it parsed. Fails on any hotlint fault."""
    result = analyze(str(path), text, default_flags(str(path)), OPTIONS)
    n_lines = text.count("\n") + 1
    for d in result.diagnostics:
        assert 1 <= d.range.start.line <= n_lines and d.range.start <= d.range.end, d
        assert d.message and d.rule
    for e in result.errors:
        assert e.message and "\n" not in e.message
        assert e.kind not in ("internal-error", "rule-error"), e.message  # a hotlint bug, not bad input
    return not any(e.kind == "parse-error" for e in result.errors)


def _code_lines(lines: list[str]) -> list[int]:
    """Statements of function bodies: lines ending in ``;`` whose innermost brace was opened by a
    function or a statement (not a record, an enum or a namespace), and whose line above ends a
    statement or opens a block (so a loop's or an if's unbraced body is left alone)."""
    stack: list[bool] = []  # per open brace: code or not
    out = []
    for i, line in enumerate(lines):
        if _STATEMENT.match(line) and stack and stack[-1] and line.count("{") == line.count("}"):
            above = lines[i - 1].split("//")[0].rstrip() if i else ""
            if above.endswith((";", "{", "}")):
                out.append(i)
        code = line.split("//")[0]
        for ch in code:
            if ch == "{":
                head = code[:code.index("{")]
                record = bool(re.search(r"\b(struct|class|union|enum|namespace)\b", head)) or (
                    "=" in head and ")" not in head)  # a brace initializer, not a block
                stack.append(not record and (bool(stack and stack[-1]) or ")" in head or "else" in head
                                             or "do" in head or head.strip() == ""))
            elif ch == "}" and stack:
                stack.pop()
    return out


def mutate(text: str, rng: random.Random, edits: int) -> str:
    """``text`` with ``edits`` edits to the statements of its function bodies (``_code_lines``):
    duplicated, swapped, wrapped in a block, a loop or a guard, renumbered, an operator or memory
    order swapped, a harmless statement inserted before one."""
    lines = text.split("\n")
    done = attempts = 0
    while done < edits and attempts < 20 * edits:  # an edit that does not apply is drawn again
        attempts += 1
        before = list(lines)
        statements = _code_lines(lines)
        if not statements:
            break
        k = rng.choice(statements)
        indent, stmt = _STATEMENT.match(lines[k]).group(1, 2)
        op = rng.choice(["duplicate", "swap", "block", "guard", "number", "token", "insert", "loop"])
        declares = bool(_DECLARATION.match(stmt)) and not stmt.startswith(("return", "delete", "throw"))
        if op == "duplicate" and not declares:
            lines.insert(k, lines[k])
        elif op == "swap" and k + 1 in statements and not declares \
                and not _DECLARATION.match(_STATEMENT.match(lines[k + 1]).group(2)):
            lines[k], lines[k + 1] = lines[k + 1], lines[k]
        elif op == "block" and not declares:
            lines[k] = f"{indent}{{ {stmt} }}"
        elif op == "guard" and not declares:
            lines[k] = f"{indent}if ({rng.choice(['1', 'true', 'fz_flag'])}) {stmt}".replace(
                "fz_flag", "sizeof(int) == 4")
        elif op == "number" and _NUMBER.search(stmt) and not any(w in stmt for w in ("alignas", "[", "<", "case")):
            lines[k] = _NUMBER.sub(lambda m: str(rng.choice([1, 2, 8, 64, 1024])), lines[k], count=1)
        elif op == "token":
            a, b = rng.choice(SWAPS)
            lines[k] = lines[k].replace(a, b, 1) if rng.random() < 0.5 else lines[k].replace(b, a, 1)
        elif op == "insert":
            lines.insert(k, indent + rng.choice(HARMLESS))
        elif op == "loop" and not declares and not stmt.startswith(("return", "break", "continue")):
            lines[k] = f"{indent}for (int fz = 0; fz < 2; ++fz) {{ {stmt} }}"
        done += lines != before
    return "\n".join(lines)


@st.composite
def edited_fixture(draw):
    path = draw(st.sampled_from(SOURCES))
    seed = draw(st.integers(0, 2**32 - 1))
    return path, mutate(path.read_text(), random.Random(seed), draw(st.integers(1, 6)))


def _regressions(test):
    for p in sorted(REGRESSIONS.glob("*.c*")):  # inputs that once broke hotlint, replayed first
        fixture = next((s for s in SOURCES if p.name.startswith(s.parent.name + "-")), SOURCES[0])
        test = example((fixture.with_suffix(p.suffix), p.read_text()))(test)
    return test


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None, derandomize=True)
@given(edited_fixture())
@_regressions
def test_random_edits_never_raise(case):
    path, text = case
    try:
        check(path, text)
    except Exception:
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        REGRESSIONS.mkdir(parents=True, exist_ok=True)
        (REGRESSIONS / f"{path.parent.name}-{digest}{path.suffix}").write_text(text)
        raise


def test_most_edited_files_still_parse():
    """The fuzzer reaches the rules: most of its inputs parse (they did one time in four when
    it edited lines at random)."""
    rng = random.Random(20261130)
    parsed = total = 0
    for _ in range(30):
        path = rng.choice(SOURCES)
        text = mutate(path.read_text(), rng, rng.randint(1, 6))
        total += 1
        parsed += check(path, text)
    print(f"{parsed} of {total} edited fixtures parse")
    assert parsed >= 0.7 * total, f"only {parsed} of {total} edited fixtures parse"
