"""The search engine's health probe, registered with core.health (see StudentsConfig)."""

from typing import Any

from students.search import ping, search_backend


def search_probe() -> dict[str, Any]:
    """The backend in use; on Elasticsearch also its cluster's answer (raises when down)."""
    backend = search_backend()
    if backend == "database":
        return {"backend": backend}
    return {"backend": backend, "cluster": ping()}
