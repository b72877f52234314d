"""The users app's metrics (core.metrics): tasks by kind and status, how long jobs take, how
long ago the running tasks last moved, and how many task updates were published. Tasks and
durations are read from the database when /metrics is scraped, so every process's tasks
count, whoever answers the scrape."""

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

from core.metrics import counter
from users.models import Task

TASK_UPDATES_PUBLISHED = counter(
    "app_task_updates_published_total",
    "Task updates sent to their owners' websockets (channel layer group sends)",
)
# Seconds: a small job takes one, the default 10,000 a few, 100,000 about half a minute.
JOB_DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def collect_tasks() -> Iterable[Metric]:
    tasks = GaugeMetricFamily(
        "app_tasks", "Tasks by kind and status (the database's count)", labels=["kind", "status"]
    )
    counts = {
        (row["kind"], row["status"]): row["n"]
        for row in Task.objects.values("kind", "status").annotate(n=Count("id")).order_by()
    }
    for kind in Task.Kind:
        for status in Task.Status:
            tasks.add_metric([kind.value, status.value], counts.get((kind, status), 0))
    yield tasks
    yield _progress_age()
    yield _job_durations()


def _progress_age() -> GaugeMetricFamily:
    """Per kind, how long ago its running task last reported progress (0 when none runs):
    a job that is alive but stuck still beats, so only its progress shows that it stopped."""
    gauge = GaugeMetricFamily(
        "app_task_progress_age_seconds",
        "Seconds since the running task of each kind last reported progress (0: none runs)",
        labels=["kind"],
    )
    last_moved = dict(
        Task.objects.filter(status=Task.Status.RUNNING)
        .values("kind")
        .annotate(oldest=Min(Coalesce("progressed", "started")))
        .values_list("kind", "oldest")
        .order_by()
    )
    now = timezone.now()
    for kind in Task.Kind:
        moved = last_moved.get(kind)
        gauge.add_metric([kind.value], (now - moved).total_seconds() if moved else 0.0)
    return gauge


def _job_durations() -> HistogramMetricFamily:
    """Time from start to end of every ended job that ran, by kind and status."""
    ended = Task.objects.filter(
        status__in=Task.TERMINAL_STATUSES, started__isnull=False, finished__isnull=False
    ).annotate(took=ExpressionWrapper(F("finished") - F("started"), output_field=DurationField()))
    per_bucket = {
        f"le_{index}": Count("id", filter=Q(took__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(JOB_DURATION_BUCKETS)
    }
    histogram = HistogramMetricFamily(
        "app_job_duration_seconds",
        "How long jobs ran, from start to end (finished, failed or cancelled)",
        labels=["kind", "status"],
    )
    rows = ended.values("kind", "status").annotate(
        total=Count("id"), seconds=Sum("took"), **per_bucket
    )
    for row in rows.order_by("kind", "status"):
        buckets = [
            (str(bound), row[f"le_{index}"]) for index, bound in enumerate(JOB_DURATION_BUCKETS)
        ]
        buckets.append(("+Inf", row["total"]))
        seconds = row["seconds"].total_seconds() if row["seconds"] else 0.0
        histogram.add_metric([row["kind"], row["status"]], buckets, seconds)
    return histogram
