"""Student search behind one function, on two backends.

Elasticsearch answers when `ELASTICSEARCH_URL` is set; otherwise the database does (SQLite
FTS5 or PostgreSQL full text over `Student.search_terms`, which every ORM write keeps folded
and the database's own index follows). Both backends agree on exact and prefix matches: every
word of the query must start a word of the student's first name, last name or email.
Elasticsearch adds typo tolerance and ranks by relevance; the database orders by name.

Keeping the index in step: saving or deleting one student through the ORM updates the
index by itself (django-elasticsearch-dsl's autosync signals, one request per row).
`bulk_create`, `bulk_update` and `QuerySet.update` send no signals: callers follow them
with `index_students(...)`. `QuerySet.delete` does send one signal per row; for many rows
run it inside `autosync_suspended()` and follow it with `remove_students(ids)`.
"""

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from elasticsearch import ApiError, NotFoundError, TransportError
from elasticsearch.dsl.connections import connections
from elasticsearch.helpers import BulkIndexError, streaming_bulk

from students.documents import StudentDocument
from students.models import Student
from students.text import MAX_QUERY_TOKENS, search_tokens

logger = logging.getLogger(__name__)

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 100
MAX_RESULTS = 20
BULK_CHUNK_SIZE = 2000
SEARCH_TIMEOUT_SECONDS = 2
RESULT_FIELDS = ("id", "first_name", "last_name", "email", "age")
# One typo from 4 letters, two from 8; the first letter is taken as typed. Fewer, cheaper
# expansions than plain AUTO on every keystroke's short prefix.
TYPO_TOLERANCE = {"fuzziness": "AUTO:4,8", "prefix_length": 1, "max_expansions": 20}
ENGINE_ERRORS = (ApiError, TransportError, BulkIndexError)

# Created by migration 0004 (one per database vendor) over Student.search_terms; the
# expression matches its index.
SQLITE_FTS_TABLE = "students_student_fts"
POSTGRES_SEARCH_VECTOR = "to_tsvector('simple'::regconfig, search_terms)"


_autosync_suspended = ContextVar("student_search_autosync_suspended", default=False)
_clients = {}
# (url, index name) pairs this process has seen exist, so autosync checks once, not per save.
_existing_indices = set()


class SearchUnavailable(Exception):
    """The search engine did not answer."""


class SearchAnswer(NamedTuple):
    results: list
    backend: str
    took_ms: float


def search_backend():
    return "elasticsearch" if settings.ELASTICSEARCH_URL else "database"


def search_students(query, limit=MAX_RESULTS):
    """At most `limit` students matching `query` as the spec's result dicts.

    Queries shorter than MIN_QUERY_LENGTH (after trimming) answer nothing; the caller
    rejects queries longer than MAX_QUERY_LENGTH. Raises SearchUnavailable when
    Elasticsearch does not answer.
    """
    started = time.perf_counter()
    backend = search_backend()
    query = query.strip()
    results = []
    if len(query) >= MIN_QUERY_LENGTH:
        if backend == "elasticsearch":
            results = _search_elasticsearch(query, limit)
        else:
            results = _search_database(query, limit)
    took_ms = round((time.perf_counter() - started) * 1000, 1)
    return SearchAnswer(results=results, backend=backend, took_ms=took_ms)


def autosync_enabled():
    return bool(settings.ELASTICSEARCH_URL) and not _autosync_suspended.get()


@contextmanager
def autosync_suspended():
    """No per-row index requests inside (this thread or task): for bulk writers that call
    `index_students` / `remove_students` themselves afterwards."""
    token = _autosync_suspended.set(True)
    try:
        yield
    finally:
        _autosync_suspended.reset(token)


