"""Anti-forgetting methods as hooks around one training step; they compose (``replay+ewc``).

Each method sees the model before training (``prepare``, with batches of the old task), adds a
term to the loss (``penalty``), touches gradients and weights around the optimizer step
(``after_backward``, ``after_step``), and has a state that checkpoints save and restore. Replay
is not here: it is the share of old samples in the data order (:mod:`.loop`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Batch = tuple[Any, Any, Any]  # input ids, labels, attention mask (train.collate)
METHODS = ("replay", "ewc", "si", "lwf", "packnet")


def task_loss(model: Any, batch: Batch) -> Any:
    ids, labels, mask = batch
    return model(input_ids=ids, attention_mask=mask, labels=labels).loss


def _params(model: Any) -> list[tuple[str, Any]]:
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def fisher_diagonal(model: Any, old_batches: Callable[[], Iterable[Batch]]) -> dict[str, Any]:
    """The diagonal of the empirical Fisher information of the old task's loss: one squared
    gradient per old batch, averaged; how much the old task's loss reacts to moving each weight."""
    import torch

    fisher = {n: torch.zeros_like(p) for n, p in _params(model)}
    count = 0
    for batch in old_batches():
        model.zero_grad(set_to_none=True)
        task_loss(model, batch).backward()
        for n, p in _params(model):
            if p.grad is not None:
                fisher[n] += p.grad.detach() ** 2
        count += 1
    model.zero_grad(set_to_none=True)
    return {n: t / max(1, count) for n, t in fisher.items()}


class Method:
    name = "naive"

    def prepare(self, model: Any, old_batches: Callable[[], Iterable[Batch]],
                new_batches: Callable[[], Iterable[Batch]] | None = None) -> None:
        """Before the first step of a fresh run (not on resume: the state comes back instead);
        ``old_batches``/``new_batches``: a few batches of the old task's pool and of the new data."""

    def penalty(self, model: Any, batch: Batch, logits: Any) -> Any:
        return None

    def after_backward(self, model: Any) -> None:
        """Between ``backward`` and the optimizer step."""

    def after_step(self, model: Any) -> None:
        """After the optimizer step."""

    def finish(self, model: Any) -> None:
        """After the last step."""

    def state(self) -> dict[str, Any]:
        return {}

    def load(self, state: dict[str, Any]) -> None:
        del state

    def extra_bytes(self) -> int:
        """Memory the method holds beside the model and optimizer."""
        return sum(t.numel() * t.element_size() for t in self.state().values() if hasattr(t, "numel"))


class _Anchored(Method):
    """A quadratic pull toward the old weights, weighted per weight by an importance."""

    strength = 1.0

    def __init__(self, strength: float) -> None:
        self.strength = strength
        self.anchor: dict[str, Any] = {}
        self.importance: dict[str, Any] = {}

    def penalty(self, model: Any, batch: Batch, logits: Any) -> Any:
        total = None
        for n, p in _params(model):
            term = (self.importance[n] * (p - self.anchor[n]) ** 2).sum()
            total = term if total is None else total + term
        return None if total is None else 0.5 * self.strength * total

    def _normalize(self) -> None:
        """Importance with mean 1 over all weights, so ``strength`` does not depend on its scale."""
        count = sum(t.numel() for t in self.importance.values())
        mean = float(sum(float(t.sum()) for t in self.importance.values())) / max(1, count)
        if mean > 0:
            self.importance = {n: t / mean for n, t in self.importance.items()}

    def state(self) -> dict[str, Any]:
        return {**{f"anchor.{n}": t for n, t in self.anchor.items()},
                **{f"importance.{n}": t for n, t in self.importance.items()}}

    def load(self, state: dict[str, Any]) -> None:
        self.anchor = {k.removeprefix("anchor."): v for k, v in state.items() if k.startswith("anchor.")}
        self.importance = {k.removeprefix("importance."): v for k, v in state.items()
                           if k.startswith("importance.")}


class EWC(_Anchored):
    """Elastic weight consolidation: the diagonal of the (empirical) Fisher information of the
    old task's loss, one squared gradient per old batch, averaged."""

    name = "ewc"

    def prepare(self, model: Any, old_batches: Callable[[], Iterable[Batch]],
                new_batches: Callable[[], Iterable[Batch]] | None = None) -> None:
        self.anchor = {n: p.detach().clone() for n, p in _params(model)}
        self.importance = fisher_diagonal(model, old_batches)
        self._normalize()


