"""The sentencepiece BPE tokenizer: byte fallback, whitespace kept, placeholders as single pieces."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import sentencepiece as spm

MAX_PLACEHOLDERS = 64
SYMBOLS = ["\n", "ANSWER", "END", "FIX", "REVIEW", "NONE", "CWE-"] + [
    f"{kind}{i}" for kind in ("ID", "STR", "EX") for i in range(1, MAX_PLACEHOLDERS + 1)
]


def train_tokenizer(texts: Iterable[str], path: Path, vocab_size: int, seed: int = 0) -> None:
    """Train on ``texts`` and write the model to ``path`` (deterministic for the same input)."""
    del seed  # sentencepiece's BPE is deterministic for a given input order and one thread
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        allow_whitespace_only_pieces=True,
        split_digits=True,
        user_defined_symbols=SYMBOLS,
        max_sentence_length=50000,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
        hard_vocab_limit=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
