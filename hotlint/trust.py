"""Which projects the user trusts to run code: the only gate for project-file rule packs.

Configuration is data, but ``rule-paths`` names Python that hotlint would import and run. A
checkout's ``pyproject.toml`` or ``.hotlint.toml`` is written by whoever wrote the checkout,
so its rule packs load only for a project the user has trusted explicitly, as editors'
workspace trust does:

- ``--trust`` on the command line (every project linted in that run);
- ``HOTLINT_TRUSTED_FOLDERS``: folders separated by ``os.pathsep``;
- ``trusted-folders`` in the user's own ``$XDG_CONFIG_HOME/hotlint/config.toml``
  (``~/.config/hotlint/config.toml``).

A configuration file above the project's root (a shared ``/tmp``, a parent folder another
user can write) is never trusted for ``rule-paths``, whatever the user trusts.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Optional

ENV_VAR = "HOTLINT_TRUSTED_FOLDERS"
_VCS_MARKERS = (".git", ".hg", ".svn", ".jj")


def user_config_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "hotlint", "config.toml")


HOW_TO_TRUST = (f"pass --trust, list the folder in {ENV_VAR}, or add it to `trusted-folders` in "
                "~/.config/hotlint/config.toml")


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(os.path.expanduser(path)))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def project_root(path: str) -> str:
    """The root of the project ``path`` belongs to: the nearest folder upward holding a
    version-control folder; without one, the working directory when ``path`` lies below it,
    else the folder of ``path`` itself."""
    start = os.path.abspath(path)
    d = start if os.path.isdir(start) else os.path.dirname(start)
    probe = d
    while True:
        if any(os.path.lexists(os.path.join(probe, m)) for m in _VCS_MARKERS):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    cwd = os.path.abspath(os.getcwd())
    return cwd if _within(d, cwd) else d


@dataclass(frozen=True)
class Trust:
    folders: tuple[str, ...] = ()  # real paths of trusted folders
    every_project: bool = False  # --trust
    source_of: tuple[tuple[str, str], ...] = ()  # (folder, where it was named) for messages

    @classmethod
    def from_environment(cls, flag: bool = False, environ: Optional[dict] = None) -> "Trust":
        """The user's trust: the command-line flag, the environment and the user's own config."""
        from .config import ConfigError, read_toml

        environ = os.environ if environ is None else environ
        named: list[tuple[str, str]] = []
        for folder in (environ.get(ENV_VAR) or "").split(os.pathsep):
            if folder.strip():
                named.append((folder.strip(), ENV_VAR))
        path = user_config_path()
        if os.path.isfile(path):
            data = read_toml(path)
            value = data.get("trusted-folders", [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: `trusted-folders` must be a list of folder paths")
            unknown = sorted(set(data) - {"trusted-folders"})
            if unknown:
                raise ConfigError(f"{path}: unknown key `{unknown[0]}` (the user configuration holds "
                                  "`trusted-folders`)")
            named.extend((v, path) for v in value)
        return cls(tuple(_real(f) for f, _ in named), flag, tuple(named))

    def rule_paths_allowed(self, config_path: str, linted: str, explicit: bool = False,
                           runs: str = "they would run its Python code") -> tuple[bool, str]:
        """Whether ``rule-paths`` of ``config_path`` may load for the file ``linted``, and if
        not, why. ``explicit``: the user named the configuration file (``--config``). The same
        gate holds for anything else a configuration would run (``hotlint verify``'s commands),
        with ``runs`` saying what."""
        config_dir = _real(os.path.dirname(os.path.abspath(config_path)))
        root = project_root(linted)
        if not explicit and not _within(config_dir, _real(root)):
            return False, (f"it lies above the project root {root}: rule packs load only from the project's "
                           "own configuration")
        if self.every_project or any(_within(config_dir, f) for f in self.folders):
            return True, ""
        return False, f"the project is not trusted ({runs}); " + HOW_TO_TRUST


def running_python_paths() -> list[str]:
    """Where this interpreter's packages are installed, for loading entry points: every
    ``sys.path`` entry except the working directory (``''``, ``.`` or its absolute path),
    which a checkout controls (a ``*.dist-info`` folder in it would register rule packs)."""
    cwd = _real(os.getcwd())
    out = []
    for p in sys.path:
        if not p or not os.path.isabs(p):
            continue
        if _real(p) == cwd:
            continue
        out.append(p)
    return out
