"""What the learning scheduler asks the operating system: AC power, a child's CPU time, and the
scheduler's status file (written atomically, read by ``coderev model learn --status``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

STATUS_FILE = "scheduler.json"
STATUS_FORMAT = 1
POWER_SUPPLY = Path("/sys/class/power_supply")


def learning_directory(root: Path | None, cache_dir: str | Path | None = None) -> Path:
    """Where a workspace's scheduler keeps its status, exported tasks and the run's checkpoints."""
    from coderev.analyzers.user_cache import cache_root
    from coderev.engine.feedback import workspace_key

    return cache_root(cache_dir) / "learning" / workspace_key(root)


def on_ac_power(root: Path = POWER_SUPPLY) -> bool | None:
    """True on mains power, False on battery, None where the OS does not say (no Linux
    power-supply class, or no mains supply listed). Linux: a supply of ``type`` Mains (or a
    USB/Wireless charger) whose ``online`` is 1 means AC; Mains supplies all offline means battery."""
    try:
        supplies = sorted(root.iterdir())
    except OSError:
        return None
    mains: list[bool] = []
    for supply in supplies:
        try:
            kind = (supply / "type").read_text().strip()
            online = (supply / "online").read_text().strip()
        except OSError:
            continue
        if kind in ("Mains", "USB", "Wireless"):
            mains.append(online == "1")
    if not mains:
        return None
    return any(mains)


def _ticks() -> float:
    try:
        return float(os.sysconf("SC_CLK_TCK"))
    except (ValueError, OSError, AttributeError):
        return 100.0


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process and its reaped children (``/proc/<pid>/stat``
    utime, stime, cutime, cstime), or None where /proc cannot tell."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 (state) is fields[0]
    try:
        return sum(int(v) for v in fields[11:15]) / _ticks()
    except (ValueError, IndexError):
        return None


def write_status(directory: Path, status: dict[str, Any]) -> Path:
    """Write ``status`` as ``scheduler.json`` in ``directory``: a temporary file renamed over it,
    so a reader never sees half a file. Raises OSError."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / STATUS_FILE
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{STATUS_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"format": STATUS_FORMAT, **status}, handle, indent=1, sort_keys=True)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_status(directory: Path) -> dict[str, Any] | None:
    """The scheduler's last status in ``directory``, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((directory / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == STATUS_FORMAT else None
