"""``coderev model distill``: a small student slot trained to imitate a bigger teacher (a slot or a
transformers checkpoint), measured against it (quality and ms per fix) and installed as V1
(docs/distillation.md). Exit 0 (with ``--json``, one line of figures on stdout), 2 for a usage
error. Needs the ``train`` extra (torch, transformers), imported only by the training module.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

from coderev.analyzers.errors import CoderevError
from coderev.server.candidate_cli import EXIT_OK, add_candidate_options, run_guarded


def add_arguments(actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    distill = actions.add_parser("distill", help="train a small student slot to imitate a bigger teacher, measure "
                                                 "both, and install the student as V1 (experimental)")
    distill.add_argument("--teacher", type=Path, required=True, metavar="SLOT_OR_HF_DIR",
                         help="the teacher: a slot directory, or a transformers checkpoint with the slot tokenizer "
                              "(tokenizer.model) inside or beside it")
    distill.add_argument("--size", choices=("tiny", "small", "medium"), default="tiny",
                         help="student decoder (default tiny: 2 layers of 128; small: the shipped 4 of 192; "
                              "medium: 6 of 256)")
    distill.add_argument("--alpha", type=float, default=0.5,
                         help="weight of the teacher term: (1-alpha) CE + alpha T^2 KL (default 0.5; 0: no teacher)")
    distill.add_argument("--temperature", type=float, default=2.0, help="softening temperature T (default 2)")
    distill.add_argument("--max-steps", type=int, default=3000,
                         help="optimizer steps; the learning rate's cosine runs over them (default 3000)")
    distill.add_argument("--seconds", type=float, default=0.0, help="stop training after this long (default: none)")
    distill.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (default 2e-3)")
    distill.add_argument("--seed", type=int, default=1234)
    distill.add_argument("--train-units", type=int, default=6000,
                         help="synthetic training units (about 2.9 samples each; default 6000)")
    distill.add_argument("--test-units", type=int, default=300, help="held-out units both models are measured on")
    distill.add_argument("--threads", type=int, default=2, help="torch threads while training (default 2)")
    distill.add_argument("--speed-requests", type=int, default=60, help="held-out FIX requests timed on each model")
    distill.add_argument("--output", type=Path, help="student slot directory (default: <work>/slot)")
    distill.add_argument("--work", type=Path, help="work directory: data, teacher read-back, checkpoints "
                                                   "(default: build/model-work/distill-<size>)")
    distill.add_argument("--resume", action="store_true", help="continue from the checkpoint in the work directory")
    distill.add_argument("--checkpoint-minutes", type=float, default=5.0, help="checkpoint interval (default 5)")
    add_candidate_options(distill, "build and measure the student only")


def run(args: argparse.Namespace) -> int:
    return run_guarded(_distill, args)


def _distill(args: argparse.Namespace) -> int:
    missing = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]
    if missing:
        raise CoderevError("SYS002", f"distillation needs the train extra (pip install 'coderev-lsp[train]'): "
                                     f"{', '.join(missing)} missing")
    if not args.teacher.exists():
        raise CoderevError("SYS002", f"teacher {args.teacher} does not exist: give a slot directory or a "
                                     "transformers checkpoint directory")
    from coderev.engine.training.continual.learn import install_candidate
    from coderev.engine.training.distillation import DistillRequest, distill_config, run_distill

    work = args.work or Path.cwd() / "build" / "model-work" / f"distill-{args.size}"
    request = DistillRequest(
        teacher=args.teacher, output=args.output or work / "slot", work=work, size=args.size, alpha=args.alpha,
        temperature=args.temperature, train_units=args.train_units, test_units=args.test_units,
        speed_requests=args.speed_requests, resume=args.resume,
        config=distill_config(max_steps=args.max_steps, seconds=args.seconds, lr=args.lr, seed=args.seed,
                              checkpoint_minutes=args.checkpoint_minutes, threads=args.threads))
    manifest = run_distill(request)
    figures = manifest["distillation"]
    slot_id = None
    if not args.no_install:  # as `coderev model learn` installs a candidate: V1 only, never V2
        slot_id = install_candidate(request.output, args.store, f"coderev model distill --teacher {args.teacher}")
    quality, speed = figures["quality"], figures["speed"]
    summary = {"slot": str(request.output), "installed_as_v1": slot_id, "teacher": figures["teacher"],
               "student_size": args.size, "student_parameters": manifest["architecture"]["parameters"],
               "teacher_fix_verified_and_exact": quality["teacher"]["fix_verified_and_exact"],
               "student_fix_verified_and_exact": quality["student"]["fix_verified_and_exact"],
               "teacher_ms_per_fix_p50": speed["teacher"]["ms_p50"],
               "student_ms_per_fix_p50": speed["student"]["ms_p50"],
               "speedup_p50": figures["speedup_p50"], "steps": figures["stats"]["steps"],
               "train_seconds": figures["stats"]["seconds"], "total_seconds": figures["total_seconds"]}
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        for key, value in summary.items():
            print(f"{key}: {value}")
    return EXIT_OK
