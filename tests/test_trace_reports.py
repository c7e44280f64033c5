"""Data-flow traces and evidence in the scan reports (JSON, SARIF, text), from hand-built findings:
steps in the finding's file and in another one, columns in code points, an unreadable file, and
a secret quoted in a label."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from coderev.analyzers import default_rules
from coderev.analyzers.batch import FileResult
from coderev.analyzers.finding import Confidence, Evidence, Finding, Severity, Span, TraceStep
from coderev.analyzers.flows import UNTRACED_NOTE
from coderev.server.reports import Report, json_report, sarif, text

ROOT = Path(__file__).resolve().parent.parent
RULE = "python.sql-injection.request-data-query"
APP = (
    'from flask import request\n\ndef search(cursor):\n    ü = request.args.get("q")\n'
    '    sql = "SELECT " + ü\n    cursor.execute(sql)\n'
)
HELPERS = '# é helpers\ndef clean(value):\n    x = "😀"; return value\n'


def span_of(source: str, needle: str, occurrence: int = 0) -> Span:
    """The span of the ``occurrence``-th ``needle`` in ``source`` (byte offsets, rows, byte columns)."""
    data = source.encode("utf-8")
    key = needle.encode("utf-8")
    start = -1
    for _ in range(occurrence + 1):
        start = data.index(key, start + 1)
    end = start + len(key)
    row, line_start = data.count(b"\n", 0, start), data.rfind(b"\n", 0, start) + 1
    end_row, end_line_start = data.count(b"\n", 0, end), data.rfind(b"\n", 0, end) + 1
    return Span(start, end, row, start - line_start, end_row, end - end_line_start)


SOURCE_STEP = TraceStep('source: request.args.get("q")', span_of(APP, 'request.args.get("q")'))
BOUND_STEP = TraceStep("bound to `sql`", span_of(APP, "sql"))
HELPER_STEP = TraceStep("returned by clean() (parameter value)", span_of(HELPERS, "value", 1), "helpers/db.py")
SINK_STEP = TraceStep("sink: cursor.execute(...)", span_of(APP, "cursor.execute(sql)"))


def finding(
    trace: tuple[TraceStep, ...] = (SOURCE_STEP, BOUND_STEP, HELPER_STEP, SINK_STEP),
    evidence: Evidence | None = Evidence.SOURCE,
    secret: Span | None = None,
) -> Finding:
    return Finding(
        RULE, "python", Severity.ERROR, "SQL text derived from request data", span_of(APP, "sql", 1),
        (89,), "sql-injection", Confidence.HIGH, fingerprint="0123456789abcdef0123", secret=secret,
        trace=trace, evidence=evidence,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "helpers").mkdir()
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "helpers" / "db.py").write_text(HELPERS, encoding="utf-8")
    return tmp_path


def report_of(root: Path, *findings: Finding) -> Report:
    return Report([FileResult(root / "app.py", findings, APP.count("\n"))], default_rules(), Severity.HINT, root)


def test_json_trace_has_1_based_code_point_positions_and_the_step_files(workspace: Path) -> None:
    out = json_report.render(report_of(workspace, finding()), "0")
    (found,) = out["findings"]
    assert found["evidence"] == "source"
    assert found["trace"] == [
        {"label": 'source: request.args.get("q")', "path": "app.py", "line": 4, "column": 9, "endLine": 4,
         "endColumn": 30},
        {"label": "bound to `sql`", "path": "app.py", "line": 5, "column": 5, "endLine": 5, "endColumn": 8},
        {"label": "returned by clean() (parameter value)", "path": "helpers/db.py", "line": 3, "column": 21,
         "endLine": 3, "endColumn": 26},
        {"label": "sink: cursor.execute(...)", "path": "app.py", "line": 6, "column": 5, "endLine": 6,
         "endColumn": 24},
    ]
    json.dumps(out)  # plain JSON


def test_json_without_a_trace_has_an_empty_trace_and_no_evidence(workspace: Path) -> None:
    (found,) = json_report.render(report_of(workspace, finding(trace=(), evidence=None)), "0")["findings"]
    assert found["trace"] == [] and found["evidence"] is None


def test_a_step_in_a_file_that_cannot_be_read_keeps_its_line_at_column_1(workspace: Path) -> None:
    gone = TraceStep("passed to run() (parameter cmd)", span_of(HELPERS, "value", 1), "helpers/gone.py")
    (found,) = json_report.render(report_of(workspace, finding((SOURCE_STEP, gone, SINK_STEP))), "0")["findings"]
    assert found["trace"][1] == {"label": "passed to run() (parameter cmd)", "path": "helpers/gone.py", "line": 3,
                                 "column": 1, "endLine": 3, "endColumn": 1}
    result = sarif.render(report_of(workspace, finding((SOURCE_STEP, gone, SINK_STEP))), "0")["runs"][0]["results"][0]
    region = result["codeFlows"][0]["threadFlows"][0]["locations"][1]["location"]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 1}  # no snippet of nothing


def _validate(document: dict[str, object]) -> None:
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(json.loads(json.dumps(document)))


def test_sarif_code_flow_related_locations_and_evidence_are_valid_2_1_0(workspace: Path) -> None:
    document = sarif.render(report_of(workspace, finding(), finding(trace=(), evidence=None)), "0")
    _validate(document)
    traced, plain = document["runs"][0]["results"]
    assert traced["properties"]["evidence"] == "source"
    (flow,) = traced["codeFlows"]
    (thread,) = flow["threadFlows"]
    locations = [step["location"] for step in thread["locations"]]
    assert [loc["message"]["text"] for loc in locations] == [
        'source: request.args.get("q")', "bound to `sql`", "returned by clean() (parameter value)",
        "sink: cursor.execute(...)",
    ]
    physical = [loc["physicalLocation"] for loc in locations]
    assert [p["artifactLocation"] for p in physical] == [
        {"uri": u, "uriBaseId": "%SRCROOT%"} for u in ("app.py", "app.py", "helpers/db.py", "app.py")
    ]
    assert physical[0]["region"] == {"startLine": 4, "startColumn": 9, "endLine": 4, "endColumn": 30,
                                     "snippet": {"text": 'request.args.get("q")'}}
    assert physical[2]["region"] == {"startLine": 3, "startColumn": 21, "endLine": 3, "endColumn": 26,
                                     "snippet": {"text": "value"}}
    related = traced["relatedLocations"]
    assert [r["id"] for r in related] == [0, 1, 2]  # every step but the sink
    assert [{k: v for k, v in r.items() if k != "id"} for r in related] == locations[:3]
    assert "codeFlows" not in plain and "relatedLocations" not in plain and "evidence" not in plain["properties"]


def test_sarif_non_constant_evidence_without_steps_is_valid(workspace: Path) -> None:
    only_sink = finding(trace=(SINK_STEP,), evidence=Evidence.NON_CONSTANT)
    document = sarif.render(report_of(workspace, only_sink), "0")
    _validate(document)
    (result,) = document["runs"][0]["results"]
    assert result["properties"]["evidence"] == "non-constant"
    assert len(result["codeFlows"][0]["threadFlows"][0]["locations"]) == 1
    assert "relatedLocations" not in result  # the sink is the result's own location


def _text(report: Report) -> list[str]:
    buffer = io.StringIO()
    text.render(report, Console(file=buffer, width=200, color_system=None, highlight=False))
    return buffer.getvalue().splitlines()


def test_text_lists_each_step_under_the_finding(workspace: Path) -> None:
    lines = _text(report_of(workspace, finding()))
    head = next(i for i, line in enumerate(lines) if line.startswith("app.py:6:20: error " + RULE))
    assert lines[head + 1 : head + 5] == [
        '  4:9  source: request.args.get("q")',
        "  5:5  bound to `sql`",
        "  helpers/db.py:3:21  returned by clean() (parameter value)",
        "  6:5  sink: cursor.execute(...)",
    ]
    assert lines[head + 5].startswith("   4 | ")  # then the code, as before
    assert not any("no untrusted source" in line for line in lines)


def test_text_says_when_no_source_was_traced_once_in_the_message(workspace: Path) -> None:
    untraced = replace(finding(trace=(SINK_STEP,), evidence=Evidence.NON_CONSTANT), message="m" + UNTRACED_NOTE)
    lines = _text(report_of(workspace, untraced))
    head = next(i for i, line in enumerate(lines) if line.startswith("app.py:6:20: "))
    assert lines[head].endswith("m" + UNTRACED_NOTE)  # the analyzer's message says it, once
    assert lines[head + 1] == "  6:5  sink: cursor.execute(...)"


def test_a_secret_of_the_file_quoted_in_a_label_is_masked_everywhere(tmp_path: Path) -> None:
    source = 'TOKEN = "sk_live_0123456789abcdef"\nrequests.get(URL, headers={"t": TOKEN})\n'
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    secret = span_of(source, "sk_live_0123456789abcdef")
    step = TraceStep('source: "sk_live_0123456789abcdef"', span_of(source, "TOKEN"))
    found = Finding(RULE, "python", Severity.WARNING, "m", span_of(source, "requests.get"), (89,), "sql-injection",
                    Confidence.HIGH, trace=(step,), evidence=Evidence.NON_CONSTANT, secret=secret)
    report = Report([FileResult(tmp_path / "app.py", (found,), 2)], default_rules(), Severity.HINT, tmp_path)
    outputs = [json.dumps(json_report.render(report, "0")), json.dumps(sarif.render(report, "0")), *_text(report)]
    assert not any("0123456789abcdef" in out for out in outputs)
    assert 'source: "sk_l…(24 chars)"' in json_report.render(report, "0")["findings"][0]["trace"][0]["label"]
