"""What the server analyzes each file with: the project's configuration file and
compile flags (found as the CLI finds them) with the editor's settings on top.

Editor settings arrive in ``initializationOptions`` and
``workspace/didChangeConfiguration`` (either flat or under a ``hotlint`` key):
``select``, ``ignore``, ``extraArgs``, ``compileCommands``, ``config``,
``cacheLineSize``, ``debounce`` (milliseconds), ``pullDiagnostics``, and the
ranking's ``minSeverity`` (info, warning or error), ``profile`` (a profile path or
a list of them) and ``hotThreshold`` (percent). Like command-line flags they
override the configuration file: ``select`` replaces its selection, ``ignore``
and ``extraArgs`` add to its lists, the ranking's settings replace its keys.

A profile is a file the server reads, so its path comes only from the editor's
settings (the extension sends the user's own value) or from a configuration file
the user trusts (``hotlint.trust``): an untrusted checkout's ``profile`` key is
not followed, and a note says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..compdb import FlagResolver, HeaderContext, clean_extra_args, find_database
from ..config import (
    Config,
    ConfigError,
    ConfigResolver,
    apply_overrides,
    find_config_file,
    skipped_packs_note,
)
from ..engine import EngineOptions
from ..rule import load_rules
from ..trust import Trust

DEFAULT_DEBOUNCE_MS = 250
# While one file's analysis runs, the worker answers no other: a checkout's `timeout` cannot hold
# the editor up longer than this per file (the command line caps it at MAX_CONFIG_TIMEOUT).
MAX_EDITOR_TIMEOUT = 60.0

# accepted spellings of each setting: the editors' camelCase, the config file's kebab-case
_ALIASES = {
    "select": ("select",),
    "ignore": ("ignore",),
    "extra_args": ("extraArgs", "extra-args", "extra_args"),
    "compile_commands": ("compileCommands", "compile-commands", "compile_commands"),
    "config": ("config", "configFile", "config-file"),
    "cache_line_size": ("cacheLineSize", "cache-line-size", "cache_line_size"),
    "debounce": ("debounce", "debounceMs"),
    "pull_diagnostics": ("pullDiagnostics", "pull-diagnostics", "pull_diagnostics"),
    "min_severity": ("minSeverity", "min-severity", "min_severity"),
    "profile": ("profile", "profiles"),
    "hot_threshold": ("hotThreshold", "hot-threshold", "hot_threshold"),
}


def settings_section(data: Any) -> dict:
    """The hotlint settings in what a client sent: flat, or under a ``hotlint`` key."""
    if isinstance(data, dict) and isinstance(data.get("hotlint"), dict):
        return data["hotlint"]
    return data if isinstance(data, dict) else {}


@dataclass
class ClientSettings:
    select: Optional[list[str]] = None  # None (or empty): the configuration file decides
    ignore: list[str] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    compile_commands: Optional[str] = None
    config: Optional[str] = None
    cache_line_size: Optional[int] = None
    debounce: float = DEFAULT_DEBOUNCE_MS / 1000  # seconds
    pull_diagnostics: bool = True
    min_severity: Optional[str] = None  # None: the configuration's, else info (the editor shows every finding)
    profile: Optional[list[str]] = None  # None: a trusted configuration's `profile`
    hot_threshold: Optional[float] = None  # a fraction; None: the configuration's or the default
    problems: list[str] = field(default_factory=list)  # settings that were ignored, and why

    @classmethod
    def parse(cls, data: Any, root: Optional[str] = None) -> "ClientSettings":
        out = cls()
        data = settings_section(data)
        values = {}
        for name, spellings in _ALIASES.items():
            for key in spellings:
                if key in data and data[key] is not None:
                    values[name] = data[key]
                    break
        for name in ("select", "ignore", "extra_args"):
            if name in values:
                value = values[name]
                if isinstance(value, str):
                    value = [v.strip() for v in value.split(",") if v.strip()] if name != "extra_args" else [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    out.problems.append(f"`{name}` must be a list of strings; ignored")
                    continue
                if name == "extra_args":  # cleaned as every flag source is (see hotlint.flags)
                    cleaned = clean_extra_args(value, root or os.getcwd())
                    value = cleaned.args
                    out.problems.extend(f"`extraArgs`: {w}" for w in cleaned.warnings)
                setattr(out, name, value)
        if not out.select:
            out.select = None
        for name in ("compile_commands", "config"):
            if name in values:
                value = values[name]
                if not isinstance(value, str):
                    out.problems.append(f"`{name}` must be a path; ignored")
                elif value:
                    value = os.path.expanduser(value)
                    setattr(out, name, os.path.normpath(os.path.join(root or os.getcwd(), value)))
        if "cache_line_size" in values:
            value = values["cache_line_size"]
            if isinstance(value, int) and not isinstance(value, bool) and 16 <= value <= 1024 and not value & (value - 1):
                out.cache_line_size = value
            else:
                out.problems.append(f"`cacheLineSize` must be a power of two between 16 and 1024, got {value!r}; ignored")
        if "debounce" in values:
            value = values["debounce"]
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                out.debounce = value / 1000
            else:
                out.problems.append(f"`debounce` must be a number of milliseconds, got {value!r}; ignored")
        if "pull_diagnostics" in values:
            out.pull_diagnostics = bool(values["pull_diagnostics"])
        out._parse_ranking(values, root)
        return out

    def _parse_ranking(self, values: dict, root: Optional[str]) -> None:
        from ..rank import parse_severity, parse_threshold

        for name in ("min_severity", "hot_threshold"):  # "" or null: the configuration decides
            if values.get(name) == "":
                del values[name]
        if "min_severity" in values:
            try:
                self.min_severity = parse_severity(values["min_severity"]).value
            except ValueError as exc:
                self.problems.append(f"`minSeverity` {exc}; ignored")
        if "hot_threshold" in values:
            value = values["hot_threshold"]
            try:
                if isinstance(value, bool):
                    raise ValueError(f"must be a percentage such as 1 or 0.5%, got {value!r}")
                self.hot_threshold = parse_threshold(value)
            except ValueError as exc:
                self.problems.append(f"`hotThreshold` {exc}; ignored")
        if "profile" in values:
            value = values["profile"]
            if isinstance(value, str):
                value = [value] if value.strip() else []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.problems.append("`profile` must be a path or a list of paths; ignored")
            else:
                base = root or os.getcwd()
                # an empty list (the extension's default): the configuration decides
                self.profile = [os.path.normpath(os.path.join(base, os.path.expanduser(v))) for v in value if v] \
                    or None


@dataclass
class FileSetup:
    """How one file is analyzed, or why it is not."""

    args: list[str] = field(default_factory=list)
    context: Optional[HeaderContext] = None  # a header analyzed inside this unit (``args`` are its flags)
    options: EngineOptions = field(default_factory=EngineOptions)
    timeout: float = 60.0
    excluded: bool = False
    # the ranking (hotlint.rank): profiles to read, hot threshold (a fraction), minimum severity
    profiles: tuple[str, ...] = ()
    hot_threshold: Optional[float] = None
    min_severity: Optional[str] = None
    error: Optional[str] = None  # a configuration error: nothing is analyzed
    notes: list[str] = field(default_factory=list)  # said once in the log
    problems: list[str] = field(default_factory=list)  # shown to the user once


def _mtime(path: Optional[str]) -> Optional[int]:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


class Project:
    """Configuration and compile flags for each file, reloaded when their files change."""

    def __init__(self, settings: ClientSettings):
        self.settings = settings
        self._reset()

    def _reset(self) -> None:
        # The server has no --trust: the environment and the user's own configuration decide
        # (an editor extension sets HOTLINT_TRUSTED_FOLDERS for a workspace the editor trusts).
        # A `config` setting may come from a workspace's own settings file, so the file it names
        # is held to the same rule as any project file (explicit_is_users=False).
        self._configs = ConfigResolver(load_rules, explicit=self.settings.config, trust=_trust(),
                                       explicit_is_users=False)
        self._flags: dict[Optional[str], FlagResolver] = {}
        self._stamps: dict[str, tuple] = {}

    def _flag_resolver(self, source: Optional[str]) -> FlagResolver:
        if source not in self._flags:
            self._flags[source] = FlagResolver(source)
        return self._flags[source]

    def _changed(self, path: str, db_source: Optional[str]) -> bool:
        """Whether the configuration file or the compilation database behind ``path`` changed
        (or another one now governs it) since it was last read."""
        folder = os.path.dirname(path)
        config = self.settings.config or find_config_file(folder)
        database = self._flag_resolver(db_source).database_path(path) if db_source else find_database(folder)
        stamp = (config, _mtime(config), database, _mtime(database))
        changed = self._stamps.get(folder, stamp) != stamp
        self._stamps[folder] = stamp
        return changed

    def _base(self, path: str) -> tuple[Config, Optional[str], list[str]]:
        base = self._configs.for_file(path)
        db_source = self.settings.compile_commands or base.compile_commands
        problems = []
        if db_source and not os.path.exists(db_source):
            problems.append(f"compile-commands `{db_source}` not found; searching upward from each file instead")
            db_source = None
        return base, db_source, problems

    def setup_for(self, path: str) -> FileSetup:
        s = self.settings
        setup = FileSetup()
        try:
            base, db_source, problems = self._base(path)
            if self._changed(path, db_source):
                stamps = self._stamps
                self._reset()
                self._stamps = stamps
                base, db_source, problems = self._base(path)
        except ConfigError as exc:
            self._reset()  # read it again next time: the user is probably fixing it
            return FileSetup(error=f"configuration error: {exc}")
        setup.problems.extend(problems)
        skipped = skipped_packs_note(base)
        if skipped:
            setup.problems.append(f"{base.path}: {skipped}")
        setup.problems.extend(base.notes)
        registry = base.registry
        setup.problems.extend(f"{base.path or 'rules'}: {p}" for p in registry.problems)
        setup.problems.extend(f"editor setting {p}" for p in s.problems)
        overrides: dict[str, Any] = {}
        known = registry.rules
        for key, names in (("select", s.select), ("ignore_extra", s.ignore)):
            if not names:
                continue
            bad = [n for n in names if n.upper() != "ALL" and not any(c in n for c in "*?[") and n not in known]
            if bad:
                setup.problems.append(f"editor setting `{key.split('_')[0]}` names unknown rule(s) "
                                      f"{', '.join(bad)}; `hotlint rules` lists them")
            kept = [n for n in names if n not in bad]
            if kept:
                overrides[key] = kept
        if s.extra_args:
            overrides["extra_args"] = s.extra_args
        if s.cache_line_size:
            overrides["cache_line_size"] = s.cache_line_size
        cfg = apply_overrides(base, overrides, known)
        setup.excluded = cfg.is_excluded(path)
        flags = self._flag_resolver(db_source).flags_for(path, cfg.extra_args)
        setup.args, setup.context = flags.args, flags.context
        setup.notes = [f"flags from {flags.origin}: {' '.join(flags.args)}", *flags.warnings]
        setup.options = EngineOptions.for_config(cfg, path)
        setup.timeout = min(cfg.timeout, MAX_EDITOR_TIMEOUT)
        self._ranking(setup, cfg, base, path)
        return setup

    def _ranking(self, setup: FileSetup, cfg: Config, base: Config, path: str) -> None:
        """The ranking settings: the editor's over the configuration's; the configuration's
        profiles only when the user trusts it (a profile is a file the server would read)."""
        s = self.settings
        setup.min_severity = s.min_severity or cfg.min_severity
        setup.hot_threshold = s.hot_threshold or cfg.hot_threshold
        if s.profile is not None:
            setup.profiles = tuple(s.profile)
        elif cfg.profile and base.path:
            allowed, _ = self._configs.trust.rule_paths_allowed(base.path, path)
            if allowed:
                setup.profiles = tuple(cfg.profile)
            else:
                from ..trust import HOW_TO_TRUST

                setup.problems.append(f"{base.path}: `profile` is not read in the editor: the project is not "
                                      f"trusted ({HOW_TO_TRUST}), or name the profile in the editor's "
                                      "`hotlint.profile` setting")


def _trust() -> Trust:
    try:
        return Trust.from_environment()
    except ConfigError:
        return Trust()  # a broken user configuration trusts nothing; the CLI reports it
