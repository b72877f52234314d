"""A CRUD job whose work horse, or whose whole worker, is SIGKILLed mid-job, on both search
backends: nothing of the unfinished generation is ever visible, the task ends failed saying
which students are in place, and the next job can start, without an operator."""

import os
import re
import signal
import time

import pytest

from devtools.live import rq_worker
from devtools.waiting import wait_until
from students.models import Student
from students.tests.live import post_json, receive_until, session_for, task_socket
from tests.faults.live import (
    OLD_GENERATION_SIZE,
    children_of,
    is_alive,
    old_generation,
    only_these_are_visible,
    work_horse_of,
)
from users.models import Task

pytestmark = [pytest.mark.engine, pytest.mark.django_db(transaction=True)]

UPDATE_TIMEOUT = 90
IN_PLACE = (
    r"The previous students are still in place \(generation \d+, "
    rf"{OLD_GENERATION_SIZE} students\); none of the new ones were kept\. "
    r"Error id [0-9a-f]{12}\."
)


@pytest.fixture(params=["database", "elasticsearch"])
def worker_env(request, fault_env):
    """The worker's environment on each search backend (the test process searches on the
    same one: the `elasticsearch` fixture points it at the session's node)."""
    if request.param == "elasticsearch":
        return {**fault_env, "ELASTICSEARCH_URL": request.getfixturevalue("elasticsearch")}
    return fault_env


def running_mid_job(socket):
    return receive_until(
        socket, lambda u: u["status"] == "running" and u["progress"] > 0, UPDATE_TIMEOUT
    )


def is_terminal(update):
    return update["status"] in ("finished", "failed")


def test_a_work_horse_killed_mid_job(live_daphne, worker_env, user, tmp_path, heal_time):
    old = old_generation()
    session_key = session_for(user)
    with (
        task_socket(live_daphne, session_key) as socket,
        rq_worker(worker_env, tmp_path / "worker.log", "--with-scheduler") as worker,
    ):
        status, body = post_json(live_daphne, "/students/test/", {"count": 100_000}, session_key)
        assert status == 202
        running_mid_job(socket)
        only_these_are_visible(old)  # the new generation is being written, unseen

        # As the kernel's OOM killer would: the work horse dies, its worker lives on.
        os.kill(work_horse_of(worker.pid), signal.SIGKILL)
        killed = time.monotonic()
        final = receive_until(socket, is_terminal, UPDATE_TIMEOUT)[-1]
        wait_until(lambda: Student.every_generation.count() == len(old))
        again, next_task = post_json(live_daphne, "/students/test/", {"count": 20}, session_key)
        assert again == 202
        heal_time(time.monotonic() - killed)

        assert (final["task_id"], final["status"]) == (body["task_id"], "failed")
        assert re.fullmatch(
            rf"The process running the job was killed \(signal 9\)\. {IN_PLACE}", final["message"]
        )
        only_these_are_visible(old)
        # The worker goes on: the next job replaces the directory.
        done = receive_until(socket, is_terminal, UPDATE_TIMEOUT)[-1]
        assert (done["task_id"], done["status"]) == (next_task["task_id"], "finished")
    assert Student.objects.count() == Student.every_generation.count() == 20


def test_a_worker_killed_mid_job_takes_its_work_horse_along(
    live_daphne, worker_env, user, tmp_path, heal_time
):
    old = old_generation()
    session_key = session_for(user)
    with task_socket(live_daphne, session_key) as socket:
        with rq_worker(worker_env, tmp_path / "worker.log", "--with-scheduler") as worker:
            status, body = post_json(
                live_daphne, "/students/test/", {"count": 100_000}, session_key
            )
            assert status == 202
            running_mid_job(socket)
            horse = work_horse_of(worker.pid)
            children = children_of(worker.pid)  # the horse and RQ's scheduler process
            assert len(children) == 2
            worker.send_signal(signal.SIGKILL)  # nothing gets to run its failure handling
            worker.wait(timeout=30)
        killed = time.monotonic()

        # No orphan keeps writing: the horse (and the scheduler) died with their worker.
        wait_until(lambda: not any(is_alive(pid) for pid in children), timeout=5)
        assert horse in children
        written = Student.every_generation.count()
        time.sleep(1)
        assert Student.every_generation.count() == written
        only_these_are_visible(old)
        busy, _ = post_json(live_daphne, "/students/test/", {"count": 10}, session_key)
        assert busy == 409  # the task still holds the slot until the maintenance finds it

        # What a supervisor does: start the worker again. Its maintenance finds the task
        # silent and fails it.
        with rq_worker(worker_env, tmp_path / "second-worker.log", "--with-scheduler"):
            final = receive_until(socket, is_terminal, UPDATE_TIMEOUT)[-1]
            wait_until(lambda: Student.every_generation.count() == len(old))
            again, _ = post_json(live_daphne, "/students/test/", {"count": 10}, session_key)
            assert again == 202
            heal_time(time.monotonic() - killed)

    assert (final["task_id"], final["status"]) == (body["task_id"], "failed")
    assert re.fullmatch(
        rf"The worker running the job stopped unexpectedly\. {IN_PLACE}", final["message"]
    )
    assert Task.objects.get(public_id=body["task_id"]).error  # the detail, for staff
