import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.management.commands.load_demo_data import demo_credentials_file
from core.processes import run_in_foreground, stop_process
from core.redis_server import redis_answers, start_redis_server

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = (
        "Run the whole app locally: a Redis of its own when none answers at REDIS_URL, "
        "migrations, demo data, then daphne and one RQ worker until Ctrl-C."
    )

    def handle(self, *args, **options):
        redis_process = self._ensure_redis()
        try:
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("Database migrated.")
            call_command("load_demo_data")
            self._print_welcome()
            self._serve()
        except KeyboardInterrupt:
            self.stdout.write("Stopping.")
        finally:
            if redis_process is not None:
                stop_process(redis_process)
                self.stdout.write("Stopped the local Redis.")

    def _ensure_redis(self):
        url = settings.REDIS_URL
        if redis_answers(url):
            self.stdout.write(f"Using the Redis at {url}.")
            return None
        parts = urlsplit(url)
        if parts.hostname not in LOOPBACK_HOSTS:
            raise CommandError(f"Redis at {url} does not answer; start it or unset REDIS_URL.")
        port = parts.port or 6379
        workdir = Path(settings.BASE_DIR) / ".run" / "redis"
        process = start_redis_server(port=port, workdir=workdir, persist=True)
        self.stdout.write(f"Started a local Redis on 127.0.0.1:{port} (files in {workdir}).")
        return process

    def _print_welcome(self):
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            self.style.SUCCESS(f"Serving http://127.0.0.1:{port}/ with one RQ worker.")
        )
        credentials = demo_credentials_file()
        if credentials.exists():
            email, password = credentials.read_text().split()
            self.stdout.write(f"Demo account: {email} / {password}  (staff: admin + RQ dashboard)")

    def _serve(self):
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
        env.setdefault("PORT", "8000")
        procfile = Path(settings.BASE_DIR) / "Procfile"
        run_in_foreground(
            [str(Path(bin_dir) / "honcho"), "--procfile", str(procfile), "start"],
            env=env,
            cwd=settings.BASE_DIR,
        )
