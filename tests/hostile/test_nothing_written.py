"""Nothing is written outside the project and nothing is lost: compile flags that make libclang
write files, a cache folder a checkout controls, and ``--fix`` on links, read-only files and
files edited while hotlint runs."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from conftest import run_cli, run_json

WASTEFUL = "struct Wasteful {\n  char a;\n  double b;\n  char c;\n};\nWasteful w[8];\n"
REORDERED = "struct Wasteful {\n  double b;\n  char a;\n  char c;\n};\nWasteful w[8];\n"


def tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` with a hash of its content (links as their target)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def writing_flags(out: Path) -> list[list[str]]:
    """Flag spellings libclang honours by writing a file (see the control test below)."""
    cfg = out / "cfgdir"
    cfg.mkdir(exist_ok=True)
    (cfg / "evil.cfg").write_text(f"-Xclang -dependency-file -Xclang {out / 'from-config.d'} -Xclang -MT -Xclang x\n")
    return [
        ["-Xclang", "-dependency-file", "-Xclang", str(out / "dep1.d"), "-Xclang", "-MT", "-Xclang", "x"],
        ["-Xclang=-dependency-file", f"-Xclang={out / 'dep2.d'}", "-Xclang=-MT", "-Xclang=x"],
        [f"--config-user-dir={cfg}", "--config=evil.cfg"],
        [f"--config-system-dir={cfg}", "--config", "evil.cfg"],
        ["-MD", "-MF", str(out / "dep3.d")],
        ["--write-dependencies", "-MF", str(out / "dep4.d")],
        [f"-Wp,-MD,{out / 'dep5.d'}"],
        ["-fmodules", f"-fmodules-cache-path={out / 'modules'}"],
        ["-ftime-trace", f"-ftime-trace={out / 'trace.json'}"],
        ["-save-stats=obj", "-save-temps", f"-fcrash-diagnostics-dir={out / 'crash'}"],
    ]


def test_libclang_itself_honours_these_flags(tmp_path):
    """The control: parsed by libclang without hotlint's cleaning, the flags do write files,
    so the tests below would see the files if the cleaning missed one."""
    from clang import cindex as ci

    from hotlint.clang import cindex

    cindex()
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    for args in writing_flags(tmp_path)[:7]:
        ci.Index.create().parse(str(tmp_path / "u.cpp"), args=args)
    written = {p.name for p in tmp_path.iterdir()}
    assert {"dep1.d", "dep2.d", "dep3.d", "dep4.d", "dep5.d", "from-config.d"} <= written


@pytest.mark.parametrize("route", ["database", "response-file", "extra-args", "command-line"])
def test_compile_flags_write_nothing(tmp_path, route):
    project = tmp_path / "proj"
    outside = tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "u.cpp").write_text(WASTEFUL)
    git = project / ".git"
    git.mkdir()
    (git / "config").write_text("[core]\n\tbare = false\n")
    flags = [f for group in writing_flags(outside) for f in group]
    # the red team's own: a dependency file over .git/config whose target line runs a command
    flags += ["-Xclang", "-dependency-file", "-Xclang", str(git / "config"), "-Xclang", "-MT",
              "-Xclang", "[core]\n\tsshCommand = touch " + str(outside / "PWNED")]
    argv = ["--no-cache", "u.cpp"]
    if route == "database":
        (project / "compile_commands.json").write_text(json.dumps(
            [{"directory": str(project), "file": "u.cpp", "arguments": ["c++", *flags, "-c", "u.cpp"]}]))
    elif route == "response-file":
        (project / "all.rsp").write_text(" ".join(json.dumps(f) for f in flags))
        (project / "compile_commands.json").write_text(json.dumps(
            [{"directory": str(project), "file": "u.cpp", "command": "c++ @all.rsp -c u.cpp"}]))
    elif route == "extra-args":
        (project / ".hotlint.toml").write_text(f"extra-args = {json.dumps(flags)}\n")
    else:
        argv = [*(f"--extra-arg={f}" for f in flags), *argv]
    before_project, before_outside = tree(project), tree(outside)
    proc, data = run_json("--min-severity", "info", *argv, cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert [d["rule"] for d in data["diagnostics"]] == ["padding-waste"]
    assert tree(project) == before_project
    assert tree(outside) == before_outside
    assert not (project / "clang").exists()  # -fmodules' default cache, in the working directory


def test_editor_extra_args_are_cleaned(tmp_path):
    from hotlint.lsp.settings import ClientSettings

    s = ClientSettings.parse({"extraArgs": ["-Iinc", "-DX=1", "-Xclang", "-dependency-file", "-Xclang", "x.d",
                                            "-fplugin=/x/evil.so", "--config-user-dir=/x"]}, str(tmp_path))
    assert s.extra_args == [f"-I{tmp_path / 'inc'}", "-DX=1"]
    assert any("load code" in p for p in s.problems)


def test_the_libclang_boundary_filters_whatever_reaches_it(tmp_path):
    """A caller that forgets to clean (a future one) still cannot make libclang write."""
    from hotlint import clang

    (tmp_path / "u.cpp").write_text(WASTEFUL)
    clang.parse(str(tmp_path / "u.cpp"), ["-x", "c++", "-MD", "-MF", str(tmp_path / "boundary.d"),
                                          "-Xclang", "-dependency-file", "-Xclang", str(tmp_path / "b2.d"),
                                          "-Xclang", "-MT", "-Xclang", "x"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.cpp"]


# ------------------------------------------------------------------------------ the cache


def cached_run(project: Path, env: dict):
    return run_json("--min-severity", "info", "u.cpp", cwd=project, env=env)


def test_a_symlinked_cache_folder_is_not_used(tmp_path):
    project, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (elsewhere / ".gitignore").write_text("keep me\n")
    (project / "u.cpp").write_text(WASTEFUL)
    (project / ".hotlint_cache").symlink_to(elsewhere, target_is_directory=True)
    env = {"HOTLINT_CACHE_DIR": ""}  # the default: .hotlint_cache in the working directory
    before = tree(elsewhere)
    proc, data = cached_run(project, env)
    assert proc.returncode == 1 and data["diagnostics"]
    assert "the cache folder is a symbolic link; it is not used" in proc.stderr
    assert tree(elsewhere) == before


def test_links_inside_the_cache_folder_lead_nowhere(tmp_path):
    """Every entry folder of the cache a symlink to elsewhere, and CACHEDIR.TAG a dangling link:
    nothing is written through any of them."""
    project, elsewhere = tmp_path / "proj", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "u.cpp").write_text(WASTEFUL)
    cache = project / ".hotlint_cache"
    cache.mkdir()
    for i in range(256):
        (cache / f"{i:02x}").symlink_to(elsewhere, target_is_directory=True)
    (cache / "CACHEDIR.TAG").symlink_to(elsewhere / "planted-tag")
    (cache / ".gitignore").write_text("mine\n")
    proc, data = cached_run(project, {"HOTLINT_CACHE_DIR": ""})
    assert proc.returncode == 1 and data["diagnostics"]
    assert list(elsewhere.iterdir()) == []
    assert (cache / ".gitignore").read_text() == "mine\n"


def test_an_existing_gitignore_is_never_overwritten(tmp_path):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / ".gitignore").write_text("# the user's own\n!keep\n")
    run_json("u.cpp", cwd=tmp_path, env={"HOTLINT_CACHE_DIR": str(cache)})
    assert (cache / ".gitignore").read_text() == "# the user's own\n!keep\n"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_a_forged_cache_entry_hides_nothing(tmp_path):
    """An entry that says "no findings", authenticated with another machine's key (as a pull
    request could ship it): ignored, and the findings are reported."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "u.cpp").write_text(WASTEFUL)
    theirs = {"HOTLINT_CACHE_DIR": "", "XDG_CACHE_HOME": str(tmp_path / "their-home")}
    ours = {"HOTLINT_CACHE_DIR": "", "XDG_CACHE_HOME": str(tmp_path / "our-home")}
    proc, first = cached_run(project, theirs)
    assert proc.returncode == 1
    entries = list((project / ".hotlint_cache").rglob("*.json"))
    assert len(entries) == 1
    # forge: empty the result and authenticate it properly with *their* key
    import hmac

    from hotlint.cache import _canonical

    stored = json.loads(entries[0].read_text())
    stored["entry"]["result"]["diagnostics"] = []
    key = bytes.fromhex((tmp_path / "their-home" / "hotlint" / "cache-key").read_text())
    name = entries[0].parent.name + entries[0].stem
    stored["mac"] = hmac.new(key, name.encode() + b"\0" + _canonical(stored["entry"]), hashlib.sha256).hexdigest()
    entries[0].write_text(json.dumps(stored))
    proc, again = cached_run(project, theirs)
    assert proc.returncode == 0 and again["diagnostics"] == []  # their own hotlint trusts their own key
    proc, ours_data = cached_run(project, ours)
    assert proc.returncode == 1, proc.stderr
    assert ours_data["diagnostics"] == first["diagnostics"]
    assert "ignored cache entries that were not written by this user's hotlint" in proc.stderr
    key_file = tmp_path / "our-home" / "hotlint" / "cache-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_entry_without_a_valid_mac_is_ignored(tmp_path):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    env = {"HOTLINT_CACHE_DIR": str(tmp_path / "cache")}
    cached_run(tmp_path, env)
    for entry in (tmp_path / "cache").rglob("*.json"):
        stored = json.loads(entry.read_text())
        stored["entry"]["result"]["diagnostics"] = []
        entry.write_text(json.dumps(stored))
    proc, data = cached_run(tmp_path, env)
    assert proc.returncode == 1 and len(data["diagnostics"]) == 1


