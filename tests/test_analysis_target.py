"""analysis.target: the unit's target, its cache-line size with where it comes from, and what
atomic operations compile to there. The target comes from clang itself (a parse with the
unit's target flags), so every case here asks the real libclang."""

from __future__ import annotations

import pytest

from hotlint.analysis.atomics import ADD, FENCE, LOAD, STORE
from hotlint.analysis.target import ARM64, POWER, X86, X86_64, atomic_instructions, target_flags, target_of, \
    weaker_order_gains
from hotlint.flags import clean


def test_no_target_flag_is_the_host_as_the_compiler_defaults():
    t = target_of(["-x", "c++", "-std=c++20"])
    assert t.triple  # clang's own normalised triple, never empty when clang parses
    if t.arch == X86_64:  # this machine's case; another host gets its own
        assert (t.name, t.line_size) == ("x86-64", 64)
        assert t.destructive_size == 64 and "__GCC_DESTRUCTIVE_SIZE" in t.line_source
        assert t.lines == "on x86-64, 64-byte cache lines"


@pytest.mark.parametrize("flags, name, arch, line, source", [
    (["--target=aarch64-apple-darwin"], "aarch64-apple-darwin", ARM64, 128, "Apple arm64 cores"),
    (["--target=arm64-apple-macos14"], "arm64-apple-macos", ARM64, 128, "Apple arm64 cores"),
    (["--target=arm64-apple-ios"], "arm64-apple-ios", ARM64, 128, "Apple arm64 cores"),
    # the compiler's std::hardware_destructive_interference_size for every AArch64 target
    (["--target=aarch64-linux-gnu"], "aarch64-linux-gnu", ARM64, 256, "__GCC_DESTRUCTIVE_SIZE"),
    # a core named by -mcpu is more specific than the architecture's one value
    (["--target=aarch64-linux-gnu", "-mcpu=neoverse-n1"], "aarch64-linux-gnu", ARM64, 64, "for neoverse-n1"),
    (["--target=aarch64-linux-gnu", "-mcpu=apple-m1"], "aarch64-linux-gnu", ARM64, 128, "for apple-m1"),
    (["--target=aarch64-linux-gnu", "-mcpu=a64fx"], "aarch64-linux-gnu", ARM64, 256, "for a64fx"),
    # -mtune says which machine the code is tuned to: it wins over -mcpu and -march
    (["--target=aarch64-linux-gnu", "-mcpu=apple-m1", "-mtune=neoverse-v2"], "aarch64-linux-gnu", ARM64, 64,
     "for neoverse-v2"),
    (["--target=powerpc64le-linux-gnu"], "powerpc64le-linux-gnu", POWER, 128, "__GCC_DESTRUCTIVE_SIZE"),
    (["--target=x86_64-apple-darwin"], "x86-64", X86_64, 64, "__GCC_DESTRUCTIVE_SIZE"),
    (["-m32"], "i386-linux-gnu", X86, 64, "__GCC_DESTRUCTIVE_SIZE"),
])
def test_line_size_by_target(flags, name, arch, line, source):
    t = target_of(["-x", "c++", *flags])
    assert (t.name, t.arch, t.line_size) == (name, arch, line), t
    assert source in t.line_source
    assert t.assumed.startswith(f"on {name}, {line}-byte cache lines (")


def test_a_configured_line_size_wins_over_every_target():
    t = target_of(["--target=aarch64-apple-darwin", "-mcpu=apple-m2"], configured_line=32)
    assert (t.line_size, t.line_source) == (32, "the cache-line-size setting")
    assert t.name == "aarch64-apple-darwin"  # the instructions still follow the target


