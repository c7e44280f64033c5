"""PackNet: each task owns a disjoint set of weights; a new task trains only the free ones.

``owner`` maps every weight to the task that owns it (0 the base slot's, 1, 2, ... later ones) or
to FREE. A fresh run over a base without masks gives task 0 the largest ``1 - free`` share of
every linear weight matrix by magnitude, and all of the embedding and the norms; the rest is free
(the weights keep their values: one model serves every task, so nothing is zeroed). Gradients of
owned weights are zeroed, and after each step owned weights are put back exactly (AdamW's weight
decay would move them). At the end the new task takes the ``keep`` share of the free weights it
moved most, so the next run still has room.
"""

from __future__ import annotations

from typing import Any

from .methods import Method, _params

FREE = 255


class PackNet(Method):
    name = "packnet"

    def __init__(self, free: float = 0.5, keep: float = 0.5) -> None:
        self.free, self.keep = free, keep
        self.owner: dict[str, Any] = {}
        self.frozen: dict[str, Any] = {}
        self.task = 0

    def prepare(self, model: Any, old_batches: Any) -> None:
        import torch

        del old_batches
        if not self.owner:
            for n, p in _params(model):
                owner = torch.zeros(p.shape, dtype=torch.uint8)
                if p.dim() == 2 and "embed" not in n:
                    cut = int(p.numel() * self.free)
                    if cut:
                        smallest = p.detach().abs().flatten().argsort()[:cut]
                        owner.view(-1)[smallest] = FREE
                self.owner[n] = owner
        self.task = 1 + max(int(t[t != FREE].max()) if bool((t != FREE).any()) else -1 for t in self.owner.values())
        self.frozen = {n: p.detach().clone() for n, p in _params(model)}

    def after_backward(self, model: Any) -> None:
        for n, p in _params(model):
            if p.grad is not None:
                p.grad.mul_(self.owner[n] == FREE)

    def after_step(self, model: Any) -> None:
        import torch

        with torch.no_grad():
            for n, p in _params(model):
                owned = self.owner[n] != FREE
                p[owned] = self.frozen[n][owned]

    def finish(self, model: Any) -> None:
        import torch

        moved = {n: torch.where(self.owner[n] == FREE, (p.detach() - self.frozen[n]).abs(), -1.0)
                 for n, p in _params(model)}
        for n, change in moved.items():
            free = int((self.owner[n] == FREE).sum())
            take = int(free * self.keep)
            if take:
                self.owner[n].view(-1)[change.flatten().argsort(descending=True)[:take]] = self.task

    def state(self) -> dict[str, Any]:
        return {"task": self.task, **{f"owner.{n}": t for n, t in self.owner.items()},
                **{f"frozen.{n}": t for n, t in self.frozen.items()}}

    def load(self, state: dict[str, Any]) -> None:
        self.owner = {k.removeprefix("owner."): v for k, v in state.items() if k.startswith("owner.")}
        self.frozen = {k.removeprefix("frozen."): v for k, v in state.items() if k.startswith("frozen.")}
        self.task = int(state.get("task", 0))
