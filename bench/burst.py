"""Bursts: 150 requests a second for 10 s of each kind, against `make run` and against the
production topology (nginx in front of gunicorn and daphne, one RQ worker).

    .venv/bin/python bench/burst.py [--rate 150] [--seconds 10] [--users 20] [--count 100]
                                    [--topology both|make-run|nginx]

Each kind is sent open-loop: request i leaves at i/rate seconds whatever the answers before
it (wrk is closed-loop and cannot hold a rate), on a pool of keep-alive connections:
  starts     POST /students/test/ (count=--count) as JSON by --users logged-in users in turn
  searches   GET /students/search/?q=... as those users
  pages      GET / (the cached recipe list), anonymous
Prints per kind: achieved rate (answers / time from the first request to the last answer),
p50/p95/max and the status codes. Then it checks the starts against the database: every
accepted start (202) has exactly one task row, no task row exists without one, and no two
CRUD jobs ran at once. Targets: achieved >= 145/s, only 202/409 for starts and 200
otherwise, p95 <= 250 ms through nginx and <= 500 ms on make run. Exits 1 when one is missed.

`make run` runs in a copy of the project (devtools.run_copy, its own SQLite file, DEBUG on as
a developer has it), on a Redis of the benchmark's own; the nginx topology runs DEBUG off on
a temporary SQLite file. Each topology runs in a process of its own (one Django set-up each).
"""

import argparse
import http.client
import itertools
import json
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.web_stack import (
    UNREACHED_LIMITS,
    Session,
    log_in_users,
    make_workdir,
    prepare_site,
    production_environment,
    setup_django,
    start_redis,
    start_topology,
)
from devtools.processes import free_loopback_port_pair, stop_process

TARGET_ACHIEVED = 145
P95_TARGETS_MS = {"nginx": 250, "make-run": 500}
SEARCH_PREFIXES = ["jo", "an", "mar", "el", "da", "sa", "li", "ro", "ka", "be"]
JOB_END_SECONDS = 300


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=150)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--count", type=int, default=100, help="students per CRUD job")
    parser.add_argument(
        "--topology", choices=["both", "make-run", "nginx"], default="both", help="what to load"
    )
    return parser.parse_args()


class Connections(threading.local):
    """One keep-alive HTTP connection per sending thread."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]):
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                answer = self.connection.getresponse()
                return answer.status, answer.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed meanwhile: once more, anew.
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def burst(url: str, rate: int, seconds: int, make_request) -> dict:
    """Send rate x seconds requests open-loop; collect (status, latency) of each."""
    connections = Connections(url)
    total = rate * seconds
    results: list[tuple[int, float, bytes]] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def send(index: int) -> None:
        method, path, body, headers = make_request(index)
        sent = time.perf_counter()
        try:
            status, content = connections.request(method, path, body, headers)
        except OSError as error:
            status, content = 0, repr(error).encode()
        with lock:
            results.append((status, time.perf_counter() - sent, content))

    with ThreadPoolExecutor(max_workers=200) as pool:
        for index in range(total):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, index)
    elapsed = time.perf_counter() - started
    latencies = sorted(latency * 1000 for _, latency, _ in results)
    return {
        "requests": len(results),
        "achieved": len(results) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": latencies[-1],
        "statuses": dict(Counter(status for status, _, _ in results)),
        "accepted": [
            json.loads(content)["task_id"] for status, _, content in results if status == 202
        ],
    }


def kinds(sessions: list[Session], count: int):
    def start(index: int):
        session = sessions[index % len(sessions)]
        headers = {
            "Cookie": session.cookie,
            "X-CSRFToken": session.csrftoken,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return "POST", "/students/test/", f"count={count}".encode(), headers

    def search(index: int):
        session = sessions[index % len(sessions)]
        query = random.choice(SEARCH_PREFIXES)
        path = f"/students/search/?q={query}"
        return "GET", path, None, {"Cookie": session.cookie, "Accept": "application/json"}

    def page(index: int):
        return "GET", "/", None, {}

    return {"starts": start, "searches": search, "pages": page}


def check_tasks(accepted: list[str], since) -> list[str]:
    """What is wrong with the task rows of the burst's starts (nothing: an empty list)."""
    from users.models import Task

    problems = []
    deadline = time.monotonic() + JOB_END_SECONDS
    rows = Task.objects.filter(kind=Task.Kind.STUDENT_CRUD, created__gte=since)
    while rows.filter(status__in=Task.ACTIVE_STATUSES).exists():
        if time.monotonic() > deadline:
            problems.append("some accepted jobs did not end in time")
            break
        time.sleep(0.5)
    ids = [str(public_id) for public_id in rows.values_list("public_id", flat=True)]
    if sorted(ids) != sorted(accepted):
        problems.append(
            f"{len(accepted)} accepted starts but {len(ids)} task rows "
            f"(missing rows: {len(set(accepted) - set(ids))}, rows without a start: "
            f"{len(set(ids) - set(accepted))}, repeated: {len(accepted) - len(set(accepted))})"
        )
    ran = sorted((task.started, task.finished, task.status) for task in rows.exclude(started=None))
    for (_, previous_end, _), (start, _, _) in itertools.pairwise(ran):
        if previous_end is None or start < previous_end:
            problems.append(
                f"two CRUD jobs ran at once (one started {start}, before {previous_end})"
            )
    failed = rows.filter(status=Task.Status.FAILED).count()
    if failed:
        problems.append(f"{failed} accepted jobs failed")
    return problems


