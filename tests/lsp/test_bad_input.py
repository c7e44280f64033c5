"""Bad input never takes the server down: each case gets a clear error response or a skip,
and the server keeps answering afterwards."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import Client

pytestmark = pytest.mark.asyncio(loop_scope="session")

BAD = "import yaml\n\ndata = yaml.load(stream)\n"


async def _still_alive(client: Client) -> None:
    uri = client.open("alive.py", BAD)
    assert len(await client.diagnostics_for(uri, 1)) == 1


def _logged(client: Client, code: str) -> bool:
    return any(m.message.startswith(code) for m in client.log_messages)


async def test_unknown_document(client: Client) -> None:
    uri = (client.root / "never-opened.py").as_uri()
    client.change(uri, 2, [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "x")])
    await client.wait_until(lambda: _logged(client, "ANA008"))
    with pytest.raises(JsonRpcException, match="ANA008"):
        await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 0))
    )
    assert hover is None
    await _still_alive(client)


async def test_edit_outside_the_text(client: Client) -> None:
    uri = client.open("outside.py", BAD)
    await client.diagnostics_for(uri, 1)
    client.change(uri, 2, [types.TextEdit(types.Range(types.Position(40, 0), types.Position(41, 0)), "boom")])
    await client.wait_until(lambda: any(m.message.startswith("ANA007") for m in client.messages))
    assert await client.diagnostics_for(uri, 2) == []  # out of sync: nothing rather than wrong positions
    await _still_alive(client)


async def test_huge_file_is_skipped(client: Client) -> None:
    huge = "x = 1\n" * 400_000  # 2.4 MB, above the default 2,000,000-byte limit
    uri = client.open("huge.py", huge + BAD)
    assert await client.diagnostics_for(uri, 1) == []
    assert _logged(client, "ANA005")
    await _still_alive(client)


async def test_binary_content_is_skipped(client: Client) -> None:
    uri = client.open("binary.py", "\0\x01\x02 yaml.load(x)\n")
    assert await client.diagnostics_for(uri, 1) == []
    assert _logged(client, "ANA003")
    await _still_alive(client)


async def test_lone_surrogates_do_not_break_analysis(client: Client) -> None:
    uri = client.open("surrogate.py", 'import yaml\ns = "\ud800"\ndata = yaml.load(s)\n')
    assert [d.range.start.line for d in await client.diagnostics_for(uri, 1)] == [2]
    await _still_alive(client)


async def test_malformed_params_get_an_error_response(client: Client) -> None:
    # Written raw: the typed client cannot even build such a request.
    message = {"jsonrpc": "2.0", "id": "bad-1", "method": types.TEXT_DOCUMENT_HOVER, "params": {"textDocument": 5}}
    body = json.dumps(message)
    answer: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    client.protocol._request_futures["bad-1"] = answer
    assert client.protocol.writer is not None
    written = client.protocol.writer.write(f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
    if inspect.isawaitable(written):
        await written
    with pytest.raises(JsonRpcException, match="SYS004"):
        await asyncio.wait_for(answer, 10)
    with pytest.raises(JsonRpcException, match="SYS004"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="coderev.dismiss", arguments=["not an object"])
        )
    await _still_alive(client)


async def test_unsupported_language_gets_no_diagnostics(client: Client) -> None:
    uri = client.open("notes.txt", "yaml.load(x)\n", language_id="plaintext")
    assert await client.diagnostics_for(uri, 1) == []
