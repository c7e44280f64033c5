"""``coderev model info`` and ``coderev model train`` argument handling."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coderev.server.cli import main


def test_model_info_verifies_and_describes_the_default_slot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "info"]) == 0
    out = capsys.readouterr().out
    assert "sha256 verified" in out
    assert "compute type int8" in out
    assert "coderev-edit-v4" in out


def test_model_info_on_a_tampered_slot_is_a_catalogued_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from coderev.engine.model.slot import default_slot_path

    copy = tmp_path / "slot"
    shutil.copytree(default_slot_path(), copy)
    (copy / "tokenizer.model").write_bytes(b"tampered")
    assert main(["model", "info", "--slot", str(copy)]) == 2
    assert "PRV002" in capsys.readouterr().err


def test_model_requires_an_action() -> None:
    with pytest.raises(SystemExit):
        main(["model"])


def test_eval_takes_a_float32_baseline_only_from_the_run_that_wrote_the_slot(tmp_path: Path) -> None:
    from coderev.engine.model.slot import default_slot_path
    from coderev.server.model_command import _same_training_run

    slot = tmp_path / "slot"
    shutil.copytree(default_slot_path(), slot)
    work = tmp_path / "work"
    assert not _same_training_run(slot, work)  # no work directory: the recorded numbers are used
    work.mkdir()
    (work / "tokenizer.model").write_bytes((slot / "tokenizer.model").read_bytes())
    assert _same_training_run(slot, work)
    (work / "tokenizer.model").write_bytes(b"another run's tokenizer")
    assert not _same_training_run(slot, work)
