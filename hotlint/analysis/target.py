"""The unit's target hardware: which machine the findings assume, its cache-line size (and where
that number comes from) and what each atomic operation compiles to there.

The target is the unit's own: its triple (``--target=``; ``-arch`` becomes one in
``hotlint.flags``; none: the host's, as the compiler's default) and its CPU (``-mtune=``, else
``-mcpu=``, else ``-march=``). clang is asked (``hotlint.clang.probe``) for the triple it
normalises and for the macros it predefines for that target. Everything here is a function of
the unit's cleaned flags and the settings, so it is covered by the cache key.

The cache-line size, first that applies:

1. the `cache-line-size` setting (configuration or ``--cache-line-size``);
2. a CPU named by ``-mtune``/``-mcpu``/``-march`` whose line hotlint knows (``_CORE_LINES``);
3. 128 for Apple arm64 (every Apple silicon core; ``sysctl hw.cachelinesize`` reports 128);
4. ``__GCC_DESTRUCTIVE_SIZE``, which clang and GCC predefine per architecture and libstdc++ and
   libc++ define ``std::hardware_destructive_interference_size`` from (clang 22: 64 for x86 and
   32-bit Arm, 128 for POWER, 256 for AArch64 and s390x, 64 for RISC-V). It is one value for a whole
   architecture, whatever ``-mcpu`` says (AArch64's 256 covers A64FX's lines), which is why a
   known core or vendor comes first;
5. hotlint's default for the architecture (``_ARCH_LINES``), for a libclang older than 19, which
   predefines no such macro.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from .atomics import ADD, FENCE, LOAD, RMW, STORE

# Architecture families, from the triple's first component.
X86_64, X86, ARM64, ARM, POWER, S390X, RISCV, OTHER = ("x86-64", "x86", "arm64", "arm", "power", "s390x", "riscv",
                                                       "other")
_FAMILIES = ((re.compile(r"^(x86_64|amd64)"), X86_64), (re.compile(r"^i[3-7]86"), X86),
             (re.compile(r"^(aarch64|arm64)"), ARM64), (re.compile(r"^(arm|thumb)"), ARM),
             (re.compile(r"^(powerpc|ppc)"), POWER), (re.compile(r"^s390x"), S390X), (re.compile(r"^riscv"), RISCV))

# Lines by architecture when the compiler predefines no __GCC_DESTRUCTIVE_SIZE: the line of the
# cores the architecture's machines mostly run (x86: every Intel and AMD core since the Pentium 4;
# Neoverse, Cortex-A and RISC-V cores: 64; POWER4 to POWER10: 128; z/Architecture: 256).
_ARCH_LINES = {X86_64: 64, X86: 64, ARM64: 64, ARM: 64, POWER: 128, S390X: 256, RISCV: 64, OTHER: 64}

# Cores whose line hotlint knows, by the name -mcpu/-mtune/-march gives them (as clang and GCC spell
# them), with where the number comes from.
_CORE_LINES = (
    (re.compile(r"^apple-"), 128, "Apple cores have 128-byte lines, as sysctl hw.cachelinesize reports"),
    (re.compile(r"^a64fx$"), 256, "A64FX has 256-byte lines, by Fujitsu's A64FX microarchitecture manual"),
    (re.compile(r"^thunderx(t8[138])?$"), 128, "ThunderX has 128-byte lines, by Cavium's ThunderX manual"),
    (re.compile(r"^(neoverse-|cortex-a|cortex-x|ampere1)"), 64, "Arm's Neoverse and Cortex cores have 64-byte lines, "
                                                                 "by their technical reference manuals"),
    (re.compile(r"^(power|pwr)\d+$"), 128, "POWER cores have 128-byte lines, by IBM's POWER processor manuals"),
)
_APPLE_ARM64 = "Apple arm64 cores have 128-byte lines, as sysctl hw.cachelinesize reports"


@dataclass(frozen=True)
class Target:
    """The machine a unit's findings assume."""

    triple: str  # as clang normalised it; "" when clang could not say
    name: str  # as messages name it: "x86-64", or the triple as the flags wrote it ("arm64-apple-darwin")
    arch: str  # X86_64, X86, ARM64, ARM, POWER, S390X, RISCV or OTHER
    cpu: Optional[str]  # from -mtune / -mcpu / -march, when given
    line_size: int
    line_source: str  # where line_size comes from, as a note says it
    destructive_size: Optional[int] = None  # __GCC_DESTRUCTIVE_SIZE, when predefined
    lse: bool = False  # AArch64 LSE atomics (__ARM_FEATURE_ATOMICS): LDADDAL, SWPAL, CASAL
    rcpc: bool = False  # AArch64 RCpc loads (__ARM_FEATURE_RCPC): LDAPR for acquire

    @property
    def lines(self) -> str:
        """``on x86-64, 64-byte cache lines``: what a note says the finding assumes."""
        return f"on {self.name}, {self.line_size}-byte cache lines"

    @property
    def assumed(self) -> str:
        """The assumption with its source: ``on x86-64, 64-byte cache lines (predefined ...)``."""
        return f"{self.lines} ({self.line_source})"

    @property
    def assumption(self) -> str:
        """A note of its own: ``assumes 64-byte cache lines on x86-64 (predefined ...)``."""
        return f"assumes {self.line_size}-byte cache lines on {self.name} ({self.line_source})"


