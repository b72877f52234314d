"""The students app's metrics (core.metrics): search latency by backend and the search
outbox's backlog (read from the database when /metrics is scraped)."""

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from core.metrics import histogram
from students.search.outbox import outbox_backlog

SEARCH_LATENCY = histogram(
    "app_search_duration_seconds",
    "Time to answer a student search, by backend (elasticsearch or database)",
    ["backend"],
    per_request=True,
)


def collect_search_outbox() -> Iterable[Metric]:
    backlog = outbox_backlog()
    yield GaugeMetricFamily(
        "app_search_outbox_pending",
        "Student changes waiting to reach the search index (the outbox's rows)",
        value=backlog["pending"],
    )
    yield GaugeMetricFamily(
        "app_search_outbox_retrying",
        "Outbox rows that failed at least once and wait for their retry",
        value=backlog["retrying"],
    )
    yield GaugeMetricFamily(
        "app_search_outbox_oldest_seconds",
        "Age of the oldest change waiting in the outbox (0 when it is empty)",
        value=backlog["oldest_seconds"] or 0.0,
    )
