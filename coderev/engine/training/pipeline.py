"""``coderev model train``: data -> tokenizer -> model -> CTranslate2 INT8 (+ float32) -> eval -> slot.

The slot directory gets ``model.bin``, CTranslate2's ``config.json`` and ``vocabulary.json``,
``tokenizer.model`` and ``manifest.json``. The float32 conversion and the data stay in the work
directory (``build/model-work/<slot name>`` by default, git-ignored), used for the INT8-vs-float32
comparison and the benchmark.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coderev.engine.model import prompt as fmt
from coderev.engine.model.manifest import write_manifest
from coderev.engine.training.data import GENERATORS, generate, write_jsonl
from coderev.engine.training.sample import Sample
from coderev.engine.training.train import ModelConfig, TrainConfig

log = logging.getLogger("coderev.training")


@dataclass
class PipelineConfig:
    name: str = "coderev-default"
    version: str = "1.4.0"
    seed: int = 1234
    n_train: int = 60000  # units rendered for training (each gives about two samples)
    n_test: int = 1500
    vocab_size: int = 2000
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    resume: bool = False  # continue from the checkpoint and tokenizer in the work directory
    real_code: Path | None = None  # a corpus fetched by `coderev model corpus`: real functions join the data
    n_real_train: int = 8000  # real functions drawn from the training packages
    n_real_test: int = 600  # real functions drawn from the held-out packages


def quick_config(seconds: float = 60.0) -> PipelineConfig:
    """A miniature run (CI-sized): a tiny model trained for a few steps."""
    return PipelineConfig(
        name="coderev-mini", n_train=500, n_test=60, vocab_size=600,
        model=ModelConfig(layers=2, hidden=64, heads=2, intermediate=128, max_positions=1280),
        train=TrainConfig(seconds=seconds, max_steps=25, batch_tokens=4096, warmup=5),
    )


def _languages(language: str) -> tuple[str, ...]:
    """The analyzer languages a generator's data covers (TypeScript shapes come with JavaScript)."""
    return ("javascript", "typescript") if language == "javascript" else (language,)


def default_work_dir(slot: Path) -> Path:
    """Where a slot's data, float32 model and transformers checkpoint go (not shipped)."""
    return Path.cwd() / "build" / "model-work" / slot.resolve().name


def build_data(config: PipelineConfig) -> tuple[list[Sample], list[Sample]]:
    train = list(generate("train", config.n_train, config.seed))
    test = list(generate("test", config.n_test, config.seed))
    if config.real_code is not None:
        from coderev.engine.training.realdata import draw, samples

        units = draw(config.real_code, "train", config.n_real_train, config.seed)
        train += samples(units, "train", config.seed)
    return train, test


def real_test_data(config: PipelineConfig) -> list[Sample]:
    """The held-out real-code samples (none without a corpus)."""
    if config.real_code is None:
        return []
    from coderev.engine.training.realdata import real_test_samples

    return real_test_samples(config.real_code, config.n_real_test, config.seed)


