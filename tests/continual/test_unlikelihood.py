"""Rejected AI fixes as negatives: the token where a rejected fix leaves the rule's own fix is
found through the slot's prompt builder and tokenizer, and the unlikelihood term lowers that
token's probability on a miniature decoder."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from coderev.analyzers.ruleset import default_rules
from coderev.engine.model.slot import default_slot_path
from coderev.engine.training.continual.sources import analyzer_for

pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                reason="continual learning needs the train extra (torch, transformers)")
RULE = "python.sql-injection.percent-formatted-query"


def _negative(path: Path, rejected_args: str, style: str = "format") -> Path:
    [rule] = [r for r in default_rules() if r.id == RULE]
    unit = next(e.code for e in rule.examples if e.kind == "bad")
    before = next(line + "\n" for line in unit.splitlines() if "execute" in line)
    rejected = before.replace('%s" % user_id', f'%s", {rejected_args}')
    path.write_text(json.dumps({"format": 1, "before": before, "rejected": rejected, "unit": unit, "style": style,
                                "rule_id": RULE, "language": "python", "slot": "s", "fingerprint": "f",
                                "timestamp": 1.0}) + "\n", encoding="utf-8")
    return path


def _sp() -> object:
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(default_slot_path() / "tokenizer.model"))


def test_the_penalised_token_is_where_the_rejected_fix_leaves_the_rules_fix(tmp_path: Path) -> None:
    from coderev.engine.training.continual.unlikelihood import read_negatives

    sp = _sp()
    [(ids, point)] = read_negatives(_negative(tmp_path / "n.jsonl", "[user_id]"), analyzer_for(None), sp, 1200)
    assert point == len(ids) - 1  # the ids stop at the rejected token
    assert "[" in sp.id_to_piece(ids[point]) and "(" not in sp.id_to_piece(ids[point])  # type: ignore[attr-defined]
    # the rule's own fix, rejected, has nothing to unlearn; without the file's style no SQL fix verifies
    assert read_negatives(_negative(tmp_path / "same.jsonl", "(user_id,)"), analyzer_for(None), sp, 1200) == []
    assert read_negatives(_negative(tmp_path / "x.jsonl", "[user_id]", style=""), analyzer_for(None), sp, 1200) == []


def test_unlikelihood_lowers_the_rejected_tokens_probability() -> None:
    import torch

    from coderev.engine.training.continual.unlikelihood import Unlikelihood
    from tests.continual.helpers import tiny_model

    model = tiny_model(3)
    negatives = [([1, 5, 6, 7, 8, 9], 5), ([1, 10, 11, 12, 13], 4)]

    def probabilities() -> list[float]:
        with torch.no_grad():
            out = []
            for ids, k in negatives:
                logits = model(input_ids=torch.tensor([ids[:k]])).logits[0, -1]
                out.append(float(torch.softmax(logits, -1)[ids[k]]))
            return out

    before = probabilities()
    method = Unlikelihood(negatives, pad_id=2, weight=1.0, per_step=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(30):
        optimizer.zero_grad()
        method.penalty(model, (None, None, None), None).backward()
        optimizer.step()
    after = probabilities()
    assert all(a < b / 2 for a, b in zip(after, before, strict=True)), (before, after)
    assert method.state() == {"position": 0}  # 30 steps of 2 over 2 negatives: a full cycle, checkpointed


@pytest.mark.slow
def test_learn_takes_rejected_fixes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``learn --negatives`` alone: the rule's fix of each rejected finding is the new data, the
    rejected token is unlearnt, and the manifest says how often each slot still writes the fix."""
    from coderev.engine.model.manifest import read_manifest
    from coderev.server.cli import main
    from tests.continual.test_learn_command import _mini_base

    slot, _ = _mini_base(tmp_path)
    args = ["model", "learn", "--method", "replay", "--negatives", str(_negative(tmp_path / "n.jsonl", "[user_id]")),
            "--base", str(slot), "--work", str(tmp_path / "learn"), "--max-steps", "2", "--old-units", "4",
            "--replay-units", "4", "--no-install", "--json", "--strength", "unlikelihood=0.5"]
    assert main(args) == 0
    figures = read_manifest(Path(json.loads(capsys.readouterr().out)["slot"]))["continual"]
    assert figures["new_train_samples"] == 1  # the rule's own fix of the rejected finding
    rejected = figures["rejected_fixes"]
    assert rejected["n"] == 1 and rejected["unlikelihood_weight"] == 0.5
    assert 0.0 <= rejected["candidate_still_writes"] <= 1.0 and 0.0 <= rejected["base_still_writes"] <= 1.0
