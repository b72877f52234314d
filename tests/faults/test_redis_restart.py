"""Redis stopped mid-job and started again, empty (as a Redis without persistence restarts):
pages stay up, the running job carries on and finishes, the live updates come back and the
queue takes the next job, without an operator."""

import time

import pytest
from websockets.exceptions import ConnectionClosed

from devtools.live import rq_worker, start_daphne
from devtools.processes import free_loopback_port, stop_process
from devtools.redis_server import start_redis_server
from devtools.waiting import wait_until
from students.models import Student
from students.tests.live import post_json, receive_until, session_for, task_socket
from tests.faults.live import get, old_generation, only_these_are_visible, task_status
from users.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

UPDATE_TIMEOUT = 90


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of the test's own (the session's serves every other test)."""
    port = free_loopback_port()
    workdir = tmp_path / "redis"
    server = {"process": start_redis_server(port=port, workdir=workdir)}

    def restart():
        server["process"] = start_redis_server(port=port, workdir=workdir)

    yield f"redis://127.0.0.1:{port}/0", server, restart
    stop_process(server["process"])


def is_terminal(update):
    return update["status"] in ("finished", "failed")


def final_update(base_url, session_key, socket, task_id):
    """The task's final state as an open page gets it: from its socket, or, when the socket
    closed meanwhile, from a new socket and the catch-up read of the status URL."""
    try:
        return receive_until(socket, is_terminal, UPDATE_TIMEOUT)[-1]
    except ConnectionClosed:
        with task_socket(base_url, session_key):
            return wait_until(
                lambda: (
                    (s := task_status(base_url, task_id, session_key))["status"]
                    in ("finished", "failed")
                    and s
                )
            )


def test_redis_restarted_mid_job(fault_env, own_redis, user, tmp_path, heal_time):
    redis_url, redis, restart_redis = own_redis
    env = {**fault_env, "REDIS_URL": redis_url}
    base_url, daphne = start_daphne(env, tmp_path / "daphne.log")
    old = old_generation()
    session_key = session_for(user)
    try:
        with (
            rq_worker(env, tmp_path / "worker.log", "--with-scheduler") as worker,
            task_socket(base_url, session_key) as socket,
        ):
            # Large enough to run on through the whole outage, however fast the machine.
            status, body = post_json(base_url, "/students/test/", {"count": 100_000}, session_key)
            assert status == 202
            receive_until(
                socket, lambda u: u["status"] == "running" and u["progress"] > 0, UPDATE_TIMEOUT
            )
            stop_process(redis["process"])

            # What users see meanwhile: pages answer, health says Redis is down.
            assert get(base_url, "/students/", session_key)[0] == 200
            assert get(base_url, "/healthz")[0] == 503
            time.sleep(2)
            only_these_are_visible(old)
            # Still mid-job: the outage covers the job's running, not only its end.
            assert Task.objects.get(public_id=body["task_id"]).status == Task.Status.RUNNING
            restart_redis()
            back = time.monotonic()
            # Healed when a page's socket gets the running job's updates again (the worker's
            # and daphne's channel layer connections came back).
            with task_socket(base_url, session_key) as resumed:
                receive_until(
                    resumed, lambda u: u.get("task_id") == body["task_id"], UPDATE_TIMEOUT
                )
            heal_time(time.monotonic() - back)

            final = final_update(base_url, session_key, socket, body["task_id"])
            assert (final["task_id"], final["status"]) == (body["task_id"], "finished")
            assert worker.poll() is None  # the worker rode it out
            # The queue takes the next job and the worker runs it.
            with task_socket(base_url, session_key) as fresh:
                again, next_task = post_json(
                    base_url, "/students/test/", {"count": 10}, session_key
                )
                assert again == 202
                done = receive_until(fresh, is_terminal, UPDATE_TIMEOUT)[-1]
            assert (done["task_id"], done["status"]) == (next_task["task_id"], "finished")
            assert get(base_url, "/healthz")[0] == 200
    finally:
        stop_process(daphne)
    assert Student.objects.count() == Student.every_generation.count() == 10
