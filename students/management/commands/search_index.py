from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_elasticsearch_dsl.management.commands.search_index import Command as SearchIndexCommand

from students.search import (
    delete_index,
    ensure_index,
    get_search_backend,
    index_alias,
    rebuild_index,
)
from students.search.backends.elasticsearch.backend import ElasticsearchBackend


def on_elasticsearch() -> bool:
    """True when search runs on Elasticsearch (whose client is then the "default" connection)."""
    return isinstance(get_search_backend(), ElasticsearchBackend)


class Command(SearchIndexCommand):
    """django-elasticsearch-dsl's `search_index`, for an index behind an alias.

    The students index is always an alias of one concrete index (see students.search):
    --create creates both when missing, --delete drops both, --rebuild fills a fresh
    index from the database and switches the alias to it (searches keep answering from
    the previous index meanwhile), --populate writes through the alias. The parent's
    --use-alias options are therefore implied. On the database backend it says why not.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if on_elasticsearch():
            super().__init__(*args, **kwargs)
        else:
            # The parent opens its Elasticsearch connection here; without an engine there is none.
            BaseCommand.__init__(self, *args, **kwargs)

    def handle(self, *args: Any, **options: Any) -> None:
        if not on_elasticsearch():
            raise CommandError(
                "ELASTICSEARCH_URL is not set: search runs on the database backend, "
                "which keeps its own index; there is no Elasticsearch index to manage."
            )
        action = options["action"]
        self._get_models(options["models"])  # refuses an unknown model or app
        alias = index_alias()
        if action == "create":
            created = ensure_index()
            self.stdout.write(f"{'Created' if created else 'Kept'} index '{alias}'")
        elif action == "populate":
            ensure_index()
            super().handle(*args, **options)
        elif action == "delete":
            if self._confirmed(f"Delete the '{alias}' index?", options):
                delete_index()
                self.stdout.write(f"Deleted index '{alias}'")
        elif action == "rebuild":
            if self._confirmed(f"Rebuild the '{alias}' index from the database?", options):
                sent = rebuild_index()
                self.stdout.write(f"Rebuilt index '{alias}' with {sent} students")
        else:
            super().handle(*args, **options)  # no action: the parent's error

    def _confirmed(self, question: str, options: dict[str, Any]) -> bool:
        if options["force"] or input(f"{question} [y/N]: ").lower() == "y":
            return True
        self.stdout.write("Aborted")
        return False
