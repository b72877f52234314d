"""Scale-out with real processes: two HTTP processes (gunicorn), two websocket processes
(daphne) and two RQ workers sharing one Redis and one PostgreSQL. A job started through HTTP
process B and run by worker B reaches, update by update, a websocket on daphne A (and the
same updates a websocket on daphne B): the tiers share nothing but the backing services."""

import http.cookiejar
import json
import time
import urllib.request
from contextlib import ExitStack

import pytest
from redis import Redis
from rq import Worker
from rq.job import Job
from websockets.sync.client import connect as websocket_connect

from devtools.live import rq_worker, start_daphne, start_gunicorn
from devtools.processes import stop_process
from users.models import Task

pytestmark = [pytest.mark.database("postgresql"), pytest.mark.django_db(transaction=True)]
JOB_SECONDS = 60
MAX_JOBS = 6


def wait_for_workers(redis_url, names, timeout=60):
    """Until RQ workers of these names are registered (listening on their queue)."""
    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while not names <= {worker.name for worker in Worker.all(connection=connection)}:
        assert time.monotonic() < deadline, f"RQ workers {names} did not start"
        time.sleep(0.2)


@pytest.fixture
def tiers(live_server_env, redis_server, tmp_path):
    """Two of each tier; yields their URLs (gunicorn A and B, daphne A and B)."""
    with ExitStack() as stack:
        urls = {}
        for name in ("a", "b"):
            url, process = start_gunicorn(
                live_server_env, tmp_path / f"gunicorn-{name}.log", workers=1, threads=4
            )
            stack.callback(stop_process, process)
            urls[f"http_{name}"] = url
            url, process = start_daphne(live_server_env, tmp_path / f"daphne-{name}.log")
            stack.callback(stop_process, process)
            urls[f"daphne_{name}"] = url
            stack.enter_context(
                rq_worker(live_server_env, tmp_path / f"worker-{name}.log", f"--name=worker-{name}")
            )
        wait_for_workers(redis_server, {"worker-a", "worker-b"})
        yield urls


def start_job(http_url, session_cookie):
    """POST /students/test/ through one HTTP process, as a JSON client with the session."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    request = urllib.request.Request(f"{http_url}/students/test/", headers=session_cookie)
    opener.open(request, timeout=30).close()
    csrf = next(cookie.value for cookie in cookies if cookie.name == "csrftoken")
    request = urllib.request.Request(
        f"{http_url}/students/test/",
        data=b"count=50",
        headers={
            **session_cookie,
            "Cookie": f"{session_cookie['Cookie']}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with opener.open(request, timeout=30) as answer:
        assert answer.status == 202
        return json.load(answer)["task_id"]


def updates_until_the_end(socket, task_id):
    """Every message of `task_id` on this socket until its final one."""
    messages = []
    deadline = time.monotonic() + JOB_SECONDS
    while not messages or messages[-1]["status"] not in ("finished", "failed"):
        message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["task_id"] == task_id:
            messages.append(message)
    return messages


def test_a_socket_on_daphne_a_gets_every_update_of_a_job_from_http_b_run_by_worker_b(
    tiers, client, user, redis_server
):
    client.force_login(user)
    session = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    sockets = {
        name: websocket_connect(
            tiers[name].replace("http://", "ws://") + "/ws/task/",
            origin=tiers[name],
            additional_headers=session,
            open_timeout=30,
        )
        for name in ("daphne_a", "daphne_b")
    }
    with sockets["daphne_a"] as on_a, sockets["daphne_b"] as on_b:
        workers = set()
        # Both workers wait on the one queue and Redis hands each job to the one that has
        # waited longest, so B's turn comes within a few jobs.
        for _ in range(MAX_JOBS):
            task_id = start_job(tiers["http_b"], session)
            seen_on_a = updates_until_the_end(on_a, task_id)
            seen_on_b = updates_until_the_end(on_b, task_id)
            task = Task.objects.get(public_id=task_id)
            job = Job.fetch(task.rq_job_id, connection=Redis.from_url(redis_server))
            workers.add(job.worker_name)
            if job.worker_name == "worker-b":
                break
        else:
            pytest.fail(f"worker B ran none of {MAX_JOBS} jobs (ran by {workers})")

    assert task.status == Task.Status.FINISHED
    # Every update reached both daphnes, in order: running, progress, then finished.
    assert seen_on_a == seen_on_b
    assert seen_on_a[0]["status"] == "running"
    assert seen_on_a[-1] == {**seen_on_a[-1], "status": "finished", "progress": 100}
    assert seen_on_a[-1]["result"] == task.result
    progress = [message["progress"] for message in seen_on_a]
    assert progress == sorted(progress)
    assert len(seen_on_a) >= 3
