"""What bench/web_tier.py and bench/burst.py share: the production topology on this machine
(nginx in front of gunicorn and daphne, an RQ worker) on a temporary SQLite database with the
demo data, DEBUG off, a Redis of its own; logged-in users; and Debian's wrk."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from devtools.live import rq_worker, start_daphne, start_gunicorn  # noqa: E402
from devtools.nginx_server import start_nginx  # noqa: E402
from devtools.processes import free_loopback_port, stop_process  # noqa: E402
from devtools.redis_server import start_redis_server  # noqa: E402

WRK = shutil.which("wrk")
WRK_REPORT = Path(__file__).resolve().parent / "wrk_report.lua"


# The benchmarks measure the servers, not the per-user limits (a few users send thousands of
# starts and searches): the limits still count every request in Redis, and never refuse one.
UNREACHED_LIMITS = {
    "RATE_LIMIT_JOB_START": "1000000/hour",
    "RATE_LIMIT_SEARCH": "1000000/minute",
    "RATE_LIMIT_API": "100000000/hour",
}


def production_environment(workdir: Path, redis_url: str) -> dict[str, str]:
    """The app's environment as in production (DEBUG off), on plain HTTP and loopback."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SESSION_COOKIE_SECURE": "false",
        "DJANGO_CSRF_COOKIE_SECURE": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "DJANGO_MEDIA_ROOT": str(workdir / "media"),
        "REDIS_URL": redis_url,
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **UNREACHED_LIMITS,
    }


@dataclass
class Session:
    """A logged-in user: the cookies a browser would send, and the CSRF token for POSTs."""

    sessionid: str
    csrftoken: str

    @property
    def cookie(self) -> str:
        return f"sessionid={self.sessionid}; csrftoken={self.csrftoken}"


def setup_django(env: dict[str, str]) -> None:
    """This process's Django on the benchmark's database and Redis."""
    import django

    os.environ.update(env)
    django.setup()


def prepare_site() -> None:
    """Migrate, load the demo recipes and students, and collect the static files into
    STATIC_ROOT (`staticfiles/`, as the image does: DEBUG off needs the manifest)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_recipes", verbosity=0)
    call_command("load_demo_students", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def log_in_users(count: int) -> list[Session]:
    """`count` accounts, each with a session in the database and a CSRF secret."""
    from django.test import Client

    from users.models import CustomUser

    sessions = []
    for number in range(count):
        email = f"bench-{number}-{secrets.token_hex(4)}@example.com"
        user = CustomUser.objects.create_user(email, secrets.token_urlsafe(16))
        client = Client()
        client.force_login(user)
        sessions.append(Session(client.cookies["sessionid"].value, secrets.token_hex(16)))
    return sessions


@dataclass
class Topology:
    """nginx (`url`) routing /ws/ to daphne and the rest to gunicorn, and an RQ worker."""

    url: str
    gunicorn_url: str
    daphne_url: str
    stack: ExitStack = field(default_factory=ExitStack)

    def close(self) -> None:
        self.stack.close()


def start_topology(env: dict[str, str], workdir: Path) -> Topology:
    """The production topology with gunicorn's production defaults (WEB_CONCURRENCY: one
    process per CPU, 8 threads each) and nginx with one worker per CPU (as its image)."""
    from django.conf import settings

    stack = ExitStack()
    gunicorn_url, gunicorn = start_gunicorn(
        env, workdir / "gunicorn.log", workers=None, threads=None, access_log=False
    )
    stack.callback(stop_process, gunicorn)
    daphne_url, daphne = start_daphne(env, workdir / "daphne.log")
    stack.callback(stop_process, daphne)
    stack.enter_context(rq_worker(env, workdir / "worker.log", "--with-scheduler"))
    nginx_env = {
        "NGINX_LISTEN_PORT": str(free_loopback_port()),
        "NGINX_HTTP_UPSTREAM": gunicorn_url.removeprefix("http://"),
        "NGINX_WEBSOCKET_UPSTREAM": daphne_url.removeprefix("http://"),
        "NGINX_STATIC_ROOT": str(settings.STATIC_ROOT),
        "NGINX_ENVSUBST_FILTER": "^NGINX_",
    }
    url, nginx = start_nginx(workdir / "nginx", nginx_env, worker_processes="auto")
    stack.callback(stop_process, nginx)
    return Topology(url=url, gunicorn_url=gunicorn_url, daphne_url=daphne_url, stack=stack)


def start_redis(workdir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_loopback_port()
    process = start_redis_server(port=port, workdir=workdir / "redis")
    return f"redis://127.0.0.1:{port}/0", process


def make_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def check_answers_200(url: str, headers: dict[str, str]) -> None:
    """Stop the benchmark unless `url` answers 200 itself (no redirect to a login)."""
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 200 or answer.url != url:
            raise SystemExit(f"{url} answered {answer.status} at {answer.url}")


def run_wrk(
    url: str, *, seconds: int, connections: int, threads: int = 2, headers: dict[str, str]
) -> dict[str, float]:
    """wrk against `url` (closed loop: each connection sends its next request when the
    previous answer is in); returns requests, req/s, p50/p95/max in ms and the number of
    answers with a status of 400 or more (wrk_report.lua)."""
    if WRK is None:
        raise SystemExit("no wrk: make bench-tools")
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    result = subprocess.run(
        [
            WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(WRK_REPORT), *header_args, url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )  # fmt: skip
    report = result.stdout.strip().splitlines()[-1]
    return json.loads(report)
