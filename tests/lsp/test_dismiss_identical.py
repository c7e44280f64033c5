"""Dismissing one of two identical findings (same rule, same code, same function) through the
real server keeps the other one, in this session and after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import RULE, Client, dismiss, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

TWICE = "import yaml\n\ndef load(s):\n    a = yaml.load(s)\n    b = yaml.load(s)\n    return a, b\n"


def _fingerprint(diagnostic: types.Diagnostic) -> str:
    assert isinstance(diagnostic.data, dict)
    return str(diagnostic.data["fingerprint"])


async def _after_dismissal(client: Client, uri: str, dismissed: str) -> list[types.Diagnostic]:
    """The document's diagnostics once the server has applied the dismissal of ``dismissed``."""
    if client.pulls:
        return await client.diagnostics_for(uri, 1)

    def latest() -> list[list[types.Diagnostic]]:  # empty (falsy) while the dismissed one still shows
        shown = list([p for p in client.published if p.uri == uri][-1].diagnostics)
        return [] if any(_fingerprint(d) == dismissed for d in shown) else [shown]

    [shown] = await client.wait_until(latest)
    return list(shown)


async def test_dismissing_one_of_two_identical_findings_keeps_the_other(fresh_client: Client, tmp_path: Path) -> None:
    client = fresh_client
    uri = client.open("twice.py", TWICE)
    first, second = await client.diagnostics_for(uri, 1)
    assert (first.code, second.code) == (RULE, RULE)
    assert (first.range.start.line, second.range.start.line) == (3, 4)
    assert _fingerprint(first) != _fingerprint(second)

    await dismiss(client, uri, first)
    [kept] = await _after_dismissal(client, uri, _fingerprint(first))
    assert kept.range.start.line == 4 and _fingerprint(kept) == _fingerprint(second)
    await stop(client)

    again = await start(client.client_name, client.root, tmp_path / "cache")  # dismissals are on disk
    try:
        uri = again.open("twice.py", TWICE)
        [kept] = await again.diagnostics_for(uri, 1)
        assert kept.range.start.line == 4 and _fingerprint(kept) == _fingerprint(second)
    finally:
        await stop(again)
