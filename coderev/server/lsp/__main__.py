"""``python -m coderev.server.lsp [--tcp HOST:PORT] [--log-file PATH] [--metrics-port PORT]``: run the
language server."""

from __future__ import annotations

import argparse
from pathlib import Path

from coderev.server.lsp import serve


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m coderev.server.lsp")
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT")
    parser.add_argument("--log-file", type=Path)
    parser.add_argument("--metrics-port", type=int, metavar="PORT")
    args = parser.parse_args()
    return serve(tcp=args.tcp, log_file=args.log_file, metrics_port=args.metrics_port)


if __name__ == "__main__":
    raise SystemExit(main())
