"""Student search behind one set of functions, on two backends.

Elasticsearch answers when `ELASTICSEARCH_URL` is set; otherwise the database does (SQLite
FTS5 or PostgreSQL full text over `Student.search_terms`, which every ORM write keeps folded
and the database's own index follows). Both backends agree on exact and prefix matches: every
word of the query must start a word of the student's first name, last name or email.
Elasticsearch adds typo tolerance and ranks by relevance; the database orders by name.

Keeping the index in step: saving or deleting one student through the ORM puts it on the
search outbox in the same transaction, and a worker applies it once the change commits
(`drain_outbox`, retried with backoff while the engine does not answer); the periodic
reconciliation repairs whatever drifts anyway. `bulk_create`, `bulk_update` and
`QuerySet.update` send no signals: callers follow them with `index_students(...)`.
`QuerySet.delete` does send one signal per row; for many rows run it inside
`autosync_suspended()` and follow it with `remove_students(ids)`.

The package, in the shape of Wagtail's search backends:

- `api`: the functions below, each asking the backend in use;
- `backends`: `get_search_backend()` (chosen once), the interface every backend implements
  (`backends.base`), the database backend and its vendor flavours (`backends.database`),
  the Elasticsearch backend (`backends.elasticsearch`: its client, the backend, and the
  rebuilder that switches whole generations in at once behind the alias);
- `autosync`: whether each save and delete is sent to the index;
- `outbox`: the changes on their way to the index, applied by a worker;
- `reconcile`: the periodic comparison of the index with the database, by range of ids.
"""

from students.search.api import (
    MIN_QUERY_LENGTH,
    SearchAnswer,
    delete_index,
    ensure_index,
    generation_index,
    index_students,
    ping,
    rebuild_index,
    refresh_index,
    remove_students,
    search_backend,
    search_students,
    sync_index_when_missing,
)
from students.search.autosync import autosync_enabled, autosync_suspended
from students.search.backends import get_search_backend
from students.search.backends.base import MAX_RESULTS, SearchUnavailable, StudentRow
from students.search.backends.elasticsearch.backend import student_source
from students.search.backends.elasticsearch.client import ENGINE_ERRORS
from students.search.backends.elasticsearch.rebuilder import index_alias
from students.search.outbox import drain_outbox

__all__ = [
    "ENGINE_ERRORS",
    "MAX_RESULTS",
    "MIN_QUERY_LENGTH",
    "SearchAnswer",
    "SearchUnavailable",
    "StudentRow",
    "autosync_enabled",
    "autosync_suspended",
    "delete_index",
    "drain_outbox",
    "ensure_index",
    "generation_index",
    "get_search_backend",
    "index_alias",
    "index_students",
    "ping",
    "rebuild_index",
    "refresh_index",
    "remove_students",
    "search_backend",
    "search_students",
    "student_source",
    "sync_index_when_missing",
]
