"""``[tool.hotlint]`` in ``pyproject.toml`` or ``.hotlint.toml``; the nearest to a file wins.

Configuration is data: it is parsed as TOML and validated, never executed.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import os
import math
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Optional

from .safeio import CONFIG_LIMIT, ReadRefused, read_regular
from .trust import Trust

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILES = (".hotlint.toml", "pyproject.toml")
# A configuration file's `timeout` is a checkout's say over how long a run may take: capped
# (`--max-timeout` on the command line changes the cap; `--timeout` is the user's own and is not).
MAX_CONFIG_TIMEOUT = 120.0


# What a file's error record can be (``ErrorRecord.kind``): named categories that `ignore`,
# `per-file-ignores` and `--ignore` accept besides rule names (matched by exact name, never by a glob
# or `ALL`: silencing errors is said in so many words).
ERROR_KINDS = ("parse-error", "crash", "timeout", "out-of-memory", "too-large", "internal-error", "rule-error",
               "missing-file", "unreadable", "not-regular", "binary", "encoding", "invalid-suppression")


class ConfigError(Exception):
    """A configuration problem: exit code 3."""


@dataclass
class Config:
    path: Optional[str] = None  # the file it came from; None for defaults
    select: Optional[list[str]] = None  # None: every rule
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: Optional[list[str]] = None  # None: discovery.DEFAULT_EXCLUDE
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    force_exclude: bool = False
    report_unused_suppressions: bool = False  # suppress.UNUSED_RULE findings (opt-in, as ruff's RUF100)
    cache_line_size: Optional[int] = None  # None: each unit's target's (hotlint.analysis.target)
    extra_args: list[str] = field(default_factory=list)
    compile_commands: Optional[str] = None
    hot_functions: list[str] = field(default_factory=list)
    cold_functions: list[str] = field(default_factory=list)
    thread_pool: list[str] = field(default_factory=list)  # functions that hand a callable to a pool's threads
    rule_paths: list[str] = field(default_factory=list)
    timeout: float = 60.0
    profile: list[str] = field(default_factory=list)  # profiles to rank findings by (hotlint.rank)
    hot_threshold: Optional[float] = None  # a fraction; None: rank.DEFAULT_HOT_THRESHOLD
    min_severity: Optional[str] = None  # None: rank.DEFAULT_MIN_SEVERITY
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    registry: Any = field(default=None, compare=False, repr=False)  # rules known under this config
    # `rule-paths` the file named but that were not loaded (see ``trust``), and why
    skipped_rule_paths: list[str] = field(default_factory=list, compare=False)
    skipped_because: str = field(default="", compare=False)
    # rule names the file uses that no loaded rule has (tolerated only when rule packs were skipped)
    unknown_rules: list[str] = field(default_factory=list, compare=False)
    notes: list[str] = field(default_factory=list, compare=False)  # said once, e.g. dropped extra-args

    @property
    def root(self) -> str:
        return os.path.dirname(self.path) if self.path else os.getcwd()

    def digest(self) -> str:
        data = {k: v for k, v in self.__dict__.items()
                if k not in ("path", "registry", "skipped_rule_paths", "skipped_because", "unknown_rules", "notes")}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def rules_for(self, path: str, all_rules: list[str]) -> list[str]:
        """The rules enabled for ``path``: select, minus ignore, minus per-file ignores."""
        selected = all_rules if self.select is None else [r for r in all_rules if _matches_any(r, self.select)]
        ignored = list(self.ignore)
        rel = _relative(path, self.root)
        for pattern, rules in self.per_file_ignores.items():
            if _path_matches(rel, pattern):
                ignored.extend(rules)
        return [r for r in selected if not _matches_any(r, ignored)]

    def ignores_error(self, kind: str, path: str) -> bool:
        """Whether ``ignore`` or a per-file ignore matching ``path`` names the error category ``kind``."""
        if kind not in ERROR_KINDS:
            return False
        if kind in self.ignore:
            return True
        rel = _relative(path, self.root)
        return any(kind in rules and _path_matches(rel, pattern) for pattern, rules in self.per_file_ignores.items())

    def is_excluded(self, path: str) -> bool:
        """``path`` matches the file's own ``exclude`` or ``extend-exclude`` patterns (not the
        defaults, which apply to folders walked on the command line: ``discovery``)."""
        patterns = tuple((self.exclude or []) + self.extend_exclude)
        if not patterns:
            return False
        return _path_matcher(patterns)(_relative(path, self.root))

    def exclude_patterns(self) -> tuple[str, ...]:
        """The patterns folders are walked with: ``exclude`` (or the defaults) and ``extend-exclude``."""
        from .discovery import DEFAULT_EXCLUDE  # noqa: PLC0415

        return tuple(DEFAULT_EXCLUDE if self.exclude is None else self.exclude) + tuple(self.extend_exclude)


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:
        return path.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


@lru_cache(maxsize=64)
def _path_matcher(patterns: tuple[str, ...]):
    """``_path_matches`` for many patterns at once: one compiled expression, built once per list
    (fnmatch compiles each pattern per call and keeps only 32 of them)."""
    regex = re.compile("|".join(f"(?:{fnmatch.translate(p.rstrip('/'))})" for p in patterns))

    def matches(rel: str) -> bool:
        if regex.match(rel) or regex.match(os.path.basename(rel)):
            return True
        parts = rel.split("/")
        return any(regex.match("/".join(parts[: i + 1])) for i in range(len(parts) - 1))

    return matches


def _path_matches(rel: str, pattern: str) -> bool:
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(os.path.basename(rel), pattern):
        return True
    # a directory pattern excludes everything below it
    parts = rel.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), pattern) for i in range(len(parts) - 1))


def _matches_any(rule: str, patterns: list[str]) -> bool:
    return any(p.upper() == "ALL" or fnmatch.fnmatchcase(rule, p) for p in patterns)


_KEYS = {
    "select": list, "ignore": list, "per-file-ignores": dict, "exclude": list, "extend-exclude": list,
    "respect-gitignore": bool, "force-exclude": bool, "report-unused-suppressions": bool,
    "cache-line-size": int, "extra-args": list, "compile-commands": str,
    "hot-functions": list, "cold-functions": list, "thread-pool": list, "rule-paths": list, "timeout": (int, float),
    "profile": list, "hot-threshold": (int, float, str), "min-severity": str,
    "verify": dict,  # `hotlint verify`'s commands: read by hotlint.verify, and only for a trusted project
}


MAX_LIST = 10_000  # entries in one list or table of a configuration file


def _check_type(where: str, key: str, value: Any, want) -> None:
    wants = want if isinstance(want, tuple) else (want,)
    if isinstance(value, (list, dict)) and len(value) > MAX_LIST:
        raise ConfigError(f"{where}: `{key}` has {len(value):,} entries; at most {MAX_LIST:,} are accepted")
    if (isinstance(value, bool) and bool not in wants) or not isinstance(value, wants):
        names = " or ".join(w.__name__ for w in wants)
        raise ConfigError(f"{where}: `{key}` must be {_article(names)}, got {type(value).__name__} {value!r}")
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: `{key}` must be a list of strings, got {value!r}")


def _article(names: str) -> str:
    return ("an " if names[0] in "aeiou" else "a ") + names


def parse_table(table: dict, path: Optional[str], known_rules: dict, skipped_packs: bool = False) -> Config:
    """Validate a ``[tool.hotlint]`` table. ``known_rules`` maps rule names to their classes.

    ``skipped_packs``: the table's ``rule-paths`` were not loaded, so a rule name no loaded rule
    has may be one of theirs: it is recorded in ``unknown_rules`` instead of being an error."""
    where = path or "configuration"
    cfg = Config(path=os.path.abspath(path) if path else None)
    base = os.path.dirname(cfg.path) if cfg.path else os.getcwd()
    if skipped_packs:
        known_rules = _Tolerant(known_rules, cfg.unknown_rules)
    for key, value in table.items():
        if skipped_packs and key not in _KEYS and key not in known_rules and isinstance(value, dict):
            cfg.unknown_rules.append(key)  # the options of a rule from a skipped pack
            continue
        if key in known_rules:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: `{key}` must be a table of options for the rule {key}")
            options = known_rules[key].options
            parsed = {}
            for opt, v in value.items():
                if opt not in options:
                    raise ConfigError(
                        f"{where}: unknown option `{opt}` for rule {key}{_suggest(opt, options)}"
                        + (f" (options: {', '.join(sorted(options))})" if options else " (it has no options)")
                    )
                try:
                    parsed[opt] = options[opt].validate(v)
                except ValueError as exc:
                    raise ConfigError(f"{where}: `{key}.{opt}`: {exc}") from None
            cfg.rule_options[key] = parsed
            continue
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key `{key}`{_suggest(key, list(_KEYS) + list(known_rules))}")
        _check_type(where, key, value, _KEYS[key])
        if key == "verify":
            continue  # not a lint setting; hotlint.verify validates it when it may use it
        if key in ("select", "ignore"):
            _check_rule_names(where, key, value, known_rules, errors_allowed=key == "ignore")
            setattr(cfg, key, list(value))
        elif key == "per-file-ignores":
            for pattern, rules in value.items():
                _check_type(where, f"per-file-ignores.{pattern}", rules, list)
                _check_rule_names(where, f"per-file-ignores.{pattern}", rules, known_rules, errors_allowed=True)
            cfg.per_file_ignores = {k: list(v) for k, v in value.items()}
        elif key in ("respect-gitignore", "force-exclude", "report-unused-suppressions"):
            setattr(cfg, key.replace("-", "_"), value)
        elif key == "cache-line-size":
            if value < 16 or value > 1024 or value & (value - 1):
                raise ConfigError(f"{where}: `cache-line-size` must be a power of two between 16 and 1024, got {value}")
            cfg.cache_line_size = value
        elif key == "timeout":
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{where}: `timeout` must be a positive number of seconds, got {value}")
            cfg.timeout = float(value)
        elif key == "compile-commands":
            cfg.compile_commands = os.path.normpath(os.path.join(base, value))
        elif key == "rule-paths":
            cfg.rule_paths = [os.path.normpath(os.path.join(base, p)) for p in value]
        elif key == "profile":
            cfg.profile = [os.path.normpath(os.path.join(base, p)) for p in value]
        elif key in ("hot-threshold", "min-severity"):
            from .rank import parse_severity, parse_threshold  # noqa: PLC0415

            try:
                if key == "hot-threshold":
                    cfg.hot_threshold = parse_threshold(value)
                else:
                    cfg.min_severity = parse_severity(value).value
            except ValueError as exc:
                raise ConfigError(f"{where}: `{key}` {exc}") from None
        elif key == "extra-args":
            from .compdb import clean_extra_args  # noqa: PLC0415 - compdb is heavier than config

            cleaned = clean_extra_args(value, base)
            cfg.extra_args = cleaned.args
            cfg.notes.extend(f"{where}: `extra-args`: {w}" for w in cleaned.warnings)
        else:
            setattr(cfg, key.replace("-", "_"), list(value))
    return cfg


class _Tolerant(dict):
    """Known rules, while rule packs were skipped: names it lacks are noted, not errors."""

    def __init__(self, known: dict, unknown: list[str]):
        super().__init__(known)
        self.unknown = unknown


def _check_rule_names(where: str, key: str, names: list[str], known: dict, errors_allowed: bool = False) -> None:
    for n in names:
        if n.upper() == "ALL" or any(ch in n for ch in "*?["):
            continue
        if n in ERROR_KINDS and n not in known:
            if errors_allowed:
                continue
            raise ConfigError(f"{where}: `{key}` names `{n}`, an error category: errors are always reported "
                              "unless `ignore` or `per-file-ignores` names them")
        if n not in known:
            if isinstance(known, _Tolerant):
                if n not in known.unknown:
                    known.unknown.append(n)
                continue
            raise ConfigError(f"{where}: `{key}` names unknown rule `{n}`{_suggest(n, list(known))}")


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def read_toml(path: str) -> dict:
    try:
        data = read_regular(path, CONFIG_LIMIT)
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except ReadRefused as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def table_from_file(path: str) -> Optional[dict]:
    """The hotlint table of a config file, or None when a pyproject.toml has none."""
    data = read_toml(path)
    tool = data.get("tool")
    if os.path.basename(path) == "pyproject.toml":
        return tool.get("hotlint") if isinstance(tool, dict) else None
    if isinstance(tool, dict) and "hotlint" in tool:
        return tool["hotlint"]
    return data


def find_config_file(start_dir: str) -> Optional[str]:
    """The nearest ``.hotlint.toml`` or ``pyproject.toml`` with ``[tool.hotlint]``, upward."""
    d = os.path.abspath(start_dir)
    while True:
        for name in CONFIG_FILES:
            cand = os.path.join(d, name)
            if os.path.isfile(cand):
                if name == "pyproject.toml":
                    try:
                        if table_from_file(cand) is None:
                            continue
                    except ConfigError:
                        return cand  # let the loader report it
                return cand
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def rule_paths_of(table: dict, path: Optional[str]) -> list[str]:
    """``rule-paths`` of a table, resolved against the config file's folder."""
    value = table.get("rule-paths", [])
    _check_type(path or "configuration", "rule-paths", value, list)
    base = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
    return [os.path.normpath(os.path.join(base, p)) for p in value]


