"""Another user's identifier never appears in an answer: a CRUD job start while someone
else's job runs waits in line, and its answer names nothing of theirs (task, progress,
owner); a second start by the same user names only their own task."""

import django_rq
import pytest
from django.urls import reverse
from django.utils import timezone

from users.models import Task
from users.tasks.services import create_task

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_a_start_while_another_users_job_runs_names_nothing_of_theirs(
    logged_in, make_user, django_capture_on_commit_callbacks
):
    running = create_task(owner=make_user("other@example.com"), kind=Task.Kind.STUDENT_CRUD)
    Task.objects.filter(pk=running.pk).update(progress=37, dispatched=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        as_json = logged_in.post(reverse("crud_job"), {"count": 10}, **JSON)
    mine = Task.objects.get(public_id=as_json.json()["task_id"])
    assert as_json.status_code == 202
    assert as_json.json() == {"task_id": str(mine.public_id), "status": "queued", "position": 2}
    as_html = logged_in.get(reverse("task_list"))
    second = logged_in.post(reverse("crud_job"), {"count": 10}, **JSON)
    assert second.status_code == 409 and second.json()["task_id"] == str(mine.public_id)
    for text in (as_json.text, as_html.text, second.text):
        assert str(running.public_id) not in text and "37%" not in text
        assert "other@example.com" not in text
    assert Task.objects.count() == 2
    assert not django_rq.get_queue("default").get_job_ids()  # only the head is enqueued
