"""Reading OSV entries from what ``coderev advisories import`` is given: JSON or YAML files (one
entry, a list of entries, or an API answer ``{"vulns": [...]}``), folders of them, the zip OSV
publishes per ecosystem (``PyPI/all.zip``) and tar archives of an advisory repository.

Archives are read member by member, never extracted: a member's name cannot place a file
anywhere, and a member larger than :data:`MAX_ENTRY_BYTES` is skipped rather than inflated.
Nothing read here is executed; YAML is loaded with PyYAML's base loader, which makes every
scalar a string (``1.10`` stays ``"1.10"``, not the number 1.1).
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from coderev.analyzers.errors import CoderevError

MAX_ENTRY_BYTES = 16 << 20  # an OSV entry is a few KB; this is a broken or hostile file
SUFFIXES = (".json", ".yaml", ".yml")
ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")

try:
    _Loader: Any = yaml.CBaseLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.BaseLoader


@dataclass(frozen=True, slots=True)
class Entry:
    """One OSV entry as read (not yet checked), and where it came from (for messages)."""

    where: str
    data: Any


def _is(name: str, suffixes: tuple[str, ...]) -> bool:
    return name.lower().endswith(suffixes)


def decode(where: str, raw: bytes) -> Iterator[Entry]:
    """The OSV entries of one file's bytes; raises CoderevError (DEP001) when it is neither
    JSON nor YAML of an entry."""
    try:
        # the base loader builds strings only
        data = json.loads(raw) if _is(where, (".json",)) else yaml.load(raw, Loader=_Loader)  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if _is(where, (".json",)) else "YAML"
        raise CoderevError("DEP001", f"{where}: not valid {kind} ({str(exc).splitlines()[0]})") from exc
    if isinstance(data, dict) and isinstance(data.get("vulns"), list) and "id" not in data:
        data = data["vulns"]  # an OSV API answer
    if isinstance(data, list):
        for index, item in enumerate(data):
            yield Entry(f"{where}[{index}]", item)
    else:
        yield Entry(where, data)


def _archive_members(path: Path) -> Iterator[tuple[str, bytes | CoderevError]]:
    if _is(path.name, (".zip",)):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir() or not _is(info.filename, SUFFIXES):
                    continue
                where = f"{path.name}:{info.filename}"
                if info.file_size > MAX_ENTRY_BYTES:
                    yield where, CoderevError("DEP001", f"{where}: {info.file_size} bytes, more than an entry can be")
                    continue
                yield where, archive.read(info)
        return
    with tarfile.open(path) as archive:
        for member in archive:
            if not member.isreg() or not _is(member.name, SUFFIXES):
                continue
            where = f"{path.name}:{member.name}"
            if member.size > MAX_ENTRY_BYTES:
                yield where, CoderevError("DEP001", f"{where}: {member.size} bytes, more than an entry can be")
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                yield where, handle.read()


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file() and _is(p.name, SUFFIXES + ARCHIVES))
    else:
        yield path


def read_entries(path: Path, problems: list[CoderevError]) -> Iterator[Entry]:
    """Every OSV entry under ``path``; what cannot be read is added to ``problems`` (DAT002 for a
    file that cannot be opened, DEP001 for one that is not OSV) and skipped."""
    if not path.exists():
        problems.append(CoderevError("DAT002", f"{path} does not exist"))
        return
    for file in _files(path):
        try:
            if _is(file.name, ARCHIVES):
                for where, raw in _archive_members(file):
                    if isinstance(raw, CoderevError):
                        problems.append(raw)
                        continue
                    try:
                        yield from decode(where, raw)
                    except CoderevError as exc:
                        problems.append(exc)
                continue
            if file.stat().st_size > MAX_ENTRY_BYTES:
                problems.append(CoderevError("DEP001", f"{file}: larger than an OSV file can be"))
                continue
            yield from decode(str(file), file.read_bytes())
        except CoderevError as exc:
            problems.append(exc)
        except PermissionError as exc:
            problems.append(CoderevError("AUTH001", f"cannot read {file}: {exc.strerror}"))
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
            problems.append(CoderevError("DAT002", f"cannot read {file}: {exc}"))
