"""The backend is chosen once, from ELASTICSEARCH_URL, and again when the setting changes."""

import pytest

from students.search import get_search_backend, search_backend
from students.search.backends.database import DatabaseBackend
from students.search.backends.elasticsearch.backend import ElasticsearchBackend

pytestmark = [pytest.mark.engine, pytest.mark.django_db]


def test_the_backend_is_chosen_once(settings):
    settings.ELASTICSEARCH_URL = ""
    backend = get_search_backend()
    assert isinstance(backend, DatabaseBackend)
    assert get_search_backend() is backend
    settings.DEBUG = not settings.DEBUG  # a setting it is not built from
    assert get_search_backend() is backend


def test_changing_the_url_switches_the_backend(settings, elasticsearch_server):
    settings.ELASTICSEARCH_URL = ""
    assert search_backend() == "database"
    settings.ELASTICSEARCH_URL = elasticsearch_server.url
    backend = get_search_backend()
    assert isinstance(backend, ElasticsearchBackend)
    assert search_backend() == "elasticsearch"
    assert backend.health() == {"backend": "elasticsearch", "cluster": backend.ping()}
    settings.ELASTICSEARCH_URL = ""
    assert isinstance(get_search_backend(), DatabaseBackend)


def test_the_database_backend_reports_its_name_as_health(settings):
    settings.ELASTICSEARCH_URL = ""
    assert get_search_backend().health() == {"backend": "database"}
