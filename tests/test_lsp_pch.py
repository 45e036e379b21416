"""Stored precompiled headers of a file's include block (``hotlint.lsp.pch``): a second
session's first parse loads them, and whatever it loads, the result is the ordinary parse's."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from hotlint.compdb import default_flags
from hotlint.engine import EngineOptions
from hotlint.lsp import pch
from hotlint.lsp.worker import Analyzer, _comparable
from hotlint.lsp.wire import options_to_json
from hotlint.rule import load_rules

OPTIONS = options_to_json(EngineOptions(rules=tuple(load_rules().names())))

PROJECT_HEADER = """\
#pragma once
#include <cstdint>
struct Packet {
  bool urgent;
  std::uint64_t id;
  bool seen;
  double weight;
};
"""

SOURCE = """\
// a file whose include block holds a project header
#include <vector>
#include "packet.h"  // the project's
#include <atomic>

#include <string>
std::atomic<long> hits{0};

long sum(const std::vector<Packet>& ps) {
  long total = 0;
  for (const auto& p : ps) {
    total += p.id;  // EDIT
    hits++;
  }
  return total;
}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("HOTLINT_PCH", raising=False)
    return home / "hotlint" / "pch"


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "packet.h").write_text(PROJECT_HEADER)
    (folder / "main.cpp").write_text(SOURCE)
    return folder / "main.cpp"


def stored(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.glob("*.pch")) if cache.is_dir() else []


def open_file(path: str, text: str, args: list[str], use_pch: bool = True) -> tuple[dict, Analyzer]:
    """A first analysis in a fresh worker, then the PCH built after its reply (when one is wanted)."""
    analyzer = Analyzer(prefix_units=False, use_pch=use_pch)
    reply = analyzer.analyze(path, text, args, OPTIONS)
    analyzer.after_reply()
    analyzer.settle()
    return reply, analyzer


def comparable(reply: dict) -> dict:
    return {**_comparable(reply), "outline": reply.get("outline"), "record_loops": reply.get("record_loops")}


def test_include_block_is_the_leading_includes_with_comments_and_blank_lines():
    assert pch.include_block(SOURCE) == SOURCE[:SOURCE.index("std::atomic<long>")]
    assert pch.include_block("#include <a>\n#define X 1\n#include <b>\nint x;\n") == "#include <a>\n"
    assert pch.include_block("#define X 1\n#include <a>\n") is None  # a macro before: no block
    assert pch.include_block("/* c */\n#include <a>\n") is None
    assert pch.include_block("#include <a>\n#if X\n#include <b>\n#endif\n") == "#include <a>\n"
    assert pch.include_block("#include <a>") is None  # no line end after it
    assert pch.include_block("#include <a> \\\n  x\n") is None  # a continued line
    assert pch.include_block("int x;\n") is None
    assert pch.include_block("  #  include \"a.h\" // why\r\n\r\nint x;\r\n") == "  #  include \"a.h\" // why\r\n"


def test_main_text_keeps_every_offset():
    block = pch.include_block(SOURCE)
    main = pch.main_text(SOURCE, block)
    assert len(main.encode()) == len(SOURCE.encode())
    assert main.split("\n")[:block.count("\n")] == [" " * len(line) for line in block.split("\n")[:-1]]
    assert main[len(block):] == SOURCE[len(block):]


def test_header_args_parse_the_block_in_the_files_language():
    assert pch.header_args("a.cpp", ["-xc++", "-std=c++20", "-DX"]) == ["-x", "c++-header", "-std=c++20", "-DX"]
    assert pch.header_args("a.c", ["-std=c11"]) == ["-x", "c-header", "-std=c11"]
    assert pch.header_args("a.cu", ["-std=c++17"]) is None


