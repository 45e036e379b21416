"""The native Java rules under rules_java's names (what @bazel_tools//tools/jdk loads to
declare its toolchains; nothing Java is built)."""

def java_import(**kwargs):
    native.java_import(**kwargs)

def java_runtime(**kwargs):
    native.java_runtime(**kwargs)

def java_toolchain(**kwargs):
    native.java_toolchain(**kwargs)
