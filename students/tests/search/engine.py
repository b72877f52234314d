from elasticsearch import Elasticsearch

from students.search import get_search_backend
from students.search.backends.elasticsearch.backend import ElasticsearchBackend


def engine() -> Elasticsearch:
    """The client of the Elasticsearch backend in use (the test's `elasticsearch` node)."""
    backend = get_search_backend()
    assert isinstance(backend, ElasticsearchBackend)
    return backend.client
