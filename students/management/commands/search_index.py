from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_elasticsearch_dsl.management.commands.search_index import Command as SearchIndexCommand


class Command(SearchIndexCommand):
    """django-elasticsearch-dsl's `search_index`, with a clear error when no engine is set."""

    def __init__(self, *args, **kwargs):
        if settings.ELASTICSEARCH_URL:
            super().__init__(*args, **kwargs)
        else:
            # The parent opens its Elasticsearch connection here; without an engine there is none.
            BaseCommand.__init__(self, *args, **kwargs)

    def handle(self, *args, **options):
        if not settings.ELASTICSEARCH_URL:
            raise CommandError(
                "ELASTICSEARCH_URL is not set: search runs on the database backend, "
                "which keeps its own index; there is no Elasticsearch index to manage."
            )
        return super().handle(*args, **options)