def run_topology(name: str, args: argparse.Namespace) -> dict:
    """Load one topology (in this process); returns its figures and problems."""
    from django.utils import timezone

    workdir = make_workdir(f"bench-burst-{name}-")
    redis_url, redis_process = start_redis(workdir)
    running = None
    topology = None
    try:
        if name == "nginx":
            env = production_environment(workdir, redis_url)
            setup_django(env)
            prepare_site()
            topology = start_topology(env, workdir)
            url = topology.url
        else:
            from devtools.run_copy import (
                copy_project,
                run_command_environment,
                start_run_command,
            )

            directory = copy_project(workdir / "project")
            # One secret key for make run and this process, which writes the sessions.
            env = run_command_environment(
                REDIS_URL=redis_url,
                DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                **UNREACHED_LIMITS,
            )
            running = start_run_command(directory, env, port=free_loopback_port_pair())
            url = running.url
            setup_django(
                {
                    **env,
                    "DJANGO_SETTINGS_MODULE": "project.settings",
                    "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
                }
            )
        sessions = log_in_users(args.users)
        since = timezone.now()
        figures = {}
        for kind, make_request in kinds(sessions, args.count).items():
            figures[kind] = burst(url, args.rate, args.seconds, make_request)
            time.sleep(2)  # let the previous kind's stragglers finish
        problems = check_tasks(figures["starts"]["accepted"], since)
    finally:
        if topology is not None:
            topology.close()
        if running is not None:
            running.stop()
        stop_process(redis_process)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"figures": figures, "problems": problems}


def report(name: str, outcome: dict) -> bool:
    met = True
    for kind, figures in outcome["figures"].items():
        allowed = {202, 409} if kind == "starts" else {200}
        statuses = {int(code): n for code, n in figures["statuses"].items()}
        ok = (
            figures["achieved"] >= TARGET_ACHIEVED
            and figures["p95_ms"] <= P95_TARGETS_MS[name]
            and set(statuses) <= allowed
        )
        met &= ok
        print(
            f"{name:9} {kind:9} achieved {figures['achieved']:6.1f}/s  "
            f"p50 {figures['p50_ms']:7.1f} ms  p95 {figures['p95_ms']:7.1f} ms  "
            f"max {figures['max_ms']:7.1f} ms  statuses {dict(sorted(statuses.items()))}"
            f"{'' if ok else '  <- target missed'}"
        )
    accepted = len(outcome["figures"]["starts"]["accepted"])
    print(f"{name:9} starts    {accepted} accepted; task rows: {outcome['problems'] or 'all good'}")
    return met and not outcome["problems"]


def main() -> int:
    args = parse_args()
    if args.topology != "both":
        print(json.dumps(run_topology(args.topology, args), default=str))
        return 0
    met = True
    for name in ("make-run", "nginx"):
        command = [sys.executable, __file__, "--topology", name]
        for option in ("rate", "seconds", "users", "count"):
            command += [f"--{option}", str(getattr(args, option))]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(result.stdout[-3000:], result.stderr[-3000:])
            return 1
        met &= report(name, json.loads(result.stdout.strip().splitlines()[-1]))
    print("targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
