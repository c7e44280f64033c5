"""Distillation's quality/speed trade-off: the shipped slot as teacher, a tiny student distilled
from it, and as controls tiny students trained on the same data with no teacher (alpha 0).

    python bench/distill.py [--teacher SLOT] [--size tiny] [--max-steps 1000] [--alpha 0.5]
        [--train-units 6000] [--test-units 300] [--threads 1] [--work DIR] [--no-time-control]

Every student starts from the same seed and sees the same synthetic training data in the same
order (:mod:`coderev.engine.training.distillation`); the distilled one and the first control run
the same number of steps. Distillation costs a teacher forward per step, so a second control
(unless ``--no-time-control``) gets the steps the control can run in the distilled student's
training time (from the two runs' measured step rates): same data, same wall-clock budget. Then
every slot is measured on the same held-out samples (FIX verified-and-exact, REVIEW precision and
recall) and timed on the same held-out FIX requests one at a time, taking turns request by
request, with the same CTranslate2 threads (1, the runtime's default). Needs the train extra.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coderev.engine.model.manifest import read_manifest
from coderev.engine.model.slot import default_slot_path
from coderev.engine.training.data import generate
from coderev.engine.training.distillation import (
    DistillRequest,
    distill_config,
    fix_speed,
    run_distill,
)


def _student(args: argparse.Namespace, name: str, alpha: float, steps: int) -> Path:
    request = DistillRequest(
        teacher=args.teacher, output=args.work / name / "slot", work=args.work / name, size=args.size,
        alpha=alpha, temperature=args.temperature, train_units=args.train_units, test_units=args.test_units,
        speed_requests=10, cache=args.work / "cache",
        config=distill_config(max_steps=steps, threads=args.threads, checkpoint_minutes=60.0))
    started = time.monotonic()
    manifest = run_distill(request)
    stats = manifest["distillation"]["stats"]
    print(f"{name}: alpha {alpha}, {stats['steps']} steps in {stats['seconds']} s "
          f"({time.monotonic() - started:.0f} s with data, evaluation and conversion)", flush=True)
    return request.output


def _row(name: str, slot: Path, figures: dict[str, Any], speed: dict[str, Any], trained: str) -> str:
    manifest = read_manifest(slot)
    mb = (slot / "model.bin").stat().st_size / 1e6
    return (f"| {name} | {manifest['architecture']['parameters'] / 1e6:.2f}M | {mb:.2f} | "
            f"{100 * figures['fix_verified_and_exact']:.1f}% (n={figures['fix_n']}) | "
            f"{figures['review_precision']:.3f} / {figures['review_recall']:.3f} | "
            f"{speed['ms_p50']:.1f} | {speed['ms_p95']:.1f} | {trained} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teacher", type=Path, default=default_slot_path())
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--max-steps", type=int, default=1000)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument("--train-units", type=int, default=6000)
    parser.add_argument("--test-units", type=int, default=300)
    parser.add_argument("--speed-requests", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1, help="torch threads while training (default 1)")
    parser.add_argument("--work", type=Path, default=Path("build/model-work/bench-distill"))
    parser.add_argument("--no-time-control", action="store_true")
    args = parser.parse_args()

    students = {"distilled": _student(args, "distilled", args.alpha, args.max_steps),
                "control (same steps)": _student(args, "control", 0.0, args.max_steps)}
    trained = {}
    for name, slot in students.items():
        stats = read_manifest(slot)["distillation"]["stats"]
        trained[name] = (stats["steps"], stats["seconds"])
    if not args.no_time_control:
        (_, kd_s), (c_steps, c_s) = trained["distilled"], trained["control (same steps)"]
        steps = round(c_steps / c_s * kd_s)
        students["control (same time)"] = _student(args, "control-time", 0.0, steps)
        stats = read_manifest(students["control (same time)"])["distillation"]["stats"]
        trained["control (same time)"] = (stats["steps"], stats["seconds"])

    test = list(generate("test", args.test_units, 1234))
    slots = {"teacher": args.teacher, **students}
    recorded = {name: read_manifest(slot)["distillation"]["quality"] for name, slot in students.items()}
    figures = {"teacher": recorded["distilled"]["teacher"]} | {name: q["student"] for name, q in recorded.items()}
    speed = fix_speed(slots, test, limit=args.speed_requests, threads=1)
    teacher_manifest = read_manifest(args.teacher)
    print(f"\nteacher {teacher_manifest['name']}@{teacher_manifest['version']}; students {args.size}, "
          f"{args.train_units} training units, seed 1234; held out: {args.test_units} units (split test); "
          f"ms per FIX on {speed['teacher']['requests']} held-out requests, batch 1, 1 CTranslate2 thread\n")
    print("| model | parameters | slot MB | FIX verified-and-exact | REVIEW precision / recall | ms/fix p50 "
          "| ms/fix p95 | training |")
    print("|---|---|---|---|---|---|---|---|")
    for name, slot in slots.items():
        steps_s = trained.get(name)
        label = f"{steps_s[0]} steps, {steps_s[1]:.0f} s" if steps_s else "shipped"
        print(_row(name, slot, figures[name], speed[name], label))
    out = args.work / "results.json"
    out.write_text(json.dumps({"figures": figures, "speed": speed, "trained": trained,
                               "args": {k: str(v) for k, v in vars(args).items()}}, indent=2) + "\n",
                   encoding="utf-8")
    print(f"\nfigures in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
