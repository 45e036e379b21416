#!/usr/bin/env python3
"""hotlint on a corpus of real C/C++ code bases: what it reads, what it cannot parse and why, what it finds.

Every code base is fetched at run time through a package registry (never committed), at a pinned
version, into a work folder that later runs reuse. Its compilation database is built the way its
own build compiles it: with its CMake where that configures offline, else written here from its
build files (a node-gyp .gyp, a setup.py, a CMakeLists that needs what is not here), each one's
flags documented in CODEBASES below. Then the installed hotlint runs over it:

    hotlint --format json --no-cache -v [--min-severity info] -j N -p <database> <files>

and, per code base, the script prints the files analyzed and their KLOC, the findings per rule, the
findings shown by default (warnings, errors) and hidden (infos) with the evidence each hidden class
gives, the wall time, and every parse error hotlint reports, classified by asking the build's own compiler
(g++/gcc -fsyntax-only with the database command of the file, `-c`/`-o`/dependency flags dropped):

  own           the compiler rejects the file with its build's flags too: the code's own problem
                (a file the database does not list is compared with the flags of the nearest entry
                of its language, as clangd and hotlint borrow them; the line says so; a header no
                unit of the build includes is own when the compiler rejects it alone: another
                platform's or configuration's header)
  not self-contained
                a header that compiles inside a unit of the build that includes it, but not alone
                with that unit's flags: hotlint must read it in its includer's context
  hotlint's     the compiler accepts what hotlint could not parse. Its cause, from hotlint's own
                flags (`-v`) against the build's:
                  language        hotlint parsed it as another language than the build (C vs C++)
                  header context  a header parsed with other flags than a unit that includes it
                  flags           a source file parsed with other include paths, macros or standard
                  other           same language and flags: libclang and the compiler disagree

hotlint's parse errors should be 0. The script exits 0 whatever it measures, and 2 when a fetch or
a database build fails (it says which).

Usage: python benchmarks/corpus.py [--workdir DIR] [-j N] [--only NAME,...] [--json OUT]
                                   [--hotlint CMD]

  --hotlint CMD   how to run hotlint, split like a shell would (default: this Python, -m hotlint);
                  e.g. an older checkout: --hotlint "env PYTHONPATH=/tmp/hotlint-before python3 -m hotlint"

Writes only inside the work folder (default: a folder in the temporary directory): downloads,
sources, build folders, and pip's and npm's caches and temporary files. `pip download` of an sdist
runs its build backend to read its metadata, as pip always does; the script never builds or runs
the fetched code otherwise, and CMake only configures (no build).
"""

from __future__ import annotations

import argparse
import ast
import collections
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable

C_SOURCES = (".c",)
CXX_SOURCES = (".cc", ".cpp", ".cxx", ".c++", ".cp", ".C", ".ii", ".cu")
HEADERS = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".ipp", ".tcc", ".H")
CXX_ONLY_HEADERS = (".hh", ".hpp", ".hxx", ".h++", ".inl", ".ipp", ".tcc", ".H")
EXTENSIONS = C_SOURCES + CXX_SOURCES + HEADERS

PYTHON_INCLUDE = sysconfig.get_paths()["include"]
# How setuptools compiles an extension's C and C++ on Linux (CPython's CFLAGS; -I the Python headers).
PY_EXT = ["-DNDEBUG", "-g", "-fwrapv", "-O3", "-Wall", "-fPIC", f"-I{PYTHON_INCLUDE}"]
# How node-gyp (Node 20's common.gypi and addon.gypi, Release) compiles an addon's dependency on
# Linux: its cflags, then the target's, then cflags_cc, whose -std=gnu++17 wins over the target's.
NODE_GYP_CFLAGS = ["-fPIC", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter", "-m64", "-O3",
                   "-fno-omit-frame-pointer"]


class StepFailed(Exception):
    """A fetch or a database build failed: the corpus is incomplete, which is no measurement."""


# --------------------------------------------------------------------------- fetching


