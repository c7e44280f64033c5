"""A candidate slot from new data: train with a continual method, convert, evaluate the old and
the new tasks, write the figures into its manifest, install it as V1 (experimental).

The old task (T0) is the shipped fix kinds' held-out synthetic data (:func:`..data.generate`,
split ``test``); replay draws from the training split. The new task is the new data, split into
training and held-out parts (rules: training identifiers and held-out identifiers). From V1 the
engine's shadow traffic and SLO policy promote the candidate or not (docs/slo.md).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.errors import CoderevError
from coderev.engine.model.manifest import read_manifest, sha256_file, write_manifest
from coderev.engine.training.data import generate, read_jsonl, write_jsonl
from coderev.engine.training.sample import Sample

from .loop import LearnConfig
from .packnet import MASKS

LEARNED = "learned.jsonl"  # in a candidate slot: the samples it and its bases were taught
LEARNED_CAP = 2000

log = logging.getLogger("coderev.training")


@dataclass
class LearnRequest:
    method: str
    base_slot: Path
    output: Path
    work: Path
    # the base slot's float32 transformers checkpoint (same tokenizer); None: read back from the
    # slot's own weights (coderev.engine.training.dequantize), cached in the work directory
    base_hf: Path | None = None
    data: list[Path] = field(default_factory=list)
    pairs: list[Path] = field(default_factory=list)
    rules: Path | None = None
    negatives: list[Path] = field(default_factory=list)  # rejected AI fixes (negatives.jsonl): unlikelihood
    config: LearnConfig = field(default_factory=LearnConfig)
    resume: bool = False
    old_test_units: int = 400  # T0 held-out units (about one FIX sample each)
    replay_units: int = 400  # training units the replay pool and the Fisher/SI batches come from
    rule_variants: int = 10  # renamed variants of each bad example of a rule
    new_test_share: float = 0.2  # of --data/--pairs samples, held out for the new-task figure
    strengths: dict[str, float] = field(default_factory=dict)  # ewc, si, lwf, packnet_free, packnet_keep
    evaluate_old: bool = True  # False: no T0 figures (a caller that evaluates only at the end of a sequence)


def _fix_only(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if s.task == "fix"]


def new_samples(request: LearnRequest, analyzer: Analyzer,
                extra: list[Sample] | None = None) -> tuple[list[Sample], list[Sample]]:
    """(training, held-out) samples of the new task; ``extra`` joins the training ones."""
    from .sources import from_pairs, from_rules

    given = [s for path in request.data for s in _fix_only(read_jsonl(path))]
    given += [s for path in request.pairs for s in from_pairs(path, analyzer)]
    random.Random(f"{request.config.seed}:new").shuffle(given)  # noqa: S311 - reproducible split
    cut = round(len(given) * request.new_test_share) if len(given) > 1 else 0
    train, test = given[cut:], given[:cut]
    if request.rules is not None:
        seed, n = request.config.seed, request.rule_variants
        train += from_rules(request.rules, "train", n, seed)
        test += from_rules(request.rules, "test", max(1, n // 2), seed)
    train += extra or []
    if not train:
        raise CoderevError("SYS002", "no new training samples: the data, pairs, rules or rejected fixes gave no "
                                     "verified FIX pair")
    return train, test


def check_tokenizer(base_slot: Path, base_hf: Path, manifest: dict[str, Any]) -> None:
    """The checkpoint must be the slot's model: same tokenizer file next to it, as the manifest records."""
    recorded = manifest.get("files", {}).get("tokenizer.model")
    slot_hash = sha256_file(base_slot / "tokenizer.model")
    beside = base_hf.parent / "tokenizer.model"
    if recorded != slot_hash or (beside.is_file() and sha256_file(beside) != slot_hash):
        raise CoderevError("SYS002", f"{base_hf} does not go with {base_slot}: their tokenizers differ")
    if not (base_hf / "config.json").is_file():
        raise CoderevError("SYS002", f"{base_hf} is not a transformers checkpoint (no config.json)")


def evaluate_slot(slot_dir: Path, samples: list[Sample], analyzer: Analyzer) -> dict[str, Any]:
    from coderev.engine.model.slot import ModelSlot
    from coderev.engine.training.evaluate import evaluate

    m = evaluate(ModelSlot(slot_dir, verify_hashes=False, compute_type="int8"), samples, analyzer)
    return {"fix_n": m["fix_n"], "fix_verified_rate": m["fix_verified_rate"],
            "fix_verified_and_exact": m["fix_verified_and_exact"], "fix": m["fix"],
            "negatives_unchanged": m["negatives_unchanged"]}


def cached_figures(work: Path, key: str, compute: Any) -> dict[str, Any]:
    path = work / "eval-cache" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    if path.is_file():
        cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cached
    value: dict[str, Any] = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    return value


