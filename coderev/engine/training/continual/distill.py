"""Distillation from a teacher's logits, on the answer tokens only: the KL term LwF adds, and the
whole Hinton loss ``coderev model distill`` trains a student with."""

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


def answer_cross_entropy(batch: tuple[Any, Any, Any], logits: Any) -> Any:
    """The cross-entropy of the answer tokens (the prompt masked out), as transformers computes a
    causal LM's ``loss`` from the same logits and labels."""
    import torch.nn.functional as F

    labels = batch[1]
    shifted = logits[:, :-1].float()
    return F.cross_entropy(shifted.reshape(-1, shifted.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)


def hinton_loss(teacher: Any, batch: tuple[Any, Any, Any], student_logits: Any, *, alpha: float,
                temperature: float) -> Any:
    """``(1 - alpha) * CE(answers) + alpha * T^2 * KL(teacher || student)`` on the answer tokens."""
    ce = answer_cross_entropy(batch, student_logits)
    if alpha == 0:
        return ce
    return (1 - alpha) * ce + alpha * kl_on_answers(teacher, batch, student_logits, temperature)
