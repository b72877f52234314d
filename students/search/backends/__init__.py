"""The search backend in use, chosen once from the settings.

Elasticsearch when `ELASTICSEARCH_URL` is set, the database otherwise (in the flavour of its
vendor). This is the only place that reads the setting to decide; everything else asks
`get_search_backend()`. A test or tool that changes the setting at run time gets the other
backend on the next call: Django's `setting_changed` signal empties the cache.
"""

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver

from students.search.backends.base import SearchBackend
from students.search.backends.database import DatabaseBackend
from students.search.backends.elasticsearch.backend import ElasticsearchBackend

# The settings a backend is built from.
BACKEND_SETTINGS = frozenset({"ELASTICSEARCH_URL", "ELASTICSEARCH_DSL"})


@cache
def get_search_backend() -> SearchBackend:
    if settings.ELASTICSEARCH_URL:
        options = settings.ELASTICSEARCH_DSL.get("default", {})
        return ElasticsearchBackend(settings.ELASTICSEARCH_URL, options)
    return DatabaseBackend.for_vendor(connection.vendor)


@receiver(setting_changed)
def forget_search_backend(*, setting: str, **kwargs: Any) -> None:
    if setting in BACKEND_SETTINGS:
        get_search_backend.cache_clear()
