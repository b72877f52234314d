"""What users do to their tasks: cancel, retry, the waiting line with its positions, the time
left; and every bad input (another user's task, a forged id, an ended task, no CSRF)."""

import re
from datetime import timedelta

import django_rq
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devtools.processes import free_loopback_port
from students.fakes import FakeStudents
from students.generations import begin_generation
from students.models import Student
from students.services import start_crud_job
from users.models import Task
from users.tasks.controls import cancel_task, retry_task
from users.tasks.exceptions import (
    TaskNoLongerRunning,
    TaskNotCancellable,
    TaskNotFound,
    TaskNotRetryable,
)
from users.tasks.progress import ThrottledProgress
from users.tasks.selectors import eta_seconds, line_position, task_update_message
from users.tasks.services import create_task, fail_task, finish_task, start_task

pytestmark = [pytest.mark.engine, pytest.mark.django_db]

JSON = {"HTTP_ACCEPT": "application/json"}


def queued_job_ids():
    return django_rq.get_queue("default").get_job_ids()


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """Start a CRUD job as the web view does, running the after-commit enqueue."""

    def start_as(owner, count=10):
        with django_capture_on_commit_callbacks(execute=True):
            task = start_crud_job(owner=owner, count=count)
        task.refresh_from_db()
        return task

    return start_as


@pytest.fixture
def users(make_user):
    return [make_user(f"{name}@example.com") for name in ("ann", "ben", "cat")]


