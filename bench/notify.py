"""Benchmark of live task updates: 500 users on 500 websockets of a live daphne.

Starts a Redis and a daphne of its own on a fresh SQLite file database, logs in
500 users (one session each), opens one /ws/task/ websocket per user, then
publishes one task update per user through the channel layer, as the worker does
(paced, --rate a second).
Checks that each update reaches its owner and nobody else, and prints the latency
from publish to receipt. Target: p95 <= 100 ms.

    .venv/bin/python bench/notify.py [--users 500]
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from devtools.processes import free_loopback_port, stop_process, wait_for_http  # noqa: E402
from devtools.redis_server import start_redis_server  # noqa: E402

CONNECT_CONCURRENCY = 25
QUIET_SECONDS = 2.0


def make_sessions(count):
    """`count` users, each with a logged-in session (no password hashing: none is needed)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from users.models import CustomUser

    users = []
    for number in range(count):
        user = CustomUser(email=f"listener{number}@example.com")
        user.set_unusable_password()
        users.append(user)
    users = CustomUser.objects.bulk_create(users)
    sessions = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        sessions.append((user, session.session_key))
    return sessions


async def run(url, sessions, rate):
    from channels.layers import get_channel_layer
    from websockets.asyncio.client import connect

    from users.models import Task
    from users.tasks.selectors import task_update_message
    from users.tasks.updates import task_updates_group

    host = url.removeprefix("http://")
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_socket(session_key):
        async with limit:
            return await connect(
                f"ws://{host}/ws/task/",
                origin=url,
                additional_headers={"Cookie": f"sessionid={session_key}"},
                open_timeout=60,
            )

    started = time.perf_counter()
    sockets = await asyncio.gather(*(open_socket(key) for _, key in sessions))
    print(f"connected {len(sockets)} websockets in {time.perf_counter() - started:.1f} s")

    published_at = {}
    received = {index: [] for index in range(len(sockets))}

    async def listen(index, socket):
        async for raw in socket:
            received[index].append((time.perf_counter(), json.loads(raw)))

    listeners = [asyncio.create_task(listen(i, s)) for i, s in enumerate(sockets)]
    layer = get_channel_layer()
    tasks = []
    for user, _ in sessions:
        task = Task(
            owner=user, kind=Task.Kind.STUDENT_CRUD, status="finished", progress=100, message="done"
        )
        task.public_id = uuid.uuid4()
        tasks.append(task)
    # Paced at `rate` updates a second: one CRUD job sends at most 10 a second, and only
    # one runs at a time, so this is far above real traffic.
    publish_started = time.perf_counter()
    for number, task in enumerate(tasks):
        await asyncio.sleep(max(0, publish_started + number / rate - time.perf_counter()))
        message = task_update_message(task)
        published_at[message["task_id"]] = time.perf_counter()
        await layer.group_send(task_updates_group(task.owner_id), message)

    deadline = time.perf_counter() + 60
    while sum(map(len, received.values())) < len(tasks) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(QUIET_SECONDS)  # anything that arrives now went to the wrong socket
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)

    latencies, misdelivered, missing = [], 0, 0
    for index, task in enumerate(tasks):
        messages = received[index]
        own = [(at, m) for at, m in messages if m["task_id"] == str(task.public_id)]
        misdelivered += len(messages) - len(own)
        if not own:
            missing += 1
            continue
        latencies.append((own[0][0] - published_at[str(task.public_id)]) * 1000)
    return latencies, misdelivered, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100, help="updates published per second")
    args = parser.parse_args()

    # One socket per user on each side, plus Redis connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))

    workdir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    redis_port = free_loopback_port()
    redis_process = start_redis_server(port=redis_port, workdir=workdir / "redis")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sessions = make_sessions(args.users)

    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    daphne = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "project.asgi:application",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"{url}/healthz", daphne, timeout=60)
        latencies, misdelivered, missing = asyncio.run(run(url, sessions, args.rate))
    finally:
        stop_process(daphne)
        stop_process(redis_process)

    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    print(
        f"users {args.users}, one update each published at {args.rate:g}/s, "
        f"received by their owner {len(latencies)}"
    )
    print(f"misdelivered {misdelivered}, missing {missing}")
    if latencies:
        print(
            f"latency publish->receipt: median {statistics.median(latencies):.1f} ms, "
            f"p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms"
        )
    ok = not misdelivered and not missing and p95 <= 100
    print(f"target p95 <= 100 ms, each update to its owner only: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
