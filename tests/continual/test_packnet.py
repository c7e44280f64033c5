"""PackNet: which weights a task is given (least important to the old task, never a row's largest),
that they stay within their row's range so owned weights keep their INT8 values, and that the masks
travel with the candidate slot into the next run, which trains only weights no earlier task owns."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tests.continual.helpers import config, tiny_model, token_data

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None,
    reason="continual learning needs the train extra (torch, transformers)",
)
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "bench" / "continual_rules"
OLD = token_data(1, 24, 3, 30)
NEW = token_data(2, 24, 30, 60)


def test_packnet_frees_what_the_old_task_needs_least_and_gives_what_the_new_one_needs_most(tmp_path: Path) -> None:
    import torch

    from coderev.engine.training.continual.loop import learn, old_batches
    from coderev.engine.training.continual.methods import fisher_diagonal
    from coderev.engine.training.continual.packnet import FREE, PackNet

    torch.set_num_threads(1)  # as the run computes them: the same sums, the same order
    model = tiny_model()
    fisher = fisher_diagonal(model, old_batches(OLD, config(), 2))
    useful = fisher_diagonal(model, old_batches(NEW, config(), 2))
    base = {n: p.detach().clone() for n, p in model.named_parameters()}
    packnet = PackNet(free=0.5, keep=0.5)
    learn(model, NEW, OLD, [packnet], replay=False, cfg=config(), pad_id=2, work=tmp_path)
    name = "model.layers.0.mlp.down_proj.weight"
    owner, score, ratio = packnet.owner[name], fisher[name], fisher[name] / (useful[name] + 1e-30)
    largest = base[name].abs().argmax(dim=1)
    row_max = torch.zeros_like(owner, dtype=torch.bool)
    row_max[torch.arange(owner.shape[0]), largest] = True
    given, free, kept = owner == 1, owner == FREE, (owner == 0) & ~row_max
    assert int(given.sum()) == pytest.approx(0.25 * owner.numel(), abs=owner.shape[0])
    # freed: the least important to the old task (its Fisher); given: of those, the ones that cost
    # the old task least per what they are worth to the new one (old Fisher over new Fisher)
    assert float(score[given | free].max()) <= float(score[kept].min())
    assert float(ratio[given].max()) <= float(ratio[free].min())
    assert bool((owner[torch.arange(owner.shape[0]), largest] == 0).all())  # a row's largest stays task 0's
    assert all(bool((t != FREE).all()) for n, t in packnet.owner.items() if "norm" in n or "embed" in n)
    for n, p in model.named_parameters():
        if p.dim() == 2 and "embed" not in n:
            assert torch.equal(p.detach().abs().amax(dim=1), base[n].abs().amax(dim=1))  # the INT8 scale
        untouched = packnet.owner[n] != 1  # task 0's and the still free weights
        assert torch.equal(p.detach()[untouched], base[n][untouched])
    assert sum(int((p.detach() != base[n]).sum()) for n, p in model.named_parameters()) > 0
    assert 0 < packnet.freed_fisher_share < 0.25
    ownership = packnet.ownership()
    assert set(ownership) == {"0", "1", "free"} and sum(ownership.values()) == pytest.approx(1.0, abs=1e-3)


def test_packnet_magnitude_criterion_frees_the_smallest_weights(tmp_path: Path) -> None:
    from coderev.engine.training.continual.packnet import FREE, PackNet

    model = tiny_model()
    packnet = PackNet(free=0.5, keep=0.5, criterion="magnitude")
    packnet.prepare(model, lambda: iter(()))
    weight = model.model.layers[0].self_attn.q_proj.weight.detach().abs()
    owner = packnet.owner["model.layers.0.self_attn.q_proj.weight"]
    assert float(weight[owner != 0].max()) <= float(weight[owner == 0].min())
    assert float(weight[owner == 1].max()) <= float(weight[owner == FREE].min())
    with pytest.raises(ValueError, match="criterion"):
        PackNet(criterion="random")


def _learn(base: Path, rules: Path, work: Path, **kwargs: Any) -> dict[str, Any]:
    from coderev.engine.training.continual.learn import LearnRequest, run_learn
    from coderev.engine.training.continual.loop import LearnConfig

    request = LearnRequest(method="packnet", base_slot=base, output=work / "slot", work=work, rules=rules,
                           config=LearnConfig(max_steps=3, lr=1e-2, warmup=1, batch_tokens=4096,
                                             checkpoint_minutes=60.0, threads=2),
                           old_test_units=4, replay_units=6, rule_variants=2, evaluate_old=False, **kwargs)
    return run_learn(request)


def _weights(slot: Path, cache: Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    from coderev.engine.training.dequantize import slot_to_hf

    return dict(load_file(str(slot_to_hf(slot, cache) / "model.safetensors")))


@pytest.mark.slow
def test_masks_travel_with_the_slot_and_the_next_run_keeps_every_owned_weight_bit_identical(tmp_path: Path) -> None:
    """Two runs in a row on a miniature slot: T1 from the base, T2 from T1's candidate. The second
    run starts from the masks the first left in its slot; in the INT8 slots, task 0's weights are
    the base's and task 1's the first candidate's, bit for bit."""
    import torch

    from coderev.engine.model.manifest import verify_slot
    from coderev.engine.training.continual.packnet import FREE, MASKS, load_masks
    from tests.continual.test_learn_command import _mini_base

    base, _ = _mini_base(tmp_path)
    first = _learn(base, RULES / "t1", tmp_path / "t1")
    one = tmp_path / "t1" / "slot"
    assert verify_slot(one)["files"][MASKS] == first["files"][MASKS]  # hashed like the slot's other files
    record = first["continual"]["packnet"]
    assert record["task"] == 1 and not record["masks_from_base"] and first["continual"]["old_task"]["candidate"] is None
    masks1 = load_masks(one)
    second = _learn(one, RULES / "t2", tmp_path / "t2")
    two = tmp_path / "t2" / "slot"
    verify_slot(two)
    assert second["continual"]["packnet"]["task"] == 2 and second["continual"]["packnet"]["masks_from_base"]
    masks2 = load_masks(two)
    w0, w1, w2 = (_weights(s, tmp_path / "read" / s.parent.name) for s in (base, one, two))
    moved = 0
    for n, owner1 in masks1.items():
        owner2 = masks2[n]
        assert torch.equal(owner2[owner1 != FREE], owner1[owner1 != FREE])  # the first run's owners stay
        assert not bool(((owner2 == 2) & (owner1 != FREE)).any())  # task 2 took only free weights
        assert torch.equal(w2[n][owner2 == 0], w0[n][owner2 == 0])
        assert torch.equal(w2[n][owner2 == 1], w1[n][owner2 == 1])
        moved += int((w2[n][owner2 == 2] != w1[n][owner2 == 2]).sum())
    assert moved > 0 and any(bool((t == 1).any()) for t in masks2.values())


def test_masks_that_do_not_fit_the_model_are_refused(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from coderev.analyzers.errors import CoderevError
    from coderev.engine.training.continual.learn import LearnRequest, _base_masks
    from coderev.engine.training.continual.packnet import MASKS

    save_file({"model.norm.weight": torch.zeros(3, dtype=torch.uint8)}, str(tmp_path / MASKS))
    request = LearnRequest(method="replay+packnet", base_slot=tmp_path, output=tmp_path / "o", work=tmp_path / "w")
    with pytest.raises(CoderevError, match="does not fit"):
        _base_masks(request, tiny_model())
    request.method = "replay"
    assert _base_masks(request, tiny_model()) == {}
