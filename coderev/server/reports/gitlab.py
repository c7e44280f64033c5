"""GitLab SAST report (security report schema 15.x) for ``artifacts:reports:sast``.

The fields are those the schema's version :data:`SCHEMA_VERSION` defines, no others: GitLab
refuses a report that does not validate. The first identifier (the primary one, which GitLab
tracks a vulnerability by) is the rule id; the CWEs follow. ``id`` is a UUID derived from the
file and the finding's fingerprint, so it is the same in every run that reports the finding.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from coderev.analyzers.finding import Finding, Severity
from coderev.server.reports import Report
from coderev.server.reports.sarif import RULE_DOCS

SCHEMA_VERSION = "15.0.6"
SCHEMA_URI = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SCHEMA_VERSION}/dist/sast-report-format.json"
)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"  # the schema's pattern: no fraction, no zone (UTC here)
_SEVERITY = {Severity.ERROR: "High", Severity.WARNING: "Medium", Severity.INFO: "Low", Severity.HINT: "Info"}
_NAMESPACE = uuid.UUID("5f0c2b0e-6a3d-4c52-9d0b-4f5e0a7d1c24")  # coderev's, for uuid5 ids
MAX_NAME = 255


def _tool(version: str) -> dict[str, Any]:
    return {"id": "coderev", "name": "coderev", "url": "https://coderev.dev", "version": version,
            "vendor": {"name": "coderev"}}


def _identifiers(finding: Finding) -> list[dict[str, str]]:
    rule = {"type": "coderev_rule_id", "name": f"coderev {finding.rule_id}", "value": finding.rule_id,
            "url": RULE_DOCS + finding.rule_id}
    cwes = [{"type": "cwe", "name": f"CWE-{c}", "value": str(c),
             "url": f"https://cwe.mitre.org/data/definitions/{c}.html"} for c in finding.cwe]
    return [rule, *cwes][:20]  # GitLab keeps 20 at most


def _description(report: Report, path: Path, finding: Finding) -> str:
    lines = [finding.message]
    steps = report.steps(path, finding)
    if steps:
        lines += ["", "Data flow, source first:"]
        for step in steps:
            where = f"line {step.start.line}" if step.same_file else \
                f"{report.display_path(step.path)} line {step.start.line}"
            lines.append(f"- {where}: {step.label}")
    return "\n".join(lines)


def _vulnerability(report: Report, path: Path, finding: Finding) -> dict[str, Any]:
    shown = report.display_path(path)
    start, end = report.start(path, finding.span), report.end(path, finding.span)
    entry: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, f"{shown}\0{finding.fingerprint}")),
        "name": finding.message.split(";")[0].strip()[:MAX_NAME],  # the what, as SARIF's shortDescription
        "description": _description(report, path, finding),
        "severity": _SEVERITY[finding.severity],
        "identifiers": _identifiers(finding),
        "location": {"file": shown, "start_line": start.line, "end_line": end.line},
    }
    if finding.fix is not None:
        verification = finding.fix.verification
        checked = verification is not None and verification.verified
        entry["solution"] = finding.fix.description + ("" if checked else " (review the fix before applying it)")
    return entry


def render(report: Report, version: str, started: datetime, finished: datetime) -> dict[str, Any]:
    messages = [
        {"level": "warn" if r.skip.code == "SYS003" else "info", "value": str(r.skip.error)}
        for r in report.skipped
        if r.skip is not None
    ]
    return {
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URI,
        "scan": {
            "analyzer": _tool(version),
            "scanner": _tool(version),
            "type": "sast",
            "start_time": started.strftime(TIME_FORMAT),
            "end_time": finished.strftime(TIME_FORMAT),
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": [_vulnerability(report, r.path, f) for r, f in report.findings],
    }
