"""Advisories in the OSV format (https://ossf.github.io/osv-schema/): read, kept compact, matched.

An advisory is kept with its facts only: id, aliases, severity (label and CVSS base score), CWE
ids, one reference URL and, per affected package of an ecosystem coderev reads, its ranges and
its explicit ``versions`` list. The prose (summary, details) is left out.

A version is affected when it is listed in ``versions`` or falls in one of the ranges. A range of
type ECOSYSTEM or SEMVER is evaluated as the OSV schema says: its events sorted by version, the
last event at or below the version decides (``introduced`` opens, ``fixed`` closes, and
``last_affected`` closes just above itself), and a version at or above a ``limit`` is outside.
GIT ranges name commits, not versions: they are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cmp_to_key, lru_cache
from typing import Any

from coderev.analyzers.deps.versions import (
    MINIMUM,
    Comparable,
    Ecosystem,
    ecosystem_of,
    normalize_name,
    parse,
)

EVENTS = ("introduced", "fixed", "last_affected", "limit")
VERSION_RANGES = frozenset({"ECOSYSTEM", "SEMVER"})
LABELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE")
_LABEL_ALIASES = {"MODERATE": "MEDIUM"}
_CWE = re.compile(r"CWE-(\d+)")


class MalformedAdvisory(ValueError):
    """An OSV entry that does not have the shape the schema gives it; the message says where."""


@dataclass(frozen=True, slots=True)
class Range:
    kind: str  # ECOSYSTEM or SEMVER (GIT ranges are not kept)
    events: tuple[tuple[str, str], ...]  # (introduced | fixed | last_affected | limit, version)


@dataclass(frozen=True, slots=True)
class Affected:
    ecosystem: Ecosystem
    name: str  # normalized (versions.normalize_name)
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    modified: str
    severity: str  # one of LABELS, or "" when the advisory gives none
    score: float | None  # CVSS base score when a vector is given
    cwe: tuple[int, ...]
    url: str
    affected: tuple[Affected, ...]


# -- reading OSV ------------------------------------------------------------------------------


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedAdvisory(f"'{where}' must be a list of strings")
    return tuple(value)


def _events(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise MalformedAdvisory(f"'{where}.events' must be a non-empty list")
    out = []
    for index, event in enumerate(raw):
        if not isinstance(event, Mapping) or len(event) != 1:
            raise MalformedAdvisory(f"'{where}.events[{index}]' must have exactly one key")
        ((kind, value),) = event.items()
        if kind not in EVENTS or not isinstance(value, str | int | float):
            raise MalformedAdvisory(f"'{where}.events[{index}]': unknown event {kind!r}")
        out.append((str(kind), str(value)))
    return tuple(out)


def _affected(raw: Any, index: int) -> Affected | None:
    where = f"affected[{index}]"
    if not isinstance(raw, Mapping):
        raise MalformedAdvisory(f"'{where}' must be an object")
    package = raw.get("package")
    if package is None:  # a commit-only entry: nothing to match a version against
        return None
    if not isinstance(package, Mapping) or not isinstance(package.get("ecosystem"), str) or not isinstance(
        package.get("name"), str
    ):
        raise MalformedAdvisory(f"'{where}.package' needs 'ecosystem' and 'name' strings")
    ecosystem = ecosystem_of(package["ecosystem"])
    ranges_raw = raw.get("ranges") or []
    if not isinstance(ranges_raw, list):
        raise MalformedAdvisory(f"'{where}.ranges' must be a list")
    ranges = []
    for r_index, item in enumerate(ranges_raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("type"), str):
            raise MalformedAdvisory(f"'{where}.ranges[{r_index}]' needs a 'type'")
        events = _events(item.get("events"), f"{where}.ranges[{r_index}]")
        if item["type"] in VERSION_RANGES:
            ranges.append(Range(item["type"], events))
    versions = _strings(raw.get("versions"), f"{where}.versions")
    if ecosystem is None or not package["name"].strip():
        return None
    return Affected(ecosystem, normalize_name(ecosystem, package["name"]), tuple(ranges), versions)


def _label(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    label = _LABEL_ALIASES.get(text.strip().upper(), text.strip().upper())
    return label if label in LABELS else ""


def _cvss(kind: str, vector: str) -> tuple[str, float] | None:
    """(label, base score) of a CVSS vector, or None when it cannot be read."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return _label(v4.severity), float(v4.base_score)
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            return _label(v3.severities()[0]), float(v3.base_score)
        if kind == "CVSS_V2":
            score = float(CVSS2(vector).base_score)
            return ("HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"), score
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def _severity(data: Mapping[str, Any]) -> tuple[str, float | None]:
    """The advisory's severity: from its newest CVSS vector (v4, then v3, then v2), else the
    label of its database (GitHub's CRITICAL/HIGH/MODERATE/LOW)."""
    entries = [e for e in data.get("severity") or [] if isinstance(e, Mapping)]
    for affected in data.get("affected") or []:
        if isinstance(affected, Mapping):
            entries += [e for e in affected.get("severity") or [] if isinstance(e, Mapping)]
    for kind in ("CVSS_V4", "CVSS_V3", "CVSS_V2"):
        for entry in entries:
            if entry.get("type") == kind and isinstance(entry.get("score"), str):
                found = _cvss(kind, entry["score"])
                if found is not None:
                    return found
    specific = data.get("database_specific")
    return (_label(specific.get("severity")) if isinstance(specific, Mapping) else ""), None


