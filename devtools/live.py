"""Live servers for tests and benchmarks of several apps: real gunicorn and daphne processes
and real `manage.py rqworker`s."""

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from devtools.processes import free_loopback_port, stop_process, wait_for_http


def start_daphne(env: Mapping[str, str], log_path: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A real daphne serving the ASGI app (HTTP and websockets); returns (url, process)."""
    port = free_loopback_port()
    command = [sys.executable, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(port)]
    return _start_server([*command, "project.asgi:application"], port, env, log_path)


def start_gunicorn(
    env: Mapping[str, str],
    log_path: Path,
    *,
    workers: int | None = 2,
    threads: int | None = 4,
    access_log: bool = True,
    application: str | None = None,
) -> tuple[str, subprocess.Popen[bytes]]:
    """A real gunicorn serving the WSGI app (or `application`, a "module:callable" that
    wraps it) with the production configuration (project/gunicorn_config.py) and `workers`
    x `threads` (None: the configuration's defaults), its access log in `log_path` unless
    `access_log` is off; returns (url, process)."""
    port = free_loopback_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:project.gunicorn_config",
        "--bind", f"127.0.0.1:{port}",
        *(["--access-logfile", "-"] if access_log else []),
        *([application] if application else []),
    ]  # fmt: skip
    sized = dict(env)
    for name, value in (("WEB_CONCURRENCY", workers), ("GUNICORN_THREADS", threads)):
        if value is not None:
            sized[name] = str(value)
    return _start_server(command, port, sized, log_path)


def _start_server(
    command: list[str], port: int, env: Mapping[str, str], log_path: Path
) -> tuple[str, subprocess.Popen[bytes]]:
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", process, timeout=60)
    except Exception:
        stop_process(process)
        raise RuntimeError(f"{command[2]} did not start:\n{log_path.read_text()}") from None
    return url, process


@contextmanager
def rq_worker(
    env: Mapping[str, str], log_path: Path, *extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `manage.py rqworker`, stopped at the end unless a test killed it."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "manage.py", "rqworker", "default", *extra],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            stop_process(process)
