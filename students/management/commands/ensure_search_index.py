from typing import Any

from django.core.management.base import BaseCommand

from students.search import search_backend, sync_index_when_missing


class Command(BaseCommand):
    help = (
        "Create the Elasticsearch index and fill it from the database when it is missing "
        "(the container's set-up); nothing to do when it exists or search runs on the database."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if search_backend() == "database":
            self.stdout.write("Search runs on the database: no Elasticsearch index to create.")
            return
        sent = sync_index_when_missing()
        self.stdout.write(f"The search index is in place ({sent} students indexed now).")