def _cwes(data: Mapping[str, Any]) -> tuple[int, ...]:
    found: set[int] = set()
    places = [data.get("database_specific")] + [
        a.get("database_specific") for a in data.get("affected") or [] if isinstance(a, Mapping)
    ]
    for place in places:
        if isinstance(place, Mapping):
            for cwe in place.get("cwe_ids") or []:
                match = _CWE.fullmatch(str(cwe).strip())
                if match:
                    found.add(int(match.group(1)))
    return tuple(sorted(found))


def _url(data: Mapping[str, Any]) -> str:
    refs = [r for r in data.get("references") or [] if isinstance(r, Mapping) and isinstance(r.get("url"), str)]
    for kind in ("ADVISORY", "WEB"):
        for ref in refs:
            if ref.get("type") == kind:
                return str(ref["url"])
    return str(refs[0]["url"]) if refs else ""


def is_withdrawn(data: Mapping[str, Any]) -> bool:
    return bool(data.get("withdrawn"))


def from_osv(data: Any) -> Advisory | None:
    """The advisory's facts, or None when it affects no package of an ecosystem coderev reads.
    Raises :class:`MalformedAdvisory` for an entry that is not OSV."""
    if not isinstance(data, Mapping):
        raise MalformedAdvisory("an OSV entry must be an object")
    ident = data.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise MalformedAdvisory("'id' must be a non-empty string")
    raw = data.get("affected") or []
    if not isinstance(raw, list):
        raise MalformedAdvisory("'affected' must be a list")
    affected = tuple(a for a in (_affected(item, i) for i, item in enumerate(raw)) if a is not None)
    if not affected:
        return None
    label, score = _severity(data)
    modified = data.get("modified")
    return Advisory(
        id=ident.strip(),
        aliases=_strings(data.get("aliases"), "aliases"),
        modified=str(modified) if modified is not None else "",
        severity=label,
        score=score,
        cwe=_cwes(data),
        url=_url(data),
        affected=affected,
    )


# -- the compact form kept on disk ------------------------------------------------------------


def to_record(advisory: Advisory) -> dict[str, Any]:
    record: dict[str, Any] = {"id": advisory.id}
    optional = {"aliases": list(advisory.aliases), "modified": advisory.modified, "severity": advisory.severity,
                "score": advisory.score, "cwe": list(advisory.cwe), "url": advisory.url}
    record.update({k: v for k, v in optional.items() if v not in ("", None, [])})
    record["affected"] = [
        {
            "ecosystem": a.ecosystem.value,
            "name": a.name,
            **({"ranges": [[r.kind, [list(e) for e in r.events]] for r in a.ranges]} if a.ranges else {}),
            **({"versions": list(a.versions)} if a.versions else {}),
        }
        for a in advisory.affected
    ]
    return record


def from_record(record: Mapping[str, Any]) -> Advisory:
    """An advisory from :func:`to_record`'s form (raises KeyError/TypeError/ValueError if damaged)."""
    return Advisory(
        id=str(record["id"]),
        aliases=tuple(record.get("aliases", ())),
        modified=str(record.get("modified", "")),
        severity=str(record.get("severity", "")),
        score=float(record["score"]) if record.get("score") is not None else None,
        cwe=tuple(int(c) for c in record.get("cwe", ())),
        url=str(record.get("url", "")),
        affected=tuple(
            Affected(
                Ecosystem(a["ecosystem"]),
                str(a["name"]),
                tuple(
                    Range(str(kind), tuple((str(k), str(v)) for k, v in events)) for kind, events in a.get("ranges", ())
                ),
                tuple(str(v) for v in a.get("versions", ())),
            )
            for a in record["affected"]
        ),
    )


