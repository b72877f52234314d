"""Search on Elasticsearch: the query, the bulk sync and the index's health.

Searches, the search outbox and the bulk writes go through the alias of the concrete index
in service; a whole new generation is written into a fresh concrete index beside it and the
alias moves to that index in one atomic call (see the rebuilder module beside this one).

Every word of the query must start a word of the first name, last name or email (the
`terms` field, folded in Python as the query is), with typo tolerance on top; results are
ranked exact words first, then prefixes, then typos.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.models import QuerySet
from elasticsearch import BadRequestError, NotFoundError
from elasticsearch.helpers import streaming_bulk

from students.models import Student
from students.search.backends.base import (
    BULK_CHUNK_SIZE,
    RESULT_FIELDS,
    GenerationTarget,
    SearchBackend,
    SearchUnavailable,
    StudentRow,
    student_row,
)
from students.search.backends.elasticsearch.client import ENGINE_ERRORS, client_for
from students.search.backends.elasticsearch.rebuilder import (
    create_index,
    index_alias,
    new_generation,
)

logger = logging.getLogger(__name__)

SEARCH_TIMEOUT_SECONDS = 2
# One typo from 4 letters, two from 8; the first letter is taken as typed. Fewer, cheaper
# expansions than plain AUTO on every keystroke's short prefix.
TYPO_TOLERANCE = {"fuzziness": "AUTO:4,8", "prefix_length": 1, "max_expansions": 20}


def student_source(student: Student) -> dict[str, Any]:
    """The indexed document of a student: what `StudentDocument.prepare` gives, built
    directly (its per-field preparers cost more than the bulk request itself)."""
    return {
        "id": student.pk,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "email": student.email,
        "age": student.age,
        "terms": student.folded_terms(),
        "checksum": student.index_checksum(),
    }


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"
    syncs_each_write = True

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        """Search the engine at `url`, with the client `options` (ELASTICSEARCH_DSL["default"])."""
        self.alias = index_alias()
        self.client = client_for(url, options)
        # Whether this process has seen the index exist, so writes check once, not each time.
        self.index_known = False

    def run_query(self, tokens: Sequence[str], limit: int) -> list[StudentRow]:
        # Three tiers, each a constant score so that the order is predictable: every word
        # exact (4 + 2 + 1), every word a prefix (2, + 1 when also close), every word close
        # (1). Sorting by score alone lets Elasticsearch stop early instead of sorting every
        # match.
        tiers = [
            (4.0, [{"term": {"terms": token}} for token in tokens]),
            (2.0, [{"prefix": {"terms": token}} for token in tokens]),
            (
                1.0,
                [{"match": {"terms": {"query": token, **TYPO_TOLERANCE}}} for token in tokens],
            ),
        ]
        query = {
            "bool": {
                "should": [
                    {"constant_score": {"filter": {"bool": {"filter": clauses}}, "boost": boost}}
                    for boost, clauses in tiers
                ],
                "minimum_should_match": 1,
            }
        }
        try:
            response = self.client.options(request_timeout=SEARCH_TIMEOUT_SECONDS).search(
                index=self.alias,
                query=query,
                size=limit,
                source={"includes": list(RESULT_FIELDS)},
                track_total_hits=False,
            )
        except NotFoundError:
            logger.warning(
                "the students index is missing; search answers nothing until it is built"
            )
            return []
        except ENGINE_ERRORS as exc:
            raise SearchUnavailable(str(exc)) from exc
        return [
            student_row([hit["_source"][field] for field in RESULT_FIELDS])
            for hit in response["hits"]["hits"]
        ]

    def index(
        self,
        students: Iterable[Student],
        *,
        chunk_size: int = BULK_CHUNK_SIZE,
        index: str | None = None,
    ) -> int:
        """Stream the students in bulk requests (a QuerySet is read with `.iterator()`),
        through the alias or into `index` (a generation being filled)."""
        if isinstance(students, QuerySet):
            students = students.iterator(chunk_size=chunk_size)
        if index is None:
            self.ensure_ready()
            index = self.alias
        actions = (
            {
                "_op_type": "index",
                "_index": index,
                "_id": student.pk,
                "_source": student_source(student),
            }
            for student in students
        )
        return self._bulk(actions, chunk_size=chunk_size)

    def remove(self, ids: Iterable[int], *, chunk_size: int = BULK_CHUNK_SIZE) -> int:
        """Ids that are not in the index are not an error."""
        self.ensure_ready()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": pk} for pk in ids)
        return self._bulk(actions, chunk_size=chunk_size, ignore_status=(404,))

    def _bulk(self, actions: Iterator[dict[str, Any]], *, chunk_size: int, **options: Any) -> int:
        sent = 0
        for _ok, _item in streaming_bulk(
            self.client, actions, chunk_size=chunk_size, max_retries=2, **options
        ):
            sent += 1
        return sent

    def apply_changes(self, students: Sequence[Student], removed: Iterable[int]) -> dict[int, str]:
        """Index `students` and delete the documents of `removed` through the alias, visible
        to searches at once; return the ids that the engine refused, with its reason. Raises
        one of ENGINE_ERRORS when the engine does not answer."""
        self.ensure_ready()
        actions: list[dict[str, Any]] = [
            {"_op_type": "index", "_index": self.alias, "_id": student.pk, "_source": source}
            for student in students
            for source in [student_source(student)]
        ]
        actions += [{"_op_type": "delete", "_index": self.alias, "_id": pk} for pk in removed]
        refused: dict[int, str] = {}
        for ok, item in streaming_bulk(
            self.client,
            actions,
            chunk_size=BULK_CHUNK_SIZE,
            max_retries=2,
            raise_on_error=False,
            refresh=True,
        ):
            operation, outcome = next(iter(item.items()))
            if not ok and not (operation == "delete" and outcome.get("status") == 404):
                refused[int(outcome["_id"])] = str(outcome.get("error", outcome.get("status")))
        return refused

    def range_checksums(self, range_size: int) -> dict[int, tuple[int, int]]:
        """{range number (id // range_size): (documents, sum of their checksums)} of the
        index in service; empty when there is no index."""
        try:
            response = self.client.search(
                index=self.alias,
                size=0,
                aggs={
                    "ranges": {
                        "histogram": {"field": "id", "interval": range_size, "min_doc_count": 1},
                        "aggs": {"checksum": {"sum": {"field": "checksum"}}},
                    }
                },
            )
        except NotFoundError:
            return {}
        return {
            int(bucket["key"]) // range_size: (
                bucket["doc_count"],
                int(bucket["checksum"]["value"]),
            )
            for bucket in response["aggregations"]["ranges"]["buckets"]
        }

    def checksums_between(self, low: int, high: int) -> dict[int, int | None]:
        """{id: checksum} of the documents with low <= id < high (at most 10,000 ids)."""
        try:
            response = self.client.search(
                index=self.alias,
                query={"range": {"id": {"gte": low, "lt": high}}},
                size=high - low,
                source={"includes": ["id", "checksum"]},
            )
        except NotFoundError:
            return {}
        return {
            int(hit["_source"]["id"]): hit["_source"].get("checksum")
            for hit in response["hits"]["hits"]
        }

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)

    def ensure_ready(self) -> bool:
        """Create the index behind its alias when neither exists.

        Called before every write through the alias, so the index never comes into being
        through Elasticsearch's dynamic mapping, nor as a concrete index named like the
        alias. (A concrete index of that name left by an older version is used as it is;
        the next generation's switch replaces it by an aliased one.)
        """
        if self.index_known:
            return False
        created = not self.client.indices.exists(index=self.alias)  # an alias or an index
        if created:
            # A fixed first name: two processes starting at once create one index, not two
            # indices behind one alias (writes through an alias need exactly one).
            first = f"{self.alias}-initial"
            try:
                create_index(self.client, first, alias=self.alias)
            except BadRequestError as exc:
                if exc.error != "resource_already_exists_exception":
                    raise
                self.client.indices.put_alias(index=first, name=self.alias)
                created = False
        self.index_known = True
        return created

    def delete_index(self) -> None:
        """Drop the index behind the alias and the alias with it; unfinished generation
        indices go too."""
        names = self.client.indices.get_alias(
            index=[self.alias, f"{self.alias}-*"], ignore_unavailable=True
        )
        if names:
            self.client.indices.delete(index=sorted(names))
        self.index_known = False

    @contextmanager
    def generation(self) -> Iterator[GenerationTarget]:
        with new_generation(self.client, self.alias) as target:
            yield target
        # The switch left an index behind the alias: writes need not look for it again.
        self.index_known = True

    def ping(self) -> str:
        """The cluster health status ("green", "yellow"); raises when it does not answer."""
        # No retry: /healthz and wait_for_services ask again on their own schedule.
        client = self.client.options(request_timeout=SEARCH_TIMEOUT_SECONDS, max_retries=0)
        health = client.cluster.health()
        if health["status"] == "red":
            raise SearchUnavailable("the cluster status is red")
        return str(health["status"])

    def health(self) -> dict[str, str]:
        return {"backend": self.name, "cluster": self.ping()}
