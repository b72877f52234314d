"""/healthz's checks as a gauge on /metrics, so that alert rules see each backing service
(the database, Redis, search, storage...) and not only whether the app answers."""

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from core.health import cached_component_health


def collect_health() -> Iterable[Metric]:
    # The cached result: a scrape costs the backends nothing more than /healthz does.
    _, components = cached_component_health()
    gauge = GaugeMetricFamily(
        "app_health_component_up",
        "Whether each part of the stack answers the /healthz check (1) or not (0)",
        labels=["component"],
    )
    for name, details in components.items():
        gauge.add_metric([name], 1.0 if details["ok"] else 0.0)
    yield gauge