def run_learn(request: LearnRequest) -> dict[str, Any]:
    """Build the candidate slot in ``request.output``; returns its manifest."""
    import sentencepiece as spm
    from transformers import LlamaForCausalLM

    from coderev.engine.training.train import convert, encode_samples

    from .loop import learn
    from .sources import analyzer_for

    started = time.monotonic()
    base = read_manifest(request.base_slot)
    work, cfg = request.work, request.config
    work.mkdir(parents=True, exist_ok=True)
    base_hf = _base_checkpoint(request, base)
    analyzer = analyzer_for(request.rules)
    rejected = _rejected(request, analyzer)
    # a rejected fix's finding with a rule fix: that fix is the right answer to the same prompt
    new_train, new_test = new_samples(request, analyzer, [good for _, good in rejected if good is not None])
    old_test, old_pool, earlier_test = _old_data(request)
    sp = spm.SentencePieceProcessor(model_file=str(request.base_slot / "tokenizer.model"))
    model = LlamaForCausalLM.from_pretrained(str(base_hf))
    s = request.strengths
    masks = _base_masks(request, model)
    replay, methods = _methods(request, model, masks)
    methods += _unlikelihood(rejected, sp, cfg.max_len, s.get("unlikelihood", 1.0))
    new_enc = encode_samples(new_train, sp, cfg.max_len)
    old_enc = encode_samples(old_pool, sp, cfg.max_len)
    # what a step depends on; a time budget or checkpoint interval may change between a run and its resume
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("seconds", "checkpoint_minutes", "checkpoint_steps")}
    identity = hashlib.sha256(json.dumps([request.method, settings, s, base["files"]["model.bin"],
                                          base["files"].get(MASKS), new_enc, old_enc,
                                          [x.prompt + x.answer for x, _ in rejected]]).encode()).hexdigest()
    stats = learn(model, new_enc, old_enc, methods, replay=replay, cfg=cfg, pad_id=sp.eos_id(), work=work,
                  resume=request.resume, identity=identity)
    extra = sum(m.extra_bytes() for m in methods)
    model.save_pretrained(str(work / "hf"), safe_serialization=True)
    shutil.copy2(request.base_slot / "tokenizer.model", work / "tokenizer.model")

    output = request.output
    if output.exists():
        shutil.rmtree(output)
    convert(work / "hf", sp, output, "int8")
    shutil.copy2(request.base_slot / "tokenizer.model", output / "tokenizer.model")
    packnet = _packnet_record(methods, output, from_base=bool(masks))
    digest = hashlib.sha256("".join(x.prompt + x.answer for x in new_train).encode()).hexdigest()
    fields = {k: v for k, v in base.items() if k not in ("files", "metrics")}
    fields["version"] = f"{base['version']}+{request.method.replace('+', '.')}.{digest[:8]}"
    write_manifest(output, fields)  # the slot loads (and is evaluated) from here on
    base_key = f"{base['files']['model.bin']}:{cfg.seed}:{request.old_test_units}"
    base_old = cached_figures(work, "old:" + base_key, lambda: evaluate_slot(request.base_slot, old_test, analyzer)) \
        if request.evaluate_old else None
    new_key = f"{base['files']['model.bin']}:new:" + "".join(x.prompt for x in new_test)
    base_new = cached_figures(work, new_key, lambda: evaluate_slot(request.base_slot, new_test, analyzer))
    old = evaluate_slot(output, old_test, analyzer) if request.evaluate_old else None
    new = evaluate_slot(output, new_test, analyzer) if new_test else None
    fields["continual"] = {
        "method": request.method, "base_slot": f"{base['name']}@{base['version']}",
        "base_model_sha256": base["files"]["model.bin"], "new_train_samples": len(new_train),
        "new_test_samples": len(new_test), "new_data_sha256": digest, "replay_pool_samples": len(old_pool),
        "old_test_samples": len(old_test), "config": asdict(cfg), "strengths": dict(s), "stats": stats,
        "method_extra_bytes": extra, "old_task": {"base": base_old, "candidate": old},
        "new_task": {"base": base_new, "candidate": new},
        "old_drop_points": None if base_old is None or old is None else
        round(100 * (base_old["fix_verified_and_exact"] - old["fix_verified_and_exact"]), 2),
        "rejected_fixes": _rejected_figures(rejected, request.base_slot, output, analyzer, s.get("unlikelihood", 1.0)),
        "earlier_tasks": _carry_learned(request.base_slot, output, earlier_test, new_train, new_test,
                                        analyzer=analyzer),
        "total_seconds": round(time.monotonic() - started, 1),
    }
    if packnet is not None:
        fields["continual"]["packnet"] = packnet
    return write_manifest(output, fields)


def _learned(slot: Path) -> tuple[list[Sample], list[Sample]]:
    """What earlier learn runs taught ``slot`` (its ``learned.jsonl``): training and held-out samples."""
    path = slot / LEARNED
    samples = read_jsonl(path) if path.is_file() else []
    return [x for x in samples if x.split != "test"], [x for x in samples if x.split == "test"]


