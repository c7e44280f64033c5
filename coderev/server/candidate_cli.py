"""What the commands that build a candidate slot (``coderev model learn``, ``coderev model distill``)
share: their last options and their exit codes (0, or 2 with ``coderev: <error>`` on stderr)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from coderev.analyzers.errors import CoderevError

EXIT_OK, EXIT_USAGE = 0, 2


def add_candidate_options(parser: argparse.ArgumentParser, build_only: str) -> None:
    parser.add_argument("--no-install", action="store_true", help=build_only)
    parser.add_argument("--store", type=Path, metavar="DIR", help="slot store directory")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")


def run_guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return command(args)
    except (CoderevError, ValueError) as exc:
        print(f"coderev: {exc}", file=sys.stderr)
        return EXIT_USAGE
