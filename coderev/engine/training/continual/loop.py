"""The continual training loop: new samples (plus a replayed share of old ones), the methods'
hooks, and checkpoints that a killed run resumes from exactly.

The data order is a pure function of the seed and the epoch, the learning rate of the step
(warm-up, then a cosine over ``max_steps``), so a checkpoint needs only the model, the optimizer,
the RNG states, the position (epoch, batch, step) and the methods' states to continue as if
never stopped. ``seconds`` only stops a run early; it never changes what a step does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coderev.engine.training.train import batches, bfloat16_supported, collate, learning_rate

from .methods import Batch, Method

log = logging.getLogger("coderev.training")
Encoded = list[tuple[list[int], int]]
CHECKPOINT = "checkpoint.pt"


@dataclass
class LearnConfig:
    max_steps: int = 300
    seconds: float = 0.0  # stop early after this much training time (0: no limit)
    lr: float = 5e-4
    warmup: int = 20
    batch_tokens: int = 2048
    max_len: int = 1200
    seed: int = 1234
    threads: int = 2
    bfloat16: bool = True
    replay_share: float = 0.5  # share of each epoch's samples drawn from the old task
    fisher_batches: int = 16  # old-task batches for EWC's Fisher and SI's path
    checkpoint_minutes: float = 5.0
    checkpoint_steps: int = 0  # also every this many steps (0: by time only)


def epoch_order(n_new: int, n_old: int, epoch: int, *, cfg: LearnConfig, encoded: Encoded,
                replay: bool) -> list[list[int]]:
    """The batches of one epoch, as indices into ``encoded`` (the new samples, then the old
    pool): every new sample once and, with replay, old ones making ``replay_share`` of the epoch."""
    rng = random.Random(f"{cfg.seed}:epoch:{epoch}")  # noqa: S311 - reproducible order
    chosen = list(range(n_new))
    if replay and n_old and cfg.replay_share > 0:
        want = round(n_new * cfg.replay_share / (1 - cfg.replay_share))
        chosen += [n_new + rng.randrange(n_old) for _ in range(want)]
    sub = [encoded[k] for k in chosen]
    return [[chosen[k] for k in batch] for batch in batches(sub, cfg.batch_tokens, rng)]


def old_batches(old: Encoded, cfg: LearnConfig, pad_id: int) -> Callable[[], Iterable[Batch]]:
    """The first ``fisher_batches`` batches of ``old`` (the old pool, or the new data), in a fixed order."""
    def make() -> Iterable[Batch]:
        rng = random.Random(f"{cfg.seed}:old")  # noqa: S311 - reproducible
        for batch in batches(old, cfg.batch_tokens, rng)[: cfg.fisher_batches]:
            yield collate(old, batch, pad_id)
    return make


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Written whole or not at all: a kill mid-write leaves the previous checkpoint."""
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(path)


@dataclass
class _Position:
    epoch: int = 0
    batch: int = 0  # within the epoch's order
    step: int = 0
    seconds: float = 0.0
    loss_sum: float = 0.0
    finished: bool = False


def _restore(path: Path, model: Any, optimizer: Any, methods: list[Method], identity: str) -> _Position | None:
    """The position of the checkpoint at ``path``, with everything restored; None (nothing
    touched) when it is another run's (other method, data or settings)."""
    import torch

    saved = torch.load(path, weights_only=False)
    if saved.get("identity") != identity:
        log.warning("%s is another run's checkpoint (method, data or settings differ): starting afresh", path)
        return None
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    torch.set_rng_state(saved["torch_rng"])
    random.setstate(saved["python_rng"])
    for method, state in zip(methods, saved["methods"], strict=True):
        method.load(state)
    log.info("resumed at step %d (epoch %d, batch %d)", saved["position"]["step"], saved["position"]["epoch"],
             saved["position"]["batch"])
    return _Position(**saved["position"])


def _save(path: Path, model: Any, optimizer: Any, methods: list[Method], at: _Position, *, identity: str) -> None:
    import torch

    save_checkpoint(path, {"identity": identity, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                           "torch_rng": torch.get_rng_state(), "python_rng": random.getstate(),
                           "methods": [m.state() for m in methods], "position": asdict(at)})


def _step(model: Any, batch: Batch, methods: list[Method], optimizer: Any, bf16: bool) -> float:
    """One optimizer step with the methods' hooks; returns the task loss."""
    import torch

    ids, labels, mask = batch
    with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        loss = out.loss
        for method in methods:
            extra = method.penalty(model, batch, out.logits)
            if extra is not None:
                loss = loss + extra
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    for method in methods:
        method.after_backward(model)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    for method in methods:
        method.after_step(model)
    return float(out.loss.detach())


def learn(model: Any, new: Encoded, old: Encoded, methods: list[Method], *, replay: bool, cfg: LearnConfig,
          pad_id: int, work: Path, resume: bool = False, identity: str = "") -> dict[str, Any]:
    """Train ``model`` in place on ``new`` (checkpoints in ``work``); returns statistics. With
    ``resume``, a checkpoint there continues only if it was written under the same ``identity``
    (the caller's digest of method, data and settings)."""
    import torch

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    bf16 = cfg.bfloat16 and bfloat16_supported()
    encoded = new + old
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), weight_decay=0.01)
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = work / CHECKPOINT
    restored = _restore(checkpoint, model, optimizer, methods, identity) if resume and checkpoint.is_file() else None
    if restored is not None:
        at = restored
    else:
        at = _Position()
        for method in methods:
            method.prepare(model, old_batches(old, cfg, pad_id), old_batches(new, cfg, pad_id))
    model.train()
    start, last_save = time.monotonic() - at.seconds, time.monotonic()
    stopped = "max_steps"
    while at.step < cfg.max_steps and stopped == "max_steps":
        order = epoch_order(len(new), len(old), at.epoch, cfg=cfg, encoded=encoded, replay=replay)
        while at.batch < len(order) and at.step < cfg.max_steps:
            if cfg.seconds and time.monotonic() - start >= cfg.seconds:
                stopped = "seconds"
                break
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(cfg.lr, cfg.warmup, at.step, at.step / cfg.max_steps)
            at.loss_sum += _step(model, collate(encoded, order[at.batch], pad_id), methods, optimizer, bf16)
            at.step, at.batch = at.step + 1, at.batch + 1
            if (cfg.checkpoint_steps and at.step % cfg.checkpoint_steps == 0) or \
                    time.monotonic() - last_save >= 60 * cfg.checkpoint_minutes:
                at.seconds = time.monotonic() - start
                _save(checkpoint, model, optimizer, methods, at, identity=identity)
                last_save = time.monotonic()
        if at.batch >= len(order):
            at.epoch, at.batch = at.epoch + 1, 0
    if not at.finished:
        for method in methods:
            method.finish(model)
    at.finished, at.seconds = True, time.monotonic() - start
    model.eval()
    _save(checkpoint, model, optimizer, methods, at, identity=identity)
    return {"steps": at.step, "epochs": at.epoch, "stopped": stopped, "seconds": round(at.seconds, 1),
            "mean_task_loss": round(at.loss_sum / max(1, at.step), 4), "bfloat16_autocast": bf16}
