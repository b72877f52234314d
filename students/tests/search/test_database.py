"""The database backend: the contract on the suite's database, and its own behaviour."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from students.search import SearchAnswer, get_search_backend, search_students
from students.search.backends.database import (
    DatabaseBackend,
    PostgresFullText,
    SQLiteFTS5,
)
from students.tests.factories import make_students
from students.tests.search.contract import (
    BEYOND_LATIN_ACCENTS,
    SearchBackendContract,
    names,
)


@pytest.mark.engine
class TestDatabaseBackend(SearchBackendContract):
    backend = "database"

    @pytest.fixture(autouse=True)
    def on_the_database(self, settings):
        settings.ELASTICSEARCH_URL = ""

    def assert_matches(self, answer: SearchAnswer, expected: set[str]) -> None:
        assert names(answer) == expected  # exact and prefix matches, nothing else

    def test_matches_exact_and_prefix_only(self):
        make_students()
        assert names(search_students("Jhon")) == set()

    @pytest.mark.parametrize("query", ["soren", "lasica", "strasse"])
    def test_letters_that_do_not_decompose_stay_letters_of_their_own(self, query):
        """ø, ł and ß are letters, not accented ones, for Elasticsearch too (which may still
        find them as typos): no database folds them (PostgreSQL's unaccent would)."""
        make_students(BEYOND_LATIN_ACCENTS)
        assert names(search_students(query)) == set()

    def test_the_flavour_is_the_suite_databases(self):
        backend = get_search_backend()
        assert isinstance(backend, DatabaseBackend)
        expected = {"sqlite": SQLiteFTS5, "postgresql": PostgresFullText}[connection.vendor]
        assert type(backend.flavour) is expected


def test_a_database_without_a_flavour_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured, match="sqlite and postgresql, not mysql"):
        DatabaseBackend.for_vendor("mysql")


@pytest.mark.parametrize(
    ("flavour", "tokens", "expected"),
    [
        (SQLiteFTS5(), ["jo", "sm"], '"jo"* "sm"*'),
        (PostgresFullText(), ["jo", "sm"], "jo:* & sm:*"),
    ],
)
def test_each_flavour_matches_every_token_as_a_prefix(flavour, tokens, expected):
    assert flavour.match(tokens) == expected