def test_apple_arch_flag_is_the_apple_target():
    """`-arch arm64` (Apple's driver) becomes a target clang honours on any host."""
    args = clean(["clang++", "-arch", "arm64", "-O2", "-c", "x.cc"], ".", compiler_first=True).args
    assert "--target=arm64-apple-darwin" in args and "-arch" not in args
    t = target_of(args)
    assert (t.name, t.line_size) == ("arm64-apple-darwin", 128)
    # a command that names its target keeps it; a second -arch (universal build) is dropped
    assert clean(["--target=aarch64-linux-gnu", "-arch", "arm64"], ".").args == ["--target=aarch64-linux-gnu"]
    both = clean(["-arch", "arm64", "-arch", "x86_64"], ".")
    assert both.args == ["--target=arm64-apple-darwin"] and both.dropped == ["-arch", "x86_64"]
    # a value that is not an architecture name is not taken as one
    assert clean(["-arch", "-O2"], ".").args == ["-O2"]


def test_target_flags_keep_only_what_chooses_the_target():
    args = ["-x", "c++", "-I/inc", "--target=aarch64-linux-gnu", "-march=armv8.3-a", "-DX=1", "-O2", "-mllvm"]
    assert target_flags(args) == ("--target=aarch64-linux-gnu", "-march=armv8.3-a")


def test_atomic_features_come_from_the_target():
    apple = target_of(["--target=aarch64-apple-darwin"])  # apple-m1 by default: LSE and RCpc
    assert apple.lse and apple.rcpc
    generic = target_of(["--target=aarch64-linux-gnu"])  # armv8.0: neither
    assert not generic.lse and not generic.rcpc
    v83 = target_of(["--target=aarch64-linux-gnu", "-march=armv8.3-a"])
    assert v83.lse and v83.rcpc


def test_instructions_and_gains_on_x86_64():
    t = target_of(["--target=x86_64-linux-gnu"])
    assert atomic_instructions(t, LOAD, "seq_cst") == atomic_instructions(t, LOAD, "relaxed") == "a plain `MOV`"
    assert "XCHG" in atomic_instructions(t, STORE, "seq_cst") and "MOV" in atomic_instructions(t, STORE, "release")
    # only stores gain on x86-64: loads are MOVs and RMWs LOCK-prefixed under every order
    assert weaker_order_gains(t, STORE, "release") is True
    assert weaker_order_gains(t, LOAD, "acquire") is False and weaker_order_gains(t, LOAD, "relaxed") is False
    assert weaker_order_gains(t, ADD, "relaxed") is False
    assert atomic_instructions(t, FENCE, "acquire") == "no instruction"


def test_instructions_and_gains_on_arm64():
    apple = target_of(["--target=aarch64-apple-darwin"])
    assert atomic_instructions(apple, LOAD, "seq_cst") == "an `LDAR`"
    assert atomic_instructions(apple, LOAD, "relaxed") == "a plain `LDR`"
    assert atomic_instructions(apple, LOAD, "acquire") == "an `LDAPR`"  # RCpc
    assert atomic_instructions(apple, STORE, "release") == atomic_instructions(apple, STORE, "seq_cst") == "an `STLR`"
    assert "LDADDAL" in atomic_instructions(apple, ADD, "seq_cst")
    assert "LDADDAL" in atomic_instructions(apple, ADD, "acq_rel")
    assert "`LDADD`" in atomic_instructions(apple, ADD, "relaxed")
    assert weaker_order_gains(apple, LOAD, "relaxed") and weaker_order_gains(apple, LOAD, "acquire")
    assert weaker_order_gains(apple, ADD, "relaxed") and not weaker_order_gains(apple, ADD, "acq_rel")
    assert not weaker_order_gains(apple, STORE, "release") and weaker_order_gains(apple, STORE, "relaxed")
    generic = target_of(["--target=aarch64-linux-gnu"])
    assert atomic_instructions(generic, LOAD, "acquire") == "an `LDAR`"  # no RCpc: acquire is seq_cst's LDAR
    assert not weaker_order_gains(generic, LOAD, "acquire")
    assert atomic_instructions(generic, ADD, "seq_cst") == "an `LDAXR`/`STLXR` loop"  # no LSE


def test_unknown_architecture_has_no_instruction_model():
    t = target_of(["--target=riscv64-linux-gnu"])
    assert t.line_size == 64
    assert atomic_instructions(t, LOAD, "seq_cst") is None and weaker_order_gains(t, LOAD, "relaxed") is None
