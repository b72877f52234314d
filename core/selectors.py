"""Reads of the core app: the health of each part of the stack, the users' folders."""

import logging
import time

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Sum

from core.models import Document

logger = logging.getLogger(__name__)

HEALTH_PROBE_TIMEOUT_SECONDS = 2


def _timed(check):
    started = time.perf_counter()
    try:
        details = check() or {}
        ok = True
    except Exception as exc:  # any failure means "does not answer"
        logger.warning("health check %s failed: %s", check.__name__, exc)
        details = {"error": exc.__class__.__name__}
        ok = False
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), **details}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"backend": connection.vendor}


def _redis():
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


def _search():
    from students.search import ping, search_backend

    backend = search_backend()
    if backend == "database":
        return {"backend": backend}
    return {"backend": backend, "cluster": ping()}


def _storage():
    default_storage.exists("healthz-probe")
    return {"backend": default_storage.__class__.__name__}


def component_health():
    """Return (all_ok, {component: {"ok": bool, "ms": float, ...}})."""
    components = {
        "database": _timed(_database),
        "redis": _timed(_redis),
        "search": _timed(_search),
        "storage": _timed(_storage),
    }
    return all(part["ok"] for part in components.values()), components


def folder_summaries(owner):
    """The owner's folders with their file count and total size, by name."""
    return (
        Document.objects.filter(owner=owner)
        .values("folder")
        .annotate(file_count=Count("id"), total_size=Sum("size"))
        .order_by("folder")
    )


def folder_names(owner):
    return list(
        Document.objects.filter(owner=owner)
        .values_list("folder", flat=True)
        .distinct()
        .order_by("folder")
    )


def folder_documents(owner, folder):
    """The owner's documents in one folder (empty for a folder they do not have)."""
    return list(Document.objects.filter(owner=owner, folder=folder).order_by("original_name", "id"))
