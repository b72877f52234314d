"""Tasks never wedge: heartbeats, the maintenance that fails stalled tasks, the killed-horse
handler and the staff action, on the real Redis of the suite."""

import re
import threading
import time
from datetime import timedelta

import django_rq
import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.waiting import wait_until
from students.fakes import FakeStudents
from students.generations import begin_generation
from students.models import Student
from users.models import Task
from users.tasks.services import create_task, start_task
from users.tasks.watchdog import fail_stalled_tasks, heartbeat_key, queue_connection, task_heartbeat
from users.tasks.worker import fail_task_of_killed_work_horse

pytestmark = [pytest.mark.engine, pytest.mark.django_db]

CRUD = Task.Kind.STUDENT_CRUD
ERROR_ID = re.compile(r"Error id [0-9a-f]{12}\.$")


@pytest.fixture(autouse=True)
def quick_beats(settings):
    settings.TASK_HEARTBEAT_SECONDS = 1


def aged(task, seconds=10):
    """As if the task had been created, dispatched (and started) `seconds` ago."""
    earlier = timezone.now() - timedelta(seconds=seconds)
    Task.objects.filter(pk=task.pk).update(
        created=earlier, dispatched=earlier, started=earlier if task.started else None
    )
    task.refresh_from_db()
    return task


def enqueue_for(task, **options):
    return django_rq.get_queue("default", commit_mode="auto").enqueue(
        "students.jobs.run_crud_job", str(task.public_id), 10, job_id=task.rq_job_id, **options
    )


def running(user):
    task = create_task(owner=user, kind=CRUD)
    return start_task(task.public_id, message="Working")


def test_a_queued_task_whose_job_is_gone_is_failed_and_frees_the_slot(user):
    task = create_task(owner=user, kind=CRUD)  # its RQ job never reached Redis
    assert fail_stalled_tasks() == []  # too young to judge: its job may be on its way
    aged(task)
    [failed] = fail_stalled_tasks()
    assert failed.status == "failed"
    assert failed.message.startswith(
        "The job was lost from the queue before it started. The previous students are still "
        "in place (generation 0, 0 students)"
    )
    assert ERROR_ID.search(failed.message)
    assert create_task(owner=user, kind=CRUD).status == "queued"


def test_a_task_waiting_in_line_has_no_job_yet_and_is_left_alone(user, make_user):
    aged(running(make_user("bob@example.com")))
    waiting = create_task(owner=user, kind=CRUD)
    Task.objects.filter(pk=waiting.pk).update(created=timezone.now() - timedelta(seconds=60))
    with_beat = Task.objects.get(status="running")
    queue_connection().set(heartbeat_key(with_beat.public_id), "1", ex=30)
    assert fail_stalled_tasks() == []
    waiting.refresh_from_db()
    assert waiting.status == "queued"


def test_a_queued_task_whose_job_waits_in_the_queue_is_left_alone(user):
    task = aged(create_task(owner=user, kind=CRUD))
    enqueue_for(task)
    assert fail_stalled_tasks() == []


def test_a_queued_task_whose_job_ended_in_the_queue_is_failed(user):
    task = aged(create_task(owner=user, kind=CRUD))
    enqueue_for(task).cancel()
    [failed] = fail_stalled_tasks()
    assert failed.message.startswith("The job ended in the queue before it started.")


def test_a_running_task_with_a_heartbeat_is_left_alone(user):
    task = aged(running(user))
    with task_heartbeat(task.public_id):
        assert fail_stalled_tasks() == []


def test_a_running_task_whose_heartbeat_stopped_is_failed_and_its_rows_removed(user):
    Student.objects.bulk_create(FakeStudents(seed=1).batch(3))
    task = aged(running(user))
    number = begin_generation(task_id=task.public_id)
    Student.every_generation.bulk_create(FakeStudents(seed=2).batch(4, generation=number))

    [failed] = fail_stalled_tasks()
    assert failed.message.startswith(
        "The worker running the job stopped unexpectedly. The previous students are still in "
        "place (generation 0, 3 students); none of the new ones were kept."
    )
    assert Student.every_generation.count() == 3
    assert fail_stalled_tasks() == []  # once


def test_a_heartbeat_back_within_two_beats_saves_the_task(user):
    """A Redis that restarted or was flushed has lost the key until the next beat."""
    task = aged(running(user))
    later = threading.Timer(
        0.5, lambda: queue_connection().set(heartbeat_key(task.public_id), "1", ex=3)
    )
    later.start()
    try:
        assert fail_stalled_tasks() == []
    finally:
        later.join()
    task.refresh_from_db()
    assert task.status == "running"


def test_the_heartbeat_stops_past_the_time_limit_and_the_grace(user, settings):
    settings.TASK_TIMEOUT_GRACE_SECONDS = 0
    key = heartbeat_key("0f0e0d0c-0000-4000-8000-000000000000")
    with task_heartbeat("0f0e0d0c-0000-4000-8000-000000000000", deadline=time.monotonic() + 0.5):
        assert queue_connection().exists(key)
        # The last beat (at 0 s) lives three beats, and no other comes while the job runs on.
        wait_until(lambda: not queue_connection().exists(key), timeout=15)


def test_a_silent_task_past_its_time_limit_says_so(user):
    task = aged(running(user), seconds=30)
    enqueue_for(task, job_timeout=5)
    [failed] = fail_stalled_tasks()
    assert failed.message.startswith("The job ran past its time limit of 5 s and was stopped.")


# Transactional: the handler closes the connections it opened (the worker forks next).
@pytest.mark.django_db(transaction=True)
def test_a_killed_work_horse_fails_its_task_through_its_kinds_handler(user):
    task = running(user)
    job = enqueue_for(task)
    fail_task_of_killed_work_horse(job, 4242, 9, None)  # waitpid's status for SIGKILL
    task.refresh_from_db()
    assert task.status == "failed"
    assert task.message.startswith(
        "The process running the job was killed (signal 9). The previous students are still "
        "in place"
    )
    assert task.error == "Work horse 4242 ended with status 9 (signal 9)."


def test_staff_end_a_stuck_task_from_the_admin(client, make_user, user):
    stuck = running(user)
    done = create_task(owner=make_user("bob@example.com"), kind="other")
    Task.objects.filter(pk=done.pk).update(status="finished")
    client.force_login(make_user("staff@example.com", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:users_task_changelist"),
        {"action": "end_tasks", "_selected_action": [stuck.pk, done.pk]},
        follow=True,
    )
    assert "Ended 1 task(s)." in response.text
    assert "1 task(s) had already ended" in response.text
    stuck.refresh_from_db()
    assert stuck.status == "failed"
    assert stuck.message.startswith("A staff member ended the job.")


def test_the_end_action_is_for_staff_only(client, user):
    task = running(user)
    client.force_login(user)
    response = client.post(
        reverse("admin:users_task_changelist"),
        {"action": "end_tasks", "_selected_action": [task.pk]},
    )
    assert response.status_code == 302  # to the admin's login
    task.refresh_from_db()
    assert task.status == "running"
