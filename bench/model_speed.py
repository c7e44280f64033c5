"""Model latency: p50/p95 per FIX and per REVIEW of a 60-line function, INT8 vs float32, and the
effect of CTranslate2's intra/inter thread settings.

    python bench/model_speed.py [--slot DIR] [--float32 DIR] [--repeats N] [--cuda]

Each request is timed end to end as the product runs it (abstraction, prompt, generation at batch
1, parsing, restoration and, for FIX, verification with the analyzers). The float32 baseline
(``build/model-work/<slot>/ct2-float32`` by default, written by ``coderev model train``) runs in the same
invocation so that the ratios compare like with like. ``--cuda`` adds the GPU compute types
(``int8_float16``, ``int8_bfloat16``, ``float16`` loaded from the INT8 slot) after the same CPU
baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.paramstyle import ParamStyle
from coderev.engine.model.slot import (
    REVIEW_TOKENS,
    ModelSlot,
    default_slot_path,
    finish_fix,
    finish_review,
    fix_budget,
    prepare_fix,
    prepare_review,
)
from coderev.engine.training.pipeline import default_work_dir

FILLER = [
    "    {v} = {w}.strip()",
    "    if not {v}:",
    "        return None",
    "    {v} = {{\"status\": {w}, \"count\": len({w})}}",
    "    for item in {w}:",
    "        {v}.append(item)",
    "    log.info(\"processed %s\", {v})",
]


def sixty_line_function() -> str:
    lines = ["def reconcile_ledger(ledger_rows, voucherIndex, db):", "    cursor = db.cursor()"]
    i = 0
    while len(lines) < 59:
        lines.append(FILLER[i % len(FILLER)].format(v=f"entry_{i}", w=f"voucherIndex[{i}]"))
        i += 1
        if len(lines) == 30:
            lines.append('    cursor.execute("SELECT total FROM ledgers WHERE id = %s" % voucherIndex)')
    lines.append("    return cursor.fetchall()")
    return "\n".join(lines) + "\n"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_requests(slot: ModelSlot, function: str, repeats: int) -> tuple[list[float], list[float], bool]:
    analyzer = Analyzer()
    language = get_language("python")
    before = analyzer.analyze(Document(function, language))
    finding = next(f for f in before if f.fix is not None)
    fix_times, review_times, ok = [], [], True
    for _ in range(repeats):
        start = time.perf_counter()
        request = prepare_fix(function, finding, ParamStyle.FORMAT)  # as in a file that imports psycopg
        budget = fix_budget(len(slot.tokenizer.encode(request.prompt)))
        result = finish_fix(request, slot.generate([request.prompt], budget)[0], analyzer, before)
        fix_times.append(1000 * (time.perf_counter() - start))
        ok = ok and result.verification.verified
        start = time.perf_counter()
        review = prepare_review(function, "python", slot.review_windows)  # one batch of statement windows
        finish_review(review, slot.generate(review.prompts, REVIEW_TOKENS))
        review_times.append(1000 * (time.perf_counter() - start))
    return fix_times, review_times, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slot", type=Path, default=default_slot_path())
    parser.add_argument("--float32", type=Path,
                        help="float32 CTranslate2 model dir (default build/model-work/<slot>/ct2-float32)")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--cuda", action="store_true", help="also time the slot on CUDA (needs a GPU)")
    args = parser.parse_args()
    function = sixty_line_function()
    assert function.count("\n") == 60
    float32 = args.float32 or default_work_dir(args.slot) / "ct2-float32"
    print(f"machine: {os.cpu_count()} CPUs; slot {args.slot}; a 60-line function; {args.repeats} requests each")
    print(f"{'device':<6} {'compute':<13} {'intra':>5} {'inter':>5} {'load ms':>8} {'FIX p50':>8} {'FIX p95':>8} "
          f"{'REV p50':>8} {'REV p95':>8} {'fix ok':>6}")
    rows: dict[tuple[str, str, int, int], tuple[float, float]] = {}
    configs: list[tuple[str, str, str | None, int, int]] = [
        ("cpu", "int8", None, 1, 1), ("cpu", "int8", None, 2, 1), ("cpu", "int8", None, 1, 2),
        ("cpu", "int8", None, 2, 2)]
    if float32.is_dir():
        configs.append(("cpu", "float32", str(float32), 1, 1))
    if args.cuda:
        configs += [("cuda", compute, None, 1, 1) for compute in ("int8_float16", "int8_bfloat16", "float16")]
    for device, compute, model_dir, intra, inter in configs:
        slot = ModelSlot(args.slot, device=device, compute_type=compute, model_dir=model_dir, intra_threads=intra,
                         inter_threads=inter)
        time_requests(slot, function, 3)  # warm-up
        fixes, reviews, ok = time_requests(slot, function, args.repeats)
        rows[(device, compute, intra, inter)] = (percentile(fixes, 0.95), percentile(reviews, 0.95))
        print(f"{device:<6} {compute:<13} {intra:>5} {inter:>5} {1000 * slot.load_seconds:>8.1f} "
              f"{statistics.median(fixes):>8.1f} {percentile(fixes, 0.95):>8.1f} {statistics.median(reviews):>8.1f} "
              f"{percentile(reviews, 0.95):>8.1f} {'yes' if ok else 'no':>6}")
    base = rows[("cpu", "int8", 1, 1)]
    for key, (fix95, rev95) in rows.items():
        if key != ("cpu", "int8", 1, 1):
            print(f"p95 ratio {key[0]} {key[1]} intra={key[2]} inter={key[3]} vs cpu int8 1x1: "
                  f"FIX {fix95 / base[0]:.2f}x, REVIEW {rev95 / base[1]:.2f}x")
    print(f"targets: FIX p95 <= 50 ms ({'met' if base[0] <= 50 else 'NOT met'}), "
          f"REVIEW p95 <= 150 ms ({'met' if base[1] <= 150 else 'NOT met'}) at int8, intra=1, inter=1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
