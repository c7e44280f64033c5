"""The packaged default slot in the store: when an upgrade of coderev replaces the one in V2.

Upgrading coderev upgrades its default model: a production slot that is an earlier packaged
default (same name) is replaced when it speaks a prompt format this coderev no longer reads
(however it got there), or when it is an older version that the package itself installed (history
reason "bootstrap" or "upgrade"). An older default the user installed by hand, and any slot of
another name, stay where the user put them (docs/adr/0008-slot-store.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from coderev.engine.slots.state import Transition

PACKAGE_REASONS = ("bootstrap", "upgrade")


def version_key(version: object) -> tuple[int, ...]:
    """``"1.10.2"`` -> ``(1, 10, 2)``; a version that is not dotted numbers sorts first."""
    parts = str(version).split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()


def installed_by_package(history: list[Transition], slot_id: str) -> bool:
    """Whether the last install of ``slot_id`` was the package's own (bootstrap or upgrade)."""
    installs = [t for t in history if t.slot_id == slot_id and t.action == "install"]
    return bool(installs) and installs[-1].reason in PACKAGE_REASONS


def outdated_default(slot_dir: Path, history: list[Transition]) -> bool:
    """Whether the production slot in ``slot_dir`` is an earlier packaged default that the packaged
    one should replace (module docstring)."""
    from coderev.engine.model.prompt import FORMAT_NAME
    from coderev.engine.model.slot import default_slot_path

    try:
        held = json.loads((slot_dir / "manifest.json").read_text(encoding="utf-8"))
        packaged = json.loads((default_slot_path() / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(held, dict) or held.get("name") != packaged.get("name"):
        return False
    if packaged.get("prompt_format") != FORMAT_NAME:
        return False
    if held.get("prompt_format") != FORMAT_NAME:
        return True
    older = version_key(held.get("version")) < version_key(packaged.get("version"))
    return older and installed_by_package(history, slot_dir.name)
