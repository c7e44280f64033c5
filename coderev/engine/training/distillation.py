"""Distillation: a fresh, smaller decoder (the student) trained to imitate a bigger one (the
teacher), for machines where the teacher is too slow (``coderev model distill``, docs/distillation.md).

The teacher is a slot (its INT8 weights read back to float32 by :mod:`.dequantize`) or a
transformers checkpoint with the slot tokenizer beside it. The student learns the default
model's synthetic training distribution (:func:`.data.generate`, split ``train``: FIX, REVIEW and
the negative FIX samples, as ``coderev model train`` does) with Hinton's loss on the answer tokens,
``(1 - alpha) * CE + alpha * T^2 * KL(teacher || student)``, in the continual loop
(:func:`.continual.loop.learn`: seeded data order, learning rate by step, atomic checkpoints,
``--resume``). Teacher and student are then measured on the same held-out samples (split ``test``)
and timed on the same FIX requests with the same threads; the figures go into the student's
manifest (``distillation``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coderev.analyzers.analysis import Analyzer
from coderev.analyzers.document import Document
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.languages import get_language
from coderev.analyzers.paramstyle import ParamStyle, param_style
from coderev.engine.model.manifest import read_manifest, sha256_file, write_manifest
from coderev.engine.training.continual.loop import LearnConfig
from coderev.engine.training.continual.methods import Batch, Method
from coderev.engine.training.data import generate, read_jsonl, write_jsonl
from coderev.engine.training.sample import Sample

log = logging.getLogger("coderev.training")
WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def distill_config(**changes: Any) -> LearnConfig:
    """The loop's settings for training a student from scratch (train.py's peak rate and warm-up)."""
    return LearnConfig(**{"max_steps": 3000, "lr": 2e-3, "warmup": 100, **changes})


@dataclass
class DistillRequest:
    teacher: Path  # a slot directory or a transformers checkpoint directory
    output: Path
    work: Path
    size: str = "tiny"  # train.SIZES
    alpha: float = 0.5  # 0: no teacher at all (plain training on the same data)
    temperature: float = 2.0
    config: LearnConfig = field(default_factory=distill_config)
    train_units: int = 6000  # synthetic training units (about 2.9 samples each)
    test_units: int = 300  # held-out units, for both models' figures
    speed_requests: int = 60  # held-out FIX requests timed one at a time on each model
    speed_threads: int = 1  # CTranslate2 intra threads while timing (the runtime's default)
    resume: bool = False
    cache: Path | None = None  # training data, teacher read-back and figures, shareable by runs (default: work)


@dataclass
class Teacher:
    label: str  # name@version of a slot, or the checkpoint's path
    model_sha256: str
    hf: Path  # float32 transformers checkpoint
    slot: Path  # an INT8 slot of the same model: what is evaluated and timed
    manifest: dict[str, Any]  # the slot fields the student inherits (prompt format, tasks, languages)
    architecture: dict[str, Any]


def student_tokenizer() -> Path:
    """The tokenizer the synthetic data and the prompt abstraction are built for: the default slot's."""
    from coderev.engine.model.slot import default_slot_path

    return default_slot_path() / "tokenizer.model"


def _same_tokenizer(found: Path | None, where: Path) -> None:
    expected = student_tokenizer()
    if found is None:
        raise CoderevError("SYS002", f"{where} has no tokenizer.model inside or beside it: word-level distillation "
                                     f"needs the teacher to share the student's tokenizer; copy {expected} there "
                                     "if the teacher was trained with it")
    if sha256_file(found) != sha256_file(expected):
        raise CoderevError("SYS002", f"the teacher's tokenizer ({found}) differs from the student's ({expected}): "
                                     "word-level distillation needs one vocabulary; give a teacher trained with "
                                     "the default slot's tokenizer")