def run_step(what: str, cmd: list[str], cwd: str, env: dict, timeout: float = 900) -> str:
    try:
        proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StepFailed(f"{what}: {' '.join(cmd)}: {exc}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise StepFailed(f"{what}: `{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
    return proc.stdout


class Work:
    """The work folder: downloads, sources, build folders, and the registries' caches."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.downloads = os.path.join(self.root, "downloads")
        self.sources = os.path.join(self.root, "src")
        self.builds = os.path.join(self.root, "build")
        tmp = os.path.join(self.root, "tmp")
        for d in (self.downloads, self.sources, self.builds, tmp):
            os.makedirs(d, exist_ok=True)
        # Nothing outside the work folder: pip's temporary build environments and npm's cache.
        self.env = dict(os.environ, TMPDIR=tmp, TEMP=tmp, TMP=tmp, npm_config_cache=os.path.join(self.root, "npm-cache"),
                        npm_config_update_notifier="false", PIP_DISABLE_PIP_VERSION_CHECK="1",
                        PIP_NO_INPUT="1")

    def npm_pack(self, spec: str) -> str:
        name, version = spec.rsplit("@", 1)
        tarball = os.path.join(self.downloads, f"{name.lstrip('@').replace('/', '-')}-{version}.tgz")
        if not os.path.exists(tarball):
            out = run_step(f"fetch {spec}", ["npm", "pack", spec, "--silent"], self.downloads, self.env)
            got = os.path.join(self.downloads, out.strip().splitlines()[-1])
            if got != tarball:
                os.replace(got, tarball)
        return tarball

    def pip_sdist(self, name: str, version: str) -> str:
        for f in os.listdir(self.downloads):
            if f.endswith(".tar.gz") and _sdist_matches(f, name, version):
                return os.path.join(self.downloads, f)
        # --no-binary only for the package itself: its build requirements come as wheels (building
        # them from source too takes minutes), and pip needs them to read the sdist's metadata.
        run_step(f"fetch {name}=={version}", [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                                               "--no-binary", name, "-d", self.downloads, f"{name}=={version}"],
                 self.downloads, self.env)
        for f in os.listdir(self.downloads):
            if f.endswith(".tar.gz") and _sdist_matches(f, name, version):
                return os.path.join(self.downloads, f)
        raise StepFailed(f"fetch {name}=={version}: pip saved no sdist of it")

    def extract(self, tarball: str, dest_name: str, prefixes: tuple[str, ...] = ("",)) -> str:
        """Extract the members under ``prefixes`` (once; a marker says it completed)."""
        dest = os.path.join(self.sources, dest_name)
        marker = os.path.join(dest, ".corpus-extracted")
        if os.path.exists(marker):
            return dest
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        try:
            with tarfile.open(tarball) as tar:
                members = [m for m in tar.getmembers() if any(m.name.startswith(p) for p in prefixes)]
                tar.extractall(dest, members=members, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise StepFailed(f"extract {os.path.basename(tarball)}: {exc}") from None
        open(marker, "w").close()
        return dest


def _sdist_matches(filename: str, name: str, version: str) -> bool:
    norm = re.sub(r"[-_.]+", "_", name).lower()
    stem = filename[: -len(".tar.gz")]
    return stem.lower().replace("-", "_").replace(".", "_") == f"{norm}_{version}".replace(".", "_").lower()


# --------------------------------------------------------------------------- databases


def entry(directory: str, compiler: str, flags: list[str], source: str, build: str) -> dict:
    obj = os.path.join(build, os.path.relpath(source, directory).replace(os.sep, "_") + ".o")
    return {"directory": directory, "file": source, "arguments": [compiler, *flags, "-c", source, "-o", obj]}


def write_database(build: str, entries: list[dict]) -> str:
    os.makedirs(build, exist_ok=True)
    with open(os.path.join(build, "compile_commands.json"), "w") as fh:
        json.dump(entries, fh, indent=1)
    return build


def cmake_database(work: Work, name: str, source: str, options: list[str]) -> str:
    build = os.path.join(work.builds, name)
    cmd = ["cmake", "-S", source, "-B", build, "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", "-DCMAKE_BUILD_TYPE=Release",
           "-DFETCHCONTENT_FULLY_DISCONNECTED=ON", *options]
    stamp = os.path.join(build, "corpus-configured-with.json")
    try:
        with open(stamp) as fh:
            done = json.load(fh) == cmd and os.path.exists(os.path.join(build, "compile_commands.json"))
    except (OSError, ValueError):
        done = False
    if not done:
        shutil.rmtree(build, ignore_errors=True)
        run_step(f"configure {name} with CMake", cmd, source, work.env)
        with open(stamp, "w") as fh:
            json.dump(cmd, fh)
    return build


def gyp_sources(gyp: str, prefix: str, skip: tuple[str, ...] = ()) -> list[str]:
    """The .cc files a node-gyp file lists under ``prefix`` (commented-out lines and ``skip`` left out)."""
    found = []
    with open(gyp, encoding="utf-8") as fh:
        for line in fh:
            if line.lstrip().startswith("#"):
                continue
            for m in re.finditer(rf"""["']({re.escape(prefix)}[^"']+\.cc)["']""", line):
                if not any(s in m.group(1) for s in skip) and m.group(1) not in found:
                    found.append(m.group(1))
    return found


def python_tuple(path: str, name: str) -> tuple:
    """A literal tuple assigned to ``name`` in a setup.py, read without running it."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise StepFailed(f"{path}: no {name} = (...) to read the sources from")


# --------------------------------------------------------------------------- the code bases


@dataclass
class Prepared:
    root: str                      # hotlint runs here; paths are shown relative to it
    database: str                  # folder of compile_commands.json
    files: list[str]               # what hotlint analyzes (absolute)
    how: str                       # how the database was made


@dataclass
class CodeBase:
    name: str
    version: str
    kind: str
    origin: str                    # registry and package
    subset: str                    # what is analyzed, and what is left out and why
    prepare: Callable[[Work], Prepared]


def select_files(root: str, folders: list[str], exclude: tuple[str, ...] = (), units_only_from: str | None = None) -> list[str]:
    """C/C++ files under ``folders`` (relative to ``root``), less the ``exclude`` globs (on the path
    relative to ``root``); with ``units_only_from`` (a database folder), sources only when the
    database lists them (headers always)."""
    listed = set(load_database(units_only_from)) if units_only_from else set()
    out = []
    for folder in folders:
        top = os.path.join(root, folder)
        if os.path.isfile(top):
            out.append(os.path.abspath(top))
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for n in sorted(filenames):
                full = os.path.abspath(os.path.join(dirpath, n))
                rel = os.path.relpath(full, root)
                ext = os.path.splitext(n)[1]
                if ext not in EXTENSIONS or any(fnmatch.fnmatch(rel, g) for g in exclude):
                    continue
                if units_only_from and ext not in HEADERS and full not in listed:
                    continue
                out.append(full)
    return sorted(dict.fromkeys(out))


def prepare_leveldb(work: Work) -> Prepared:
    # leveldb 1.20 as leveldown 6.1.1 builds it: leveldb.gyp's Linux sources (the port-libuv and
    # Windows files are the other branch), with snappy (deps/snappy, SNAPPY=1) as its gyp links it.
    top = work.extract(work.npm_pack("leveldown@6.1.1"), "leveldb", ("package/deps/leveldb/", "package/deps/snappy/"))
    deps = os.path.join(top, "package", "deps")
    root = os.path.join(deps, "leveldb")
    ldb = os.path.join(root, "leveldb-1.20")
    units = [os.path.join(root, s.replace("leveldb-<(ldbversion)", "leveldb-1.20"))
             for s in gyp_sources(os.path.join(root, "leveldb.gyp"), "leveldb-<(ldbversion)/")]
    flags = NODE_GYP_CFLAGS + ["-DSNAPPY=1", "-DLEVELDB_PLATFORM_POSIX=1", "-DOS_LINUX=1", f"-I{ldb}",
                               f"-I{ldb}/include", f"-I{deps}/snappy/linux", f"-I{deps}/snappy/snappy",
                               "-fno-builtin-memcmp", "-Wno-sign-compare", "-Wno-unused-but-set-variable",
                               "-std=c++0x", "-std=gnu++17", "-MMD", "-MF", "deps.d"]
    build = os.path.join(work.builds, "leveldb")
    write_database(build, [entry(root, "g++", flags, u, build) for u in units])
    return Prepared(ldb, build, select_files(ldb, ["."]),
                    f"written from leveldb.gyp: {len(units)} units, node-gyp's Linux flags")


def prepare_rocksdb(work: Work) -> Prepared:
    # RocksDB 6.17.3 as the `rocksdb` npm package builds it: its rocksdb.gyp (the package leaves out
    # cmake/modules, so RocksDB's own CMakeLists does not configure), Linux branch, snappy linked.
    top = work.extract(work.npm_pack("rocksdb@5.2.1"), "rocksdb", ("package/deps/rocksdb/", "package/deps/snappy/"))
    deps = os.path.join(top, "package", "deps")
    root = os.path.join(deps, "rocksdb")
    rdb = os.path.join(root, "rocksdb")
    units = [os.path.join(root, s) for s in gyp_sources(os.path.join(root, "rocksdb.gyp"), "rocksdb/", skip=("/win/",))]
    flags = NODE_GYP_CFLAGS + ["-DSNAPPY=1", "-DROCKSDB_PLATFORM_POSIX=1", "-DOS_LINUX=1", "-DROCKSDB_LIB_IO_POSIX=1",
                               f"-I{rdb}", f"-I{rdb}/include", f"-I{deps}/snappy/linux", f"-I{deps}/snappy/snappy-1.1.7",
                               "-fno-builtin-memcmp", "-Wno-sign-compare", "-Wno-unused-but-set-variable",
                               "-std=c++0x", "-fexceptions", "-std=gnu++17"]
    build = os.path.join(work.builds, "rocksdb")
    write_database(build, [entry(root, "g++", flags, u, build) for u in units])
    files = select_files(rdb, ["memtable", "cache", "util"], exclude=("*_test.cc", "*_bench.cc", "*/testutil.*"))
    return Prepared(rdb, build, files, f"written from rocksdb.gyp: {len(units)} units, node-gyp's Linux flags")


def prepare_zstd(work: Work) -> Prepared:
    # zstd 1.5.7's single-file library (zstd/zstd.c) from python-zstandard 0.25.0, with the defines
    # its setup_zstd.py gives the bundled zstd; the extension's own unit (c-ext/backend_c.c, which
    # #includes zstd.c under ZSTD_SINGLE_FILE) is listed too, as setuptools compiles it.
    top = work.extract(work.pip_sdist("zstandard", "0.25.0"), "zstd")
    root = os.path.join(top, "zstandard-0.25.0")
    defines = ["-DZSTDLIB_VISIBLE=", "-DZDICTLIB_VISIBLE=", "-DZSTDERRORLIB_VISIBLE=", "-fvisibility=hidden"]
    build = os.path.join(work.builds, "zstd")
    write_database(build, [
        entry(root, "gcc", PY_EXT + ["-Ic-ext", "-Izstd", "-DZSTD_SINGLE_FILE"] + defines, os.path.join(root, "c-ext/backend_c.c"), build),
        entry(root, "gcc", PY_EXT + ["-Izstd"] + defines, os.path.join(root, "zstd/zstd.c"), build),
    ])
    return Prepared(root, build, select_files(root, ["zstd"]), "written from setup_zstd.py: 2 units, setuptools' flags")


def prepare_http(work: Work) -> Prepared:
    # llhttp (Node's HTTP parser) and http-parser as httptools 0.9.0 bundles and compiles them
    # (setup.py: -O2, each parser's include folders). Their tests and benchmarks borrow flags.
    top = work.extract(work.pip_sdist("httptools", "0.9.0"), "http")
    root = os.path.join(top, "httptools-0.9.0")
    cflags = PY_EXT + ["-O2", "-DCYTHON_FREETHREADING_COMPATIBLE=1"]
    build = os.path.join(work.builds, "http")
    ll = ["-Ivendor/llhttp/include", "-Ivendor/llhttp/src"]
    write_database(build, [entry(root, "gcc", cflags + ll, os.path.join(root, f"vendor/llhttp/src/{u}.c"), build)
                           for u in ("api", "http", "llhttp")] +
                   [entry(root, "gcc", cflags + ["-Ivendor/http-parser"], os.path.join(root, "vendor/http-parser/http_parser.c"), build)])
    return Prepared(root, build, select_files(root, ["vendor"]), "written from setup.py: 4 units, setuptools' flags")


def prepare_libuv(work: Work) -> Prepared:
    # libuv as uvloop 0.23.0 bundles it, configured with its own CMakeLists (tests and benchmarks
    # off). Analyzed: the units CMake lists for Linux and every header but Windows'.
    top = work.extract(work.pip_sdist("uvloop", "0.23.0"), "libuv", ("uvloop-0.23.0/vendor/libuv/",))
    root = os.path.join(top, "uvloop-0.23.0", "vendor", "libuv")
    build = cmake_database(work, "libuv", root, ["-DLIBUV_BUILD_TESTS=OFF", "-DLIBUV_BUILD_BENCH=OFF",
                                                 "-DLIBUV_BUILD_SHARED=OFF"])
    files = select_files(root, ["include", "src"], exclude=("src/win/*", "include/uv/win.h", "include/uv/tree.h"),
                         units_only_from=build)
    return Prepared(root, build, files, "its CMake (-DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF -DLIBUV_BUILD_SHARED=OFF)")


def prepare_ducc(work: Work) -> Prepared:
    # ducc0 0.42.0 (pocketfft's successor, with its thread pool): its CMakeLists needs CMake 3.30
    # and pybind11, so the database is written from it: CXX_SOURCES, C++17, -O3 -ffast-math
    # -march=native (its default "native" optimization), -I src, hidden visibility, PIC, threads.
    top = work.extract(work.pip_sdist("ducc0", "0.42.0"), "ducc0")
    root = os.path.join(top, "ducc0-0.42.0")
    with open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8") as fh:
        m = re.search(r"set\(CXX_SOURCES\s+([^)]*)\)", fh.read())
    if not m:
        raise StepFailed("ducc0: CMakeLists.txt has no set(CXX_SOURCES ...)")
    units = [os.path.join(root, u) for u in m.group(1).split()]
    flags = ["-std=c++17", "-fPIC", "-fvisibility=hidden", "-O3", "-ffast-math", "-march=native", "-pthread",
             f"-I{root}/src", "-DPKGVERSION=0.42.0", "-DPKGNAME=ducc0"]
    build = os.path.join(work.builds, "ducc0")
    write_database(build, [entry(root, "g++", flags, u, build) for u in units])
    files = select_files(root, ["src/ducc0/fft", "src/ducc0/infra"])
    return Prepared(root, build, files, f"written from CMakeLists.txt: {len(units)} units, its GNU flags")


def prepare_pillow(work: Work) -> Prepared:
    # Pillow 13.0.0's imaging core: the _imaging extension's sources as its setup.py lists them
    # (_IMAGING and _LIB_IMAGING, read without running it), Mode.c, _imagingmath and _imagingmorph,
    # with setuptools' flags; HAVE_LIBJPEG and HAVE_LIBZ where the headers are found, as setup.py does.
    top = work.extract(work.pip_sdist("pillow", "13.0.0"), "pillow", ("pillow-13.0.0/src/", "pillow-13.0.0/setup.py"))
    root = os.path.join(top, "pillow-13.0.0")
    setup = os.path.join(root, "setup.py")
    units = (["src/_imaging.c"] + [f"src/{n}.c" for n in python_tuple(setup, "_IMAGING")]
             + [f"src/libImaging/{n}.c" for n in python_tuple(setup, "_LIB_IMAGING")]
             + ["src/libImaging/Mode.c", "src/_imagingmath.c", "src/_imagingmorph.c"])
    defines = ['-DPILLOW_VERSION="13.0.0"']
    for header, define in (("jpeglib.h", "HAVE_LIBJPEG"), ("zlib.h", "HAVE_LIBZ")):
        if os.path.exists(os.path.join("/usr/include", header)):
            defines.append(f"-D{define}")
    build = os.path.join(work.builds, "pillow")
    write_database(build, [entry(root, "gcc", PY_EXT + defines, os.path.join(root, u), build) for u in units])
    return Prepared(root, build, select_files(root, ["src/libImaging"]),
                    f"written from setup.py: {len(units)} units, setuptools' flags, {' '.join(defines[1:]) or 'no codec'}")


def prepare_box2d(work: Work) -> Prepared:
    # Box2D 2.3.2 as pybox2d's setup.py compiles it: every .cpp of its six source folders, -I. -Wno-unused.
    top = work.extract(work.pip_sdist("Box2D", "2.3.2"), "box2d")
    root = os.path.join(top, "Box2D-2.3.2")
    units = sorted(os.path.join(dp, n) for dp, _, ns in os.walk(os.path.join(root, "Box2D")) for n in ns if n.endswith(".cpp"))
    build = os.path.join(work.builds, "box2d")
    write_database(build, [entry(root, "g++", PY_EXT + ["-I.", "-Wno-unused"], u, build) for u in units])
    return Prepared(root, build, select_files(root, ["Box2D"]), f"written from setup.py: {len(units)} units, setuptools' flags")


def prepare_flecs(work: Work) -> Prepared:
    # flecs 4.1.0 as the flecs 0.0.2 sdist bundles it, configured with its own examples/cpp
    # CMakeLists: the C library (static and shared) and the 101 C++ examples that use its C++ API,
    # so the API's headers (include/flecs/addons/cpp) have units that include them. Analyzed: the
    # library's src/ and include/, not the examples.
    top = work.extract(work.pip_sdist("flecs", "0.0.2"), "flecs", ("flecs-0.0.2/deps/flecs-4.1.0/",))
    root = os.path.join(top, "flecs-0.0.2", "deps", "flecs-4.1.0")
    build = cmake_database(work, "flecs", os.path.join(root, "examples", "cpp"), [])
    return Prepared(root, build, select_files(root, ["src", "include"]),
                    "its CMake, examples/cpp (the library and its C++ examples)")


def prepare_rapidjson(work: Work) -> Prepared:
    # RapidJSON (git v1.1.0-763-g24b5e7a8, header-only) as python-rapidjson 1.25 compiles it: one
    # unit, rapidjson.cpp, with setup.py's defines and -pedantic -Wno-long-long -std=c++11.
    top = work.extract(work.pip_sdist("python-rapidjson", "1.25"), "rapidjson")
    root = os.path.join(top, "python_rapidjson-1.25")
    with open(os.path.join(root, "rapidjson_exact_version.txt"), encoding="utf-8") as fh:
        exact = fh.read().strip()
    flags = PY_EXT + ["-Irapidjson/include", "-DPYTHON_RAPIDJSON_VERSION=1.25", f"-DRAPIDJSON_EXACT_VERSION={exact}",
                      "-pedantic", "-Wno-long-long", "-std=c++11"]
    build = os.path.join(work.builds, "rapidjson")
    write_database(build, [entry(root, "g++", flags, os.path.join(root, "rapidjson.cpp"), build)])
    files = select_files(root, ["rapidjson.cpp", "rapidjson/include"], exclude=("*/msinttypes/*",))
    return Prepared(root, build, files, "written from setup.py: 1 unit, setuptools' flags")


def prepare_chipmunk(work: Work) -> Prepared:
    # Chipmunk2D as pymunk 7.3.1 bundles it (Munk2D), configured with its own CMakeLists (static
    # library, no demos).
    top = work.extract(work.pip_sdist("pymunk", "7.3.1"), "chipmunk", ("pymunk-7.3.1/Munk2D/",))
    root = os.path.join(top, "pymunk-7.3.1", "Munk2D")
    build = cmake_database(work, "chipmunk", root, ["-DBUILD_DEMOS=OFF", "-DBUILD_SHARED=OFF", "-DINSTALL_DEMOS=OFF", "-DINSTALL_STATIC=OFF", "-DBUILD_TESTING=OFF"])
    return Prepared(root, build, select_files(root, ["src", "include"]), "its CMake (-DBUILD_DEMOS=OFF -DBUILD_SHARED=OFF -DBUILD_TESTING=OFF)")


CODEBASES = [
    CodeBase("leveldb", "1.20", "storage engine (LSM tree)", "npm leveldown@6.1.1",
             "the whole tree: library, tests, benchmarks, helpers", prepare_leveldb),
    CodeBase("rocksdb", "6.17.3", "concurrent data structures (skip lists, sharded caches)", "npm rocksdb@5.2.1",
             "subset: memtable/, cache/, util/ without tests and benchmarks", prepare_rocksdb),
    CodeBase("zstd", "1.5.7", "compressor", "PyPI zstandard==0.25.0 (sdist)",
             "zstd/: the single-file library and its headers", prepare_zstd),
    CodeBase("llhttp+http-parser", "9.x+2.9", "HTTP parser", "PyPI httptools==0.9.0 (sdist)",
             "vendor/: both parsers, their tests and benchmarks", prepare_http),
    CodeBase("libuv", "1.x", "event loop, thread pool, async I/O", "PyPI uvloop==0.23.0 (sdist)",
             "include/ and src/: Linux units and all headers; Windows left out", prepare_libuv),
    CodeBase("ducc0-fft", "0.42.0", "FFT (pocketfft's C++ successor), thread pool", "PyPI ducc0==0.42.0 (sdist)",
             "subset: src/ducc0/fft and src/ducc0/infra", prepare_ducc),
    CodeBase("pillow", "13.0.0", "image processing", "PyPI pillow==13.0.0 (sdist)",
             "subset: src/libImaging (the imaging core)", prepare_pillow),
    CodeBase("box2d", "2.3.2", "rigid-body physics (C++)", "PyPI Box2D==2.3.2 (sdist)",
             "Box2D/: the library", prepare_box2d),
    CodeBase("chipmunk", "7.x (Munk2D)", "rigid-body physics (C), threaded solver", "PyPI pymunk==7.3.1 (sdist)",
             "src/ and include/", prepare_chipmunk),
    CodeBase("flecs", "4.1.0", "entity component system (C, C++ API)", "PyPI flecs==0.0.2 (sdist)",
             "src/ and include/ (tests, examples and the amalgamation left out)", prepare_flecs),
    CodeBase("rapidjson", "1.1.0+763", "JSON parser (header-only C++)", "PyPI python-rapidjson==1.25 (sdist)",
             "rapidjson/include (less MSVC-only msinttypes/) and the binding's unit", prepare_rapidjson),
]


# --------------------------------------------------------------------------- compile commands


def load_database(folder: str) -> dict[str, list[tuple[str, list[str]]]]:
    """file -> [(directory, argv), ...], every entry of the file in the database's order (a file
    built into two targets, static and shared, has two)."""
    with open(os.path.join(folder, "compile_commands.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    out = collections.defaultdict(list)
    for e in data:
        directory = e["directory"]
        argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
        out[os.path.normpath(os.path.join(directory, e["file"]))].append((directory, list(argv)))
    return dict(out)


def language_of(path: str, argv: list[str] | None = None) -> str:
    if argv:
        for i, a in enumerate(argv):
            if a == "-x" and i + 1 < len(argv):
                return "c++" if argv[i + 1].startswith("c++") else "c"
            if a.startswith("-x") and len(a) > 2:
                return "c++" if a[2:].startswith("c++") else "c"
        base = os.path.basename(argv[0])
        if "++" in base or base.endswith("cxx"):
            return "c++"
        if base in ("gcc", "cc", "clang") or re.fullmatch(r"(.*-)?(gcc|cc|clang)(-[0-9.]+)?", base):
            return "c" if path.endswith(C_SOURCES) else ("c++" if path.endswith(CXX_SOURCES + CXX_ONLY_HEADERS) else "c")
    ext = os.path.splitext(path)[1]
    return "c" if ext in C_SOURCES + (".h",) else "c++"


def nearest_entry(db: dict, path: str) -> str | None:
    """The database file whose flags stand in for a file it does not list: same language, same
    folder first, then the longest common path (as clangd and hotlint borrow them)."""
    ext = os.path.splitext(path)[1]
    want = "c" if ext in C_SOURCES else None if ext == ".h" else "c++"
    if want and not any(language_of(f, entries[0][1]) == want for f, entries in db.items()):
        want = None
    best, best_key = None, None
    for f, [(_, argv), *_] in db.items():
        if want and language_of(f, argv) != want:
            continue
        common = len(os.path.commonpath([f, path]))
        key = (os.path.dirname(f) == os.path.dirname(path), common, -len(f))
        if best_key is None or key > best_key:
            best, best_key = f, key
    return best


_DROP_ALONE = {"-c", "-MD", "-MMD", "-M", "-MM", "-MP", "-S", "-E", "-fsyntax-only"}
_DROP_WITH_VALUE = {"-o", "-MF", "-MT", "-MQ", "-MJ"}


def syntax_argv(argv: list[str], unit: str, directory: str, target: str, language: str | None = None) -> list[str]:
    """The build's command for ``unit`` turned into a syntax check of ``target``: -c, -o and the
    dependency outputs dropped, -Werror dropped (a warning is no parse error), ``-x language`` when
    given (a header alone)."""
    out, skip = [], False
    unit_abs = os.path.normpath(os.path.join(directory, unit))
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a in _DROP_WITH_VALUE:
            skip = True
            continue
        if a in _DROP_ALONE or a.startswith("-Werror") or (a.startswith("-o") and len(a) > 2) \
                or (a.startswith(("-MF", "-MT", "-MQ")) and len(a) > 3):
            continue
        if not a.startswith("-") and os.path.normpath(os.path.join(directory, a)) == unit_abs:
            continue
        out.append(a)
    compiler = argv[0] if shutil.which(argv[0]) else ("g++" if language_of(unit, argv) == "c++" else "gcc")
    lang = ["-x", language] if language else []
    return [compiler, *out, "-fsyntax-only", *lang, target]


_checked: dict = {}


def compile_check(argv: list[str], directory: str, list_includes: bool = False) -> tuple[bool, str, set[str]]:
    """Run a syntax check: (accepted, first error line, headers it read when ``list_includes``).
    Once per command: many headers share an includer."""
    key = (tuple(argv), directory, list_includes)
    if key not in _checked:
        _checked[key] = _compile_check(argv, directory, list_includes)
    return _checked[key]


def _compile_check(argv: list[str], directory: str, list_includes: bool) -> tuple[bool, str, set[str]]:
    cmd = argv[:-1] + (["-H"] if list_includes else []) + argv[-1:]
    try:
        proc = subprocess.run(cmd, check=False, cwd=directory, capture_output=True, text=True, timeout=300, errors="replace")
    except subprocess.TimeoutExpired:
        return False, "the compiler took over 300 s", set()
    except OSError as exc:
        return False, f"the compiler did not run: {exc}", set()
    first = next((ln for ln in proc.stderr.splitlines() if " error: " in ln or ln.startswith("error:")
                  or "fatal error:" in ln), "")
    includes = set()
    if list_includes:
        for ln in proc.stderr.splitlines():
            m = re.match(r"^\.+ (.+)$", ln)
            if m:
                includes.add(os.path.realpath(os.path.join(directory, m.group(1))))
    return proc.returncode == 0, first, includes


def parse_flags(argv: list[str], directory: str) -> dict:
    """What shapes a parse, normalized for comparing hotlint's flags with the build's."""
    incs, macros, std, forced = [], [], None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        for opt in ("-I", "-isystem", "-iquote", "-idirafter", "-include"):
            if a == opt and i + 1 < len(argv):
                val, i = argv[i + 1], i + 1
                break
            if a.startswith(opt) and len(a) > len(opt) and not (opt == "-I" and a.startswith("-include")):
                val = a[len(opt):].lstrip("=")
                break
        else:
            opt = None
        if opt == "-include":
            forced.append(os.path.normpath(os.path.join(directory, val)))
        elif opt:
            incs.append(os.path.normpath(os.path.join(directory, val)))
        elif a.startswith(("-D", "-U")):
            if len(a) == 2 and i + 1 < len(argv):
                macros.append(a + argv[i + 1])
                i += 1
            else:
                macros.append(a)
        elif a.startswith("-std="):
            std = a[5:]
        i += 1
    return {"includes": incs, "macros": sorted(set(macros)), "std": std, "forced": forced}


def flag_difference(hotlint_args: list[str], build_argv: list[str], directory: str) -> str:
    h, b = parse_flags(hotlint_args, directory), parse_flags(build_argv[1:], directory)
    said = []
    missing = [i for i in b["includes"] if i not in h["includes"]]
    if missing:
        said.append("no " + " ".join(f"-I{os.path.basename(i) or i}" for i in missing[:3]) + (" ..." if len(missing) > 3 else ""))
    extra = [i for i in h["includes"] if i not in b["includes"]]
    if extra:
        said.append("extra " + " ".join(f"-I{os.path.basename(i) or i}" for i in extra[:3]) + (" ..." if len(extra) > 3 else ""))
    lost = [m for m in b["macros"] if m not in h["macros"]]
    if lost:
        said.append("no " + " ".join(lost[:3]) + (" ..." if len(lost) > 3 else ""))
    added = [m for m in h["macros"] if m not in b["macros"]]
    if added:
        said.append("extra " + " ".join(added[:3]) + (" ..." if len(added) > 3 else ""))
    if (h["std"] or "") != (b["std"] or ""):
        said.append(f"-std={h['std'] or '(default)'} where the build has -std={b['std'] or '(default)'}")
    if h["forced"] != b["forced"]:
        said.append("other -include")
    return "; ".join(said)


# --------------------------------------------------------------------------- includers of a header


_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)


class IncludeGraph:
    """Which files of a code base include which of its headers (by the spelled name's tail), to
    find units of the build that include a header: candidates, confirmed by the compiler's -H."""

    def __init__(self, root: str):
        self.by_name: dict[str, list[str]] = collections.defaultdict(list)
        self.includers: dict[str, set[str]] = collections.defaultdict(set)
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for n in filenames:
                if os.path.splitext(n)[1] in EXTENSIONS:
                    files.append(os.path.realpath(os.path.join(dirpath, n)))
        for f in files:
            if f.endswith(HEADERS):
                self.by_name[os.path.basename(f)].append(f)
        for f in files:
            try:
                with open(f, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            for name in _INCLUDE.findall(text):
                tail = name.replace("\\", "/")
                for h in self.by_name.get(os.path.basename(tail), ()):
                    if h.endswith("/" + tail.lstrip("./")) or os.path.dirname(f) == os.path.dirname(h):
                        self.includers[h].add(f)

    def candidate_units(self, header: str, units: set[str], limit: int = 4) -> list[str]:
        """Units of the database that include ``header`` directly or through other headers, nearest first."""
        header = os.path.realpath(header)
        seen, frontier, found = {header}, [header], []
        while frontier and len(found) < limit:
            nxt = []
            for h in frontier:
                for f in sorted(self.includers.get(h, ())):
                    if f in seen:
                        continue
                    seen.add(f)
                    if f in units:
                        found.append(f)
                    else:
                        nxt.append(f)
            frontier = nxt
        return found[:limit]


# --------------------------------------------------------------------------- running hotlint


_VERBOSE = re.compile(r"^hotlint: (.+?): (-.*?)  \(from (.+)\)$")


@dataclass
class Result:
    files: int = 0
    lines: int = 0
    seconds: float = 0.0
    findings: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    parse_errors: list = field(default_factory=list)
    other_errors: list = field(default_factory=list)
    failure: str = ""


_EVIDENCE = re.compile(r"\(((?:hot|warm|cold|not measured|no evidence|called from)[^()]*)\)\s*$")


def evidence_class(message: str) -> str:
    """The evidence a ranked message ends with, numbers and names left out so that findings of
    one cause group together: `(cold: 0.04% of the profile)` -> `cold: % of the profile`."""
    m = _EVIDENCE.search(message)
    if not m:
        return "no evidence given"
    return re.sub(r"`[^`]*`", "`…`", re.sub(r"[\d.,]+", "", m.group(1))).strip()


def severity_options(hotlint: list[str]) -> list[str]:
    """`--min-severity info` when this hotlint hides findings below a severity (so every finding
    is counted, and shown/hidden is told from its severity), else nothing."""
    proc = subprocess.run(hotlint + ["--help"], check=False, capture_output=True, text=True, errors="replace")
    return ["--min-severity", "info"] if "--min-severity" in proc.stdout else []


def run_hotlint(hotlint: list[str], prep: Prepared, jobs: int, work: Work) -> tuple[Result, dict[str, list[str]]]:
    res = Result(files=len(prep.files))
    for f in prep.files:
        with open(f, "rb") as fh:
            res.lines += sum(1 for _ in fh)
    cmd = hotlint + ["--format", "json", "--no-cache", "-v", "--exit-zero", *severity_options(hotlint),
                     "-j", str(jobs), "-p", prep.database,
                     *[os.path.relpath(f, prep.root) for f in prep.files]]
    # PYTHONSAFEPATH: the code base's folder (hotlint runs there) is never on the import path.
    env = dict(work.env, PYTHONSAFEPATH="1", HOTLINT_CACHE_DIR=os.path.join(work.root, "hotlint-cache"), NO_COLOR="1")
    t = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=prep.root, env=env, capture_output=True, text=True, errors="replace")
    res.seconds = time.perf_counter() - t
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        tail = "\n".join(proc.stderr.strip().splitlines()[-6:])
        res.failure = f"hotlint exited {proc.returncode} without JSON output:\n{tail}"
        return res, {}
    flags = {}
    for ln in proc.stderr.splitlines():
        m = _VERBOSE.match(ln)
        if m:
            flags[os.path.normpath(os.path.join(prep.root, m.group(1)))] = m.group(2).split()
    for d in data.get("diagnostics", []):
        res.findings[d["rule"]] = res.findings.get(d["rule"], 0) + 1
        res.diagnostics.append({"path": rel(prep, d["path"]), "line": d.get("line"), "column": d.get("column"),
                                "rule": d["rule"], "severity": d.get("severity"), "message": d.get("message", "")})
    for e in data.get("errors", []):
        rec = {"path": os.path.normpath(os.path.join(prep.root, e["path"])), "line": e.get("line"),
               "column": e.get("column"), "message": e.get("message", ""), "kind": e.get("kind", "")}
        (res.parse_errors if rec["kind"] == "parse-error" else res.other_errors).append(rec)
    return res, flags


def rel(prep: Prepared, path: str) -> str:
    return os.path.relpath(os.path.normpath(os.path.join(prep.root, path)), prep.root)


_PARSE_SHAPING = ("-x", "-std=", "-D", "-U", "-I", "-isystem", "-iquote", "-idirafter", "-include", "-m", "-pthread",
                  "-O", "-ffast-math", "-fno-", "-fsigned-char", "-funsigned-char", "-fexceptions", "-frtti", "-fopenmp")


def hotlint_cause(path: str, hl_args: list[str], build_lang: str, entries: list[tuple[str, list[str]]],
                  header: bool) -> tuple[str, str]:
    """Why hotlint could not parse what the build's compiler accepts: the compiler is asked again with
    hotlint's own flags (those that shape a parse): rejected, the flags are the cause; accepted too,
    the cause lies in hotlint's parse itself (libclang, its preamble, a time-out)."""
    directory = entries[0][0]
    if not hl_args:
        return "flags", "hotlint said no flags for it (-v)"
    hl_lang = language_of(path, ["hotlint"] + hl_args)
    if hl_lang != build_lang:
        return "language", f"hotlint parsed it as {hl_lang}, the build{' (its includer)' if header else ''} as {build_lang}"
    diff = min((flag_difference(hl_args, argv, directory) for _, argv in entries), key=len)
    std = next((a[5:] for a in reversed(hl_args) if a.startswith("-std=")), "")
    if std and (hl_lang == "c++") != ("++" in std):
        return ("header context" if header else "flags"), f"-std={std} for a {hl_lang} parse" + (f"; {diff}" if diff else "")
    kept, skip = [], False
    for i, a in enumerate(hl_args):
        if skip:
            skip = False
        elif a.startswith(_PARSE_SHAPING):
            kept.append(a)
            if a in ("-x", "-D", "-U", "-I", "-isystem", "-iquote", "-idirafter", "-include") and i + 1 < len(hl_args):
                kept.append(hl_args[i + 1])
                skip = True
    ok, first, _ = compile_check(["g++" if hl_lang == "c++" else "gcc", *kept, "-fsyntax-only", path], directory)
    if not ok:
        return ("header context" if header else "flags"), diff or f"with hotlint's flags the compiler says: {first}"
    return "other", "the compiler accepts it with hotlint's flags too" + (f" ({diff})" if diff else "")


def classify(prep: Prepared, res: Result, hotlint_flags: dict[str, list[str]], jobs: int) -> None:
    """Ask the build's compiler about every file hotlint could not parse (see the module's doc)."""
    if not res.parse_errors:
        return
    db = load_database(prep.database)
    units = {os.path.realpath(f) for f in db}
    # A C++-only header is read only by C++ units (flecs.h reaches its C++ API only under __cplusplus).
    cxx_units = {os.path.realpath(f) for f, entries in db.items() if language_of(f, entries[0][1]) == "c++"}
    real_to_db = {os.path.realpath(f): f for f in db}
    graph = IncludeGraph(prep.root) if any(e["path"].endswith(HEADERS) for e in res.parse_errors) else None

    def one(err: dict) -> None:
        path = err["path"]
        hl_args = hotlint_flags.get(path, [])
        err["hotlint_flags"] = " ".join(hl_args)
        if path.endswith(HEADERS):
            includer, accepted_in = None, None
            for cand in graph.candidate_units(path, cxx_units if path.endswith(CXX_ONLY_HEADERS) else units):
                unit = real_to_db[cand]
                directory, argv = db[unit][0]
                ok, first, seen = compile_check(syntax_argv(argv, unit, directory, unit), directory, list_includes=True)
                if os.path.realpath(path) in seen:
                    includer, accepted_in = unit, (ok, first)
                    if ok:
                        break
            if includer is None:
                unit = nearest_entry(db, path)
                directory, argv = db[unit][0]
                lang = "c++" if path.endswith(CXX_ONLY_HEADERS) else language_of(unit, argv)
                ok, first, _ = compile_check(syntax_argv(argv, unit, directory, path, lang), directory)
                err["build"] = f"no unit of the build includes it; alone with the flags of {rel(prep, unit)}"
                err["compiler"] = first
                if not ok:
                    # Nothing this build compiles includes it (another platform's or configuration's
                    # header, an example): the build would not compile it either.
                    err["class"], err["cause"] = "own", "no unit of the build includes it; rejected alone"
                    return
                err["class"] = "hotlint's"
                err["cause"], err["detail"] = hotlint_cause(path, hl_args, lang, db[unit], header=True)
                return
            directory, argv = db[includer][0]
            err["build"] = f"included by {rel(prep, includer)}"
            if not accepted_in[0]:
                err["class"], err["cause"], err["compiler"] = "own", "its includer fails to compile", accepted_in[1]
                return
            lang = language_of(includer, argv)
            ok, first, _ = compile_check(syntax_argv(argv, includer, directory, path, lang), directory)
            err["compiler"] = first
            if not ok:
                err["class"], err["cause"] = "not self-contained", "compiles in its includer, not alone"
                return
            err["class"] = "hotlint's"
            err["cause"], err["detail"] = hotlint_cause(path, hl_args, lang, db[includer], header=True)
            return
        if path in db:
            unit, how = path, "its database entry"
        else:
            unit = nearest_entry(db, path)
            how = f"not in the database; flags of {rel(prep, unit)}"
        if unit is None:
            err["class"], err["cause"], err["build"] = "hotlint's", "flags", "no entry of its language in the database"
            return
        directory, argv = db[unit][0]
        ok, first, _ = compile_check(syntax_argv(argv, unit, directory, path), directory)
        err["build"], err["compiler"] = how, first
        if not ok:
            err["class"], err["cause"] = "own", "the compiler rejects it too"
            return
        err["class"] = "hotlint's"
        err["cause"], err["detail"] = hotlint_cause(path, hl_args, language_of(path, argv), db[unit], header=False)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, res.parse_errors))


