"""A slot's manifest: what the model is, how to prompt it, and the sha256 of every file.

A slot whose files do not match their recorded hashes is corrupt and is never loaded
(``PRV002``); a missing or unreadable manifest is ``DAT003``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from coderev.analyzers.errors import CoderevError

MANIFEST = "manifest.json"
REQUIRED = ("name", "version", "architecture", "prompt_format", "quantization", "files")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def slot_files(slot: Path) -> list[str]:
    """Every file of the slot except the manifest, as sorted POSIX paths relative to it."""
    return sorted(
        p.relative_to(slot).as_posix() for p in slot.rglob("*") if p.is_file() and p.name != MANIFEST
    )


def write_manifest(slot: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json`` with ``fields`` plus the sha256 of every file; returns it."""
    manifest = dict(fields)
    manifest["files"] = {name: sha256_file(slot / name) for name in slot_files(slot)}
    (slot / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def read_manifest(slot: Path) -> dict[str, Any]:
    path = slot / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CoderevError("DAT003", f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise CoderevError("DAT003", f"{path} is not a JSON object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise CoderevError("DAT003", f"{path} lacks {', '.join(missing)}")
    return data


def verify_slot(slot: Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest, after checking every recorded file's sha256 and that no file is unrecorded."""
    manifest = manifest if manifest is not None else read_manifest(slot)
    recorded: dict[str, str] = manifest["files"]
    problems: list[str] = []
    for name, expected in sorted(recorded.items()):
        path = slot / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != expected:
            problems.append(f"{name} has sha256 {sha256_file(path)[:12]}..., manifest says {expected[:12]}...")
    problems += [f"{name} is not in the manifest" for name in slot_files(slot) if name not in recorded]
    if problems:
        raise CoderevError("PRV002", f"slot {slot}: " + "; ".join(problems))
    return manifest
