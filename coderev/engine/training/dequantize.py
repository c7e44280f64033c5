"""A slot's CTranslate2 model back to a float32 transformers checkpoint, so learning and
distillation start from the model the editor runs, not from a training run's leftovers.

``model.bin`` is CTranslate2's binary format (``ctranslate2.specs.model_spec.ModelSpec._serialize``):
a version, the spec name, a revision, then each variable as name, shape, dtype id and raw bytes,
then aliases. An INT8 slot keeps each weight matrix as int8 rows with one float32 scale per row
(``q = round(w * scale)``), so ``w = q / scale``: the same numbers the INT8 runtime multiplies
with. Layer norms and scalars are stored as they are. Converting the result back to INT8
reproduces the slot's weights (``tests/continual/test_dequantize.py``).

Only the decoder layout ``coderev model train`` writes (Llama: RMS norms, rotary positions, gated
FFN, no biases, tied embeddings) is read back; another slot raises ``SYS002`` with the remedy of
giving its transformers checkpoint (``--base-hf`` / ``--teacher DIR``).
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.manifest import read_manifest, sha256_file

# the DataType enum of CTranslate2 (include/ctranslate2/types.h), by id
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_SPEC = "TransformerDecoderSpec"
_HEAD_WIDTH = 64  # every size `coderev model train` offers


def read_model_bin(path: Path) -> tuple[str, dict[str, Any], dict[str, str]]:
    """(spec name, variables as numpy arrays, aliases) of a CTranslate2 ``model.bin``."""
    import numpy as np

    data = path.read_bytes()
    offset = 0

    def unpack(fmt: str) -> int:
        nonlocal offset
        (value,) = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return int(value)

    def string() -> str:
        nonlocal offset
        size = unpack("H")
        text = data[offset : offset + size - 1].decode("utf-8")
        offset += size
        return text

    try:
        version = unpack("I")
        if version < 5:
            raise CoderevError("SYS002", f"{path}: CTranslate2 model format {version} is too old to read back")
        spec = string()
        unpack("I")  # revision
        variables: dict[str, Any] = {}
        for _ in range(unpack("I")):
            name = string()
            shape = [unpack("I") for _ in range(unpack("B"))]
            dtype = _DTYPES[unpack("B")]
            size = unpack("I")
            if dtype == "bfloat16":
                raise CoderevError("SYS002", f"{path}: bfloat16 weights cannot be read back here")
            array = np.frombuffer(data, dtype=dtype, count=size // np.dtype(dtype).itemsize, offset=offset)
            variables[name] = array.reshape(shape)
            offset += size
        aliases = {string(): string() for _ in range(unpack("I"))}
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise CoderevError("SYS002", f"{path} is not a readable CTranslate2 model ({exc})") from exc
    return spec, variables, aliases


def _weight(variables: dict[str, Any], name: str) -> Any:
    import numpy as np

    if name + "/weight" not in variables:
        raise CoderevError("SYS002", f"the slot has no {name}/weight: not a decoder coderev can read back")
    weight = variables[name + "/weight"]
    scale = variables.get(name + "/weight_scale")
    if scale is None:
        return np.asarray(weight, dtype=np.float32)
    if weight.dtype != np.int8:
        raise CoderevError("SYS002", f"{name}: only INT8 or float weights can be read back, not {weight.dtype}")
    return weight.astype(np.float32) / scale.astype(np.float32)[:, None]


def slot_architecture(variables: dict[str, Any], manifest: dict[str, Any]) -> dict[str, int]:
    embeddings = variables["decoder/embeddings/weight"]
    layers = sum(1 for name in variables if name.endswith("/self_attention/linear_1/weight"))
    hidden = int(embeddings.shape[1])
    heads = int(variables["decoder/num_heads"]) if "decoder/num_heads" in variables \
        else int(manifest.get("architecture", {}).get("heads") or hidden // _HEAD_WIDTH)
    qkv = int(variables["decoder/layer_0/self_attention/linear_0/weight"].shape[0])
    kv_heads = (qkv - hidden) // 2 // (hidden // heads)
    return {"vocab": int(embeddings.shape[0]), "hidden": hidden, "layers": layers, "heads": heads,
            "kv_heads": kv_heads, "intermediate": int(variables["decoder/layer_0/ffn/linear_0/weight"].shape[0])}


def _check_layout(spec: str, variables: dict[str, Any], aliases: dict[str, str]) -> None:
    unsupported = [name for name in variables if name.endswith("/bias") or "position_encodings" in name]
    if spec != _SPEC or unsupported or "decoder/layer_0/ffn/linear_0_noact/weight" not in variables:
        raise CoderevError(
            "SYS002", f"the slot's model ({spec}) is not the decoder layout coderev trains; "
                      "give its float32 transformers checkpoint instead (--base-hf DIR or --teacher DIR)")
    if aliases.get("decoder/projection/weight") != "decoder/embeddings/weight":
        raise CoderevError("SYS002", "the slot's output projection is not tied to its embeddings; "
                                     "give its float32 transformers checkpoint instead")


def slot_to_hf(slot: Path, output: Path) -> Path:
    """Write the slot's model as a float32 ``LlamaForCausalLM`` checkpoint into ``output``; returns it."""
    import numpy as np
    import sentencepiece as spm
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    manifest = read_manifest(slot)
    spec, variables, aliases = read_model_bin(slot / "model.bin")
    _check_layout(spec, variables, aliases)
    arch = slot_architecture(variables, manifest)
    config = json.loads((slot / "config.json").read_text(encoding="utf-8")) \
        if (slot / "config.json").is_file() else {}
    sp = spm.SentencePieceProcessor(model_file=str(slot / "tokenizer.model"))
    rotary = variables.get("decoder/layer_0/self_attention/rotary_base")
    hf = LlamaConfig(  # type: ignore[no-untyped-call]
        vocab_size=arch["vocab"], hidden_size=arch["hidden"], intermediate_size=arch["intermediate"],
        num_hidden_layers=arch["layers"], num_attention_heads=arch["heads"], num_key_value_heads=arch["kv_heads"],
        max_position_embeddings=1280, rms_norm_eps=float(config.get("layer_norm_epsilon", 1e-5)),
        tie_word_embeddings=True, rope_theta=float(rotary) if rotary is not None else 10000.0,
        bos_token_id=sp.bos_id(), eos_token_id=sp.eos_id(), pad_token_id=sp.eos_id())
    hidden = arch["hidden"]
    kv = arch["kv_heads"] * (hidden // arch["heads"])
    def gamma(name: str) -> Any:  # CTranslate2 leaves out a norm whose scale is all ones
        return variables.get(name, np.ones(hidden, dtype=np.float32))

    state: dict[str, Any] = {"model.embed_tokens.weight": _weight(variables, "decoder/embeddings"),
                             "model.norm.weight": gamma("decoder/layer_norm/gamma")}
    for i in range(arch["layers"]):
        src, dst = f"decoder/layer_{i}", f"model.layers.{i}"
        qkv = _weight(variables, f"{src}/self_attention/linear_0")
        state |= {
            f"{dst}.input_layernorm.weight": gamma(f"{src}/self_attention/layer_norm/gamma"),
            f"{dst}.self_attn.q_proj.weight": qkv[:hidden],
            f"{dst}.self_attn.k_proj.weight": qkv[hidden : hidden + kv],
            f"{dst}.self_attn.v_proj.weight": qkv[hidden + kv :],
            f"{dst}.self_attn.o_proj.weight": _weight(variables, f"{src}/self_attention/linear_1"),
            f"{dst}.post_attention_layernorm.weight": gamma(f"{src}/ffn/layer_norm/gamma"),
            f"{dst}.mlp.gate_proj.weight": _weight(variables, f"{src}/ffn/linear_0"),
            f"{dst}.mlp.up_proj.weight": _weight(variables, f"{src}/ffn/linear_0_noact"),
            f"{dst}.mlp.down_proj.weight": _weight(variables, f"{src}/ffn/linear_1"),
        }
    model = LlamaForCausalLM(hf)  # type: ignore[no-untyped-call]
    tensors = {name: torch.from_numpy(np.array(value, dtype=np.float32)) for name, value in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected or [name for name in missing if name != "lm_head.weight"]:
        raise CoderevError("SYS002", f"the slot's weights do not fill the decoder (missing {missing}, "
                                     f"unexpected {unexpected})")
    model.tie_weights()  # type: ignore[no-untyped-call]
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output), safe_serialization=True)
    return output


def cached_slot_hf(slot: Path, cache: Path) -> Path:
    """The slot's float32 checkpoint under ``cache``, keyed by its model's sha256 (built once)."""
    digest = sha256_file(slot / "model.bin")
    target = cache / f"hf-{hashlib.sha256(digest.encode()).hexdigest()[:16]}"
    if not (target / "config.json").is_file():
        staging = target.with_name(target.name + ".partial")
        slot_to_hf(slot, staging)
        if target.exists():
            import shutil

            shutil.rmtree(target)
        staging.rename(target)
    return target
