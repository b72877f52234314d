"""/students/test/: the page, the start of the CRUD job and every kind of bad input."""

import django_rq
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from devtools.processes import free_loopback_port
from users.models import Task
from users.tasks.services import create_task

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


def queued_job_ids():
    return django_rq.get_queue("default").get_job_ids()


def test_the_page_explains_the_job_and_offers_n(logged_in):
    response = logged_in.get(reverse("crud_job"))
    assert response.status_code == 200
    assert 'name="count"' in response.text and 'value="10000"' in response.text
    assert 'min="1"' in response.text and 'max="100000"' in response.text
    assert "Read back and verify" in response.text


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.post(reverse("crud_job"), {"count": 10})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Task.objects.exists() and not queued_job_ids()


def test_a_json_client_gets_202_and_the_job_is_enqueued_once_committed(
    logged_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("crud_job"), {"count": 300}, **JSON)
    assert response.status_code == 202
    task = Task.objects.get()
    assert response.json() == {"task_id": str(task.public_id), "status": "queued", "position": 1}
    assert task.owner == user and task.kind == "student_crud" and task.rq_job_id
    assert queued_job_ids() == [task.rq_job_id]
    job = django_rq.get_queue("default").fetch_job(task.rq_job_id)
    assert job.args == (str(task.public_id), 300)
    assert job.timeout == 600
    assert (job.result_ttl, job.failure_ttl) == (86400, 7 * 86400)  # not RQ's default year


def test_a_browser_is_redirected_to_its_tasks(logged_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("crud_job"), {"count": "25"}, follow=True)
    assert response.redirect_chain == [(reverse("task_list"), 302)]
    task = Task.objects.get()
    assert f'data-task-id="{task.public_id}"' in response.text
    assert "Started the CRUD job for 25 students" in response.text


def test_a_second_start_of_ones_own_is_refused_naming_that_task(
    logged_in, user, django_capture_on_commit_callbacks
):
    running = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    with django_capture_on_commit_callbacks(execute=True):
        as_json = logged_in.post(reverse("crud_job"), {"count": 10}, **JSON)
        as_html = logged_in.post(reverse("crud_job"), {"count": 10})
    assert as_json.status_code == 409
    assert as_json.json()["task_id"] == str(running.public_id)
    assert str(running.public_id) in as_json.json()["error"]
    assert as_html.status_code == 409
    assert str(running.public_id) in as_html.text and "already queued" in as_html.text
    assert Task.objects.count() == 1 and not queued_job_ids()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"count": "0"}, "greater than or equal to 1"),
        ({"count": "-1"}, "greater than or equal to 1"),
        ({"count": "100001"}, "less than or equal to 100000"),
        ({"count": "abc"}, "Enter a whole number of students."),
        ({"count": "2.5"}, "Enter a whole number of students."),
        ({}, "Enter how many students to create."),
    ],
)
def test_bad_counts_are_refused_and_nothing_is_enqueued(
    logged_in, data, expected, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        as_json = logged_in.post(reverse("crud_job"), data, **JSON)
        as_html = logged_in.post(reverse("crud_job"), data)
    assert as_json.status_code == 400
    assert expected in as_json.json()["error"]
    assert as_html.status_code == 400
    assert expected in as_html.text
    assert not Task.objects.exists() and not queued_job_ids()


def test_a_post_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("crud_job"), {"count": 10}, **JSON)
    assert response.status_code == 403
    assert not Task.objects.exists() and not queued_job_ids()


@pytest.mark.django_db(transaction=True)
def test_a_queue_that_is_down_fails_the_task_and_frees_the_next_start(logged_in):
    # A real commit here: the enqueue runs when the service's transaction commits.
    unreachable = {
        "default": {"URL": f"redis://127.0.0.1:{free_loopback_port()}/0", "DEFAULT_TIMEOUT": 60}
    }
    with override_settings(RQ_QUEUES=unreachable):
        response = logged_in.post(reverse("crud_job"), {"count": 10}, **JSON)
        as_page = logged_in.post(reverse("crud_job"), {"count": 10})
    assert response.status_code == 503 and response["Retry-After"] == "5"
    failed, failed_too = Task.objects.order_by("created")
    assert response.json() == {
        "error": failed.message,
        "task_id": str(failed.public_id),
        "status": "failed",
    }
    assert "queue is unavailable" in failed.message
    assert as_page.status_code == 503 and as_page["Retry-After"] == "5"
    assert failed_too.message in as_page.text and 'name="count"' in as_page.text  # the form
    assert {failed.status, failed_too.status} == {"failed"}

    response = logged_in.post(reverse("crud_job"), {"count": 10}, **JSON)
    assert response.status_code == 202
    assert queued_job_ids() == [response.json()["task_id"]]
