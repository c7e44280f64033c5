"""What the dependency-file parsers produce, and the text searches they share.

Parsers read the UTF-8 bytes of a file and return :class:`Dependency` records with byte offsets:
``at`` is where a finding is reported (the version as this dependency's entry writes it) and
``literal`` the bytes a version bump replaces (the same place, or the Maven property the entry
names), or None where the file is a lock file that its tool must regenerate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from coderev.analyzers.deps.versions import Ecosystem


@dataclass(frozen=True, slots=True)
class Dependency:
    ecosystem: Ecosystem
    name: str  # as the file writes it
    version: str  # as the file writes it (Go keeps its "v")
    at: tuple[int, int]  # byte range reported
    literal: tuple[int, int] | None = None  # byte range a bump rewrites; None: not editable here
    via: str = ""  # the Maven property the version comes from, if any


class Unreadable(ValueError):
    """The file is not what its name says (broken JSON, TOML, YAML or XML); the message says why."""


@dataclass(slots=True)
class Found:
    """Dependencies of one file, deduplicated by (ecosystem, name, version): the first entry wins."""

    items: list[Dependency] = field(default_factory=list)
    _seen: set[tuple[Ecosystem, str, str]] = field(default_factory=set)

    def add(self, dependency: Dependency) -> None:
        key = (dependency.ecosystem, dependency.name, dependency.version)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(dependency)


def first_line(message: object) -> str:
    return str(message).splitlines()[0] if str(message) else type(message).__name__


def json_field_after_key(
    source: bytes, key: str, field_name: str, value: str, start: int = 0
) -> tuple[int, int] | None:
    """The byte range of ``value`` in the first ``"field_name": "value"`` that follows an object
    key ``"key": {`` as that object's first such field: the entries of machine-written JSON
    lock files (package-lock.json, Pipfile.lock) write their version before any nested object.
    The search begins at ``start`` (entries come in document order: callers pass the end of the
    previous one, so a file is scanned once), then from the top if need be."""
    needle, field_re = json.dumps(key).encode(), _field_pattern(field_name)
    for begin in (start, 0) if start else (0,):
        at = source.find(needle, begin)
        while at != -1:
            opening = _OBJECT_OPENS.match(source, at + len(needle))
            found = field_re.search(source, opening.end()) if opening is not None else None
            if found is not None and json.loads(b'"' + found.group(1) + b'"') == value:
                return found.start(1), found.end(1)
            at = source.find(needle, at + 1)
    return None


_OBJECT_OPENS = re.compile(rb"\s*:\s*\{")


@lru_cache(maxsize=8)
def _field_pattern(field_name: str) -> re.Pattern[bytes]:
    return re.compile(re.escape(json.dumps(field_name).encode()) + rb'\s*:\s*"((?:[^"\\]|\\.)*)"')


def load_json(source: bytes) -> object:
    """JSON of a lock file; raises :class:`Unreadable` for anything else (nesting too deep included)."""
    try:
        return json.loads(source)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"not valid JSON ({first_line(exc)})") from exc


def line_spans(source: bytes) -> list[tuple[int, bytes]]:
    """Each line of ``source`` with the offset where it starts (without its line break)."""
    out: list[tuple[int, bytes]] = []
    offset = 0
    for line in source.split(b"\n"):
        out.append((offset, line[:-1] if line.endswith(b"\r") else line))
        offset += len(line) + 1
    return out