def test_second_session_loads_the_stored_headers_with_the_same_result(cache, project):
    path, text = str(project), project.read_text()
    args = default_flags(path)
    cold, _ = open_file(path, text, args)
    assert cold["pch"] is False
    assert len(stored(cache)) == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    warm, analyzer = open_file(path, text, args)
    assert warm["pch"] is True
    assert comparable(warm) == comparable(cold)
    assert cold["result"]["diagnostics"], "the file is meant to have findings"
    # edits after a warm open reparse the same unit, and agree with a fresh ordinary parse
    edited = text.replace("total += p.id;", "total += p.id * 2;")
    again = analyzer.analyze(path, edited, args, OPTIONS)
    assert again["reparsed"] is True
    fresh, _ = open_file(path, edited, args, use_pch=False)
    assert comparable(again) == comparable(fresh)
    # an edit of the include block: parsed afresh, without the stored headers
    grown = text.replace("#include <atomic>\n", "#include <atomic>\n#include <map>\n")
    changed = analyzer.analyze(path, grown, args, OPTIONS)
    assert changed["reparsed"] is False and changed["pch"] is False
    assert comparable(changed) == comparable(open_file(path, grown, args, use_pch=False)[0])


def test_quick_answers_work_on_a_unit_loaded_with_stored_headers(cache, project):
    path, text = str(project), project.read_text()
    args = default_flags(path)
    open_file(path, text, args)
    base, analyzer = open_file(path, text, args)
    assert base["pch"] is True
    edited = text.replace("total += p.id;", "total += p.id + 1;")
    quick = analyzer.analyze_fast(path, edited, args, OPTIONS, text, base["outline"])
    assert "declined" not in quick, quick
    assert quick["unit"] == "truncated unit"
    whole, _ = open_file(path, edited, args, use_pch=False)
    lines = range(quick["region"]["start"], quick["region"]["new_end"])
    offsets = [len("\n".join(edited.split("\n")[:d["line"] - 1])) + 1 for d in whole["result"]["diagnostics"]]
    inside = [d for d, at in zip(whole["result"]["diagnostics"], offsets) if at in lines]
    assert sorted(json.dumps(d, sort_keys=True) for d in quick["diagnostics"]) == \
        sorted(json.dumps(d, sort_keys=True) for d in inside)


def test_a_touched_project_header_makes_the_entry_stale(cache, project):
    path, text = str(project), project.read_text()
    args = default_flags(path)
    cold, _ = open_file(path, text, args)
    assert len(stored(cache)) == 1
    header = project.parent / "packet.h"
    st = header.stat()
    os.utime(header, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    warm, _ = open_file(path, text, args)  # the stale entry is deleted, the file parsed as without one
    assert warm["pch"] is False
    assert comparable(warm) == comparable(cold)
    assert len(stored(cache)) == 1  # and built again after the reply
    assert open_file(path, text, args)[0]["pch"] is True


def test_clangs_own_check_of_a_changed_header_falls_back_and_deletes(cache, project, monkeypatch, caplog):
    """Were the manifest's check to miss a change, clang's own (of the project's headers) catches it."""
    path, text = str(project), project.read_text()
    args = default_flags(path)
    open_file(path, text, args)
    (manifest,) = cache.glob("*.json")
    header = project.parent / "packet.h"
    header.write_text(PROJECT_HEADER.replace("bool seen;", "bool seen;\n  bool kept;"))
    monkeypatch.setattr(pch, "stale_input", lambda inputs: None)
    caplog.set_level("INFO", logger="hotlint.lsp.worker")
    warm, _ = open_file(path, text, args)
    assert warm["pch"] is False
    assert ": deleted: " in caplog.text  # clang refused it (an AST read error), so it went
    monkeypatch.undo()
    expected, _ = open_file(path, text, args, use_pch=False)
    assert comparable(warm) == comparable(expected)
    # the entry was deleted and built again from the header as it is now
    inputs = {p: size for p, size, _ in json.loads(manifest.read_text())["inputs"]}
    assert inputs[str(header)] == header.stat().st_size


def test_a_damaged_entry_is_deleted_not_loaded(cache, project):
    path, text = str(project), project.read_text()
    args = default_flags(path)
    cold, _ = open_file(path, text, args, use_pch=True)
    (entry,) = cache.glob("*.pch")
    with open(entry, "r+b") as fh:
        fh.seek(4096)
        fh.write(b"\0" * 64)
    warm, _ = open_file(path, text, args, use_pch=False)  # only looked up, not rebuilt
    assert warm["pch"] is False
    analyzer = Analyzer(prefix_units=False)
    reply = analyzer.analyze(path, text, args, OPTIONS)
    assert reply["pch"] is False and not entry.exists()
    assert comparable(reply) == comparable(cold)


def test_pch_off_builds_and_loads_nothing(cache, project, monkeypatch):
    monkeypatch.setenv("HOTLINT_PCH", "0")
    path, text = str(project), project.read_text()
    args = default_flags(path)
    analyzer = Analyzer(prefix_units=False)
    assert analyzer.use_pch is False
    analyzer.analyze(path, text, args, OPTIONS)
    analyzer.after_reply()
    analyzer.settle()
    assert stored(cache) == []


def test_a_header_that_does_not_parse_gets_no_entry(cache, tmp_path):
    path = tmp_path / "broken.cpp"
    path.write_text('#include <vector>\n#include "missing.h"\nint x;\n')
    open_file(str(path), path.read_text(), default_flags(str(path)))
    assert stored(cache) == []


def test_the_folder_is_the_users_and_a_relative_xdg_path_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.chdir(tmp_path)
    assert pch.folder() == str(tmp_path / "home" / ".cache" / "hotlint" / "pch")
    assert not (tmp_path / "relative").exists()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "hotlint").mkdir(parents=True)
    (tmp_path / "xdg" / "hotlint" / "pch").symlink_to(tmp_path)  # not a folder of its own
    assert pch.folder() is None


