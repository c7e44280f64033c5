"""Data-flow findings: severity follows the evidence, findings sit on the sink with the trace,
and ``report-untraced`` turns the untraced class off (issue 18)."""

from __future__ import annotations

from coderev.analyzers import Analyzer, Document, get_language
from coderev.analyzers.config import AnalysisOptions, options_from_mapping
from coderev.analyzers.finding import Evidence, Finding, Severity
from coderev.analyzers.flows import LOCAL_NOTE, UNTRACED_NOTE

TRACED = '''import sqlite3
from flask import request


@app.route("/u")
def user():
    name = request.args.get("name")
    sql = "SELECT * FROM users WHERE name = '%s'" % name
    cur = sqlite3.connect("x").cursor()
    cur.execute(sql)
'''

UNTRACED = '''def sequence_reset(cursor, table):
    cursor.execute("SELECT setval('%s', 1)" % table)
'''


def findings(code: str, options: AnalysisOptions | None = None) -> list[Finding]:
    return Analyzer(options=options).analyze(Document(code, get_language("python")))


def test_a_traced_flow_is_an_error_on_the_sink_with_its_steps() -> None:
    sql = [f for f in findings(TRACED) if f.category == "sql-injection"]
    assert [(f.span.start_row, f.severity) for f in sql] == [(9, Severity.ERROR)]  # on execute, not on line 7
    [sink] = sql
    assert sink.evidence is Evidence.SOURCE
    assert [(s.label.split(":")[0], s.span.start_row) for s in sink.trace] == [
        ("source", 6), ("assigned to `name`", 6), ("assigned to `sql`", 7), ("sink", 9),
    ]
    assert sink.trace[-1].span == sink.span


def test_non_constant_data_without_a_source_is_a_warning_that_says_so() -> None:
    [found] = [f for f in findings(UNTRACED) if f.category == "sql-injection"]
    assert found.severity is Severity.WARNING
    assert found.evidence is Evidence.NON_CONSTANT
    assert found.message.endswith(UNTRACED_NOTE) and not found.trace
    # a user's severity override cannot make an untraced finding an error either
    raised = AnalysisOptions(severity={"sql-injection": Severity.ERROR})
    assert {f.severity for f in findings(UNTRACED, raised) if f.category == "sql-injection"} == {Severity.WARNING}


def test_report_untraced_false_leaves_them_out_and_keeps_traced_flows() -> None:
    options, errors = options_from_mapping({"report-untraced": False})
    assert not errors and options.report_untraced is False
    assert not [f for f in findings(UNTRACED, options) if f.category == "sql-injection"]
    assert [f.span.start_row for f in findings(TRACED, options) if f.category == "sql-injection"] == [9]
    _, bad = options_from_mapping({"report-untraced": "no"})
    assert bad and bad[0].code == "SYS001"


def test_fingerprints_do_not_depend_on_the_trace() -> None:
    before = {f.fingerprint for f in findings(TRACED)}
    edited = TRACED.replace('    name = request.args.get("name")\n', '    name = request.args.get("name")\n    x = 1\n')
    assert before == {f.fingerprint for f in findings(edited)}


def test_a_local_source_is_a_warning_with_its_trace() -> None:
    code = "def ask():\n    code = input('> ')\n    return eval(code)\n"
    [found] = [f for f in findings(code) if f.category == "code-injection"]
    assert found.evidence is Evidence.LOCAL and found.severity is Severity.WARNING
    assert found.message.endswith(LOCAL_NOTE)
    assert found.trace[0].label.startswith("source: input(")


def test_a_rule_with_tainted_and_dynamic_patterns_judges_each_match_by_its_own() -> None:
    code = (
        "from flask import request\n\n"
        "def page(name):\n    return mark_safe('<b>%s</b>' % name)\n\n"
        "@app.route('/x')\ndef view():\n    return mark_safe('<b>%s</b>' % request.args['n'])\n"
    )
    found = {f.span.start_row: f for f in findings(code) if f.rule_id == "python.xss.unescaped-markup"}
    assert found[3].severity is Severity.WARNING and found[3].evidence is Evidence.NON_CONSTANT
    assert found[7].severity is Severity.ERROR and found[7].evidence is Evidence.SOURCE


BUILT_EARLIER = '''def filtered(cursor, status, owner):
    sql = "SELECT * FROM tickets WHERE 1 = 1"
    if status:
        sql += " AND status = '" + status + "'"
    with cursor:
        cursor.execute(sql)
'''


def test_a_statement_built_earlier_is_reported_where_it_runs_with_the_lines_that_built_it() -> None:
    [found] = [f for f in findings(BUILT_EARLIER) if f.category == "sql-injection"]
    assert found.span.start_row == 5 and found.evidence is Evidence.NON_CONSTANT  # on execute, not on the +=
    assert [(s.label, s.span.start_row) for s in found.trace[:-1]] == [("built here", 1), ("built here", 3)]
    constant = BUILT_EARLIER.replace('sql += " AND status = \'" + status + "\'"', "pass")
    assert not [f for f in findings(constant) if f.category == "sql-injection"]  # a constant statement
