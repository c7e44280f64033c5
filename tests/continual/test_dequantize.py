"""A slot's INT8 CTranslate2 model read back as a float32 transformers checkpoint: converting it
again gives the slot's own weights, it generates what the slot generates, and a model.bin that is
not a coderev decoder is refused with SYS002 instead of producing a wrong model."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.slot import default_slot_path

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="reading a slot back needs the train extra (torch, transformers)",
)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    import sentencepiece as spm

    from coderev.engine.training.dequantize import cached_slot_hf
    from coderev.engine.training.train import convert

    slot = default_slot_path()
    work = tmp_path_factory.mktemp("dequantize")
    hf = cached_slot_hf(slot, work / "cache")
    sp = spm.SentencePieceProcessor(model_file=str(slot / "tokenizer.model"))
    again = work / "again"
    convert(hf, sp, again, "int8")
    shutil.copyfile(slot / "tokenizer.model", again / "tokenizer.model")
    return slot, hf, again


def test_converting_the_read_back_model_gives_the_slot_weights(round_trip: tuple[Path, Path, Path]) -> None:
    from coderev.engine.training.dequantize import read_model_bin

    slot, _, again = round_trip
    spec, original, aliases = read_model_bin(slot / "model.bin")
    spec2, rebuilt, aliases2 = read_model_bin(again / "model.bin")
    assert (spec, aliases) == (spec2, aliases2) and set(original) == set(rebuilt)
    quantized = [name for name, value in original.items() if value.dtype == np.int8 and value.ndim == 2]
    assert len(quantized) > 20  # embeddings and every projection of every layer
    for name in quantized:
        assert np.array_equal(original[name], rebuilt[name]), name
    for name, value in original.items():
        if value.dtype == np.float32 and value.ndim:
            np.testing.assert_allclose(rebuilt[name], value, rtol=1e-5, err_msg=name)


def test_the_read_back_model_generates_what_the_slot_generates(round_trip: tuple[Path, Path, Path]) -> None:
    import sentencepiece as spm
    import torch
    from transformers import LlamaForCausalLM

    from coderev.engine.training.data import generate

    slot, hf, _ = round_trip
    sp = spm.SentencePieceProcessor(model_file=str(slot / "tokenizer.model"))
    model = LlamaForCausalLM.from_pretrained(str(hf)).eval()
    import ctranslate2

    generator = ctranslate2.Generator(str(slot), device="cpu", compute_type="float32")
    samples = [s for s in generate("test", 12, 7) if s.task == "fix"][:4]
    assert samples
    for sample in samples:
        prompt = [sp.bos_id(), *sp.encode(sample.prompt)]
        tokens = [sp.id_to_piece(i) for i in prompt]
        ct2 = generator.generate_batch([tokens], max_length=40, sampling_topk=1,
                                       include_prompt_in_result=False)[0].sequences_ids[0]
        with torch.no_grad():
            out = model.generate(torch.tensor([prompt]), max_new_tokens=40, do_sample=False,
                                 eos_token_id=sp.eos_id(), pad_token_id=sp.eos_id())
        ours = [t for t in out[0, len(prompt):].tolist() if t != sp.eos_id()]
        assert len(ct2) > 0 and ours == ct2[: len(ours)] and len(ours) >= min(len(ct2), 40)


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    from coderev.engine.training.dequantize import read_model_bin, slot_to_hf

    bad = tmp_path / "model.bin"
    bad.write_bytes(b"\x06\x00\x00\x00garbage")
    with pytest.raises(CoderevError) as caught:
        read_model_bin(bad)
    assert caught.value.code == "SYS002"
    slot = tmp_path / "slot"
    shutil.copytree(default_slot_path(), slot)
    data = (slot / "model.bin").read_bytes()
    (slot / "model.bin").write_bytes(data.replace(b"TransformerDecoderSpec", b"TransformerEncoderSpec"))
    with pytest.raises(CoderevError, match="not the decoder layout"):
        slot_to_hf(slot, tmp_path / "hf")
