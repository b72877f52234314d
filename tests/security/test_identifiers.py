"""Another user's identifier never appears in an answer: a CRUD job start while someone
else's job runs says so without naming their task, its progress or its owner."""

import django_rq
import pytest
from django.urls import reverse

from users.models import Task
from users.services import create_task

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def test_a_start_while_another_users_job_runs_names_nothing_of_theirs(
    logged_in, make_user, django_capture_on_commit_callbacks
):
    running = create_task(owner=make_user("other@example.com"), kind=Task.Kind.STUDENT_CRUD)
    running.progress = 37
    running.save()
    with django_capture_on_commit_callbacks(execute=True):
        as_json = logged_in.post(reverse("crud_job"), {"count": 10}, **JSON)
        as_html = logged_in.post(reverse("crud_job"), {"count": 10})
    assert as_json.status_code == 409
    assert as_json.json() == {
        "error": "Another user's CRUD job is running; try again when it has ended."
    }
    assert as_html.status_code == 409
    assert "Another user&#x27;s CRUD job is running" in as_html.text
    for text in (as_json.text, as_html.text):
        assert str(running.public_id) not in text and "37%" not in text
        assert "other@example.com" not in text
    assert Task.objects.count() == 1 and not django_rq.get_queue("default").get_job_ids()