# --------------------------------------------------------------------------- printing


CAUSES = ("flags", "language", "header context", "other")
HL = "hotlint's"


def counts(res: Result) -> dict:
    c = collections.Counter()
    for e in res.parse_errors:
        c[e.get("class", "hotlint's")] += 1
        if e.get("class") == "hotlint's":
            c[e.get("cause", "other")] += 1
    c["hotlint's"] += len(res.other_errors)
    c["other"] += len(res.other_errors)
    return c


def print_report(results: list[tuple[CodeBase, Prepared, Result]], out) -> None:
    w = out.write
    rules = sorted({r for _, _, res in results for r in res.findings} |
                   {"false-sharing", "seq-cst-default", "alloc-in-loop", "aliasing-vectorization", "aos-layout", "padding-waste"})
    w("\nparse errors: own = the build's compiler rejects it too; not-self = a header that compiles only inside its includer;\n"
      "hotlint's = the compiler accepts it (by cause: flags, language, header context, other; crashes and time-outs count as other)\n\n")
    head = f"{'code base':20}{'kind':44}{'files':>6}{'KLOC':>8}{'own':>5}{'not-self':>9}{'hotlint':>8}" \
           f"{'flags':>6}{'lang':>5}{'hdr':>5}{'other':>6}{'time s':>8}\n"
    w(head)
    w("-" * (len(head) - 1) + "\n")
    tot = collections.Counter()
    for cb, _, res in results:
        c = counts(res)
        tot.update(c)
        tot["files"] += res.files
        tot["lines"] += res.lines
        tot["seconds"] += res.seconds
        w(f"{cb.name:20}{cb.kind[:43]:44}{res.files:>6}{res.lines / 1000:>8.1f}{c['own']:>5}{c['not self-contained']:>9}"
          f"{c[HL]:>8}{c['flags']:>6}{c['language']:>5}{c['header context']:>5}{c['other']:>6}"
          f"{res.seconds:>8.1f}" + (f"   HOTLINT FAILED: {res.failure.splitlines()[0]}" if res.failure else "") + "\n")
    w("-" * (len(head) - 1) + "\n")
    w(f"{'total':64}{tot['files']:>6}{tot['lines'] / 1000:>8.1f}{tot['own']:>5}{tot['not self-contained']:>9}"
      f"{tot[HL]:>8}{tot['flags']:>6}{tot['language']:>5}{tot['header context']:>5}"
      f"{tot['other']:>6}{tot['seconds']:>8.1f}\n")

    abbrev = {r: "".join(p[0] for p in r.split("-")) for r in rules}
    w("\nfindings per rule: " + ", ".join(f"{abbrev[r]} = {r}" for r in rules) + "\n")
    width = max(6, *(len(a) + 2 for a in abbrev.values()))
    head = f"{'code base':20}" + "".join(f"{abbrev[r]:>{width}}" for r in rules) + f"{'total':>8}\n"
    w(head)
    w("-" * (len(head) - 1) + "\n")
    rtot = collections.Counter()
    for cb, _, res in results:
        rtot.update(res.findings)
        w(f"{cb.name:20}" + "".join(f"{res.findings.get(r, 0):>{width}}" for r in rules)
          + f"{sum(res.findings.values()):>8}\n")
    w("-" * (len(head) - 1) + "\n")
    w(f"{'total':20}" + "".join(f"{rtot.get(r, 0):>{width}}" for r in rules) + f"{sum(rtot.values()):>8}\n")

    # shown by default (warning and error) vs. hidden (info), and why each hidden one is info
    w("\nshown by default (warnings and errors) and hidden (infos), with the evidence each hidden class gives\n")
    head = f"{'code base':20}{'shown':>7}{'hidden':>8}  hidden by evidence\n"
    w(head)
    w("-" * 100 + "\n")
    shown_total = hidden_total = 0
    every = collections.Counter()
    for cb, _, res in results:
        hidden = [d for d in res.diagnostics if d.get("severity") == "info"]
        shown = len(res.diagnostics) - len(hidden)
        why = collections.Counter(evidence_class(d["message"]) for d in hidden)
        every.update(why)
        shown_total += shown
        hidden_total += len(hidden)
        w(f"{cb.name:20}{shown:>7}{len(hidden):>8}  " + "; ".join(f"{n} {c}" for c, n in why.most_common()) + "\n")
    w("-" * 100 + "\n")
    w(f"{'total':20}{shown_total:>7}{hidden_total:>8}  " + "; ".join(f"{n} {c}" for c, n in every.most_common()) + "\n")

    groups = collections.defaultdict(list)
    for cb, prep, res in results:
        for e in res.parse_errors:
            cls = e.get("class", "hotlint's")
            key = f"hotlint's: {e.get('cause', 'other')}" if cls == "hotlint's" else cls
            groups[key].append((cb, prep, e))
        for e in res.other_errors:
            groups["hotlint's: other"].append((cb, prep, e))
    order = [f"hotlint's: {c}" for c in CAUSES] + ["not self-contained", "own"]
    if groups:
        w("\nevery parse error hotlint reported, by class (file:line:col: hotlint's first error)\n")
    for key in order:
        items = groups.get(key)
        if not items:
            continue
        w(f"\n{key} ({len(items)})\n")
        for cb, prep, e in items:
            where = f"{cb.name}/{rel(prep, e['path'])}"
            if e.get("line"):
                where += f":{e['line']}:{e.get('column') or 1}"
            w(f"  {where}: {e['message']}\n")
            info = [e.get("build", ""), e.get("detail", "")]
            if e.get("kind") and e["kind"] != "parse-error":
                info.append(e["kind"])
            if key in ("own", "not self-contained") and e.get("compiler"):
                info.append("compiler: " + _short_compiler_line(e["compiler"], prep))
            info = [i for i in info if i]
            if info:
                w(f"      ({'; '.join(info)})\n")
    w("\n")