# ------------------------------------------------------------------------------ --fix


def fixable(project: Path, name: str = "u.cpp") -> Path:
    path = project / name
    path.write_text(WASTEFUL)
    return path


def fix(project: Path, *paths: str):
    return run_json("--min-severity", "info", "--no-cache", "--fix", "--unsafe-fixes", *paths, cwd=project)


def test_fix_follows_a_symlink_inside_the_project_and_keeps_it(tmp_path):
    target = fixable(tmp_path, "real.cpp")
    (tmp_path / "link.cpp").symlink_to("real.cpp")
    proc, data = fix(tmp_path, "link.cpp")
    assert (tmp_path / "link.cpp").is_symlink() and os.readlink(tmp_path / "link.cpp") == "real.cpp"
    assert target.read_text() == REORDERED, proc.stderr
    assert data["errors"] == []


def test_fix_never_writes_through_a_symlink_leaving_the_project(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = fixable(outside, "victim.cpp")
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    (project / "link.cpp").symlink_to(victim)
    proc, data = fix(project, "link.cpp")
    assert proc.returncode == 2
    assert victim.read_text() == WASTEFUL
    assert (project / "link.cpp").is_symlink()
    [error] = data["errors"]
    assert error["kind"] == "not-fixed" and "outside the project" in error["message"]


def test_fix_keeps_hard_links(tmp_path):
    path = fixable(tmp_path)
    os.link(path, tmp_path / "other-name.cpp")
    inode = path.stat().st_ino
    proc, data = fix(tmp_path, "u.cpp")
    assert path.read_text() == REORDERED, proc.stderr
    assert (tmp_path / "other-name.cpp").read_text() == REORDERED
    assert path.stat().st_ino == inode and path.stat().st_nlink == 2
    assert not list(tmp_path.glob(".*hotlint-*"))  # no backup left behind


def test_fix_respects_read_only_files_and_folders_and_goes_on(tmp_path):
    ro_file = fixable(tmp_path, "readonly.cpp")
    ro_file.chmod(0o444)
    ro_dir = tmp_path / "frozen"
    ro_dir.mkdir()
    in_ro_dir = fixable(ro_dir, "inside.cpp")
    ro_dir.chmod(0o555)
    fine = fixable(tmp_path, "fine.cpp")
    try:
        proc, data = fix(tmp_path, "readonly.cpp", "frozen/inside.cpp", "fine.cpp")
    finally:
        ro_dir.chmod(0o755)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert fine.read_text() == REORDERED
    assert ro_file.read_text() == WASTEFUL and stat.S_IMODE(ro_file.stat().st_mode) == 0o444
    assert in_ro_dir.read_text() == WASTEFUL
    why = {e["path"]: e["message"] for e in data["errors"]}
    assert why == {"readonly.cpp": "not fixed: it is read-only",
                   "frozen/inside.cpp": "not fixed: its folder is read-only"}
    # their findings are still reported; the fixed file's are gone
    assert sorted(d["path"] for d in data["diagnostics"]) == ["frozen/inside.cpp", "readonly.cpp"]


def test_an_edit_saved_while_hotlint_runs_is_never_lost(tmp_path):
    """The file changes between hotlint reading it and writing the fix (the user saved in the
    editor during the re-analysis): the user's text stays, and the file is reported."""
    from hotlint.fixes import NotFixed, read_for_fix, write_fixed

    path = fixable(tmp_path)
    before = read_for_fix(str(path))
    path.write_text(WASTEFUL + "// the user's new line\n")
    with pytest.raises(NotFixed, match="changed since hotlint read it"):
        write_fixed(str(path), before, REORDERED, str(tmp_path))
    assert path.read_text() == WASTEFUL + "// the user's new line\n"
    # unchanged: written, with the permissions kept
    path.write_text(WASTEFUL)
    path.chmod(0o640)
    write_fixed(str(path), read_for_fix(str(path)), REORDERED, str(tmp_path))
    assert path.read_text() == REORDERED and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_fix_of_many_files_reports_each_and_writes_the_rest(tmp_path):
    for i in range(4):
        fixable(tmp_path, f"f{i}.cpp")
    (tmp_path / "f2.cpp").chmod(0o444)
    proc, data = fix(tmp_path, ".")
    assert [e["path"] for e in data["errors"]] == ["f2.cpp"]
    assert [p.name for p in sorted(tmp_path.glob("f*.cpp")) if p.read_text() == REORDERED] == [
        "f0.cpp", "f1.cpp", "f3.cpp"]
    assert "fixed 3 findings in 3 files" in proc.stderr
    assert run_cli("--min-severity", "info", "--no-cache", ".", cwd=tmp_path).returncode == 1  # only f2's finding is left


CARRIERS = ["-std", "--std", "-stdlib", "--target", "-target", "-arch", "--driver-mode", "--gcc-toolchain",
            "-isystem-after", "-I", "-isystem", "-include", "-D", "-x", "--sysroot"]


@pytest.mark.parametrize("mode", ["gcc", "cl"])
def test_no_flag_carries_another_past_the_allow_list(tmp_path, mode):
    """A flag kept with "its value" must not carry a flag the driver reads on its own: `-std -MF x`
    is `-MF x` to clang (found by the red team: -MF/-MJ wrote and deleted files through -std,
    -stdlib and --target). Each carrier with each writer, cleaned as a database entry is and
    parsed by libclang."""
    from hotlint import clang
    from hotlint.compdb import clean_flags

    project, outside = tmp_path / "proj", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "u.cpp").write_text(WASTEFUL)
    writers = [["-MD", f"-MF{outside / 'dep.d'}", "-MTx"], ["-MD", "-MF", str(outside / "dep2.d")],
               ["-MJ", str(outside / "cdb.json")], [f"-MJ{outside / 'j.json'}"],
               ["-fmodules", f"-fmodules-cache-path={outside / 'm'}"],
               [f"/clang:-MJ{outside / 'cl.json'}"], [f"/clang:-MD", f"/clang:-MF{outside / 'cl.d'}"]]
    compiler = "clang-cl" if mode == "cl" else "c++"
    before = tree(project)
    for carrier in CARRIERS:
        for writer in writers:
            argv = [compiler]
            for flag in writer:
                argv += [carrier, flag]
            cleaned = clean_flags([*argv, "-c", "u.cpp"], "u.cpp", str(project)).args
            try:
                clang.parse(str(project / "u.cpp"), ["-x", "c++", *cleaned])
            except clang.ParseFailure:
                pass
            assert list(outside.iterdir()) == [], (carrier, writer, cleaned)
    assert tree(project) == before


