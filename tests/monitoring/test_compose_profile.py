"""docker-compose.yml's `monitoring` profile, read as data: Prometheus with the rules of
monitoring/ scraping both app tiers with the metrics token, Grafana with its datasource and
dashboard (tests/deploy/test_compose.py has docker-compose validate the profile)."""

import re
import subprocess

import pytest
import yaml

from devtools.prometheus_server import PROMTOOL
from tests.deploy.deployment import COMPOSE_FILE, env_file_values
from tests.monitoring.monitoring_files import GRAFANA_DIR, dashboard_panels, prometheus_config


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def mounts(service):
    """{container path: (host path, read-only)} of a service's bind mounts and volumes."""
    found = {}
    for volume in service["volumes"]:
        source, target, *mode = volume.split(":")
        found[target] = (source, mode == ["ro"])
    return found


def test_prometheus_and_grafana_run_in_the_monitoring_profile_only(services):
    in_profile = {name for name, service in services.items() if service.get("profiles")}
    assert in_profile == {"prometheus", "grafana"}
    assert all(services[name]["profiles"] == ["monitoring"] for name in in_profile)
    # The site never waits for its monitoring.
    for service in services.values():
        assert not set(service.get("depends_on", {})) & in_profile or service.get("profiles")


@pytest.mark.skipif(PROMTOOL is None, reason="no promtool: make monitoring-tools")
def test_prometheus_is_the_version_whose_promtool_tests_the_rules(services):
    version = subprocess.run(
        [PROMTOOL, "--version"], capture_output=True, text=True, timeout=30, check=True
    )
    tested = re.search(r"version (\d+\.\d+\.\d+)", version.stdout + version.stderr)[1]
    assert services["prometheus"]["image"] == f"prom/prometheus:v{tested}"


def test_prometheus_loads_the_rules_and_scrapes_both_tiers_with_the_token(services):
    prometheus = services["prometheus"]
    assert mounts(prometheus)["/etc/prometheus"] == ("./monitoring/prometheus", True)
    script = prometheus["entrypoint"][-1]
    assert "--config.file=/etc/prometheus/prometheus.yml" in script
    assert prometheus["environment"] == {"METRICS_TOKEN": "${METRICS_TOKEN}"}
    jobs = {job["job_name"]: job for job in prometheus_config()["scrape_configs"]}
    assert set(jobs) == {"web", "websocket"}
    for name, job in jobs.items():
        # Each tier on the port it serves, with the token the entrypoint writes.
        assert job["static_configs"] == [{"targets": [f"{name}:8000"]}]
        assert services[name]["expose"] == ["8000"]
        token_file = job["authorization"]["credentials_file"]
        assert f"> {token_file};" in script
        assert job.get("metrics_path", "/metrics") == "/metrics"
    # The scrapes' Host (web:8000, websocket:8000) is one the app accepts.
    allowed = env_file_values()["DJANGO_ALLOWED_HOSTS"].split(",")
    assert {"web", "websocket"} <= set(allowed)


def test_grafana_is_provisioned_with_the_datasource_and_the_dashboard(services):
    grafana = services["grafana"]
    volumes = mounts(grafana)
    assert volumes["/etc/grafana/provisioning"] == ("./monitoring/grafana/provisioning", True)
    [provider] = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "dashboards" / "site.yml").read_text()
    )["providers"]
    assert volumes[provider["options"]["path"]] == ("./monitoring/grafana/dashboards", True)
    [datasource] = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    assert services["prometheus"]["healthcheck"]["test"][-1].startswith("http://127.0.0.1:9090/")
    assert grafana["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
    # Every panel queries that datasource.
    for panel in dashboard_panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource["uid"]}
    # The admin password comes from .env, as a placeholder there.
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"] == "${GRAFANA_ADMIN_PASSWORD}"
    assert "change-me" in env_file_values()["GRAFANA_ADMIN_PASSWORD"]
