"""``coderev model``: ``train`` a slot with the project's pipeline, ``eval`` it on held-out data,
show ``info`` about it. Training needs the ``train`` extra (torch, transformers); ``eval`` and
``info`` need only the runtime (ctranslate2, sentencepiece). The slot store commands (``list``,
``install``, ``import``, ``promote``, ``demote``, ``verify``, ``history``) live in
:mod:`coderev.server.model_slots_command`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.server import distill_command, learn_command, learn_status, model_slots_command

EXIT_OK, EXIT_GATES, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="model_command", required=True)
    train = actions.add_parser("train", help="generate data, train, convert to CTranslate2 INT8 and evaluate")
    train.add_argument("--quick", action="store_true", help="a miniature model trained for a few steps (CI-sized)")
    train.add_argument("--output", type=Path, help="slot directory to write (default: the packaged default slot)")
    train.add_argument("--seconds", type=float, help="training time budget (default 600; quick: 60)")
    train.add_argument("--seed", type=int, help="random seed (default 1234)")
    train.add_argument("--resume", action="store_true",
                       help="continue training the checkpoint in the work directory (same data and tokenizer)")
    train.add_argument("--lr", type=float, help="peak learning rate (default 2e-3)")
    train.add_argument("--size", choices=("small", "medium", "large"),
                       help="decoder size (default small, the shipped one: 4 layers of 192; medium 6 of 256; "
                            "large 8 of 384)")
    train.add_argument("--real-code", type=Path, metavar="CACHE",
                       help="add real functions from the corpus in CACHE (`coderev model corpus`) to the training "
                            "data, and measure on its held-out packages")
    evaluate = actions.add_parser("eval", help="evaluate a slot on held-out data and print the quality gates")
    evaluate.add_argument("--slot", type=Path, help="slot directory (default: the packaged default slot)")
    evaluate.add_argument("--float32", type=Path, metavar="DIR",
                          help="a float32 CTranslate2 conversion of the same model, for the INT8 comparison "
                               "(default: build/model-work/<slot>/ct2-float32 when present, "
                               "else the numbers recorded at training time)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                          help="where to run the slot (default cpu; auto takes CUDA when CTranslate2 sees a GPU)")
    evaluate.add_argument("--compute-type", metavar="TYPE",
                          help="CTranslate2 compute type (default: chosen from the slot and the device, "
                               "int8 on CPU, int8_float16 on CUDA)")
    evaluate.add_argument("--real-code", type=Path, metavar="CACHE",
                          help="also measure on held-out real code: functions of the corpus fetched into CACHE "
                               "by `coderev model corpus` (reported first, with their own gates)")
    evaluate.add_argument("--real-units", type=int, default=600, metavar="N",
                          help="real-code functions to draw from the held-out packages (default 600)")
    corpus = actions.add_parser("corpus", help="download the pinned real-code corpus (package registries) "
                                               "for training and evaluation")
    corpus.add_argument("--cache", type=Path, default=Path("build/realcode"),
                        help="where to keep it (default build/realcode; never committed)")
    info = actions.add_parser("info", help="show a slot's manifest, hash check and compute type")
    info.add_argument("--slot", type=Path, help="slot directory (default: the packaged default slot)")
    learn_command.add_arguments(actions)
    distill_command.add_arguments(actions)
    model_slots_command.add_arguments(actions)
    learn_status.add_arguments(actions)  # `learn --status`: the scheduler's state


def run(args: argparse.Namespace) -> int:
    if learn_status.wants_status(args):
        return learn_status.run(args)
    if args.model_command in model_slots_command.COMMANDS:
        return model_slots_command.run(args)
    if args.model_command == "learn":
        return learn_command.run(args)
    if args.model_command == "distill":
        return distill_command.run(args)
    try:
        if args.model_command == "train":
            return _train(args)
        if args.model_command == "eval":
            return _eval(args)
        if args.model_command == "corpus":
            return _corpus(args)
        return _info(args)
    except CoderevError as exc:
        print(f"coderev: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _slot(path: Path | None) -> Path:
    from coderev.engine.model.slot import default_slot_path

    return path if path is not None else default_slot_path()


def _train(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise CoderevError(
            "SYS002", f"training needs the train extra (pip install 'coderev-lsp[train]'): {exc}"
        ) from exc
    from coderev.engine.training.pipeline import PipelineConfig, quick_config
    from coderev.engine.training.pipeline import run as run_pipeline

    config = quick_config() if args.quick else PipelineConfig()
    if args.seconds is not None:
        config.train.seconds = args.seconds
    config.resume = args.resume
    config.real_code = args.real_code
    if args.lr is not None:
        config.train.lr = args.lr
    if args.size is not None:
        from coderev.engine.training.train import SIZES

        config.model = dataclasses.replace(SIZES[args.size])
    if args.seed is not None:
        config.seed = config.train.seed = args.seed
    output = _slot(args.output)
    manifest = run_pipeline(config, output)
    print(f"wrote slot {output} ({manifest['name']} {manifest['version']})")
    _print_metrics(manifest["metrics"])
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from coderev.engine.model.slot import ModelSlot
    from coderev.engine.training.data import generate, write_jsonl
    from coderev.engine.training.evaluate import evaluate
    from coderev.engine.training.pipeline import default_work_dir

    if args.real_code is not None and not (args.real_code / "corpus.json").is_file():
        raise CoderevError("DAT002", f"{args.real_code} holds no real-code corpus: "
                                     f"run `coderev model corpus --cache {args.real_code}`")
    slot_dir = _slot(args.slot)
    slot = ModelSlot(slot_dir, device=args.device, compute_type=args.compute_type)
    print(f"evaluating on {slot.device}, compute type {slot.compute_type}", file=sys.stderr)
    training = slot.manifest.get("training", {})
    test = list(generate("test", int(training.get("n_test", 1500)), int(training.get("seed", 1234))))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        digest = write_jsonl(test, Path(tmp) / "test.jsonl")
    if digest != training.get("test_data_sha256"):
        print("note: the held-out data differs from the data at training time (the rules or the abstraction "
              "changed since)", file=sys.stderr)
    metrics: dict[str, Any] = {}
    if args.real_code is not None:
        metrics["real_code"] = _real_code(slot, args.real_code, args.real_units)
    metrics["int8"] = evaluate(slot, test)
    float32_dir = args.float32
    work = default_work_dir(slot_dir)
    if float32_dir is None and _same_training_run(slot_dir, work):  # else: another run's models
        float32_dir = work / "ct2-float32"
    if float32_dir is not None and float32_dir.is_dir():
        f32 = ModelSlot(slot_dir, compute_type="float32", model_dir=str(float32_dir))
        metrics["float32"] = evaluate(f32, test)
    else:
        recorded = slot.manifest.get("metrics", {})
        if "float32" in recorded:
            metrics["float32"] = recorded["float32"]
            metrics["float32_note"] = "float32 numbers recorded at training time (no float32 model here)"
            metrics["int8_at_training"] = recorded.get("int8")
    if "float32" in metrics:
        metrics["int8_minus_float32_points"] = round(
            100 * (metrics["int8"]["fix_verified_and_exact"] - metrics["float32"]["fix_verified_and_exact"]), 2)
    if args.json:
        print(json.dumps(metrics, indent=2))
    else:
        _print_metrics(metrics)
    from coderev.engine.training.evaluate import gate_report, real_gate_report

    rows = gate_report(metrics["int8"], metrics.get("float32"))
    if "real_code" in metrics:
        rows += real_gate_report(metrics["real_code"])
    return EXIT_OK if all(ok for _, _, ok in rows) else EXIT_GATES


def _real_code(slot: Any, cache: Path, n_units: int) -> dict[str, Any]:
    from coderev.engine.training.evaluate import evaluate
    from coderev.engine.training.realdata import real_test_samples

    samples = real_test_samples(cache, n_units)
    if not samples:
        raise CoderevError("DAT002", f"{cache}: no function of a held-out package could be read")
    return evaluate(slot, samples)


def _corpus(args: argparse.Namespace) -> int:
    from coderev.engine.training.realcode import fetch

    record = fetch(args.cache)
    for entry in record:
        state = f"left out: {entry['error']}" if "error" in entry else entry["split"]
        print(f"{entry['ecosystem']:<7} {entry['name']:<40} {entry['version']:<12} {entry['license']:<22} {state}")
    kept = sum("error" not in e for e in record)
    print(f"{kept} of {len(record)} packages in {args.cache} (record: {args.cache / 'corpus.json'})")
    return EXIT_OK if kept else EXIT_USAGE




def _same_training_run(slot_dir: Path, work: Path) -> bool:
    """Whether the slot's work directory is from the run that wrote the slot (same tokenizer); a
    later experiment trained elsewhere leaves a stale float32 model there, not a baseline."""
    try:
        return (work / "tokenizer.model").read_bytes() == (slot_dir / "tokenizer.model").read_bytes()
    except OSError:
        return False


def _print_real_code(real: dict[str, Any]) -> None:
    from coderev.engine.training.evaluate import real_gate_report

    print("REAL CODE (held-out packages; functions people wrote, labelled by the analyzers):")
    print(f"  REVIEW precision {real['review_precision']:.3f} recall {real['review_recall']:.3f} "
          f"(n={real['review_n']} functions, malformed answers {real['review_malformed']})")
    for origin, c in real["review_by_origin"].items():
        print(f"  {origin:<12} functions {c['n']:>5}: tp {c['tp']:>4} fp {c['fp']:>4} fn {c['fn']:>4}")
    print(f"  {'language/category':<44} {'tp':>4} {'fp':>4} {'fn':>4}")
    for key, c in real["review_by"].items():
        print(f"  {key:<44} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4}")
    print(f"  FIX requests {real['fix_n']}: verified {100 * real['fix_verified_rate']:.1f}%, "
          f"verified-and-exact {100 * real['fix_verified_and_exact']:.1f}%")
    for kind, m in real["fix"].items():
        print(f"  {kind:<58} {m['n']:>4} {100 * m['verified']:>8.1f}% {100 * m['verified_and_exact']:>6.1f}%")
    for gate, measured, ok in real_gate_report(real):
        print(f"  [{'PASS' if ok else 'FAIL'}] {gate}: {measured}")
    print("\nSYNTHETIC (the project's generators, held-out shapes):")


def _print_metrics(metrics: dict[str, Any]) -> None:
    from coderev.engine.training.evaluate import gate_report

    if "real_code" in metrics:
        _print_real_code(metrics["real_code"])
    int8 = metrics["int8"]
    print(f"held-out FIX requests: {int8['fix_n']}, verified rate {100 * int8['fix_verified_rate']:.1f}%, "
          f"verified-and-exact {100 * int8['fix_verified_and_exact']:.1f}%")
    print(f"{'fix kind':<58} {'n':>4} {'verified':>9} {'exact':>7}")
    for kind, m in int8["fix"].items():
        print(f"{kind:<58} {m['n']:>4} {100 * m['verified']:>8.1f}% {100 * m['verified_and_exact']:>6.1f}%")
    print(f"negatives returned unchanged: {100 * int8['negatives_unchanged']:.1f}% (n={int8['negatives_n']})")
    print(f"REVIEW precision {int8['review_precision']:.3f} recall {int8['review_recall']:.3f} "
          f"(n={int8['review_n']}, malformed answers {int8['review_malformed']})")
    if "float32" in metrics:
        f32 = metrics["float32"]
        delta = 100 * (int8["fix_verified_and_exact"] - f32["fix_verified_and_exact"])
        print(f"float32 FIX verified-and-exact {100 * f32['fix_verified_and_exact']:.1f}%, "
              f"INT8 minus float32: {delta:+.2f} points"
              + (f" ({metrics['float32_note']})" if "float32_note" in metrics else ""))
    print("\nquality gates (held-out identifiers and code shapes):")
    for gate, measured, ok in gate_report(int8, metrics.get("float32")):
        print(f"  [{'PASS' if ok else 'FAIL'}] {gate}: {measured}")


def _info(args: argparse.Namespace) -> int:
    import ctranslate2

    from coderev.engine.model.compute import auto_compute
    from coderev.engine.model.manifest import verify_slot

    slot_dir = _slot(args.slot)
    manifest = verify_slot(slot_dir)
    device, compute = auto_compute(None, str(manifest["quantization"]))
    size = sum((slot_dir / name).stat().st_size for name in manifest["files"])
    print(f"slot        {slot_dir}")
    print(f"model       {manifest['name']} {manifest['version']} "
          f"({manifest['prompt_format']}, {manifest['quantization']})")
    print(f"files       {len(manifest['files'])}, {size / 1e6:.2f} MB, sha256 verified")
    arch = manifest["architecture"]
    print(f"arch        {json.dumps(arch, sort_keys=True)}")
    print(f"device      {device}, compute type {compute} "
          f"(supported: {', '.join(sorted(ctranslate2.get_supported_compute_types(device)))})")
    metrics = manifest.get("metrics", {}).get("int8")
    if metrics:
        print(f"metrics     FIX verified-and-exact {100 * metrics['fix_verified_and_exact']:.1f}%, verified rate "
              f"{100 * metrics['fix_verified_rate']:.1f}%, REVIEW P {metrics['review_precision']:.3f} "
              f"R {metrics['review_recall']:.3f}")
    return EXIT_OK
