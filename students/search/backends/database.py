"""Search on the database, over `Student.search_terms` (which every ORM write keeps folded).

Migration 0004 built one index per database vendor, and each has a flavour here: SQLite's
FTS5 table (kept in step by triggers) and PostgreSQL's GIN full-text index. Both match exact
words and prefixes only, ordered by name. The index follows every write by itself, so the
bulk index functions have nothing to do here.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models.sql import Query

from students.models import Student, live_generation_number
from students.search.backends.base import (
    BULK_CHUNK_SIZE,
    RESULT_FIELDS,
    GenerationTarget,
    NullIndex,
    SearchBackend,
    StudentRow,
    student_row,
)

TABLE = Student._meta.db_table


def live_generation_sql() -> tuple[str, list[Any]]:
    """The live generation as `Student.objects` reads it (students.models'
    `live_generation_number()`), compiled for the database: SQL and its parameters."""
    query = Query(Student)
    expression = live_generation_number().resolve_expression(query)
    sql, params = query.get_compiler(connection=connection).compile(expression)
    return sql, list(params)


class Flavour(ABC):
    """How one database vendor matches tokens: one SQL statement whose parameters are the
    match expression, the live generation's and the limit, in that order."""

    @abstractmethod
    def sql(self, live_generation: str) -> str:
        """The statement, among the students of `live_generation` (an SQL expression)."""

    @abstractmethod
    def match(self, tokens: Sequence[str]) -> str:
        """The match expression of these tokens, each a word or the start of one."""


class SQLiteFTS5(Flavour):
    """The external-content FTS5 table over `search_terms`."""

    fts_table = "students_student_fts"

    def sql(self, live_generation: str) -> str:
        fts_table = self.fts_table
        return (
            f"SELECT {', '.join(f'student.{field}' for field in RESULT_FIELDS)} "  # noqa: S608 - constants only
            f"FROM {fts_table} JOIN {TABLE} AS student ON student.id = {fts_table}.rowid "
            f"WHERE {fts_table} MATCH %s AND student.generation = {live_generation} "
            "ORDER BY student.last_name, student.first_name, student.id LIMIT %s"
        )

    def match(self, tokens: Sequence[str]) -> str:
        # Each token is quoted and made a prefix; tokens hold letters and digits only.
        return " ".join(f'"{token}"*' for token in tokens)


class PostgresFullText(Flavour):
    """The GIN index over `search_terms`; the expression below is the index's own."""

    search_vector = "to_tsvector('simple'::regconfig, search_terms)"

    def sql(self, live_generation: str) -> str:
        return (
            f"SELECT {', '.join(RESULT_FIELDS)} FROM {TABLE} "  # noqa: S608 - constants only
            f"WHERE {self.search_vector} @@ to_tsquery('simple', %s) "
            f"AND generation = {live_generation} "
            "ORDER BY last_name, first_name, id LIMIT %s"
        )

    def match(self, tokens: Sequence[str]) -> str:
        return " & ".join(f"{token}:*" for token in tokens)


FLAVOURS: dict[str, type[Flavour]] = {"sqlite": SQLiteFTS5, "postgresql": PostgresFullText}


class DatabaseBackend(SearchBackend):
    name = "database"
    syncs_each_write = False

    def __init__(self, flavour: Flavour) -> None:
        self.flavour = flavour
        # Only the students of the live generation are found (see students.generations).
        live_generation, self.live_generation_params = live_generation_sql()
        self.sql = flavour.sql(live_generation)

    @classmethod
    def for_vendor(cls, vendor: str) -> "DatabaseBackend":
        """The backend in the flavour of this database vendor (`connection.vendor`)."""
        try:
            return cls(FLAVOURS[vendor]())
        except KeyError:
            raise ImproperlyConfigured(
                f"Student search on the database supports {' and '.join(FLAVOURS)}, "
                f"not {vendor}; set ELASTICSEARCH_URL to search on Elasticsearch."
            ) from None

    def run_query(self, tokens: Sequence[str], limit: int) -> list[StudentRow]:
        with connection.cursor() as cursor:
            params = [self.flavour.match(tokens), *self.live_generation_params, limit]
            cursor.execute(self.sql, params)
            return [student_row(row) for row in cursor.fetchall()]

    def index(
        self,
        students: Iterable[Student],
        *,
        chunk_size: int = BULK_CHUNK_SIZE,
        index: str | None = None,
    ) -> int:
        return 0

    def remove(self, ids: Iterable[int], *, chunk_size: int = BULK_CHUNK_SIZE) -> int:
        return 0

    def apply_changes(self, students: Sequence[Student], removed: Iterable[int]) -> dict[int, str]:
        return {}

    def refresh(self) -> None:
        pass

    def ensure_ready(self) -> bool:
        return False

    def delete_index(self) -> None:
        pass

    def generation(self) -> AbstractContextManager[GenerationTarget]:
        return nullcontext(NullIndex())
