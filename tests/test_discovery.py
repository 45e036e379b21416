"""Which files `hotlint PATH` lints: default excludes, .gitignore, --exclude, --force-exclude, and a
CMake project's compilation database (through the real command line)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, run_json, write

RULEPACK = ROOT / "tests" / "data" / "rulepack"
pytestmark = pytest.mark.usefixtures("trusted_projects")



def record(path: Path) -> Path:
    """A file whose one record the demo rule reports (by the record's name: the file's stem)."""
    name = "".join(c if c.isalnum() else "_" for c in path.stem)
    return write(path, f"struct R_{name} {{ int a; }};\n")


def linted(tmp_path: Path, *args: str) -> list[str]:
    proc, data = run_json("--no-cache", *args, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return sorted({d["path"] for d in data["diagnostics"]})


@pytest.fixture()
def project(tmp_path):
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    for rel in ["src/main.cpp", "src/util.h", "vendor/v.cpp", "third_party/lib/t.cpp", "3rdparty/z.cpp",
                "external/e.cpp", "node_modules/pkg/n.cpp", "build/CMakeFiles/3.28/CompilerIdCXX/CMakeCXXCompilerId.cpp",
                "cmake-build-debug/gen.cpp", ".venv/lib/x.cpp", "venv/y.cpp", "out/o.cpp", "dist/d.cpp",
                "src/build/nested.cpp"]:
        record(tmp_path / rel)
    return tmp_path


def test_default_excludes_skip_build_vendor_and_environments(project):
    assert linted(project, ".") == ["src/main.cpp", "src/util.h"]
    assert linted(project) == ["src/main.cpp", "src/util.h"]  # no path: the working directory


def test_a_named_file_or_folder_is_linted_unless_force_exclude(project):
    assert linted(project, "vendor/v.cpp", "third_party") == ["third_party/lib/t.cpp", "vendor/v.cpp"]
    # pre-commit names every changed file: --force-exclude applies the excludes to them
    assert linted(project, "--force-exclude", "vendor/v.cpp", "third_party/lib/t.cpp", "src/main.cpp") == [
        "src/main.cpp"]
    write(project / ".hotlint.toml", (project / ".hotlint.toml").read_text() + "force-exclude = true\n")
    assert linted(project, "vendor/v.cpp", "src/main.cpp") == ["src/main.cpp"]
    assert linted(project, "--no-force-exclude", "vendor/v.cpp") == ["vendor/v.cpp"]


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(project):
    assert "vendor/v.cpp" in linted(project, "--exclude", "node_modules,.venv,src", ".")
    assert "src/main.cpp" not in linted(project, "--exclude", "node_modules,.venv,src", ".")
    assert linted(project, "--extend-exclude", "*.h", ".") == ["src/main.cpp"]
    assert linted(project, "--extend-exclude", "src/main.cpp", "--extend-exclude", "util.h", ".") == []
    # the same from the configuration file, patterns relative to its folder
    cfg = (project / ".hotlint.toml").read_text()
    write(project / ".hotlint.toml", cfg + 'extend-exclude = ["src/*.h"]\n')
    assert linted(project, ".") == ["src/main.cpp"]
    write(project / ".hotlint.toml", cfg + 'exclude = ["node_modules", ".venv", "src"]\n')
    found = linted(project, ".")
    assert "vendor/v.cpp" in found and "build/CMakeFiles/3.28/CompilerIdCXX/CMakeCXXCompilerId.cpp" in found
    assert not any(p.startswith(("src/", "node_modules/")) for p in found)


def test_gitignore_is_respected(project):
    (project / ".git").mkdir()
    write(project / ".gitignore", "generated/\n*.gen.cpp\n!keep.gen.cpp\n")
    record(project / "generated" / "g.cpp")
    record(project / "src" / "x.gen.cpp")
    record(project / "src" / "keep.gen.cpp")
    write(project / "src" / "deep" / ".gitignore", "local.cpp\n")
    record(project / "src" / "deep" / "local.cpp")
    record(project / "src" / "deep" / "kept.cpp")
    write(project / ".git" / "info" / "exclude", "scratch.cpp\n")
    record(project / "src" / "scratch.cpp")
    assert linted(project, ".") == ["src/deep/kept.cpp", "src/keep.gen.cpp", "src/main.cpp", "src/util.h"]
    assert "generated/g.cpp" in linted(project, "--no-respect-gitignore", ".")
    assert linted(project, "generated/g.cpp") == ["generated/g.cpp"]  # named: linted
    assert linted(project, "--force-exclude", "generated/g.cpp", "src/deep/local.cpp") == []
    write(project / ".hotlint.toml", (project / ".hotlint.toml").read_text() + "respect-gitignore = false\n")
    assert "src/deep/local.cpp" in linted(project, ".")


def test_a_bad_exclude_setting_is_a_configuration_error(project):
    write(project / ".hotlint.toml", (project / ".hotlint.toml").read_text() + 'respect-gitignore = "no"\n')
    proc = run_cli("--no-cache", ".", cwd=project)
    assert proc.returncode == 3 and "`respect-gitignore` must be a bool" in proc.stderr


def test_cmake_project_lints_the_database_units_not_cmakefiles(tmp_path):
    if shutil.which("cmake") is None:
        pytest.fail("cmake is required for this test (.ci/run installs it)")
    write(tmp_path / "CMakeLists.txt", """
        cmake_minimum_required(VERSION 3.16)
        project(demo CXX)
        set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
        add_library(demo STATIC src/a.cpp)
        target_include_directories(demo PRIVATE include)
        target_compile_definitions(demo PRIVATE DEMO_REQUIRED=1)
    """)
    write(tmp_path / ".hotlint.toml", f'select = ["demo-record"]\nrule-paths = ["{RULEPACK.as_posix()}"]\n')
    write(tmp_path / "include" / "shape.h", """
        #pragma once
        #ifndef DEMO_REQUIRED
        #error "DEMO_REQUIRED must come from the build"
        #endif
        struct Shape { char tag; double area; };
    """)
    write(tmp_path / "src" / "a.cpp", '#include "shape.h"\nstruct A { Shape s; };\n')
    write(tmp_path / "tools" / "t.cpp", '#include "shape.h"\nstruct T { Shape s; };\n')  # not in the database
    record(tmp_path / "vendor" / "v.cpp")
    subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build")], check=True, capture_output=True)
    assert list((tmp_path / "build" / "CMakeFiles").rglob("CMakeCXXCompilerId.cpp"))
    proc, data = run_json("--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not data["errors"]  # every file parsed with the build's flags (the header's #error needs them)
    assert sorted({d["path"] for d in data["diagnostics"]}) == ["include/shape.h", "src/a.cpp", "tools/t.cpp"]
    assert "borrowed" in proc.stderr or "without an entry" in proc.stderr  # tools/t.cpp borrowed a.cpp's flags
