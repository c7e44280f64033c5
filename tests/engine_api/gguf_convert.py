"""A coderev slot's Hugging Face Llama checkpoint as a GGUF file llama.cpp loads (test helper).

    PYTHON_WITH_GGUF tests/engine_api/gguf_convert.py HF_DIR TOKENIZER.model OUT.gguf

Run with a Python that has ``gguf``, ``numpy`` and ``sentencepiece`` (not coderev's own
dependencies: tests/engine_api/test_provider_llama_cpp.py uses a separate environment). What
llama.cpp's convert_hf_to_gguf.py does for a Llama model, for this one kind of checkpoint:
float32 safetensors (read directly: the format is a JSON header and raw arrays), q/k rows permuted
to llama.cpp's rotary layout, tied embeddings (no output tensor), and coderev's sentencepiece BPE
vocabulary (byte fallback, identity normalization, no dummy prefix; the user-defined symbols
between ``</s>`` and the byte pieces kept as such, so llama.cpp splits a prompt as sentencepiece does).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import gguf  # type: ignore[import-not-found]
import numpy as np
import sentencepiece as spm


def permute(weights: np.ndarray, heads: int) -> np.ndarray:
    return weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(
        weights.shape)


def tensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F32":
            raise SystemExit(f"{name}: {meta['dtype']}, only float32 checkpoints are converted")
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(raw[8 + size + start:8 + size + end], dtype=np.float32).reshape(meta["shape"])
    return out


def names(layers: int) -> dict[str, str]:
    table = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    for i in range(layers):
        hf, ll = f"model.layers.{i}.", f"blk.{i}."
        table.update({hf + "input_layernorm.weight": ll + "attn_norm.weight",
                      hf + "self_attn.q_proj.weight": ll + "attn_q.weight",
                      hf + "self_attn.k_proj.weight": ll + "attn_k.weight",
                      hf + "self_attn.v_proj.weight": ll + "attn_v.weight",
                      hf + "self_attn.o_proj.weight": ll + "attn_output.weight",
                      hf + "post_attention_layernorm.weight": ll + "ffn_norm.weight",
                      hf + "mlp.gate_proj.weight": ll + "ffn_gate.weight",
                      hf + "mlp.up_proj.weight": ll + "ffn_up.weight",
                      hf + "mlp.down_proj.weight": ll + "ffn_down.weight"})
    return table


def main(hf: Path, tokenizer: Path, out: Path) -> None:
    config = json.loads((hf / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "llama":
        raise SystemExit(f"{hf}: model_type {config.get('model_type')!r}; only Llama checkpoints are converted")
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_name(hf.parent.name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv)
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_freq_base(config.get("rope_theta") or 10000.0)
    writer.add_rope_dimension_count(config.get("head_dim") or config["hidden_size"] // heads)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_vocab_size(config["vocab_size"])
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    first_byte = min(i for i in range(sp.get_piece_size()) if sp.is_byte(i))
    kinds = []
    for i in range(sp.get_piece_size()):
        if sp.is_unknown(i):
            kinds.append(gguf.TokenType.UNKNOWN)
        elif sp.is_control(i):
            kinds.append(gguf.TokenType.CONTROL)
        elif sp.is_byte(i):
            kinds.append(gguf.TokenType.BYTE)
        elif i < first_byte:  # coderev's user-defined symbols (newline, ANSWER, FIX, ID1, ...)
            kinds.append(gguf.TokenType.USER_DEFINED)
        else:
            kinds.append(gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([sp.id_to_piece(i).encode("utf-8") for i in range(sp.get_piece_size())])
    writer.add_token_scores([sp.get_score(i) for i in range(sp.get_piece_size())])
    writer.add_token_types(kinds)
    writer.add_bos_token_id(sp.bos_id())
    writer.add_eos_token_id(sp.eos_id())
    writer.add_unk_token_id(sp.unk_id())
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_add_space_prefix(False)
    table = names(config["num_hidden_layers"])
    for name, weights in tensors(hf / "model.safetensors").items():
        rotary = heads if name.endswith("q_proj.weight") else kv if name.endswith("k_proj.weight") else 0
        writer.add_tensor(table[name], np.ascontiguousarray(permute(weights, rotary) if rotary else weights,
                                                            dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
