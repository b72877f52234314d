"""The health of each part of the stack, for /healthz and `manage.py wait_for_services`.

Each app registers the probes of what it relies on from its AppConfig.ready(): core the
database, Redis and storage, students the search engine. A registry rather than a settings
list of dotted paths: a probe stays beside the code it checks, and INSTALLED_APPS stays the
one list of what runs (an app that is not installed has no probe to answer for), so core
names no feature app.

A probe returns a dict of details (its backend...) and raises when its part does not answer;
each gives up within seconds (short timeouts, no retries). /healthz reads the results through
`cached_component_health`: one check at a time per process, reused for
`HEALTH_CACHE_SECONDS`, so that calling it in a loop costs the backends nothing more.
"""

import logging
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage, default_storage, storages
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

HEALTH_PROBE_TIMEOUT_SECONDS = 2

Health = tuple[bool, dict[str, dict[str, Any]]]

Probe = Callable[[], dict[str, Any]]

_probes: dict[str, Probe] = {}


def register_probe(name: str, probe: Probe) -> None:
    """Report `probe` as the component `name`; registering it again is a no-op."""
    registered = _probes.setdefault(name, probe)
    if registered is not probe:
        raise ImproperlyConfigured(f"Another health probe is registered as {name!r}.")


def component_health() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Return (all_ok, {component: {"ok": bool, "ms": float, ...}}), components by name."""
    components = {name: _timed(name, _probes[name]) for name in sorted(_probes)}
    return all(part["ok"] for part in components.values()), components


_cache_lock = threading.Lock()
_cached: tuple[float, Health] | None = None


def cached_component_health() -> Health:
    """`component_health()`, checked again only once `HEALTH_CACHE_SECONDS` have passed;
    concurrent callers wait for the one check in progress instead of starting their own."""
    global _cached
    with _cache_lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] >= settings.HEALTH_CACHE_SECONDS:
            _cached = (time.monotonic(), component_health())
        return _cached[1]


@receiver(setting_changed)
def forget_cached_health(**kwargs: Any) -> None:
    """Drop the cached result when a setting changes (tests point Redis or search elsewhere)."""
    global _cached
    with _cache_lock:
        _cached = None


def _timed(name: str, probe: Probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        details = probe()
        ok = True
    except Exception as exc:  # any failure means "does not answer"
        logger.warning("health check %s failed: %s", name, exc)
        details = {"error": exc.__class__.__name__}
        ok = False
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), **details}


def database_probe() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"backend": connection.vendor}


def redis_probe() -> dict[str, Any]:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=HEALTH_PROBE_TIMEOUT_SECONDS,
        socket_timeout=HEALTH_PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return {"backend": "redis"}


def storage_probe() -> dict[str, Any]:
    _probe_storage(repr(settings.STORAGES["default"])).exists("healthz-probe")
    return {"backend": default_storage.__class__.__name__}


@cache
def _probe_storage(configuration: str) -> Storage:
    """The default storage with short timeouts and no retries when it is S3 (its own client
    retries three times with 30 s reads); the default storage itself otherwise."""
    backend: dict[str, Any] = settings.STORAGES["default"]
    options: dict[str, Any] = backend.get("OPTIONS", {})
    if "client_config" not in options:
        return storages["default"]
    from botocore.config import Config

    short = Config(
        connect_timeout=HEALTH_PROBE_TIMEOUT_SECONDS,
        read_timeout=HEALTH_PROBE_TIMEOUT_SECONDS,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    storage: Storage = import_string(backend["BACKEND"])(
        **{**options, "client_config": options["client_config"].merge(short)}
    )
    return storage
