"""End to end: live daphne, a real RQ worker process and a websocket client (the faults,
killed processes among them, are in tests/faults)."""

import pytest

from devtools.live import rq_worker
from students.models import Student
from students.tests.live import post_json, receive_until, session_for, task_socket
from users.models import Task

pytestmark = [pytest.mark.engine, pytest.mark.django_db(transaction=True)]

# Generous: the machine is shared and slow at times; waits end on events, not on time.
UPDATE_TIMEOUT = 90


def is_terminal(update):
    return update["status"] in ("finished", "failed", "cancelled")


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
    assert set(updates[0]) == {
        "type",
        "task_id",
        "status",
        "progress",
        "message",
        "result",
        "position",
        "eta_seconds",
        "retry_of",
        "version",
    }
    versions = [update["version"] for update in updates]
    assert versions == sorted(set(versions))  # every update newer than the one before
    assert Student.objects.count() == 300
    assert Task.objects.get(public_id=task_id).status == "finished"
