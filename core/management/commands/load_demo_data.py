from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Load the demo data once (idempotent): each app's own command, as DEMO_DATA_COMMANDS "
        "lists them (the demo account, recipes, students)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = [name for name in settings.DEMO_DATA_COMMANDS if name not in get_commands()]
        if unknown:
            raise CommandError(f"DEMO_DATA_COMMANDS names no command: {', '.join(unknown)}.")
        for name in settings.DEMO_DATA_COMMANDS:
            call_command(name, stdout=self.stdout)
