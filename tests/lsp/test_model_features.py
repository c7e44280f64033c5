"""The model engine through the real server, with the real default slot on CPU: status reports,
verified AI fixes, AI review as a second diagnostic source, a corrupt slot, a killed worker."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from coderev.analyzers import Document, get_language
from coderev.engine.feedback import EventKind, FeedbackStore
from coderev.engine.learning.tasks import negatives
from coderev.engine.model.manifest import read_manifest, write_manifest
from coderev.engine.model.slot import ModelSlot
from coderev.engine.slots.store import SlotStore
from coderev.server.lsp import ai_review
from tests.lsp.conftest import Client, apply_text_edits, encoding_of, start, stop

pytestmark = pytest.mark.asyncio(loop_scope="session")

WAIT = 60.0  # loading a slot in a fresh worker process on a busy 2-core CI machine
YAML = "python.insecure-deserialization.yaml-load"
BAD = "import yaml\n\n\ndef load_config(stream):\n    return yaml.load(stream)\n"


def options(store: Path, **extra: Any) -> dict[str, Any]:
    return {"model.enabled": True, "model.storePath": str(store), "select": [], "ruleDirs": [],
            "ai.review": True, "ai.reviewPauseMs": 200, **extra}


def _plain(value: Any) -> Any:
    """pygls hands custom notification params over as named tuples: back to plain JSON."""
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _latest(client: Client) -> dict[str, Any]:
    return dict(_plain(client.statuses[-1])) if client.statuses else {}


async def ready(client: Client) -> dict[str, Any]:
    await client.wait_until(lambda: _latest(client).get("mode") == "ready", WAIT)
    return _latest(client)


async def _code_actions(client: Client, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


async def test_status_reports_the_production_slot(client_name: str, workspace: Path, tmp_path: Path) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", options(tmp_path / "slots"))
    try:
        status = await ready(client)
        assert status["modelSlot"].startswith("coderev-default ") and status["device"] == "cpu"
        assert status["computeType"] == "int8" and "python" in status["languages"]
        answered = _plain(await client.protocol.send_request_async("coderev/status", None))
        assert answered["mode"] == "ready" and answered["production"] == status["production"]
    finally:
        await stop(client)


async def test_ai_fix_is_offered_verified_and_applied(client_name: str, workspace: Path, tmp_path: Path) -> None:
    settings = options(tmp_path / "slots", **{"ai.review": False})
    client = await start(client_name, workspace, tmp_path / "cache", settings)
    try:
        await ready(client)
        uri = client.open("config_loader.py", BAD)
        [diagnostic] = [d for d in await client.diagnostics_for(uri, 1) if d.code == YAML]
        ai: list[types.CodeAction] = []
        offered: list[types.CodeAction] = []
        for _ in range(20):  # the first request may return before the model answers; later ones reuse it
            offered = await _code_actions(client, uri, diagnostic)
            ai = [a for a in offered if a.title.startswith("AI fix")]
            if ai:
                break
        [action] = ai
        # turning the AI fix down first: a negative for learning runs, with the code it would have written
        [reject] = [a for a in offered if a.title.startswith("Reject the AI fix")]
        assert offered.index(reject) > offered.index(action) and reject.command is not None
        if reject.command.arguments is None or "after" not in reject.command.arguments[0]:
            reject = await client.code_action_resolve_async(reject)
        assert reject.edit is None and reject.command is not None
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=reject.command.command, arguments=reject.command.arguments))
        assert "verified" in action.title and action.command is not None
        if action.edit is None:
            action = await client.code_action_resolve_async(action)
        assert action.edit is not None and action.edit.changes is not None
        edits = list(action.edit.changes[uri])
        fixed = apply_text_edits(BAD, edits, encoding_of(client))
        assert "yaml.load(stream)" not in fixed
        client.change(uri, 2, edits)
        assert [d for d in await client.diagnostics_for(uri, 2) if d.code == YAML] == []
        assert action.command is not None
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
        )
    finally:
        await stop(client)
    store = FeedbackStore.for_workspace(workspace, tmp_path / "cache")
    try:
        [event] = list(store.events(EventKind.ACCEPT))
        assert event.origin == "ai" and event.slot.startswith("coderev-default")
        assert "yaml.load(stream)" in event.before and "yaml.load(stream)" not in event.after
        assert event.before in event.unit and event.unit.startswith("def "), "the fixed lines' unit, as context"
        [rejected] = list(store.events(EventKind.REJECT))
        assert (rejected.before, rejected.after) == (event.before, event.after)
        assert rejected.fingerprint not in store.dismissed_fingerprints(), "rejecting a fix keeps the finding"
        [negative] = list(negatives(store))
        assert negative["rejected"] == event.after and negative["slot"] == event.slot
    finally:
        store.close()


def _expected_review(text: str) -> list[int]:
    """Rows the AI review should report for ``text``: the shipped model's own review of each
    function, run in this process (no rule reports the same CWE in these tests)."""
    slot = ModelSlot()
    document = Document(text, get_language("python"))
    rows: list[int] = []
    for node in ai_review.functions(document.snapshot()):
        items = slot.review(document.source[node.start_byte : node.end_byte].decode()) or []
        rows += [node.start_point.row + i.line - 1 for i in items]
        rows = [r for r in rows if r <= node.end_point.row or r < node.start_point.row]
    return sorted(rows)


async def _ai_rows(client: Client, uri: str, version: int, expected: list[int]) -> list[int]:
    """The AI findings' rows in the document's diagnostics of ``version`` (pushed: the latest
    report of that version, waiting a little for the one that matches)."""
    if client.pulls:
        return sorted(d.range.start.line for d in await client.diagnostics_for(uri, version)
                      if d.source == ai_review.SOURCE)

    def rows() -> list[int] | None:
        reports = [p for p in client.published if p.uri == uri and p.version == version]
        if not reports:
            return None
        return sorted(d.range.start.line for d in reports[-1].diagnostics if d.source == ai_review.SOURCE)

    try:
        return list(await client.wait_until(lambda: rows() if rows() == expected else None, 10))
    except TimeoutError:
        return rows() or []


def _reviewed(client: Client, version: int, functions: int) -> bool:
    return any(f" v{version}: {functions} function(s)" in m.message for m in client.log_messages)


async def test_ai_review_findings_stream_in_and_are_replaced(client_name: str, workspace: Path, tmp_path: Path) -> None:
    # with the weak-crypto rules off, only the model can point at the md5 and sha1 calls
    text = ("import hashlib\n\n\ndef token_digest(token):\n    return hashlib.md5(token).hexdigest()\n\n\n"
            "def checksum(data):\n    digest = hashlib.sha1(data)\n    return digest.hexdigest()\n")
    client = await start(client_name, workspace, tmp_path / "cache",
                         options(tmp_path / "slots", ignore=["python.weak-crypto"]))
    try:
        await ready(client)
        uri = client.open("digests.py", text)
        await client.wait_until(lambda: _reviewed(client, 1, 2), WAIT)
        expected = _expected_review(text)
        assert {4, 8} <= set(expected), "the shipped model points at the md5 and sha1 calls"
        assert await _ai_rows(client, uri, 1, expected) == expected

        # an edit inside the first function: only that one is reviewed again, and the document's
        # AI findings are replaced (the second function's move with it)
        edit = types.TextEdit(types.Range(types.Position(4, 4), types.Position(4, 4)), "token = token or b''\n    ")
        client.change(uri, 2, [edit])
        new_text = apply_text_edits(text, [edit], encoding_of(client))
        await client.wait_until(lambda: _reviewed(client, 2, 1), WAIT)
        expected = _expected_review(new_text)
        assert await _ai_rows(client, uri, 2, expected) == expected
    finally:
        await stop(client)


async def test_a_corrupt_slot_is_quarantined_and_rules_keep_working(
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
    client = await start(client_name, workspace, tmp_path / "cache", options(tmp_path / "slots"))
    try:
        await client.wait_until(lambda: _latest(client).get("mode") == "fallback", WAIT)
        assert _latest(client)["modelSlot"] is None
        uri = client.open("rules.py", BAD)
        assert [d.code for d in await client.diagnostics_for(uri, 1)] == [YAML]
    finally:
        await stop(client)
    history = SlotStore(tmp_path / "slots").history()
    assert any(t.action == "quarantine" and t.slot_id == production.id for t in history)


async def test_a_killed_worker_means_rules_only_then_recovery(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    client = await start(client_name, workspace, tmp_path / "cache", options(tmp_path / "slots"))
    try:
        pid = (await ready(client))["workerPid"]
        os.kill(pid, signal.SIGKILL)
        await client.wait_until(lambda: _latest(client).get("mode") == "fallback", WAIT)
        assert _latest(client)["error"]["code"] == "PRV005"
        recovered = await ready(client)
        assert recovered["workerPid"] not in (None, pid)
    finally:
        await stop(client)



async def test_without_the_model_runtime_the_server_serves_rules(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    """A build without ctranslate2 (the slim VS Code package): rules only, PRV001 reported."""
    shadow = tmp_path / "no-ctranslate2" / "ctranslate2"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('ctranslate2 is not installed')\n")
    client = await start(client_name, workspace, tmp_path / "cache", options(tmp_path / "slots"),
                         python_path=[shadow.parent])
    try:
        await client.wait_until(lambda: _latest(client).get("mode") == "fallback", WAIT)
        assert _latest(client)["error"]["code"] == "PRV001"
        uri = client.open("rules.py", BAD)
        assert [d.code for d in await client.diagnostics_for(uri, 1)] == [YAML]
    finally:
        await stop(client)


def _weak_slot(tmp_path: Path) -> Path:
    """A real but untrained model (random weights, the default tokenizer) as a Hugging Face dir:
    a production slot whose fixes never verify."""
    import sentencepiece as spm
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = ModelSlot().path / "tokenizer.model"
    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    torch.manual_seed(0)
    config = LlamaConfig(  # type: ignore[no-untyped-call]
        vocab_size=sp.get_piece_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
        bos_token_id=sp.bos_id(), eos_token_id=sp.eos_id())
    hf = tmp_path / "untrained"
    LlamaForCausalLM(config).save_pretrained(str(hf), safe_serialization=True)  # type: ignore[no-untyped-call]
    (hf / "tokenizer.model").write_bytes(tokenizer.read_bytes())
    return hf


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="needs the train extra (transformers)")
async def test_shadow_traffic_promotes_a_better_experimental_slot(
    client_name: str, workspace: Path, tmp_path: Path
) -> None:
    """V2 is an untrained model, V1 the shipped one: every fix request is also sent to V1 (shadow
    sample 1.0), V1's fixes verify and V2's do not, so after enough requests V1 is promoted."""
    from coderev.engine.slots.importer import import_hf

    store = SlotStore(tmp_path / "slots")
    store.ensure_default()
    import_hf(store, _weak_slot(tmp_path), version="0.0.1", languages=["python"])
    store.promote("test: start from an untrained production model")
    good = ModelSlot().path
    copy = tmp_path / "shipped-as-v1"
    shutil.copytree(good, copy)
    manifest = read_manifest(copy)
    write_manifest(copy, {**manifest, "version": f"{manifest['version']}-candidate"})
    candidate = store.install(copy, "V1", reason="test: the shipped model as the candidate")
    weak = store.production()
    assert weak is not None and weak.id.startswith("untrained-")

    text = "import yaml\n" + "".join(f"\n\ndef load_{i}(stream):\n    return yaml.load(stream)\n" for i in range(30))
    client = await start(client_name, workspace, tmp_path / "cache",
                         options(tmp_path / "slots", **{"model.shadowSample": 1.0, "ai.review": False}))
    try:
        assert (await ready(client))["production"] == weak.id
        uri = client.open("many.py", text)
        version = 1
        for _ in range(3):  # 3 versions x 30 findings: more than the 50 shadow samples promotion needs
            diagnostics = [d for d in await client.diagnostics_for(uri, version) if d.code == YAML]
            for diagnostic in diagnostics:
                await _code_actions(client, uri, diagnostic)
            if _latest(client).get("production") == candidate.id:
                break
            version += 1
            top = types.Range(types.Position(0, 0), types.Position(0, 0))
            client.change(uri, version, [types.TextEdit(top, "#\n")])  # same findings, new requests
        await client.wait_until(lambda: _latest(client).get("production") == candidate.id, WAIT)
    finally:
        await stop(client)
    history = SlotStore(tmp_path / "slots").history()
    promoted = [t for t in history if t.action == "promote" and t.slot_id == candidate.id]
    assert promoted and "quality" in promoted[-1].reason
