"""The Elasticsearch backend: the contract on the session's real node, and what it adds
(typo tolerance, ranking)."""

import pytest
from elasticsearch.dsl.connections import connections

from students.search import get_search_backend, search_students
from students.search.backends.elasticsearch.backend import ElasticsearchBackend
from students.tests.factories import make_students
from students.tests.search.contract import SearchBackendContract, names

pytestmark = pytest.mark.django_db


class TestElasticsearchBackend(SearchBackendContract):
    backend = "elasticsearch"

    @pytest.fixture(autouse=True)
    def on_elasticsearch(self, elasticsearch):
        return elasticsearch

    @pytest.mark.parametrize(
        ("typo", "meant"),
        [
            ("Jhon", "John Smith"),
            ("Smiht", "John Smith"),
            ("Snwo", "Jon Snow"),
            ("yilmza", "Ayşe Yılmaz"),
        ],
    )
    def test_typos_are_forgiven(self, typo, meant):
        make_students()
        assert meant in names(search_students(typo))

    def test_exact_words_rank_first_then_prefixes_then_typos(self):
        make_students()
        results = search_students("john").results
        assert [row["first_name"] for row in results] == ["John", "Jon"]
        results = search_students("smith").results
        assert [row["last_name"] for row in results] == ["Smith", "Smithers"]

    def test_its_client_is_the_autosync_connection(self):
        backend = get_search_backend()
        assert isinstance(backend, ElasticsearchBackend)
        assert connections.get_connection("default") is backend.client


def test_both_backends_answer_the_same_way(elasticsearch, settings):
    make_students()
    queries = ["smith", "jo", "jo sm", "okul", "jose", "ilhan", "ışık", "o'brien", "example", "xy"]
    for query in queries:
        settings.ELASTICSEARCH_URL = ""
        on_database = [row["id"] for row in search_students(query).results]
        settings.ELASTICSEARCH_URL = elasticsearch
        on_elasticsearch = [row["id"] for row in search_students(query).results]
        assert set(on_elasticsearch[: len(on_database)]) == set(on_database), query
