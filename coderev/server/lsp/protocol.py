"""The JSON-RPC protocol, adjusted for coderev.

- Text documents live in the analyzers' :class:`Document` (incremental reparse), so pygls' own
  copy of each document is not kept: its open/change/close built-ins only call our handlers.
- UTF-8 positions are chosen whenever the client offers them (UTF-16 otherwise).
- Messages are read, checked and structured by ``transport.py`` (not by pygls' reader and its
  ``structure_message``): a request whose params cannot be read gets an InvalidParams error
  response naming SYS004 there, instead of no answer at all; the server keeps running.
- A handler's JSON-RPC error goes back with one log line (its catalogue code, if any), not
  pygls' traceback.
- A ``$/cancelRequest`` for a request that was already answered is normal (editors cancel
  hovers and code actions as the cursor moves): it is ignored silently, not logged as a warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol, lsp_method

logger = logging.getLogger("coderev.server")
_CODE = re.compile(r"([A-Z]{3,4}[0-9]{3}) ")  # the code at the start of a rendered CoderevError


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

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """As pygls, except that a JsonRpcException (a rejected argument, a catalogued failure)
        is logged once, in one line, instead of with ``logger.exception``: a client repeating a bad
        request would fill the log with stacks of an expected outcome."""
        error = None if future.cancelled() else future.exception()
        if not isinstance(error, JsonRpcException):
            super()._send_handler_result(future, msg_id=msg_id)
            return
        self._request_futures.pop(msg_id, None)
        code = _CODE.match(error.message)
        logger.warning("request %r answered with error %s: %s", msg_id, error.code, error.message[:300],
                       extra={"code": code.group(1)} if code else None)
        self._send_response(msg_id, error=error.to_response_error())

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """Cancel the request if it is still pending; a cancel that arrives after the answer (the
        usual race) is not worth a log line: pygls warned on each, half of an editor's log."""
        future = self._request_futures.pop(msg_id, None)
        if future is not None and future.cancel():
            logger.debug("cancelled request %r", msg_id)
