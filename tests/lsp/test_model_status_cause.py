"""The editor is told the real cause of rules-only mode: a corrupt slot shows as PRV004 with the
hash check's detail (PRV002, the file) in ``coderev/status`` and in the server's warning, not as a
bare PRV001 "no usable model slot" with the cause left in stderr."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from coderev.engine.slots.store import SlotStore
from tests.lsp.conftest import Client, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

WAIT = 60.0


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    return value


def _latest(client: Client) -> dict[str, Any]:
    return dict(_plain(client.statuses[-1])) if client.statuses else {}


async def test_a_corrupt_slot_is_reported_as_quarantined_with_its_cause(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    store = SlotStore(tmp_path / "slots")
    store.ensure_default()
    production = store.production()
    assert production is not None
    model = production.path / "model.bin"
    os.chmod(model, 0o644)
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    options = {"model.enabled": True, "model.storePath": str(tmp_path / "slots"), "ai.review": False}
    client = await start(client_name, workspace, tmp_path / "cache", options)
    try:
        await client.wait_until(lambda: _latest(client).get("mode") == "fallback", WAIT)
        error = _plain(_latest(client)["error"])
        assert error["code"] == "PRV004", error
        assert production.id in error["message"] and "PRV002" in error["message"]
        assert "model.bin" in error["message"]
        answered = _plain(await client.protocol.send_request_async("coderev/status", None))
        assert _plain(answered["error"])["code"] == "PRV004"
        await client.wait_until(lambda: any("PRV004" in m.message for m in client.log_messages), WAIT)
    finally:
        await stop(client)
