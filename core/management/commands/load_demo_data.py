from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from students.services import load_demo_students
from users.services import DEMO_EMAIL, ensure_demo_account


def demo_credentials_file():
    return settings.BASE_DIR / ".run" / "demo-account.txt"


class Command(BaseCommand):
    help = "Load the demo data once (idempotent) and create the local demo account."

    def handle(self, *args, **options):
        _, password = ensure_demo_account()
        credentials = demo_credentials_file()
        if password is not None:
            credentials.parent.mkdir(parents=True, exist_ok=True)
            credentials.write_text(f"{DEMO_EMAIL}\n{password}\n")
            credentials.chmod(0o600)
            self.stdout.write(f"Created the demo account {DEMO_EMAIL}.")
        else:
            self.stdout.write(f"The demo account {DEMO_EMAIL} already exists.")
        call_command("load_recipes", stdout=self.stdout)
        created = load_demo_students()
        self.stdout.write(f"Created {created} demo students." if created else "Students present.")
