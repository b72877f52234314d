"""The search health probes, registered with core.health (see StudentsConfig)."""

from typing import Any

from django.db import DatabaseError

from students.search import ping, search_backend
from students.search.outbox import outbox_backlog
from students.search.reconcile import last_reconciliation


def search_probe() -> dict[str, Any]:
    """The backend in use; on Elasticsearch also its cluster's answer (raises when down)."""
    backend = search_backend()
    if backend == "database":
        return {"backend": backend}
    return {"backend": backend, "cluster": ping()}


def search_sync_probe() -> dict[str, Any]:
    """How the index keeps up with the database: the changes still waiting for it (the
    outbox) and the last reconciliation. It answers even while the engine is down, which
    is when the backlog matters, and never fails the whole: before the migrations ran, or
    while the database does not answer (its own probe says so), the detail is unknown."""
    backend = search_backend()
    try:
        return {
            "backend": backend,
            "outbox": outbox_backlog(),
            "last_reconciliation": last_reconciliation(),
        }
    except DatabaseError:
        return {"backend": backend, "outbox": None, "last_reconciliation": None}
