"""Reading files from a checkout that may be hostile.

Every file hotlint reads itself (sources, configuration, compilation databases, response
files, cache entries) comes through ``read_regular``: a FIFO, a device such as ``/dev/zero``
or a symlink to one is refused without blocking (the file is opened non-blocking and checked
after opening, so a symlink swapped in between cannot slip through), and nothing is read past
a size limit, so no checkout can hang hotlint or exhaust its memory by what it names.
"""

from __future__ import annotations

import os
import stat

MiB = 1024 * 1024

# Limits by what is read. The largest single C files in common use (an amalgamation such as
# SQLite's) are about 9 MiB; a compilation database of a very large project is a few hundred.
SOURCE_LIMIT = 16 * MiB
CONFIG_LIMIT = 1 * MiB
DATABASE_LIMIT = 512 * MiB
RESPONSE_FILE_LIMIT = 1 * MiB
CACHE_ENTRY_LIMIT = 64 * MiB
# Address space of a worker process (libclang included): a file that makes clang allocate
# without bound ends that worker, reported against the file, instead of the machine.
DEFAULT_WORKER_MEMORY_MIB = 4096


class ReadRefused(OSError):
    """A file hotlint will not read: not a regular file, or larger than the limit."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "not-regular" or "too-large"
        self.message = message

    def __str__(self) -> str:
        return self.message


def _describe(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def human_size(n: int) -> str:
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def read_regular(path: str, limit: int, head_only: bool = False) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes (``head_only``: its
    first ``limit`` bytes, whatever its size).

    Raises ``ReadRefused`` for anything else and ``OSError`` (FileNotFoundError,
    PermissionError, ...) when the file cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused("not-regular", f"is {_describe(st.st_mode)}, not a regular file; not read")
        if st.st_size > limit and not head_only:
            raise ReadRefused("too-large", f"is {human_size(st.st_size)}, over the {human_size(limit)} limit; not read")
        chunks, total = [], 0
        while True:  # the size can change after fstat: never read past the limit
            chunk = os.read(fd, min(1 * MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                if head_only:
                    return b"".join(chunks)[:limit]
                raise ReadRefused("too-large", f"grew over the {human_size(limit)} limit while being read; not read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_regular_file(path: str) -> bool:
    """Whether ``path`` (following symlinks) is a regular file; never blocks."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
