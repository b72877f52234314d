"""`make run`: the whole app on this machine, until Ctrl-C or SIGTERM.

    python -m devtools.run

Uses the Redis at REDIS_URL, or starts one of its own on that loopback port when none
answers (files in .run/redis/); migrates; loads the demo data (`manage.py load_demo_data`);
prints the address and the demo account; then runs supervisord in the foreground, from the
configuration it writes to .run/supervisord.conf, with the production topology minus nginx:

    web        gunicorn (project/gunicorn_config.py) on 127.0.0.1:$PORT, every HTTP request
    websocket  daphne on 127.0.0.1:$PORT+1, the websockets; pages reach it through
               WEBSOCKET_URL=":<port>/ws/task/" (that port on the host the page came from)
    worker     one RQ worker with its scheduler

supervisord restarts whichever of them exits, so the pages stay up while a worker or daphne
comes back. Ctrl-C or SIGTERM stops them all, then its own Redis.
"""

import os
import pwd
import secrets
import shlex
import socket
import subprocess
import sys
from dataclasses import dataclass
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
DEFAULT_PORT = 8000
WEBSOCKET_PATH = "/ws/task/"
PROGRAMS = ("web", "websocket", "worker")


class RedisUnavailable(Exception):
    """REDIS_URL names a Redis elsewhere that does not answer: nothing to start for it."""


class PortBusy(Exception):
    """A port the run command serves on is taken by another program."""


@dataclass(frozen=True)
class Ports:
    """Where `make run` serves: HTTP on `http`, websockets on the next port."""

    http: int

    @property
    def websocket(self) -> int:
        return self.http + 1

    @property
    def websocket_url(self) -> str:
        """WEBSOCKET_URL for the pages: the websocket port on the page's own host."""
        return f":{self.websocket}{WEBSOCKET_PATH}"


def ports_from_environment() -> Ports:
    return Ports(http=int(os.environ.get("PORT") or DEFAULT_PORT))


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


def check_ports_free(ports: Ports) -> None:
    """Raise PortBusy when something already listens on a port we are about to serve on
    (a `make run` still running, say), rather than have supervisord retry it in vain."""
    for port in (ports.http, ports.websocket):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise PortBusy(
                    f"Port {port} is in use (make run serves HTTP on PORT={ports.http} and "
                    f"websockets on {ports.websocket}); stop what uses it or set another PORT."
                )


def supervisor_config(*, base_dir: Path, run_dir: Path, python: str, ports: Ports) -> str:
    """supervisord's configuration: the three programs, restarted whenever they exit, their
    output on supervisord's own (the terminal), and a control socket for
    `supervisorctl -c .run/supervisord.conf` (status, restart worker...), private to this
    user and guarded by a password made for this run (the file is readable by us only)."""

    def literal(value: object) -> str:
        # supervisord expands %(name)s in its values: a literal % must be doubled.
        return str(value).replace("%", "%%")

    def quoted(*words: str) -> str:
        return literal(shlex.join(words))

    commands = {
        "web": quoted(
            python, "-m", "gunicorn",
            "--config", "python:project.gunicorn_config",
            "--bind", f"127.0.0.1:{ports.http}",
            "--access-logfile", "-",
        ),
        "websocket": quoted(
            python, "-m", "daphne",
            "--bind", "127.0.0.1",
            "--port", str(ports.websocket),
            "project.asgi:application",
        ),
        "worker": quoted(python, "manage.py", "rqworker", "default", "--with-scheduler"),
    }  # fmt: skip
    socket_path = run_dir / "supervisor.sock"
    password = secrets.token_urlsafe(24)
    sections = [
        "[supervisord]",
        "nodaemon=true",
        # Ourselves: spares the warning supervisord prints when it runs as root unnamed.
        f"user={pwd.getpwuid(os.getuid()).pw_name}",
        f"directory={literal(base_dir)}",
        f"logfile={literal(run_dir / 'supervisord.log')}",
        "logfile_maxbytes=1MB",
        "logfile_backups=1",
        f"pidfile={literal(run_dir / 'supervisord.pid')}",
        f"childlogdir={literal(run_dir)}",
        "",
        "[unix_http_server]",
        f"file={literal(socket_path)}",
        "chmod=0700",
        "username=run",
        f"password={password}",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{literal(socket_path)}",
        "username=run",
        f"password={password}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    for name in PROGRAMS:
        sections += [
            "",
            f"[program:{name}]",
            f"command={commands[name]}",
            f"directory={literal(base_dir)}",
            "autostart=true",
            # Whatever way it ends, it starts again; only a program that keeps dying within
            # a second of its start is given up on (FATAL) after 5 tries.
            "autorestart=true",
            "startsecs=1",
            "startretries=5",
            # Stop (and kill, when it lingers) the whole process group: gunicorn's workers,
            # the RQ worker's work horse.
            "stopasgroup=true",
            "killasgroup=true",
            "stopwaitsecs=10",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
    return "\n".join(sections) + "\n"


def mail_destination() -> str:
    """Where account mail (verification, password reset) goes, for the welcome lines."""
    if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        return f"Mail: written as files under {settings.EMAIL_FILE_PATH}/ (one per message)."
    return f"Mail: sent over SMTP to {settings.EMAIL_HOST}:{settings.EMAIL_PORT} (EMAIL_URL)."


def print_welcome(out: OutputWrapper, ports: Ports) -> None:
    # Imported once django.setup() has run: the command module loads the users app's models.
    from users.management.commands.create_demo_account import demo_credentials_file

    out.write(
        color_style().SUCCESS(
            f"Serving http://127.0.0.1:{ports.http}/ (gunicorn), websockets on port "
            f"{ports.websocket} (daphne), one RQ worker; supervisord restarts any that stops."
        )
    )
    out.write(mail_destination())
    credentials = demo_credentials_file()
    if credentials.exists():
        email, password = credentials.read_text().split()
        out.write(f"Demo account: {email} / {password}  (staff: admin + RQ dashboard)")


def serve(ports: Ports) -> None:
    """supervisord and its programs in the foreground, until it exits or we are stopped."""
    base_dir = Path(settings.BASE_DIR)
    run_dir = base_dir / ".run"
    run_dir.mkdir(exist_ok=True)
    config = run_dir / "supervisord.conf"
    config.touch(mode=0o600)
    config.chmod(0o600)
    config.write_text(
        supervisor_config(base_dir=base_dir, run_dir=run_dir, python=sys.executable, ports=ports)
    )
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PORT": str(ports.http),
        "WEBSOCKET_URL": ports.websocket_url,
        "PYTHONUNBUFFERED": "1",
    }
    run_in_foreground(
        [str(Path(bin_dir) / "supervisord"), "--configuration", str(config)],
        env=env,
        cwd=base_dir,
    )


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    out = OutputWrapper(sys.stdout)
    ports = ports_from_environment()
    try:
        check_ports_free(ports)
        redis_process = ensure_redis(out)
    except (PortBusy, RedisUnavailable) as exc:
        OutputWrapper(sys.stderr).write(str(exc))
        return 1
    try:
        call_command("migrate", interactive=False, verbosity=0)
        out.write("Database migrated.")
        call_command("load_demo_data")
        print_welcome(out, ports)
        serve(ports)
    except KeyboardInterrupt:
        out.write("Stopping.")
    finally:
        if redis_process is not None:
            stop_process(redis_process)
            out.write("Stopped the local Redis.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