def resolve_teacher(path: Path, work: Path) -> Teacher:
    """The teacher at ``path`` (slot or checkpoint) with its float32 and INT8 forms; SYS002 when it
    is neither, or its tokenizer is not the student's."""
    from coderev.engine.model.slot import default_slot_path
    from coderev.engine.training.dequantize import cached_slot_hf, read_model_bin, slot_architecture

    if not path.is_dir():
        raise CoderevError("SYS002", f"teacher {path} is not a directory: give a slot or a transformers checkpoint")
    if (path / "manifest.json").is_file() and (path / "model.bin").is_file():
        manifest = read_manifest(path)
        _same_tokenizer(path / "tokenizer.model" if (path / "tokenizer.model").is_file() else None, path)
        hf = cached_slot_hf(path, work / "teacher")
        _, variables, _ = read_model_bin(path / "model.bin")
        return Teacher(f"{manifest['name']}@{manifest['version']}", sha256_file(path / "model.bin"), hf, path,
                       manifest, slot_architecture(variables, manifest))
    weights = next((path / name for name in WEIGHTS if (path / name).is_file()), None)
    if not (path / "config.json").is_file() or weights is None:
        raise CoderevError("SYS002", f"teacher {path} is neither a slot (manifest.json, model.bin) nor a "
                                     f"transformers checkpoint (config.json and {' or '.join(WEIGHTS)})")
    tokenizer = next((p for p in (path / "tokenizer.model", path.parent / "tokenizer.model") if p.is_file()), None)
    _same_tokenizer(tokenizer, path)
    digest = sha256_file(weights)
    slot = work / f"teacher-slot-{digest[:16]}"
    manifest = {k: v for k, v in read_manifest(default_slot_path()).items() if k not in ("files", "metrics",
                                                                                          "training")}
    manifest |= {"name": path.name, "version": "checkpoint"}
    if not (slot / "manifest.json").is_file():
        _convert(path, slot, manifest)
    _, variables, _ = read_model_bin(slot / "model.bin")
    return Teacher(str(path), digest, path, slot, manifest, slot_architecture(variables, manifest))


