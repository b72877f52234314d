"""End to end: live daphne, real RQ worker processes and a websocket client."""

import os
import signal

import pytest

from devtools.live import rq_worker
from students.models import Student
from students.tests.live import (
    child_pids,
    kill_worker_and_work_horse,
    post_json,
    receive_until,
    session_for,
    task_socket,
)
from users.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

# Generous: the machine is shared and slow at times; waits end on events, not on time.
UPDATE_TIMEOUT = 90
ABANDONED_TIMEOUT = 240


def is_terminal(update):
    return update["status"] in ("finished", "failed")


@pytest.fixture
def worker_env(live_server_env):
    # Small batches, so that even a small job reports progress between its phases.
    return {**live_server_env, "CRUD_JOB_BATCH_SIZE": "100"}


def test_a_job_started_over_http_streams_running_progress_finished(
    live_daphne, worker_env, user, tmp_path
):
    session_key = session_for(user)
    with (
        rq_worker(worker_env, tmp_path / "worker.log"),
        task_socket(live_daphne, session_key) as socket,
    ):
        status, body = post_json(live_daphne, "/students/test/", {"count": 300}, session_key)
        assert (status, body["status"]) == (202, "queued")
        updates = receive_until(socket, is_terminal, UPDATE_TIMEOUT)

    task_id = body["task_id"]
    assert {update["task_id"] for update in updates} == {task_id}
    statuses = [update["status"] for update in updates]
    assert statuses[0] == "running" and statuses[-1] == "finished"
    assert set(statuses[1:-1]) <= {"running"}
    progress = [update["progress"] for update in updates]
    assert progress == sorted(progress)
    assert any(0 < value < 100 for value in progress)
    final = updates[-1]
    assert final["progress"] == 100
    assert final["result"]["created"] == final["result"]["updated"] == 300
    assert set(updates[0]) == {"type", "task_id", "status", "progress", "message", "result"}
    assert Student.objects.count() == 300
    assert Task.objects.get(public_id=task_id).status == "finished"


def test_a_worker_killed_mid_job_ends_failed_and_frees_the_next_start(
    live_daphne, worker_env, user, tmp_path
):
    # Short heartbeats and maintenance runs: the registry clean-up finds the job about
    # 61 s after the kill instead of many minutes.
    env = {**worker_env, "RQ_JOB_MONITORING_INTERVAL": "1", "RQ_MAINTENANCE_INTERVAL": "2"}
    previous = Student.objects.bulk_create(
        Student(first_name="Old", last_name=f"Student{n}", email=f"old{n}@example.com", age=30)
        for n in range(50)
    )
    session_key = session_for(user)
    with task_socket(live_daphne, session_key) as socket:
        with rq_worker(env, tmp_path / "first-worker.log") as worker:
            status, body = post_json(
                live_daphne, "/students/test/", {"count": 100_000}, session_key
            )
            assert status == 202
            receive_until(
                socket, lambda u: u["status"] == "running" and u["progress"] > 0, UPDATE_TIMEOUT
            )
            kill_worker_and_work_horse(worker)

        status, busy = post_json(live_daphne, "/students/test/", {"count": 10}, session_key)
        assert status == 409 and busy["task_id"] == body["task_id"]

        with rq_worker(env, tmp_path / "second-worker.log"):
            updates = receive_until(socket, is_terminal, ABANDONED_TIMEOUT)

    final = updates[-1]
    assert final["task_id"] == body["task_id"]
    assert final["status"] == "failed"
    assert "worker running the job stopped unexpectedly" in final["message"]
    task = Task.objects.get(public_id=body["task_id"])
    assert task.status == "failed" and "AbandonedJobError" in task.error
    old_ids = {student.id for student in previous}
    assert old_ids <= set(Student.objects.values_list("id", flat=True))

    status, _ = post_json(live_daphne, "/students/test/", {"count": 10}, session_key)
    assert status == 202


def test_a_work_horse_killed_under_its_worker_fails_the_task_at_once(
    live_daphne, worker_env, user, tmp_path
):
    session_key = session_for(user)
    with (
        task_socket(live_daphne, session_key) as socket,
        rq_worker(worker_env, tmp_path / "worker.log") as worker,
    ):
        status, body = post_json(live_daphne, "/students/test/", {"count": 100_000}, session_key)
        assert status == 202
        receive_until(
            socket, lambda u: u["status"] == "running" and u["progress"] > 0, UPDATE_TIMEOUT
        )
        # As the kernel's OOM killer would: the work horse dies, its worker lives on.
        for pid in child_pids(worker.pid):
            os.kill(pid, signal.SIGKILL)
        updates = receive_until(socket, is_terminal, UPDATE_TIMEOUT)
        assert worker.poll() is None

    final = updates[-1]
    assert (final["task_id"], final["status"]) == (body["task_id"], "failed")
    assert "process running the job was killed (signal 9)" in final["message"]
    status, _ = post_json(live_daphne, "/students/test/", {"count": 10}, session_key)
    assert status == 202
