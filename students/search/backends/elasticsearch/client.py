"""The Elasticsearch client of the process, and the errors it raises when the engine does
not answer or refuses a request."""

from collections.abc import Mapping
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.dsl.connections import connections
from elasticsearch.helpers import BulkIndexError

# What the client raises when the engine does not answer or refuses a request.
ENGINE_ERRORS = (ApiError, TransportError, BulkIndexError)


def client_for(url: str, options: Mapping[str, Any]) -> Elasticsearch:
    """The process's client for `url`, made the "default" connection (django-elasticsearch-dsl's
    commands use it).

    elasticsearch-dsl's connection registry keeps one client (and its pool of keep-alive
    connections) per URL, so that a setting switched back and forth at run time (tests, the
    search benchmark) does not reconnect every time.
    """
    try:
        client: Elasticsearch = connections.get_connection(url)
    except KeyError:
        client = connections.create_connection(url, **{**options, "hosts": url})
    connections.add_connection("default", client)
    return client
