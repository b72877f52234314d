"""Debian's Prometheus (`make monitoring-tools`) run with the compose profile's own configuration
against live app servers, for the tests: monitoring/prometheus/prometheus.yml and its alert
rules, each scrape job pointed at the URL given for it with the metrics token, scraping and
evaluating every second, on a free loopback port with its data in a temporary folder."""

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools.processes import free_loopback_port, stop_process, wait_for_http
from devtools.waiting import wait_until

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
MONITORING_DIR = Path(__file__).resolve().parent.parent / "monitoring"
PROMETHEUS_CONFIG = MONITORING_DIR / "prometheus" / "prometheus.yml"


@dataclass
class PrometheusServer:
    url: str
    process: subprocess.Popen[bytes]

    def api(self, path: str, **params: str) -> Any:
        """The `data` of an HTTP API answer (/api/v1/<path>)."""
        address = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(address, timeout=5) as response:  # noqa: S310 - our server
            body = json.load(response)
        if body["status"] != "success":
            raise RuntimeError(f"Prometheus answered {body}")
        return body["data"]

    def query(self, expression: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("query", query=expression)["result"]
        return result

    def alerts(self) -> list[dict[str, Any]]:
        """Every pending and firing alert, each with its `labels` and `state`."""
        alerts: list[dict[str, Any]] = self.api("alerts")["alerts"]
        return alerts

    def stop(self) -> None:
        stop_process(self.process)


def live_config(targets: Mapping[str, str], token_file: Path, interval: str) -> dict[str, Any]:
    """The compose profile's configuration with the scrape jobs named in `targets` (job name ->
    base URL of a live server) scraping those servers, and only those; rule files by their
    absolute paths; everything scraped and evaluated every `interval`."""
    config: dict[str, Any] = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / name) for name in config["rule_files"]]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    unknown = set(targets) - set(jobs)
    if unknown:
        raise ValueError(f"{PROMETHEUS_CONFIG} has no scrape job {sorted(unknown)}")
    config["scrape_configs"] = []
    for name, url in targets.items():
        job = jobs[name]
        job["static_configs"] = [{"targets": [urllib.parse.urlsplit(url).netloc]}]
        job["authorization"]["credentials_file"] = str(token_file)
        config["scrape_configs"].append(job)
    return config


def start_prometheus(
    workdir: Path, targets: Mapping[str, str], *, metrics_token: str, interval: str = "1s"
) -> PrometheusServer:
    """Prometheus scraping `targets` (see live_config) once it is ready; its log is
    `workdir`/prometheus.log."""
    if PROMETHEUS is None:
        raise RuntimeError("no prometheus: make monitoring-tools")
    workdir.mkdir(parents=True, exist_ok=True)
    token_file = workdir / "metrics-token"
    token_file.write_text(metrics_token)
    token_file.chmod(0o600)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(live_config(targets, token_file, interval)))
    port = free_loopback_port()
    log_path = workdir / "prometheus.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own argv
            [
                PROMETHEUS,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = PrometheusServer(f"http://127.0.0.1:{port}", process)
    try:
        wait_for_http(f"{server.url}/-/ready", process)
        # It answers 503 while it replays its (empty) storage, 200 once it serves queries.
        wait_until(lambda: process.poll() is not None or _ready(server.url), timeout=60)
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {process.returncode}")
    except Exception as exc:
        server.stop()
        raise RuntimeError(f"prometheus did not start:\n{log_path.read_text()}") from exc
    return server


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2):  # noqa: S310 - our server
            return True
    except OSError:  # refused, or an HTTP error status
        return False