def client_of(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def cancel_url(task):
    return reverse("task_cancel", args=[task.public_id])


def retry_url(task):
    return reverse("task_retry", args=[task.public_id])


def test_the_waiting_line_is_first_come_first_served_and_only_its_head_is_enqueued(start, users):
    tasks = [start(user) for user in users]
    assert [line_position(task) for task in tasks] == [1, 2, 3]
    assert queued_job_ids() == [tasks[0].rq_job_id]
    assert [task.dispatched is not None for task in tasks] == [True, False, False]
    assert task_update_message(tasks[2])["position"] == 3


def test_each_ending_enqueues_the_next_and_moves_everyone_up_live(
    start, users, django_capture_on_commit_callbacks
):
    first, second, third = (start(user) for user in users)
    with django_capture_on_commit_callbacks(execute=True):
        start_task(first.public_id, message="go")
    second.refresh_from_db()
    third.refresh_from_db()
    assert (line_position(second), line_position(third)) == (1, 2)
    assert second.version == third.version == 1  # the new positions are published
    assert queued_job_ids() == [first.rq_job_id]  # still one run at a time
    with django_capture_on_commit_callbacks(execute=True):
        finish_task(first.public_id, result={}, message="done")
    assert queued_job_ids()[-1] == second.rq_job_id
    with django_capture_on_commit_callbacks(execute=True):
        start_task(second.public_id, message="go")
    third.refresh_from_db()
    assert line_position(third) == 1 and third.version == 2


def test_a_failed_head_lets_the_next_run(start, users, django_capture_on_commit_callbacks):
    first, second = start(users[0]), start(users[1])
    with django_capture_on_commit_callbacks(execute=True):
        fail_task(first.public_id, message="lost")
    second.refresh_from_db()
    assert second.dispatched is not None and second.rq_job_id in queued_job_ids()


def test_a_second_start_by_the_same_user_is_a_409_naming_only_their_task(start, users):
    start(users[0])
    own = start(users[1])
    response = client_of(users[1]).post(reverse("crud_job"), {"count": 5}, **JSON)
    assert response.status_code == 409
    assert response.json()["task_id"] == str(own.public_id)
    assert str(Task.objects.get(owner=users[0]).public_id) not in response.text


def test_another_users_start_waits_in_line_with_its_position(start, users):
    start(users[0])
    response = client_of(users[1]).post(reverse("crud_job"), {"count": 5}, **JSON)
    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["position"] == 2


def test_cancelling_a_queued_task_ends_it_at_once_and_moves_the_line(
    start, users, django_capture_on_commit_callbacks
):
    first, second, third = (start(user) for user in users)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(users[1]).post(cancel_url(second), **JSON)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "cancelled" and body["position"] is None
    assert body["message"] == "Cancelled by you before it started; nothing was changed."
    third.refresh_from_db()
    assert line_position(third) == 2 and third.version == 1
    # The cancelled head's job, already enqueued, does nothing when it runs.
    with django_capture_on_commit_callbacks(execute=True):
        cancel_task(user=users[0], task_id=first.public_id)
    assert start_task(first.public_id, message="go") is None
    third.refresh_from_db()
    assert line_position(third) == 1 and third.rq_job_id in queued_job_ids()


def test_a_browser_cancel_redirects_to_the_task_list(start, users):
    task = start(users[0])
    response = client_of(users[0]).post(cancel_url(task), follow=True)
    assert response.redirect_chain == [(reverse("task_list"), 302)]
    assert f"Cancelled task {task.public_id}." in response.text
    task.refresh_from_db()
    assert task.status == "cancelled"


def test_cancelling_a_running_task_removes_what_its_job_wrote_and_stops_the_job(
    start, users, django_capture_on_commit_callbacks
):
    task = start(users[0])
    start_task(task.public_id, message="go")
    generation = begin_generation(task_id=task.public_id)
    Student.every_generation.bulk_create(FakeStudents(1).batch(30, generation=generation))
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = cancel_task(user=users[0], task_id=task.public_id)
    assert cancelled.status == "cancelled" and cancelled.finished is not None
    assert cancelled.message == (
        "Cancelled by you. The previous students are still in place (generation 0, "
        "0 students); none of the new ones were kept."
    )
    assert not Student.every_generation.filter(generation=generation).exists()
    with pytest.raises(TaskNoLongerRunning):  # the job's next progress report stops it
        ThrottledProgress(task.public_id)(50, "half")


def test_staff_cancel_any_task_and_the_message_says_who(start, users, make_user):
    task = start(users[0])
    staff = make_user("ops@example.com", is_staff=True)
    response = client_of(staff).post(cancel_url(task), **JSON)
    assert response.status_code == 202
    assert response.json()["message"].startswith("Cancelled by a staff member")


def test_cancelling_an_ended_task_is_a_409(start, users):
    task = start(users[0])
    fail_task(task.public_id, message="lost")
    response = client_of(users[0]).post(cancel_url(task), **JSON)
    assert response.status_code == 409
    assert response.json()["status"] == "failed"
    with pytest.raises(TaskNotCancellable):
        cancel_task(user=users[0], task_id=task.public_id)


@pytest.mark.parametrize("action", ["task_cancel", "task_retry"])
def test_another_users_task_is_a_404_and_stays_as_it_is(start, users, action):
    task = start(users[0])
    if action == "task_retry":
        fail_task(task.public_id, message="lost")
    response = client_of(users[1]).post(reverse(action, args=[task.public_id]), **JSON)
    assert response.status_code == 404 and response.json() == {"error": "No such task."}
    assert Task.objects.count() == 1
    assert Task.objects.get().status == ("failed" if action == "task_retry" else "queued")


@pytest.mark.parametrize(
    "forged", ["not-a-uuid", "3f2b8c1e-5d4a-4e6f-9b7c-2a1d0e9f8c7b", "1", "' OR 1=1 --"]
)
def test_a_forged_id_is_a_404(users, forged):
    client = client_of(users[0])
    for action in ("task_cancel", "task_retry"):
        response = client.post(reverse(action, args=[forged]), **JSON)
        assert response.status_code == 404
    with pytest.raises(TaskNotFound):
        cancel_task(user=users[0], task_id=forged)


@pytest.mark.parametrize("action", ["task_cancel", "task_retry"])
def test_a_post_without_csrf_is_refused(start, users, action):
    task = start(users[0])
    fail_task(task.public_id, message="lost")
    client = client_of(users[0], enforce_csrf_checks=True)
    response = client.post(reverse(action, args=[task.public_id]))
    assert response.status_code == 403
    assert Task.objects.count() == 1


def test_get_is_not_a_cancel(start, users):
    task = start(users[0])
    assert client_of(users[0]).get(cancel_url(task)).status_code == 405
    task.refresh_from_db()
    assert task.status == "queued"


def test_retry_starts_the_same_job_again_linked_to_the_old_one(
    start, users, django_capture_on_commit_callbacks
):
    old = start(users[0], count=42)
    fail_task(old.public_id, message="lost")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(users[0]).post(retry_url(old), **JSON)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["retry_of"] == str(old.public_id)
    new = Task.objects.get(public_id=body["task_id"])
    assert new.params == {"count": 42} and new.retry_of == old
    job = django_rq.get_queue("default").fetch_job(new.rq_job_id)
    assert job.args == (str(new.public_id), 42)


def test_a_cancelled_task_can_be_retried_from_the_page(start, users):
    old = start(users[0])
    cancel_task(user=users[0], task_id=old.public_id)
    response = client_of(users[0]).post(retry_url(old), follow=True)
    assert response.redirect_chain == [(reverse("task_list"), 302)]
    assert Task.objects.filter(retry_of=old, status="queued").exists()


def test_retrying_a_task_that_did_not_fail_is_a_409(start, users):
    task = start(users[0])
    client = client_of(users[0])
    assert client.post(retry_url(task), **JSON).status_code == 409  # queued
    start_task(task.public_id, message="go")
    finish_task(task.public_id, result={}, message="done")
    response = client.post(retry_url(task), **JSON)
    assert response.status_code == 409 and response.json()["status"] == "finished"
    with pytest.raises(TaskNotRetryable):
        retry_task(user=users[0], task_id=task.public_id)
    assert Task.objects.count() == 1


def test_a_task_without_its_parameters_cannot_be_retried_and_the_answer_says_why(start, users):
    task = start(users[0])
    fail_task(task.public_id, message="lost")
    Task.objects.filter(pk=task.pk).update(params={})  # as tasks from before retries were
    response = client_of(users[0]).post(retry_url(task), **JSON)
    assert response.status_code == 409
    assert response.json()["status"] == "failed"
    assert "did not record its parameters" in response.json()["error"]
    assert Task.objects.count() == 1


def test_retrying_while_ones_own_task_is_active_is_a_409(start, users):
    old = start(users[0])
    fail_task(old.public_id, message="lost")
    active = start(users[0])
    response = client_of(users[0]).post(retry_url(old), **JSON)
    assert response.status_code == 409 and response.json()["task_id"] == str(active.public_id)
    assert str(old.public_id) not in response.json()["error"]


UNREACHABLE_QUEUE = {
    "default": {"URL": f"redis://127.0.0.1:{free_loopback_port()}/0", "DEFAULT_TIMEOUT": 60}
}


@pytest.mark.django_db(transaction=True)  # the enqueue runs when the retry really commits
def test_a_retry_the_queue_does_not_take_is_a_503_naming_the_new_failed_task(users, settings):
    old = create_task(owner=users[0], kind=Task.Kind.STUDENT_CRUD, params={"count": 10})
    fail_task(old.public_id, message="lost")
    client = client_of(users[0])
    settings.RQ_QUEUES = UNREACHABLE_QUEUE

    as_json = client.post(retry_url(old), **JSON)
    assert as_json.status_code == 503
    assert as_json["Retry-After"] == "5"
    new = Task.objects.get(retry_of=old)
    assert as_json.json() == {
        "error": new.message,
        "task_id": str(new.public_id),
        "status": "failed",
    }
    assert "queue is unavailable" in new.message

    as_page = client.post(retry_url(new))  # the new one failed: it may be retried too
    assert as_page.status_code == 503 and as_page["Retry-After"] == "5"
    assert "queue is unavailable" in as_page.text
    assert Task.objects.filter(status="failed").count() == 3
    assert not Task.objects.filter(status="queued").exists()  # nothing blocks the line


def test_staff_may_not_retry_someone_elses_task(start, users, make_user):
    task = start(users[0])
    fail_task(task.public_id, message="lost")
    staff = make_user("ops@example.com", is_staff=True)
    assert client_of(staff).post(retry_url(task), **JSON).status_code == 404


def test_eta_comes_from_the_measured_rate(start, users):
    task = start(users[0])
    assert eta_seconds(task) is None  # queued
    start_task(task.public_id, message="go")
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(started=now - timedelta(seconds=10), progress=25)
    task.refresh_from_db()
    assert eta_seconds(task, now=now) == 30.0
    assert task_update_message(task)["eta_seconds"] >= 30.0
    Task.objects.filter(pk=task.pk).update(progress=0)
    task.refresh_from_db()
    assert eta_seconds(task) is None  # no rate measured yet


def test_the_result_page_offers_cancel_and_retry_buttons(start, users):
    active = start(users[0])
    response = client_of(users[0]).get(reverse("task_list"))
    assert f'action="{cancel_url(active)}"' in response.text
    cancel_task(user=users[0], task_id=active.public_id)
    response = client_of(users[0]).get(reverse("task_list"))
    assert f'action="{retry_url(active)}"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text


def test_the_operations_page_is_for_staff_only(client, user):
    client.force_login(user)
    assert client.get("/operations/").status_code == 403
    client.logout()
    response = client.get("/operations/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_operations_page_stacks_the_phases_its_kinds_name(start, users, make_user):
    task = start(users[0])
    start_task(task.public_id, message="go")
    seconds = {"create": 0.5, "verify": 0.1, "update": 0.2, "index": 0.4, "delete": 0.3}
    finish_task(task.public_id, result={"count": 10, "seconds": seconds}, message="done")
    response = client_of(make_user("ops@example.com", is_staff=True)).get("/operations/")
    assert response.status_code == 200
    html = response.text
    legend = re.search(r'<p class="chart-legend">(.*?)</p>', html, re.S).group(1)
    assert re.findall(r'<span class="legend bar-(\w+)">\1</span>', legend) == [
        "create",
        "verify",
        "update",
        "delete",
    ]
    assert (
        "Create, verify, update and delete stacked (indexing runs beside them, so it is not "
        "stacked)." in html
    )
    phases = html[html.index('id="chart-phases-title"') : html.index('id="chart-queue-title"')]
    assert re.findall(r'class="chart-bar bar-(\w+)"', phases) == [
        "create",
        "verify",
        "update",
        "delete",
    ]