# -- matching ---------------------------------------------------------------------------------


def _lt(a: Comparable, b: Comparable) -> bool:
    if a is MINIMUM:
        return b is not MINIMUM
    if b is MINIMUM:
        return False
    return a < b


def _order(a: tuple[str, Comparable], b: tuple[str, Comparable]) -> int:
    return -1 if _lt(a[1], b[1]) else (1 if _lt(b[1], a[1]) else 0)


@lru_cache(maxsize=1 << 14)
def _parsed_events(ecosystem: Ecosystem, r: Range) -> tuple[tuple[str, Comparable], ...] | None:
    """The range's events sorted by version ("0" first; the sort is stable, so equal versions
    keep the advisory's order), or None when one of them is not a version of the ecosystem."""
    out = []
    for kind, text in r.events:
        version = parse(ecosystem, text)
        if version is None:
            return None  # a range we cannot order is not guessed at
        out.append((kind, version))
    return tuple(sorted(out, key=cmp_to_key(_order)))


def _in_range(ecosystem: Ecosystem, r: Range, version: Comparable) -> bool:
    events = _parsed_events(ecosystem, r)
    if events is None:
        return False
    limits = [v for kind, v in events if kind == "limit"]
    if limits and not any(_lt(version, limit) for limit in limits):
        return False
    affected = False
    for kind, at in events:
        if kind == "introduced" and not _lt(version, at):
            affected = True
        elif (kind == "fixed" and not _lt(version, at)) or (kind == "last_affected" and _lt(at, version)):
            affected = False
    return affected


@lru_cache(maxsize=1 << 17)
def canonical(ecosystem: Ecosystem, text: str) -> str:
    """A spelling for comparing explicit ``versions`` lists: PEP 440's normal form without
    trailing zeros (``1.0.0`` is ``1``), no ``v`` prefix for npm and Go, lower case for Maven."""
    text = text.strip()
    if ecosystem is Ecosystem.PYPI:
        from packaging.utils import canonicalize_version

        return str(canonicalize_version(text, strip_trailing_zero=True))
    if ecosystem is Ecosystem.MAVEN:
        return text.lower()
    return text[1:] if text[:1] in "vV" else text


@lru_cache(maxsize=1 << 14)
def _listed(ecosystem: Ecosystem, versions: tuple[str, ...]) -> frozenset[str]:
    return frozenset(canonical(ecosystem, v) for v in versions)


def affects(affected: Affected, version: str) -> bool:
    """Whether ``version`` of the package is affected: listed, or in one of the ranges."""
    if affected.versions and canonical(affected.ecosystem, version) in _listed(affected.ecosystem, affected.versions):
        return True
    parsed = parse(affected.ecosystem, version, event=False)
    if parsed is None:
        return False
    return any(_in_range(affected.ecosystem, r, parsed) for r in affected.ranges)


def fixed_in(affected: Affected, version: str) -> str | None:
    """The version that fixes ``version`` for this entry: the first ``fixed`` event above it in
    a range that holds it (None when that range ends with ``last_affected`` or never ends)."""
    parsed = parse(affected.ecosystem, version, event=False)
    if parsed is None:
        return None
    best: tuple[Comparable, str] | None = None
    for r in affected.ranges:
        if not _in_range(affected.ecosystem, r, parsed):
            continue
        for kind, text in r.events:
            at = parse(affected.ecosystem, text)
            if kind == "fixed" and at is not None and _lt(parsed, at) and (best is None or _lt(at, best[0])):
                best = (at, text)
    return best[1] if best else None


def fixed_versions(entries: Iterable[Affected]) -> list[str]:
    """Every ``fixed`` version the entries name (the candidates for an upgrade)."""
    return sorted({text for a in entries for r in a.ranges for kind, text in r.events if kind == "fixed"})


def below(ecosystem: Ecosystem, a: str, b: str) -> bool:
    """Whether version ``a`` orders before ``b`` (False when either is not a version)."""
    left, right = parse(ecosystem, a), parse(ecosystem, b)
    return left is not None and right is not None and _lt(left, right)
