"""`make run`: the whole app on this machine, until Ctrl-C or SIGTERM.

    python -m devtools.run

Uses the Redis at REDIS_URL, or starts one of its own on that loopback port when none
answers (files in .run/redis/); migrates; loads the demo data (`manage.py load_demo_data`);
prints the address and the demo account; then serves daphne and one RQ worker through
honcho and devtools/Procfile. Ctrl-C or SIGTERM stops them, then its own Redis.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.core.management.color import color_style

from devtools.processes import run_in_foreground, stop_process
from devtools.redis_server import redis_answers, start_redis_server

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
PROCFILE = Path(__file__).resolve().parent / "Procfile"


class RedisUnavailable(Exception):
    """REDIS_URL names a Redis elsewhere that does not answer: nothing to start for it."""


def ensure_redis(out: OutputWrapper) -> subprocess.Popen[Any] | None:
    """None when the Redis at REDIS_URL answers; else a redis-server started on its loopback
    port (the caller stops it)."""
    url = settings.REDIS_URL
    if redis_answers(url):
        out.write(f"Using the Redis at {url}.")
        return None
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK_HOSTS:
        raise RedisUnavailable(f"Redis at {url} does not answer; start it or unset REDIS_URL.")
    port = parts.port or 6379
    workdir = Path(settings.BASE_DIR) / ".run" / "redis"
    process = start_redis_server(port=port, workdir=workdir, persist=True)
    out.write(f"Started a local Redis on 127.0.0.1:{port} (files in {workdir}).")
    return process


def print_welcome(out: OutputWrapper) -> None:
    # Imported once django.setup() has run: the command module loads the users app's models.
    from users.management.commands.create_demo_account import demo_credentials_file

    port = os.environ.get("PORT", "8000")
    out.write(color_style().SUCCESS(f"Serving http://127.0.0.1:{port}/ with one RQ worker."))
    credentials = demo_credentials_file()
    if credentials.exists():
        email, password = credentials.read_text().split()
        out.write(f"Demo account: {email} / {password}  (staff: admin + RQ dashboard)")


def serve() -> None:
    """daphne and one RQ worker (devtools/Procfile) through honcho, in the foreground."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    env.setdefault("PORT", "8000")
    run_in_foreground(
        [str(Path(bin_dir) / "honcho"), "--procfile", str(PROCFILE), "start"],
        env=env,
        cwd=settings.BASE_DIR,
    )


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    out = OutputWrapper(sys.stdout)
    try:
        redis_process = ensure_redis(out)
    except RedisUnavailable as exc:
        OutputWrapper(sys.stderr).write(str(exc))
        return 1
    try:
        call_command("migrate", interactive=False, verbosity=0)
        out.write("Database migrated.")
        call_command("load_demo_data")
        print_welcome(out)
        serve()
    except KeyboardInterrupt:
        out.write("Stopping.")
    finally:
        if redis_process is not None:
            stop_process(redis_process)
            out.write("Stopped the local Redis.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
