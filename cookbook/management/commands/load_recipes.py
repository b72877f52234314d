from typing import Any

from django.core.management.base import BaseCommand

from cookbook.services import load_demo_recipes


class Command(BaseCommand):
    help = "Load the demo recipes that are not in the database yet (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo_recipes()
        self.stdout.write(f"Loaded {created} demo recipe(s).")
