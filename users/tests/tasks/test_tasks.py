"""Tasks: forward-only statuses, one active task per user and kind, throttled progress,
/result/ pages."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from devtools.processes import free_loopback_port
from users.models import Task
from users.tasks.exceptions import TaskAlreadyActive
from users.tasks.progress import ThrottledProgress, report_task_progress
from users.tasks.services import create_task, fail_task, finish_task, start_task

pytestmark = [pytest.mark.engine, pytest.mark.django_db]

CRUD = Task.Kind.STUDENT_CRUD


def test_a_task_moves_forward_only(user):
    task = create_task(owner=user, kind=CRUD)
    assert task.status == "queued" and task.rq_job_id == str(task.public_id)
    assert finish_task(task.public_id, result={}, message="too early") is None
    assert start_task(task.public_id, message="go").status == "running"
    assert start_task(task.public_id, message="again") is None
    assert report_task_progress(task.public_id, progress=40, message="40%")
    done = finish_task(task.public_id, result={"created": 1}, message="done")
    assert (done.status, done.progress, done.result) == ("finished", 100, {"created": 1})
    assert fail_task(task.public_id, message="late failure") is None
    assert start_task(task.public_id, message="back to running?") is None
    assert not report_task_progress(task.public_id, progress=10, message="late progress")
    task.refresh_from_db()
    assert (task.status, task.progress, task.message) == ("finished", 100, "done")
    assert task.started <= task.finished


def test_a_queued_task_can_fail_and_a_failed_one_stays_failed(user):
    task = create_task(owner=user, kind=CRUD)
    failed = fail_task(task.public_id, message="queue down", error="ConnectionError")
    assert failed.status == "failed" and failed.finished and failed.error == "ConnectionError"
    assert start_task(task.public_id, message="too late") is None


def test_progress_is_clamped_to_0_100(user):
    task = create_task(owner=user, kind=CRUD)
    start_task(task.public_id, message="go")
    report_task_progress(task.public_id, progress=250, message="over")
    task.refresh_from_db()
    assert task.progress == 100


def test_one_active_task_per_user_and_kind(user, make_user):
    first = create_task(owner=user, kind=CRUD)
    with pytest.raises(TaskAlreadyActive) as refused:
        create_task(owner=user, kind=CRUD)
    assert refused.value.task == first
    # Another user's start waits in line instead.
    assert create_task(owner=make_user("bob@example.com"), kind=CRUD).status == "queued"
    start_task(first.public_id, message="go")
    with pytest.raises(TaskAlreadyActive):
        create_task(owner=user, kind=CRUD)
    finish_task(first.public_id, result={}, message="done")
    assert create_task(owner=user, kind=CRUD).status == "queued"


def test_the_database_itself_refuses_a_second_active_task_of_one_user(user, make_user):
    Task.objects.create(owner=user, kind=CRUD, rq_job_id="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(owner=user, kind=CRUD, rq_job_id="b", status="running")
    Task.objects.create(owner=user, kind=CRUD, rq_job_id="c", status="failed")
    Task.objects.create(owner=make_user("bob@example.com"), kind=CRUD, rq_job_id="d")


def test_the_database_itself_refuses_a_second_dispatched_task_of_a_kind(user, make_user):
    now = timezone.now()
    Task.objects.create(owner=user, kind=CRUD, rq_job_id="a", status="running", dispatched=now)
    bob = make_user("bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(owner=bob, kind=CRUD, rq_job_id="b", dispatched=now)
    Task.objects.create(owner=bob, kind=CRUD, rq_job_id="c")


def test_throttled_progress_drops_reports_in_between(user):
    task = create_task(owner=user, kind=CRUD)
    start_task(task.public_id, message="go")
    progress = ThrottledProgress(task.public_id, interval=3600)
    progress(10, "first")
    progress(20, "second")
    task.refresh_from_db()
    assert (task.progress, task.message) == (10, "first")
    unthrottled = ThrottledProgress(task.public_id, interval=0)
    unthrottled(30, "third")
    unthrottled(40, "fourth")
    task.refresh_from_db()
    assert (task.progress, task.message) == (40, "fourth")


@pytest.fixture
def alice_client(client, user):
    client.force_login(user)
    return client


def test_the_result_page_lists_own_tasks_newest_first(alice_client, user, make_user):
    older = Task.objects.create(owner=user, kind=CRUD, rq_job_id="1", status="finished")
    newer = Task.objects.create(owner=user, kind=CRUD, rq_job_id="2", status="failed")
    theirs = Task.objects.create(
        owner=make_user("bob@example.com"), kind=CRUD, rq_job_id="3", status="failed"
    )
    response = alice_client.get(reverse("task_list"))
    assert response.status_code == 200
    text = response.text
    assert text.index(str(newer.public_id)) < text.index(str(older.public_id))
    assert str(theirs.public_id) not in text
    assert 'aria-live="polite"' in text and "js/tasks.js" in text


def test_the_result_page_gives_tasks_js_its_urls(alice_client, user):
    """tasks.js copies no URL: each row names its status URL, the toasts their link."""
    task = Task.objects.create(owner=user, kind=CRUD, rq_job_id="1")
    text = alice_client.get(reverse("task_list")).text
    status_url = reverse("task_detail", args=[task.public_id])
    assert f'data-status-url="{status_url}"' in text
    assert alice_client.get(status_url).json()["task_id"] == str(task.public_id)
    assert f'data-task-list-url="{reverse("task_list")}"' in text


def test_the_result_page_is_paginated(alice_client, user):
    Task.objects.bulk_create(
        Task(owner=user, kind=CRUD, rq_job_id=str(n), status="finished") for n in range(25)
    )
    first = alice_client.get(reverse("task_list"))
    second = alice_client.get(reverse("task_list"), {"page": 2})
    assert first.text.count("data-task-id=") == 20
    assert second.text.count("data-task-id=") == 5
    assert "Page 2 of 2" in second.text
    assert alice_client.get(reverse("task_list"), {"page": "nope"}).status_code == 200


def test_the_task_json_is_for_its_owner_only(alice_client, user, make_user):
    task = create_task(owner=user, kind=CRUD)
    response = alice_client.get(reverse("task_detail", args=[task.public_id]))
    assert response.status_code == 200
    assert response.json() == {
        "type": "task.update",
        "task_id": str(task.public_id),
        "status": "queued",
        "progress": 0,
        "message": "",
        "result": None,
        "position": 1,
        "eta_seconds": None,
        "retry_of": None,
        "version": 0,
    }
    alice_client.force_login(make_user("bob@example.com"))
    assert alice_client.get(reverse("task_detail", args=[task.public_id])).status_code == 404


@pytest.mark.parametrize(
    "forged", ["not-a-uuid", "3f2b8c1e-5d4a-4e6f-9b7c-2a1d0e9f8c7b", "1", "' OR 1=1 --"]
)
def test_a_forged_task_id_is_a_404(alice_client, forged):
    response = alice_client.get(f"/result/{forged}/")
    assert response.status_code == 404
    assert response.json() == {"error": "No such task."}


def test_anonymous_users_see_no_tasks(client, user):
    task = create_task(owner=user, kind=CRUD)
    assert client.get(reverse("task_list")).status_code == 302
    assert client.get(reverse("task_detail", args=[task.public_id])).status_code == 302


def test_tasks_are_read_only_in_the_admin_for_staff(client, make_user, user):
    task = create_task(owner=user, kind=CRUD)
    client.force_login(make_user("staff@example.com", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:users_task_changelist")).status_code == 200
    assert client.get(reverse("admin:users_task_change", args=[task.pk])).status_code == 200
    assert client.get(reverse("admin:users_task_add")).status_code == 403
    client.force_login(user)
    assert client.get(reverse("admin:users_task_changelist")).status_code == 302


def test_a_channel_layer_that_is_down_does_not_stop_the_task(user, settings):
    task = create_task(owner=user, kind=CRUD)
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_loopback_port()}/0"]},
        }
    }
    assert start_task(task.public_id, message="go").status == "running"
    assert report_task_progress(task.public_id, progress=50, message="half")
    task.refresh_from_db()
    assert (task.status, task.progress) == ("running", 50)
