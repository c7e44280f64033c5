"""Continual learning: how much each method forgets of the shipped fix kinds while learning new ones.

    python bench/continual.py [--max-steps 60] [--methods ...]

T0 is the shipped fix kinds' held-out synthetic data (``generate("test")``); the new task is three
families the default model never saw, from the team rules in ``bench/continual_rules/``: T1
``db.raw(...)`` -> ``db.execute(...)``, T2 ``hashes.legacy_hash(...)`` -> ``hashes.sha512(...)``, T3
``api.post(url, ...)`` -> ``api.post(url, verify=True, ...)`` (the keyword right after the URL, a
team's own fix style), learnt together in one run per method (training identifiers; evaluated on
held-out identifiers). Every method and naive fine-tuning get the same seed, data and step
budget, through the same code as ``coderev model learn`` (the candidate is not installed). The
table: T0 verified-and-exact drop in points against the base slot, new-task verified-and-exact,
the method's extra memory (tensors it keeps beside the model and optimizer; replay: its encoded
pool), training time, slot size. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

METHODS = ("naive", "replay", "ewc", "si", "lwf", "packnet", "replay+ewc")
RULES = Path(__file__).resolve().parent / "continual_rules"


def main() -> int:
    from coderev.engine.model.slot import default_slot_path
    from coderev.engine.training.continual.learn import LearnRequest, run_learn
    from coderev.engine.training.continual.loop import LearnConfig

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=default_slot_path())
    parser.add_argument("--base-hf", type=Path, help="the base's float32 checkpoint (default: read back from the slot)")
    parser.add_argument("--work", type=Path, default=Path("build/model-work/bench-continual"))
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--max-steps", type=int, default=60)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--old-units", type=int, default=400)
    parser.add_argument("--replay-units", type=int, default=300)
    parser.add_argument("--strength", action="append", default=[], metavar="NAME=VALUE",
                        help="ewc=, si=, lwf= or packnet_free=, as coderev model learn takes them")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()

    strengths = {name: float(value) for name, _, value in (item.partition("=") for item in args.strength)}
    config = LearnConfig(max_steps=args.max_steps, lr=args.lr, seed=args.seed, checkpoint_minutes=5.0)
    rows: list[dict[str, Any]] = []
    for method in args.methods:
        name = method.replace("+", "-")
        request = LearnRequest(method=method, base_slot=args.base, base_hf=args.base_hf,
                               output=args.work / name / "slot", work=args.work / name, rules=RULES,
                               config=replace(config), old_test_units=args.old_units,
                               replay_units=args.replay_units, strengths=strengths)
        request.work.mkdir(parents=True, exist_ok=True)
        # the base slot's figures are the same for every method: one evaluation, shared
        shared = args.work / "eval-cache"
        shared.mkdir(parents=True, exist_ok=True)
        own = request.work / "eval-cache"
        if not own.exists():
            own.symlink_to(shared.resolve(), target_is_directory=True)
        figures = run_learn(request)["continual"]
        replay_bytes = 0
        if "replay" in method.split("+"):
            replay_bytes = 8 * figures["replay_pool_samples"] * 400  # token ids, about 400 a sample
        rows.append({
            "method": method,
            "old_base": figures["old_task"]["base"]["fix_verified_and_exact"],
            "old": figures["old_task"]["candidate"]["fix_verified_and_exact"],
            "old_drop_points": figures["old_drop_points"],
            "new": figures["new_task"]["candidate"]["fix_verified_and_exact"],
            "new_base": figures["new_task"]["base"]["fix_verified_and_exact"],
            "extra_mb": round((figures["method_extra_bytes"] + replay_bytes) / 2**20, 1),
            "train_seconds": figures["stats"]["seconds"], "steps": figures["stats"]["steps"],
            "slot_mb": round((request.output / "model.bin").stat().st_size / 2**20, 2),
            "old_n": figures["old_task"]["candidate"]["fix_n"], "new_n": figures["new_task"]["candidate"]["fix_n"],
        })
        print(json.dumps(rows[-1]), flush=True)
    print()
    print("| method | T0 drop (points) | new verified-and-exact | extra memory | training time | slot size |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} | {r['old_drop_points']:+.1f} (base {100 * r['old_base']:.1f}%, n={r['old_n']}) "
              f"| {100 * r['new']:.1f}% (n={r['new_n']}; base {100 * r['new_base']:.1f}%) | {r['extra_mb']} MB "
              f"| {r['train_seconds']:.0f} s ({r['steps']} steps) | {r['slot_mb']} MB |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
