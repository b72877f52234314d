"""Application metrics for /metrics, kept in shared state and collected at scrape time.

The site runs as several processes (gunicorn workers, daphne, RQ workers and their forked
work horses), on one machine or many: a counter kept in one process's memory would show
only that process's share to whichever one answers the scrape. So counters and histograms
live in Redis (one hash per metric, `HINCRBY`/`HINCRBYFLOAT` in one pipelined round trip),
gauges are read from the database or Redis when /metrics is scraped, and each app registers
a collector for what it owns (`register_collector`). A Redis that does not answer loses
the increments of that moment (logged at debug level), never the request.
"""

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import redis
from django.conf import settings
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from core.redis_client import shared_redis

logger = logging.getLogger(__name__)

KEY_PREFIX = "app:metrics:"
# Seconds: from a fast cached page or search to a whole CRUD job.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# (Redis hash, field, amount)
Increment = tuple[str, str, float]


@dataclass(frozen=True)
class SharedMetric:
    """A counter or histogram whose samples every process adds to in Redis."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None  # None: a counter
    _key: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", KEY_PREFIX + self.name)
        _shared_metrics[self.name] = self

    def inc(self, amount: float = 1, **labels: str) -> None:
        _write(self.increments(amount, labels))

    def observe(self, value: float, **labels: str) -> None:
        """Add one observation to the histogram (cumulative buckets, as Prometheus has them)."""
        _write(self.observation(value, labels))

    def increments(self, amount: float, labels: dict[str, str]) -> list[Increment]:
        return [(self._key, self._field(labels, "count"), amount)]

    def observation(self, value: float, labels: dict[str, str]) -> list[Increment]:
        if self.buckets is None:
            raise TypeError(f"{self.name} is a counter")
        fields = ["count", *(repr(bound) for bound in self.buckets if value <= bound)]
        return [(self._key, self._field(labels, part), 1) for part in fields] + [
            (self._key, self._field(labels, "sum"), float(value))
        ]

    def _field(self, labels: dict[str, str], part: str) -> str:
        return json.dumps([[str(labels.get(name, "")) for name in self.labels], part])

    def collect_all(self) -> list[Metric]:
        return [self.collect()]

    def collect(self) -> Metric:
        by_labels: dict[tuple[str, ...], dict[str, float]] = {}
        stored: dict[bytes, bytes] = shared_redis(settings.REDIS_URL).hgetall(self._key)  # type: ignore[assignment]
        for raw_name, raw_value in stored.items():
            label_values, part = json.loads(raw_name)
            by_labels.setdefault(tuple(label_values), {})[part] = float(raw_value)
        if self.buckets is None:
            counter = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
            for label_values, parts in sorted(by_labels.items()):
                counter.add_metric(list(label_values), parts.get("count", 0.0))
            return counter
        histogram = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        for label_values, parts in sorted(by_labels.items()):
            buckets = [(repr(bound), parts.get(repr(bound), 0.0)) for bound in self.buckets]
            buckets.append(("+Inf", parts.get("count", 0.0)))
            histogram.add_metric(list(label_values), buckets, parts.get("sum", 0.0))
        return histogram


_shared_metrics: dict[str, SharedMetric] = {}


def _write(increments: Sequence[Increment]) -> None:
    """All the increments in one pipelined round trip."""
    try:
        pipeline = shared_redis(settings.REDIS_URL).pipeline(transaction=False)
        for key, name, amount in increments:
            if isinstance(amount, int):
                pipeline.hincrby(key, name, amount)
            else:
                pipeline.hincrbyfloat(key, name, amount)
        pipeline.execute()
    except (redis.RedisError, OSError) as exc:
        logger.debug("Could not record metrics: %s", exc)


_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}


class LiveGauge:
    """How many things (e.g. open websockets) are alive across every process: each is a
    member of a Redis sorted set scored by when it was last seen; one not seen for `ttl`
    seconds (its process was killed without saying goodbye) no longer counts."""

    def __init__(self, name: str, documentation: str, *, ttl: float) -> None:
        self.name, self.documentation, self.ttl = name, documentation, ttl
        self._key = KEY_PREFIX + name
        _collectors[name] = self.collect

    def seen(self, member: str) -> None:
        try:
            shared_redis(settings.REDIS_URL).zadd(self._key, {member: time.time()})
        except (redis.RedisError, OSError) as exc:
            logger.debug("Could not record %s: %s", self.name, exc)

    def gone(self, member: str) -> None:
        try:
            shared_redis(settings.REDIS_URL).zrem(self._key, member)
        except (redis.RedisError, OSError) as exc:
            logger.debug("Could not record %s: %s", self.name, exc)

    def collect(self) -> Iterable[Metric]:
        client = shared_redis(settings.REDIS_URL)
        client.zremrangebyscore(self._key, "-inf", time.time() - self.ttl)
        alive: int = client.zcard(self._key)  # type: ignore[assignment]
        yield GaugeMetricFamily(self.name, self.documentation, value=alive)


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> SharedMetric:
    return SharedMetric(name, documentation, tuple(labels))


def histogram(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    buckets: Sequence[float] = DEFAULT_BUCKETS,
) -> SharedMetric:
    return SharedMetric(name, documentation, tuple(labels), tuple(buckets))


def register_collector(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Add what `collect()` yields (read at scrape time) to /metrics; from AppConfig.ready()."""
    _collectors[name] = collect


class SiteCollector(Collector):
    """Every shared metric and every registered collector, read when /metrics is scraped; a
    collector that fails is logged and left out, so one broken part never hides the rest."""

    def collect(self) -> Iterable[Metric]:
        sources: list[tuple[str, Callable[[], Iterable[Metric]]]] = [
            (name, metric.collect_all) for name, metric in sorted(_shared_metrics.items())
        ]
        sources += sorted(_collectors.items())
        for name, collect in sources:
            try:
                yield from list(collect())
            except Exception:
                logger.exception("Could not collect the metrics of %s", name)


def reset_shared_metrics() -> None:
    """Forget every shared sample (tests)."""
    client = shared_redis(settings.REDIS_URL)
    client.delete(*(KEY_PREFIX + name for name in [*_shared_metrics, *_collectors]))


# The HTTP tier's own (django-prometheus's equivalents, shared by every worker process).
HTTP_REQUESTS = counter(
    "app_http_requests_total", "HTTP requests answered, by method and status", ["method", "status"]
)
HTTP_LATENCY = histogram(
    "app_http_request_duration_seconds", "Time to answer an HTTP request", ["method"]
)
DB_QUERIES = counter(
    "app_db_queries_total", "Database queries made while answering HTTP requests", ["vendor"]
)


def record_request(*, method: str, status: int, seconds: float, queries: int, vendor: str) -> None:
    """One answered HTTP request (core.middleware.RequestMetricsMiddleware)."""
    increments = HTTP_REQUESTS.increments(1, {"method": method, "status": str(status)})
    increments += HTTP_LATENCY.observation(seconds, {"method": method})
    if queries:
        increments += DB_QUERIES.increments(queries, {"vendor": vendor})
    _write(increments)