class SI(_Anchored):
    """Synaptic intelligence: importance = path integral of -gradient x weight change over
    training, over (total change squared + xi). The base slot was trained without this
    bookkeeping, so ``prepare`` walks a short path on the old task's batches (plain SGD, weights
    restored afterwards); during the new task the integral keeps accumulating (``omega``) for
    the next run."""

    name = "si"

    def __init__(self, strength: float, xi: float = 1e-3, lr: float = 1e-3) -> None:
        super().__init__(strength)
        self.xi, self.lr = xi, lr
        self.omega: dict[str, Any] = {}
        self._before: dict[str, Any] = {}
        self._grads: dict[str, Any] = {}

    def prepare(self, model: Any, old_batches: Callable[[], Iterable[Batch]],
                new_batches: Callable[[], Iterable[Batch]] | None = None) -> None:
        import torch

        self.anchor = {n: p.detach().clone() for n, p in _params(model)}
        self.omega = {n: torch.zeros_like(p) for n, p in _params(model)}
        for batch in old_batches():
            model.zero_grad(set_to_none=True)
            task_loss(model, batch).backward()
            self.after_backward(model)
            with torch.no_grad():
                for _, p in _params(model):
                    if p.grad is not None:
                        p.sub_(self.lr * p.grad)
            self.after_step(model)
        model.zero_grad(set_to_none=True)
        with torch.no_grad():
            self.importance = {n: self.omega[n].clamp(min=0) / ((p.detach() - self.anchor[n]) ** 2 + self.xi)
                               for n, p in _params(model)}
            for n, p in _params(model):
                p.copy_(self.anchor[n])
        self._normalize()
        self.omega = {n: torch.zeros_like(t) for n, t in self.omega.items()}

    def after_backward(self, model: Any) -> None:
        self._before = {n: p.detach().clone() for n, p in _params(model)}
        self._grads = {n: p.grad.detach().clone() for n, p in _params(model) if p.grad is not None}

    def after_step(self, model: Any) -> None:
        for n, p in _params(model):
            if n in self._grads:
                self.omega[n] += -self._grads[n] * (p.detach() - self._before[n])
        self._before, self._grads = {}, {}

    def state(self) -> dict[str, Any]:
        return {**super().state(), **{f"omega.{n}": t for n, t in self.omega.items()}}

    def load(self, state: dict[str, Any]) -> None:
        super().load(state)
        self.omega = {k.removeprefix("omega."): v for k, v in state.items() if k.startswith("omega.")}


class LwF(Method):
    """Learning without forgetting: the previous slot is the teacher; the student also matches
    its temperature-softened answer distribution on the new data (KL, scaled by T^2)."""

    name = "lwf"

    def __init__(self, teacher: Any, alpha: float = 1.0, temperature: float = 2.0) -> None:
        self.teacher, self.alpha, self.temperature = teacher, alpha, temperature
        teacher.eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    def penalty(self, model: Any, batch: Batch, logits: Any) -> Any:
        from .distill import kl_on_answers

        return self.alpha * kl_on_answers(self.teacher, batch, logits, self.temperature)

    def extra_bytes(self) -> int:
        return int(sum(p.numel() * p.element_size() for p in self.teacher.parameters()))


def build(method: str, *, teacher: Any = None, ewc_strength: float = 1.0, si_strength: float = 1.0,
          lwf_alpha: float = 1.0, packnet_free: float = 0.5, packnet_keep: float = 0.5,
          packnet_masks: dict[str, Any] | None = None) -> tuple[bool, list[Method]]:
    """(replay on?, the other methods) from ``replay+ewc`` and the like; ``naive`` is none.
    ``packnet_masks``: the ownership masks a previous PackNet run left in the base slot."""
    from .packnet import PackNet

    names = [] if method == "naive" else method.split("+")
    unknown = [n for n in names if n not in METHODS]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"unknown or repeated method in {method!r} (known: naive, {', '.join(METHODS)})")
    made: list[Method] = []
    for n in names:
        if n == "ewc":
            made.append(EWC(ewc_strength))
        elif n == "si":
            made.append(SI(si_strength))
        elif n == "lwf":
            if teacher is None:
                raise ValueError("lwf needs the previous slot as teacher")
            made.append(LwF(teacher, lwf_alpha))
        elif n == "packnet":
            packnet = PackNet(packnet_free, packnet_keep)
            packnet.owner = dict(packnet_masks or {})
            made.append(packnet)
    return "replay" in names, made
