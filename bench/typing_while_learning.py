"""Keystroke latency while a background learning run trains, against the same typing on an idle machine.

    .venv/bin/python bench/typing_while_learning.py [--sessions 8] [--warmup 60] [--nice 19 0]

The typing is bench/typing_latency.py's (a fresh language server over stdio, the 5,000-line Python
file, statements typed one character per didChange, half erased again; keystrokes from 2 s after
didOpen on, once the server has started), run three ways in one
process, one after another: with nothing else running, then while ``coderev model learn`` trains
on the bench's team rules at each ``--nice`` level (19 is what the learning scheduler gives its
runs; 0 shows what that buys). The learn run starts ``--warmup`` seconds before the typing (its
imports, data and the read-back base model) and is killed after it; the CPU time it used during
the typing is read from /proc and printed, so the figures say how hard it was working (a run that
had finished or not started would show ~0 cores). Needs the ``train`` extra.

Target (issue 21): the editor stays responsive while learning runs: keystroke p95 within the
10 ms of the typing target, and close to the idle figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.keystrokes import typing_script
from bench.lsp_latency import percentile
from bench.typing_latency import EARLY_S, FILES, type_into
from coderev.engine.learning.system import process_cpu_seconds

RULES = Path(__file__).resolve().parent / "continual_rules"


def start_learn(work: Path, nice: int) -> subprocess.Popen[bytes]:
    """``coderev model learn`` as the scheduler starts it: its own process group, then reniced."""
    command = [sys.executable, "-m", "coderev.server.cli", "model", "learn", "--method", "replay+ewc",
               "--rules", str(RULES), "--work", str(work), "--max-steps", "100000", "--seconds", "1800",
               "--no-install"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    os.setpriority(os.PRIO_PROCESS, process.pid, nice)
    return process


def group_cpu(pid: int) -> float:
    """CPU seconds of the learn process (its threads included; it starts no child processes)."""
    return process_cpu_seconds(pid) or 0.0


async def typing(args: argparse.Namespace, cache: Path) -> list[float]:
    text = FILES["python"][0]()
    keys = typing_script(text, "python", args.sessions)
    sent, latencies, _ = await type_into("python", text, keys, (60.0, 140.0), cache)
    # after the server's start-up (rules compiling, model engine starting), as the typing target counts
    return [latency * 1000 for at, latency in zip(sent, latencies, strict=True) if at >= EARLY_S]


async def main_async(args: argparse.Namespace) -> int:
    cache = Path(tempfile.mkdtemp(prefix="coderev-typing-cache-"))
    work = Path(tempfile.mkdtemp(prefix="coderev-learn-load-"))
    await type_into("python", FILES["python"][0](), [], (0, 0), cache)  # fill the parsed-rule cache once
    rows: list[tuple[str, list[float], str]] = [("idle machine", await typing(args, cache), "-")]
    for nice in args.nice:
        process = start_learn(work / f"nice{nice}", nice)
        try:
            await asyncio.sleep(args.warmup)
            if process.poll() is not None:
                print(f"the learn run ended early (exit {process.returncode})", file=sys.stderr)
                return 1
            cpu0, wall0 = group_cpu(process.pid), time.monotonic()
            latencies = await typing(args, cache)
            used, wall = group_cpu(process.pid) - cpu0, time.monotonic() - wall0
            alive = process.poll() is None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        load = f"{used:.0f} CPU-s in {wall:.0f} s = {used / wall:.2f} cores" + ("" if alive else " (ended early)")
        rows.append((f"learning at nice {nice}", latencies, load))
    print(f"python, 5,000 lines, {args.sessions} typing sessions, one keystroke every 60-140 ms; "
          f"{os.cpu_count()} CPUs")
    print(f"| {'condition':<20} | {'n':>4} | {'p50 ms':>7} | {'p95 ms':>7} | {'p95 / idle':>10} "
          "| learn run during the typing")
    idle = percentile(rows[0][1], 95)
    for label, values, load in rows:
        p95 = percentile(values, 95)
        print(f"| {label:<20} | {len(values):>4} | {percentile(values, 50):7.1f} | {p95:7.1f} "
              f"| {p95 / idle:9.2f}x | {load}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8, help="typing sessions (about 40 keystrokes each)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds the learn run gets before the typing")
    parser.add_argument("--nice", type=int, nargs="+", default=[19, 0], help="learn runs' nice levels")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
