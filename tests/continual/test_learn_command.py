"""``coderev model learn`` end to end on a miniature base slot: rules in, a candidate slot with its
old- and new-task figures in the manifest, installed as V1 of the store."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from coderev.engine.model.manifest import read_manifest, verify_slot, write_manifest
from coderev.engine.model.slot import default_slot_path
from coderev.engine.slots import SlotStore
from coderev.server.cli import main

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="continual learning needs the train extra (torch, transformers)",
)


def _mini_base(tmp: Path) -> tuple[Path, Path]:
    """A miniature slot (the default tokenizer, quick_config's decoder) and its checkpoint."""
    import sentencepiece as spm
    import torch

    from coderev.engine.training.pipeline import quick_config
    from coderev.engine.training.train import build_model, convert

    tokenizer = default_slot_path() / "tokenizer.model"
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    torch.manual_seed(0)
    hf = tmp / "work" / "hf"
    build_model(sp.get_piece_size(), sp, quick_config().model).save_pretrained(str(hf), safe_serialization=True)
    shutil.copyfile(tokenizer, hf.parent / "tokenizer.model")
    slot = tmp / "base"
    convert(hf, sp, slot, "int8")
    shutil.copyfile(tokenizer, slot / "tokenizer.model")
    default = read_manifest(default_slot_path())
    write_manifest(slot, {**{k: v for k, v in default.items() if k not in ("files", "metrics")},
                          "name": "mini", "version": "0.1.0"})
    return slot, hf


@pytest.mark.slow
def test_learn_builds_evaluates_and_installs_a_v1_candidate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    slot, hf = _mini_base(tmp_path)
    store = tmp_path / "store"
    args = ["model", "learn", "--method", "replay+ewc", "--rules", str(ROOT / "bench" / "continual_rules"),
            "--base", str(slot), "--base-hf", str(hf), "--work", str(tmp_path / "learn"), "--max-steps", "3",
            "--old-units", "6", "--replay-units", "6", "--rule-variants", "2", "--store", str(store), "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    candidate = Path(summary["slot"])
    manifest = verify_slot(candidate)
    figures = manifest["continual"]
    assert figures["method"] == "replay+ewc" and figures["stats"]["steps"] == 3
    assert figures["new_train_samples"] > 0 and figures["new_test_samples"] > 0
    assert figures["old_task"]["candidate"]["fix_n"] == figures["old_task"]["base"]["fix_n"] > 0
    assert set(figures["new_task"]["candidate"]["fix"]) == {
        "python.internal.api-post-verify", "python.internal.db-raw-query", "python.internal.legacy-hash"}
    assert manifest["version"].startswith("0.1.0+replay.ewc.")
    assert (tmp_path / "learn" / "checkpoint.pt").is_file()
    installed = SlotStore(store).experimental()
    assert installed is not None and installed.id == summary["installed_as_v1"]
    assert installed.manifest["continual"]["old_drop_points"] == figures["old_drop_points"]


def test_learn_refuses_a_checkpoint_of_another_tokenizer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hf = tmp_path / "work" / "hf"
    hf.mkdir(parents=True)
    (hf / "config.json").write_text("{}")
    (hf.parent / "tokenizer.model").write_bytes(b"not the slot's tokenizer")
    assert main(["model", "learn", "--rules", str(ROOT / "bench" / "continual_rules"), "--base-hf", str(hf),
                 "--no-install", "--work", str(tmp_path / "learn")]) == 2
    assert "tokenizers differ" in capsys.readouterr().err
    assert main(["model", "learn", "--base-hf", str(hf)]) == 2
    assert "--data, --pairs, --rules or --negatives" in capsys.readouterr().err


@pytest.mark.slow
def test_learn_without_a_checkpoint_starts_from_the_slot_itself(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An installed product has only the INT8 slot: learn reads its weights back (cached once in
    the work directory) and trains from them; the candidate's base is the slot's own model."""
    slot, _ = _mini_base(tmp_path)
    work = tmp_path / "learn"
    args = ["model", "learn", "--method", "replay", "--rules", str(ROOT / "bench" / "continual_rules"),
            "--base", str(slot), "--work", str(work), "--max-steps", "2", "--old-units", "4",
            "--replay-units", "4", "--rule-variants", "2", "--no-install", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["installed_as_v1"] is None
    cached = list((work / "base").glob("hf-*/config.json"))
    assert len(cached) == 1
    figures = read_manifest(Path(summary["slot"]))["continual"]
    assert figures["base_model_sha256"] == read_manifest(slot)["files"]["model.bin"]


def test_the_default_base_is_the_stores_production_slot(tmp_path: Path) -> None:
    """A background run improves on what the editor serves: the store's V2, else the packaged slot."""
    from coderev.server.learn_command import _production_slot

    store = SlotStore(tmp_path / "store")
    assert _production_slot(tmp_path / "store") is None
    installed = store.install(default_slot_path(), "V2", reason="test")
    production = _production_slot(tmp_path / "store")
    assert production == installed.path and (production / "model.bin").is_file()


@pytest.mark.slow
def test_a_second_run_replays_and_measures_what_the_first_taught(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Continual across runs: a candidate carries what it was taught (``learned.jsonl``, hashed by
    its manifest); the next run over it replays those samples beside T0's and reports base and
    candidate on the earlier task's held-out samples, so forgetting T1 while learning T2 shows."""
    from coderev.engine.training.data import read_jsonl

    slot, _ = _mini_base(tmp_path)
    common = ["--method", "replay", "--max-steps", "2", "--old-units", "4", "--replay-units", "4",
              "--rule-variants", "2", "--no-install", "--json"]
    rules = ROOT / "bench" / "continual_rules"
    assert main(["model", "learn", "--rules", str(rules / "t1"), "--base", str(slot),
                 "--work", str(tmp_path / "one"), *common]) == 0
    first = Path(json.loads(capsys.readouterr().out)["slot"])
    taught = read_jsonl(first / "learned.jsonl")
    one = read_manifest(first)["continual"]
    assert one["earlier_tasks"] is None and "learned.jsonl" in verify_slot(first)["files"]
    assert sum(x.split == "train" for x in taught) == one["new_train_samples"]
    assert sum(x.split == "test" for x in taught) == one["new_test_samples"] > 0
    assert main(["model", "learn", "--rules", str(rules / "t2"), "--base", str(first),
                 "--work", str(tmp_path / "two"), *common]) == 0
    second = Path(json.loads(capsys.readouterr().out)["slot"])
    two = read_manifest(second)["continual"]
    assert two["replay_pool_samples"] == one["replay_pool_samples"] + one["new_train_samples"]
    assert two["earlier_tasks"]["samples"] == one["new_test_samples"]
    assert {"base", "candidate"} <= set(two["earlier_tasks"])
    assert len(read_jsonl(second / "learned.jsonl")) == len(taught) + two["new_train_samples"] + two["new_test_samples"]
