"""Which files ``hotlint PATH...`` lints: folders walked as ruff walks them.

- Folders every C and C++ project has but nobody wants linted are skipped by default
  (``DEFAULT_EXCLUDE``: version control, build and CMake output, vendored code, virtual
  environments). The ``exclude`` key or ``--exclude`` replaces that list; ``extend-exclude`` and
  ``--extend-exclude`` add to it.
- ``.gitignore`` files (and ``.git/info/exclude``) are respected, from the repository's root
  (the nearest folder above holding ``.git``; without one, the working directory) down to the
  file (``respect-gitignore = false`` or ``--no-respect-gitignore`` turns this off).
- A file named on the command line is linted even when excluded, unless ``--force-exclude``
  (or ``force-exclude = true``) is given: pre-commit names every changed file.
- A compilation database's units below a walked folder are linted too (a source with an
  extension hotlint does not guess, a unit outside the skipped folders' reach), unless excluded.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Sequence

from .compdb import SOURCE_EXTENSIONS
from .model import ErrorRecord

# ruff's defaults, plus the build, CMake and vendoring folders of C and C++ projects
DEFAULT_EXCLUDE = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".hotlint_cache", ".mypy_cache", ".nox",
    ".pants.d", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "__pycache__",
    "_build", "buck-out", "build", "cmake-build-*", "CMakeFiles", "dist", "node_modules", "out",
    "site-packages", "venv", "third_party", "third-party", "3rdparty", "vendor", "external", "bazel-*",
)


def _relative(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return path.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


@dataclass
class Exclusion:
    """The exclusion settings that hold for one folder: patterns relative to ``root``."""

    root: str
    patterns: tuple[str, ...]
    respect_gitignore: bool = True
    force_exclude: bool = False


@dataclass
class CommandLineExcludes:
    exclude: Optional[list[str]] = None  # --exclude: replaces the configured or default list
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: Optional[bool] = None
    force_exclude: Optional[bool] = None


class Discovery:
    """Decides, per path, whether it is excluded; ``settings_for(folder)`` gives the configuration's
    exclusion settings for a folder (``cli.py`` reads them from the nearest configuration file)."""

    def __init__(self, settings_for: Callable[[str], Exclusion], cli: Optional[CommandLineExcludes] = None,
                 cwd: Optional[str] = None):
        self.settings_for = settings_for
        self.cli = cli or CommandLineExcludes()
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self._matchers: dict[tuple, Callable[[str], bool]] = {}
        self._specs: dict[str, object] = {}
        self._repo_roots: dict[str, str] = {}

    # ---- settings

    def effective(self, folder: str) -> Exclusion:
        ex = self.settings_for(folder)
        cli = self.cli
        return Exclusion(
            root=ex.root, patterns=ex.patterns,
            respect_gitignore=ex.respect_gitignore if cli.respect_gitignore is None else cli.respect_gitignore,
            force_exclude=ex.force_exclude if cli.force_exclude is None else cli.force_exclude,
        )

    def _matcher(self, patterns: tuple[str, ...]) -> Callable[[str], bool]:
        """Whether a relative path, or its last component, matches one of ``patterns`` (as ruff
        matches its excludes: a folder's pattern stops the walk there)."""
        if patterns not in self._matchers:
            if not patterns:
                self._matchers[patterns] = lambda rel: False
            else:
                regex = re.compile("|".join(f"(?:{fnmatch.translate(p.rstrip('/'))})" for p in patterns))
                self._matchers[patterns] = lambda rel: bool(regex.match(rel) or regex.match(rel.rsplit("/", 1)[-1]))
        return self._matchers[patterns]

    def excluded_by_pattern(self, path: str) -> Optional[str]:
        """Which setting excludes ``path`` (``exclude``, ``--exclude``, ``--extend-exclude``), or None."""
        path = os.path.abspath(path)
        ex = self.settings_for(os.path.dirname(path))
        if self.cli.exclude is not None:
            if self._matcher(tuple(self.cli.exclude))(_relative(path, self.cwd)):
                return "--exclude"
        elif self._matcher(ex.patterns)(_relative(path, ex.root)):
            return "exclude"
        if self.cli.extend_exclude and self._matcher(tuple(self.cli.extend_exclude))(_relative(path, self.cwd)):
            return "--extend-exclude"
        return None

    # ---- .gitignore

    def _repo_root(self, folder: str) -> str:
        if folder not in self._repo_roots:
            d = folder
            while True:
                if os.path.exists(os.path.join(d, ".git")):
                    root = d
                    break
                parent = os.path.dirname(d)
                if parent == d:
                    # no repository: the working directory's .gitignore files (never those above it)
                    root = self.cwd if (folder + os.sep).startswith(self.cwd.rstrip(os.sep) + os.sep) else folder
                    break
                d = parent
            self._repo_roots[folder] = root
        return self._repo_roots[folder]

    def _spec(self, folder: str, repo_root: str):
        key = folder
        if key not in self._specs:
            lines: list[str] = []
            names = [".gitignore"] + ([os.path.join(".git", "info", "exclude")] if folder == repo_root else [])
            for name in names:
                try:
                    from .safeio import CONFIG_LIMIT, read_regular  # noqa: PLC0415

                    lines += read_regular(os.path.join(folder, name), CONFIG_LIMIT).decode("utf-8", "replace").splitlines()
                except (OSError, ValueError):
                    continue
            spec = None
            if lines:
                import pathspec  # noqa: PLC0415

                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            self._specs[key] = spec
        return self._specs[key]

    def gitignored(self, path: str, is_dir: bool) -> bool:
        """``path`` matches the ``.gitignore`` files above it (the deepest one that decides wins)."""
        path = os.path.abspath(path)
        parent = os.path.dirname(path)
        root = self._repo_root(parent)
        folders = []
        d = parent
        while True:
            folders.append(d)
            if d == root:
                break
            up = os.path.dirname(d)
            if up == d:
                break
            d = up
        decided: Optional[bool] = None
        for folder in reversed(folders):  # shallow to deep: a deeper file overrides
            spec = self._spec(folder, root)
            if spec is None:
                continue
            rel = _relative(path, folder) + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                decided = result.include
        return bool(decided)

    # ---- decisions

    def excluded(self, path: str, is_dir: bool) -> bool:
        if self.excluded_by_pattern(path):
            return True
        ex = self.effective(os.path.dirname(os.path.abspath(path)))
        return ex.respect_gitignore and self.gitignored(path, is_dir)

    def explicit_excluded(self, path: str) -> bool:
        """A path named on the command line: excluded only under force-exclude, when it or a
        folder above it (up to the working directory or its configuration's folder) is."""
        path = os.path.abspath(path)
        ex = self.effective(os.path.dirname(path))
        if not ex.force_exclude:
            return False
        if self.excluded(path, os.path.isdir(path)):
            return True
        stop = {self.cwd, ex.root}
        d = os.path.dirname(path)
        while d not in stop and os.path.dirname(d) != d:
            if self.excluded(d, True):
                return True
            d = os.path.dirname(d)
        return False

    def walk(self, top: str) -> Iterator[str]:
        """Source files below ``top``, sorted per folder, not following symlinked folders (no
        loops), skipping hidden folders and every excluded or ignored one; iterative."""
        stack = [os.path.abspath(top)]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = list(it)
            except OSError:
                continue
            dirs, files = [], []
            for e in entries:
                try:
                    is_dir = e.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    if not e.name.startswith(".") and not self.excluded(e.path, True):
                        dirs.append(e.name)
                elif os.path.splitext(e.name)[1] in SOURCE_EXTENSIONS and not self.excluded(e.path, False):
                    files.append(e.path)
            yield from sorted(files)
            stack.extend(os.path.join(folder, d) for d in sorted(dirs, reverse=True))


def collect_files(paths: Sequence[str], discovery: Discovery,
                  database_units: Callable[[str], Sequence[str]] = lambda folder: ()
                  ) -> tuple[list[str], list[ErrorRecord], int]:
    """(files to lint, missing-path errors, how many named files were left out by force-exclude).

    ``database_units(folder)``: the compilation database's units below a walked folder."""
    files, errors, seen = [], [], set()
    forced_out = 0

    def add(full: str) -> None:
        if full not in seen:
            seen.add(full)
            files.append(full)

    for p in paths:
        full = os.path.abspath(p)
        if not (os.path.exists(p) or os.path.islink(p)):
            errors.append(ErrorRecord(path=full, message="no such file or directory", kind="missing-file"))
            continue
        if discovery.explicit_excluded(full):
            forced_out += 1
            continue
        if os.path.isdir(p):
            for f in discovery.walk(full):
                add(f)
            for unit in database_units(full):
                if os.path.isfile(unit) and not _under_excluded(unit, full, discovery):
                    add(unit)
        else:
            add(full)
    return files, errors, forced_out


def _under_excluded(path: str, top: str, discovery: Discovery) -> bool:
    """``path`` (below ``top``) or a folder between them is excluded or hidden."""
    rel = os.path.relpath(path, top)
    if rel.startswith(".."):
        return True
    parts = rel.split(os.sep)
    d = top
    for part in parts[:-1]:
        d = os.path.join(d, part)
        if part.startswith(".") or discovery.excluded(d, True):
            return True
    return discovery.excluded(path, False)
