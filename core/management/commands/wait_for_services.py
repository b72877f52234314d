import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.health import component_health


class Command(BaseCommand):
    help = "Wait until every part that /healthz checks answers (container start-up)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at most")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between checks")

    def handle(self, *args: Any, timeout: float, interval: float, **options: Any) -> None:
        deadline = time.monotonic() + timeout
        while True:
            healthy, components = component_health()
            if healthy:
                self.stdout.write("All services answer.")
                return
            failing = ", ".join(name for name, part in components.items() if not part["ok"])
            if time.monotonic() >= deadline:
                raise CommandError(f"Still not answering after {timeout:g}s: {failing}.")
            self.stdout.write(f"Waiting for: {failing}")
            time.sleep(interval)
