"""The students app's metrics (core.metrics): search latency by backend, the search outbox's
backlog (read from the database when /metrics is scraped) and the seconds each phase of a
finished CRUD job took (recorded when the job finishes)."""

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
# Seconds per phase of one job: a small job's phases take milliseconds, 100,000 students'
# several seconds each.
CRUD_JOB_PHASE_SECONDS = histogram(
    "app_crud_job_phase_seconds",
    "Seconds each phase of a finished CRUD job took (create, verify, update, index, delete)",
    ["phase"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


def record_crud_job_phases(seconds: dict[str, float]) -> None:
    """The phases of a finished job (its result's `seconds`). Written at once, not buffered:
    the work horse that finished the job ends with os._exit, which runs no exit hook."""
    for phase, value in seconds.items():
        CRUD_JOB_PHASE_SECONDS.observe(value, phase=phase)


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
