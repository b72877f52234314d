"""The health of each part of the stack, for /healthz and `manage.py wait_for_services`.

Each app registers the probes of what it relies on from its AppConfig.ready(): core the
database, Redis and storage, students the search engine. A registry rather than a settings
list of dotted paths: a probe stays beside the code it checks, and INSTALLED_APPS stays the
one list of what runs (an app that is not installed has no probe to answer for), so core
names no feature app.

A probe returns a dict of details (its backend...) and raises when its part does not answer.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import connection

logger = logging.getLogger(__name__)

HEALTH_PROBE_TIMEOUT_SECONDS = 2

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
    default_storage.exists("healthz-probe")
    return {"backend": default_storage.__class__.__name__}