def index_students(students, chunk_size=BULK_CHUNK_SIZE):
    """Index (create or replace) these students; return how many were sent.

    `students` is any iterable of Student instances, consumed as a stream in chunks so
    that tens of thousands of them take constant memory (a QuerySet is iterated with
    `.iterator()`). Use it after bulk ORM writes, which send no signals. On the database
    backend there is nothing to do: every ORM write keeps `search_terms` folded and the
    database's index follows it. Writes become visible to search after `refresh_index()`.
    """
    if not settings.ELASTICSEARCH_URL:
        return 0
    if isinstance(students, QuerySet):
        students = students.iterator(chunk_size=chunk_size)
    ensure_index()
    index = StudentDocument._index._name
    actions = (
        {
            "_op_type": "index",
            "_index": index,
            "_id": student.pk,
            "_source": student_source(student),
        }
        for student in students
    )
    sent = 0
    for _ok, _item in streaming_bulk(_client(), actions, chunk_size=chunk_size, max_retries=2):
        sent += 1
    return sent


def student_source(student):
    """The indexed document of a student: what `StudentDocument.prepare` gives, built
    directly (its per-field preparers cost more than the bulk request itself)."""
    return {
        "id": student.pk,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "email": student.email,
        "age": student.age,
        "terms": student.folded_terms(),
    }


def remove_students(ids, chunk_size=BULK_CHUNK_SIZE):
    """Delete the documents of these student ids (an iterable, streamed); return how many.

    Ids that are not in the index are not an error. Use it after deleting many rows inside
    `autosync_suspended()`. No-op on the database backend.
    """
    if not settings.ELASTICSEARCH_URL:
        return 0
    ensure_index()
    index = StudentDocument._index._name
    actions = ({"_op_type": "delete", "_index": index, "_id": pk} for pk in ids)
    removed = 0
    for _ok, _item in streaming_bulk(
        _client(), actions, chunk_size=chunk_size, ignore_status=(404,), max_retries=2
    ):
        removed += 1
    return removed


@contextmanager
def refresh_paused():
    """No periodic refreshes of the index inside: for bulk writers, which call
    `refresh_index()` once when done. The index's own refresh interval comes back after,
    even on failure. A no-op on the database backend."""
    if not settings.ELASTICSEARCH_URL:
        yield
        return
    ensure_index()
    client = _client()
    index = StudentDocument._index._name
    current = client.indices.get_settings(index=index, name="index.refresh_interval")
    interval = current.get(index, {}).get("settings", {}).get("index", {}).get("refresh_interval")
    client.indices.put_settings(index=index, settings={"index": {"refresh_interval": "-1"}})
    try:
        yield
    finally:
        try:
            # None puts back Elasticsearch's default when the index had no interval of its own.
            client.indices.put_settings(
                index=index, settings={"index": {"refresh_interval": interval}}
            )
        except ENGINE_ERRORS:
            logger.exception("Could not restore the refresh interval of the %s index", index)


def refresh_index():
    """Make every write so far visible to search (no-op on the database backend)."""
    if settings.ELASTICSEARCH_URL:
        _client().indices.refresh(index=StudentDocument._index._name)


def ensure_index():
    """Create the index with its mapping when it is missing; return True when it was created.

    Called before every bulk write and by `load_demo_data`, so the index never comes into
    being through Elasticsearch's dynamic mapping.
    """
    index = StudentDocument._index
    known = (settings.ELASTICSEARCH_URL, index._name)
    if known in _existing_indices:
        return False
    created = not index.exists(using=_client())
    if created:
        index.create(using=_client())
    _existing_indices.add(known)
    return created


def delete_index():
    """Drop the index (missing is fine); the next write or `ensure_index()` creates it again."""
    if settings.ELASTICSEARCH_URL:
        _client().indices.delete(index=StudentDocument._index._name, ignore_unavailable=True)
        _existing_indices.clear()


def sync_index_when_missing():
    """Create the index and fill it from the database when it does not exist yet.

    The run command calls it (through `load_demo_data`) so that a fresh Elasticsearch
    answers at once; `manage.py search_index --rebuild` is the operator's full rebuild.
    """
    if not settings.ELASTICSEARCH_URL or not ensure_index():
        return 0
    sent = index_students(Student.objects.order_by("pk"))
    refresh_index()
    return sent