def apply_overrides(cfg: Config, o: dict, known: dict) -> Config:
    """``cfg`` with command-line or editor settings on top: ``select`` replaces the file's ``select``
    (and, with ``select_replaces_ignore``, as the command line asks, its ``ignore`` of rules: error
    categories stay ignored), ``ignore_extra``
    and ``extra_args`` add, ``cache_line_size``, ``timeout``, ``profile``, ``hot_threshold`` and
    ``min_severity`` replace. ``known`` maps rule names
    to their classes; an unknown name (not a glob) is a ``ConfigError``."""
    cfg = replace(cfg, rule_options=dict(cfg.rule_options))
    for name in o.get("select") or []:
        if name in ERROR_KINDS and name not in known:
            raise ConfigError(f"--select names `{name}`, an error category: errors are always reported unless "
                              "--ignore names them")
    for name in (o.get("select") or []) + (o.get("ignore_extra") or []):
        if name in ERROR_KINDS and name not in known:
            continue
        if name.upper() != "ALL" and not any(c in name for c in "*?[") and name not in known:
            packs = (f" (the rule packs of {cfg.path} were not loaded: {cfg.skipped_because})"
                     if cfg.skipped_rule_paths else "")
            raise ConfigError(f"unknown rule `{name}`{_suggest(name, list(known))}; `hotlint rules` lists them{packs}")
    if "select" in o:
        cfg.select = list(o["select"])
        if o.get("select_replaces_ignore"):  # the command line's: the file's `ignore` of rules goes too (as ruff)
            cfg.ignore = [n for n in cfg.ignore if n in ERROR_KINDS]
    if "ignore_extra" in o:
        cfg.ignore = cfg.ignore + list(o["ignore_extra"])
    if "extra_args" in o:
        cfg.extra_args = cfg.extra_args + list(o["extra_args"])
    for key in ("cache_line_size", "timeout", "profile", "hot_threshold", "min_severity"):
        if key in o:
            setattr(cfg, key, o[key])
    return cfg


