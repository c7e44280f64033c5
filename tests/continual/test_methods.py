"""Each continual-learning method on a miniature decoder: what it computes, and that it holds."""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from coderev.engine.training.continual.methods import Batch
from tests.continual.helpers import config, tiny_model, token_data

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="continual learning needs the train extra (torch, transformers)",
)
OLD = token_data(1, 24, 3, 30)  # the old task's tokens
NEW = token_data(2, 24, 30, 60)  # the new task's: other words


def _old_batches(model: object) -> Callable[[], Iterable[Batch]]:
    from coderev.engine.training.continual.loop import old_batches

    return old_batches(OLD, config(), 2)


def test_ewc_fisher_is_the_mean_squared_gradient_and_zero_where_the_loss_does_not_depend() -> None:
    import torch

    from coderev.engine.training.continual.methods import EWC, task_loss

    model = tiny_model()
    model.register_parameter("unused", torch.nn.Parameter(torch.ones(4)))
    ewc = EWC(1.0)
    ewc.prepare(model, _old_batches(model))
    batches = list(_old_batches(model)())
    model.zero_grad()
    expected = torch.zeros_like(model.model.layers[0].mlp.down_proj.weight)
    for batch in batches:
        model.zero_grad()
        task_loss(model, batch).backward()
        expected += model.model.layers[0].mlp.down_proj.weight.grad ** 2
    fisher = ewc.importance["model.layers.0.mlp.down_proj.weight"]
    ratio = fisher / (expected / len(batches))  # the same up to the mean-1 normalisation
    assert float(fisher.abs().sum()) > 0 and torch.allclose(ratio, ratio.flatten()[0].expand_as(ratio), rtol=1e-3)
    assert float(ewc.importance["unused"].abs().sum()) == 0.0
    assert ewc.penalty(model, batches[0], None) == 0  # at the old weights
    with torch.no_grad():
        model.model.layers[0].mlp.down_proj.weight.add_(0.01)
    assert float(ewc.penalty(model, batches[0], None).detach()) > 0


def test_ewc_keeps_the_old_task_closer_than_naive_fine_tuning(tmp_path: Path) -> None:
    from coderev.engine.training.continual.loop import learn
    from coderev.engine.training.continual.methods import build, task_loss
    from coderev.engine.training.train import collate

    losses = {}
    for method in ("naive", "ewc"):
        model = tiny_model()
        replay, methods = build(method, ewc_strength=50.0)
        learn(model, NEW, OLD, methods, replay=replay, cfg=config(max_steps=12), pad_id=2, work=tmp_path / method)
        losses[method] = float(task_loss(model, collate(OLD, list(range(len(OLD))), 2)).detach())
    assert losses["ewc"] < losses["naive"]


def test_si_importance_accumulates_the_path_integral() -> None:
    import torch

    from coderev.engine.training.continual.methods import SI, task_loss

    model = tiny_model()
    si = SI(1.0)
    si.prepare(model, _old_batches(model))
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert all(torch.equal(start[n], si.anchor[n]) for n in start)  # the short path leaves the weights as they were
    assert all(float(t.min()) >= 0 for t in si.importance.values())
    assert sum(float(t.sum()) for t in si.importance.values()) > 0
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    expected = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    for batch in list(_old_batches(model)())[:3]:
        optimizer.zero_grad()
        task_loss(model, batch).backward()
        si.after_backward(model)
        grads = {n: p.grad.clone() for n, p in model.named_parameters()}
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        optimizer.step()
        si.after_step(model)
        for n, p in model.named_parameters():
            expected[n] += -grads[n] * (p.detach() - before[n])
    for n, value in expected.items():
        assert torch.allclose(si.omega[n], value, atol=1e-9)
    assert sum(float(t.sum()) for t in si.omega.values()) > 0  # SGD on the loss lowers it: positive work


def test_lwf_uses_the_previous_slot_as_teacher(tmp_path: Path) -> None:
    import torch

    from coderev.engine.training.continual.loop import learn
    from coderev.engine.training.continual.methods import build
    from coderev.engine.training.train import collate

    model = tiny_model()
    teacher = copy.deepcopy(model)
    before = {n: p.detach().clone() for n, p in teacher.named_parameters()}
    _, methods = build("lwf", teacher=teacher)
    batch = collate(NEW, [0, 1, 2], 2)
    logits = model(input_ids=batch[0], attention_mask=batch[2]).logits
    assert float(methods[0].penalty(model, batch, logits).detach()) == pytest.approx(0.0, abs=1e-6)
    learn(model, NEW, OLD, methods, replay=False, cfg=config(), pad_id=2, work=tmp_path)
    logits = model(input_ids=batch[0], attention_mask=batch[2]).logits
    assert float(methods[0].penalty(model, batch, logits).detach()) > 1e-4
    assert all(torch.equal(before[n], p) and not p.requires_grad for n, p in teacher.named_parameters())
    with pytest.raises(ValueError, match="teacher"):
        build("lwf")


