"""Baseline files: the findings a team has accepted, so ``coderev scan --baseline FILE`` reports
only new ones (docs/ci.md).

A baseline is versioned JSON::

    {"format": "coderev-baseline", "version": 1, "generated_by": "coderev 0.1.0",
     "findings": [{"path": "app/db.py", "rule_id": "...", "fingerprint": "...", "line": 12}]}

A finding is known when the baseline holds its fingerprint for its file. Fingerprints leave
positions out (rule, enclosing definition, code, occurrence: ``coderev.analyzers.analysis``), so
code that moves within its file stays known; ``line`` is there for people reading the file, never
matched. ``path`` is relative to the baseline file's folder, so the file works from any directory.
An entry whose file no longer exists (a renamed or moved file) still matches the same fingerprint
in another file, once.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from coderev.analyzers.analysis import is_fingerprint
from coderev.analyzers.batch import FileResult
from coderev.analyzers.errors import CoderevError

FORMAT = "coderev-baseline"
VERSION = 1
MAX_BYTES = 256 << 20  # far above any real baseline (about 150 bytes an entry)


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # relative to the baseline file's folder, with "/" separators
    rule_id: str
    fingerprint: str
    line: int  # 1-based, informative only


@dataclass(frozen=True, slots=True)
class Outcome:
    """What filtering did: findings hidden as known, and entries of scanned files not seen again
    (fixed, or changed enough to be new findings)."""

    known: int
    stale: int


def _key(path: Path | str) -> str:
    """An absolute, normalized path without touching the disk. Called for every file of a scan:
    ``os.path`` is several times faster than building ``Path`` objects here."""
    return os.path.abspath(path)  # noqa: PTH100


def render(results: list[FileResult], baseline: Path, version: str) -> bytes:
    """The baseline accepting every finding of ``results``, as the bytes of its file."""
    base = _key(baseline.parent)
    entries = sorted(
        (Entry(Path(os.path.relpath(_key(r.path), base)).as_posix(), f.rule_id, f.fingerprint,
               f.span.start_row + 1)
         for r in results for f in r.findings),
        key=lambda e: (e.path, e.line, e.rule_id, e.fingerprint),
    )
    document = {
        "format": FORMAT,
        "version": VERSION,
        "generated_by": f"coderev {version}",
        "findings": [
            {"path": e.path, "rule_id": e.rule_id, "fingerprint": e.fingerprint, "line": e.line} for e in entries
        ],
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _malformed(path: Path, detail: str) -> CoderevError:
    return CoderevError("DAT006", f"{path}: {detail}")


def _entry(path: Path, index: int, item: Any) -> Entry:
    where = f"findings[{index}]"
    if not isinstance(item, dict):
        raise _malformed(path, f"{where} is not an object")
    for name in ("path", "rule_id", "fingerprint"):
        if not isinstance(item.get(name), str) or not item[name]:
            raise _malformed(path, f"{where}.{name} is missing or not a non-empty string")
    if not is_fingerprint(item["fingerprint"]):
        raise _malformed(path, f"{where}.fingerprint {item['fingerprint']!r} is not a coderev fingerprint")
    line = item.get("line", 0)
    if not isinstance(line, int) or isinstance(line, bool) or line < 0:
        raise _malformed(path, f"{where}.line is not a line number")
    return Entry(item["path"], item["rule_id"], item["fingerprint"], line)


def parse(path: Path, data: bytes) -> list[Entry]:
    """The entries of a baseline file's bytes; DAT006 for anything that is not one."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _malformed(path, f"not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _malformed(path, f'not a coderev baseline (no "format": "{FORMAT}")')
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _malformed(path, '"version" is missing or not an integer')
    if version > VERSION:
        raise _malformed(path, f"format version {version} was written by a newer coderev; this one reads "
                         f"version {VERSION}")
    if version < 1:
        raise _malformed(path, f"format version {version} does not exist")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise _malformed(path, '"findings" is missing or not a list')
    return [_entry(path, i, item) for i, item in enumerate(findings)]


class Baseline:
    """The accepted findings of a baseline file, ready to filter scan results."""

    def __init__(self, path: Path, entries: list[Entry]) -> None:
        self.path = path
        self.entries = entries
        base = _key(path.parent)
        self._where = [_key(Path(base) / e.path) for e in entries]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read ``path``: DAT002 when it is missing or unreadable, AUTH001 when not permitted,
        DAT006 when it is not a baseline."""
        if not path.exists():
            raise CoderevError("DAT002", f"baseline file {path} does not exist; create it with "
                               f"`coderev scan --write-baseline {path} ...`")
        if not path.is_file():
            raise CoderevError("DAT002", f"baseline file {path} is not a regular file")
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except PermissionError as exc:
            raise CoderevError("AUTH001", f"cannot read baseline file {path}: {exc.strerror}") from None
        except OSError as exc:
            raise CoderevError("DAT002", f"cannot read baseline file {path}: {exc.strerror or exc}") from None
        if len(data) > MAX_BYTES:
            raise _malformed(path, f"larger than {MAX_BYTES >> 20} MiB")
        return cls(path, parse(path, data))

    def filter(self, results: list[FileResult]) -> tuple[list[FileResult], Outcome]:
        """``results`` without the findings the baseline knows. Each entry hides one finding: first
        the same fingerprint in the same file, then, for entries whose file is gone, the same
        fingerprint anywhere."""
        exact = Counter((where, e.fingerprint) for where, e in zip(self._where, self.entries, strict=True))
        orphans = Counter(e.fingerprint for where, e in zip(self._where, self.entries, strict=True)
                          if not Path(where).exists())
        keys = [_key(r.path) for r in results]
        scanned = set(keys)
        in_scanned = sum(1 for where in self._where if where in scanned)
        known = 0
        kept: list[tuple[FileResult, list[bool]]] = []
        for result, key in zip(results, keys, strict=True):
            flags = []
            for finding in result.findings:
                hit = exact[(key, finding.fingerprint)] > 0
                if hit:
                    exact[(key, finding.fingerprint)] -= 1
                    known += 1
                flags.append(hit)
            kept.append((result, flags))
        matched_in_scanned = known
        out: list[FileResult] = []
        for result, flags in kept:
            findings = []
            for finding, hit in zip(result.findings, flags, strict=True):
                if not hit and orphans[finding.fingerprint] > 0:
                    orphans[finding.fingerprint] -= 1
                    known += 1
                    continue
                if not hit:
                    findings.append(finding)
            out.append(replace(result, findings=tuple(findings)) if len(findings) != len(result.findings) else result)
        return out, Outcome(known, in_scanned - matched_in_scanned)
