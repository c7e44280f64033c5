"""The ``versions/`` directory: immutable, verified copies of installed slots.

A slot is copied into ``versions/.tmp-<random>/`` (every file fsynced), verified against the
copied manifest, then renamed into ``versions/<id>/`` in one step, so ``versions/<id>`` is either
absent or complete. Reinstalling a slot whose copy went corrupt repairs it file by file with
atomic renames, the manifest last; a crash half-way leaves a copy that still fails its check,
which is exactly what it was before.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError
from coderev.engine.model.manifest import MANIFEST, read_manifest, slot_files, verify_slot
from coderev.engine.slots.atomic import copy_files_synced, crash_point, fsync_dir, remove_tree, set_read_only

TMP_PREFIX = ".tmp-"
REQUIRED_FILES = ("model.bin", "tokenizer.model")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def _component(value: object) -> str:
    text = _UNSAFE.sub("_", str(value)).lstrip("._+-")
    return text[:80] or "slot"


def slot_id(manifest: dict[str, Any]) -> str:
    """``<name>-<version>-<first 8 hex of model.bin's sha256>``, made safe as a directory name.

    The hash part makes two different models with the same name and version two slots, and the
    same model installed twice one slot.
    """
    return f"{_component(manifest['name'])}-{_component(manifest['version'])}-{_identity(manifest)[:8]}"


def _identity(manifest: dict[str, Any]) -> str:
    """model.bin's sha256; for a remote provider's slot (no model file) the provider's."""
    if "provider" in manifest and "model.bin" not in manifest["files"]:
        return hashlib.sha256(json.dumps(manifest["provider"], sort_keys=True).encode()).hexdigest()
    return str(manifest["files"]["model.bin"])


def check_source(source: Path) -> dict[str, Any]:
    """The manifest of a slot directory about to be installed, after verifying every hash.

    Raises PRV002 (a hash differs, a file is missing or unrecorded) or DAT003 (no readable
    manifest, or it lacks the files every slot needs).
    """
    if not source.is_dir():
        raise CoderevError("DAT003", f"{source} is not a slot directory")
    manifest = verify_slot(source)
    files = manifest["files"]
    if not isinstance(files, dict):
        raise CoderevError("DAT003", f"{source / MANIFEST}: 'files' is not an object")
    needed = REQUIRED_FILES if "provider" not in manifest else ("tokenizer.model",)  # remote: the budgets' tokens
    missing = [name for name in needed if name not in files]
    if missing:
        raise CoderevError("DAT003", f"{source / MANIFEST} records no {', '.join(missing)}; a slot needs "
                                     "a CTranslate2 model.bin (or a provider) and a sentencepiece tokenizer.model")
    return manifest


def intact(path: Path) -> str | None:
    """None when the slot at ``path`` verifies, else what is wrong with it."""
    try:
        verify_slot(path)
    except CoderevError as exc:
        return exc.detail
    return None


def read_manifest_quietly(path: Path) -> dict[str, Any]:
    """The manifest for display; an empty dict when it cannot be read (the slot is then reported
    corrupt by ``verify``, never loaded)."""
    try:
        return read_manifest(path)
    except CoderevError:
        return {}


def _copy_to_temp(versions: Path, source: Path, names: list[str]) -> Path:
    temp = versions / f"{TMP_PREFIX}{secrets.token_hex(8)}"
    temp.mkdir()
    try:
        copy_files_synced(source, temp, names)
        fsync_dir(versions)
        problem = intact(temp)
        if problem is not None:
            raise CoderevError("PRV002", f"the copy of {source} does not verify (was it changed while "
                                         f"being installed?): {problem}")
    except BaseException:
        remove_tree(temp)
        raise
    return temp


def _repair(target: Path, temp: Path, names: list[str]) -> None:
    """Swap the verified copy's files into ``target`` one atomic rename at a time."""
    set_read_only(target, read_only=False)
    ordered = [n for n in names if n != MANIFEST] + [MANIFEST]
    for name in ordered:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        (temp / name).replace(destination)
    for name in slot_files(target):
        if name not in names:
            (target / name).unlink()
    for directory in sorted({(target / n).parent for n in ordered}, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(directory)


def materialize(versions: Path, source: Path, manifest: dict[str, Any]) -> Path:
    """Make ``versions/<id>`` a verified copy of ``source``; returns it. Call under the store lock.

    An intact copy with the same manifest is kept as it is (installing twice copies nothing).
    """
    target = versions / slot_id(manifest)
    names = [*sorted(manifest["files"]), MANIFEST]
    if target.is_dir():
        same = (target / MANIFEST).is_file() and (target / MANIFEST).read_bytes() == (source / MANIFEST).read_bytes()
        if same and intact(target) is None:
            return target
        temp = _copy_to_temp(versions, source, names)
        _repair(target, temp, names)
        remove_tree(temp)
        return target
    temp = _copy_to_temp(versions, source, names)
    crash_point("copied")
    temp.replace(target)
    fsync_dir(versions)
    crash_point("version-placed")
    return target


def clean_temporaries(versions: Path) -> list[str]:
    """Remove the ``.tmp-*`` copies an interrupted install left behind; returns their names."""
    removed = []
    for entry in versions.iterdir():
        if entry.name.startswith(TMP_PREFIX):
            remove_tree(entry)
            removed.append(entry.name)
    if removed:
        fsync_dir(versions)
    return removed


def installed_dirs(versions: Path) -> list[str]:
    """The names of the slot directories under ``versions/`` (temporaries excluded)."""
    return sorted(e.name for e in versions.iterdir() if e.is_dir() and not e.name.startswith("."))
