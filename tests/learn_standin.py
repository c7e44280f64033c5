"""A stand-in for ``coderev model learn`` in the scheduler's tests: it takes the same flags,
records them in ``runs.jsonl`` (in its working directory), burns CPU for ``$STANDIN_BURN_S`` CPU
seconds (default 0.2), writes ``checkpoints/step-N`` every ``--checkpoint-minutes``, writes a last
checkpoint on SIGTERM and exits ``$STANDIN_EXIT`` (default 0)."""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--method", required=True)
parser.add_argument("--pairs")
parser.add_argument("--rules")
parser.add_argument("--data")
parser.add_argument("--checkpoint-minutes", type=float, required=True)
parser.add_argument("--resume", action="store_true")
parser.add_argument("--store")
parser.add_argument("--negatives")
args = parser.parse_args()
with open("runs.jsonl", "a", encoding="utf-8") as runs:
    runs.write(json.dumps({"argv": sys.argv[1:], "resume": args.resume, "pid": os.getpid()}) + "\n")
ckpt = Path("checkpoints")
ckpt.mkdir(exist_ok=True)
step = len(list(ckpt.iterdir()))


def checkpoint() -> None:
    global step
    step += 1
    (ckpt / f"step-{step}").write_text(str(time.process_time()))


def stop(signum: int, frame: object) -> None:
    checkpoint()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
burn = float(os.environ.get("STANDIN_BURN_S", "0.2"))
period = args.checkpoint_minutes * 60
last = time.monotonic()
x = 0
while time.process_time() < burn:
    x = (x * 31 + 7) % 1000003
    if time.monotonic() - last >= period:
        checkpoint()
        last = time.monotonic()
checkpoint()
sys.exit(int(os.environ.get("STANDIN_EXIT", "0")))
