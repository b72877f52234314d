"""The functions the app calls to search students and keep the index in step; each one
asks the backend in use (`get_search_backend()`)."""

import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

from students.metrics import SEARCH_LATENCY
from students.models import Student
from students.search.backends import get_search_backend
from students.search.backends.base import (
    BULK_CHUNK_SIZE,
    MAX_RESULTS,
    GenerationTarget,
    StudentRow,
)

# Shorter queries (once trimmed) answer nothing: too many students start with one letter.
MIN_QUERY_LENGTH = 2


class SearchAnswer(NamedTuple):
    results: list[StudentRow]
    backend: str
    took_ms: float

    def as_json(self, query: str) -> dict[str, Any]:
        """The spec's search JSON (the page's search endpoint and the API answer it)."""
        return {
            "query": query,
            "backend": self.backend,
            "count": len(self.results),
            "took_ms": self.took_ms,
            "results": self.results,
        }


def search_backend() -> str:
    """The name of the backend in use: "elasticsearch" or "database"."""
    return get_search_backend().name


def search_students(query: str, limit: int = MAX_RESULTS) -> SearchAnswer:
    """At most `limit` students matching `query` as the spec's result dicts.

    Queries shorter than MIN_QUERY_LENGTH (after trimming) answer nothing; longer ones are
    the caller's to refuse (students.forms.StudentSearchForm). Raises SearchUnavailable
    when the engine does not answer.
    """
    started = time.perf_counter()
    backend = get_search_backend()
    query = query.strip()
    results = backend.search(query, limit) if len(query) >= MIN_QUERY_LENGTH else []
    took = time.perf_counter() - started
    SEARCH_LATENCY.observe(took, backend=backend.name)
    took_ms = round(took * 1000, 1)
    return SearchAnswer(results=results, backend=backend.name, took_ms=took_ms)


def index_students(
    students: Iterable[Student],
    chunk_size: int = BULK_CHUNK_SIZE,
    index: str | None = None,
) -> int:
    """Index (create or replace) these students; return how many were sent.

    `students` is any iterable of Student instances, consumed as a stream in chunks so
    that tens of thousands of them take constant memory (a QuerySet is iterated with
    `.iterator()`). Use it after bulk ORM writes, which send no signals. On the database
    backend there is nothing to do: every ORM write keeps `search_terms` folded and the
    database's index follows it. Writes become visible to search after `refresh_index()`.
    They go through the alias, or into `index` (the name of a `generation_index()` being
    filled).
    """
    return get_search_backend().index(students, chunk_size=chunk_size, index=index)


def remove_students(ids: Iterable[int], chunk_size: int = BULK_CHUNK_SIZE) -> int:
    """Delete the documents of these student ids (an iterable, streamed); return how many.

    Ids that are not in the index are not an error. Use it after deleting many rows inside
    `autosync_suspended()`. No-op on the database backend.
    """
    return get_search_backend().remove(ids, chunk_size=chunk_size)


def refresh_index() -> None:
    """Make every write so far visible to search (no-op on the database backend)."""
    get_search_backend().refresh()


def ensure_index() -> bool:
    """Create the index when it is missing; return True when it was created (never on
    the database backend, whose index the migrations built)."""
    return get_search_backend().ensure_ready()


def delete_index() -> None:
    """Drop the index (missing is fine); the next write or `ensure_index()` creates it."""
    get_search_backend().delete_index()


def sync_index_when_missing() -> int:
    """Create the index and fill it from the database when it does not exist yet.

    The run command calls it (through `load_demo_data`) so that a fresh Elasticsearch
    answers at once; `manage.py search_index --rebuild` is the operator's full rebuild.
    """
    if not ensure_index():
        return 0
    sent = index_students(Student.objects.order_by("pk"))
    refresh_index()
    return sent


def generation_index() -> AbstractContextManager[GenerationTarget]:
    """A target for a whole new generation, switched in as the one in service.

    Write to its `name` (`index_students(..., index=target.name)`), call `switch()` once it
    is complete (inside the database transaction that retires the previous generation, so
    that a failed commit switches back). Until then searches and the search outbox read and
    write the previous index through the alias. After the block the previous index is
    deleted. When the block fails, the alias stays on (or returns to) the previous index and
    the new one is deleted. Changes that the outbox applies through the alias while the new
    index fills are those of the previous generation's students, which the switch deletes;
    a student that outlives the switch is applied after it, into the new index. On the
    database backend the target has no name and its switch does nothing.
    """
    return get_search_backend().generation()


def rebuild_index() -> int:
    """Fill a fresh index from the database and switch the alias to it; return how many
    students were indexed. Searches answer from the previous index until the switch."""
    backend = get_search_backend()
    with backend.generation() as target:
        sent = backend.index(Student.objects.order_by("pk"), index=target.name)
        target.switch()
    return sent


def ping() -> str:
    """The search engine's status ("green", "yellow" for Elasticsearch's cluster; "ok" for
    the database, which /healthz checks itself); raises when the engine does not answer."""
    return get_search_backend().health().get("cluster", "ok")