def target_flags(args: Sequence[str]) -> tuple[str, ...]:
    """Of a unit's cleaned flags, those that choose its target: the triple and the -m options."""
    return tuple(a for a in args if a.startswith(("--target=", "-target=", "-m")) and not a.startswith("-mllvm"))


def _last_value(args: Sequence[str], prefix: str) -> Optional[str]:
    values = [a[len(prefix):] for a in args if a.startswith(prefix) and len(a) > len(prefix)]
    return values[-1] if values else None


def family(triple: str) -> str:
    for pattern, name in _FAMILIES:
        if pattern.match(triple):
            return name
    return OTHER


def _display_name(triple: str, written: Optional[str], arch: str) -> str:
    if arch == X86_64:
        return X86_64
    name = written or triple
    name = re.sub(r"-unknown(?=-)", "", name)
    return re.sub(r"(?<=[a-z])\d+(\.\d+)*$", "", name) or "the target"  # macosx10.4.0 -> macosx


def target_of(args: Sequence[str], configured_line: Optional[int] = None) -> Target:
    """The target of a unit parsed with cleaned flags ``args``; ``configured_line``: the
    `cache-line-size` setting, None when not set."""
    from ..clang.probe import probe_target  # noqa: PLC0415 - the boundary to clang

    flags = target_flags(args)
    probed = probe_target(flags)
    written = _last_value(flags, "--target=") or _last_value(flags, "-target=")
    triple = probed.triple if probed is not None and probed.triple else (written or "")
    arch = family(triple)
    macros = probed.macros if probed is not None else {}
    cpu = _last_value(flags, "-mtune=") or _last_value(flags, "-mcpu=") or _last_value(flags, "-march=")
    destructive = macros.get("__GCC_DESTRUCTIVE_SIZE")
    name = _display_name(triple, written, arch)
    line, source = _line(configured_line, cpu, triple, arch, destructive)
    return Target(triple=triple, name=name, arch=arch, cpu=cpu, line_size=line, line_source=source,
                  destructive_size=destructive, lse=bool(macros.get("__ARM_FEATURE_ATOMICS")),
                  rcpc=bool(macros.get("__ARM_FEATURE_RCPC")))