def run(
    config: PipelineConfig, output: Path, work: Path | None = None, *, evaluate_float32: bool = True
) -> dict[str, Any]:
    """Build a slot in ``output``; returns its manifest."""
    import sentencepiece as spm

    from coderev.engine.training import train as training
    from coderev.engine.training.tokenizer import train_tokenizer

    started = time.monotonic()
    work = work or default_work_dir(output)
    work.mkdir(parents=True, exist_ok=True)
    train_samples, test_samples = build_data(config)
    train_digest = write_jsonl(train_samples, work / "data" / "train.jsonl")
    test_digest = write_jsonl(test_samples, work / "data" / "test.jsonl")
    log.info("data: %d train samples, %d held-out samples", len(train_samples), len(test_samples))

    tokenizer_path = work / "tokenizer.model"
    hf_dir = work / "hf"
    previous: list[Any] = []
    resume = config.resume and hf_dir.is_dir() and tokenizer_path.is_file()
    if not resume:
        (work / "train.log").unlink(missing_ok=True)
        train_tokenizer((s.prompt + s.answer for s in train_samples), tokenizer_path, config.vocab_size)
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer_path))

    encoded = training.encode_samples(train_samples, sp, config.train.max_len)
    if resume:
        from transformers import LlamaForCausalLM

        model = LlamaForCausalLM.from_pretrained(str(hf_dir))
        record = work / "training.json"
        old = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else []
        previous = old if isinstance(old, list) else []
        log.info("resuming from %s after %d earlier run(s)", hf_dir, len(previous))
    else:
        model = training.build_model(sp.get_piece_size(), sp, config.model)
    parameters = sum(p.numel() for p in model.parameters())
    stats = training.train(encoded, model, config.train, sp.eos_id(), work / "train.log")
    runs = [*previous, stats]
    (work / "training.json").write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    model.save_pretrained(str(hf_dir), safe_serialization=True)

    training.convert(hf_dir, sp, work / "ct2-int8", "int8")
    training.convert(hf_dir, sp, work / "ct2-float32", "float32")
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    for path in (work / "ct2-int8").iterdir():
        shutil.copy2(path, output / path.name)
    shutil.copy2(tokenizer_path, output / "tokenizer.model")

    fields: dict[str, Any] = {
        "name": config.name,
        "version": config.version,
        "architecture": {"family": "llama-decoder", "layers": config.model.layers, "hidden": config.model.hidden,
                         "heads": config.model.heads, "intermediate": config.model.intermediate,
                         "vocab_size": sp.get_piece_size(), "parameters": parameters, "tied_embeddings": True},
        "prompt_format": fmt.FORMAT_NAME,
        "tasks": ["fix", "review"],
        "review_windows": "statement",
        "languages": sorted({lang for module, _, _ in GENERATORS for lang in _languages(module.LANGUAGE)}),
        "review_languages": sorted(module.LANGUAGE for module, _, review in GENERATORS if review),
        "fix_region": "smallest syntax node covering the finding and its fix edits (coderev.engine.model.region)",
        "quantization": "int8",
        "placeholders": "ID<n>/STR<n> (coderev.engine.model.placeholders)",
        "training": {"seed": config.seed, "n_train": config.n_train, "n_test": config.n_test,
                     "train_samples": len(train_samples), "test_samples": len(test_samples),
                     "train_data_sha256": train_digest, "test_data_sha256": test_digest,
                     "config": {"model": asdict(config.model), "train": asdict(config.train)},
                     "stats": stats, "runs": runs, "machine": platform.machine(), "python": platform.python_version()},
    }
    write_manifest(output, fields)
    metrics = _evaluate(output, work, test_samples, evaluate_float32)
    _evaluate_real_code(config, output, metrics, fields)
    fields["metrics"] = metrics
    fields["training"]["total_seconds"] = round(time.monotonic() - started, 1)
    manifest = write_manifest(output, fields)
    (work / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return manifest


def _evaluate_real_code(config: PipelineConfig, slot_dir: Path, metrics: dict[str, Any],
                        fields: dict[str, Any]) -> None:
    """With a corpus: the held-out real-code metrics, and the corpus record in the manifest."""
    real_test = real_test_data(config)
    if not real_test or config.real_code is None:
        return
    from coderev.engine.model.slot import ModelSlot
    from coderev.engine.training.evaluate import evaluate

    metrics["real_code"] = evaluate(ModelSlot(slot_dir, verify_hashes=False, compute_type="int8"), real_test)
    record = config.real_code / "corpus.json"
    fields["training"]["real_code"] = {
        "corpus": json.loads(record.read_text(encoding="utf-8")) if record.is_file() else [],
        "n_real_train": config.n_real_train, "n_real_test": config.n_real_test,
    }


def _evaluate(slot_dir: Path, work: Path, test: list[Sample], evaluate_float32: bool) -> dict[str, Any]:
    from coderev.engine.model.slot import ModelSlot
    from coderev.engine.training.evaluate import evaluate

    int8 = evaluate(ModelSlot(slot_dir, verify_hashes=False, compute_type="int8"), test)
    metrics: dict[str, Any] = {"held_out": "identifiers, statement wrappers, argument expressions, call layouts, "
                                           "filler statements and context shapes unseen in training",
                               "int8": int8}
    if evaluate_float32:
        f32 = evaluate(ModelSlot(slot_dir, verify_hashes=False, compute_type="float32",
                                 model_dir=str(work / "ct2-float32")), test)
        metrics["float32"] = f32
        metrics["int8_minus_float32_points"] = round(
            100 * (int8["fix_verified_and_exact"] - f32["fix_verified_and_exact"]), 2)
    return metrics
