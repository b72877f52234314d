"""The Grafana dashboard (monitoring/grafana/dashboards/site.json): valid JSON that Grafana
lays out, every query valid PromQL for promtool, and every metric name it reads on /metrics
(tests/monitoring/test_metric_names.py)."""

import subprocess

import pytest
import yaml

from devtools.prometheus_server import PROMTOOL
from tests.monitoring.monitoring_files import dashboard, dashboard_expressions, dashboard_panels

# What the issue asks the dashboard to show, by the metric each needs.
SHOWN = {
    "requests": "app_http_requests_total",
    "latency": "app_http_request_duration_seconds_bucket",
    "queue": "rq_jobs",
    "workers": "rq_workers",
    "waiting line": "app_tasks",
    "job durations": "app_job_duration_seconds_bucket",
    "job phases": "app_crud_job_phase_seconds_sum",
    "outbox": "app_search_outbox_pending",
    "sockets": "app_open_websockets",
}


def test_the_dashboard_is_laid_out_on_grafana_s_grid():
    board = dashboard()
    assert board["uid"] and board["title"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    for panel in dashboard_panels():
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_the_dashboard_shows_what_operators_watch():
    queries = "\n".join(dashboard_expressions())
    for what, metric in SHOWN.items():
        assert metric in queries, what


@pytest.mark.skipif(PROMTOOL is None, reason="no promtool: make monitoring-tools")
def test_every_query_is_valid_promql(tmp_path):
    """promtool parses each query as the expression of a recording rule."""
    rules = [
        {"record": f"dashboard:query_{index}", "expr": expression}
        for index, expression in enumerate(dashboard_expressions())
    ]
    rules_file = tmp_path / "dashboard.yml"
    rules_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