def _convert(hf: Path, slot: Path, fields: dict[str, Any]) -> None:
    import sentencepiece as spm

    from coderev.engine.training.train import convert

    sp = spm.SentencePieceProcessor(model_file=str(student_tokenizer()))
    staging = slot.with_name(slot.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        convert(hf, sp, staging, "int8")
    except (ValueError, KeyError, OSError, NotImplementedError) as exc:
        raise CoderevError("SYS002", f"{hf} cannot be converted to a CTranslate2 decoder: {exc}") from exc
    shutil.copy2(student_tokenizer(), staging / "tokenizer.model")
    write_manifest(staging, fields)
    staging.rename(slot)


class Distill(Method):
    """The loop adds ``penalty`` to the task loss (the answers' cross-entropy): returning
    ``alpha * (T^2 KL - CE)`` makes the step's loss Hinton's ``(1 - alpha) CE + alpha T^2 KL``."""

    name = "distill"

    def __init__(self, teacher: Any, alpha: float, temperature: float) -> None:
        self.teacher, self.alpha, self.temperature = teacher, alpha, temperature
        if teacher is not None:
            teacher.eval()
            for p in teacher.parameters():
                p.requires_grad_(False)

    def penalty(self, model: Any, batch: Batch, logits: Any) -> Any:
        from .continual.distill import answer_cross_entropy, hinton_loss

        if self.alpha == 0 or self.teacher is None:
            return None
        full = hinton_loss(self.teacher, batch, logits, alpha=self.alpha, temperature=self.temperature)
        return full - answer_cross_entropy(batch, logits)


def training_samples(units: int, seed: int, cache: Path) -> list[Sample]:
    """``generate("train", units, seed)``, kept in ``cache`` (generating is slow)."""
    path = cache / "data" / f"train-{units}-{seed}.jsonl"
    if path.is_file():
        return read_jsonl(path)
    samples = list(generate("train", units, seed))
    write_jsonl(samples, path)
    return samples


def fix_speed(slots: dict[str, Path], samples: list[Sample], *, limit: int, threads: int) -> dict[str, Any]:
    """ms per FIX (prompt, generation at batch 1, parsing, verification) of each slot on the same
    held-out requests with the same threads, taking turns request by request so that a change of
    the machine's load falls on both alike."""
    from coderev.engine.model.slot import ModelSlot, finish_fix, fix_budget, prepare_fix

    analyzer = Analyzer()
    loaded = {name: ModelSlot(path, verify_hashes=False, compute_type="int8", intra_threads=threads)
              for name, path in slots.items()}
    times: dict[str, list[float]] = {name: [] for name in slots}
    cases = []
    for s in (s for s in samples if s.task == "fix" and not s.kind.startswith("negative:")):
        style = ParamStyle(s.style) if s.style else None
        with param_style(style):
            before = analyzer.analyze(Document(s.source, get_language(s.language)))
        finding = next((f for f in before if f.rule_id == s.rule_id and f.fix is not None
                        and prepare_fix(s.source, f, style).span == tuple(s.span)), None)
        if finding is not None:
            cases.append((s, style, finding, before))
        if len(cases) == limit:
            break
    for round_ in range(2):
        for s, style, finding, before in cases[:3] if round_ == 0 else cases:
            for name, slot in loaded.items():
                start = time.perf_counter()
                request = prepare_fix(s.source, finding, style)
                answer = slot.generate([request.prompt], fix_budget(len(slot.tokenizer.encode(request.prompt))))[0]
                finish_fix(request, answer, analyzer, before)
                if round_ == 1:  # round 0 warms up
                    times[name].append(1000 * (time.perf_counter() - start))
    return {name: {"requests": len(t), "ms_p50": round(statistics.median(t), 2) if t else None,
                   "ms_p95": round(sorted(t)[int(0.95 * (len(t) - 1))], 2) if t else None, "intra_threads": threads}
            for name, t in times.items()}


def quality(slot: Path, samples: list[Sample]) -> dict[str, Any]:
    from coderev.engine.model.slot import ModelSlot
    from coderev.engine.training.evaluate import evaluate

    m = evaluate(ModelSlot(slot, verify_hashes=False, compute_type="int8"), samples)
    return {k: m[k] for k in ("fix_n", "fix_verified_rate", "fix_verified_and_exact", "negatives_n",
                              "negatives_unchanged", "review_n", "review_precision", "review_recall")}


@dataclass
class _Trained:
    stats: dict[str, Any]
    parameters: int
    identity: str  # digest of what a step depends on: size, loss, settings, teacher, data
    samples: int
    data_sha256: str


def _train(request: DistillRequest, teacher: Teacher, sp: Any, train: list[Sample]) -> _Trained:
    """Train the student; its float32 checkpoint lands in ``<work>/hf``."""
    import torch
    from transformers import LlamaForCausalLM

    from coderev.engine.training.train import SIZES, build_model, encode_samples

    from .continual.loop import learn

    cfg = request.config
    encoded = encode_samples(train, sp, cfg.max_len)
    torch.manual_seed(cfg.seed)
    student = build_model(sp.get_piece_size(), sp, SIZES[request.size])
    parameters = sum(p.numel() for p in student.parameters())
    teacher_model = LlamaForCausalLM.from_pretrained(str(teacher.hf)) if request.alpha > 0 else None
    settings = {k: v for k, v in asdict(cfg).items() if k not in ("seconds", "checkpoint_minutes", "checkpoint_steps")}
    data_digest = hashlib.sha256("".join(s.prompt + s.answer for s in train).encode()).hexdigest()
    identity = hashlib.sha256(repr([request.size, request.alpha, request.temperature, settings,
                                    teacher.model_sha256, data_digest]).encode()).hexdigest()
    log.info("distilling %s into a %s student (%d parameters) on %d samples", teacher.label, request.size,
             parameters, len(encoded))
    stats = learn(student, encoded, [], [Distill(teacher_model, request.alpha, request.temperature)], replay=False,
                  cfg=cfg, pad_id=sp.eos_id(), work=request.work, resume=request.resume, identity=identity)
    student.save_pretrained(str(request.work / "hf"), safe_serialization=True)
    shutil.copy2(student_tokenizer(), request.work / "tokenizer.model")
    return _Trained(stats, parameters, identity, len(encoded), data_digest)


def _write_slot(request: DistillRequest, teacher: Teacher, sp: Any, trained: _Trained) -> dict[str, Any]:
    """The student as an INT8 slot in ``request.output``, with the teacher's slot fields; its manifest fields."""
    from coderev.engine.training.train import SIZES, convert

    output = request.output
    if output.exists():
        shutil.rmtree(output)
    convert(request.work / "hf", sp, output, "int8")
    shutil.copy2(student_tokenizer(), output / "tokenizer.model")
    fields = {k: v for k, v in teacher.manifest.items() if k not in ("files", "metrics", "training", "continual",
                                                                       "distillation")}
    fields["name"] = f"{teacher.manifest['name']}-{request.size}"
    fields["version"] = f"{teacher.manifest['version']}+distill.{request.size}.{trained.identity[:8]}"
    fields["architecture"] = {"family": "llama-decoder", **asdict(SIZES[request.size]),
                              "vocab_size": sp.get_piece_size(), "parameters": trained.parameters,
                              "tied_embeddings": True}
    write_manifest(output, fields)  # the slot loads (and is evaluated) from here on
    return fields


def _measure(request: DistillRequest, teacher: Teacher, cache: Path) -> dict[str, Any]:
    """Teacher and student on the same held-out samples, and timed on the same FIX requests."""
    seed, output = request.config.seed, request.output
    test = list(generate("test", request.test_units, seed))
    figures = cache / "eval-cache" / f"teacher-{teacher.model_sha256[:16]}-{seed}-{request.test_units}.json"
    if not figures.is_file():  # the teacher's figures do not change from one student to the next
        figures.parent.mkdir(parents=True, exist_ok=True)
        figures.write_text(json.dumps(quality(teacher.slot, test)) + "\n", encoding="utf-8")
    teacher_quality = json.loads(figures.read_text(encoding="utf-8"))
    student_quality = quality(output, test)
    speed = fix_speed({"teacher": teacher.slot, "student": output}, test, limit=request.speed_requests,
                      threads=request.speed_threads)
    teacher_ms, student_ms = speed["teacher"]["ms_p50"], speed["student"]["ms_p50"]
    return {
        "held_out": {"split": "test", "units": request.test_units, "seed": seed},
        "quality": {"teacher": teacher_quality, "student": student_quality},
        "fix_exact_drop_points": round(100 * (teacher_quality["fix_verified_and_exact"]
                                              - student_quality["fix_verified_and_exact"]), 2),
        "speed": speed,
        "speedup_p50": round(teacher_ms / student_ms, 2) if teacher_ms and student_ms else None,
        "slot_bytes": {"teacher": (teacher.slot / "model.bin").stat().st_size,
                       "student": (output / "model.bin").stat().st_size},
    }


def run_distill(request: DistillRequest) -> dict[str, Any]:
    """Train the student, write it as an INT8 slot in ``request.output``, measure it against the
    teacher; returns its manifest (figures under ``distillation``)."""
    import sentencepiece as spm

    from coderev.engine.training.train import SIZES

    if request.size not in SIZES:
        raise CoderevError("SYS002", f"unknown student size {request.size!r} (known: {', '.join(SIZES)})")
    if not 0 <= request.alpha <= 1 or request.temperature <= 0:
        raise CoderevError("SYS002", "--alpha must lie in [0, 1] and --temperature be positive")
    started = time.monotonic()
    cache = request.cache or request.work
    request.work.mkdir(parents=True, exist_ok=True)
    teacher = resolve_teacher(request.teacher, cache)
    sp = spm.SentencePieceProcessor(model_file=str(student_tokenizer()))
    if teacher.architecture["vocab"] != sp.get_piece_size():
        raise CoderevError("SYS002", f"the teacher's vocabulary ({teacher.architecture['vocab']} words) is not the "
                                     f"tokenizer's ({sp.get_piece_size()})")
    trained = _train(request, teacher, sp, training_samples(request.train_units, request.config.seed, cache))
    fields = _write_slot(request, teacher, sp, trained)
    fields["distillation"] = {
        "teacher": teacher.label, "teacher_path": str(request.teacher), "teacher_model_sha256": teacher.model_sha256,
        "teacher_architecture": teacher.architecture, "student_size": request.size, "alpha": request.alpha,
        "temperature": request.temperature, "train_units": request.train_units, "train_samples": trained.samples,
        "train_data_sha256": trained.data_sha256, "config": asdict(request.config), "stats": trained.stats,
        **_measure(request, teacher, cache), "total_seconds": round(time.monotonic() - started, 1),
    }
    return write_manifest(request.output, fields)
