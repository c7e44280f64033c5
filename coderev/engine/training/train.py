"""Training the decoder with torch/transformers and converting it to CTranslate2.

A Llama-style decoder (RMSNorm, SwiGLU, rotary positions, tied embeddings) learns
``<s> prompt answer </s>`` with the loss on the answer only. Batches are grouped by length
under a token budget; the learning rate warms up and then follows a cosine over the time
budget (or the step budget when one is given). Everything is seeded.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("coderev.training")


@dataclass
class ModelConfig:
    layers: int = 4
    hidden: int = 192
    heads: int = 3
    intermediate: int = 512
    max_positions: int = 1280


# The decoder sizes `coderev model train --size` offers (head width 64 throughout), for the
# quality/speed curve in docs/model.md: small is the shipped default (2.2M parameters with the
# tied 2,000-word embedding), medium about 5.6M, large about 14M; tiny (about 0.7M) is the
# student size of `coderev model distill` (docs/distillation.md).
SIZES = {
    "tiny": ModelConfig(layers=2, hidden=128, heads=2, intermediate=384),
    "small": ModelConfig(),
    "medium": ModelConfig(layers=6, hidden=256, heads=4, intermediate=768),
    "large": ModelConfig(layers=8, hidden=384, heads=6, intermediate=1024),
}


@dataclass
class TrainConfig:
    seconds: float = 600.0
    max_steps: int = 0  # 0: until the time budget is spent
    lr: float = 2e-3
    warmup: int = 100
    batch_tokens: int = 2048
    max_len: int = 1200
    seed: int = 1234
    threads: int = 2
    bfloat16: bool = True  # autocast matmuls to bfloat16 where the CPU has native support (weights stay float32)


def encode_samples(samples: list[Any], sp: Any, max_len: int) -> list[tuple[list[int], int]]:
    """(token ids, prompt length) per sample; samples longer than ``max_len`` are dropped."""
    out = []
    for s in samples:
        prompt = [sp.bos_id(), *sp.encode(s.prompt)]
        ids = prompt + sp.encode(s.answer) + [sp.eos_id()]
        if len(ids) <= max_len:
            out.append((ids, len(prompt)))
    return out


def batches(encoded: list[tuple[list[int], int]], batch_tokens: int, rng: random.Random) -> list[list[int]]:
    order = list(range(len(encoded)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    chunk = 2048
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda k: len(encoded[k][0]))
        current: list[int] = []
        longest = 0
        for k in part:
            longest2 = max(longest, len(encoded[k][0]))
            if current and longest2 * (len(current) + 1) > batch_tokens:
                batches.append(current)
                current, longest2 = [], len(encoded[k][0])
            current.append(k)
            longest = longest2
        if current:
            batches.append(current)
    rng.shuffle(batches)
    return batches


def learning_rate(peak: float, warmup: int, step: int, progress: float) -> float:
    """Linear warm-up over ``warmup`` steps, then a cosine down to 5% of ``peak`` at ``progress`` 1."""
    return peak * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def collate(encoded: list[tuple[list[int], int]], batch: list[int], pad_id: int) -> tuple[Any, Any, Any]:
    """(input ids, labels with the prompt masked out, attention mask) of one batch, padded."""
    import torch

    width = max(len(encoded[k][0]) for k in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, k in enumerate(batch):
        seq, prompt_len = encoded[k]
        ids[row, : len(seq)] = torch.tensor(seq)
        labels[row, prompt_len : len(seq)] = torch.tensor(seq[prompt_len:])
        mask[row, : len(seq)] = 1
    return ids, labels, mask


def build_model(vocab_size: int, sp: Any, config: ModelConfig) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    hf = LlamaConfig(  # type: ignore[no-untyped-call]
        vocab_size=vocab_size, hidden_size=config.hidden, intermediate_size=config.intermediate,
        num_hidden_layers=config.layers, num_attention_heads=config.heads, num_key_value_heads=config.heads,
        max_position_embeddings=config.max_positions, rms_norm_eps=1e-5, tie_word_embeddings=True,
        bos_token_id=sp.bos_id(), eos_token_id=sp.eos_id(), pad_token_id=sp.eos_id(), rope_theta=10000.0,
    )
    return LlamaForCausalLM(hf)  # type: ignore[no-untyped-call]


def bfloat16_supported() -> bool:
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def train(encoded: list[tuple[list[int], int]], model: Any, cfg: TrainConfig, pad_id: int,
          log_path: Path | None = None) -> dict[str, float]:
    """Train in place; returns training statistics. With ``log_path``, progress lines (step,
    loss, learning rate) are appended there as well as logged, to follow a long run."""
    import contextlib

    import torch

    torch.manual_seed(cfg.seed)
    bf16 = cfg.bfloat16 and bfloat16_supported()
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)  # noqa: S311 - reproducible batching
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.98), weight_decay=0.01)
    start = time.monotonic()
    step, epoch, tokens = 0, 0, 0
    recent: list[float] = []
    done = False
    while not done:
        epoch += 1
        for batch in batches(encoded, cfg.batch_tokens, rng):
            elapsed = time.monotonic() - start
            progress = step / cfg.max_steps if cfg.max_steps else elapsed / cfg.seconds
            if progress >= 1.0:
                done = True
                break
            lr = learning_rate(cfg.lr, cfg.warmup, step, progress)
            for group in optimizer.param_groups:
                group["lr"] = lr
            ids, labels, mask = collate(encoded, batch, pad_id)
            autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
            with autocast:
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            tokens += int(mask.sum())
            recent = [*recent[-49:], float(loss.detach())]
            if step % 100 == 0:
                line = f"step {step} epoch {epoch} loss {sum(recent) / len(recent):.4f} lr {lr:.5f} {elapsed:.0f}s"
                log.info(line)
                if log_path is not None:
                    with log_path.open("a", encoding="utf-8") as handle:
                        handle.write(line + "\n")
    model.eval()
    return {"steps": step, "epochs": epoch, "tokens": tokens, "seconds": round(time.monotonic() - start, 1),
            "final_loss": round(sum(recent) / max(1, len(recent)), 4), "bfloat16_autocast": bf16}


class _SentencePieceVocab:
    """What CTranslate2's Llama loader asks of a tokenizer, served from the sentencepiece model."""

    def __init__(self, sp: Any) -> None:
        self._vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
        self.bos_token = sp.id_to_piece(sp.bos_id())
        self.eos_token = sp.id_to_piece(sp.eos_id())
        self.unk_token = sp.id_to_piece(sp.unk_id())

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)


def convert(hf_dir: Path, sp: Any, output: Path, quantization: str) -> None:
    """Convert a saved transformers model to a CTranslate2 model directory."""
    from ctranslate2.converters import TransformersConverter

    vocab = _SentencePieceVocab(sp)

    class _Converter(TransformersConverter):  # type: ignore[misc]
        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            del tokenizer_class, model_name_or_path, kwargs
            return vocab

    _Converter(str(hf_dir)).convert(str(output), quantization=quantization, force=True)
