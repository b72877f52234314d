"""Application metrics for /metrics, kept in shared state and collected at scrape time.

The site runs as several processes (gunicorn workers, daphne, RQ workers and their forked
work horses), on one machine or many: a counter kept in one process's memory would show
only that process's share to whichever one answers the scrape. So counters and histograms
live in Redis (one hash per metric, `HINCRBY`/`HINCRBYFLOAT` in one pipelined round trip),
gauges are read from the database or Redis when /metrics is scraped, and each app registers
a collector for what it owns (`register_collector`). A Redis that does not answer loses
the increments of that moment (logged at debug level), never the request.

The metrics counted on every request (`per_request`: requests, latency, queries, recipe cache
reads, searches) would cost the HTTP tier about half its throughput with a round trip each
(README "Performance"): they are added up in the process's memory and written once a second
(`MetricsBuffer`), when this process answers a scrape, and at its exit.
"""

import atexit
import json
import logging
import os
import threading
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
    # Counted on every request: added up in memory and written once a second (MetricsBuffer).
    per_request: bool = False
    _key: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", KEY_PREFIX + self.name)
        _shared_metrics[self.name] = self

    def inc(self, amount: float = 1, **labels: str) -> None:
        self._record(self.increments(amount, labels))

    def observe(self, value: float, **labels: str) -> None:
        """Add one observation to the histogram (cumulative buckets, as Prometheus has them)."""
        self._record(self.observation(value, labels))

    def _record(self, increments: list[Increment]) -> None:
        if self.per_request:
            _buffer.add(increments)
        else:
            _write(increments)

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


def _write(increments: Sequence[Increment]) -> bool:
    """All the increments in one round trip, applied together or not at all (MULTI/EXEC), so
    a batch that failed can be sent again without counting anything twice."""
    try:
        pipeline = shared_redis(settings.REDIS_URL).pipeline(transaction=True)
        for key, name, amount in increments:
            if isinstance(amount, int):
                pipeline.hincrby(key, name, amount)
            else:
                pipeline.hincrbyfloat(key, name, amount)
        pipeline.execute()
    except (redis.RedisError, OSError) as exc:
        logger.debug("Could not record metrics: %s", exc)
        return False
    return True


class MetricsBuffer:
    """Increments added up in this process's memory and written to Redis by a background
    thread every `interval` seconds, in one round trip whatever the traffic. What Redis did
    not take stays for the next write (a Redis restart loses no count); a process killed
    without exiting loses at most its last `interval`. A forked child starts empty: its
    parent writes what it had counted."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()  # guards _pending and _writer
        self._flushing = threading.Lock()  # one write at a time; forget() waits for it
        self._pending: dict[tuple[str, str], float] = {}
        self._writer: threading.Thread | None = None
        os.register_at_fork(after_in_child=self._forget)
        atexit.register(self.flush)

    def add(self, increments: Iterable[Increment]) -> None:
        with self._lock:
            for key, name, amount in increments:
                self._pending[key, name] = self._pending.get((key, name), 0) + amount
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_forever, name="metrics-writer", daemon=True
                )
                self._writer.start()

    def flush(self) -> None:
        """Write what is pending now (a scrape answered by this process shows its own counts)."""
        with self._flushing:
            with self._lock:
                pending, self._pending = self._pending, {}
            increments = [(key, name, amount) for (key, name), amount in pending.items()]
            if increments and not _write(increments):
                self.add(increments)

    def forget(self) -> None:
        """Drop what is pending, after a write under way has landed (tests)."""
        with self._flushing, self._lock:
            self._pending.clear()

    def _write_forever(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()

    def _forget(self) -> None:
        # The child of a fork: the parent's lock may have been held by one of its threads, and
        # the parent's writer thread does not exist here.
        self._lock, self._flushing = threading.Lock(), threading.Lock()
        self._pending = {}
        self._writer = None


_buffer = MetricsBuffer(interval=1.0)


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


def counter(
    name: str, documentation: str, labels: Sequence[str] = (), *, per_request: bool = False
) -> SharedMetric:
    return SharedMetric(name, documentation, tuple(labels), per_request=per_request)


def histogram(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    buckets: Sequence[float] = DEFAULT_BUCKETS,
    *,
    per_request: bool = False,
) -> SharedMetric:
    return SharedMetric(name, documentation, tuple(labels), tuple(buckets), per_request=per_request)


def register_collector(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Add what `collect()` yields (read at scrape time) to /metrics; from AppConfig.ready()."""
    _collectors[name] = collect


class SiteCollector(Collector):
    """Every shared metric and every registered collector, read when /metrics is scraped; a
    collector that fails is logged and left out, so one broken part never hides the rest."""

    def collect(self) -> Iterable[Metric]:
        _buffer.flush()
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
    _buffer.forget()
    client = shared_redis(settings.REDIS_URL)
    client.delete(*(KEY_PREFIX + name for name in [*_shared_metrics, *_collectors]))


# The HTTP tier's own (django-prometheus's equivalents, shared by every worker process).
HTTP_REQUESTS = counter(
    "app_http_requests_total",
    "HTTP requests answered, by method and status",
    ["method", "status"],
    per_request=True,
)
HTTP_LATENCY = histogram(
    "app_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method"],
    per_request=True,
)
DB_QUERIES = counter(
    "app_db_queries_total",
    "Database queries made while answering HTTP requests",
    ["vendor"],
    per_request=True,
)


def record_request(*, method: str, status: int, seconds: float, queries: int, vendor: str) -> None:
    """One answered HTTP request (core.middleware.RequestMetricsMiddleware), its three metrics
    added to the buffer together."""
    increments = HTTP_REQUESTS.increments(1, {"method": method, "status": str(status)})
    increments += HTTP_LATENCY.observation(seconds, {"method": method})
    if queries:
        increments += DB_QUERIES.increments(queries, {"vendor": vendor})
    _buffer.add(increments)
