"""Dependency vulnerabilities: manifests and lock files checked against OSV advisories.

- ``files`` which file names are dependency files (cheap: asked for every path);
- ``python``, ``npm``, ``jvm_go`` the parsers (``parsers`` maps each kind to one), ``model`` what
  they produce;
- ``versions`` version order and names per ecosystem (packaging, semver, univers);
- ``osv`` advisories: read, kept compact, matched (range semantics of the OSV schema);
- ``importer``, ``database`` the packaged snapshot and the user's imported store;
  ``snapshot`` builds the packaged one;
- ``check`` findings, with the bump to the lowest fixed version and its verification.

See docs/dependencies.md and docs/adr/0020.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coderev.analyzers.deps.files import EDITABLE, Kind, manifest_kind
from coderev.analyzers.errors import CoderevError

if TYPE_CHECKING:
    from coderev.analyzers.finding import Finding
    from coderev.analyzers.ruleset import Rule
    from coderev.analyzers.text import LineIndex

RULE_ID = "deps.vulnerable-dependency"
log = logging.getLogger("coderev.deps")
_reported: set[str] = set()

__all__ = ["EDITABLE", "RULE_ID", "Kind", "ManifestCheck", "check_manifest", "manifest_kind"]


@dataclass(slots=True)
class ManifestCheck:
    """Findings of one dependency file (with fingerprint keys) and why it was not read, if so."""

    findings: list[tuple[Finding, str]] = field(default_factory=list)
    notes: list[CoderevError] = field(default_factory=list)


def check_manifest(kind: Kind, source: bytes, lines: LineIndex, rule: Rule, path: str = "") -> ManifestCheck:
    """Check a dependency file's text against the advisory database in use, for ``rule`` (an
    advisories rule: its id, and its severity for advisories that give none). Never raises for
    the file's content: a file that does not parse is a DEP002 note and no findings."""
    from coderev.analyzers.deps import check, database
    from coderev.analyzers.deps.model import Unreadable
    from coderev.analyzers.deps.parsers import read_dependencies

    result = ManifestCheck()
    try:
        dependencies = read_dependencies(kind, source)
    except Unreadable as exc:
        result.notes.append(CoderevError("DEP002", f"{path or kind.value}: {exc}"))
        return result
    db = database.current()
    for problem in db.problems:  # a damaged store or install: said once per process, not per file
        if problem.render() not in _reported:
            _reported.add(problem.render())
            log.warning("%s", problem, extra={"code": problem.code})
    result.findings = check.findings(kind, source, lines, dependencies, database=db, rule=rule,
                                     reparse=lambda text: read_dependencies(kind, text))
    return result
