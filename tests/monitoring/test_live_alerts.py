"""A real Prometheus, with the compose profile's configuration and alert rules
(devtools.prometheus_server), scraping a live gunicorn: a healthy site raises no alert, a
stopped RQ worker raises NoRQWorker, and a worker started again resolves it."""

import pytest

from devtools.live import rq_worker, start_gunicorn
from devtools.processes import stop_process
from devtools.prometheus_server import PROMETHEUS, PrometheusServer, start_prometheus
from devtools.waiting import wait_until

TOKEN = "a-metrics-token-for-the-live-prometheus-0123456789"

pytestmark = pytest.mark.skipif(PROMETHEUS is None, reason="no prometheus: make monitoring-tools")


def alerts_named(prometheus: PrometheusServer, name: str) -> list[dict]:
    return [alert for alert in prometheus.alerts() if alert["labels"]["alertname"] == name]


@pytest.fixture
def web_url(live_server_env, tmp_path):
    url, process = start_gunicorn(
        {**live_server_env, "METRICS_TOKEN": TOKEN}, tmp_path / "gunicorn.log", workers=1
    )
    yield url
    stop_process(process)


@pytest.fixture
def prometheus(web_url, tmp_path):
    server = start_prometheus(tmp_path / "prometheus", {"web": web_url}, metrics_token=TOKEN)
    yield server
    server.stop()


def test_a_stopped_worker_raises_no_rq_worker_until_one_runs_again(
    live_server_env, prometheus, tmp_path
):
    with rq_worker(live_server_env, tmp_path / "worker.log") as worker:
        wait_until(lambda: prometheus.query('count(rq_workers{state!="suspended"})'))
        # Some evaluations of every rule on the healthy site, with the worker seen: none
        # fires or waits.
        wait_until(lambda: prometheus.query('count_over_time(up{job="web"}[1m]) >= 5'))
        assert prometheus.alerts() == []

        stop_process(worker)  # SIGTERM: RQ's warm shutdown unregisters the worker
        [alert] = wait_until(lambda: alerts_named(prometheus, "NoRQWorker"))
        # Pending: it fires once the outage has lasted the rule's `for` (2 minutes).
        assert alert["state"] == "pending"
        assert alert["labels"]["severity"] == "critical"

    with rq_worker(live_server_env, tmp_path / "worker-again.log"):
        wait_until(lambda: not alerts_named(prometheus, "NoRQWorker"))