def _line(configured: Optional[int], cpu: Optional[str], triple: str, arch: str,
          destructive: Optional[int]) -> tuple[int, str]:
    if configured:
        return configured, "the cache-line-size setting"
    if cpu:
        for pattern, size, why in _CORE_LINES:
            if pattern.match(cpu.lower()):
                return size, f"for {cpu}: {why}"
    if arch == ARM64 and "-apple-" in triple:
        return 128, _APPLE_ARM64
    if destructive and destructive >= 16 and not destructive & (destructive - 1):
        return destructive, "predefined __GCC_DESTRUCTIVE_SIZE, its std::hardware_destructive_interference_size"
    return _ARCH_LINES[arch], f"hotlint's default for {arch if arch != OTHER else 'an unknown architecture'}"


# ------------------------------------------------------------------ atomic operations

SEQ_CST = "seq_cst"
_ROLE_KIND = {LOAD: "load", STORE: "store", ADD: "rmw", RMW: "rmw", FENCE: "fence"}


def atomic_instructions(target: Target, role: str, order: str) -> Optional[str]:
    """What an atomic operation of ``role`` (``analysis.atomics`` LOAD, STORE, ADD, RMW or FENCE)
    with memory ``order`` ("relaxed", "acquire", "release", "acq_rel", "seq_cst"; "consume" is
    acquire) compiles to on ``target`` (the mappings of clang and GCC, as tabulated by Sewell et
    al., "C/C++11 mappings to processors"); None for an architecture hotlint has no model of."""
    kind = _ROLE_KIND[role]
    order = "acquire" if order == "consume" else order
    if target.arch in (X86_64, X86):
        if kind == "load":
            return "a plain `MOV`"
        if kind == "store":
            return "an `XCHG` (a full barrier)" if order == SEQ_CST else "a plain `MOV`"
        if kind == "rmw":
            return "a `LOCK`-prefixed instruction"
        return "an `MFENCE` (a full barrier)" if order == SEQ_CST else "no instruction"
    if target.arch == ARM64:
        if kind == "load":
            if order == "relaxed":
                return "a plain `LDR`"
            return "an `LDAPR`" if order == "acquire" and target.rcpc else "an `LDAR`"
        if kind == "store":
            return "a plain `STR`" if order == "relaxed" else "an `STLR`"
        if kind == "rmw":
            if target.lse:
                suffix = {"relaxed": "", "acquire": "A", "release": "L"}.get(order, "AL")
                return f"an LSE atomic (`LDADD{suffix}`, `SWP{suffix}`, `CAS{suffix}`)"
            load, store = {"relaxed": ("LDXR", "STXR"), "acquire": ("LDAXR", "STXR"),
                           "release": ("LDXR", "STLXR")}.get(order, ("LDAXR", "STLXR"))
            return f"an `{load}`/`{store}` loop"
        return "a `DMB ISHLD`" if order == "acquire" else "a `DMB ISH`"
    if target.arch == POWER:
        if kind == "load":
            return {"relaxed": "a plain `ld`", "acquire": "`ld` followed by `isync`"}.get(
                order, "`hwsync`, `ld` and `isync`")
        if kind == "store":
            return {"relaxed": "a plain `st`", "release": "`lwsync` and `st`"}.get(order, "`hwsync` and `st`")
        if kind == "rmw":
            return {"relaxed": "a `larx`/`stcx.` loop", "acquire": "a `larx`/`stcx.` loop and `isync`",
                    "release": "`lwsync` and a `larx`/`stcx.` loop",
                    "acq_rel": "`lwsync`, a `larx`/`stcx.` loop and `isync`"}.get(
                order, "`hwsync`, a `larx`/`stcx.` loop and `isync`")
        return "an `lwsync`" if order != SEQ_CST else "an `hwsync`"
    return None


def weaker_order_gains(target: Target, role: str, order: Optional[str]) -> Optional[bool]:
    """Whether ``order`` compiles to other (cheaper) instructions than seq_cst for ``role`` on
    ``target``; None when hotlint has no model of the target or no order is given."""
    if order is None:
        return None
    mine, seq_cst = atomic_instructions(target, role, order), atomic_instructions(target, role, SEQ_CST)
    if mine is None or seq_cst is None:
        return None
    return mine != seq_cst
