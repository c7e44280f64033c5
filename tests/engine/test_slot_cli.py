"""``coderev model list | install | import | promote | demote | verify | history`` end to end, and
the store's location and scratch space that the commands rely on."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.engine.model.manifest import read_manifest
from coderev.engine.model.prompt import FORMAT_NAME
from coderev.engine.model.slot import ModelSlot, default_slot_path
from coderev.engine.slots import SlotStore
from coderev.engine.slots.store import default_store_root
from coderev.server.cli import main
from tests.engine.test_slot_store import DEFAULT_ID, flip_byte, make_slot, slot_id

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FORMAT = read_manifest(default_slot_path())["prompt_format"]
DEFAULT_LANGUAGES = read_manifest(default_slot_path())["languages"]
DEFAULT_VERSION = read_manifest(default_slot_path())["version"]
_M = read_manifest(default_slot_path())["metrics"]["int8"]
DEFAULT_METRICS = (f"FIX exact {100 * _M['fix_verified_and_exact']:.1f}%, "
                   f"verified {100 * _M['fix_verified_rate']:.1f}%, "
                   f"REVIEW P {_M['review_precision']:.2f} R {_M['review_recall']:.2f}")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_default_store_root_follows_the_data_dir_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    assert default_store_root() == tmp_path / "data" / "slots"
    assert SlotStore().root == tmp_path / "data" / "slots"


def test_console_list_bootstraps_and_prints_the_store(tmp_path: Path) -> None:
    env = {**os.environ, "CODEREV_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "coderev.server.cli", "model", "list"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"store {tmp_path / 'data' / 'slots'}"
    assert lines[1].split() == ["ROLE", "ID", "NAME", "VERSION", "QUANT", "LANGUAGES", "METRICS"]
    assert lines[2].split()[:6] == [
        "V2", DEFAULT_ID, "coderev-default", DEFAULT_VERSION, "int8", ",".join(DEFAULT_LANGUAGES)]
    assert lines[2].endswith(DEFAULT_METRICS)


def test_install_promote_demote_history_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    listed = run_json(capsys, "model", "list", "--store", store, "--json")
    assert listed == {"store": store, "slots": [{
        "role": "V2", "id": DEFAULT_ID, "path": f"{store}/versions/{DEFAULT_ID}", "name": "coderev-default",
        "version": DEFAULT_VERSION, "quantization": "int8", "languages": DEFAULT_LANGUAGES,
        "prompt_format": DEFAULT_FORMAT, "metrics": DEFAULT_METRICS}]}

    assert main(["model", "install", str(make_slot(tmp_path, "2.0.0")), "--store", store]) == 0
    assert capsys.readouterr().out.startswith(f"installed {slot_id('2.0.0')} as V1")
    assert main(["model", "promote", "--store", store, "--reason", "wins on FIX"]) == 0
    assert f"promote    {slot_id('2.0.0')}  V1 -> V2  wins on FIX" in capsys.readouterr().out
    assert main(["model", "demote", "--store", store]) == 0
    assert f"production slot now: {DEFAULT_ID}" in capsys.readouterr().out
    assert main(["model", "install", str(make_slot(tmp_path, "3.0.0")), "--as", "V2", "--store", store]) == 0
    capsys.readouterr()

    history = run_json(capsys, "model", "history", "--store", store, "--json")
    assert isinstance(history, list)
    assert [(h["action"], h["from"], h["to"]) for h in history] == [
        ("install", "", "V2"), ("install", "", "V1"), ("supersede", "V2", "V3"), ("promote", "V1", "V2"),
        ("demote", "V2", "V3"), ("restore", "V3", "V2"), ("supersede", "V2", "V3"), ("install", "", "V2")]
    assert run_json(capsys, "model", "verify", "--store", store, "--json") == {
        slot_id("3.0.0"): "ok", DEFAULT_ID: "ok", slot_id("2.0.0"): "ok"}

    flip_byte(Path(store) / "versions" / slot_id("3.0.0") / "model.bin")
    assert main(["model", "verify", slot_id("3.0.0"), "--store", store]) == 1
    assert "model.bin has sha256" in capsys.readouterr().out
    assert main(["model", "history", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "quarantine" in out and "PRV004" in out and f"restore    {DEFAULT_ID}" in out


def test_usage_errors_are_catalogued(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "store")
    assert main(["model", "promote", "--store", store]) == 2
    assert "SYS002" in capsys.readouterr().err
    broken = make_slot(tmp_path, "2.0.0")
    flip_byte(broken / "tokenizer.model", 50)
    assert main(["model", "install", str(broken), "--store", store]) == 2
    assert "PRV002" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["model", "list", "--store", str(blocker / "store")]) == 2
    assert "DAT004" in capsys.readouterr().err


def test_import_refuses_a_directory_without_a_sentencepiece_tokenizer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hf = tmp_path / "hf"
    hf.mkdir()
    assert main(["model", "import", str(hf), "--store", str(tmp_path / "store")]) == 2
    err = capsys.readouterr().err
    assert "PRV007" in err and "no readable config.json" in err
    (hf / "config.json").write_text(json.dumps({"model_type": "llama", "vocab_size": 100}))
    assert main(["model", "import", str(hf), "--store", str(tmp_path / "store")]) == 2
    assert "no sentencepiece tokenizer.model" in capsys.readouterr().err
    shutil.copyfile(default_slot_path() / "tokenizer.model", hf / "tokenizer.model")
    assert main(["model", "import", str(hf), "--store", str(tmp_path / "store")]) == 2
    assert "pieces but the model's vocab_size is 100" in capsys.readouterr().err


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="import needs the train extra: pip install -e '.[train]' (torch, transformers)",
)
def test_import_a_tiny_llama_and_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sentencepiece as spm
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = default_slot_path() / "tokenizer.model"
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    torch.manual_seed(0)
    config = LlamaConfig(  # type: ignore[no-untyped-call]
        vocab_size=sp.get_piece_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
        bos_token_id=sp.bos_id(), eos_token_id=sp.eos_id())
    hf = tmp_path / "tiny-llama"
    model = LlamaForCausalLM(config)  # type: ignore[no-untyped-call]
    model.save_pretrained(str(hf), safe_serialization=True)
    shutil.copyfile(tokenizer, hf / "tokenizer.model")

    store = tmp_path / "store"
    assert main(["model", "import", str(hf), "--store", str(store), "--version", "0.1.0",
                 "--language", "python"]) == 0
    assert "installed as V1" in capsys.readouterr().out
    slot = SlotStore(store).experimental()
    assert slot is not None and slot.id.startswith("tiny-llama-0.1.0-")
    manifest = slot.manifest
    assert manifest["architecture"]["hidden"] == 32 and manifest["architecture"]["layers"] == 1
    assert manifest["architecture"]["vocab_size"] == sp.get_piece_size()
    assert (manifest["prompt_format"], manifest["quantization"], manifest["languages"]) == (
        FORMAT_NAME, "int8", ["python"])
    assert {"model.bin", "tokenizer.model", "config.json"} <= set(manifest["files"])
    assert not list(store.glob(".scratch-*"))

    loaded = ModelSlot(slot.path)
    answers = loaded.generate(["FIX python.weak-crypto.weak-hash\nx = 1\nANSWER\n"], max_new_tokens=4)
    assert len(answers) == 1 and isinstance(answers[0], str)
    prompt = ["<s>", *sp.encode("x = 1", out_type=str)]
    results = loaded.generator.generate_batch([prompt], max_length=4, sampling_topk=1, include_prompt_in_result=False)
    produced = results[0].sequences_ids[0]
    assert 1 <= len(produced) <= 4 and all(0 <= t < sp.get_piece_size() for t in produced)


def test_stale_scratch_directories_are_removed_but_live_ones_kept(tmp_path: Path) -> None:
    store = SlotStore(tmp_path / "store")
    stale = store.root / ".scratch-dead"
    stale.mkdir()
    (stale / ".busy").write_text("")
    with store.scratch() as live:
        SlotStore(store.root)
        assert live.is_dir()
        assert not stale.exists()
    assert not live.exists()


def test_a_corrupt_packaged_default_does_not_lock_the_user_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import coderev.engine.model.slot

    broken = make_slot(tmp_path, "1.0.0")
    flip_byte(broken / "model.bin")
    monkeypatch.setattr(coderev.engine.model.slot, "default_slot_path", lambda: broken)
    store = str(tmp_path / "store")
    assert main(["model", "install", str(make_slot(tmp_path, "2.0.0")), "--as", "V2", "--store", store]) == 0
    captured = capsys.readouterr()
    assert "default slot was not installed" in captured.err and "PRV002" in captured.err
    assert f"installed {slot_id('2.0.0')} as V2" in captured.out
