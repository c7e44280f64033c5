"""Where the language server's engine is (setting ``engine.url``), and the shared local engine.

``inprocess`` (the default) is no engine elsewhere: the server runs its own model worker.
``local`` is the engine shared by every coderev language server of this user: ``coderev engine
serve`` in local mode on the default socket (``$XDG_RUNTIME_DIR/coderev/engine.sock``), started by
the first server that finds none answering and used by every later one; it exits after
:data:`IDLE_EXIT_S` without requests (its clients ask for its status regularly, so that is once
the last one has gone). ``unix:PATH`` is an engine someone started on that socket, and an
``http(s)://`` URL a team engine; those two are never started by the server.

Two servers starting at once spawn one engine: the spawn happens under an exclusive ``flock`` on
``engine.lock`` beside the socket, and whoever holds it first checks again whether an engine
answers. The engine runs detached (its own session: closing the editor does not kill it), in
isolated Python with this process's import path and in the socket's directory, never in a
workspace (as the model worker is started: docs/security.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from coderev.analyzers.errors import CoderevError
from coderev.analyzers.user_cache import cache_root

SOCKET_NAME: Final = "engine.sock"
IDLE_EXIT_S: Final = 900
START_TIMEOUT_S: Final = 60.0
LOCK_NAME: Final = "engine.lock"
LOG_NAME: Final = "engine.log"
_BOOT: Final = "import json, sys; sys.path[:0] = json.loads(sys.argv.pop(1)); from coderev.server.cli import main; " \
               "sys.exit(main())"


def default_socket_path() -> Path:
    """The local engine's socket: in the user runtime directory, else under the cache directory."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "coderev" / SOCKET_NAME
    return cache_root() / "run" / SOCKET_NAME


@dataclass(frozen=True)
class Where:
    """An engine's address: a URL, or a Unix socket (``shared``: the local engine, started on demand)."""

    url: str | None = None
    socket: Path | None = None
    shared: bool = False

    @property
    def label(self) -> str:
        return self.url or f"unix:{self.socket}"


def parse_engine_url(value: str) -> Where | None:
    """The engine an ``engine.url`` value names; None for ``inprocess``; ``SYS001`` when malformed."""
    value = value.strip()
    if value in ("", "inprocess"):
        return None
    if value == "local":
        return Where(socket=default_socket_path(), shared=True)
    if value.startswith("unix:") and len(value) > len("unix:"):
        return Where(socket=Path(value.removeprefix("unix:")).expanduser().absolute())
    if value.startswith(("http://", "https://")):
        return Where(url=value.rstrip("/"))
    raise CoderevError("SYS001", f"setting 'engine.url' must be inprocess, local, unix:PATH or an http(s):// URL; "
                                 f"got {value!r}")


def answers(path: Path) -> bool:
    """Whether something listens on the Unix socket ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def ensure_running(where: Where, serve_args: list[str]) -> None:
    """Start the shared engine on ``where.socket`` unless one answers there (under the lock);
    returns once it accepts connections. ``PRV009`` when it did not come up in time."""
    assert where.socket is not None
    path = where.socket
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.parent / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(fd, time.monotonic() + START_TIMEOUT_S)
        if answers(path):
            return  # another server started it while we waited for the lock
        process = _spawn(path, serve_args)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(path):
            if process.poll() is not None:
                raise CoderevError("PRV009", f"the shared engine exited with status {process.returncode} at start "
                                             f"(its log: {path.parent / LOG_NAME})")
            if time.monotonic() > deadline:
                raise CoderevError("PRV009", f"the shared engine did not listen on {path} within "
                                             f"{START_TIMEOUT_S:.0f} s (its log: {path.parent / LOG_NAME})")
            time.sleep(0.05)
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _lock(fd: int, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise CoderevError("PRV009", "another language server has been starting the shared engine for "
                                             f"{START_TIMEOUT_S:.0f} s") from None
            time.sleep(0.05)


def _spawn(path: Path, serve_args: list[str]) -> subprocess.Popen[bytes]:
    from coderev.engine.runtime.process import import_path

    command = [sys.executable, "-I", "-X", "utf8", "-c", _BOOT, json.dumps(import_path()), "engine", "serve",
               "--socket", str(path), "--idle-exit", str(IDLE_EXIT_S), "--rate-limit", "0", *serve_args]
    with (path.parent / LOG_NAME).open("ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=path.parent,
                                   start_new_session=True, close_fds=True)
    threading.Thread(target=process.wait, name="coderev-engine-reaper", daemon=True).start()  # no zombie
    return process