def test_packnet_masks_are_disjoint_per_task_and_freeze_old_weights_exactly(tmp_path: Path) -> None:
    import torch

    from coderev.engine.training.continual.loop import learn
    from coderev.engine.training.continual.methods import build
    from coderev.engine.training.continual.packnet import FREE, PackNet

    model = tiny_model()
    _, methods = build("packnet")
    packnet = methods[0]
    assert isinstance(packnet, PackNet)
    base = {n: p.detach().clone() for n, p in model.named_parameters()}
    learn(model, NEW, OLD, methods, replay=False, cfg=config(), pad_id=2, work=tmp_path / "t1")
    owners = {n: t.clone() for n, t in packnet.owner.items()}
    for n, p in model.named_parameters():
        task0 = owners[n] == 0
        assert torch.equal(p.detach()[task0], base[n][task0])  # exactly, weight decay included
    moved = sum(int((p.detach() != base[n]).sum()) for n, p in model.named_parameters())
    assert moved > 0 and sum(int((t == 1).sum()) for t in owners.values()) > 0
    after_t1 = {n: p.detach().clone() for n, p in model.named_parameters()}
    following = PackNet()  # the next task starts from the masks the last one left
    following.owner = {n: t.clone() for n, t in owners.items()}
    learn(model, token_data(3, 24, 10, 50), OLD, [following], replay=False, cfg=config(), pad_id=2,
          work=tmp_path / "t2")
    assert following.task == 2
    for n, p in model.named_parameters():
        owner = following.owner[n]
        for task in (0, 1):
            assert torch.equal(p.detach()[owners[n] == task], after_t1[n][owners[n] == task])
        assert torch.equal(owner[owners[n] != FREE], owners[n][owners[n] != FREE])  # old masks unchanged
        assert not bool(((owner == 2) & (owners[n] != FREE)).any())  # task 2 only took free weights


def test_replay_mixes_the_stated_share_of_old_samples() -> None:
    from coderev.engine.training.continual.loop import epoch_order

    data = NEW + OLD
    for share in (0.25, 0.5):
        order = epoch_order(len(NEW), len(OLD), 0, cfg=config(replay_share=share), encoded=data, replay=True)
        picked = [k for batch in order for k in batch]
        old = sum(k >= len(NEW) for k in picked)
        assert old / len(picked) == pytest.approx(share, abs=0.02)
        assert sorted(k for k in picked if k < len(NEW)) == list(range(len(NEW)))
    plain = [k for batch in epoch_order(len(NEW), len(OLD), 0, cfg=config(), encoded=data, replay=False) for k in batch]
    assert sorted(plain) == list(range(len(NEW)))
    assert epoch_order(len(NEW), len(OLD), 3, cfg=config(), encoded=data, replay=True) == \
        epoch_order(len(NEW), len(OLD), 3, cfg=config(), encoded=data, replay=True)


def test_methods_compose_and_unknown_ones_are_refused() -> None:
    from coderev.engine.training.continual.methods import build

    replay, methods = build("replay+ewc+si")
    assert replay and [m.name for m in methods] == ["ewc", "si"]
    assert build("naive") == (False, [])
    for bad in ("ewc+ewc", "dropout", "replay+"):
        with pytest.raises(ValueError):
            build(bad)


def test_resume_continues_only_its_own_runs_checkpoint(tmp_path: Path) -> None:
    from coderev.engine.training.continual.loop import learn

    first = learn(tiny_model(), NEW, OLD, [], replay=False, cfg=config(max_steps=4), pad_id=2, work=tmp_path,
                  identity="a")
    again = learn(tiny_model(), NEW, OLD, [], replay=False, cfg=config(max_steps=6), pad_id=2, work=tmp_path,
                  resume=True, identity="a")
    other = learn(tiny_model(), NEW, OLD, [], replay=False, cfg=config(max_steps=6), pad_id=2, work=tmp_path,
                  resume=True, identity="b")
    assert first["steps"] == 4 and again["steps"] == 6 and other["steps"] == 6
    assert again["mean_task_loss"] != other["mean_task_loss"]  # 2 steps more, against 6 from the start
