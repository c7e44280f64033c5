"""The CI-sized end-to-end run of the training pipeline: data -> tokenizer -> train -> convert ->
load -> generate. A miniature model for a few steps keeps the pipeline honest; its quality is
not measured here (the committed default slot's is, in test_model_slot.py)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from analyzers import Analyzer
from engine.model.manifest import verify_slot
from engine.model.slot import ModelSlot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
        reason="training needs the train extra: pip install -e '.[train]' (torch==2.13.0, transformers)",
    ),
]


def test_miniature_pipeline_end_to_end(tmp_path: Path) -> None:
    from engine.training.data import read_jsonl
    from engine.training.pipeline import quick_config, run

    config = quick_config()
    slot_dir = tmp_path / "slot"
    manifest = run(config, slot_dir, tmp_path / "work", evaluate_float32=True)

    verify_slot(slot_dir)
    assert {"model.bin", "tokenizer.model", "config.json", "vocabulary.json"} <= set(manifest["files"])
    assert manifest["training"]["stats"]["steps"] == config.train.max_steps
    assert manifest["metrics"]["int8"]["fix_n"] > 0
    assert "int8_minus_float32_points" in manifest["metrics"]
    held_out = read_jsonl(tmp_path / "work" / "data" / "test.jsonl")
    train = read_jsonl(tmp_path / "work" / "data" / "train.jsonl")
    assert {s.source for s in held_out}.isdisjoint(s.source for s in train)

    slot = ModelSlot(slot_dir)
    answers = slot.generate([held_out[0].prompt], max_new_tokens=8)
    assert len(answers) == 1 and isinstance(answers[0], str)
    request = next(s for s in held_out if s.task == "fix" and s.language == "python" and not s.kind.startswith("neg"))
    finding = next(f for f in Analyzer().analyze(_doc(request.source)) if f.rule_id == request.rule_id)
    result = slot.fix(request.source, finding, Analyzer())
    assert result.raw is not None  # a few steps of training: the answer may fail verification


def test_data_is_deterministic_and_held_out_shapes_are_disjoint() -> None:
    from engine.training import shapes
    from engine.training.data import generate

    first = [s.prompt + s.answer for s in generate("train", 60, 7)]
    second = [s.prompt + s.answer for s in generate("train", 60, 7)]
    assert first == second
    assert not set(shapes.TRAIN_WORDS) & set(shapes.HELD_OUT_WORDS)
    test = list(generate("test", 300, 7))
    kinds = {s.rule_id for s in test if s.task == "fix"}
    assert {k.split(".")[0] for k in kinds} == {"python", "javascript", "go", "java"}
    assert len(kinds) >= 20, kinds
    assert any(s.task == "review" and s.items for s in test)
    assert any(s.task == "review" and not s.items for s in test)
    assert any(s.kind.startswith("negative:") for s in test)


def test_every_fixable_rule_has_training_pairs() -> None:
    """Every rule with a template fix, in every language, gets FIX pairs from the generators."""
    from analyzers.ruleset import default_rules
    from engine.training.data import generate

    fixable = {r.id for r in default_rules() if r.fix is not None}
    made = {s.rule_id for s in generate("train", 900, 3) if s.task == "fix"}
    assert fixable == made, fixable ^ made


HELD_OUT_MARKS = {
    "python": ("[", "self.", "await ", " or "),
    "javascript": ("[", "this.", "await ", " ?? "),
    "go": ("[0]", "string(", "[1:]", "*"),
    "java": ("this.", "[0]", "(String)", ".toString()"),
}


@pytest.mark.parametrize("family", sorted(HELD_OUT_MARKS))
def test_held_out_argument_forms_never_occur_in_training_arguments(family: str) -> None:
    import random

    from engine.training.langs.common import expression

    rng = random.Random(5)
    marks = HELD_OUT_MARKS[family]
    for _ in range(400):
        trained = expression(rng, family, "train")
        assert not any(mark in trained for mark in marks), trained
        held_out = expression(rng, family, "test")
        assert any(mark in held_out for mark in marks), held_out


def test_held_out_call_layout_stays_out_of_training() -> None:
    import random

    from engine.training import statements

    rng = random.Random(9)
    seen = {"train": 0, "test": 0}
    for _ in range(600):
        for split in seen:
            text = statements.statement(rng.choice(statements.KINDS), rng, split)
            opens_inline = re.search(r"\((?!\n)[^()\n]*,\n    ", text) is not None  # first argument on the opening line
            seen[split] += opens_inline
    assert seen["train"] == 0 and seen["test"] > 0, seen


def _doc(source: str):  # type: ignore[no-untyped-def]
    from analyzers import Document, get_language

    return Document(source, get_language("python"))
