"""``coderev model learn --status``: what the background learning scheduler of a workspace is
doing, read from the ``scheduler.json`` it writes atomically in its learning directory
(``<cache>/learning/<workspace>/``; docs/learning.md, "Status"). Reads a file only: it starts,
stops and imports nothing of the training side."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from coderev.engine.learning.system import STATUS_FILE, learning_directory, read_status

EXIT_OK, EXIT_NONE = 0, 1


def add_arguments(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``--status`` (and where to look) to the ``learn`` command, when there is one."""
    learn = actions.choices.get("learn")
    if learn is None:
        return
    learn.add_argument("--status", dest="learn_status", action="store_true",
                       help="show the background learning scheduler's state for a workspace and exit")
    learn.add_argument("--workspace", type=Path, default=None, metavar="DIR",
                       help="with --status: the workspace folder (default: the current directory)")
    learn.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                       help="with --status: coderev's cache directory (default: $CODEREV_CACHE_DIR or the user cache)")


def wants_status(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "learn_status", False))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _when(stamp: float | None) -> str:
    return "—" if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def render(status: dict[str, Any], directory: Path) -> str:
    """The status as a few readable lines."""
    budget, last = status.get("budget") or {}, status.get("last_run")
    lines = [f"learning directory: {directory}",
             f"state:              {status.get('state', '?')}"
             + (f" ({status['reason']})" if status.get("reason") else ""),
             f"next eligible:      {_when(status.get('next_eligible'))}",
             f"CPU budget today:   {budget.get('used_s', 0):.1f} of {budget.get('allowed_s', 0):.0f} s used, "
             f"{budget.get('left_s', 0):.1f} s left",
             f"power:              {status.get('power', '?')}",
             f"new pairs:          {status.get('new_pairs', '?')} (needed: {status.get('min_pairs', '?')})",
             f"last checkpoint:    {_age(status.get('checkpoint_age_s'))} old when the status was written"
             if status.get("checkpoint_age_s") is not None else "last checkpoint:    none",
             f"resume next run:    {'yes' if status.get('resume') else 'no'}"]
    if isinstance(last, dict):
        lines.append(f"last run:           {' '.join(last.get('task') or [])}, started {_when(last.get('started'))}, "
                     f"{last.get('outcome', 'running')}, {last.get('cpu_s', 0):.1f} CPU s")
    if status.get("warning"):
        lines.append(f"warning:            {status['warning']}")
    lines.append(f"status written:     {_when(status.get('updated'))}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    root = (args.workspace or Path.cwd()).resolve()
    directory = learning_directory(root, args.cache_dir)
    status = read_status(directory)
    if status is None:
        print(f"no learning scheduler status for {root} ({directory / STATUS_FILE} is absent): "
              "turn on the learning.schedule setting in the editor")
        return EXIT_NONE
    if getattr(args, "json", False):
        print(json.dumps(status, sort_keys=True))
    else:
        print(render(status, directory))
    return EXIT_OK
