"""Compile flags from untrusted sources, reduced to what analysis needs (an allow-list).

Flags reach libclang from a checkout's ``compile_commands.json`` (and its ``@response``
files), a configuration file's ``extra-args``, an editor's ``extraArgs`` and the command
line. libclang honours much more than a parse needs: ``-Xclang -load`` and ``-fplugin=``
load code, ``-MD``/``-dependency-file``/``-save-stats``/``-ftime-trace``/``-fmodules``
write files, ``--config-*`` read other flags from elsewhere. A deny-list always misses a
spelling, so only what shapes the parse is kept:

- include paths, sysroots and forced includes (``-I``, ``-isystem``, ``-include``, ...);
- macros (``-D``, ``-U``) and the language and standard (``-x``, ``-std=``, ``-stdlib=``);
- the target (``--target=``, ``-m32``, ``-march=``, ``-mavx2``: they define macros and types;
  Apple's ``-arch arm64`` as ``--target=arm64-apple-darwin``);
- ``-f`` options that change what code means (exceptions, RTTI, char signedness, strict
  aliasing, floating-point reassociation, OpenMP, MS extensions, ...), optimisation levels
  (``__OPTIMIZE__`` changes what glibc's headers declare) and ``-pthread``;
- warnings only as ``-Wno-...`` and ``-w`` (they can only make clang accept more).

Everything else is dropped; ``-v`` shows what was. A flag that would load code into the
analyzer is also named in a note. The libclang boundary runs the same filter again and adds
``--no-default-config``, so no path around this module reaches a parse.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from .safeio import RESPONSE_FILE_LIMIT, ReadRefused, read_regular

# Flags whose value is a path, in the separate (``-I dir``) or joined (``-Idir``) form.
_PATH_VALUE = ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-F", "-iframework",
               "-cxx-isystem", "-isysroot", "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isystem-after",
               "--sysroot", "--gcc-toolchain", "--cuda-path")
# Flags read with a separate value (``-I dir``) that analysis keeps. They are written back joined to
# their value (``-Idir``, ``--target=x``): one argument cannot be read as two, whatever the driver's
# mode (clang-cl ignores `-isystem` and would take the value as an option of its own). A value that
# starts with `-` is never taken as one: the flag is dropped and the value judged by itself.
_KEEP_WITH_VALUE = {"-I": "-I", "-isystem": "-isystem", "-iquote": "-iquote", "-idirafter": "-idirafter",
                    "-include": "-include", "-imacros": "-imacros", "-F": "-F", "-iframework": "-iframework",
                    "-cxx-isystem": "-cxx-isystem", "-isysroot": "-isysroot", "-iprefix": "-iprefix",
                    "-iwithprefix": "-iwithprefix", "-iwithprefixbefore": "-iwithprefixbefore",
                    "--sysroot": "--sysroot=", "-D": "-D", "-U": "-U", "-x": "-x", "-target": "--target="}
# Flags with a separate value that are dropped together with it (anything not kept is dropped;
# these are listed so their value is not mistaken for an input file or a flag of its own).
_DROP_WITH_VALUE = {
    "-o", "-MF", "-MT", "-MQ", "-MJ", "-include-pch", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-Xclang",
    "-Xanalyzer", "-Xcuda-fatbinary", "-Xcuda-ptxas", "-Xopenmp-target", "-Xarch_host", "-Xarch_device",
    "--serialize-diagnostics", "-dependency-file", "-dependency-dot", "-main-file-name", "-mllvm", "-B",
    "--config", "-arcmt-migrate-report-output", "--output", "-ftime-trace-granularity", "-z", "-L", "-l",
    "-u", "-e", "-T", "-working-directory", "-ivfsoverlay", "-fmodule-file", "-fmodules-cache-path",
    "-fprofile-instr-use", "-fprofile-use", "-fsave-optimization-record", "-split-dwarf-file",
    "-ferror-limit", "-ftemplate-backtrace-limit", "--analyzer-output", "-aux-triple", "-Xflang",
}
_JOINED_VALUE = re.compile(
    r"^(?:-[DU].+|-x.+|--?std=.+|-stdlib=.+|--?target=.+|--sysroot=.+|--gcc-toolchain=.+|--cuda-path=.+"
    r"|--cuda-gpu-arch=.+|--offload-arch=.+|--driver-mode=(?:gcc|g\+\+|cpp|cl)|-arch=.+)$"
)
_EXACT = {
    "-pthread", "-pthreads", "-ansi", "-trigraphs", "-undef", "-nostdinc", "-nostdinc++", "-nostdlibinc",
    "-nobuiltininc", "-w", "-m32", "-m64", "-mx32", "-m16", "-nocudainc", "-nocudalib", "--cuda-host-only",
    "--cuda-device-only", "--no-cuda-version-check", "-fopenmp", "-fopenmp-simd", "-fno-openmp",
    "-fno-openmp-simd", "-fsycl", "-fno-sycl",
}
_OPTIMIZE = re.compile(r"^-O(?:[0-3sgz]?|fast)$")
# -m target options (``-mavx2``, ``-mno-sse4.2``, ``-march=x86-64-v3``): they define macros and
# enable intrinsics. None reads or writes a file; ``-mllvm`` passes options to LLVM and is not one.
_TARGET = re.compile(r"^-m(?!llvm)(?:no-)?[a-z0-9][a-z0-9._+-]*(?:=[A-Za-z0-9._+,-]+)?$")
# -f options that change what code means (each also as -fno-...).
_F_SWITCHES = {
    "exceptions", "cxx-exceptions", "c++-exceptions", "rtti", "rtti-data", "signed-char", "unsigned-char",
    "signed-bitfields", "unsigned-bitfields", "short-enums", "short-wchar", "char8_t", "strict-aliasing",
    "strict-enums", "strict-overflow", "strict-vtable-pointers", "wrapv", "trapv", "fast-math",
    "associative-math", "reciprocal-math", "signed-zeros", "trapping-math", "math-errno",
    "finite-math-only", "unsafe-math-optimizations", "honor-nans", "honor-infinities", "approx-func",
    "cx-limited-range", "ms-extensions", "ms-compatibility", "delayed-template-parsing", "declspec",
    "borland-extensions", "blocks", "gnu-keywords", "gnu89-inline", "asm", "gnu-inline-asm",
    "dollars-in-identifiers", "operator-names", "permissive", "threadsafe-statics", "sized-deallocation",
    "aligned-new", "aligned-allocation", "relaxed-template-template-args", "coroutines", "coroutines-ts",
    "concepts", "elide-constructors", "access-control", "builtin", "freestanding", "hosted", "common",
    "pic", "PIC", "pie", "PIE", "visibility-inlines-hidden", "inline", "inline-functions", "lax-vector-conversions",
    "objc-arc", "objc-exceptions", "gnu-runtime", "next-runtime", "cuda-approx-transcendentals",
    "stack-protector", "stack-protector-strong", "stack-protector-all", "digraphs", "fixed-point",
    "double-square-bracket-attributes", "char16_t", "wchar_t", "new-infallible", "assume-sane-operator-new",
    "use-cxa-atexit", "implicit-templates", "implicit-inline-templates", "emulated-tls", "zvector", "altivec", "cuda-flush-denormals-to-zero", "gpu-rdc", "hip-new-launch-api",
}
_F_VALUED = (
    "ffp-contract=", "ffp-model=", "ffp-exception-behavior=", "fdenormal-fp-math=", "fexcess-precision=",
    "fms-compatibility-version=", "fmsc-version=", "fconstexpr-depth=", "fconstexpr-steps=",
    "ftemplate-depth=", "fbracket-depth=", "fvisibility=", "fpack-struct=", "fmax-type-align=",
    "fnew-alignment=", "finput-charset=", "fexec-charset=", "fwchar-type=", "fsanitize=", "fno-sanitize=",
    "fopenmp=", "fopenmp-version=", "fopenmp-targets=", "fobjc-runtime=", "fcf-protection=", "fcf-protection",
    "fgnuc-version=", "fno-builtin-", "fsigned-wchar", "fno-signed-wchar", "fpack-struct", "fshort-wchar",
    "fgpu-rdc", "fhip-new-launch-api",
)
_F_SWITCH = re.compile(r"^-f(?:no-)?(.+)$")
_WARNING_OFF = re.compile(r"^-Wno-[A-Za-z0-9][A-Za-z0-9_+#=.-]*$")
# MSVC spellings, accepted only under --driver-mode=cl (elsewhere ``/I`` is an input path).
_CL = re.compile(r"^[/-](?:D.+|U.+|I.+|std:.+|Zc:.+|EH[a-z-]*|GR-?|permissive-?|TP|TC|J|MD|MDd|MT|MTd|"
                 r"arch:.+|openmp(?::.+)?|fp:.+|Zp\d*|utf-8|source-charset:.+|execution-charset:.+|"
                 r"external:I.+|external:W\d)$")
_CL_COMPILERS = ("cl", "cl.exe", "clang-cl", "clang-cl.exe")
# ``-arch arm64``: the Apple driver's way to name the target, which clang elsewhere ignores. It is
# written as the target it names (``--target=arm64-apple-darwin``) unless the command names one.
_ARCH_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# Flags that would load code into the analyzer: named in a note when dropped.
_CODE_LOADING = re.compile(r"^(?:-fplugin|-fpass-plugin|-fplugin-arg-|--?load|-plugin|-add-plugin|-load-pass-plugin)")


@dataclass
class CleanedFlags:
    args: list[str]
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# longest first, so ``-isystem-after`` is not read as ``-isystem`` with a value
_PATH_VALUE_BY_LENGTH = sorted(_PATH_VALUE, key=len, reverse=True)


def _absolutize(flag: str, value: str, directory: Optional[str]) -> str:
    if directory is None:
        return value
    if flag in _PATH_VALUE and value and not os.path.isabs(value) and not value.startswith("="):
        return os.path.normpath(os.path.join(directory, value))
    return value


def _allowed_switch(a: str) -> bool:
    if a in _EXACT or _OPTIMIZE.match(a) or _TARGET.match(a) or _WARNING_OFF.match(a) or _JOINED_VALUE.match(a):
        return True
    if a.startswith("-f"):
        if any(a.startswith("-" + v) for v in _F_VALUED):
            return "/" not in a.split("=", 1)[-1] or a.startswith(("-fsanitize=", "-fno-sanitize="))
        m = _F_SWITCH.match(a)
        return bool(m and m.group(1) in _F_SWITCHES)
    return False


# A build's response files are few and short; these bounds keep a checkout's fan-out (files that
# name each other hundreds of times) from turning one command into millions of reads.
MAX_RESPONSE_FILES = 64  # distinct files read per command
MAX_EXPANDED_ARGS = 100_000


def _expand_response_files(argv: list[str], directory: str, warnings: list[str]) -> list[str]:
    """Expand ``@file`` arguments ourselves (as data, size-capped) so their flags are cleaned too.
    Each file is read once per command (a file named again is skipped), at most four deep, at most
    ``MAX_RESPONSE_FILES`` files and ``MAX_EXPANDED_ARGS`` arguments in all."""
    read: set[str] = set()
    out: list[str] = []

    def expand(args: list[str], depth: int) -> None:
        for a in args:
            if len(out) >= MAX_EXPANDED_ARGS:
                warnings.append(f"dropped arguments past the first {MAX_EXPANDED_ARGS:,} of the expanded command")
                return
            if not (a.startswith("@") and len(a) > 1):
                out.append(a)
                continue
            path = os.path.normpath(os.path.join(directory, a[1:]))
            if depth >= 4:
                warnings.append(f"dropped `{a}`: response files nested more than 4 deep")
            elif path in read:
                continue  # named again: its flags are in already
            elif len(read) >= MAX_RESPONSE_FILES:
                warnings.append(f"dropped `{a}`: more than {MAX_RESPONSE_FILES} response files in one command")
            else:
                read.add(path)
                try:
                    text = read_regular(path, RESPONSE_FILE_LIMIT).decode("utf-8", "replace")
                    expand(shlex.split(text), depth + 1)
                except ReadRefused as exc:
                    warnings.append(f"dropped `{a}`: the response file {exc}")
                except (OSError, ValueError) as exc:
                    why = getattr(exc, "strerror", None) or exc
                    warnings.append(f"dropped `{a}`: cannot read the response file ({why})")

    expand(argv, 0)
    warnings[:] = list(dict.fromkeys(warnings))
    return out


def clean(argv: list[str], directory: Optional[str], compiler_first: bool = False) -> CleanedFlags:
    """The flags of ``argv`` that shape a parse, with relative paths resolved against
    ``directory`` (None: left as they are, and no response file is read); with
    ``compiler_first`` the first word is the compiler (it picks cl mode)."""
    res = CleanedFlags(args=[])
    argv = [str(a) for a in argv]
    cl_mode = False
    if compiler_first and argv:
        compiler = os.path.basename(argv[0].replace("\\", "/"))
        argv = argv[1:]
        if compiler in _CL_COMPILERS:
            res.args.append("--driver-mode=cl")
            cl_mode = True
    if directory is not None:
        argv = _expand_response_files(argv, directory, res.warnings)
    cl_mode = cl_mode or "--driver-mode=cl" in argv
    named_target = any(a in ("-target", "--target") or a.startswith(("--target=", "-target=")) for a in argv)
    i = 0
    while i < len(argv):
        a = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if "\n" in a or "\r" in a or "\0" in a:
            res.dropped.append(a)  # no flag contains a line break; it only serves to forge output
            i += 1
            continue
        if a == "-arch" and nxt is not None and _ARCH_NAME.match(nxt):
            if named_target or cl_mode:
                res.dropped.extend([a, nxt])
            else:
                res.args.append(f"--target={nxt}-apple-darwin")
                named_target = True  # a second -arch (a universal build) is dropped: one target per parse
            i += 2
            continue
        if a in _KEEP_WITH_VALUE:
            if nxt is None or nxt.startswith("-") or not nxt or any(c in nxt for c in "\n\r\0"):
                res.dropped.append(a)  # no value of its own: the next argument is judged by itself
                i += 1
                continue
            res.args.append(_KEEP_WITH_VALUE[a] + _absolutize(a, nxt, directory))
            i += 2
            continue
        if a in _DROP_WITH_VALUE or a.startswith("-Xclang") or a.startswith("-Xarch"):
            value = nxt if a in _DROP_WITH_VALUE and nxt is not None else None
            if a.startswith("-Xclang="):
                value = None
            shown = a if value is None else f"{a} {value}"
            loaded = value if a == "-Xclang" else a.split("=", 1)[1] if a.startswith("-Xclang=") else a
            if loaded is not None and _CODE_LOADING.match(loaded):
                if a == "-Xclang" and i + 3 < len(argv) and argv[i + 2] == "-Xclang":  # -Xclang -load -Xclang x.so
                    res.warnings.append(f"dropped `{' '.join(argv[i:i + 4])}`: it would load code into the analyzer")
                    res.dropped.extend(argv[i:i + 4])
                    i += 4
                    continue
                res.warnings.append(f"dropped `{shown}`: it would load code into the analyzer")
            elif _CODE_LOADING.match(a):
                res.warnings.append(f"dropped `{shown}`: it would load code into the analyzer")
            res.dropped.extend([a] + ([value] if value is not None else []))
            i += 2 if value is not None else 1
            continue
        joined = next((f for f in _PATH_VALUE_BY_LENGTH if a.startswith(f) and len(a) > len(f)), None)
        if joined is not None:
            value = a[len(joined):]
            if value.startswith("=") and joined.startswith("--"):
                res.args.append(f"{joined}={_absolutize(joined, value[1:], directory)}")
            else:
                res.args.append(joined + _absolutize(joined, value, directory))
            i += 1
            continue
        if _allowed_switch(a) or (cl_mode and _CL.match(a)):
            res.args.append(a)
            i += 1
            continue
        if _CODE_LOADING.match(a):
            res.warnings.append(f"dropped `{a}`: it would load code into the analyzer")
        res.dropped.append(a)  # an input file, an output or dependency flag, or anything else
        i += 1
    return res


def allowed(args: list[str]) -> list[str]:
    """What the libclang boundary passes on: ``args`` filtered again, nothing resolved or read."""
    return clean(args, None).args
