"""The engine's /metrics on a real scrape: promtool accepts it, the families of issue 23 are there
with bounded labels, every dashboard and alert query names metrics the scrape has; the alert
rules pass promtool's check and unit tests; the dashboard JSON is the generator's output; a
request id follows a request into the response and the JSON log."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.engine_api.conftest import ROOT
from tests.observability.conftest import FIX, Engine, exercise, tool

ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "coderev-engine.json"
REQUIRED = {
    "coderev_health_status", "coderev_recovery_attempts", "coderev_checkpoint_age_seconds",
    "coderev_cost_usage_ratio", "coderev_requests", "coderev_request_duration_seconds",
    "coderev_operation_duration_seconds", "coderev_errors", "coderev_queue_depth", "coderev_breaker_state",
    "coderev_slot_transitions", "coderev_findings", "coderev_ai_fixes", "coderev_slot_verified_fix_ratio",
    "coderev_tokens_generated",
}
_NAME = re.compile(r"\b((?:coderev_[a-z0-9_]+)|up)\b(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    return set(_NAME.findall(expr))


def test_scrape_is_valid_bounded_and_complete(engine: Engine) -> None:
    exercise(engine)
    text = engine.scrape()
    checked = subprocess.run([tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True,
                             timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) >= REQUIRED, REQUIRED - set(families)
    samples = [s for f in families.values() for s in f.samples]
    assert len(samples) < 1000
    for sample in samples:  # no paths, no user text: every label value is short and from a fixed alphabet
        for name, value in sample.labels.items():
            assert re.fullmatch(r"[A-Za-z0-9_.+/:-]{0,40}", value), (sample.name, name, value)
    by_name = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in samples}
    assert by_name[("coderev_health_status", (("service", "engine"),))] == 1
    assert by_name[("coderev_breaker_state", (("state", "closed"),))] == 1
    assert by_name[("coderev_errors_total", (("code", "SYS011"),))] >= 1
    assert by_name[("coderev_errors_total", (("code", "AUTH005"),))] >= 1
    assert by_name[("coderev_requests_total", (("endpoint", "/v1/fix"), ("interface", "api"),
                                               ("outcome", "ok")))] >= 1
    assert by_name[("coderev_findings_total", (("event", "dismiss"), ("family", "insecure-deserialization")))] >= 1
    assert by_name[("coderev_ai_fixes_total", (("outcome", "verified"),))] >= 1
    assert by_name[("coderev_tokens_generated_total", (("role", "V2"), ("task", "fix")))] >= 1
    assert by_name[("coderev_tokens_generated_total", (("role", "V2"), ("task", "review")))] >= 1
    assert 0 <= by_name[("coderev_checkpoint_age_seconds", ())] < 600


def test_every_dashboard_and_alert_query_names_a_scraped_metric(engine: Engine) -> None:
    exercise(engine)
    scraped = {s.name for f in text_string_to_metric_families(engine.scrape()) for s in f.samples} | {"up"}
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    exprs += [t["query"] for t in dashboard["templating"]["list"] if t["type"] == "query"]
    exprs += [r["expr"] for g in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"] for r in g["rules"]]
    assert len(exprs) > 30
    named = set().union(*map(metric_names, exprs))
    assert named - scraped == set()
    assert len(named) > 15


def test_alert_rules_pass_promtool() -> None:
    promtool = tool("promtool")
    for args in (["check", "rules", str(ALERTS)], ["test", "rules", "alerts_test.yml"]):
        done = subprocess.run([promtool, *args], cwd=ALERTS.parent, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout + done.stderr


def test_dashboard_json_is_the_generated_one() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "grafana" / "dashboard.py"), "--check"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_request_id_is_echoed_and_logged(engine: Engine) -> None:
    with engine.client() as http:
        given = http.post("/v1/fix", json={**FIX, "line": 1}, headers={"X-Request-Id": "trace-42.a"})
        made = http.get("/v1/status")
        hostile = http.get("/v1/status", headers={"X-Request-Id": "x" * 200})
    assert given.status_code == 422 and given.headers["x-request-id"] == "trace-42.a"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])  # not echoed: too long
    lines = [line for line in engine.log_lines() if line.get("request_id") == "trace-42.a"]
    assert lines, "no JSON log line carries the request id"
    assert all(line["request_id"] == "trace-42.a" for line in lines)
