#!/usr/bin/env python3
"""How big each built-in rule is, in lines of code by role.

Every non-blank line of a rule's package (``rules/<rule>/``) is counted once, as one of:

  docs      a docstring line or a comment line (the rule's documentation lives in its docstring)
  tables    a module-level assignment (word lists, kind sets, message tables)
  messages  code in ``messages.py``, or in a function whose name says it words the finding
            (``message``, ``notes``, ``describe``, ``quoted``, ``word``)
  fixes     code in ``fixes.py``
  rewrites  code in a rewrite module of its own (``arena.py``, ``rewrite.py``, ``bridge.py``)
  detection every other line of code

and "det+msg+fix" sums the three the rule's own logic is made of (the house target is about 300;
rewrites, docs and tables are not counted). Run from anywhere:

    python benchmarks/rule_sizes.py [--json]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
from pathlib import Path

RULES = Path(__file__).resolve().parent.parent / "rules"
REWRITE_MODULES = {"arena.py", "rewrite.py", "bridge.py"}
MESSAGE_FUNCTION = re.compile(r"message|notes|describe|quoted|word", re.I)
ROLES = ("detection", "messages", "fixes", "rewrites", "docs", "tables")


def _docstring_lines(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.update(range(first.lineno, first.end_lineno + 1))
    return out


def _function_roles(tree: ast.Module) -> dict[int, str]:
    """line -> 'messages' for the lines of functions (at any depth) named as wording."""
    out: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and MESSAGE_FUNCTION.search(node.name):
            for line in range(node.lineno, node.end_lineno + 1):
                out[line] = "messages"
    return out


def module_sizes(path: Path) -> dict[str, int]:
    text = path.read_text()
    tree = ast.parse(text)
    docs = _docstring_lines(tree)
    tables = {line for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
              for line in range(node.lineno, node.end_lineno + 1)}
    by_function = _function_roles(tree)
    if path.name == "messages.py":
        code_role = "messages"
    elif path.name == "fixes.py":
        code_role = "fixes"
    elif path.name in REWRITE_MODULES:
        code_role = "rewrites"
    else:
        code_role = "detection"
    counts = dict.fromkeys(ROLES, 0)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if number in docs or stripped.startswith("#"):
            counts["docs"] += 1
        elif number in tables:
            counts["tables"] += 1
        elif code_role == "detection":
            counts[by_function.get(number, "detection")] += 1
        else:
            counts[code_role] += 1
    return counts


def rule_sizes(root: Path = RULES) -> dict[str, dict[str, int]]:
    out = {}
    for package in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
        total = dict.fromkeys(ROLES, 0)
        for module in sorted(package.glob("*.py")):
            for role, n in module_sizes(module).items():
                total[role] += n
        total["det+msg+fix"] = total["detection"] + total["messages"] + total["fixes"]
        out[package.name.replace("_", "-")] = total
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    sizes = rule_sizes()
    if args.json:
        print(json.dumps(sizes, indent=1))
        return
    columns = (*ROLES, "det+msg+fix")
    print(f"{'rule':24}" + "".join(f"{c:>12}" for c in columns))
    for rule, counts in sizes.items():
        print(f"{rule:24}" + "".join(f"{counts[c]:>12}" for c in columns))


if __name__ == "__main__":
    main()
