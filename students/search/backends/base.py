"""What every search backend offers, and the null index of backends that keep none.

A backend answers queries (`search`), keeps its index in step with the database (`index`,
`remove`, `refresh`), makes sure that index exists (`ensure_ready`, `delete_index`), fills a
whole new generation beside the one in service (`generation`, see
students.search.api.generation_index) and reports its health.
`students.search.backends.get_search_backend()` picks the one in use.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol, TypedDict, cast

from core.http import ServiceUnavailable
from students.models import Student
from students.text import MAX_QUERY_TOKENS, search_tokens

MAX_RESULTS = 20
BULK_CHUNK_SIZE = 2000
# The fields of a result, in the spec's order.
RESULT_FIELDS = ("id", "first_name", "last_name", "email", "age")


class SearchUnavailable(ServiceUnavailable):
    """The search engine did not answer."""

    user_message = "Search is unavailable right now; try again in a moment."


class StudentRow(TypedDict):
    """One search result, as the spec's JSON gives it."""

    id: int
    first_name: str
    last_name: str
    email: str
    age: int


def student_row(values: Sequence[Any]) -> StudentRow:
    """A result from the values of RESULT_FIELDS, in that order."""
    return cast(StudentRow, dict(zip(RESULT_FIELDS, values, strict=True)))


class GenerationTarget(Protocol):
    """Where a whole new generation of students is indexed before it goes into service."""

    @property
    def name(self) -> str | None:
        """The index to write the generation into (`index_students(..., index=name)`)."""

    def finish_filling(self) -> None:
        """Make everything written so far searchable once it goes into service."""

    def switch(self) -> None:
        """Put the generation into service."""


class NullIndex:
    """The generation target of a backend that keeps no index of its own: writes to it are
    no-ops (`name` is None) and there is nothing to fill or switch."""

    name = None

    def finish_filling(self) -> None:
        pass

    def switch(self) -> None:
        pass


class SearchBackend(ABC):
    """One way to search students; subclasses are the database and Elasticsearch."""

    # The backend's name in the search JSON ("backend") and in /healthz.
    name: ClassVar[str]
    # True when every save and delete of a student must be sent to the backend (the
    # search outbox, students.search.outbox); the database's own index follows every write.
    syncs_each_write: ClassVar[bool]

    def search(self, query: str, limit: int = MAX_RESULTS) -> list[StudentRow]:
        """At most `limit` students whose names or email have a word starting with each
        word of `query`; the query's syntax is never run, only its words are searched."""
        tokens = search_tokens(query)[:MAX_QUERY_TOKENS]
        if not tokens:
            return []
        return self.run_query(tokens, limit)

    @abstractmethod
    def run_query(self, tokens: Sequence[str], limit: int) -> list[StudentRow]:
        """The students matching every folded token (a word or the start of one)."""

    @abstractmethod
    def index(
        self,
        students: Iterable[Student],
        *,
        chunk_size: int = BULK_CHUNK_SIZE,
        index: str | None = None,
    ) -> int:
        """Index (create or replace) these students; return how many were sent."""

    @abstractmethod
    def remove(self, ids: Iterable[int], *, chunk_size: int = BULK_CHUNK_SIZE) -> int:
        """Delete the documents of these student ids; return how many were sent."""

    @abstractmethod
    def apply_changes(self, students: Sequence[Student], removed: Iterable[int]) -> dict[int, str]:
        """Put these students in the index as they are and drop the documents of `removed`
        (the search outbox's changes), visible at once; return the ids refused, with why."""

    def range_checksums(self, range_size: int) -> dict[int, tuple[int, int]]:
        """{id // range_size: (documents, sum of their checksums)} of the index in service;
        for the reconciliation of backends that keep their own index (`syncs_each_write`)."""
        raise NotImplementedError(f"The {self.name} backend keeps no index of its own.")

    def checksums_between(self, low: int, high: int) -> dict[int, int | None]:
        """{id: checksum} of the documents with low <= id < high (see `range_checksums`)."""
        raise NotImplementedError(f"The {self.name} backend keeps no index of its own.")

    @abstractmethod
    def refresh(self) -> None:
        """Make every write so far visible to searches."""

    @abstractmethod
    def ensure_ready(self) -> bool:
        """Create the index when it is missing; return True when it was created."""

    @abstractmethod
    def delete_index(self) -> None:
        """Drop the index (missing is fine); `ensure_ready()` creates it again."""

    @abstractmethod
    def generation(self) -> AbstractContextManager[GenerationTarget]:
        """A target for a whole new generation, in service once switched (see
        students.search.api.generation_index)."""

    def health(self) -> dict[str, str]:
        """What /healthz reports of search; raises when the engine does not answer."""
        return {"backend": self.name}
