"""Dependencies against advisories: one finding per vulnerable dependency, with its fix.

A dependency's advisories are grouped by alias (PYSEC-2021-9 and GHSA-fvgf-6h6h-3322 name one
vulnerability), and the finding says, for each: its ids and aliases, severity and the version
that fixes it. The upgrade it proposes is the lowest version above the current one that no known
advisory affects (pre-releases only when the current version is one); where every candidate is
still affected by some advisory, the lowest one that fixes the current advisories is named and
its bump is not verified.

A bump is offered where the file is a manifest (requirements, pyproject.toml, go.mod, pom.xml):
it replaces the version text only, and is verified by reading the edited file again (the
dependency now reads the new version) and by the database (no advisory affects it). It is never
a fix-all fix: a new version can change behaviour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from coderev.analyzers.deps.database import Database
from coderev.analyzers.deps.files import EDITABLE, Kind
from coderev.analyzers.deps.model import Dependency
from coderev.analyzers.deps.osv import Advisory, Affected, affects, below, fixed_in, fixed_versions
from coderev.analyzers.deps.versions import Ecosystem, is_prerelease, normalize_name, same_version
from coderev.analyzers.finding import Edit, Finding, Fix, Severity, Span, Verification, apply_edits, failed
from coderev.analyzers.ruleset import Rule
from coderev.analyzers.text import LineIndex

CWE_VULNERABLE_COMPONENT = 1395  # Dependency on Vulnerable Third-Party Component
DETAILED = 8  # advisories described in full in a message; the rest by id
_RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1, "NONE": 0, "": -1}
_SEVERITY = {"CRITICAL": Severity.ERROR, "HIGH": Severity.ERROR, "MEDIUM": Severity.WARNING, "LOW": Severity.INFO,
             "NONE": Severity.INFO}


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """Advisories about one vulnerability (they alias each other), as they affect one version."""

    id: str
    aliases: tuple[str, ...]
    severity: str
    score: float | None
    cwe: tuple[int, ...]
    fixed: str | None

    def describe(self) -> str:
        severity = f"{self.severity} {self.score:.1f}" if self.score is not None and self.severity else (
            self.severity or "severity not given")
        fixed = f"fixed in {self.fixed}" if self.fixed else "no fixed version"
        aliases = ", ".join(self.aliases)
        return f"{self.id} ({aliases + '; ' if aliases else ''}{severity}; {fixed})"


def _id_order(ident: str) -> tuple[bool, bool, str]:
    return ident.startswith("CVE-"), ident.startswith("GHSA-"), ident  # the database's own id first


def _alias_order(ident: str) -> tuple[bool, bool, str]:
    return not ident.startswith("CVE-"), not ident.startswith("GHSA-"), ident  # CVE, GHSA, the rest


def _group(hits: Sequence[tuple[Advisory, Affected]], version: str) -> list[Vulnerability]:
    groups: list[tuple[set[str], list[tuple[Advisory, Affected]]]] = []
    for advisory, affected in hits:
        names = {advisory.id, *advisory.aliases}
        joined = [g for g in groups if g[0] & names]
        merged: tuple[set[str], list[tuple[Advisory, Affected]]] = (names, [(advisory, affected)])
        for group in joined:
            groups.remove(group)
            merged[0].update(group[0])
            merged[1].extend(group[1])
        groups.append(merged)
    out = []
    for names, members in groups:
        primary = min((a.id for a, _ in members), key=_id_order)
        fixes = [f for f in (fixed_in(aff, version) for _, aff in members) if f is not None]
        fixed = sorted(fixes, key=_sort_key(members[0][1].ecosystem))[-1] if fixes else None  # the later one
        label = max((a.severity for a, _ in members), key=lambda s: _RANK.get(s, -1))
        scores = [a.score for a, _ in members if a.score is not None]
        out.append(Vulnerability(
            primary, tuple(sorted(names - {primary}, key=_alias_order)), label, max(scores) if scores else None,
            tuple(sorted({c for a, _ in members for c in a.cwe})), fixed,
        ))
    return sorted(out, key=lambda v: (-_RANK.get(v.severity, -1), _id_order(v.id)))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the database says about one version of a package."""

    vulnerabilities: tuple[Vulnerability, ...]
    upgrade: str | None  # the version to move to
    clean: bool  # no known advisory affects ``upgrade``


def _affected_by(entries: Sequence[tuple[Advisory, Affected]], version: str) -> list[tuple[Advisory, Affected]]:
    return [(a, aff) for a, aff in entries if affects(aff, version)]


@lru_cache(maxsize=1 << 14)
def _verdict(database: Database, ecosystem: Ecosystem, name: str, version: str) -> Verdict:
    entries = database.entries(ecosystem, name)
    hits = _affected_by(entries, version)
    if not hits:
        return Verdict((), None, True)
    candidates = [v for v in fixed_versions(aff for _, aff in entries) if below(ecosystem, version, v)]
    candidates.sort(key=_sort_key(ecosystem))
    if not is_prerelease(ecosystem, version):
        candidates = [v for v in candidates if not is_prerelease(ecosystem, v)] or candidates
    current = {a.id for a, _ in hits}
    fallback = None
    for candidate in candidates:
        still = _affected_by(entries, candidate)
        if not still:
            return Verdict(tuple(_group(hits, version)), candidate, True)
        if fallback is None and not current & {a.id for a, _ in still}:
            fallback = candidate
    return Verdict(tuple(_group(hits, version)), fallback, False)


