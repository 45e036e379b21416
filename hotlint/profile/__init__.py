"""Profiles in: the measured cost of the functions, lines and call sites hotlint reports on.

``load_profile(path)`` reads a profile the user already has and tells its format from its
content: valgrind's callgrind output, ``perf script`` text, folded stacks or gprof's flat
profile. Every format becomes one ``Profile``: the total and its unit, per-function self and
inclusive costs with demangled names, and, where the format has them, per-line costs and
per-call-site costs. The ranking layer asks it for shares (``function_share``, ``line_share``,
``call_share``) and ``coverage`` tells it when a profile is about other code.

The parsers are hotlint's own. gprof2dot's (the maintained parsers for these formats) keep one
cost per function and per caller/callee pair: they drop the source lines and call-site lines a
loop's and an allocation's share need, key callgrind functions by name alone (two static
functions of one name become one), and use a file's first event whatever it is.
"""

from __future__ import annotations

from typing import Callable

from ..safeio import MiB, ReadRefused, human_size, read_regular
from . import callgrind, folded, gprof, perf
from .model import (ALLOCATORS, CallSite, Cost, Coverage, FunctionCost, Profile, ProfileError, common_tail,
                    same_file)

__all__ = [
    "ALLOCATORS", "CallSite", "Cost", "Coverage", "FORMATS", "FunctionCost", "PROFILE_LIMIT",
    "Profile", "ProfileError", "common_tail", "detect_format", "load_profile", "parse_profile", "same_file",
]

# perf script text of a long recording is the largest of these; folding it first
# (stackcollapse-perf.pl) makes it far smaller.
PROFILE_LIMIT = 512 * MiB

# Tried in this order: each recognizer looks at the first lines only.
FORMATS: dict[str, tuple[Callable[[list[str]], bool], Callable[[str, str], Profile]]] = {
    "callgrind": (callgrind.looks_like, callgrind.parse),
    "gprof": (gprof.looks_like, gprof.parse),
    "perf-script": (perf.looks_like, perf.parse),
    "folded": (folded.looks_like, folded.parse),
}
_HEAD_LINES = 60

# Binary files users reach for first, and what to run on them.
_BINARY_HINTS = (
    (b"PERFILE2", "is perf's binary perf.data: give hotlint the text of `perf script -i FILE > perf.txt`"),
    (b"gmon", "is gprof's binary gmon.out: give hotlint the text of `gprof -b -p PROGRAM FILE > gprof.txt`"),
    (b"\x1f\x8b", "is gzip-compressed: decompress it first (`gunzip -k FILE`)"),
    (b"\x28\xb5\x2f\xfd", "is zstd-compressed: decompress it first (`zstd -d FILE`)"),
)


def detect_format(text: str) -> str | None:
    """The format of a profile's text, from its first lines (never its file name); None when it
    is none hotlint reads."""
    head = text.splitlines()[:_HEAD_LINES]
    for name, (looks_like, _) in FORMATS.items():
        if looks_like(head):
            return name
    return None


def parse_profile(text: str, path: str = "<profile>") -> Profile:
    """The profile in ``text``; ``path`` names it in messages. Raises ``ProfileError``."""
    if not text.strip():
        raise ProfileError(path, "is empty")
    fmt = detect_format(text)
    if fmt is None:
        hint = ""
        if "Call graph" in text[:20000] and "granularity" in text[:20000]:
            hint = "; it looks like gprof's call graph alone: run `gprof -b -p` for the flat profile"
        raise ProfileError(
            path, "is not a profile hotlint can read: expected valgrind's callgrind output, `perf "
                  "script` text, folded stacks (`frame;frame;frame count`) or gprof's flat profile"
                  + hint)
    return FORMATS[fmt][1](text, path)


def load_profile(path: str) -> Profile:
    """The profile in the file ``path``, its format told from its content.

    Raises ``ProfileError`` (with the file and the cause) for a missing, unreadable, non-regular
    (a FIFO, a device, a directory), oversized, binary, empty, unknown, truncated or damaged
    profile."""
    try:
        data = read_regular(path, PROFILE_LIMIT)
    except FileNotFoundError:
        raise ProfileError(path, "does not exist") from None
    except ReadRefused as e:
        reason = e.message
        if e.kind == "too-large":
            reason += f" (profiles are read up to {human_size(PROFILE_LIMIT)}; fold perf script "
            reason += "output, or profile a shorter run)"
        raise ProfileError(path, reason) from None
    except OSError as e:
        raise ProfileError(path, f"cannot be read: {e.strerror or e}") from None
    if not data.strip():
        raise ProfileError(path, "is empty")
    binary = b"\0" in data[:4096]
    for magic, hint in _BINARY_HINTS:
        if data.startswith(magic) and (binary or magic[0] >= 0x80 or magic[0] < 0x20):
            raise ProfileError(path, hint)
    if binary:
        raise ProfileError(path, "is a binary file, not a profile's text")
    return parse_profile(data.decode("utf-8", errors="replace"), path)
