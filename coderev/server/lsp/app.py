"""Creates the coderev language server and registers every LSP feature, in this one place.

Each handler is wrapped so that an exception in one feature is logged with SYS003 and answered
with an error (requests) or dropped (notifications), and every other feature keeps working; with
``--metrics-port`` the wrapper also counts and times it (coderev/server/lsp/metrics.py).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcRequestCancelled

from coderev.analyzers.errors import CoderevError
from coderev.engine.logs import REQUEST_ID
from coderev.server.lsp import (
    code_actions,
    commands,
    configuration,
    convert,
    diagnostic_cache,
    diagnostics,
    hover,
    model,
    text_sync,
    transport,
)
from coderev.server.lsp.log import configure_logging
from coderev.server.lsp.server import CoderevServer

logger = logging.getLogger("coderev.server")

Handler = Callable[..., Any]

FEATURES: tuple[tuple[str, Handler, Any], ...] = (
    (types.INITIALIZE, configuration.initialize, None),
    (types.INITIALIZED, configuration.initialized, None),
    (types.SHUTDOWN, configuration.shutdown, None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, configuration.did_change_configuration, None),
    (types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, configuration.did_change_workspace_folders, None),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, configuration.did_change_watched_files, None),
    (types.TEXT_DOCUMENT_DID_OPEN, text_sync.did_open, None),
    (types.TEXT_DOCUMENT_DID_CHANGE, text_sync.did_change, None),
    (types.TEXT_DOCUMENT_DID_SAVE, text_sync.did_save, None),
    (types.TEXT_DOCUMENT_DID_CLOSE, text_sync.did_close, None),
    (types.TEXT_DOCUMENT_DIAGNOSTIC, diagnostics.document_diagnostic, diagnostics.OPTIONS),
    (types.WORKSPACE_DIAGNOSTIC, diagnostics.workspace_diagnostic, None),
    (types.TEXT_DOCUMENT_CODE_ACTION, code_actions.code_actions, code_actions.OPTIONS),
    (types.CODE_ACTION_RESOLVE, code_actions.code_action_resolve, None),
    (model.STATUS, configuration.status, None),
    (types.TEXT_DOCUMENT_HOVER, hover.hover, None),
)

COMMANDS: tuple[tuple[str, Handler], ...] = (
    (commands.ACCEPT, commands.accept),
    (commands.DISMISS, commands.dismiss),
    (commands.REJECT_FIX, commands.reject_fix),
    (commands.SCAN_WORKSPACE, commands.scan_workspace),
    (commands.RESET_LEARNING, commands.reset_learning),
)


def _failure(name: str, ls: CoderevServer, exc: BaseException) -> JsonRpcInternalError:
    error = CoderevError("SYS003", f"{name} failed: {type(exc).__name__}: {exc}")
    logger.error(error.render(), extra={"code": error.code, "traceback": traceback.format_exc()})
    ls.log.error(error.render(), code=error.code)
    return JsonRpcInternalError(error.render())


def guarded(name: str, fn: Handler) -> Handler:
    """``fn`` with its failures contained: logged with SYS003, never fatal to the server; counted
    and timed by method (``name``, one of the registered ones) when metrics are on."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(ls: CoderevServer, *args: Any) -> Any:
            started, outcome = time.perf_counter(), "error"
            reset = REQUEST_ID.set(uuid.uuid4().hex)  # its log lines and engine calls carry it
            try:
                result = await fn(ls, *args)
                outcome = "ok"
                return result
            except (asyncio.CancelledError, JsonRpcRequestCancelled):
                outcome = "cancelled"
                raise
            except JsonRpcException:
                raise
            except Exception as exc:
                raise _failure(name, ls, exc) from exc
            finally:
                REQUEST_ID.reset(reset)
                if ls.metrics is not None:
                    ls.metrics.request(name, outcome, time.perf_counter() - started)

        return run_async

    @functools.wraps(fn)
    def run(ls: CoderevServer, *args: Any) -> Any:
        if ls.metrics is None:  # the keystroke path pays one test for metrics it does not export
            return _contained(name, fn, ls, args)
        started, outcome = time.perf_counter(), "error"
        try:
            result = _contained(name, fn, ls, args)
            outcome = "ok"
            return result
        except JsonRpcRequestCancelled:
            outcome = "cancelled"
            raise
        finally:
            ls.metrics.request(name, outcome, time.perf_counter() - started)

    return run


def _contained(name: str, fn: Handler, ls: CoderevServer, args: tuple[Any, ...]) -> Any:
    reset = REQUEST_ID.set(uuid.uuid4().hex)  # the request's id, for its log lines and engine calls
    try:
        return fn(ls, *args)
    except JsonRpcException:
        raise
    except Exception as exc:
        raise _failure(name, ls, exc) from exc
    finally:
        REQUEST_ID.reset(reset)


def create_server() -> CoderevServer:
    server = CoderevServer()
    diagnostic_cache.install(server.protocol._converter)  # pygls keeps its converter private
    convert.use_converter(server.protocol._converter)
    for method, handler, options in FEATURES:
        try:
            server.feature(method, options)(guarded(method, handler))
        except Exception as exc:  # one broken feature must not stop the others
            logger.error(CoderevError("SYS003", f"cannot register {method}: {exc}").render())
    for name, handler in COMMANDS:
        try:
            server.command(name)(guarded(name, handler))
        except Exception as exc:
            logger.error(CoderevError("SYS003", f"cannot register command {name}: {exc}").render())
    return server


def serve(tcp: str | None = None, log_file: Path | None = None, metrics_port: int | None = None) -> int:
    """Run the server over stdio, or on ``HOST:PORT`` when ``tcp`` is given, with its metrics on
    127.0.0.1:``metrics_port`` when that is given. Returns an exit code."""
    configure_logging(log_file)
    server = create_server()
    if metrics_port is not None and not _export_metrics(server, metrics_port):
        return 2
    if tcp is None:
        transport.start_io(server)  # coderev's reader: bad input is answered, never fatal
        return 0
    host, _, port = tcp.rpartition(":")
    if not port.isdigit():
        logger.error(CoderevError("SYS002", f"--tcp expects HOST:PORT, got {tcp!r}").render())
        return 2
    transport.start_tcp(server, host or "127.0.0.1", int(port))
    return 0


def _export_metrics(server: CoderevServer, port: int) -> bool:
    from coderev.server.lsp.metrics import LspMetrics

    metrics = LspMetrics(lambda: server.model.in_process, learning=server.learning)
    try:
        bound = metrics.serve(port)
    except OSError as exc:
        logger.error(CoderevError("SYS002", f"--metrics-port {port}: cannot listen on 127.0.0.1: {exc}").render())
        return False
    server.metrics = metrics
    server.log.count_error = metrics.error
    logger.info("metrics on http://127.0.0.1:%d/metrics", bound)
    return True
