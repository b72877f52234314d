from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from users.accounts.services import DEMO_EMAIL, ensure_demo_account


def demo_credentials_file() -> Path:
    """Where the demo account's generated password is kept (`make run` prints it)."""
    return Path(settings.BASE_DIR) / ".run" / "demo-account.txt"


class Command(BaseCommand):
    help = (
        "Create the local demo account (staff) once, with a generated password kept in "
        ".run/demo-account.txt (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        _, password = ensure_demo_account()
        if password is None:
            self.stdout.write(f"The demo account {DEMO_EMAIL} already exists.")
            return
        credentials = demo_credentials_file()
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.write_text(f"{DEMO_EMAIL}\n{password}\n")
        credentials.chmod(0o600)
        self.stdout.write(f"Created the demo account {DEMO_EMAIL}.")
