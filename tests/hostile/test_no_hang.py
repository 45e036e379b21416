"""No hang, no blow-up, no traceback: FIFOs and devices where files are expected, sizes
without limit, numbers that are not numbers, nesting without end, and inputs that made
hotlint's own work grow out of proportion.

Each subprocess runs under a bound that only fails the test (a hang would take it)."""

from __future__ import annotations

import json
import os
import time

import pytest

from conftest import run_cli, run_json

BOUND = 120  # seconds: a hang fails the test long before it would end
WASTEFUL = "struct Wasteful { char a; double b; char c; };\nWasteful w[8];\n"


def assert_clean_exit(proc, code: int) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout


@pytest.fixture()
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_non_regular_files_in_the_tree_are_refused_at_once(tmp_path, fifo):
    os.rename(fifo, tmp_path / "fifo.cpp")
    (tmp_path / "zero.cpp").symlink_to("/dev/zero")
    (tmp_path / "stdin.h").symlink_to("/dev/stdin")
    (tmp_path / "ok.cpp").write_text(WASTEFUL)
    proc, data = run_json("--min-severity", "info", "--no-cache", ".", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 2)
    why = {e["path"]: (e["kind"], e["message"]) for e in data["errors"]}
    assert why["fifo.cpp"] == ("not-regular", "is a FIFO (named pipe), not a regular file; not read")
    assert why["zero.cpp"] == ("not-regular", "is a character device, not a regular file; not read")
    assert why["stdin.h"][0] == "not-regular"  # whatever the standard input is: a pipe, a terminal
    assert len(why) == 3
    assert [d["path"] for d in data["diagnostics"]] == ["ok.cpp"]


