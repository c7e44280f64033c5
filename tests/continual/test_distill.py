"""``coderev model distill``: Hinton's loss on the answer tokens, a student pulled toward its
teacher, and the command end to end on a miniature teacher slot (and its checkpoint)."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from coderev.engine.model.manifest import read_manifest, verify_slot
from coderev.engine.slots import SlotStore
from coderev.server.cli import main
from tests.continual.helpers import config, tiny_model, token_data

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="distillation needs the train extra (torch, transformers)",
)


def _batch(seed: int = 3) -> Any:
    from coderev.engine.training.train import collate

    data = token_data(seed, 8, 3, 60)
    return collate(data, list(range(len(data))), 2)


def _kl(teacher: Any, student: Any, batch: Any) -> float:
    import torch

    from coderev.engine.training.continual.distill import kl_on_answers

    with torch.no_grad():
        logits = student(input_ids=batch[0], attention_mask=batch[2]).logits
        return float(kl_on_answers(teacher, batch, logits, 2.0))


def test_the_teacher_term_is_zero_for_a_copy_and_positive_otherwise() -> None:
    teacher = tiny_model(0).eval()
    batch = _batch()
    assert _kl(teacher, copy.deepcopy(teacher), batch) == pytest.approx(0.0, abs=1e-6)
    assert _kl(teacher, tiny_model(1).eval(), batch) > 1e-3


def test_the_penalty_turns_the_loops_loss_into_hintons() -> None:
    """The loop adds the penalty to the transformers loss: together (1 - alpha) CE + alpha T^2 KL."""
    import torch

    from coderev.engine.training.continual.distill import answer_cross_entropy, kl_on_answers
    from coderev.engine.training.distillation import Distill

    teacher, student = tiny_model(0).eval(), tiny_model(1).eval()
    ids, labels, mask = batch = _batch()
    with torch.no_grad():
        out = student(input_ids=ids, attention_mask=mask, labels=labels)
        assert float(answer_cross_entropy(batch, out.logits)) == pytest.approx(float(out.loss), rel=1e-5)
        kl = float(kl_on_answers(teacher, batch, out.logits, 2.0))
        for alpha in (0.3, 1.0):
            total = float(out.loss + Distill(teacher, alpha, 2.0).penalty(student, batch, out.logits))
            assert total == pytest.approx((1 - alpha) * float(out.loss) + alpha * kl, rel=1e-5)
        assert Distill(None, 0.0, 2.0).penalty(student, batch, out.logits) is None


def test_with_alpha_one_the_student_moves_toward_the_teacher(tmp_path: Path) -> None:
    from coderev.engine.training.continual.loop import learn
    from coderev.engine.training.distillation import Distill

    teacher, student = tiny_model(0).eval(), tiny_model(1)
    data = token_data(5, 24, 3, 60)
    batch = _batch(5)
    before = _kl(teacher, student, batch)
    learn(student, data, [], [Distill(teacher, 1.0, 2.0)], replay=False, cfg=config(max_steps=12), pad_id=2,
          work=tmp_path)
    after = _kl(teacher, student, batch)
    assert after < 0.7 * before
    assert all(not p.requires_grad for p in teacher.parameters())  # the teacher stays frozen


ARGS = ["--size", "tiny", "--max-steps", "3", "--threads", "1", "--train-units", "12", "--test-units", "6",
        "--speed-requests", "2", "--json"]


@pytest.mark.slow
def test_distill_writes_a_measured_student_slot_and_installs_it(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from tests.continual.test_learn_command import _mini_base

    slot, _ = _mini_base(tmp_path)
    store = tmp_path / "store"
    assert main(["model", "distill", "--teacher", str(slot), "--work", str(tmp_path / "d"), "--store", str(store),
                 *ARGS]) == 0
    summary = json.loads(capsys.readouterr().out)
    manifest = verify_slot(Path(summary["slot"]))
    figures = manifest["distillation"]
    assert figures["teacher"] == "mini@0.1.0" and figures["student_size"] == "tiny"
    assert figures["teacher_model_sha256"] == read_manifest(slot)["files"]["model.bin"]
    assert figures["stats"]["steps"] == 3 and figures["alpha"] == 0.5 and figures["temperature"] == 2.0
    assert manifest["architecture"]["layers"] == 2 and manifest["architecture"]["hidden"] == 128
    assert figures["quality"]["teacher"]["fix_n"] == figures["quality"]["student"]["fix_n"] > 0
    assert figures["speed"]["student"]["requests"] == figures["speed"]["teacher"]["requests"] == 2
    assert figures["speed"]["student"]["ms_p50"] > 0
    assert manifest["version"].startswith("0.1.0+distill.tiny.")
    installed = SlotStore(store).experimental()
    assert installed is not None and installed.id == summary["installed_as_v1"]


@pytest.mark.slow
def test_a_transformers_checkpoint_teacher(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.continual.test_learn_command import _mini_base

    _, hf = _mini_base(tmp_path)  # the slot tokenizer lies beside the checkpoint
    assert main(["model", "distill", "--teacher", str(hf), "--work", str(tmp_path / "d"), "--no-install",
                 "--alpha", "1", *ARGS]) == 0
    summary = json.loads(capsys.readouterr().out)
    figures = read_manifest(Path(summary["slot"]))["distillation"]
    assert summary["installed_as_v1"] is None and figures["teacher"] == str(hf)
    assert figures["teacher_architecture"]["layers"] == 2 and figures["teacher_architecture"]["hidden"] == 64


def test_bad_teachers_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def distill(teacher: Path) -> str:
        assert main(["model", "distill", "--teacher", str(teacher), "--work", str(tmp_path / "d"),
                     "--no-install"]) == 2
        return capsys.readouterr().err

    assert "SYS002" in distill(tmp_path / "missing") and "does not exist" in distill(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert "neither a slot" in distill(tmp_path / "empty")
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    (hf / "model.safetensors").write_bytes(b"")
    assert "no tokenizer.model" in distill(hf)
    (tmp_path / "tokenizer.model").write_bytes(b"another tokenizer")
    assert "differs from the student's" in distill(hf)
    slot = tmp_path / "slot"
    slot.mkdir()
    shutil.copyfile(hf / "config.json", slot / "model.bin")
    (slot / "manifest.json").write_text("[]")
    assert "DAT003" in distill(slot)
