"""Whether each save and delete of a student is sent to the search index right away.

The signal processor (students.signals) asks `autosync_enabled()` before every write: only
backends that need each write sent (Elasticsearch) get them, and not inside
`autosync_suspended()`, where bulk writers index in bulk themselves afterwards.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from students.search.backends import get_search_backend

_suspended = ContextVar("student_search_autosync_suspended", default=False)


def autosync_enabled() -> bool:
    return get_search_backend().syncs_each_write and not _suspended.get()


@contextmanager
def autosync_suspended() -> Iterator[None]:
    """No per-row index requests inside (this thread or task): for bulk writers that call
    `index_students` / `remove_students` themselves afterwards."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)