def _old_data(request: LearnRequest) -> tuple[list[Sample], list[Sample], list[Sample]]:
    """T0's held-out samples, the replay pool (T0's training split and what earlier runs taught the
    base: a second run must not forget the first one's task) and the earlier tasks' held-out samples."""
    cfg = request.config
    earlier_train, earlier_test = _learned(request.base_slot)
    old_test = _fix_only(list(generate("test", request.old_test_units, cfg.seed))) if request.evaluate_old else []
    return old_test, _fix_only(list(generate("train", request.replay_units, cfg.seed))) + earlier_train, earlier_test


def _carry_learned(base: Path, output: Path, earlier_test: list[Sample], new_train: list[Sample],
                   new_test: list[Sample], *, analyzer: Any) -> dict[str, Any] | None:
    """Write the candidate's ``learned.jsonl`` (the base's plus this run's samples, the newest
    ``LEARNED_CAP``, held-out ones marked ``test``) for the next run to replay, and return base and
    candidate figures on the earlier runs' held-out samples (None on a first run)."""
    earlier_train, _ = _learned(base)
    train = (earlier_train + new_train)[-LEARNED_CAP:]
    test = (earlier_test + [dataclasses.replace(x, split="test") for x in new_test])[-LEARNED_CAP // 4:]
    write_jsonl(train + test, output / LEARNED)
    if not earlier_test:
        return None
    return {"samples": len(earlier_test), "base": evaluate_slot(base, earlier_test, analyzer),
            "candidate": evaluate_slot(output, earlier_test, analyzer)}


def _unlikelihood(rejected: list[tuple[Sample, Sample | None]], sp: Any, max_len: int, weight: float) -> list[Any]:
    if not rejected:
        return []
    from .unlikelihood import Unlikelihood, to_negatives

    negatives = to_negatives([(x, good.answer if good else None) for x, good in rejected], sp, max_len)
    return [Unlikelihood(negatives, sp.eos_id(), weight=weight)]


def _rejected_figures(rejected: list[tuple[Sample, Sample | None]], base: Path, candidate: Path, analyzer: Any,
                      weight: float) -> dict[str, Any] | None:
    """How often each slot still writes the fix the user turned down (lower is better); None without any."""
    if not rejected:
        return None
    samples = [x for x, _ in rejected]
    return {"n": len(samples), "unlikelihood_weight": weight,
            **{f"{name}_still_writes": evaluate_slot(slot, samples, analyzer)["fix_verified_and_exact"]
               for name, slot in (("base", base), ("candidate", candidate))}}


def _rejected(request: LearnRequest, analyzer: Any) -> list[tuple[Sample, Sample | None]]:
    from .unlikelihood import rejected_samples

    return [item for path in request.negatives for item in rejected_samples(path, analyzer)]


def _base_checkpoint(request: LearnRequest, base: dict[str, Any]) -> Path:
    """The base's float32 checkpoint: the one given, or the slot's own weights read back (cached)."""
    from coderev.engine.training.dequantize import cached_slot_hf

    if request.base_hf is None:
        return cached_slot_hf(request.base_slot, request.work / "base")
    check_tokenizer(request.base_slot, request.base_hf, base)
    return request.base_hf


def _methods(request: LearnRequest, model: Any, masks: dict[str, Any]) -> tuple[bool, list[Any]]:
    from .methods import build

    s = request.strengths
    teacher = copy.deepcopy(model) if "lwf" in request.method.split("+") else None
    return build(request.method, teacher=teacher, ewc_strength=s.get("ewc", 1.0), si_strength=s.get("si", 1.0),
                 lwf_alpha=s.get("lwf", 1.0), packnet_free=s.get("packnet_free", 0.5),
                 packnet_keep=s.get("packnet_keep", 0.5), packnet_masks=masks)


def _base_masks(request: LearnRequest, model: Any) -> dict[str, Any]:
    """PackNet's masks the base slot carries (a previous PackNet run's), checked against the model."""
    from .packnet import load_masks

    if "packnet" not in request.method.split("+"):
        return {}
    masks = load_masks(request.base_slot)
    params = {n: tuple(p.shape) for n, p in model.named_parameters() if p.requires_grad}
    if masks and {n: tuple(t.shape) for n, t in masks.items()} != params:
        raise CoderevError("SYS002", f"{request.base_slot / MASKS} does not fit the slot's model (other weights)")
    return masks


def _packnet_record(methods: list[Any], output: Path, *, from_base: bool) -> dict[str, Any] | None:
    """PackNet's masks into the candidate slot (before its manifest hashes its files), and their summary."""
    from .packnet import PackNet, save_masks

    packnet = next((m for m in methods if isinstance(m, PackNet)), None)
    if packnet is None:
        return None
    save_masks(packnet, output)
    return {"masks": MASKS, "task": packnet.task, "masks_from_base": from_base, "criterion": packnet.criterion,
            "ownership": packnet.ownership(), "trained_fisher_share": round(packnet.freed_fisher_share, 6)}


def install_candidate(slot_dir: Path, store_root: Path | None, reason: str) -> str:
    """Install the candidate as V1 (experimental), ``reason`` in the slot history; returns its slot id."""
    from coderev.engine.slots.store import SlotStore

    installed = SlotStore(store_root).install(slot_dir, "V1", reason=reason)
    return installed.id
