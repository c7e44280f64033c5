"""``coderev model import``: a local Hugging Face causal LM becomes an experimental (V1) slot.

The model is converted with CTranslate2's ``TransformersConverter``. The vocabulary is taken from
the directory's sentencepiece ``tokenizer.model`` rather than from a transformers tokenizer,
because that file is what :class:`coderev.engine.model.slot.ModelSlot` tokenizes with at run time: the
converted vocabulary and the run-time tokenizer then agree by construction. The conversion runs
in a scratch directory inside the store (same file system, so the install is a local copy) and
the result enters through :meth:`SlotStore.install`, hash-checked like any other slot.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.manifest import write_manifest
from coderev.engine.model.prompt import FORMAT_NAME as DEFAULT_PROMPT_FORMAT
from coderev.engine.slots.store import InstalledSlot, SlotStore

QUANTIZATIONS = ("int8", "int8_float16", "float16", "float32")
TOKENIZER = "tokenizer.model"


def _architecture(config: dict[str, Any]) -> dict[str, Any]:
    """The manifest's architecture summary, from transformers' config.json."""
    names = {"family": "model_type", "layers": "num_hidden_layers", "hidden": "hidden_size",
             "heads": "num_attention_heads", "kv_heads": "num_key_value_heads",
             "intermediate": "intermediate_size", "vocab_size": "vocab_size",
             "tied_embeddings": "tie_word_embeddings", "max_positions": "max_position_embeddings"}
    summary = {key: config[source] for key, source in names.items() if config.get(source) is not None}
    if isinstance(config.get("architectures"), list):
        summary["hf_architectures"] = config["architectures"]
    return summary


def _read_config(hf_dir: Path) -> dict[str, Any]:
    try:
        config = json.loads((hf_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CoderevError("PRV007", f"{hf_dir} has no readable config.json ({exc})") from exc
    if not isinstance(config, dict):
        raise CoderevError("PRV007", f"{hf_dir / 'config.json'} is not a JSON object")
    return config


def _tokenizer(hf_dir: Path, config: dict[str, Any]) -> Any:
    import sentencepiece as spm

    path = hf_dir / TOKENIZER
    if not path.is_file():
        raise CoderevError("PRV007", f"{hf_dir} has no sentencepiece {TOKENIZER}; coderev tokenizes with "
                                     "sentencepiece, so a model whose tokenizer is not one cannot be imported")
    try:
        sp = spm.SentencePieceProcessor(model_file=str(path))
    except (OSError, RuntimeError) as exc:
        raise CoderevError("PRV007", f"{path} is not a sentencepiece model: {exc}") from exc
    vocab_size = config.get("vocab_size")
    if isinstance(vocab_size, int) and sp.get_piece_size() > vocab_size:
        raise CoderevError("PRV007", f"{path} has {sp.get_piece_size()} pieces but the model's vocab_size is "
                                     f"{vocab_size}: the tokenizer does not belong to this model")
    return sp


def _require_train_extra() -> None:
    missing = [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]
    if missing:
        raise CoderevError("PRV007", f"{' and '.join(missing)} not installed; install the train extra with "
                                     "pip install 'coderev-lsp[train]'")


def import_hf(
    store: SlotStore,
    hf_dir: Path,
    *,
    quantization: str = "int8",
    name: str | None = None,
    version: str = "1.0.0",
    prompt_format: str = DEFAULT_PROMPT_FORMAT,
    languages: list[str] | None = None,
    reason: str = "imported by user",
) -> InstalledSlot:
    """Convert ``hf_dir`` and install it as V1; returns the installed slot.

    PRV007 when the train extra is missing or the directory is not an importable model.
    """
    if quantization not in QUANTIZATIONS:
        raise CoderevError("SYS002", f"quantization must be one of {', '.join(QUANTIZATIONS)}, not {quantization!r}")
    if not hf_dir.is_dir():
        raise CoderevError("PRV007", f"{hf_dir} is not a directory")
    config = _read_config(hf_dir)
    sp = _tokenizer(hf_dir, config)
    _require_train_extra()
    from coderev.engine.training.train import convert

    with store.scratch() as scratch:
        slot_dir = scratch / "slot"
        try:
            convert(hf_dir, sp, slot_dir, quantization)
        except (OSError, ValueError, RuntimeError, NotImplementedError, KeyError) as exc:
            raise CoderevError("PRV007", f"CTranslate2 cannot convert {hf_dir}: {type(exc).__name__}: {exc}") from exc
        shutil.copyfile(hf_dir / TOKENIZER, slot_dir / TOKENIZER)
        write_manifest(slot_dir, {
            "name": name or hf_dir.resolve().name,
            "version": version,
            "architecture": _architecture(config),
            "prompt_format": prompt_format,
            "quantization": quantization,
            "languages": sorted(set(languages or [])),
            "source": {"kind": "huggingface", "path": str(hf_dir.resolve())},
            "metrics": {},
        })
        return store.install(slot_dir, "V1", reason)
