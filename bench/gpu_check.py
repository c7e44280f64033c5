"""The model engine on a CUDA GPU: what CTranslate2 sees, what the slot and the runtime choose on
their own, and whether the GPU answers match the CPU's.

    python bench/gpu_check.py [--slot DIR] [--out DIR]

Run it on a machine with an NVIDIA GPU (CI has none; the CPU path is what the test suite covers).
It prints, and writes to ``--out`` as JSON:

* CTranslate2's version, the CUDA device count and the compute types it supports there;
* the device and compute type that ``ModelSlot(device="auto")`` and the runtime's child process
  (``InferenceWorker``, the process the language server uses) pick for the slot;
* a verified AI fix generated through that child process on the GPU;
* the held-out evaluation (:mod:`coderev.engine.training.evaluate`) on CUDA next to the CPU INT8 run in the
  same invocation, and how many FIX and REVIEW answers differ between the two.

Latency per compute type is ``bench/model_speed.py --cuda``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ctranslate2

from coderev.analyzers import Analyzer, Document, get_language
from coderev.engine.model.slot import (
    REVIEW_TOKENS,
    ModelSlot,
    default_slot_path,
    finish_fix,
    prepare_fix,
    prepare_review,
)
from coderev.engine.runtime.worker import InferenceWorker
from coderev.engine.training.data import generate
from coderev.engine.training.evaluate import evaluate

SOURCE = "def digest(data):\n    return hashlib.md5(data).hexdigest()\n"


def runtime_fix(slot_path: Path) -> dict[str, Any]:
    """One fix through the language server's child process, device and compute type left to it."""
    analyzer = Analyzer()
    before = analyzer.analyze(Document(SOURCE, get_language("python")))
    finding = next(f for f in before if f.fix is not None)
    request = prepare_fix(SOURCE, finding)
    worker = InferenceWorker(slot_path, device="auto", compute_type="auto", timeout_s=30.0)
    try:
        hello = worker.start(load_timeout_s=120.0)
        start = time.perf_counter()
        answer = worker.submit([request.prompt], 96).result(timeout=60)[0]
        elapsed = time.perf_counter() - start
    finally:
        worker.close()
    result = finish_fix(request, answer, analyzer, before)
    return {"hello": hello, "first_fix_ms": round(1000 * elapsed, 1), "verified": result.verification.verified,
            "replacement": result.replacement}


def answers(slot: ModelSlot, samples: list[Any]) -> list[str]:
    """The raw answers to every held-out FIX and REVIEW prompt (to compare devices)."""
    analyzer = Analyzer()
    prompts: list[str] = []
    for s in samples:
        if s.task == "fix" and not s.kind.startswith("negative:"):
            before = analyzer.analyze(Document(s.source, get_language(s.language)))
            match = next((f for f in before if f.rule_id == s.rule_id and f.fix is not None
                          and prepare_fix(s.source, f).span == tuple(s.span)), None)
            if match is not None:
                prompts.append(prepare_fix(s.source, match).prompt)
    fixes = slot.generate(prompts, 256)
    reviews = [p for s in samples if s.task == "review"
               for p in prepare_review(s.source, s.language, slot.review_windows).prompts]
    return fixes + slot.generate(reviews, REVIEW_TOKENS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slot", type=Path, default=default_slot_path())
    parser.add_argument("--out", type=Path, help="write the report as JSON into this folder")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "ctranslate2": ctranslate2.__version__,
        "cuda_devices": ctranslate2.get_cuda_device_count(),
    }
    if not report["cuda_devices"]:
        print("no CUDA device visible to CTranslate2; nothing to check", file=sys.stderr)
        return 1
    report["cuda_compute_types"] = sorted(ctranslate2.get_supported_compute_types("cuda"))
    auto = ModelSlot(args.slot, device="auto")
    report["slot_auto"] = {"device": auto.device, "compute_type": auto.compute_type,
                           "load_ms": round(1000 * auto.load_seconds, 1)}
    report["runtime"] = runtime_fix(args.slot)
    print(json.dumps(report, indent=2), flush=True)

    training = auto.manifest.get("training", {})
    test = list(generate("test", int(training.get("n_test", 1500)), int(training.get("seed", 1234))))
    cpu = ModelSlot(args.slot, device="cpu", compute_type="int8")
    runs: dict[str, Any] = {}
    for name, slot in (("cpu_int8", cpu), (f"cuda_{auto.compute_type}", auto)):
        start = time.perf_counter()
        runs[name] = evaluate(slot, test)
        runs[name]["seconds"] = round(time.perf_counter() - start, 2)
    cpu_answers, gpu_answers = answers(cpu, test), answers(auto, test)
    report["evaluation"] = {name: {k: v for k, v in m.items() if k != "fix"} for name, m in runs.items()}
    report["answers_compared"] = len(cpu_answers)
    report["answers_differing"] = sum(a != b for a, b in zip(cpu_answers, gpu_answers, strict=True))
    print(json.dumps({k: report[k] for k in ("evaluation", "answers_compared", "answers_differing")}, indent=2))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