def test_prune_keeps_the_most_recently_used(tmp_path):
    for i in range(pch.KEEP + 3):
        for suffix in (".pch", ".json"):
            p = tmp_path / f"{i:064x}{suffix}"
            p.write_text("x")
            os.utime(p, (1000 + i, 1000 + i))
    left = [tmp_path / f"{0:064x}.pch.1.ab.tmp.temp-stream-1", tmp_path / f"{1:064x}.lock"]
    for p in left:  # what killed builds leave
        p.write_text("x")
        os.utime(p, (1000, 1000))
    fresh = tmp_path / f"{2:064x}.pch.2.cd.tmp"  # a build under way
    fresh.write_text("x")
    pch.prune(str(tmp_path))
    assert fresh.exists() and not any(p.exists() for p in left)
    kept = sorted(int(p.stem, 16) for p in tmp_path.glob("*.json"))
    assert kept == list(range(3, pch.KEEP + 3))
    assert sorted(int(p.stem, 16) for p in tmp_path.glob("*.pch")) == kept


def fixture_cases():
    for path in sorted(FIXTURES.glob("*/*")):
        if path.suffix == ".cpp" and pch.include_block(path.read_text()):
            yield pytest.param(path, id=f"{path.parent.name}/{path.name}")


@pytest.mark.parametrize("path", list(fixture_cases()))
def test_fixtures_give_the_same_result_with_stored_headers(cache, path: Path):
    text = path.read_text()
    args = default_flags(str(path))
    cold, _ = open_file(str(path), text, args)
    warm, _ = open_file(str(path), text, args)
    assert warm["pch"] is True
    assert comparable(warm) == comparable(cold)


def test_the_benchmark_file_gives_the_same_result_with_stored_headers(cache, tmp_path):
    spec = importlib.util.spec_from_file_location("lsp_latency", ROOT / "benchmarks" / "lsp_latency.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "service.cpp"
    text = bench.realistic_source()
    path.write_text(text)
    args = default_flags(str(path)) + ["-std=c++20"]
    cold, _ = open_file(str(path), text, args)
    warm, _ = open_file(str(path), text, args)
    assert warm["pch"] is True
    assert cold["result"]["diagnostics"]
    assert comparable(warm) == comparable(cold)


def test_a_lock_left_by_a_dead_build_is_taken_over(cache, project):
    path, text = str(project), project.read_text()
    args = default_flags(path)
    block = pch.include_block(text)
    name = pch.key(block, pch.header_path(path), args)
    cache.mkdir(parents=True)
    lock = cache / (name + ".lock")
    lock.write_text(str(os.getpid()))  # a live holder: no second build
    assert pch.build(name, path, block, args, []) == "being built by another process"
    lock.write_text("999999999")  # no such process
    assert pch.build(name, path, block, args, []) is None
    assert pch.lookup(name) is not None and not lock.exists()