def _sort_key(ecosystem: Ecosystem) -> Callable[[str], Any]:
    from functools import cmp_to_key

    return cmp_to_key(lambda a, b: -1 if below(ecosystem, a, b) else (1 if below(ecosystem, b, a) else 0))


_current: list[Database] = []  # the database the verdict cache is for


def verdict(database: Database, dependency: Dependency) -> Verdict:
    if not _current or _current[0] is not database:  # a new import: forget the old database's answers
        _verdict.cache_clear()
        _current[:] = [database]
    name = normalize_name(dependency.ecosystem, dependency.name)
    return _verdict(database, dependency.ecosystem, name, dependency.version)


def _span(lines: LineIndex, start: int, end: int) -> Span:
    (start_row, start_col), (end_row, end_col) = lines.point_of(start), lines.point_of(end)
    return Span(start, end, start_row, start_col, end_row, end_col)


def _message(dependency: Dependency, found: Verdict, kind: Kind) -> str:
    vulns = found.vulnerabilities
    count = f"{len(vulns)} known vulnerabilit{'y' if len(vulns) == 1 else 'ies'}"
    listed = "; ".join(v.describe() for v in vulns[:DETAILED])
    if len(vulns) > DETAILED:
        listed += f"; and {', '.join(v.id for v in vulns[DETAILED:])}"
    if found.upgrade is None:
        advice = "No fixed version is known."
    else:
        why = "the lowest version no known advisory affects" if found.clean else (
            "it fixes these, but other advisories affect it")
        advice = f"Upgrade to {found.upgrade} ({why})"
        advice += "." if kind in EDITABLE else f" and regenerate {kind.value}."
    return f"{dependency.name} {dependency.version} has {count}: {listed}. {advice}"


def _bump(dependency: Dependency, target: str) -> str:
    if dependency.ecosystem is Ecosystem.GO and dependency.version.startswith("v") and not target.startswith("v"):
        return "v" + target
    return target


def findings(
    kind: Kind, source: bytes, lines: LineIndex, dependencies: Sequence[Dependency], *, database: Database,
    rule: Rule, reparse: Callable[[bytes], list[Dependency]],
) -> list[tuple[Finding, str]]:
    """The findings of a file's dependencies with their fingerprint keys, sorted by position:
    ``rule`` gives their id and the severity of advisories that give none."""
    out: list[tuple[Finding, str, Dependency, Verdict]] = []
    for dependency in dependencies:
        found = verdict(database, dependency)
        if not found.vulnerabilities:
            continue
        fix = None
        if found.upgrade is not None and dependency.literal is not None and kind in EDITABLE:
            text = _bump(dependency, found.upgrade)
            where = f" (property {dependency.via})" if dependency.via else ""
            edit = Edit(_span(lines, *dependency.literal), text)
            fix = Fix(f"Bump {dependency.name} to {text}{where}", False, (edit,))
        worst = max((v.severity for v in found.vulnerabilities), key=lambda s: _RANK.get(s, -1))
        cwe = (CWE_VULNERABLE_COMPONENT, *sorted({c for v in found.vulnerabilities for c in v.cwe} - {1395}))
        severity = _SEVERITY[worst] if worst else rule.severity
        finding = Finding(rule.id, "text", severity, _message(dependency, found, kind),
                          _span(lines, *dependency.at), cwe, rule.category, rule.confidence, fix)
        ids = ",".join(sorted(v.id for v in found.vulnerabilities))
        key = f"{rule.id}\0{dependency.ecosystem}\0{normalize_name(dependency.ecosystem, dependency.name)}\0" \
              f"{dependency.version}\0{ids}"
        out.append((finding, key, dependency, found))
    checked = _verify(source, [(f, d, v) for f, _, d, v in out], reparse)
    pairs = [(finding, key) for finding, (_, key, _, _) in zip(checked, out, strict=True)]
    return sorted(pairs, key=lambda p: (p[0].span.start_byte, p[0].span.end_byte))


def _verify(
    source: bytes, items: list[tuple[Finding, Dependency, Verdict]], reparse: Callable[[bytes], list[Dependency]]
) -> list[Finding]:
    """Each finding with its bump verified: every bump applied at once, the file read again."""
    edits = [e for f, _, _ in items if f.fix is not None for e in f.fix.edits]
    if not edits:
        return [f for f, _, _ in items]
    try:
        after = reparse(apply_edits(source, edits))
        problem = ""
    except ValueError as exc:  # model.Unreadable: the edited file no longer reads
        after, problem = [], f"the edited file does not read: {exc}"
    read_back: dict[tuple[Ecosystem, str], list[str]] = {}
    for d in after:
        read_back.setdefault((d.ecosystem, normalize_name(d.ecosystem, d.name)), []).append(d.version)
    out = []
    for finding, dependency, found in items:
        if finding.fix is None:
            out.append(finding)
            continue
        target = found.upgrade or ""
        key = (dependency.ecosystem, normalize_name(dependency.ecosystem, dependency.name))
        reads = any(same_version(dependency.ecosystem, v, target) for v in read_back.get(key, ()))
        if problem or not reads:
            verification = failed(problem or f"after the edit the file does not read {dependency.name} {target}"
                                  " (another bump edits the same text)")
        elif not found.clean:
            verification = failed(f"{target} fixes these advisories, but others affect it", ("the file reads it",))
        else:
            verification = Verification(True, (f"the file reads {dependency.name} {target} after the edit",
                                               f"no advisory in the database affects {target}"))
        out.append(dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, verification=verification)))
    return out
