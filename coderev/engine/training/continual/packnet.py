"""PackNet: each task owns a disjoint set of weights; a new task trains only weights it is given.

``owner`` maps every weight to the task that owns it (0 the base slot's, 1, 2, ... later ones) or
to FREE. The original PackNet zeroes the weights it frees and, at inference, masks out every later
task's weights by task id. Here one model serves every task with no task id, so a weight a new
task moves changes the old tasks' outputs whatever its value; what matters is how much the old
task reacts to it, not how large it is. Hence:

- **Which weights are freed and given**: the least important to the old task, by the diagonal of
  the old task's Fisher information on the replay pool (:func:`.methods.fisher_diagonal`), not
  by magnitude. A fresh run over a base without masks frees the ``free`` share of every linear
  weight matrix (the embedding and the norms stay task 0's); each run gives the new task the
  ``keep`` share of the free weights of each matrix, chosen before training, and only those
  train, so the rest stay free, unmoved, for later runs.
- **Owned weights are frozen in the INT8 slot too.** CTranslate2 quantizes a matrix row by row
  with ``scale = 127 / max|row|``; a row's largest weight is never freed and trained weights are
  clamped to ``[-max, max]`` of their row, so the scale, and every owned weight's int8 value, is
  the same in the candidate slot as in the base.

Gradients of weights the task does not train are zeroed, and after each step they are put back
exactly (AdamW's weight decay would move them). The masks travel with the candidate slot
(:data:`MASKS`, :func:`save_masks` / :func:`load_masks`), so the next run over it trains only
weights no earlier task owns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .methods import Batch, Method, _params, fisher_diagonal

FREE = 255
MASKS = "packnet.safetensors"


def _linear(name: str, p: Any) -> bool:
    return bool(p.dim() == 2 and "embed" not in name)


def _row_max(p: Any) -> Any:
    """A mask of each row's largest weight by magnitude (one per row)."""
    import torch

    mask = torch.zeros(p.shape, dtype=torch.bool)
    mask.scatter_(1, p.detach().abs().argmax(dim=1, keepdim=True), True)
    return mask


def _least(score: Any, candidates: Any, count: int) -> Any:
    """A mask of the ``count`` candidates with the lowest score."""
    import torch

    chosen = torch.zeros(score.shape, dtype=torch.bool)
    if count > 0:
        ranked = torch.where(candidates, score, torch.inf).flatten().argsort(stable=True)[:count]
        chosen.view(-1)[ranked] = True
    return chosen & candidates


class PackNet(Method):
    name = "packnet"

    def __init__(self, free: float = 0.5, keep: float = 0.5, criterion: str = "fisher") -> None:
        if criterion not in ("fisher", "magnitude"):
            raise ValueError(f"packnet criterion is fisher or magnitude, not {criterion!r}")
        self.free, self.keep, self.criterion = free, keep, criterion
        self.owner: dict[str, Any] = {}
        self.frozen: dict[str, Any] = {}
        self.bound: dict[str, Any] = {}  # per row of a trained matrix: its largest magnitude
        self.task = 0
        self.freed_fisher_share = 0.0  # of the old task's Fisher mass, on the weights this task trains

    def prepare(self, model: Any, old_batches: Callable[[], Iterable[Batch]],
                new_batches: Callable[[], Iterable[Batch]] | None = None) -> None:
        import torch

        score = fisher_diagonal(model, old_batches) if self.criterion == "fisher" else \
            {n: p.detach().abs() for n, p in _params(model)}
        # what a weight costs the old task per what it is worth to the new one
        give = score
        if self.criterion == "fisher" and new_batches is not None:
            useful = fisher_diagonal(model, new_batches)
            give = {n: score[n] / (useful[n] + 1e-30) for n in score}
        if not self.owner:
            for n, p in _params(model):
                owner = torch.zeros(p.shape, dtype=torch.uint8)
                if _linear(n, p):
                    owner[_least(score[n], ~_row_max(p), int(p.numel() * self.free))] = FREE
                self.owner[n] = owner
        self.task = 1 + max(int(t[t != FREE].max()) if bool((t != FREE).any()) else -1 for t in self.owner.values())
        if self.task >= FREE:
            raise ValueError(f"packnet holds at most {FREE - 1} tasks")
        for n, p in _params(model):
            free = (self.owner[n] == FREE) & ~_row_max(p) if _linear(n, p) else self.owner[n] == FREE
            self.owner[n][_least(give[n], free, int(int(free.sum()) * self.keep))] = self.task
        self.frozen = {n: p.detach().clone() for n, p in _params(model)}
        self.bound = {n: p.detach().abs().amax(dim=1, keepdim=True) for n, p in _params(model) if _linear(n, p)}
        if self.criterion == "fisher":
            total = sum(float(t.sum()) for t in score.values())
            mine = sum(float(score[n][t == self.task].sum()) for n, t in self.owner.items())
            self.freed_fisher_share = mine / total if total > 0 else 0.0

    def after_backward(self, model: Any) -> None:
        for n, p in _params(model):
            if p.grad is not None:
                p.grad.mul_(self.owner[n] == self.task)

    def after_step(self, model: Any) -> None:
        import torch

        with torch.no_grad():
            for n, p in _params(model):
                mine = self.owner[n] == self.task
                if n in self.bound:
                    p.copy_(torch.where(mine, torch.maximum(torch.minimum(p, self.bound[n]), -self.bound[n]), p))
                p[~mine] = self.frozen[n][~mine]

    def state(self) -> dict[str, Any]:
        return {"task": self.task, "fisher_share": self.freed_fisher_share,
                **{f"owner.{n}": t for n, t in self.owner.items()},
                **{f"frozen.{n}": t for n, t in self.frozen.items()},
                **{f"bound.{n}": t for n, t in self.bound.items()}}

    def load(self, state: dict[str, Any]) -> None:
        self.owner = {k.removeprefix("owner."): v for k, v in state.items() if k.startswith("owner.")}
        self.frozen = {k.removeprefix("frozen."): v for k, v in state.items() if k.startswith("frozen.")}
        self.bound = {k.removeprefix("bound."): v for k, v in state.items() if k.startswith("bound.")}
        self.task = int(state.get("task", 0))
        self.freed_fisher_share = float(state.get("fisher_share", 0.0))

    def ownership(self) -> dict[str, float]:
        """Share of the masked weights each task owns, and the free share ("free")."""
        total = sum(t.numel() for t in self.owner.values())
        counts: dict[str, float] = {}
        for t in self.owner.values():
            for value, count in zip(*(x.tolist() for x in t.unique(return_counts=True)), strict=True):
                key = "free" if value == FREE else str(value)
                counts[key] = counts.get(key, 0) + count
        return {k: round(v / max(1, total), 4) for k, v in sorted(counts.items())}


def save_masks(packnet: PackNet, slot: Path) -> None:
    """The ownership masks into the candidate slot (hashed with its other files by the manifest)."""
    from safetensors.torch import save_file

    save_file({n: t.contiguous() for n, t in packnet.owner.items()}, str(slot / MASKS),
              metadata={"tasks": str(packnet.task + 1)})


def load_masks(slot: Path) -> dict[str, Any]:
    """The masks a previous PackNet run left in ``slot``; empty when it has none."""
    from safetensors.torch import load_file

    path = slot / MASKS
    return dict(load_file(str(path))) if path.is_file() else {}
