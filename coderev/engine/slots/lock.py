"""The slot store's lock: one writer at a time across threads and processes.

Two editor windows (two language servers) and a ``coderev model`` command may share one store.
``fcntl.flock`` on ``root/.lock`` excludes other processes and also other open file descriptions
in this process (two ``SlotStore`` objects on one root); the thread lock makes one ``SlotStore``
safe to share between threads. The lock is re-entrant within a thread, because operations build
on each other (``load_production`` quarantines, ``verify`` quarantines).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from coderev.analyzers.errors import CoderevError
from coderev.engine.slots.atomic import remove_tree


class StoreLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd = -1

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                self._thread_lock.release()
                raise CoderevError("DAT004", f"cannot open the slot store lock {self.path}: {exc}") from exc
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._fd = fd
        self._depth += 1

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
        self._thread_lock.release()


SCRATCH_PREFIX = ".scratch-"


@contextlib.contextmanager
def scratch_dir(root: Path) -> Iterator[Path]:
    """A private work directory inside the store (for conversions), removed afterwards.

    While in use it holds an ``flock`` on its ``.busy`` file, so that ``clean_scratch`` in another
    process can tell a live import from the leftovers of a killed one.
    """
    path = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=root))
    fd = os.open(path / ".busy", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)
        remove_tree(path)


def clean_scratch(root: Path) -> list[str]:
    """Remove the scratch directories no live process holds; returns their names."""
    removed = []
    for entry in root.glob(f"{SCRATCH_PREFIX}*"):
        try:
            fd = os.open(entry / ".busy", os.O_RDWR)
        except FileNotFoundError:
            fd = -1  # killed before it took the lock: nobody owns it
        if fd >= 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            finally:
                os.close(fd)
        remove_tree(entry)
        removed.append(entry.name)
    return removed