def _short_compiler_line(line: str, prep: Prepared) -> str:
    return line.replace(prep.root + os.sep, "")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "hotlint-corpus"),
                    help="downloads, sources and build folders (reused by later runs)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", default="", help="comma-separated code base names")
    ap.add_argument("--json", metavar="OUT", help="save everything measured as JSON")
    ap.add_argument("--hotlint", metavar="CMD", default="", help="how to run hotlint (default: this Python -m hotlint)")
    ns = ap.parse_args(argv)

    hotlint = shlex.split(ns.hotlint) if ns.hotlint else [sys.executable, "-m", "hotlint"]
    chosen = CODEBASES
    if ns.only:
        names = [n.strip() for n in ns.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in {cb.name for cb in CODEBASES}]
        if unknown:
            ap.error(f"unknown code base {', '.join(unknown)}; known: {', '.join(cb.name for cb in CODEBASES)}")
        chosen = [cb for cb in CODEBASES if cb.name in names]
    work = Work(ns.workdir)
    print(f"hotlint corpus: {len(chosen)} code bases; hotlint = {shlex.join(hotlint)}; -j{ns.jobs}", flush=True)

    prepared = []
    for cb in chosen:
        t = time.perf_counter()
        try:
            prep = cb.prepare(work)
        except StepFailed as exc:
            print(f"\n{cb.name}: {exc}", file=sys.stderr)
            print(f"corpus incomplete: fetching or building the database of {cb.name} failed", file=sys.stderr)
            return 2
        prepared.append((cb, prep))
        print(f"  {cb.name} {cb.version}: {cb.kind}; {cb.origin}; database {prep.how}; {cb.subset} "
              f"[{time.perf_counter() - t:.0f} s]", flush=True)

    results = []
    for cb, prep in prepared:
        res, flags = run_hotlint(hotlint, prep, ns.jobs, work)
        analyzed = len(flags)
        if not res.failure and analyzed != res.files:
            print(f"  note: {cb.name}: hotlint reported flags for {analyzed} of {res.files} files", flush=True)
        t = time.perf_counter()
        classify(prep, res, flags, ns.jobs)
        print(f"  {cb.name}: {res.files} files, {res.lines / 1000:.1f} KLOC, {sum(res.findings.values())} findings, "
              f"{len(res.parse_errors)} parse errors, hotlint {res.seconds:.1f} s, classified in {time.perf_counter() - t:.1f} s",
              flush=True)
        results.append((cb, prep, res))

    print_report(results, sys.stdout)
    sys.stdout.flush()

    if ns.json:
        doc = {"hotlint": shlex.join(hotlint), "jobs": ns.jobs, "codebases": []}
        for cb, prep, res in results:
            c = counts(res)
            doc["codebases"].append({
                "name": cb.name, "version": cb.version, "kind": cb.kind, "origin": cb.origin, "subset": cb.subset,
                "database": prep.how, "files": res.files, "lines": res.lines, "seconds": round(res.seconds, 2),
                "parse_errors": {k: c[k] for k in ("own", "not self-contained", "hotlint's") + CAUSES},
                "findings": res.findings, "failure": res.failure,
                "diagnostics": res.diagnostics,
                "errors": [{**{k: v for k, v in e.items() if k != "path"}, "path": rel(prep, e["path"])}
                           for e in res.parse_errors + res.other_errors],
            })
        with open(ns.json, "w") as fh:
            json.dump(doc, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
