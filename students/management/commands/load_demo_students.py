from typing import Any

from django.core.management.base import BaseCommand

from students.demo import load_demo_students


class Command(BaseCommand):
    help = (
        "Create the demo students once (only into an empty table) and make sure search has "
        "them (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo_students()
        self.stdout.write(f"Created {created} demo students." if created else "Students present.")
