"""Job control end to end: a live daphne, a real RQ worker process and websocket clients.
Cancelling a running job stops it at a batch boundary with the previous generation intact
and searchable; three users' starts wait in line and run one after another, each seeing its
position move live."""

import itertools

import pytest

from devtools.live import rq_worker
from devtools.waiting import wait_until
from students.crud_cycle import run_crud_cycle
from students.models import LiveGeneration, Student
from students.search import search_students
from students.tests.live import (
    answer_of,
    csrf_post,
    post_json,
    receive_until,
    session_for,
    task_socket,
)
from users.models import Task

pytestmark = [pytest.mark.engine, pytest.mark.django_db(transaction=True)]

UPDATE_TIMEOUT = 90


def is_terminal(update):
    return update["status"] in ("finished", "failed", "cancelled")


@pytest.fixture
def worker_env(live_server_env):
    # Small batches: many batch boundaries, so a cancel lands in the middle of the job.
    return {**live_server_env, "CRUD_JOB_BATCH_SIZE": "100"}


def test_cancelling_a_running_job_keeps_the_previous_students_and_tells_every_tab(
    live_daphne, worker_env, user, tmp_path
):
    previous = run_crud_cycle(40, seed=7)["generation"]
    known = Student.objects.order_by("id").first()
    session_key = session_for(user)
    with (
        rq_worker(worker_env, tmp_path / "worker.log"),
        task_socket(live_daphne, session_key) as tab_1,
        task_socket(live_daphne, session_key) as tab_2,
    ):
        status, body = post_json(live_daphne, "/students/test/", {"count": 30000}, session_key)
        assert status == 202
        task_id = body["task_id"]
        receive_until(tab_1, lambda update: 0 < update["progress"] < 80, UPDATE_TIMEOUT)
        status, cancelled = answer_of(
            csrf_post(live_daphne, f"/result/{task_id}/cancel/", b"", "text/plain", session_key)
        )
        assert (status, cancelled["status"]) == (202, "cancelled")
        for tab in (tab_1, tab_2):
            final = receive_until(tab, is_terminal, UPDATE_TIMEOUT)[-1]
            assert (final["task_id"], final["status"]) == (task_id, "cancelled")
            assert final["message"] == (
                f"Cancelled by you. The previous students are still in place (generation "
                f"{previous}, 40 students); none of the new ones were kept."
            )
        # The job stops at its next batch boundary and removes what it wrote.
        wait_until(
            lambda: (
                LiveGeneration.objects.get().filling is None
                and Student.every_generation.count() == 40
            )
        )

    assert LiveGeneration.objects.get().number == previous
    assert Student.objects.count() == 40
    assert known.id in [row["id"] for row in search_students(known.last_name).results]
    task = Task.objects.get(public_id=task_id)
    assert task.status == "cancelled" and task.progress < 100
    status, again = answer_of(
        csrf_post(live_daphne, f"/result/{task_id}/cancel/", b"", "text/plain", session_key)
    )
    assert status == 409 and again["status"] == "cancelled"


def test_three_users_wait_in_line_and_run_in_order_with_live_positions(
    live_daphne, worker_env, make_user, tmp_path
):
    users = [make_user(f"{name}@example.com") for name in ("ann", "ben", "cat")]
    sessions = [session_for(user) for user in users]
    with (
        task_socket(live_daphne, sessions[0]) as ann,
        task_socket(live_daphne, sessions[1]) as ben,
        task_socket(live_daphne, sessions[2]) as cat,
    ):
        answers = [
            post_json(live_daphne, "/students/test/", {"count": 300}, session)
            for session in sessions
        ]
        assert [(status, body["position"]) for status, body in answers] == [
            (202, 1),
            (202, 2),
            (202, 3),
        ]
        with rq_worker(worker_env, tmp_path / "worker.log"):
            updates = {
                name: receive_until(socket, is_terminal, UPDATE_TIMEOUT * 2)
                for name, socket in (("ann", ann), ("ben", ben), ("cat", cat))
            }

    def positions(name):
        return [u["position"] for u in updates[name] if u["status"] == "queued"]

    assert positions("ben") == [1]  # ann started: ben is next
    assert positions("cat") == [2, 1]  # ann started, then ben started
    for name in updates:
        assert updates[name][-1]["status"] == "finished"
        assert all(u["position"] is None for u in updates[name] if u["status"] != "queued")
    tasks = [Task.objects.get(public_id=body["task_id"]) for _, body in answers]
    for earlier, later in itertools.pairwise(tasks):
        assert earlier.finished <= later.started  # one after another, first come first served
    assert Student.objects.count() == 300
