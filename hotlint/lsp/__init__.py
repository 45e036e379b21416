"""``hotlint lsp``: the language server on stdio (pygls), parsing in a worker process."""

from __future__ import annotations

import argparse
import atexit
import logging
import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(
        prog="hotlint lsp",
        description="Start the hotlint language server on stdin/stdout. Editors start it themselves: "
                    "see editors/ for VS Code and Neovim.",
    )
    # vscode-languageclient appends --stdio for TransportKind.stdio; stdio is the only transport
    p.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default="warning",
                   help="what the server logs on stderr (default: warning)")
    ns = p.parse_args(list(sys.argv[2:] if argv is None else argv))
    # pygls logs every message body at info level: only hotlint's own logger follows --log-level
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                        format="hotlint lsp %(levelname)s %(name)s: %(message)s")
    logging.getLogger("hotlint").setLevel(getattr(logging, ns.log_level.upper()))

    from .server import create_server

    server = create_server()
    atexit.register(server.worker.kill_now)  # however the loop ends, no worker or preamble files are left
    server.start_io()
    server.worker.kill_now()
    return 0


__all__ = ["main"]
