"""Rejected AI fixes as negatives (``coderev model learn --negatives``): unlikelihood training at
the token where the rejected fix went its own way.

A negative is the ``negatives.jsonl`` line the learning scheduler exports: the code (``before``,
in its ``unit``) and the fix the user turned down (``rejected``). Both become the FIX prompt and
answer the slot's own prompt builder makes (only when the analyzers verify the rejected code as
a fix of that finding, as an offered AI fix was). Penalising every token of the rejected answer
would also push down what it shares with a good fix (the ``<<<`` lines copy the code as it is,
and a good fix may start the same way), so one token is penalised: where the rejected answer
leaves the rule's own template fix of the same finding, or, for a rule without a template, the
first token of its first replacement (``>>>``) line. The term (Welleck et al., 2019) is
``-log(1 - p(token))`` at that position, averaged over a few negatives per step and weighted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coderev.analyzers.analysis import Analyzer
from coderev.engine.training.sample import Sample

from .methods import Batch, Method

Negative = tuple[list[int], int]  # token ids through the rejected token, and its index


def _point(sp: Any, answer: str, template: str | None) -> int | None:
    """Index in ``sp.encode(answer)`` of the token to penalise, or None when there is none."""
    tokens = sp.encode(answer)
    if template is not None:
        good = sp.encode(template)
        for k, token in enumerate(tokens):
            if k >= len(good) or token != good[k]:
                return k
        return None  # the rejected answer is the template's (or a prefix of it): nothing to unlearn
    marker = answer.find(">>> ")
    if marker < 0:
        return None
    target = marker + len(">>> ")
    for k in range(len(tokens)):
        if len(sp.decode(tokens[: k + 1])) > target:
            return k
    return None


def rejected_samples(path: Path, analyzer: Analyzer) -> list[tuple[Sample, Sample | None]]:
    """Each verifiable negative of ``path`` as a FIX sample whose answer is the rejected fix, with
    the rule's own fix of the same finding (a sample of the same prompt) where the rule has one."""
    from .sources import fix_samples_of

    out: list[tuple[Sample, Sample | None]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        before, rejected, unit = item["before"], item["rejected"], item.get("unit") or ""
        source, fixed = (unit, unit.replace(before, rejected, 1)) if before and before in unit else (before, rejected)
        style = item.get("style", "")
        found = fix_samples_of(source, item["language"], analyzer, "train", rule_id=item["rule_id"], fixed=fixed,
                               style=style)
        if found:
            template = fix_samples_of(source, item["language"], analyzer, "train", rule_id=item["rule_id"],
                                      style=style)
            if template and template[0].answer == found[0].answer:
                continue  # the rule's own fix, rejected: the rules keep offering it, nothing to unlearn
            out.append((found[0], template[0] if template else None))
    return out


def read_negatives(path: Path, analyzer: Analyzer, sp: Any, max_len: int) -> list[Negative]:
    """The negatives of ``path`` as (ids, index of the rejected token); unverifiable lines and
    rejected fixes that are the rule's own are skipped."""
    return to_negatives([(x, good.answer if good else None) for x, good in rejected_samples(path, analyzer)],
                        sp, max_len)


def to_negatives(samples: list[tuple[Sample, str | None]], sp: Any, max_len: int) -> list[Negative]:
    out: list[Negative] = []
    for sample, template in samples:
        point = _point(sp, sample.answer, template)
        if point is None:
            continue
        prompt = [sp.bos_id(), *sp.encode(sample.prompt)]
        ids = prompt + sp.encode(sample.answer)[: point + 1]
        if len(ids) <= max_len:
            out.append((ids, len(prompt) + point))
    return out


class Unlikelihood(Method):
    """Adds ``weight * mean(-log(1 - p(rejected token)))`` over ``per_step`` negatives a step,
    taken in a fixed cycle (its position is checkpointed, so a resumed run sees the same ones)."""

    name = "unlikelihood"

    def __init__(self, negatives: list[Negative], pad_id: int, weight: float = 1.0, per_step: int = 4) -> None:
        self.negatives, self.pad_id, self.weight, self.per_step = negatives, pad_id, weight, per_step
        self.position = 0

    def penalty(self, model: Any, batch: Batch, logits: Any) -> Any:
        import torch

        del batch, logits
        if not self.negatives:
            return None
        chosen = [self.negatives[(self.position + i) % len(self.negatives)] for i in range(self.per_step)]
        self.position = (self.position + self.per_step) % len(self.negatives)
        width = max(len(ids) for ids, _ in chosen)
        ids = torch.full((len(chosen), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(chosen), width), dtype=torch.long)
        for row, (seq, _) in enumerate(chosen):
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        out = model(input_ids=ids, attention_mask=mask).logits.float()
        rows = torch.arange(len(chosen))
        at = torch.tensor([k - 1 for _, k in chosen])  # the logits that predict the rejected token
        rejected = torch.tensor([seq[k] for seq, k in chosen])
        p = torch.softmax(out[rows, at], dim=-1)[rows, rejected]
        return self.weight * -torch.log((1 - p).clamp_min(1e-6)).mean()

    def state(self) -> dict[str, Any]:
        return {"position": self.position}

    def load(self, state: dict[str, Any]) -> None:
        self.position = int(state["position"])

    def extra_bytes(self) -> int:
        return sum(8 * len(ids) for ids, _ in self.negatives)