def test_a_source_over_the_size_limit_is_refused(tmp_path):
    from hotlint.safeio import SOURCE_LIMIT

    (tmp_path / "huge.cpp").write_bytes(b"// padding\n" * (SOURCE_LIMIT // 11 + 1))
    (tmp_path / "ok.cpp").write_text(WASTEFUL)
    proc, data = run_json("--no-cache", ".", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 2)
    [error] = data["errors"]
    assert error["path"] == "huge.cpp" and error["kind"] == "too-large"
    assert "over the 16.0 MiB limit" in error["message"]


def test_a_database_or_response_file_that_is_a_fifo_or_device(tmp_path, fifo):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    (tmp_path / "compile_commands.json").write_text(json.dumps([
        {"directory": str(tmp_path), "file": "u.cpp", "arguments": ["c++", f"@{fifo}", "@/dev/zero", "-DX", "-c", "u.cpp"]}]))
    proc, data = run_json("--min-severity", "info", "--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)
    assert "the response file is a FIFO (named pipe)" in proc.stderr
    assert "the response file is a character device" in proc.stderr
    for database in (str(fifo), "/dev/zero"):
        (tmp_path / ".hotlint.toml").write_text(f"compile-commands = {json.dumps(database)}\n")
        proc, data = run_json("--min-severity", "info", "--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
        assert_clean_exit(proc, 1)
        assert "not a regular file; not read" in proc.stderr and "using default flags" in proc.stderr
        proc = run_cli("--min-severity", "info", "--no-cache", "-p", database, "u.cpp", cwd=tmp_path, timeout=BOUND)
        assert_clean_exit(proc, 1)


def test_configuration_files_that_are_fifos_or_devices(tmp_path, fifo):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    for config in (str(fifo), "/dev/zero"):
        proc = run_cli("--min-severity", "info", "--no-cache", "--config", config, "u.cpp", cwd=tmp_path, timeout=BOUND)
        assert_clean_exit(proc, 3)
        assert "configuration file not found" in proc.stderr
    os.rename(fifo, tmp_path / ".hotlint.toml")  # found by the upward search: skipped, not read
    proc = run_cli("--min-severity", "info", "--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)


def test_a_cache_entry_that_is_a_fifo(tmp_path):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    env = {"HOTLINT_CACHE_DIR": str(tmp_path / "cache")}
    run_cli("--min-severity", "info", "u.cpp", cwd=tmp_path, env=env, timeout=BOUND)
    [entry] = (tmp_path / "cache").rglob("*.json")
    entry.unlink()
    os.mkfifo(entry)
    proc = run_cli("--min-severity", "info", "u.cpp", cwd=tmp_path, env=env, timeout=BOUND)
    assert_clean_exit(proc, 1)
    assert "from cache" not in proc.stdout


def test_pull_diagnostics_for_a_fifo_does_not_stop_the_server(tmp_path, fifo):
    from lspwire import Wire

    (tmp_path / "ok.cpp").write_text(WASTEFUL)
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path)
        reply = wire.response(wire.request("textDocument/diagnostic",
                                           {"textDocument": {"uri": fifo.as_uri()}}), timeout=BOUND)
        [item] = reply["result"]["items"]
        assert "FIFO" in item["message"]
        uri = wire.open(tmp_path / "ok.cpp")
        assert [d["code"] for d in wire.diagnostics(uri, timeout=BOUND)] == ["padding-waste"]
    finally:
        wire.close()


@pytest.mark.parametrize("value, message", [
    ("nan", "`timeout` must be a positive number of seconds, got nan"),
    ("inf", "`timeout` must be a positive number of seconds, got inf"),
    ("-inf", "`timeout` must be a positive number of seconds, got -inf"),
    ("0", "`timeout` must be a positive number of seconds, got 0"),
])
def test_timeouts_that_are_not_numbers_of_seconds(tmp_path, value, message):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    (tmp_path / ".hotlint.toml").write_text(f"timeout = {value}\n")
    proc = run_cli("--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 3)
    assert message in proc.stderr
    for flag in ("--timeout", "--max-timeout"):
        proc = run_cli("--no-cache", flag, value, "u.cpp", cwd=tmp_path, timeout=BOUND)
        assert_clean_exit(proc, 3)


def test_a_configuration_nested_without_end(tmp_path):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    (tmp_path / ".hotlint.toml").write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    proc = run_cli("--min-severity", "info", "--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 3)
    assert "nested too deeply" in proc.stderr
    (tmp_path / ".hotlint.toml").unlink()
    (tmp_path / "compile_commands.json").write_text("[" * 100_000 + "]" * 100_000)
    proc = run_cli("--min-severity", "info", "--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)
    assert "not valid JSON: nested too deeply" in proc.stderr


def test_the_command_line_caps_a_checkouts_time_limit(tmp_path):
    (tmp_path / ".hotlint.toml").write_text("timeout = 100000\n")
    (tmp_path / "slow.cpp").write_text(
        "constexpr long spin() { long s = 0; for (long i = 0; i < 4000000000; ++i) s += i % 7; return s; }\n"
        "constexpr long value = spin();\n")
    started = time.monotonic()
    proc, data = run_json("--no-cache", "--max-timeout", "3", "--extra-arg=-fconstexpr-steps=2147483647",
                          "slow.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 2)
    assert data["errors"][0]["kind"] == "timeout" and "3 s limit" in data["errors"][0]["message"]
    assert "`timeout = 100000` capped at 3 s (--max-timeout)" in proc.stderr
    assert time.monotonic() - started < BOUND


def test_a_worker_past_its_memory_limit_is_reported_and_the_run_goes_on(tmp_path):
    """A unit that needs more memory than the limit ends its worker, reported against it."""
    body = "\n".join(f"struct S{i} {{ char a; double b; int c[{i % 7 + 1}]; }};" for i in range(40_000))
    (tmp_path / "big.cpp").write_text("#include <vector>\n#include <map>\n#include <string>\n" + body)
    (tmp_path / "ok.c").write_text("struct W { char a; double b; char c; };\nstruct W w[8];\n")
    proc, data = run_json("--min-severity", "info", "--no-cache", "-j", "1", "--max-memory", "300", "--select", "padding-waste",
                          ".", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 2)
    [error] = data["errors"]
    assert error["path"] == "big.cpp" and error["kind"] in ("out-of-memory", "crash"), error
    assert "300 MiB" in error["message"], error
    assert [d["path"] for d in data["diagnostics"]] == ["ok.c"]


def test_naming_ten_thousand_excluded_files_is_not_quadratic(tmp_path):
    """Every file named on the command line and matched by `exclude` (so still linted, being
    named): the check is a set lookup. Quadratic, this took over two minutes."""
    gen = tmp_path / "gen"
    gen.mkdir()
    names = []
    for i in range(10_000):
        (gen / f"f{i}.cpp").write_text("")
        names.append(f"gen/f{i}.cpp")
    (tmp_path / ".hotlint.toml").write_text('exclude = ["gen"]\n')
    proc = run_cli("--no-cache", "-q", "--format", "json", *names, cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 0)


def test_header_lookup_reads_each_unit_once(tmp_path, monkeypatch):
    """200 headers looked up in a database of 3,000 units: each unit is scanned for its
    includes once in all, not once per header."""
    import hotlint.compdb as compdb

    src = tmp_path / "src"
    src.mkdir()
    entries = []
    for i in range(3_000):
        (src / f"u{i}.cpp").write_text(f'#include "h{i % 200}.h"\n')
        entries.append({"directory": str(tmp_path), "file": f"src/u{i}.cpp", "command": f"c++ -DU{i} -c src/u{i}.cpp"})
    (tmp_path / "compile_commands.json").write_text(json.dumps(entries))
    calls = []
    original = compdb._included_names
    monkeypatch.setattr(compdb, "_included_names", lambda p: calls.append(p) or original(p))
    db = compdb.CompilationDatabase(str(tmp_path / "compile_commands.json"))
    for h in range(200):
        cmd = db.for_header(str(tmp_path / "include" / f"h{h}.h"))
        first = min(f"u{i}.cpp" for i in range(h, 3_000, 200))  # the first includer, by name
        assert cmd is not None and cmd.file == str(src / first)
    assert len(calls) == 3_000 and len(set(calls)) == 3_000


def test_exponentially_growing_type_names_stay_bounded(tmp_path):
    """651 bytes whose type names double at each line: what hotlint prints and sends stays small."""
    lines = ["#include <atomic>", "template <class A, class B> struct P { A a; B b; };", "using T0 = int;"]
    lines += [f"using T{i} = P<T{i - 1}, T{i - 1}>;" for i in range(1, 21)]
    lines += ["struct S { std::atomic<int> x; char c; T20 big; std::atomic<int> y; };", "S s[4];"]
    (tmp_path / "exp.cpp").write_text("\n".join(lines) + "\n")
    proc = run_cli("--no-cache", "--format", "json", "exp.cpp", cwd=tmp_path, timeout=BOUND)
    assert "Traceback" not in proc.stderr
    assert len(proc.stdout) < 100_000


def test_the_language_servers_worker_has_a_memory_limit_too(tmp_path):
    from lspwire import Wire

    body = "\n".join(f"struct S{i} {{ char a; double b; int c[{i % 7 + 1}]; }};" for i in range(40_000))
    (tmp_path / "big.cpp").write_text("#include <vector>\n#include <map>\n#include <string>\n" + body)
    (tmp_path / "ok.cpp").write_text(WASTEFUL)
    wire = Wire(tmp_path, {"HOTLINT_MAX_MEMORY": "300"})
    try:
        wire.initialize(tmp_path, {"select": ["padding-waste"]})
        big = wire.open(tmp_path / "big.cpp")
        [problem] = wire.diagnostics(big, timeout=BOUND)
        assert problem["severity"] == 1 and problem["code"] in ("crash", "internal-error", "out-of-memory"), problem
        ok = wire.open(tmp_path / "ok.cpp")
        assert [d["code"] for d in wire.diagnostics(ok, timeout=BOUND)] == ["padding-waste"]
    finally:
        wire.close()


def test_response_files_that_fan_out(tmp_path):
    """Three response files each naming the next 200 times: 8 million reads, unbounded (red team)."""
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    (tmp_path / "c.rsp").write_text("-DLEAF=1\n")
    (tmp_path / "b.rsp").write_text(" ".join(["@c.rsp"] * 200))
    (tmp_path / "a.rsp").write_text(" ".join(["@b.rsp"] * 200))
    (tmp_path / "loop.rsp").write_text("@loop.rsp -DLOOPED=1")
    (tmp_path / "compile_commands.json").write_text(json.dumps([{
        "directory": str(tmp_path), "file": "u.cpp", "arguments": ["c++", *["@a.rsp"] * 200, "@loop.rsp", "-c", "u.cpp"]}]))
    proc = run_cli("--min-severity", "info", "--no-cache", "-v", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)
    flags_line = next(line for line in proc.stderr.splitlines() if line.startswith("hotlint: u.cpp: -x"))
    assert flags_line.count("-DLEAF=1") == 1 and flags_line.count("-DLOOPED=1") == 1


def test_a_database_of_millions_of_bad_entries(tmp_path):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    (tmp_path / "compile_commands.json").write_text("[" + ",".join(["0"] * 3_000_000) + "]")
    proc = run_cli("--min-severity", "info", "--no-cache", "u.cpp", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)
    assert "2,999,990 more entries skipped" in proc.stderr
    assert len(proc.stderr.splitlines()) < 40


def test_an_exclude_list_without_end(tmp_path):
    for i in range(40):
        (tmp_path / f"f{i}.cpp").write_text(WASTEFUL)
    (tmp_path / ".hotlint.toml").write_text("exclude = [" + ",".join(f'"d{i}/*"' for i in range(80_000)) + "]\n")
    proc = run_cli("--min-severity", "info", "--no-cache", ".", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 3)
    assert "`exclude` has 80,000 entries; at most 10,000 are accepted" in proc.stderr
    (tmp_path / ".hotlint.toml").write_text("exclude = [" + ",".join(f'"d{i}/*"' for i in range(10_000)) + "]\n")
    proc = run_cli("--min-severity", "info", "--no-cache", "--select", "padding-waste", ".", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)


def test_headers_no_entry_names_in_a_huge_database(tmp_path):
    """The nearest unit of a header is found by bisection: 80 lookups in 300,000 entries took over
    a minute by scanning (red team)."""
    from hotlint.compdb import CompilationDatabase

    entries = [{"directory": str(tmp_path), "file": f"src/m{i // 1000}/u{i}.cpp", "command": f"c++ -DU{i} -c x"}
               for i in range(300_000)]
    (tmp_path / "compile_commands.json").write_text(json.dumps(entries))
    started = time.monotonic()
    db = CompilationDatabase(str(tmp_path / "compile_commands.json"))
    for h in range(80):
        cmd = db.for_header(str(tmp_path / "src" / f"m{h}" / f"x{h}.h"))
        assert cmd.file.startswith(str(tmp_path / "src" / f"m{h}" / "u"))
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("table", ['tool = "hotlint"\n', 'tool = ["hotlint"]\n', "[tool]\nhotlint = 3\n"])
def test_tool_keys_that_are_not_tables(tmp_path, table):
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    (tmp_path / ".hotlint.toml").write_text(table)
    for argv in (["--no-cache", "u.cpp"], ["rules"]):
        proc = run_cli(*argv, cwd=tmp_path, timeout=BOUND)
        assert_clean_exit(proc, 3)


def test_a_database_entry_with_a_nul_in_its_name(tmp_path):
    (tmp_path / "h.h").write_text(WASTEFUL)
    (tmp_path / "compile_commands.json").write_text(json.dumps([
        {"directory": str(tmp_path), "file": "a\u0000b.cpp", "command": "c++ -c x"},
        {"directory": str(tmp_path), "file": "ok.cpp", "command": "c++ -DOK -c ok.cpp"}]))
    proc = run_cli("--min-severity", "info", "--no-cache", "h.h", cwd=tmp_path, timeout=BOUND)
    assert_clean_exit(proc, 1)
    assert "has a NUL character in `file` or `directory`; skipped" in proc.stderr


def test_a_tree_thousands_of_folders_deep(tmp_path):
    folders = [tmp_path]
    for _ in range(1_100):
        folders.append(folders[-1] / "d")
        folders[-1].mkdir()
    (folders[-1] / "x.cpp").write_text(WASTEFUL)
    try:
        proc = run_cli("--min-severity", "info", "--no-cache", "--format", "json", ".", cwd=tmp_path, timeout=BOUND)
        assert_clean_exit(proc, 1)
        assert len(json.loads(proc.stdout)["diagnostics"]) == 1
    finally:  # bottom up: pytest's own clean-up recurses and could not remove it
        (folders[-1] / "x.cpp").unlink()
        for folder in reversed(folders[1:]):
            folder.rmdir()


def test_editor_notifications_carry_no_links(tmp_path):
    """A configuration key written as a Markdown link would be a clickable link in VS Code's
    notification (red team)."""
    from lspwire import Wire

    (tmp_path / ".hotlint.toml").write_text('"[Update hotlint now](https://example.invalid/x)" = 1\n')
    (tmp_path / "u.cpp").write_text(WASTEFUL)
    wire = Wire(tmp_path)
    try:
        wire.initialize(tmp_path)
        wire.open(tmp_path / "u.cpp")
        shown = wire.wait_for(lambda m: m.get("method") == "window/showMessage" and "unknown key" in
                              m["params"]["message"], timeout=BOUND)["params"]["message"]
        assert "](" not in shown and "Update hotlint now" in shown
    finally:
        wire.close()
