"""The advisory database: the snapshot packaged with coderev plus what the user imported.

Both are one gzipped JSON file of the same form (:func:`save_store`): the sources it was built
from and the advisories' facts (:func:`coderev.analyzers.deps.osv.to_record`). The packaged one
is ``data/osv-snapshot.json.gz`` beside this module (built by
:mod:`coderev.analyzers.deps.snapshot`); imports go to ``<data dir>/advisories/advisories.json.gz``
(``$CODEREV_DATA_DIR``). An import reads everything first and replaces the store with one
atomic rename, so a bad file or a crash never loses what was there. Nothing here touches the
network.

Where both hold an advisory, the one modified last is used (an import is usually the newer).
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from coderev.analyzers.deps.importer import read_entries
from coderev.analyzers.deps.osv import (
    Advisory,
    Affected,
    MalformedAdvisory,
    from_osv,
    from_record,
    is_withdrawn,
    to_record,
)
from coderev.analyzers.deps.versions import Ecosystem
from coderev.analyzers.errors import CoderevError
from coderev.analyzers.user_cache import data_root

FORMAT = 1
SNAPSHOT_NAME = "osv-snapshot.json.gz"
STORE_NAME = "advisories.json.gz"
MAX_SOURCES = 50  # import history kept in the store


@dataclass(frozen=True, slots=True)
class Source:
    """Where advisories came from: ``date`` is how current the data is (the newest ``modified``
    of its entries), ``imported`` when it was added (empty for the packaged snapshot)."""

    name: str
    origin: str
    date: str
    advisories: int
    imported: str = ""
    license: str = ""
    revision: str = ""


@dataclass(slots=True)
class Store:
    sources: list[Source] = field(default_factory=list)
    advisories: dict[str, Advisory] = field(default_factory=dict)

    @property
    def date(self) -> str:
        return max((a.modified for a in self.advisories.values()), default="")[:10]


def packaged_path() -> Path:
    return Path(str(resources.files("coderev.analyzers.deps") / "data" / SNAPSHOT_NAME))


def user_store_path() -> Path:
    return data_root() / "advisories" / STORE_NAME


def load_store(path: Path, code: str = "DEP003") -> Store:
    """The store at ``path`` (empty when there is none); raises CoderevError(``code``) when it
    cannot be read or is damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Store()
    except OSError as exc:
        raise CoderevError(code, f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(gzip.decompress(raw))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, this coderev reads {FORMAT}")
        sources = [Source(**s) for s in data["sources"]]
        advisories = {a.id: a for a in (from_record(r) for r in data["advisories"])}
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CoderevError(code, f"{path} is damaged ({exc})") from exc
    return Store(sources, advisories)


def encode_store(store: Store) -> bytes:
    """The store's file content: sorted, so one set of advisories always gives the same bytes."""
    data = {
        "format": FORMAT,
        "sources": [asdict(s) for s in store.sources],
        "advisories": [to_record(store.advisories[k]) for k in sorted(store.advisories)],
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def save_store(path: Path, store: Store) -> None:
    """Write the store atomically: a temporary file beside it, flushed, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode_store(store))
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes it private; advisories are public facts
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(slots=True)
class ImportReport:
    """What an import did; ``problems`` are the entries and files skipped, with their codes."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0  # already there, as new or newer
    withdrawn: int = 0
    other: int = 0  # no package of an ecosystem coderev reads
    total: int = 0  # advisories in the store afterwards
    problems: list[CoderevError] = field(default_factory=list)
    date: str = ""


def collect(paths: Sequence[Path], report: ImportReport) -> tuple[dict[str, Advisory], set[str]]:
    """The advisories found under ``paths`` (the last modified where an id repeats) and the ids
    marked withdrawn; what is skipped goes to ``report.problems``."""
    found: dict[str, Advisory] = {}
    withdrawn: set[str] = set()
    for path in paths:
        for entry in read_entries(path, report.problems):
            report.read += 1
            try:
                if isinstance(entry.data, dict) and is_withdrawn(entry.data) and isinstance(entry.data.get("id"), str):
                    withdrawn.add(entry.data["id"])
                    report.withdrawn += 1
                    continue
                advisory = from_osv(entry.data)
            except MalformedAdvisory as exc:
                report.problems.append(CoderevError("DEP001", f"{entry.where}: {exc}"))
                continue
            if advisory is None:
                report.other += 1
                continue
            known = found.get(advisory.id)
            if known is None or known.modified <= advisory.modified:
                found[advisory.id] = advisory
    return found, withdrawn


def import_paths(paths: Sequence[Path], store_path: Path | None = None, *, now: datetime | None = None) -> ImportReport:
    """Merge the OSV advisories under ``paths`` into the user's store. Raises CoderevError
    (DEP004) and writes nothing when none is found; a damaged store (DEP003) is replaced."""
    store_path = store_path or user_store_path()
    report = ImportReport()
    found, withdrawn = collect(paths, report)
    if not found and not withdrawn:
        detail = ", ".join(str(p) for p in paths)
        if report.problems:
            shown = "; ".join(p.detail for p in report.problems[:3])
            detail += f" ({len(report.problems)} skipped: {shown}{'; ...' if len(report.problems) > 3 else ''})"
        raise CoderevError("DEP004", detail)
    try:
        store = load_store(store_path)
    except CoderevError as exc:  # replaced by this import, which is complete on its own
        report.problems.append(exc)
        store = Store()
    for ident, advisory in found.items():
        old = store.advisories.get(ident)
        if old is None:
            report.added += 1
        elif old.modified > advisory.modified or old == advisory:
            report.unchanged += 1
            continue
        else:
            report.updated += 1
        store.advisories[ident] = advisory
    for ident in withdrawn:
        store.advisories.pop(ident, None)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report.date = max((a.modified for a in found.values()), default="")[:10]
    origin = ", ".join(str(p.resolve()) for p in paths)
    source = Source(", ".join(p.name for p in paths), origin, report.date, len(found), imported=stamp)
    store.sources = [*store.sources, source][-MAX_SOURCES:]
    save_store(store_path, store)
    report.total = len(store.advisories)
    return report


class Database:
    """Advisories by package: the stores merged (the last modified wins for an id)."""

    def __init__(self, stores: Iterable[tuple[str, Store]], problems: Iterable[CoderevError] = ()) -> None:
        self.stores = list(stores)
        self.problems = tuple(problems)
        merged: dict[str, Advisory] = {}
        for _, store in self.stores:
            for ident, advisory in store.advisories.items():
                known = merged.get(ident)
                if known is None or known.modified <= advisory.modified:
                    merged[ident] = advisory
        self.advisories = merged
        self._index: dict[tuple[Ecosystem, str], list[tuple[Advisory, Affected]]] = {}
        for advisory in merged.values():
            for affected in advisory.affected:
                self._index.setdefault((affected.ecosystem, affected.name), []).append((advisory, affected))

    def __len__(self) -> int:
        return len(self.advisories)

    def entries(self, ecosystem: Ecosystem, name: str) -> Sequence[tuple[Advisory, Affected]]:
        """Every (advisory, affected entry) naming this package (``name`` normalized)."""
        return self._index.get((ecosystem, name), ())

    def ecosystems(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for advisory in self.advisories.values():
            for eco in {a.ecosystem.value for a in advisory.affected}:
                counts[eco] = counts.get(eco, 0) + 1
        return dict(sorted(counts.items()))


_lock = threading.Lock()
_cached: dict[str, Any] = {}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def current(store_path: Path | None = None) -> Database:
    """The database in use: the packaged snapshot plus the user's store, loaded once and again
    only when the store file changes (an import while the editor runs takes effect)."""
    store_path = store_path or user_store_path()
    key = (str(store_path), _stamp(store_path))
    with _lock:
        found = _cached.get("db")
        if found is not None and _cached.get("key") == key:
            return found  # type: ignore[no-any-return]
        problems: list[CoderevError] = []
        snapshot = _cached.get("snapshot")
        if snapshot is None:
            try:
                snapshot = load_store(packaged_path(), "DEP005")
            except CoderevError as exc:
                problems.append(exc)
                snapshot = Store()
            _cached["snapshot"] = snapshot
            _cached["snapshot_problems"] = tuple(problems)
        else:
            problems += _cached["snapshot_problems"]
        try:
            user = load_store(store_path)
        except CoderevError as exc:
            problems.append(exc)
            user = Store()
        database = Database([("packaged", snapshot), ("imported", user)], problems)
        _cached["db"], _cached["key"] = database, key
        return database
