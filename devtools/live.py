"""Live servers for tests of several apps: a real daphne and real `manage.py rqworker`s."""

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
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [*command, "project.asgi:application"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", process)
    except Exception:
        stop_process(process)
        raise RuntimeError(f"daphne did not start:\n{log_path.read_text()}") from None
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