def ping():
    """The cluster health status ("green", "yellow"); raises when the engine does not answer."""
    health = _client().options(request_timeout=SEARCH_TIMEOUT_SECONDS).cluster.health()
    if health["status"] == "red":
        raise SearchUnavailable("the cluster status is red")
    return health["status"]


def _client():
    """The client for ELASTICSEARCH_URL, also django-elasticsearch-dsl's "default" connection.

    One client (and its pool of keep-alive connections) per URL, so that a setting changed
    at run time (tests, the benchmark) switches engines without reconnecting every time.
    """
    url = settings.ELASTICSEARCH_URL
    if url not in _clients:
        options = settings.ELASTICSEARCH_DSL.get("default", {})
        _clients[url] = connections.create_connection("default", **{**options, "hosts": url})
    connections.add_connection("default", _clients[url])
    return _clients[url]


def _search_elasticsearch(query, limit):
    tokens = search_tokens(query)[:MAX_QUERY_TOKENS]
    if not tokens:
        return []
    # Three tiers, each a constant score so that the order is predictable: every word
    # exact (4 + 2 + 1), every word a prefix (2, + 1 when also close), every word close (1).
    # Sorting by score alone lets Elasticsearch stop early instead of sorting every match.
    tiers = [
        (4.0, [{"term": {"terms": token}} for token in tokens]),
        (2.0, [{"prefix": {"terms": token}} for token in tokens]),
        (
            1.0,
            [{"match": {"terms": {"query": token, **TYPO_TOLERANCE}}} for token in tokens],
        ),
    ]
    body_query = {
        "bool": {
            "should": [
                {"constant_score": {"filter": {"bool": {"filter": clauses}}, "boost": boost}}
                for boost, clauses in tiers
            ],
            "minimum_should_match": 1,
        }
    }
    try:
        response = (
            _client()
            .options(request_timeout=SEARCH_TIMEOUT_SECONDS)
            .search(
                index=StudentDocument._index._name,
                query=body_query,
                size=limit,
                source=list(RESULT_FIELDS),
                track_total_hits=False,
            )
        )
    except NotFoundError:
        logger.warning("the students index is missing; search answers nothing until it is built")
        return []
    except ENGINE_ERRORS as exc:
        raise SearchUnavailable(str(exc)) from exc
    return [
        {field: hit["_source"][field] for field in RESULT_FIELDS}
        for hit in response["hits"]["hits"]
    ]


def _search_database(query, limit):
    tokens = search_tokens(query)[:MAX_QUERY_TOKENS]
    if not tokens:
        return []
    if connection.vendor == "postgresql":
        condition = f"{POSTGRES_SEARCH_VECTOR} @@ to_tsquery('simple', %s)"
        match = " & ".join(f"{token}:*" for token in tokens)
        sql = (
            f"SELECT {', '.join(RESULT_FIELDS)} FROM {Student._meta.db_table} "  # noqa: S608 - constants only
            f"WHERE {condition} ORDER BY last_name, first_name, id LIMIT %s"
        )
    else:
        # Each token is quoted and made a prefix; tokens hold letters and digits only.
        match = " ".join(f'"{token}"*' for token in tokens)
        columns = ", ".join(f"student.{field}" for field in RESULT_FIELDS)
        sql = (
            f"SELECT {columns} FROM {SQLITE_FTS_TABLE} "  # noqa: S608 - constants only
            f"JOIN {Student._meta.db_table} AS student ON student.id = {SQLITE_FTS_TABLE}.rowid "
            f"WHERE {SQLITE_FTS_TABLE} MATCH %s "
            "ORDER BY student.last_name, student.first_name, student.id LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, limit])
        rows = cursor.fetchall()
    return [dict(zip(RESULT_FIELDS, row, strict=True)) for row in rows]
