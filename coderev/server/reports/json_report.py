"""Machine-readable JSON output: one object with findings, skipped files and a summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

from coderev.analyzers.finding import Finding, Fix
from coderev.server.reports import Report


def _finding(report: Report, path: Any, finding: Finding) -> dict[str, Any]:
    start, end = report.start(path, finding.span), report.end(path, finding.span)
    fix = None
    if finding.fix is not None:
        fix = {
            "description": finding.fix.description,
            "safe": finding.fix.safe,
            **verification_fields(finding.fix),
            "edits": [
                {
                    "start": vars_of(report.start(path, e.span)),
                    "end": vars_of(report.end(path, e.span)),
                    "text": e.text,
                }
                for e in finding.fix.edits
            ],
        }
    return {
        "path": report.display_path(path),
        "rule_id": finding.rule_id,
        "severity": finding.severity.value,
        "confidence": finding.confidence.value,
        "category": finding.category,
        "cwe": [f"CWE-{c}" for c in finding.cwe],
        "message": finding.message,
        "start": vars_of(start),
        "end": vars_of(end),
        "fingerprint": finding.fingerprint,
        "fix": fix,
        "evidence": finding.evidence.value if finding.evidence is not None else None,
        "trace": [
            {
                "label": step.label,
                "path": report.display_path(step.path),
                "line": step.start.line,
                "column": step.start.column,
                "endLine": step.end.line,
                "endColumn": step.end.column,
            }
            for step in report.steps(path, finding)
        ],
    }


def verification_fields(fix: Fix) -> dict[str, Any]:
    """``verified`` and what was checked (or what needs a review), for a fix of the report."""
    v = fix.verification
    if v is None:
        return {"verified": False, "checked": [], "review": "not checked"}
    return {"verified": v.verified, "checked": list(v.checked), "review": "" if v.verified else v.problem}


def vars_of(location: Any) -> dict[str, int]:
    return {"line": location.line, "column": location.column}


def render(report: Report, version: str) -> dict[str, Any]:
    found = report.findings
    return {
        "tool": {"name": "coderev", "version": version},
        "findings": [_finding(report, r.path, f) for r, f in found],
        "skipped": [
            {"path": report.display_path(r.path), "code": r.skip.error.code, "reason": str(r.skip.error)}
            for r in report.skipped
            if r.skip is not None
        ],
        "summary": {
            "files": len(report.results) - len(report.skipped),
            "lines": sum(r.lines for r in report.results),
            "findings": len(found),
            "by_severity": dict(Counter(f.severity.value for _, f in found)),
        },
    }