def test_flags_kept_with_a_value_are_read_so_by_libclang(tmp_path):
    """Each flag hotlint keeps with the next argument (written back joined to it) is one libclang's
    driver reads with the next argument: ``F value -DX`` leaves ``-DX`` in force."""
    from clang import cindex as ci

    from hotlint.clang import cindex
    from hotlint.flags import _KEEP_WITH_VALUE, clean

    cindex()
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "probe.h").write_text("#define PROBE 1\n")
    source = "#ifndef X\n#error the value swallowed the next flag\n#endif\nint y;\n"
    values = {"-x": "c++", "-target": "x86_64-unknown-linux-gnu", "-D": "Y=1", "-U": "Y",
              "-include": str(tmp_path / "inc" / "probe.h"), "-imacros": str(tmp_path / "inc" / "probe.h")}
    for flag in _KEEP_WITH_VALUE:
        argv = [flag, values.get(flag, str(tmp_path / "inc")), "-DX"]
        for args in (argv, clean(argv, str(tmp_path)).args):
            tu = ci.Index.create().parse(str(tmp_path / "p.cpp"), args=["-x", "c++", *args],
                                         unsaved_files=[(str(tmp_path / "p.cpp"), source)])
            assert not [d.spelling for d in tu.diagnostics if "swallowed" in d.spelling], (flag, args)


