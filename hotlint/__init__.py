"""hotlint: a C/C++ performance linter and language server on libclang."""

__version__ = "0.1.0"
