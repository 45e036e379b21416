"""The rule API: what a rule declares, what it receives and what it returns.

A rule is one module in ``rules/`` (installed as ``hotlint.rules``) with one
subclass of ``Rule``. Third-party packs register modules or classes under the
``hotlint.rules`` entry-point group, or name files/folders in ``rule-paths``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Iterator, Optional

from .model import Applicability, Edit, Fix, Range, Severity

DOC_SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "References",
)
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Option:
    """A per-rule option, set as ``[tool.hotlint.<rule>] <name> = value``."""

    default: Any
    help: str
    type: type = int
    minimum: Optional[float] = None

    def validate(self, value: Any) -> Any:
        want = self.type
        ok = isinstance(value, want) and not (want is int and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
        if want is list and isinstance(value, list):
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ValueError(f"expected {want.__name__}, got {type(value).__name__} {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum}, got {value!r}")
        return value


@dataclass
class Finding:
    """What a rule reports; the engine adds the path, rule name, evidence and suppression."""

    range: Range
    message: str
    severity: Optional[Severity] = None  # None: the rule's default
    fix: Optional[Fix] = None
    notes: tuple[str, ...] = ()
    # what a stage after analysis checks project-wide: false-sharing's members sharing a line, as
    # groups of (member, field keys of the atomics its writes land on) (``analysis.threads.member_keys``)
    subjects: tuple = ()
    # the sub-case of the rule's evidence this finding belongs to: its figure is the pair in
    # ``bench_fixtures/<rule>/<case>/`` (seq_cst loads measure apart from stores); None: the main pair
    case: Optional[str] = None


class Rule:
    """Base class of every rule. Subclasses set the class attributes and ``check``.

    The class docstring is the rule's documentation, with the sections in
    ``DOC_SECTIONS`` as ``## Heading`` lines.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    # True when findings rely on record layouts or types that a parse error can silently
    # turn into ``int``: such findings are withheld from a file whose parse had errors.
    needs_layout: ClassVar[bool] = True
    options: ClassVar[dict[str, Option]] = {}
    # What the bench pair's figure does and does not show (cited with the ratio), if anything.
    bench_note: ClassVar[Optional[str]] = None

    def check(self, view) -> Iterable[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    # helpers shared by rules
    def severity_for(self, view, node, base: Optional[Severity] = None) -> Severity:
        """The rule's severity, raised in nested loops and hot functions, lowered in cold ones."""
        base = base or self.severity
        score = view.hotness(node)
        if score >= 2:
            return base.shifted(+1)
        if score < 0:
            return base.shifted(-1)
        return base

    def option(self, view, name: str):
        return view.option(self.name, name, self.options[name].default)

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def missing_sections(cls) -> list[str]:
        doc = cls.documentation()
        have = {m.group(1).strip() for m in re.finditer(r"^##\s+(.+?)\s*$", doc, re.M)}
        return [s for s in DOC_SECTIONS if s not in have]

    @classmethod
    def origin(cls) -> str:
        return cls.__module__


def fix(description: str, edits: Iterable[Edit], applicability: Applicability = Applicability.UNSAFE) -> Fix:
    return Fix(description, tuple(edits), applicability)


class RuleLoadError(Exception):
    pass


@dataclass
class Registry:
    rules: dict[str, type[Rule]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, cls: type[Rule], source: str) -> None:
        if not cls.name or not _NAME.match(cls.name):
            self.problems.append(f"{source}: rule class {cls.__name__} has no valid `name` (lowercase-with-dashes)")
            return
        if cls.name in self.rules and self.rules[cls.name] is not cls:
            self.problems.append(
                f"{source}: rule `{cls.name}` is already defined by {self.rules[cls.name].origin()}"
            )
            return
        self.rules[cls.name] = cls

    def add_module(self, module, source: str) -> int:
        n = 0
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__:
                self.add(obj, source)
                n += 1
        return n

    def names(self) -> list[str]:
        return sorted(self.rules)


def _builtin_modules() -> Iterator[Any]:
    from . import rules as package  # the installed copy of rules/

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        yield importlib.import_module(f"{package.__name__}.{info.name}")


def _entry_points():
    """``hotlint.rules`` entry points of the packages installed for this interpreter. The
    working directory is not searched: a ``*.dist-info`` folder in a checkout must not
    register rule packs (see ``trust.running_python_paths``)."""
    from importlib.metadata import distributions

    from .trust import running_python_paths

    found, seen = [], set()
    for dist in distributions(path=running_python_paths()):
        for ep in dist.entry_points:
            if ep.group == "hotlint.rules" and (ep.name, ep.value) not in seen:
                seen.add((ep.name, ep.value))
                found.append(ep)
    return found


def _load_path(path: str, registry: Registry) -> None:
    """Load rule modules from a file or a folder of files named in ``rule-paths``.

    This imports Python from the configured location: configuration is data, but a
    rule path is code, so callers pass only the rule paths of a configuration the user
    trusts (``config.ConfigResolver`` asks ``trust``).
    """
    files = []
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".py") and not f.startswith("_"))
    elif os.path.isfile(path):
        files = [path]
    else:
        registry.problems.append(f"{path}: rule path does not exist")
        return
    for f in files:
        modname = "hotlint_user_rules." + re.sub(r"\W", "_", os.path.abspath(f))
        try:
            spec = importlib.util.spec_from_file_location(modname, f)
            module = importlib.util.module_from_spec(spec)
            sys.modules[modname] = module
            spec.loader.exec_module(module)
        except Exception as exc:  # a broken rule pack must not stop the run
            registry.problems.append(f"{f}: cannot load rule module: {type(exc).__name__}: {exc}")
            continue
        if not registry.add_module(module, f):
            registry.problems.append(f"{f}: defines no Rule subclass")


_CACHE: dict[tuple, Registry] = {}


def load_rules(rule_paths: Iterable[str] = (), entry_points: bool = True) -> Registry:
    """Built-in rules, then entry-point packs, then ``rule-paths``."""
    key = (tuple(rule_paths), entry_points)
    if key in _CACHE:
        return _CACHE[key]
    reg = Registry()
    for module in _builtin_modules():
        reg.add_module(module, module.__name__)
    if entry_points:
        for ep in _entry_points():
            try:
                obj = ep.load()
            except Exception as exc:
                reg.problems.append(f"entry point {ep.name}: {type(exc).__name__}: {exc}")
                continue
            if inspect.isclass(obj) and issubclass(obj, Rule):
                reg.add(obj, f"entry point {ep.name}")
            elif inspect.ismodule(obj):
                reg.add_module(obj, f"entry point {ep.name}")
            else:
                reg.problems.append(f"entry point {ep.name}: not a Rule subclass or module")
    for p in rule_paths:
        _load_path(p, reg)
    _CACHE[key] = reg
    return reg

