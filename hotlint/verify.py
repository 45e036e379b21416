"""``hotlint verify``: each fix proven on the user's own project before it is kept.

For every fixable finding (or those chosen), hotlint applies that one fix in a scratch copy of
the project, builds it, runs its tests, and runs its benchmark alternately against the
unchanged project (built once in a scratch copy of its own) for several rounds. A fix is
*verified* only when it builds, the tests pass, the benchmark prints the same checksum (when
it prints one), and the benchmark is faster beyond the measured noise: the lower end of the
95% interval of the ratio (``bench.ratio_interval``) is above ``min-speedup``. Every other fix
is reported as *no faster*, *breaks tests* or *does not build*, with figures. ``--apply``
writes the verified fixes into the user's tree, and nothing else.

The commands are the user's: the command line (``--build``, ``--test``, ``--bench``), or the
``verify`` table of the project's configuration only when the user trusts the project
(``hotlint.trust``: ``--trust``, ``HOTLINT_TRUSTED_FOLDERS``, ``trusted-folders``), as for
rule packs. They run without a shell, inside the scratch copy, with a time limit, and their
output is captured.

The scratch copies are ``git worktree``s of HEAD when the project is in a git repository (the
user's uncommitted changes and untracked, not ignored, files are carried over), otherwise
copies in a temporary folder (without build folders: a folder holding ``CMakeCache.txt`` or
``CACHEDIR.TAG``). The user's tree is never written before ``--apply``; the copies are removed
and the worktrees pruned at the end.

The benchmark contract: the bench command's last ``elapsed_ns N`` line is its time (the
kernel only, in nanoseconds); a command that prints none is timed by its wall clock. A
``checksum X`` line, when printed, must match the unchanged build's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .bench import alternate, ratio_interval, read_measurement

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 2, 3
VERIFIED, NO_FASTER, BREAKS_TESTS, DOES_NOT_BUILD = "verified", "no faster", "breaks tests", "does not build"
DEFAULT_ROUNDS, DEFAULT_WARMUP, DEFAULT_TIMEOUT, DEFAULT_MIN_SPEEDUP = 7, 1, 600.0, 1.02
_OUTPUT_KEPT = 4000  # characters of a failing command's output kept for the report
_KEYS = ("build", "test", "bench", "working-directory", "rounds", "warmup", "timeout", "min-speedup")


class VerifyError(Exception):
    """The run cannot go on (the unchanged project does not build, a command is missing): exit 2."""


class UsageError(Exception):
    """A usage, configuration or trust problem: exit 3."""


# --------------------------------------------------------------------------- settings


@dataclass
class Settings:
    build: list[list[str]] = field(default_factory=list)
    test: list[list[str]] = field(default_factory=list)
    bench: Optional[list[str]] = None
    working_directory: str = "."
    rounds: int = DEFAULT_ROUNDS
    warmup: int = DEFAULT_WARMUP
    timeout: float = DEFAULT_TIMEOUT
    min_speedup: float = DEFAULT_MIN_SPEEDUP
    source: dict = field(default_factory=dict)  # setting -> where it came from


def _commands(where: str, key: str, value) -> list[list[str]]:
    """A command setting as argument lists: a string (split into words as a shell would, but
    never run by one), a list of strings (one command's arguments, used as they are), or a list
    holding lists (several commands, each a list or a string, run in order)."""
    if not isinstance(value, (str, list)) or not value:
        raise UsageError(f"{where}: `{key}` must be a command (a string or a list of arguments) or a list of "
                         "commands")
    if isinstance(value, str) or not any(isinstance(v, list) for v in value):
        return [_argv(where, key, value)]
    return [_argv(where, key, v) for v in value]


def _argv(where: str, key: str, value) -> list[str]:
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise UsageError(f"{where}: `{key}`: {exc}: {value!r}") from None
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        argv = list(value)
    else:
        raise UsageError(f"{where}: `{key}` must hold strings, got {value!r}")
    if not argv or not argv[0]:
        raise UsageError(f"{where}: `{key}` has an empty command")
    if any("\0" in a for a in argv):
        raise UsageError(f"{where}: `{key}` has a NUL character")
    return argv


def _number(where: str, key: str, value, kind, low: float, high: float):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise UsageError(f"{where}: `{key}` must be {'an integer' if kind is int else 'a number'}, got {value!r}")
    if not math.isfinite(value) or not low <= value <= high:
        raise UsageError(f"{where}: `{key}` must be between {low:g} and {high:g}, got {value!r}")
    return kind(value)


def apply_table(settings: Settings, table: dict, where: str) -> None:
    """Read a ``verify`` table (from a configuration file the user trusts) into ``settings``."""
    if not isinstance(table, dict):
        raise UsageError(f"{where}: `verify` must be a table")
    for key, value in table.items():
        if key not in _KEYS:
            raise UsageError(f"{where}: unknown key `verify.{key}` (known: {', '.join(_KEYS)})")
        _set(settings, key, value, where)


def _set(settings: Settings, key: str, value, where: str) -> None:
    if key in ("build", "test"):
        setattr(settings, key, _commands(where, key, value))
    elif key == "bench":
        cmds = _commands(where, key, value)
        if len(cmds) != 1:
            raise UsageError(f"{where}: `bench` is one command (put set-up steps in `build`)")
        settings.bench = cmds[0]
    elif key == "working-directory":
        if not isinstance(value, str) or os.path.isabs(value) or ".." in value.replace("\\", "/").split("/"):
            raise UsageError(f"{where}: `working-directory` must be a folder inside the project, relative to it, "
                             f"got {value!r}")
        settings.working_directory = value
    elif key == "rounds":
        settings.rounds = _number(where, key, value, int, 3, 1000)
    elif key == "warmup":
        settings.warmup = _number(where, key, value, int, 0, 100)
    elif key == "timeout":
        settings.timeout = _number(where, key, value, float, 1, 86400)
    elif key == "min-speedup":
        settings.min_speedup = _number(where, key, value, float, 1.0, 1000)
    settings.source[key] = where


def project_settings(ns, root: str) -> tuple[Settings, list[str]]:
    """The settings: the project configuration's ``verify`` table when the project is trusted,
    then the command line on top. Returns them and notes to print."""
    from .config import ConfigError, find_config_file, table_from_file
    from .trust import Trust

    settings, notes = Settings(), []
    config = os.path.abspath(ns.config) if ns.config else find_config_file(root)
    table = None
    if config:
        try:
            table = (table_from_file(config) or {}).get("verify")
        except (ConfigError, AttributeError) as exc:
            raise UsageError(str(exc) if isinstance(exc, ConfigError) else f"{config}: not a table") from None
    if table is not None:
        try:
            trust = Trust.from_environment(flag=ns.trust)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        allowed, why = trust.rule_paths_allowed(config, root, explicit=bool(ns.config),
                                                runs="they would run its commands")
        if allowed:
            apply_table(settings, table, f"{config} [verify]")
        else:
            missing = [k for k in ("build", "test", "bench") if k in table and not getattr(ns, k)]
            if missing:
                raise UsageError(f"{config}: not running its `verify` commands ({', '.join(missing)}): {why}; "
                                 "or give them on the command line (--build, --test, --bench)")
            notes.append(f"{config}: its `verify` table was not read: {why}")
    cli = "the command line"
    if ns.build:
        settings.build = [_argv(cli, "--build", c) for c in ns.build]
        settings.source["build"] = cli
    if ns.test:
        settings.test = [_argv(cli, "--test", c) for c in ns.test]
        settings.source["test"] = cli
    if ns.bench:
        settings.bench = _argv(cli, "--bench", ns.bench)
        settings.source["bench"] = cli
    for key, value in (("working-directory", ns.working_directory), ("rounds", ns.rounds),
                       ("warmup", ns.warmup), ("timeout", ns.timeout), ("min-speedup", ns.min_speedup)):
        if value is not None:
            _set(settings, key, value, cli)
    if settings.bench is None:
        raise UsageError("no benchmark command: give --bench CMD, or `bench` in the `verify` table of a trusted "
                         "project's configuration (see `hotlint verify --help`)")
    return settings, notes


# --------------------------------------------------------------------------- commands


@dataclass
class Ran:
    argv: list[str]
    returncode: Optional[int]  # None: timed out or could not start
    output: str  # stdout and stderr, interleaved, the last _OUTPUT_KEPT characters
    stdout: str
    seconds: float
    why: str = ""  # why it did not run or finish

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        cmd = shlex.join(self.argv)
        if self.returncode is None:
            return f"`{cmd}` {self.why}"
        return f"`{cmd}` exited with {self.returncode}"


def run_command(argv: list[str], cwd: str, timeout: float) -> Ran:
    """Run ``argv`` without a shell in ``cwd``, in its own process group (killed whole at the
    time limit), standard input closed, output captured."""
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return Ran(argv, None, "", "", 0.0, f"could not start: {exc.strerror or exc}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        text = (out + err).decode("utf-8", "replace")
        return Ran(argv, None, text[-_OUTPUT_KEPT:], "", time.perf_counter() - start,
                   f"took longer than the time limit ({timeout:g} s)")
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    seconds = time.perf_counter() - start
    stdout = out.decode("utf-8", "replace")
    text = stdout + err.decode("utf-8", "replace")
    return Ran(argv, proc.returncode, text[-_OUTPUT_KEPT:], stdout, seconds)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()


def run_all(commands: list[list[str]], cwd: str, timeout: float) -> Optional[Ran]:
    """Run ``commands`` in order; the first that fails, or None when all succeed."""
    for argv in commands:
        ran = run_command(argv, cwd, timeout)
        if not ran.ok:
            return ran
    return None


# --------------------------------------------------------------------------- scratch copies


def _git(args: list[str], cwd: str, input: Optional[bytes] = None, check: bool = True) -> bytes:
    # the user's own repository, but no hook or file-system monitor runs for hotlint's checkouts
    cmd = ["git", "-c", "core.hooksPath=" + os.devnull, "-c", "core.fsmonitor=false", "-C", cwd] + args
    proc = subprocess.run(cmd, input=input, capture_output=True, timeout=600)
    if check and proc.returncode != 0:
        raise VerifyError(f"`git {' '.join(args)}` failed: {proc.stderr.decode('utf-8', 'replace').strip()[-500:]}")
    return proc.stdout


def git_toplevel(path: str) -> Optional[str]:
    if not shutil.which("git"):
        return None
    try:
        out = _git(["rev-parse", "--show-toplevel"], path, check=False).decode().strip()
        if not out:
            return None
        _git(["rev-parse", "--verify", "--quiet", "HEAD"], path)  # a repository without a commit: copy instead
    except (VerifyError, OSError, subprocess.SubprocessError):
        return None
    return os.path.realpath(out)


def _build_folder(folder: str, names: list[str]) -> list[str]:
    """What a plain copy leaves out: build folders and hotlint's cache."""
    skipped = [n for n in names if n == ".hotlint_cache"]
    for n in names:
        p = os.path.join(folder, n)
        if os.path.isdir(p) and not os.path.islink(p) and (
                os.path.exists(os.path.join(p, "CMakeCache.txt")) or os.path.exists(os.path.join(p, "CACHEDIR.TAG"))):
            skipped.append(n)
    return skipped


class Scratch:
    """Scratch copies of the project in one temporary folder, removed by ``close``."""

    def __init__(self, project: str):
        self.project = os.path.realpath(project)
        self.top = git_toplevel(self.project)
        self.base_dir = tempfile.mkdtemp(prefix="hotlint-verify-")
        self.worktrees: list[str] = []

    @property
    def kind(self) -> str:
        return "git worktree" if self.top else "copy"

    def make(self, name: str) -> str:
        """A new copy named ``name``; returns the project's folder inside it."""
        dest = os.path.join(self.base_dir, name)
        if self.top is None:
            shutil.copytree(self.project, dest, symlinks=True, ignore=_build_folder)
            return dest
        _git(["worktree", "add", "--detach", "--quiet", dest, "HEAD"], self.top)
        self.worktrees.append(dest)
        # the user's tree as it is now: uncommitted changes and untracked files that are not ignored
        diff = _git(["diff", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", "HEAD"], self.top)
        if diff.strip():
            _git(["apply", "--binary", "--whitespace=nowarn", "-"], dest, input=diff)
        untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], self.top)
        for rel in filter(None, os.fsdecode(untracked).split("\0")):
            src, dst = os.path.join(self.top, rel), os.path.join(dest, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif os.path.isfile(src):
                shutil.copy2(src, dst)
        return os.path.join(dest, os.path.relpath(self.project, self.top))

    def remove(self, name: str) -> None:
        dest = os.path.join(self.base_dir, name)
        if dest in self.worktrees:
            _git(["worktree", "remove", "--force", dest], self.top, check=False)
            self.worktrees.remove(dest)
        shutil.rmtree(dest, ignore_errors=True)

    def close(self) -> None:
        for dest in list(self.worktrees):
            _git(["worktree", "remove", "--force", dest], self.top, check=False)
        self.worktrees.clear()
        shutil.rmtree(self.base_dir, ignore_errors=True)
        if self.top:
            _git(["worktree", "prune"], self.top, check=False)


# --------------------------------------------------------------------------- findings


@dataclass
class Candidate:
    id: str  # rule@path:line:column, path relative to the project
    rule: str
    path: str  # relative to the project
    line: int
    column: int
    description: str
    applicability: str
    edits: list  # model.Edit
    verdict: str = ""
    reason: str = ""
    figures: dict = field(default_factory=dict)
    applied: bool = False


def lint(project_copy: str, project: str, cwd: str, ns) -> tuple[list[Candidate], list[str]]:
    """The fixable findings in the copy of ``project``, from hotlint's own JSON report: run in
    a separate process in ``cwd``, a folder of hotlint's own, importing nothing from the copy.
    Returns them and notes on the files whose fixes are not tried (not fully analyzed, as
    ``--fix`` leaves them)."""
    from .model import Fix

    cmd = [sys.executable, "-m", "hotlint", "--no-cache", "--format", "json", "--exit-zero"]
    for flag, value in (("--select", ns.select), ("--ignore", ns.ignore)):
        if value:
            cmd += [flag, ",".join(value)]
    # every fixable finding is a candidate by default: whether its fix pays is what the benchmark
    # measures here, hotness evidence or not
    cmd += ["--min-severity", ns.min_severity or "info"]
    if ns.compile_commands:
        cmd += ["--compile-commands", _inside(project_copy, project, ns.compile_commands, "--compile-commands")]
    if ns.config:
        cmd += ["--config", os.path.abspath(ns.config)]
    if ns.trust:
        cmd.append("--trust")
    if ns.unsafe_fixes:
        cmd.append("--unsafe-fixes")
    cmd += [_inside(project_copy, project, p, "the path") for p in (ns.paths or ["."])]
    env = dict(os.environ, PYTHONSAFEPATH="1")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise VerifyError(f"hotlint could not lint the project (exit {proc.returncode}): "
                          f"{proc.stderr.strip()[-1000:]}") from None
    def rel(path: str) -> str:
        return os.path.relpath(os.path.join(cwd, path), project_copy)

    broken = {rel(e["path"]) for e in report.get("errors", []) if e.get("kind") != "invalid-suppression"}
    out, notes = [], []
    for d in report.get("diagnostics", []):
        fix = d.get("fix")
        if not fix or fix["applicability"] == "display-only":
            continue
        if fix["applicability"] == "unsafe" and not ns.unsafe_fixes:
            continue
        if rel(d["path"]) in broken:
            notes.append(f"{rel(d['path'])}:{d['line']}: its fix is not tried: the file could not be fully analyzed")
            continue
        rel_path = rel(d["path"])
        out.append(Candidate(f"{d['rule']}@{rel_path}:{d['line']}:{d['column']}", d["rule"], rel_path, d["line"],
                             d["column"], fix["description"], fix["applicability"], list(Fix.from_json(fix).edits)))
    out.sort(key=lambda c: (c.path, c.line, c.column, c.rule))
    return out, notes


def _inside(project_copy: str, project: str, path: str, what: str) -> str:
    """``path`` (relative to the user's project, or absolute inside it) in the copy."""
    rel = os.path.normpath(path if not os.path.isabs(path) else os.path.relpath(os.path.realpath(path), project))
    if rel == ".." or rel.startswith(".." + os.sep):
        raise UsageError(f"{what} `{path}` is outside the project")
    return os.path.normpath(os.path.join(project_copy, rel))


def choose(candidates: list[Candidate], wanted: list[str]) -> list[Candidate]:
    """The candidates ``--finding`` names: an id, ``path:line`` or ``path:line:column``."""
    if not wanted:
        return candidates
    chosen = []
    for w in wanted:
        key = w.replace(os.sep, "/")
        hits = [c for c in candidates if key in (c.id, f"{c.path}:{c.line}", f"{c.path}:{c.line}:{c.column}")]
        if not hits:
            raise UsageError(f"--finding {w}: no fixable finding there (`hotlint verify --list` shows them)")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def apply_to(project_copy: str, cands: list[Candidate]) -> None:
    """Write the fixes of ``cands`` into the copy. A file that is a link becomes a regular file
    holding the fixed text: a link to a file outside the copy (the user's own) is never written
    through."""
    from .fixes import apply_edits, read_for_fix
    from .model import Edit

    by_path: dict[str, list] = {}
    for c in cands:
        by_path.setdefault(c.path, []).extend(c.edits)
    for rel, edits in by_path.items():
        path = os.path.join(project_copy, rel)
        before = read_for_fix(path)
        if before.newline != "\n":
            edits = [Edit(e.range, e.new_text.replace("\n", before.newline)) for e in edits]
        data = before.bom + apply_edits(before.text, edits).encode("utf-8")
        if os.path.islink(path):
            os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


# --------------------------------------------------------------------------- the run


@dataclass
class Bench:
    """The benchmark run in one copy: a callable for ``bench.alternate`` that returns ns."""
    argv: list[str]
    cwd: str
    timeout: float
    checksums: list[str] = field(default_factory=list)
    clock: str = ""  # "elapsed_ns" or "wall clock"

    def __call__(self) -> float:
        start = time.perf_counter_ns()
        ran = run_command(self.argv, self.cwd, self.timeout)
        wall = time.perf_counter_ns() - start
        if not ran.ok:
            raise _BenchFailed(ran, self)
        found = read_measurement(ran.stdout)
        if "checksum" in found:
            self.checksums.append(found["checksum"])
        if "elapsed_ns" in found:
            self.clock = "elapsed_ns"
            return float(found["elapsed_ns"])
        self.clock = "wall clock"
        return float(wall)


class _BenchFailed(Exception):
    def __init__(self, ran: Ran, bench: Bench):
        super().__init__(ran.failure())
        self.ran, self.bench = ran, bench


def _workdir(project_copy: str, settings: Settings) -> str:
    wd = os.path.realpath(os.path.join(project_copy, settings.working_directory))
    root = os.path.realpath(project_copy)
    if not (wd == root or wd.startswith(root + os.sep)):
        raise UsageError(f"working-directory `{settings.working_directory}` leads outside the project")
    os.makedirs(wd, exist_ok=True)
    return wd


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _say(line: str) -> None:
    from .output import safe

    print(safe(line), file=sys.stderr, flush=True)


def verify_one(cand: Candidate, scratch: Scratch, name: str, settings: Settings, base: Bench) -> None:
    """Apply one fix in its own copy, build, test, and time it against the unchanged build."""
    copy = scratch.make(name)
    try:
        apply_to(copy, [cand])
        wd = _workdir(copy, settings)
        failed = run_all(settings.build, wd, settings.timeout)
        if failed:
            cand.verdict, cand.reason = DOES_NOT_BUILD, failed.failure()
            cand.figures["output"] = _tail(failed.output)
            return
        failed = run_all(settings.test, wd, settings.timeout)
        if failed:
            cand.verdict, cand.reason = BREAKS_TESTS, failed.failure()
            cand.figures["output"] = _tail(failed.output)
            return
        fixed = Bench(settings.bench, wd, settings.timeout)
        base.checksums.clear()
        try:
            before, after = alternate([base, fixed], settings.rounds, settings.warmup)
        except _BenchFailed as exc:
            if exc.bench is base:
                raise VerifyError(f"the unchanged project's benchmark failed: {exc}\n{_tail(exc.ran.output)}") from None
            cand.verdict, cand.reason = BREAKS_TESTS, f"the benchmark failed: {exc}"
            cand.figures["output"] = _tail(exc.ran.output)
            return
        if base.checksums and fixed.checksums and set(fixed.checksums) != set(base.checksums):
            cand.verdict = BREAKS_TESTS
            cand.reason = (f"the benchmark printed checksum {fixed.checksums[-1]}, the unchanged build "
                           f"{base.checksums[-1]}")
            return
        r = ratio_interval(before, after)
        cand.figures.update(ratio=r.median, interval=[r.low, r.high], rounds=r.rounds,
                            smallest=r.smallest, largest=r.largest,
                            before_ns=statistics.median(before), after_ns=statistics.median(after),
                            clock=fixed.clock)
        if r.low > settings.min_speedup:
            cand.verdict = VERIFIED
        else:
            cand.verdict = NO_FASTER
            cand.reason = ("slower: the whole interval is below 1x" if r.high < 1 else
                           f"within the noise: the interval's lower end {r.low:.2f}x is not above "
                           f"{settings.min_speedup:g}x")
    finally:
        scratch.remove(name)


def run(ns, out=sys.stdout) -> int:
    project = os.path.realpath(ns.project or os.getcwd())
    if not os.path.isdir(project):
        raise UsageError(f"{ns.project}: not a folder")
    settings, notes = (Settings(bench=[]), []) if ns.list else project_settings(ns, project)
    for n in notes:
        _say(f"hotlint verify: note: {n}")
    scratch = Scratch(project)
    result = {"project": project, "scratch": scratch.kind, "commands": {
        "build": [shlex.join(c) for c in settings.build], "test": [shlex.join(c) for c in settings.test],
        "bench": shlex.join(settings.bench or []), "working-directory": settings.working_directory},
        "rounds": settings.rounds, "warmup": settings.warmup, "min_speedup": settings.min_speedup,
        "interval": "95% t-interval of the geometric mean of the per-round ratios (unchanged / fixed)",
        "fixes": [], "applied": [], "errors": []}
    try:
        base_copy = scratch.make("base")
        # built before it is linted, so a compile database the build writes (-p build) is there
        base = None if ns.list else _prepare_base(base_copy, settings)
        found, skipped = lint(base_copy, project, scratch.base_dir, ns)
        for n in skipped:
            _say(f"hotlint verify: note: {n}")
        candidates = choose(found, ns.finding or [])
        if ns.list:
            for c in candidates:
                out.write(_safe(f"{c.id}  {c.description} ({c.applicability})") + "\n")
            return EXIT_OK
        if not candidates:
            _say("hotlint verify: no fixable finding" + ("" if ns.unsafe_fixes else
                 " (unsafe fixes are verified only with --unsafe-fixes)"))
        else:
            for i, cand in enumerate(candidates, 1):
                _say(f"hotlint verify: [{i}/{len(candidates)}] {cand.id}: {cand.description}")
                verify_one(cand, scratch, f"fix-{i:03d}", settings, base)
                _say(f"hotlint verify:   {cand.verdict}" + (f" ({_figure(cand)})" if cand.figures.get("ratio") else ""))
            if ns.apply:
                _apply(candidates, base_copy, project, scratch, settings, result)
        result["fixes"] = [_row(c) for c in candidates]
    except VerifyError as exc:
        result["errors"].append(str(exc))
    finally:
        scratch.close()
    _report(result, ns, out)
    return EXIT_FAILED if result["errors"] else EXIT_OK


def _safe(text: str) -> str:
    from .output import safe

    return safe(text)


def _prepare_base(base_copy: str, settings: Settings) -> Bench:
    wd = _workdir(base_copy, settings)
    _say("hotlint verify: building and testing the unchanged project")
    failed = run_all(settings.build, wd, settings.timeout)
    if failed:
        raise VerifyError(f"the unchanged project does not build: {failed.failure()}\n{_tail(failed.output)}")
    failed = run_all(settings.test, wd, settings.timeout)
    if failed:
        raise VerifyError(f"the unchanged project's tests fail: {failed.failure()}\n{_tail(failed.output)}")
    base = Bench(settings.bench, wd, settings.timeout)
    try:
        base()
    except _BenchFailed as exc:
        raise VerifyError(f"the unchanged project's benchmark fails: {exc}\n{_tail(exc.ran.output)}") from None
    return base


def _apply(candidates: list[Candidate], base_copy: str, project: str, scratch: Scratch,
           settings: Settings, result: dict) -> None:
    """Write the verified fixes into the user's tree: each file only while it is as hotlint
    linted it. More than one verified fix: they are built and tested together first."""
    from .fixes import NotFixed, apply_edits, read_for_fix, write_fixed
    from .model import Edit

    verified, taken = [], []
    for c in candidates:
        if c.verdict != VERIFIED:
            continue
        spans = [(c.path, e.range.start, e.range.end) for e in c.edits]
        if any(p == q and not (b <= s or e <= a) for p, a, b in spans for q, s, e in taken):
            result["errors"].append(f"{c.id}: not applied: its edits overlap another verified fix's; run hotlint "
                                    "verify again after this one is written")
            continue
        taken.extend(spans)
        verified.append(c)
    if not verified:
        return
    if len(verified) > 1:
        copy = scratch.make("together")
        try:
            apply_to(copy, verified)
            wd = _workdir(copy, settings)
            failed = run_all(settings.build, wd, settings.timeout) or run_all(settings.test, wd, settings.timeout)
        finally:
            scratch.remove("together")
        if failed:
            result["errors"].append(f"the verified fixes together fail: {failed.failure()}; nothing was applied "
                                    "(apply them one at a time with --finding)")
            return
    by_path: dict[str, list[Candidate]] = {}
    for c in verified:
        by_path.setdefault(c.path, []).append(c)
    for rel, cands in sorted(by_path.items()):
        linted = read_for_fix(os.path.join(base_copy, rel))
        target = os.path.join(project, rel)
        try:
            before = read_for_fix(target)
        except OSError as exc:
            result["errors"].append(f"{rel}: not fixed: cannot read it: {exc}")
            continue
        if before.raw != linted.raw:
            result["errors"].append(f"{rel}: not fixed: it changed since hotlint copied it; run hotlint verify again")
            continue
        edits = [e for c in cands for e in c.edits]
        if before.newline != "\n":
            edits = [Edit(e.range, e.new_text.replace("\n", before.newline)) for e in edits]
        try:
            write_fixed(target, before, apply_edits(before.text, edits), scratch.top or project)
        except NotFixed as exc:
            result["errors"].append(f"{rel}: not fixed: {exc}")
            continue
        for c in cands:
            c.applied = True
            result["applied"].append(c.id)


# --------------------------------------------------------------------------- report


def _figure(c: Candidate) -> str:
    f = c.figures
    return (f"{f['ratio']:.2f}x faster, 95% interval {f['interval'][0]:.2f}–{f['interval'][1]:.2f}x, "
            f"{f['rounds']} rounds, {_ms(f['before_ns'])} → {_ms(f['after_ns'])} ({f['clock']})")


def _ms(ns: float) -> str:
    return f"{ns / 1e6:.2f} ms" if ns < 1e10 else f"{ns / 1e9:.2f} s"


def _row(c: Candidate) -> dict:
    row = {"id": c.id, "rule": c.rule, "path": c.path, "line": c.line, "column": c.column,
           "fix": c.description, "applicability": c.applicability, "verdict": c.verdict}
    if c.reason:
        row["reason"] = c.reason
    row.update(c.figures)
    row["applied"] = c.applied
    return row


def _report(result: dict, ns, out) -> None:
    from .output import safe, safe_json

    if ns.format == "json":
        out.write(safe_json(json.dumps(result, indent=2, ensure_ascii=True)) + "\n")
        return
    n = len(result["fixes"])
    lines = [(f"hotlint verify: {n} fix{'es' if n != 1 else ''} tried one at a time in a {result['scratch']}; "
              f"bench `{result['commands']['bench']}`, {result['rounds']} alternating rounds against the unchanged "
              f"build; verified = tests pass and the 95% interval of the speed-up is above "
              f"{result['min_speedup']:g}x")]
    width = max((len(r["id"]) for r in result["fixes"]), default=0)
    for r in result["fixes"]:
        line = f"  {r['id']:<{width}}  {r['verdict']:<14}"
        if "ratio" in r:
            lo, hi = r["interval"]
            line += f" {r['ratio']:.2f}x (95% {lo:.2f}–{hi:.2f}x, {r['rounds']} rounds)"
        if r.get("reason"):
            line += f"  {r['reason']}"
        if r["applied"]:
            line += "  [applied]"
        lines.append(line)
        lines.append(f"  {'':<{width}}  fix: {r['fix']}")
        if r.get("output") and r["verdict"] in (BREAKS_TESTS, DOES_NOT_BUILD):
            lines.extend(f"  {'':<{width}}  | {o}" for o in r["output"].splitlines()[-5:])
    counts = {v: sum(r["verdict"] == v for r in result["fixes"]) for v in (VERIFIED, NO_FASTER, BREAKS_TESTS,
                                                                            DOES_NOT_BUILD)}
    lines.append(", ".join(f"{n} {v}" for v, n in counts.items()) + (
        f"; applied {len(result['applied'])}" if ns.apply else
        ("; `--apply` writes the verified ones" if counts[VERIFIED] else "")))
    for e in result["errors"]:
        lines.append(f"error: {e}")
    for line in lines:
        out.write(safe(line) + "\n")


# --------------------------------------------------------------------------- command line


def parser() -> argparse.ArgumentParser:
    from .cli import _Parser, _rule_list

    p = _Parser(
        prog="hotlint verify",
        description="Verify hotlint's fixes on your own project: each fix is applied alone in a scratch copy "
                    "(a git worktree in a git repository, else a temporary copy), built, tested, and its "
                    "benchmark is run alternately against the unchanged build. A fix is verified when it builds, "
                    "the tests pass, the benchmark's checksum (if printed) is unchanged and the 95% confidence "
                    "interval of the speed-up (a t-interval over the per-round ratios' logarithms) lies above "
                    "--min-speedup. Every fix is reported as verified, no faster, breaks tests or does not build.",
        epilog="Commands come from the command line, or from the `verify` table of the project's configuration "
               "([tool.hotlint.verify] in pyproject.toml, [verify] in .hotlint.toml) only when the project is "
               "trusted (--trust, HOTLINT_TRUSTED_FOLDERS, or trusted-folders in ~/.config/hotlint/config.toml). "
               "They run without a shell, in the scratch copy, with a time limit. The benchmark's time is its last "
               "`elapsed_ns N` line, or its wall-clock time when it prints none. "
               "Exit codes: 0 done (whatever the verdicts), 2 the unchanged project fails to build, test or "
               "bench, or a verified fix could not be written, 3 usage, configuration or trust error.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or folders to lint, relative to the project (default: the whole project)")
    p.add_argument("-C", "--project", metavar="DIR", help="the project's folder (default: the working directory)")
    p.add_argument("--build", action="append", metavar="CMD",
                   help="a build command, run in the copy (repeatable: run in order); split into words as a shell "
                        "would, never run by one")
    p.add_argument("--test", action="append", metavar="CMD",
                   help="a test command (repeatable); a fix breaks the tests when one exits non-zero")
    p.add_argument("--bench", metavar="CMD",
                   help="the benchmark command: prints `elapsed_ns N` (else its wall clock is timed) and "
                        "optionally `checksum X`")
    p.add_argument("--working-directory", metavar="DIR",
                   help="where the commands run, relative to the project (default: its root)")
    p.add_argument("--rounds", type=int, metavar="N", help=f"alternating benchmark rounds (default {DEFAULT_ROUNDS})")
    p.add_argument("--warmup", type=int, metavar="N", help=f"untimed rounds first (default {DEFAULT_WARMUP})")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help=f"time limit of each command (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--min-speedup", type=float, metavar="RATIO",
                   help=f"the interval's lower end must be above this (default {DEFAULT_MIN_SPEEDUP:g})")
    p.add_argument("--select", type=_rule_list, metavar="RULE,...", help="only the fixes of these rules")
    p.add_argument("--ignore", type=_rule_list, metavar="RULE,...", help="not the fixes of these rules")
    p.add_argument("--finding", action="append", metavar="ID",
                   help="only this finding: its id (rule@path:line:column, as --list prints) or path:line "
                        "(repeatable)")
    p.add_argument("--list", action="store_true", help="list the fixable findings with their ids, and exit")
    p.add_argument("--unsafe-fixes", action="store_true", help="verify unsafe fixes too")
    p.add_argument("--min-severity", choices=("info", "warning", "error"),
                   help="fixes of findings of this severity and above (default: info, every fixable finding: "
                        "the benchmark says which fixes pay)")
    p.add_argument("-p", "--compile-commands", metavar="DIR|FILE",
                   help="compile_commands.json for linting, relative to the project")
    p.add_argument("--config", metavar="FILE", help="use this configuration file")
    p.add_argument("--apply", action="store_true",
                   help="write the verified fixes into the project (only those; each file only if unchanged)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    p.add_argument("--trust", action="store_true",
                   help="trust the project: run the `verify` commands of its configuration and load its rule packs")
    return p


def main(argv: Sequence[str]) -> int:
    from .cli import _stderr

    ns = parser().parse_args(list(argv))
    try:
        return run(ns)
    except UsageError as exc:
        _stderr(f"hotlint verify: error: {exc}")
        return EXIT_USAGE
