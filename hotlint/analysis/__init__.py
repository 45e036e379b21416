"""hotlint's shared analysis layer: the questions rules ask about a file, answered once."""
