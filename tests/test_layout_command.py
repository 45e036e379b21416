"""`hotlint layout NAME [FILE]`: a record drawn against cache-line boundaries, as pahole shows it,
on real C++ through the command line a user runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import markers, write

CONN = """\
#include <atomic>
#include <vector>
namespace net {
struct Conn {
  bool open;
  double last_seen;
  std::atomic<long> bytes;
  char name[60];
  int fd;
};
}  // namespace net
long total(std::vector<net::Conn>& cs) {
  long s = 0;
  for (auto& c : cs) {  // @loop
    if (c.open) s += c.bytes.load();
  }
  return s;
}
"""


def hotlint(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hotlint", "layout", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def member_line(out: str, decl: str) -> str:
    (line,) = [ln for ln in out.splitlines() if ln.strip().startswith(decl)]
    return line


def test_offsets_holes_boundaries_atomics_and_the_fields_loops_use(tmp_path):
    path = write(tmp_path / "conn.cpp", CONN)
    loop = markers(path)["loop"]
    proc = hotlint("net::Conn", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("struct net::Conn {  // conn.cpp:4")
    assert re.search(r"bool open;\s+/\*\s+0\s+1 \*/", member_line(out, "bool open;"))
    assert "/* XXX 7 bytes hole, try to pack */" in out
    assert re.search(r"/\*\s+16\s+8 \*/\s+atomic; loop at line %d$" % loop, member_line(out, "std::atomic<long> bytes;"))
    assert member_line(out, "bool open;").endswith(f"loop at line {loop}")
    assert "loop" not in member_line(out, "double last_seen;")  # the loop never names it
    assert "spans cache lines 0–1" in member_line(out, "char name[60];")
    assert "/* --- cacheline 1 boundary (64 bytes), inside `name` --- */" in out
    lines = out.splitlines()
    assert lines.index("    /* --- cacheline 1 boundary (64 bytes), inside `name` --- */") < \
        lines.index(member_line(out, "int fd;"))
    assert "/* size: 88, cachelines: 2, members: 5, alignment: 8 */" in out
    assert "/* sum members: 81, holes: 1, sum holes: 7 */" in out


def test_the_same_rows_as_the_editor_hover(tmp_path):
    """The hover's table and the command's picture come from one list of rows."""
    from hotlint.layout_cli import find
    from hotlint.output.layout import layout_table

    path = write(tmp_path / "conn.cpp", CONN)
    (found,) = find("Conn", str(path), None, [])
    table = layout_table(found.layout, 64, found.touched)
    loop = markers(path)["loop"]
    assert f"| 16 | 8 | `bytes` | `std::atomic<long>` | atomic, loop at line {loop} |" in table
    assert "| 1 | 7 | *padding* |" in table and "| **64** |  | *cache line 1 begins* |" in table


def test_a_short_name_for_two_records_is_ambiguous_and_qualifying_picks_one(tmp_path):
    path = write(tmp_path / "two.cpp", """\
        namespace a { struct Rec { int x; char c; }; }
        namespace b { struct Rec { double y; }; }
        a::Rec ra; b::Rec rb;
    """)
    proc = hotlint("Rec", str(path), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "`Rec` names 2 different records: `a::Rec` (two.cpp:1); `b::Rec` (two.cpp:2); qualify it" in proc.stderr
    proc = hotlint("b::Rec", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("struct b::Rec {") and "double y;" in proc.stdout


def test_a_template_instantiation(tmp_path):
    path = write(tmp_path / "ring.cpp", """\
        #include <atomic>
        template <class T> struct Ring { std::atomic<unsigned> head; T items[20]; std::atomic<unsigned> tail; };
        Ring<double> g_ring;
        Ring<char> g_small;
    """)
    proc = hotlint("Ring<double>", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("struct Ring<double> {") and "Ring<char>" not in proc.stdout
    assert "double items[20];" in proc.stdout and "/* size: 176, cachelines: 3," in proc.stdout
    assert "/* XXX 4 bytes tail padding */" in proc.stdout
    both = hotlint("Ring", str(path), cwd=tmp_path)  # the template's name: every instantiation found
    assert both.returncode == 0 and "struct Ring<double> {" in both.stdout and "struct Ring<char> {" in both.stdout


def test_not_found_names_what_the_file_defines(tmp_path):
    path = write(tmp_path / "conn.cpp", CONN)
    proc = hotlint("Connection", str(path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "no record `Connection` in" in proc.stderr and "it defines `net::Conn`" in proc.stderr
    missing = hotlint("Conn", str(tmp_path / "nope.cpp"), cwd=tmp_path)
    assert missing.returncode == 2 and "nope.cpp: no such file" in missing.stderr


def test_without_a_file_the_compilation_database_is_searched(tmp_path):
    write(tmp_path / "include" / "rec.h", """\
        #pragma once
        #include <atomic>
        struct Stats {
          std::atomic<long> hits;
          std::atomic<long> misses;
        };
    """)
    write(tmp_path / "src" / "main.cpp", """\
        #include "rec.h"
        Stats g_stats;
        int main() { return 0; }
    """)
    write(tmp_path / "src" / "other.cpp", "struct Stat { int x; };\n")  # a similar name, not a match
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "compile_commands.json").write_text(json.dumps([
        {"directory": str(tmp_path / "build"), "file": str(tmp_path / "src" / name),
         "arguments": ["c++", "-std=c++17", f"-I{tmp_path / 'include'}", "-c", str(tmp_path / "src" / name)]}
        for name in ("main.cpp", "other.cpp")]))
    proc = hotlint("Stats", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("struct Stats {  // include/rec.h:3")
    assert "atomic" in member_line(proc.stdout, "std::atomic<long> misses;")
    gone = hotlint("Counters", cwd=tmp_path)
    assert gone.returncode == 2 and "no record `Counters` found in the 3 files of" in gone.stderr


def test_without_a_file_or_database_says_so(tmp_path):
    proc = hotlint("Stats", cwd=tmp_path)
    assert proc.returncode == 2 and "no FILE given and no compile_commands.json found" in proc.stderr


def test_shell_completion_offers_layout():
    for shell in ("bash", "zsh", "fish"):
        script = subprocess.run([sys.executable, "-m", "hotlint", "completion", shell], capture_output=True,
                                text=True, timeout=60).stdout
        assert "layout" in script and "--cache-line-size" in script, shell


def test_the_picture_draws_the_units_target_line_unless_one_is_given(tmp_path):
    path = write(tmp_path / "conn.cpp", CONN)
    default = hotlint("net::Conn", str(path), cwd=tmp_path)
    assert default.returncode == 0, default.stderr
    assert default.stdout.splitlines()[-1].startswith("// on x86-64, 64-byte cache lines (")
    assert "cacheline 1 boundary (64 bytes)" in default.stdout
    power = hotlint("net::Conn", str(path), "--extra-arg=-mcpu=power9", cwd=tmp_path)  # -mcpu names a 128-byte core
    assert power.returncode == 0, power.stderr
    assert "128-byte cache lines" in power.stdout.splitlines()[-1]
    assert "cacheline 1 boundary" not in power.stdout  # 88 bytes fit in one 128-byte line
    given = hotlint("net::Conn", str(path), "--cache-line-size", "32", cwd=tmp_path)
    assert "cacheline 2 boundary (64 bytes)" in given.stdout and "// on " not in given.stdout
