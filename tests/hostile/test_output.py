"""Output that cannot be turned against the reader: escape sequences in source, markup in
paths and flags, line breaks that would start GitHub workflow commands, file names that are
not UTF-8 — in every format, on stdout and stderr."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

ESC = "\x1b"
# a clipboard write (OSC 52), a screen clear, a title change and a right-to-left override
HOSTILE = f"{ESC}]52;c;cm0gLXJmIH4K{ESC}\\ {ESC}[2J {ESC}]0;owned\x07 \u202e"
WASTEFUL = ("struct Wasteful {{  // {}\n  char a;\n  double b;\n  char c;\n}};\nWasteful w[8];\n")


def run_bytes(*args: str, cwd, env=None):
    """The command line's raw output bytes (no decoding that could hide a stray byte)."""
    e = dict(os.environ, HOTLINT_CACHE_DIR=str(cwd / ".cache"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "hotlint", *args], cwd=cwd, env=e, capture_output=True, timeout=300)


OURS = re.compile(r"^::(error|warning|notice) file=[^:]*(,line=\d+,col=\d+(,endLine=\d+,endColumn=\d+)?)?,title=hotlint ")


def assert_inert(out: bytes) -> None:
    """No byte a terminal or a CI log acts on (ESC, BEL, C1, bidi overrides), and nothing GitHub
    Actions would read as a workflow command but hotlint's own annotations: ``::name ...::`` at the
    start of a line (after blanks) or ``##[name]`` anywhere."""
    text = out.decode("utf-8")  # decodes: nothing non-UTF-8 was printed raw
    assert ESC not in text and "\x07" not in text and "\u202e" not in text and "\x9b" not in text
    assert "##[" not in text
    for line in text.splitlines():
        if re.match(r"^\s*::", line):
            assert OURS.match(line), line


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_escape_sequences_in_source_reach_no_terminal(tmp_path, fmt):
    (tmp_path / "w.cpp").write_text(WASTEFUL.format(HOSTILE))
    proc = run_bytes("--min-severity", "info", "--no-cache", "--format", fmt, "w.cpp", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert_inert(proc.stdout)
    assert_inert(proc.stderr)
    if fmt == "text":
        assert b"\\x1b]52;c;" in proc.stdout  # shown, escaped, in the code frame
    if fmt in ("json", "sarif"):
        json.loads(proc.stdout)


def test_diff_and_show_fixes_escape_too(tmp_path):
    (tmp_path / "w.cpp").write_text(WASTEFUL.format(HOSTILE).replace("char a;", f"char a;  // {HOSTILE}"))
    for flag in ("--diff", "--show-fixes"):
        proc = run_bytes("--min-severity", "info", "--no-cache", "--unsafe-fixes", flag, "w.cpp", cwd=tmp_path)
        assert_inert(proc.stdout)
        assert b"double b;" in proc.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_markup_in_paths_and_flags_is_printed_as_written(tmp_path, fmt):
    """Square brackets read as rich markup raised MarkupError: no output at all, exit 1."""
    folder = tmp_path / "[bold red]src["  # with the file's name: `[bold red]src[/x].cpp`, a closing tag
    folder.mkdir()
    (folder / "x].cpp").write_text(WASTEFUL.format("plain"))
    (tmp_path / "compile_commands.json").write_text(json.dumps([{
        "directory": str(tmp_path), "file": str(folder / "x].cpp"),
        "arguments": ["c++", "-DNAME=[/red]", "-fplugin=[link=file:///etc/passwd]x[/link]", "-c", "x.cpp"]}]))
    proc = run_bytes("--min-severity", "info", "--no-cache", "-v", "--format", fmt, ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert b"MarkupError" not in proc.stderr and b"Traceback" not in proc.stderr
    assert "[bold red]src[/x].cpp".encode() in proc.stdout or b"%5Bbold%20red%5Dsrc%5B/x%5D.cpp" in proc.stdout
    assert b"-DNAME=[/red]" in proc.stderr  # -v shows the flag as it is
    assert b"[link=file:///etc/passwd]" in proc.stderr
    if fmt in ("json", "sarif"):
        json.loads(proc.stdout)


def test_a_line_break_in_a_flag_starts_no_workflow_command(tmp_path):
    (tmp_path / "w.cpp").write_text(WASTEFUL.format("plain"))
    (tmp_path / "compile_commands.json").write_text(json.dumps([{
        "directory": str(tmp_path), "file": "w.cpp",
        "arguments": ["c++", "-DX=1\n::error file=w.cpp,line=1::forged annotation\n",
                      "-fplugin=a\n::warning::also forged", "-c", "w.cpp"]}]))
    for fmt in ("github", "text"):
        proc = run_bytes("--min-severity", "info", "--no-cache", "-v", "--format", fmt, "w.cpp", cwd=tmp_path)
        assert proc.returncode == 1
        for stream in (proc.stdout, proc.stderr):
            assert_inert(stream)
            assert b"forged" not in b"\n".join(line for line in stream.splitlines() if line.startswith(b"::"))


def test_a_file_name_that_is_not_utf8(tmp_path):
    name = b"caf\xe9.cpp"  # Latin-1, as an old checkout may have it
    with open(os.path.join(os.fsencode(tmp_path), name), "w") as fh:
        fh.write(WASTEFUL.format("plain"))
    for fmt in ("text", "json", "sarif", "github"):
        proc = run_bytes("--min-severity", "info", "--no-cache", "--format", fmt, ".", cwd=tmp_path)
        assert proc.returncode == 1, (fmt, proc.stderr)
        assert_inert(proc.stdout)
        if fmt == "sarif":
            sarif = json.loads(proc.stdout)
            uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert uri == "caf%E9.cpp"
        if fmt == "text":
            assert b"caf\\xe9.cpp:2:" in proc.stdout or b"caf\\xe9.cpp:1:" in proc.stdout


def test_configuration_errors_are_escaped(tmp_path):
    (tmp_path / "w.cpp").write_text(WASTEFUL.format("plain"))
    (tmp_path / ".hotlint.toml").write_text(f'"key{ESC}]0;owned\\u0007" = 1\n'.replace("\\u0007", "\\u0007"))
    proc = run_bytes("--no-cache", "w.cpp", cwd=tmp_path)
    assert proc.returncode == 3
    assert_inert(proc.stderr)
    assert b"unknown key" in proc.stderr or b"invalid TOML" in proc.stderr


def test_rule_listing_is_escaped(tmp_path):
    proc = run_cli("rules", cwd=ROOT)
    assert proc.returncode == 0 and "padding-waste" in proc.stdout


WORKFLOW = "##[stop-commands]token"


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif"])
def test_workflow_commands_in_source_names_and_messages_are_neutralized(tmp_path, fmt):
    """GitHub reads `##[cmd]` anywhere in a line and `::cmd::` after blanks (red team): in a comment
    in the code frame, a #error, a file name, a configuration error, a diff's context line."""
    (tmp_path / "w.cpp").write_text(WASTEFUL.format(WORKFLOW))
    (tmp_path / "e.cpp").write_text(f'#error "{WORKFLOW} and ::warning::forged"\n')
    (tmp_path / f"{WORKFLOW}.cpp").write_text("")
    proc = run_bytes("--no-cache", "--format", fmt, ".", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert_inert(proc.stdout)
    assert_inert(proc.stderr)
    if fmt in ("json", "sarif"):
        assert WORKFLOW in proc.stdout.decode("unicode_escape")  # the same data, escaped as JSON


def test_workflow_commands_in_configuration_errors_and_diffs(tmp_path):
    (tmp_path / "w.cpp").write_text(WASTEFUL.format("plain").replace("  char c;", "  char c;\n  ::error::x = 1;"))
    proc = run_bytes("--no-cache", "--unsafe-fixes", "--diff", "w.cpp", cwd=tmp_path)
    assert_inert(proc.stdout)
    (tmp_path / ".hotlint.toml").write_text(f'"{WORKFLOW}" = 1\n')
    for argv in (["--no-cache", "w.cpp"], ["rules"]):
        proc = run_bytes(*argv, cwd=tmp_path)
        assert proc.returncode == 3
        assert_inert(proc.stderr)


def test_what_libclang_prints_never_reaches_the_terminal(tmp_path):
    """libclang writes crash reports and `#pragma clang __debug` dumps itself, raw: a macro body
    with escape sequences, a file name with a line break and a workflow command."""
    (tmp_path / "m.cpp").write_text(f'#define EVIL "{HOSTILE} ##[error]x"\n#pragma clang __debug macro EVIL\nint y;\n')
    (tmp_path / "crash\n::stop-commands::tok\n.cpp").write_text("#pragma clang __debug parser_crash\n")
    (tmp_path / "w.cpp").write_text(WASTEFUL.format("plain"))
    for env in ({}, {"LIBCLANG_DISABLE_CRASH_RECOVERY": "1"}):
        proc = run_bytes("--min-severity", "info", "--no-cache", "--format", "github", ".", cwd=tmp_path, env=env)
        assert proc.returncode == 2
        assert_inert(proc.stdout)
        assert_inert(proc.stderr)
        assert b"::notice file=w.cpp" in proc.stdout
