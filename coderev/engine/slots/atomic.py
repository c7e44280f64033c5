"""Crash-safe file operations for the slot store.

Every change the store makes is built on moves that a crash (power loss, SIGKILL) cannot tear:
write into a private temporary name, ``fsync`` it, then ``os.replace`` it over the final name and
``fsync`` the parent directory so that the rename itself is durable (a reader sees the old file or
the new one, never a mix); and appends of whole lines in one ``write``, fsynced, for the history.

Quarantined slots are made read-only, so the removal code here first gives the owner write
permission back; otherwise ``rmtree`` would fail on them for any user but root.

``CODEREV_SLOTS_CRASH_AT`` is a test hook: when it names a step (``crash_point``), the process
kills itself with SIGKILL at that step, which is how the tests prove that each step is safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CRASH_ENV = "CODEREV_SLOTS_CRASH_AT"
READ_ONLY_FILE, READ_ONLY_DIR = 0o444, 0o555
WRITABLE_FILE, WRITABLE_DIR = 0o644, 0o755


def crash_point(step: str) -> None:
    """Die at once, as a power cut would, when the test hook names this step."""
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(path: Path) -> None:
    """Make the creations, renames and removals inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prepare_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to a private temporary next to ``path`` and fsync it; ``publish_atomic``
    then puts it in place. A temporary left by a crash is removed by whoever owns ``path``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, WRITABLE_FILE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def publish_atomic(tmp: Path, path: Path) -> None:
    """Rename a prepared temporary over ``path`` and make the rename durable."""
    tmp.replace(path)
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data``: temp file in the same directory, fsync, rename, fsync dir."""
    publish_atomic(prepare_atomic(path, data), path)


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_json_atomic(path: Path, value: Any) -> None:
    write_atomic(path, json_bytes(value))


def append_lines(path: Path, lines: Iterable[str]) -> None:
    """Append whole lines in one write and fsync them.

    A crash may cut the last line short; a later append first ends such a torn line so that it
    cannot glue itself to the next record (readers skip the torn one).
    """
    payload = "".join(line.rstrip("\n") + "\n" for line in lines).encode("utf-8")
    if not payload:
        return
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, WRITABLE_FILE)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            payload = b"\n" + payload
        view = memoryview(payload)
        while view:  # one write in practice; a short one is continued, never left torn
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)  # the new file's name must survive a power cut as well as its data


def copy_file_synced(source: Path, target: Path) -> None:
    """Copy one file's bytes (not its permissions) and fsync the copy."""
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    target.chmod(WRITABLE_FILE)


def copy_files_synced(source: Path, target: Path, names: Iterable[str]) -> None:
    """Copy the named files (POSIX paths relative to ``source``) into ``target``, fsyncing every
    file and every directory that received one."""
    touched = {target}
    for name in names:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        touched.add(destination.parent)
        copy_file_synced(source / name, destination)
    for directory in sorted(touched, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(directory)


def _walk(root: Path) -> Iterable[tuple[Path, bool]]:
    """Every path under ``root`` (itself included), as (path, is_dir), without following links."""
    yield root, True
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in dirnames:
            yield base / name, not (base / name).is_symlink()
        for name in filenames:
            yield base / name, False


def set_read_only(root: Path, read_only: bool) -> None:
    """Files 0o444 and directories 0o555 (or back to 0o644 / 0o755); links are left alone.

    ``chmod`` needs ownership, not write permission on the parent, so the order is free; the
    root goes last so that its mode tells whether an interrupted pass finished.
    """
    entries = list(_walk(root))[::-1]
    file_mode, dir_mode = (READ_ONLY_FILE, READ_ONLY_DIR) if read_only else (WRITABLE_FILE, WRITABLE_DIR)
    for path, is_dir in entries:
        if path.is_symlink():
            continue
        mode = dir_mode if is_dir else file_mode
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)


def is_read_only(root: Path) -> bool:
    return stat.S_IMODE(root.stat().st_mode) == READ_ONLY_DIR


def remove_tree(path: Path) -> None:
    """``rmtree`` that also removes read-only (quarantined) trees, and ignores a missing path.

    Unlinking needs write permission on the parent directory, so the tree's directories are made
    writable first (a no-op for root, necessary for everyone else).
    """
    if path.is_symlink():
        path.unlink()
        return
    if not path.exists():
        return
    with contextlib.suppress(OSError):
        set_read_only(path, read_only=False)
    shutil.rmtree(path)
