"""A miniature Llama decoder (pipeline.quick_config's shape, a 60-word vocabulary) and random
token data, for the continual-learning methods' unit tests."""

from __future__ import annotations

import random
from typing import Any

VOCAB = 60


class FakeTokenizer:
    def bos_id(self) -> int:
        return 1

    def eos_id(self) -> int:
        return 2


def tiny_model(seed: int = 0) -> Any:
    import torch

    from coderev.engine.training.pipeline import quick_config
    from coderev.engine.training.train import build_model

    torch.manual_seed(seed)
    return build_model(VOCAB, FakeTokenizer(), quick_config().model)


def token_data(seed: int, n: int, low: int, high: int) -> list[tuple[list[int], int]]:
    """``n`` sequences of tokens in [low, high): a prompt of 6 and an answer of 4."""
    rng = random.Random(seed)
    return [([1, *(rng.randrange(low, high) for _ in range(10)), 2], 7) for _ in range(n)]


def config(**changes: Any) -> Any:
    from coderev.engine.training.continual.loop import LearnConfig

    base: dict[str, Any] = {"max_steps": 6, "batch_tokens": 96, "warmup": 2, "lr": 3e-3, "bfloat16": False,
                            "fisher_batches": 4, "checkpoint_minutes": 60.0, "threads": 1}
    base.update(changes)
    return LearnConfig(**base)
