"""``coderev model learn``: a candidate slot from new data with a continual-learning method,
evaluated on the old and the new tasks and installed as V1 (docs/learning.md, ADR 0023).

The CLI is the whole contract with whatever runs it (the learning scheduler runs it as a
subprocess): the options below, exit 0 with one JSON line of figures on stdout (``--json``), 2 for
a usage error. Needs the ``train`` extra (torch, transformers).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from coderev.analyzers.errors import CoderevError
from coderev.server.candidate_cli import EXIT_OK, add_candidate_options, run_guarded


def add_arguments(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    learn = actions.add_parser("learn", help="train a candidate slot on new data with a continual-learning method "
                                             "and install it as V1 (experimental)")
    learn.add_argument("--method", default="replay+ewc",
                       help="naive, replay, ewc, si, lwf, packnet, or a combination such as replay+ewc "
                            "(default replay+ewc)")
    learn.add_argument("--data", type=Path, action="append", default=[], metavar="FILE",
                       help="JSONL of FIX samples in the training Sample format (repeatable)")
    learn.add_argument("--pairs", type=Path, action="append", default=[], metavar="FILE",
                       help="accepted-fix pairs JSONL (coderev.engine.learning.pairs.export_jsonl; repeatable)")
    learn.add_argument("--rules", type=Path, metavar="DIR", help="a rule directory whose fix templates to learn")
    learn.add_argument("--negatives", type=Path, action="append", default=[], metavar="FILE",
                       help="rejected AI fixes JSONL (negatives.jsonl of the learning scheduler; repeatable): "
                            "unlikelihood at the token where each leaves the rule's fix")
    learn.add_argument("--base", type=Path, help="the slot to start from (default: the store's production slot, "
                                                 "V2, or the packaged default slot when the store has none)")
    learn.add_argument("--base-hf", type=Path, metavar="DIR",
                       help="its float32 transformers checkpoint (default: read back from the slot's own "
                            "INT8 weights, cached in the work directory)")
    learn.add_argument("--output", type=Path, help="candidate slot directory (default: <work>/slot)")
    learn.add_argument("--work", type=Path, help="work directory: checkpoints, data, evaluation cache "
                                                 "(default: build/model-work/learn-<method>)")
    learn.add_argument("--resume", action="store_true", help="continue from the checkpoint in the work directory")
    learn.add_argument("--checkpoint-minutes", type=float, default=5.0, help="checkpoint interval (default 5)")
    learn.add_argument("--checkpoint-steps", type=int, default=0, help="also checkpoint every N steps")
    learn.add_argument("--max-steps", type=int, default=300, help="optimizer steps (default 300)")
    learn.add_argument("--seconds", type=float, default=0.0, help="stop training after this long (default: none)")
    learn.add_argument("--lr", type=float, default=5e-4, help="peak learning rate (default 5e-4)")
    learn.add_argument("--replay-share", type=float, default=0.5, help="share of old samples with replay (0.5)")
    learn.add_argument("--strength", action="append", default=[], metavar="NAME=VALUE",
                       help="ewc=, si=, lwf=, unlikelihood= (loss weights), packnet_free= (share of weights a "
                            "fresh run frees) or packnet_keep= (share of the free ones a run trains)")
    learn.add_argument("--seed", type=int, default=1234)
    learn.add_argument("--old-units", type=int, default=400, help="T0 held-out units evaluated (default 400)")
    learn.add_argument("--replay-units", type=int, default=400, help="old training units to replay (default 400)")
    learn.add_argument("--rule-variants", type=int, default=10,
                       help="renamed variants of each bad example of a --rules rule (default 10)")
    add_candidate_options(learn, "build and evaluate the candidate only")


def run(args: argparse.Namespace) -> int:
    return run_guarded(_learn, args)


def _production_slot(store: Path | None) -> Path | None:
    """The store's V2 slot: what the editor serves now, so a candidate improves on it."""
    from coderev.engine.slots.store import SlotStore

    production = SlotStore(store).production()
    return production.path if production is not None else None


def _learn(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise CoderevError("SYS002", f"learning needs the train extra (pip install 'coderev-lsp[train]'): {exc}") \
            from exc
    from coderev.engine.model.slot import default_slot_path
    from coderev.engine.training.continual.learn import LearnRequest, install_candidate, run_learn
    from coderev.engine.training.continual.loop import LearnConfig

    if not (args.data or args.pairs or args.rules or args.negatives):
        raise CoderevError("SYS002", "give the new data: --data, --pairs, --rules or --negatives")
    strengths = {}
    for item in args.strength:
        name, _, value = item.partition("=")
        strengths[name] = float(value)
    base = args.base or _production_slot(args.store) or default_slot_path()
    work = args.work or Path.cwd() / "build" / "model-work" / f"learn-{args.method.replace('+', '-')}"
    config = LearnConfig(max_steps=args.max_steps, seconds=args.seconds, lr=args.lr, seed=args.seed,
                         replay_share=args.replay_share, checkpoint_minutes=args.checkpoint_minutes,
                         checkpoint_steps=args.checkpoint_steps)
    request = LearnRequest(
        method=args.method, base_slot=base, base_hf=args.base_hf,
        output=args.output or work / "slot", work=work, data=args.data, pairs=args.pairs, rules=args.rules,
        negatives=args.negatives,
        config=config, resume=args.resume, old_test_units=args.old_units, replay_units=args.replay_units,
        rule_variants=args.rule_variants,
        strengths=strengths)
    manifest = run_learn(request)
    figures = manifest["continual"]
    slot_id = None if args.no_install else install_candidate(request.output, args.store,
                                                                f"coderev model learn --method {args.method}")
    summary = {"slot": str(request.output), "installed_as_v1": slot_id, "method": args.method,
               "old_drop_points": figures["old_drop_points"],
               "old_verified_and_exact": figures["old_task"]["candidate"]["fix_verified_and_exact"],
               "new_verified_and_exact": (figures["new_task"]["candidate"] or {}).get("fix_verified_and_exact"),
               "steps": figures["stats"]["steps"], "train_seconds": figures["stats"]["seconds"],
               "total_seconds": figures["total_seconds"]}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        for key, value in summary.items():
            print(f"{key}: {value}")
    return EXIT_OK
