"""The JSON-RPC protocol, adjusted for coderev.

- Text documents live in the analyzers' :class:`Document` (incremental reparse), so pygls' own
  copy of each document is not kept: its open/change/close built-ins only call our handlers.
- UTF-8 positions are chosen whenever the client offers them (UTF-16 otherwise).
- A request whose params cannot be read gets an InvalidParams error response naming SYS004,
  instead of no answer at all; the server keeps running.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, lsp_method

from coderev.analyzers.errors import CoderevError

logger = logging.getLogger("coderev.server")


class CoderevProtocol(LanguageServerProtocol):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            offered = list(general.position_encodings)
            if types.PositionEncodingKind.Utf8 in offered:  # cheapest for us: no conversion
                general.position_encodings = [types.PositionEncodingKind.Utf8] + [
                    e for e in offered if e != types.PositionEncodingKind.Utf8
                ]
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if isinstance(data, dict) and "id" in data and "method" in data:
                error = CoderevError("SYS004", f"params of {data.get('method')!r} do not match the protocol")
                logger.warning(error.render())
                self._send_response(
                    data["id"], error=JsonRpcInvalidParams(error.render()).to_response_error()
                )
            raise
