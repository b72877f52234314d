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

The name the app uses (`ELASTICSEARCH_STUDENTS_INDEX`, "students") is an alias of one
concrete index (`students-<suffix>`). Searches, autosync and the bulk functions go
through the alias; a whole new generation (the CRUD job, `search_index --rebuild`) is
written into a fresh concrete index beside it (`generation_index()`), and the alias moves
to that index in one atomic `_aliases` call, so searches see either the previous
generation or the new one, never half of each.
"""

import logging
import secrets
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from elasticsearch import ApiError, BadRequestError, NotFoundError, TransportError
from elasticsearch.dsl.connections import connections
from elasticsearch.helpers import BulkIndexError, streaming_bulk

from core.http import ServiceUnavailable
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
# While a new generation's index is filled by bulk writes alone: no periodic refreshes and
# no replicas to copy every document to; both come back before the alias moves to it.
FILLING_SETTINGS = {"refresh_interval": "-1", "number_of_replicas": 0}
# An unaliased index of ours this old is left by a job or rebuild that died (the CRUD job's
# time limit is 10 minutes); a younger one may belong to one still running.
UNFINISHED_INDEX_AGE_SECONDS = 3600

# Created by migration 0004 (one per database vendor) over Student.search_terms; the
# expression matches its index.
SQLITE_FTS_TABLE = "students_student_fts"
POSTGRES_SEARCH_VECTOR = "to_tsvector('simple'::regconfig, search_terms)"


_autosync_suspended = ContextVar("student_search_autosync_suspended", default=False)
_clients = {}
# (url, alias) pairs this process has seen exist, so autosync checks once, not per save.
_existing_indices = set()


class SearchUnavailable(ServiceUnavailable):
    """The search engine did not answer."""

    user_message = "Search is unavailable right now; try again in a moment."


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


def index_students(students, chunk_size=BULK_CHUNK_SIZE, index=None):
    """Index (create or replace) these students; return how many were sent.

    `students` is any iterable of Student instances, consumed as a stream in chunks so
    that tens of thousands of them take constant memory (a QuerySet is iterated with
    `.iterator()`). Use it after bulk ORM writes, which send no signals. On the database
    backend there is nothing to do: every ORM write keeps `search_terms` folded and the
    database's index follows it. Writes become visible to search after `refresh_index()`.
    They go through the alias, or into `index` (the name of a `generation_index()` being
    filled).
    """
    if not settings.ELASTICSEARCH_URL:
        return 0
    if isinstance(students, QuerySet):
        students = students.iterator(chunk_size=chunk_size)
    if index is None:
        ensure_index()
        index = index_alias()
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
    actions = ({"_op_type": "delete", "_index": index_alias(), "_id": pk} for pk in ids)
    removed = 0
    for _ok, _item in streaming_bulk(
        _client(), actions, chunk_size=chunk_size, ignore_status=(404,), max_retries=2
    ):
        removed += 1
    return removed


def refresh_index():
    """Make every write so far visible to search (no-op on the database backend)."""
    if settings.ELASTICSEARCH_URL:
        _client().indices.refresh(index=index_alias())


def index_alias():
    """The name searches and writes use: an alias of the concrete index in service."""
    return StudentDocument._index._name


def ensure_index():
    """Create the index behind its alias when neither exists; return True when it was created.

    Called before every write through the alias and by `load_demo_data`, so the index never
    comes into being through Elasticsearch's dynamic mapping, nor as a concrete index named
    like the alias. (A concrete index of that name left by an older version is used as it
    is; the next `generation_index()` switch replaces it by an aliased one.)
    """
    alias = index_alias()
    known = (settings.ELASTICSEARCH_URL, alias)
    if known in _existing_indices:
        return False
    client = _client()
    created = not client.indices.exists(index=alias)  # true for an alias as for an index
    if created:
        # A fixed first name: two processes starting at once create one index, not two
        # indices behind one alias (writes through an alias need exactly one).
        first = f"{alias}-initial"
        try:
            _create_concrete_index(client, first, alias=alias)
        except BadRequestError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
            client.indices.put_alias(index=first, name=alias)
            created = False
    _existing_indices.add(known)
    return created


def delete_index():
    """Drop the index behind the alias, and the alias with it (missing is fine); the next
    write or `ensure_index()` creates them again. Unfinished generation indices go too."""
    if settings.ELASTICSEARCH_URL:
        alias = index_alias()
        client = _client()
        names = client.indices.get_alias(index=[alias, f"{alias}-*"], ignore_unavailable=True)
        if names:
            client.indices.delete(index=sorted(names))
        _existing_indices.clear()


class GenerationIndex:
    """A fresh concrete index that a whole generation of students is written into while
    searches keep reading the previous one through the alias (see `generation_index`)."""

    def __init__(self, client, alias):
        self.client = client
        self.alias = alias
        self.name = f"{alias}-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
        self.settings = {}  # the index's own settings, put back when it is filled
        self.filled = False
        self.serving = {}  # the alias's indices when the switch moved it away from them
        self.switched = False

    def finish_filling(self):
        """Put the index's own settings back (refreshes, replicas) and make every
        document visible. `switch()` does it when it was not done before."""
        restored = {name: self.settings.get(name) for name in FILLING_SETTINGS}
        self.client.indices.put_settings(index=self.name, settings={"index": restored})
        self.client.indices.refresh(index=self.name)
        self.filled = True

    def switch(self):
        """Move the alias to the filled index in one atomic `_aliases` call."""
        if not self.filled:
            self.finish_filling()
        try:
            self.serving = self.client.indices.get_alias(index=self.alias)
        except NotFoundError:
            self.serving = {}
        actions = [{"add": {"index": self.name, "alias": self.alias}}]
        for old in self.serving:
            if old == self.alias:  # a concrete index of the alias's name (older version)
                actions.append({"remove_index": {"index": old}})
            else:
                actions.append({"remove": {"index": old, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        self.switched = True
        _existing_indices.add((settings.ELASTICSEARCH_URL, self.alias))

    def switch_back(self):
        """Point the alias at the indices it served before `switch()` (all but a concrete
        index of the alias's name, which the switch removed: `--rebuild` then refills)."""
        actions = [{"remove": {"index": self.name, "alias": self.alias}}]
        actions += [
            {"add": {"index": old, "alias": self.alias}}
            for old in self.serving
            if old != self.alias
        ]
        self.client.indices.update_aliases(actions=actions)
        self.switched = False

    def create(self):
        self.settings = _create_concrete_index(self.client, self.name, filling=True)

    def drop_unfinished(self):
        """Delete indices of unfinished generations (a worker killed mid-job leaves one)
        older than UNFINISHED_INDEX_AGE_SECONDS: a younger one may still be filling."""
        pattern = f"{self.alias}-*"
        indices = self.client.indices.get_alias(index=pattern)
        created = self.client.indices.get_settings(index=pattern, name="index.creation_date")
        oldest = (time.time() - UNFINISHED_INDEX_AGE_SECONDS) * 1000
        orphans = [
            name
            for name, about in indices.items()
            if self.alias not in about["aliases"]
            and int(created[name]["settings"]["index"]["creation_date"]) < oldest
        ]
        if orphans:
            self.client.indices.delete(index=orphans)


class _NoIndex:
    """`generation_index()` on the database backend: nothing to fill or switch."""

    name = None

    def finish_filling(self):
        pass

    def switch(self):
        pass


@contextmanager
def generation_index():
    """A fresh concrete index for a whole new generation, switched in as the alias's.

    Yields a `GenerationIndex`: write to its `name` (`index_students(..., index=...)`),
    call `switch()` once it is complete (inside the database transaction that retires the
    previous generation, so that a failed commit switches back). Until then searches and
    autosync read and write the previous index through the alias. After the block the
    previous index is deleted. When the block fails, the alias stays on (or returns to) the
    previous index and the new one is deleted. Writes that autosync sends through the
    alias while the new index fills (edits of others) land in the previous index and go
    with it. On the database backend it yields an index without name whose switch does
    nothing.
    """
    if not settings.ELASTICSEARCH_URL:
        yield _NoIndex()
        return
    target = GenerationIndex(_client(), index_alias())
    target.drop_unfinished()
    target.create()
    try:
        yield target
    except BaseException:
        try:
            if target.switched:
                target.switch_back()
            target.client.indices.delete(index=target.name, ignore_unavailable=True)
        except ENGINE_ERRORS:
            logger.exception("Could not drop the unfinished search index %s", target.name)
        raise
    if not target.switched:
        target.client.indices.delete(index=target.name, ignore_unavailable=True)
        raise RuntimeError("generation_index(): the block ended without switch()")
    previous = [name for name in target.serving if name != target.alias]
    if previous:
        try:
            target.client.indices.delete(index=previous, ignore_unavailable=True)
        except ENGINE_ERRORS:
            logger.exception("Could not delete the previous search index %s", previous)


def rebuild_index():
    """Fill a fresh index from the database and switch the alias to it; return how many
    students were indexed. Searches answer from the previous index until the switch."""
    if not settings.ELASTICSEARCH_URL:
        return 0
    with generation_index() as target:
        sent = index_students(Student.objects.order_by("pk"), index=target.name)
        target.switch()
    return sent


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


def _create_concrete_index(client, name, *, alias=None, filling=False):
    """Create index `name` with the document's mappings and settings; return its settings
    (without the filling ones)."""
    body = StudentDocument._index.clone(name=name).to_dict()
    index_settings = body.get("settings", {})
    client.indices.create(
        index=name,
        mappings=body["mappings"],
        settings={**index_settings, **FILLING_SETTINGS} if filling else index_settings,
        aliases={alias: {}} if alias else None,
    )
    return index_settings


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
                index=index_alias(),
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
