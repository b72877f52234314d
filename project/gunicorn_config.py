"""gunicorn's configuration: the HTTP tier (every request but websockets, which daphne serves).

    gunicorn --config python:project.gunicorn_config --bind HOST:PORT

It lives in the settings package, beside the WSGI and ASGI entry points it serves, because the
production image runs it (devtools/ is not in the image) and `make run` runs the same file.
The address is the caller's (`--bind`): the image binds 0.0.0.0:8000, `make run` 127.0.0.1.

Why these values:
- gthread workers: each process runs a pool of threads, so a slow client (an upload arriving
  at 1 MiB/s, a zip download read slowly) ties up one thread, never a whole process, and idle
  keep-alive connections wait in the worker's poller, not in a thread.
- WEB_CONCURRENCY processes (default: one per CPU this process may run on; the threads
  overlap the waits on Redis and the database), each with GUNICORN_THREADS threads (8).
- Keep-alive longer than nginx's upstream keep-alive (60 s), so that nginx never sends a
  request on a connection gunicorn is closing.
"""

import os
from pathlib import Path


def _positive_int(name: str, default: int) -> int:
    value = int(os.environ.get(name) or default)
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}")
    return value


wsgi_app = "project.wsgi:application"
worker_class = "gthread"
workers = _positive_int("WEB_CONCURRENCY", len(os.sched_getaffinity(0)))
threads = _positive_int("GUNICORN_THREADS", 8)
keepalive = 75
# A worker whose main loop is stuck this long is replaced. gthread's main loop keeps beating
# while its threads serve long requests (uploads, zip downloads), so this does not cut them.
timeout = 30
graceful_timeout = 30
# No runtime control socket: nothing uses it, and two servers on one host would share its path.
control_socket_disable = True
# The heartbeat files on a RAM disk: on a container's overlay filesystem they can stall workers.
if Path("/dev/shm").is_dir():  # noqa: S108 - a directory, not a temporary file name
    worker_tmp_dir = "/dev/shm"  # noqa: S108
