"""hotlint's built-in rules: one module per rule, installed as ``hotlint.rules``."""
