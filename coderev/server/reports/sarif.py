"""SARIF 2.1.0 output for code-scanning services (GitHub, GitLab, Azure DevOps)."""

from __future__ import annotations

from typing import Any

from coderev.analyzers.finding import Finding, Severity
from coderev.analyzers.ruleset import Rule
from coderev.server.reports import Report, Step

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_DOCS = "https://coderev.dev/rules/"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.HINT: "note"}
# GitHub code scanning ranks security results by this 0-10 score.
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.INFO: "3.0", Severity.HINT: "1.0"}
_PRECISION = {"high": "high", "medium": "medium", "low": "low"}


def _artifact(report: Report, path: Any) -> dict[str, str]:
    return {"uri": report.display_path(path), "uriBaseId": "%SRCROOT%"}


def _rule(rule: Rule) -> dict[str, Any]:
    tags = ["security", rule.category, *(f"external/cwe/cwe-{c}" for c in rule.cwe)]
    tags += [f"external/owasp/{o}" for o in rule.owasp]
    return {
        "id": rule.id,
        "name": rule.title,
        "shortDescription": {"text": rule.message.split(";")[0].strip()},
        "fullDescription": {"text": rule.message},
        "help": {"text": rule.note, "markdown": rule.note},
        "helpUri": RULE_DOCS + rule.id,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": tags,
            "cwe": [f"CWE-{c}" for c in rule.cwe],
            "precision": _PRECISION[rule.confidence.value],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "languages": list(rule.languages),
        },
    }


def _region(report: Report, path: Any, span: Any, with_snippet: bool = True) -> dict[str, Any]:
    start, end = report.start(path, span), report.end(path, span)
    region: dict[str, Any] = {
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    }
    if with_snippet:
        text = report.source(path)[span.start_byte : span.end_byte].decode("utf-8", "replace")
        region["snippet"] = {"text": text}
    return region


def _step_location(report: Report, step: Step) -> dict[str, Any]:
    """A trace step as a SARIF location with its label as the message; a step in a file that
    cannot be read has no snippet (its columns are then 1, like its line's start)."""
    readable = bool(report.source(step.path))
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(report, step.path),
            "region": _region(report, step.path, step.span, with_snippet=readable),
        },
        "message": {"text": step.label},
    }


def _add_trace(result: dict[str, Any], report: Report, path: Any, finding: Finding) -> None:
    """``codeFlows`` with one thread flow, source first and sink last, and each step before the
    sink as a ``relatedLocations`` entry (ids 0, 1, ...); ``properties.evidence`` when known."""
    if finding.evidence is not None:
        result["properties"]["evidence"] = finding.evidence.value
    steps = report.steps(path, finding)
    if not steps:
        return
    locations = [_step_location(report, step) for step in steps]
    result["codeFlows"] = [{"threadFlows": [{"locations": [{"location": loc} for loc in locations]}]}]
    if len(locations) > 1:
        result["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(locations[:-1])]


def _result(report: Report, path: Any, finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index[finding.rule_id],
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(report, path),
                    "region": _region(report, path, finding.span),
                }
            }
        ],
        "partialFingerprints": {"coderevFingerprint/v1": finding.fingerprint},
        "properties": {"confidence": finding.confidence.value, "category": finding.category},
    }
    _add_trace(result, report, path, finding)
    verification = finding.fix.verification if finding.fix is not None else None
    if finding.fix is not None and (verification is None or not verification.verified):
        # only verified fixes are SARIF fixes (a consumer may apply them); the rest says why not
        result["properties"]["fixReview"] = verification.problem if verification is not None else "not checked"
    elif finding.fix is not None and verification is not None:
        result["properties"]["fixChecks"] = list(verification.checked)
        result["fixes"] = [
            {
                "description": {"text": finding.fix.description + ("" if finding.fix.safe else " (review)")},
                "artifactChanges": [
                    {
                        "artifactLocation": _artifact(report, path),
                        "replacements": [
                            {
                                "deletedRegion": _region(report, path, edit.span, with_snippet=False),
                                "insertedContent": {"text": edit.text},
                            }
                            for edit in finding.fix.edits
                        ],
                    }
                ],
            }
        ]
    return result


def render(report: Report, version: str) -> dict[str, Any]:
    used = sorted({f.rule_id for _, f in report.findings})
    rules = [r for r in (report.rules.get(i) for i in used) if r is not None]
    rule_index = {r.id: i for i, r in enumerate(rules)}
    notifications = [
        {
            "level": "note",
            "message": {"text": str(r.skip.error)},
            "descriptor": {"id": r.skip.error.code},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(report, r.path)}}],
        }
        for r in report.skipped
        if r.skip is not None
    ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "coderev",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": "https://coderev.dev",
                        "rules": [_rule(r) for r in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": report.root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": [_result(report, r.path, f, rule_index) for r, f in report.findings],
            }
        ],
    }
