"""Tokens the model generated in this process, for ``coderev_tokens_generated_total``.

The worker child reports, with its answers, how many tokens CTranslate2 generated for each
(``len(sequences_ids)``); the parent hands a request's answers back as :class:`Answers`, a list of
texts that also carries that count. :data:`TOKENS` adds them up by role (``V2``: the production
slot serving a request, ``V1``: the experimental slot's shadow copy) and task (``fix``/``review``,
the prompt format's first word), both bounded sets; the metrics read it at scrape time, as they
read the engine's status. One tally per process, like the metrics registry: every engine of the
process counts into it (one in production; several only in tests).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from coderev.engine.model.prompt import task_of


class Answers(list[str]):
    """A request's answers (one text per prompt) and the tokens generated for them in all."""

    def __init__(self, texts: Iterable[str] = (), tokens: int = 0) -> None:
        super().__init__(texts)
        self.tokens = tokens


class TokenTally:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def add(self, role: str, prompts: Sequence[str], answers: Sequence[str]) -> None:
        """Count ``answers`` to ``prompts`` (nothing unless they are :class:`Answers` with a count:
        a remote provider's answers carry none)."""
        tokens = answers.tokens if isinstance(answers, Answers) else 0
        if tokens <= 0 or not prompts:
            return
        key = (role, task_of(prompts[0]))
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + tokens

    def snapshot(self) -> dict[tuple[str, str], int]:
        """(role, task) -> tokens generated so far."""
        with self._lock:
            return dict(self._counts)


TOKENS = TokenTally()