def test_a_header_that_appears_later_invalidates_the_cache(tmp_path):
    """A header the parse looked for and did not find (`__has_include`), or one that newly shadows
    the header found (an earlier -I): the cached result must not survive either (red team)."""
    (tmp_path / "u.cpp").write_text('#if __has_include("opt.h")\n#include "opt.h"\n#else\nusing T = char;\n#endif\n'
                                    "struct W {\n  char a;\n  T b;\n  char c;\n};\nW w[8];\n")
    env = {"HOTLINT_CACHE_DIR": str(tmp_path / "cache")}
    assert run_cli("--min-severity", "info", "u.cpp", cwd=tmp_path, env=env).returncode == 0
    (tmp_path / "opt.h").write_text("using T = double;\n")
    proc = run_cli("--min-severity", "info", "u.cpp", cwd=tmp_path, env=env)
    assert proc.returncode == 1 and "from cache" not in proc.stdout

    for d in ("first", "second"):
        (tmp_path / d).mkdir()
    (tmp_path / "second" / "t.h").write_text("using T = char;\n")
    (tmp_path / "s.cpp").write_text('#include "t.h"\nstruct W {\n  char a;\n  T b;\n  char c;\n};\nW w[8];\n')
    flags = ["--extra-arg=-Ifirst", "--extra-arg=-Isecond", "s.cpp"]
    assert run_cli("--min-severity", "info", *flags, cwd=tmp_path, env=env).returncode == 0
    assert "(1 from cache)" in run_cli("--min-severity", "info", *flags, cwd=tmp_path, env=env).stdout
    (tmp_path / "first" / "t.h").write_text("using T = double;\n")
    proc = run_cli("--min-severity", "info", *flags, cwd=tmp_path, env=env)
    assert proc.returncode == 1 and "from cache" not in proc.stdout


def test_fix_never_writes_through_a_hard_link_leaving_the_project(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = fixable(outside, "victim.cpp")
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    os.link(victim, project / "h.cpp")
    proc, data = fix(project, "h.cpp")
    assert proc.returncode == 2
    assert victim.read_text() == WASTEFUL and (project / "h.cpp").read_text() == WASTEFUL
    [error] = data["errors"]
    assert "hard links and not all of them are in the project" in error["message"]
