"""The speed side of the model-size curve: generation time of each decoder size of
``coderev model train --size`` for the same requests, at the same answer lengths.

    python bench/model_sizes.py [--slot DIR] [--repeats N] [--threads T]

Speed does not depend on what a model has learnt, only on its shape and on how many tokens it
writes. So each size is built untrained (random weights, the slot's tokenizer), converted to
CTranslate2 INT8 as a slot is, and timed on the requests of ``bench/model_speed.py`` (the FIX and
the REVIEW of a 60-line function, the REVIEW as one batch of statement windows), with every answer
forced to the length the trained slot (``--slot``, default the shipped one) actually writes for
that request (``min_length = max_length``). The trained slot itself is timed the same way in the
same run, as the baseline the ratios are against. Generation only: the rest of a request
(abstraction, parsing, verification) is the same for every size and is in ``bench/model_speed.py``.
Needs the ``train`` extra (torch, transformers) to build the untrained models.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.model_speed import percentile, sixty_line_function
from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.paramstyle import ParamStyle
from coderev.engine.model.slot import (
    REVIEW_TOKENS,
    ModelSlot,
    default_slot_path,
    fix_budget,
    prepare_fix,
    prepare_review,
)
from coderev.engine.training.train import SIZES, build_model, convert

FIX_P95_MS, REVIEW_P95_MS = 50.0, 150.0  # the budgets of issue 20, on 2 CPU threads


def requests(slot: ModelSlot) -> tuple[list[list[str]], list[int], list[list[str]], list[int]]:
    """(FIX prompt tokens, its answer length, REVIEW prompt tokens, their answer lengths) as the
    trained slot answers them."""
    function = sixty_line_function()
    analyzer = Analyzer()
    finding = next(f for f in analyzer.analyze(Document(function, get_language("python"))) if f.fix is not None)
    fix = prepare_fix(function, finding, ParamStyle.FORMAT)
    review = prepare_review(function, "python", slot.review_windows)
    fix_tokens = [["<s>", *slot.tokenizer.encode(fix.prompt, out_type=str)]]
    review_tokens = [["<s>", *slot.tokenizer.encode(p, out_type=str)] for p in review.prompts]
    budget = fix_budget(len(slot.tokenizer.encode(fix.prompt)))
    fix_len = [len(r.sequences_ids[0]) for r in slot.generator.generate_batch(
        fix_tokens, max_length=budget, sampling_topk=1, include_prompt_in_result=False)]
    review_len = [len(r.sequences_ids[0]) for r in slot.generator.generate_batch(
        review_tokens, max_length=REVIEW_TOKENS, sampling_topk=1, include_prompt_in_result=False)]
    return fix_tokens, fix_len, review_tokens, review_len


def timed(generator: Any, tokens: list[list[str]], lengths: list[int], repeats: int) -> list[float]:
    """Milliseconds per call, each prompt's answer forced to its length (a batch runs to its longest)."""
    out = []
    longest = max(lengths)
    for _ in range(repeats + 2):
        start = time.perf_counter()
        results = generator.generate_batch(tokens, min_length=longest, max_length=longest, sampling_topk=1,
                                           include_prompt_in_result=False)
        out.append(1000 * (time.perf_counter() - start))
        assert all(len(r.sequences_ids[0]) == longest for r in results), "answer length not forced"
    return out[2:]  # the first two warm up


def untrained(size: str, slot: ModelSlot, work: Path, threads: int) -> tuple[Any, int]:
    import ctranslate2
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(slot.path / "tokenizer.model"))
    model = build_model(sp.get_piece_size(), sp, SIZES[size])
    hf = work / size / "hf"
    model.save_pretrained(str(hf), safe_serialization=True)
    convert(hf, sp, work / size / "ct2", "int8")
    parameters = sum(p.numel() for p in model.parameters())
    return ctranslate2.Generator(str(work / size / "ct2"), device="cpu", compute_type="int8",
                                 intra_threads=threads), parameters


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slot", type=Path, default=default_slot_path())
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 intra threads (default 2)")
    args = parser.parse_args()
    slot = ModelSlot(args.slot, intra_threads=args.threads)
    fix_tokens, fix_len, review_tokens, review_len = requests(slot)
    print(f"slot {slot.manifest['name']} {slot.manifest['version']}: FIX answer {fix_len[0]} tokens, REVIEW "
          f"{len(review_len)} windows, longest answer {max(review_len)} tokens; INT8, {args.threads} threads, "
          f"{args.repeats} calls each")
    print(f"{'model':<22} {'params':>7} {'FIX p50':>8} {'FIX p95':>8} {'REV p50':>8} {'REV p95':>8} "
          f"{'FIX x':>6} {'REV x':>6}")
    base_fix = timed(slot.generator, fix_tokens, fix_len, args.repeats)
    base_rev = timed(slot.generator, review_tokens, review_len, args.repeats)
    rows = [("trained slot", int(slot.manifest["architecture"]["parameters"]), base_fix, base_rev)]
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            generator, parameters = untrained(size, slot, Path(tmp), args.threads)
            rows.append((f"{size} {SIZES[size].layers}x{SIZES[size].hidden} untrained", parameters,
                         timed(generator, fix_tokens, fix_len, args.repeats),
                         timed(generator, review_tokens, review_len, args.repeats)))
    for name, parameters, fixes, reviews in rows:
        print(f"{name:<22} {parameters / 1e6:>6.1f}M {statistics.median(fixes):>8.1f} {percentile(fixes, 0.95):>8.1f} "
              f"{statistics.median(reviews):>8.1f} {percentile(reviews, 0.95):>8.1f} "
              f"{percentile(fixes, 0.95) / percentile(base_fix, 0.95):>5.2f}x "
              f"{percentile(reviews, 0.95) / percentile(base_rev, 0.95):>5.2f}x")
    print(f"budgets (generation share of): FIX p95 <= {FIX_P95_MS:.0f} ms, REVIEW p95 <= {REVIEW_P95_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
