"""Continual learning, task after task: how much each method forgets of the shipped fix kinds and of
the tasks it learnt before, while learning new ones.

    python bench/continual.py [--max-steps 150] [--methods ...] [--tasks t1 t2 t3]

T0 is the shipped fix kinds' held-out synthetic data (``generate("test")``). T1..T3 are families
the default model never saw, from the team rules in ``bench/continual_rules/t1..t3``: T1
``db.raw(...)`` -> ``db.execute(...)``, T2 ``hashes.legacy_hash(...)`` -> ``hashes.sha512(...)``, T3
``api.post(url, ...)`` -> ``api.post(url, verify=True, ...)`` (the keyword right after the URL, a
team's own fix style). Each method learns them one after another, as ``coderev model learn`` runs
would: T1 from the base slot, T2 from T1's candidate slot, T3 from T2's (each run reads its base's
INT8 weights back; PackNet's masks travel in the slot). Every method and naive fine-tuning get the
same seed, data and step budget per task, through the same code as ``coderev model learn`` (the
candidates are not installed). After the last task the final slot is evaluated on T0 and on every
task's held-out samples (held-out identifiers), all with the bench's rules loaded; the base once.

The table: T0 verified-and-exact drop in points against the base slot; each task's
verified-and-exact at the end of the sequence (in brackets: right after its own run), so forgetting
of T1 while learning T2 and T3 shows too; the method's largest extra memory over the runs (tensors
it keeps beside the model and optimizer; replay: its encoded pool); total training time; the final
slot's size. Needs the ``train`` extra.
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
TASKS = ("t1", "t2", "t3")
RULES = Path(__file__).resolve().parent / "continual_rules"


def _figures(args: argparse.Namespace, slot: Path, samples: list[Any], key: str) -> dict[str, Any]:
    """verified-and-exact of ``slot`` on ``samples``, with every bench rule loaded (cached by model and key)."""
    from coderev.engine.model.manifest import read_manifest
    from coderev.engine.training.continual.learn import cached_figures, evaluate_slot
    from coderev.engine.training.continual.sources import analyzer_for

    model = read_manifest(slot)["files"]["model.bin"]
    return cached_figures(args.work, f"{model}:{key}", lambda: evaluate_slot(slot, samples, analyzer_for(RULES)))


def _sequence(args: argparse.Namespace, method: str, strengths: dict[str, float]) -> dict[str, Any]:
    """One method through every task; the final slot and what each run reported."""
    from coderev.engine.training.continual.learn import LearnRequest, run_learn
    from coderev.engine.training.continual.loop import LearnConfig

    config = LearnConfig(max_steps=args.max_steps, lr=args.lr, seed=args.seed, threads=args.threads,
                         checkpoint_minutes=30.0)
    base: Path = args.base
    runs = []
    for task in args.tasks:
        work = args.work / method.replace("+", "-") / task
        request = LearnRequest(method=method, base_slot=base, output=work / "slot", work=work, rules=RULES / task,
                               config=replace(config), old_test_units=args.old_units,
                               replay_units=args.replay_units, strengths=strengths, evaluate_old=False)
        figures = run_learn(request)["continual"]
        runs.append(figures)
        print(json.dumps({"method": method, "task": task, "steps": figures["stats"]["steps"],
                          "seconds": figures["stats"]["seconds"],
                          "new": figures["new_task"]["candidate"]["fix_verified_and_exact"],
                          "packnet": figures.get("packnet")}), flush=True)
        base = request.output
    return {"slot": base, "runs": runs}


def main() -> int:
    from coderev.engine.model.slot import default_slot_path
    from coderev.engine.training.continual.sources import from_rules
    from coderev.engine.training.data import generate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=default_slot_path())
    parser.add_argument("--work", type=Path, default=Path("build/model-work/bench-continual"))
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS,
                        help="the new tasks, in the order learnt (default t1 t2 t3)")
    parser.add_argument("--max-steps", type=int, default=150, help="optimizer steps per task")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training (default 2)")
    parser.add_argument("--old-units", type=int, default=400)
    parser.add_argument("--replay-units", type=int, default=300)
    parser.add_argument("--rule-variants", type=int, default=10)
    parser.add_argument("--strength", action="append", default=[], metavar="NAME=VALUE",
                        help="ewc=, si=, lwf=, packnet_free= or packnet_keep=, as coderev model learn takes them")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    strengths = {name: float(value) for name, _, value in (item.partition("=") for item in args.strength)}
    old_test = [s for s in generate("test", args.old_units, args.seed) if s.task == "fix"]
    held_out = {t: list(from_rules(RULES / t, "test", max(1, args.rule_variants // 2), args.seed)) for t in args.tasks}
    base_old = _figures(args, args.base, old_test, f"old:{args.seed}:{args.old_units}")
    base_new = {t: _figures(args, args.base, held_out[t], f"{t}:{args.seed}") for t in args.tasks}
    rows: list[dict[str, Any]] = []
    for method in args.methods:
        done = _sequence(args, method, strengths)
        slot: Path = done["slot"]
        old = _figures(args, slot, old_test, f"old:{args.seed}:{args.old_units}")
        end = {t: _figures(args, slot, held_out[t], f"{t}:{args.seed}")["fix_verified_and_exact"] for t in args.tasks}
        replay_bytes = 8 * done["runs"][0]["replay_pool_samples"] * 400 if "replay" in method.split("+") else 0
        rows.append({
            "method": method, "old_base": base_old["fix_verified_and_exact"], "old": old["fix_verified_and_exact"],
            "old_drop_points": round(100 * (base_old["fix_verified_and_exact"] - old["fix_verified_and_exact"]), 2),
            "end": end, "just_learnt": {t: r["new_task"]["candidate"]["fix_verified_and_exact"]
                                        for t, r in zip(args.tasks, done["runs"], strict=True)},
            "new_base": {t: f["fix_verified_and_exact"] for t, f in base_new.items()},
            "extra_mb": round((max(r["method_extra_bytes"] for r in done["runs"]) + replay_bytes) / 2**20, 1),
            "train_seconds": round(sum(r["stats"]["seconds"] for r in done["runs"]), 1),
            "steps": [r["stats"]["steps"] for r in done["runs"]],
            "slot_mb": round(sum(f.stat().st_size for f in slot.iterdir() if f.name != "tokenizer.model") / 2**20, 2),
            "old_n": old["fix_n"], "new_n": {t: len(s) for t, s in held_out.items()},
            "packnet": done["runs"][-1].get("packnet"),
        })
        print(json.dumps(rows[-1]), flush=True)
        if args.json:  # after every method: a bench stopped early keeps what it measured
            args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    _table(rows, args.tasks)
    return 0


def _table(rows: list[dict[str, Any]], tasks: list[str]) -> None:
    print()
    print("| method | T0 drop (points) | " + " | ".join(f"{t.upper()} at end (after its run)" for t in tasks)
          + " | extra memory | training time | slot size |")
    print("|---|---|" + "---|" * len(tasks) + "---|---|---|")
    for r in rows:
        cells = [f"{100 * r['end'][t]:.1f}% ({100 * r['just_learnt'][t]:.1f}%)" for t in tasks]
        print(f"| {r['method']} | {r['old_drop_points']:+.1f} ({100 * r['old_base']:.1f}% -> {100 * r['old']:.1f}%) | "
              + " | ".join(cells) + f" | {r['extra_mb']} MB | {r['train_seconds']:.0f} s | {r['slot_mb']} MB |")


if __name__ == "__main__":
    raise SystemExit(main())