class ConfigResolver:
    """Finds and caches the configuration governing each file.

    ``registry_loader(rule_paths)`` returns the rules a configuration may name: the
    built-in ones plus those its own ``rule-paths`` bring, which load only when ``trust``
    allows them for the linted file (see ``hotlint.trust``).
    """

    def __init__(self, registry_loader, explicit: Optional[str] = None, overrides: Optional[dict] = None,
                 trust: Optional[Trust] = None, explicit_is_users: bool = True):
        self.registry_loader = registry_loader
        self.explicit = explicit
        # whether the user named ``explicit`` (--config), so it may lie outside the project
        self.explicit_is_users = explicit_is_users
        self.overrides = overrides or {}
        self.trust = trust if trust is not None else Trust()
        self._by_file: dict[tuple[Optional[str], str], Config] = {}
        self._by_dir: dict[str, Optional[str]] = {}
        self._tables: dict[str, dict] = {}

    def _table(self, path: str) -> dict:
        if path not in self._tables:
            table = table_from_file(path) or {}
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: [tool.hotlint] must be a table")
            self._tables[path] = table
        return self._tables[path]

    def load(self, path: Optional[str], linted: Optional[str] = None) -> Config:
        """The configuration in ``path`` (None: the defaults) as it applies to ``linted``."""
        table = {} if path is None else self._table(path)
        wanted = rule_paths_of(table, path)
        why = ""
        if wanted:
            allowed, why = self.trust.rule_paths_allowed(
                path, linted or path, explicit=self.explicit_is_users and path == self.explicit)
            if allowed:
                why = ""
        key = (path, why)
        if key in self._by_file:
            return self._by_file[key]
        registry = self.registry_loader([] if why else wanted)
        cfg = parse_table(table, path, registry.rules, skipped_packs=bool(why))
        if why:
            cfg.rule_paths, cfg.skipped_rule_paths, cfg.skipped_because = [], wanted, why
        cfg.registry = registry
        for key_, value in self.overrides.items():
            if key_ == "extra_args":
                cfg.extra_args = cfg.extra_args + list(value)
            elif key_ == "rule_options":
                for rule, opts in value.items():
                    cfg.rule_options.setdefault(rule, {}).update(opts)
            else:
                setattr(cfg, key_, value)
        self._by_file[key] = cfg
        return cfg

    def for_file(self, file_path: str) -> Config:
        if self.explicit:
            return self.load(self.explicit, file_path)
        d = os.path.dirname(os.path.abspath(file_path))
        if d not in self._by_dir:
            self._by_dir[d] = find_config_file(d)
        return self.load(self._by_dir[d], file_path)


def skipped_packs_note(cfg: Config) -> Optional[str]:
    """The one line that says a configuration's rule packs were not loaded, and how to load them."""
    if not cfg.skipped_rule_paths:
        return None
    names = ", ".join(f"`{n}`" for n in cfg.unknown_rules[:4]) + (", ..." if len(cfg.unknown_rules) > 4 else "")
    uses = f"; the rules it names that they may define ({names}) do not run" if cfg.unknown_rules else ""
    return f"skipped its `rule-paths`: {cfg.skipped_because}{uses}"
