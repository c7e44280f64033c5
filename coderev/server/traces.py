"""Data-flow traces as people read them, shared by the editor (hover, related information) and
the scan reports: what a finding's evidence means, and step labels with the file's secrets masked.

A label names code (``source: request.args.get(...)``); should it ever quote a credential that
the secret rules found in the same file, the credential is shown the way every other report
shows it (its first four characters and its length), never whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from coderev.analyzers.finding import Evidence, Span, TraceStep
from coderev.analyzers.patterns import redacted

EVIDENCE_TEXT: Final = {
    Evidence.SOURCE: "untrusted source reaches this sink",
    Evidence.LOCAL: "only a local source (command line, environment, console) reaches this sink",
    Evidence.NON_CONSTANT: "non-constant value, no untrusted source traced",
}


def secret_values(source: bytes, spans: Iterable[Span]) -> tuple[str, ...]:
    """The text of each secret span of ``source``, longest first (so a secret that contains
    another is masked whole)."""
    values = {source[s.start_byte : s.end_byte].decode("utf-8", "replace") for s in spans}
    return tuple(sorted((v for v in values if v.strip()), key=len, reverse=True))


def masked(label: str, secrets: Sequence[str]) -> str:
    """``label`` with every occurrence of a secret replaced by its redacted form."""
    for value in secrets:
        if value in label:
            label = label.replace(value, redacted(value.encode("utf-8")))
    return label


def step_line(step: TraceStep) -> str:
    """Where a step is, for one line of text: ``line 3``, or ``helpers/db.py:12`` in another file."""
    row = step.span.start_row + 1
    return f"{step.path}:{row}" if step.path else f"line {row}"
