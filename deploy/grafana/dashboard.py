"""Builds deploy/grafana/coderev-engine.json, the Grafana dashboard of `coderev engine serve`.

Generated with grafanalib (the `test` extra), never edited by hand:

    .venv/bin/python deploy/grafana/dashboard.py            # rewrite the JSON
    .venv/bin/python deploy/grafana/dashboard.py --check    # exit 1 when the JSON is stale

tests/observability/test_dashboard.py holds the checked-in JSON equal to this output, and checks
that every query names a metric a real engine exports. docs/observability.md describes the panels.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from grafanalib._gen import write_dashboard
from grafanalib.core import (
    Dashboard,
    GridPos,
    RowPanel,
    Stat,
    Target,
    Template,
    Templating,
    TimeSeries,
)

OUTPUT = Path(__file__).with_name("coderev-engine.json")
DATASOURCE = "${datasource}"
SEL = 'instance=~"$instance"'
MODEL = f'{SEL}, endpoint=~"/v[0-9]+/(fix|review)"'


def _targets(*exprs: tuple[str, str]) -> list[Target]:
    return [Target(expr=expr, legendFormat=legend, refId=chr(ord("A") + i)) for i, (expr, legend) in enumerate(exprs)]


def _series(title: str, y: int, x: int, unit: str, *exprs: tuple[str, str], w: int = 12) -> TimeSeries:
    return TimeSeries(title=title, dataSource=DATASOURCE, targets=_targets(*exprs), unit=unit,
                      gridPos=GridPos(h=8, w=w, x=x, y=y))


def _stat(title: str, y: int, x: int, unit: str, expr: str, *, legend: str = "", w: int = 4) -> Stat:
    return Stat(title=title, dataSource=DATASOURCE, targets=_targets((expr, legend)), format=unit,
                gridPos=GridPos(h=4, w=w, x=x, y=y), reduceCalc="lastNotNull")


def _quantiles(selector: str, by: str = "") -> list[tuple[str, str]]:
    group = f"le{', ' + by if by else ''}"
    label = f"{{{{{by}}}}} " if by else ""
    return [(f"histogram_quantile({q}, sum by ({group}) (rate({selector}[5m])))", f"{label}p{round(q * 100)}")
            for q in (0.5, 0.95, 0.99)]


def build() -> Dashboard:
    y = 0
    panels: list[object] = [RowPanel(title="Health", gridPos=GridPos(h=1, w=24, x=0, y=y))]
    y += 1
    panels += [
        _stat("Engine up", y, 0, "none", f'min(coderev_health_status{{{SEL}, service="engine"}})'),
        _stat("Components down", y, 4, "none", f"count(coderev_health_status{{{SEL}}} == 0) or vector(0)"),
        _stat("Breaker open", y, 8, "none", f'max(coderev_breaker_state{{{SEL}, state!="closed"}})'),
        _stat("Queue depth", y, 12, "none", f"sum(coderev_queue_depth{{{SEL}}})"),
        _stat("Recovery attempts (1h)", y, 16, "none", f"sum(increase(coderev_recovery_attempts_total{{{SEL}}}[1h]))"),
        _stat("Verified-fix rate (1h)", y, 20, "percentunit",
              f'sum(increase(coderev_ai_fixes_total{{{SEL}, outcome="verified"}}[1h])) '
              f"/ sum(increase(coderev_ai_fixes_total{{{SEL}}}[1h]))"),
    ]
    y += 4
    panels.append(_series("Component health", y, 0, "none",
                          (f"coderev_health_status{{{SEL}}}", "{{service}}"), w=24))
    y += 8
    panels.append(RowPanel(title="Traffic and latency", gridPos=GridPos(h=1, w=24, x=0, y=y)))
    y += 1
    panels += [
        _series("Requests by endpoint and outcome", y, 0, "reqps",
                (f"sum by (endpoint, outcome) (rate(coderev_requests_total{{{SEL}}}[5m]))",
                 "{{endpoint}} {{outcome}}")),
        _series("Model endpoint latency (fix, review)", y, 12, "s",
                *_quantiles(f"coderev_request_duration_seconds_bucket{{{MODEL}}}"),
                (f"max(coderev_slo_p95_latency_objective_seconds{{{SEL}}})", "p95 objective")),
    ]
    y += 8
    panels += [
        _series("Latency by operation (analysis, AI fix, AI review)", y, 0, "s",
                *_quantiles(f"coderev_operation_duration_seconds_bucket{{{SEL}}}", "operation")),
        _series("Latency by endpoint (p95)", y, 12, "s",
                (f"histogram_quantile(0.95, sum by (le, endpoint) "
                 f"(rate(coderev_request_duration_seconds_bucket{{{SEL}}}[5m])))", "{{endpoint}}")),
    ]
    y += 8
    panels.append(RowPanel(title="Errors", gridPos=GridPos(h=1, w=24, x=0, y=y)))
    y += 1
    panels += [
        _series("Errors by catalogue code", y, 0, "reqps",
                (f"sum by (code) (rate(coderev_errors_total{{{SEL}}}[5m]))", "{{code}}")),
        _series("Model endpoint error ratio", y, 12, "percentunit",
                (f'sum(rate(coderev_requests_total{{{MODEL}, outcome="server_error"}}[5m])) '
                 f"/ sum(rate(coderev_requests_total{{{MODEL}}}[5m]))", "server errors"),
                (f"max(coderev_slo_error_ratio_objective{{{SEL}}})", "objective")),
    ]
    y += 8
    panels.append(RowPanel(title="Slots", gridPos=GridPos(h=1, w=24, x=0, y=y)))
    y += 1
    panels += [
        _series("Slot SLO window: p95 latency", y, 0, "s",
                (f"coderev_slot_p95_latency_seconds{{{SEL}}}", "{{role}}"),
                (f"max(coderev_slo_p95_latency_objective_seconds{{{SEL}}})", "objective"), w=8),
        _series("Slot SLO window: error ratio and verified fixes", y, 8, "percentunit",
                (f"coderev_slot_error_ratio{{{SEL}}}", "{{role}} errors"),
                (f"coderev_slot_verified_fix_ratio{{{SEL}}}", "{{role}} verified"), w=8),
        _series("Slot transitions by reason", y, 16, "none",
                (f"sum by (action, reason) (increase(coderev_slot_transitions_total{{{SEL}}}[1h]))",
                 "{{action}} ({{reason}})"), w=8),
    ]
    y += 8
    panels += [
        _series("Breaker state", y, 0, "none", (f"coderev_breaker_state{{{SEL}}}", "{{state}}")),
        _series("Queue depth and recovery attempts", y, 12, "none",
                (f"sum(coderev_queue_depth{{{SEL}}})", "queued"),
                (f"sum(increase(coderev_recovery_attempts_total{{{SEL}}}[5m]))", "recovery attempts (5m)")),
    ]
    y += 8
    panels.append(RowPanel(title="Learning and acceptance", gridPos=GridPos(h=1, w=24, x=0, y=y)))
    y += 1
    panels += [
        _series("Learning CPU budget used", y, 0, "percentunit",
                (f"coderev_cost_usage_ratio{{{SEL}}}", "used"), w=8),
        _series("Learner checkpoint age", y, 8, "s",
                (f"coderev_checkpoint_age_seconds{{{SEL}}}", "age"), w=8),
        _series("AI fixes by outcome", y, 16, "reqps",
                (f"sum by (outcome) (rate(coderev_ai_fixes_total{{{SEL}}}[5m]))", "{{outcome}}"), w=8),
    ]
    y += 8
    panels += [
        _series("Findings shown, accepted, dismissed by rule family", y, 0, "none",
                (f"sum by (family, event) (increase(coderev_findings_total{{{SEL}}}[1h]))", "{{family}} {{event}}")),
        _series("Acceptance ratio by rule family", y, 12, "percentunit",
                (f'sum by (family) (increase(coderev_findings_total{{{SEL}, event="accept"}}[1h])) / '
                 f'sum by (family) (increase(coderev_findings_total{{{SEL}, event=~"accept|dismiss"}}[1h]))',
                 "{{family}}")),
    ]
    templating = Templating(list=[
        Template(name="datasource", query="prometheus", type="datasource", label="Data source", default="Prometheus"),
        Template(name="instance", label="Engine", dataSource=DATASOURCE, includeAll=True, multi=True,
                 query="label_values(coderev_health_status, instance)", default="$__all"),
    ])
    return Dashboard(title="coderev engine", uid="coderev-engine", tags=["coderev"], panels=panels,
                     templating=templating, refresh="30s", timezone="utc").auto_panel_ids()


def render() -> str:
    out = io.StringIO()
    write_dashboard(build(), out)
    return out.getvalue()


def main(argv: list[str]) -> int:
    text = render()
    json.loads(text)  # it is JSON
    if "--check" in argv:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text
        if not same:
            sys.stderr.write(f"{OUTPUT} is stale: run python deploy/grafana/dashboard.py\n")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
