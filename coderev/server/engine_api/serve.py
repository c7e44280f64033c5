"""``coderev engine serve``: uvicorn on a socket this module binds, with its own signal handling.

* **Local mode** (the default): a Unix socket, ``$XDG_RUNTIME_DIR/coderev/engine.sock``, or
  ``<cache dir>/run/engine.sock`` without a runtime directory. The directory is made 0700 and the
  socket 0600 before anyone can connect (bound under a 0177 umask), so only this user can talk to
  the engine. It exits after ``--idle-exit`` seconds without requests (0: never).
* **Team mode** (``--host``/``--port``): TCP, TLS with ``--tls-cert``/``--tls-key`` (uvicorn's SSL
  options), bearer tokens on every request.

Shutdown (SIGTERM, SIGINT, idle exit): the socket file goes at once (new clients get a refused
connection), requests that arrive meanwhile get 503 ``SYS009``, requests in flight finish (each
await is bounded by the request timeout) within ``timeout_graceful_shutdown``, then the engine
stops and the process exits 0. uvicorn's own signal capture is replaced because it re-raises the
signal after a graceful exit, which would end the process with the signal instead of 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import uvicorn

from coderev.analyzers.errors import CoderevError
from coderev.server.engine_api.app import ApiSettings, build_app
from coderev.server.engine_api.guard import ServerState
from coderev.server.engine_api.host import EngineHost

log = logging.getLogger("coderev.engine_api")
MAX_UDS_PATH: Final = 100  # sun_path is 108 bytes on Linux, 104 on macOS


def bind_unix(path: Path) -> socket.socket:
    """A listening socket at ``path``, 0600 in a 0700 directory; a stale socket file is replaced,
    a live one (another engine answers) is refused with ``SYS002``."""
    if len(os.fsencode(path)) > MAX_UDS_PATH:
        raise CoderevError("SYS002", f"socket path {path} is too long for a Unix socket; pass a shorter --socket")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # left by an engine that died
        else:
            raise CoderevError("SYS002", f"an engine already listens on {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    path.chmod(0o600)
    sock.listen(128)
    return sock


def bind_tcp(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise CoderevError("SYS002", f"cannot listen on {host}:{port}: {exc.strerror}") from exc


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # signals are ours (``serve``): uvicorn would re-raise them after a clean exit


def serve(host: EngineHost, settings: ApiSettings, *, sock: socket.socket, address: str,
          socket_path: Path | None = None, tls: tuple[Path, Path] | None = None) -> int:
    """Serve until a signal or the idle limit; 0 after a clean shutdown."""
    state = ServerState()
    app = build_app(host, settings, state)
    config = uvicorn.Config(app, lifespan="on", log_config=None, access_log=False, server_header=False,
                            proxy_headers=False, timeout_graceful_shutdown=int(settings.request_timeout_s) + 5,
                            ssl_certfile=str(tls[0]) if tls else None, ssl_keyfile=str(tls[1]) if tls else None)
    server = _Server(config)

    def stop(why: str) -> None:
        if state.draining:
            server.force_exit = True  # a second signal: do not wait any longer
            return
        log.info("engine API: shutting down (%s)", why)
        state.draining = True
        if socket_path is not None:
            with contextlib.suppress(OSError):
                socket_path.unlink()
        server.should_exit = True

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop, signal.Signals(signum).name)
        watcher = asyncio.ensure_future(_idle_watch(state, settings.idle_exit_s, stop))
        try:
            await server.serve(sockets=[sock])
        finally:
            watcher.cancel()

    print(f"coderev engine: listening on {address}", flush=True)  # the one line a caller reads
    try:
        asyncio.run(main())
    finally:
        sock.close()
        if socket_path is not None and not state.draining:
            with contextlib.suppress(OSError):
                socket_path.unlink()
    return 0 if server.started else 2


async def _idle_watch(state: ServerState, idle_exit_s: float, stop: Callable[[str], None]) -> None:
    if idle_exit_s <= 0:
        return
    while not state.draining:
        idle = state.idle_for()
        if idle >= idle_exit_s:
            stop(f"idle for {idle:.0f} s")
            return
        await asyncio.sleep(min(1.0, max(0.05, idle_exit_s - idle)))


def fail(error: CoderevError) -> int:
    sys.stderr.write(f"coderev: {error}\n")
    return 2
