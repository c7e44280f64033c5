"""Distillation from a teacher's logits: the KL term LwF adds, on the answer tokens only."""

from __future__ import annotations

from typing import Any


def kl_on_answers(teacher: Any, batch: tuple[Any, Any, Any], student_logits: Any, temperature: float) -> Any:
    """KL(teacher || student) of the temperature-softened next-token distributions over the
    positions whose next token is an answer token, averaged, times T^2 (Hinton et al.)."""
    import torch
    import torch.nn.functional as F

    ids, labels, mask = batch
    with torch.no_grad():
        teacher_logits = teacher(input_ids=ids, attention_mask=mask).logits
    where = labels[:, 1:] != -100
    t = teacher_logits[:, :-1][where].float() / temperature
    s = student_logits[:, :-1][where].float() / temperature
    kl = F.kl_div(F.log_softmax(s, dim=-1), F.log_softmax(t, dim=-1), log_target=True, reduction="batchmean")
    return kl * temperature**2
