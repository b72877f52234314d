"""The CRUD cycle and its RQ job against the real database, search backend and Redis."""

import re
import time

import django_rq
import pytest
from django.test import override_settings
from rq import Callback, SimpleWorker
from rq.timeouts import JobTimeoutException

from devtools.processes import free_loopback_port
from students import crud_cycle, jobs
from students.crud_cycle import run_crud_cycle
from students.fakes import FakeStudents
from students.generations import GenerationAbandoned
from students.jobs import fail_crud_task, on_crud_job_failure, run_crud_job
from students.models import Student
from students.search import index_students, refresh_index, search_students
from users.models import Task
from users.tasks.controls import cancel_task
from users.tasks.selectors import task_update_message
from users.tasks.services import create_task, start_task

pytestmark = [pytest.mark.engine, pytest.mark.django_db]


def make_generation(size, generation=0):
    students = FakeStudents(seed=7).batch(size, generation=generation)
    return Student.objects.bulk_create(students)


def test_the_cycle_replaces_the_previous_generation(search_backend):
    old = make_generation(30)
    progress = []

    result = run_crud_cycle(250, batch_size=100, on_progress=lambda p, m: progress.append((p, m)))

    students = Student.objects.all()
    assert students.count() == 250
    assert not students.filter(id__in=[s.id for s in old]).exists()
    assert set(students.values_list("generation", flat=True)) == {result["generation"]}
    assert result["created"] == result["verified"] == result["updated"] == 250
    assert result["deleted"] == 30
    assert set(result["seconds"]) == {"create", "verify", "update", "index", "delete"}
    # Indexing runs beside the database work, so only the other phases add up.
    sequential = sum(result["seconds"][phase] for phase in ("create", "verify", "update", "delete"))
    assert result["total_seconds"] >= sequential * 0.99
    # One report per batch of new students, one per batch of removed ones.
    assert [p for p, _ in progress] == [34, 68, 85, 100]


def test_every_new_student_is_updated_once():
    result = run_crud_cycle(120, batch_size=50, seed=3)
    fakes, written = FakeStudents(seed=3), []
    for start in range(0, 120, 50):
        written += fakes.batch(min(50, 120 - start), generation=result["generation"], start=start)
    stored = list(Student.objects.order_by("id").values_list("email", "age"))
    assert stored == [(s.email, s.age + 1) for s in written]


def test_the_new_generation_is_searchable_and_the_old_one_is_not(search_backend):
    old = make_generation(5)
    index_students(old)
    run_crud_cycle(40, batch_size=16)
    newcomer = Student.objects.order_by("id").first()
    found = {r["id"] for r in search_students(newcomer.email.split("@")[0]).results}
    assert newcomer.id in found
    assert not {r["id"] for r in search_students(old[0].email.split("@")[0]).results} & {
        s.id for s in old
    }


@pytest.mark.parametrize("failing_report", [1, 2])
def test_a_failure_leaves_the_previous_generation_intact_and_searchable(
    search_backend, failing_report
):
    old = make_generation(20)
    index_students(old)
    refresh_index()
    before = list(Student.objects.order_by("id").values_list("id", "email", "age"))
    newcomers = []

    reports = []

    def fail_in_phase(progress, message):
        reports.append(progress)
        if len(reports) == failing_report:
            newcomers.extend(
                Student.every_generation.filter(generation=1).values_list("id", "email")
            )
            # Written, yet invisible: the directory is still the previous generation.
            assert Student.objects.count() == len(old)
            assert not {hit["id"] for hit in search_students(newcomers[0][1]).results} & {
                pk for pk, _ in newcomers
            }
            raise RuntimeError(f"broken after {progress}%")

    with pytest.raises(RuntimeError, match="broken"):
        run_crud_cycle(60, batch_size=25, on_progress=fail_in_phase)

    assert list(Student.objects.order_by("id").values_list("id", "email", "age")) == before
    assert Student.every_generation.count() == len(old)  # the unfinished rows are gone
    hits = search_students(old[3].email.split("@")[0]).results
    assert old[3].id in {hit["id"] for hit in hits}
    # The discarded generation is gone from the index too.
    assert newcomers
    for newcomer_id, email in newcomers[:5]:
        assert newcomer_id not in {hit["id"] for hit in search_students(email).results}


@pytest.mark.parametrize("count", [0, -1, 100_001])
def test_the_cycle_refuses_a_count_out_of_range(count):
    with pytest.raises(ValueError, match="between 1 and 100000"):
        run_crud_cycle(count)


def run_queued_jobs():
    """RQ's own worker, in this process (no fork), so the job sees the test's database."""
    queue = django_rq.get_queue("default")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    return queue


def enqueue(task, count, **options):
    return django_rq.get_queue("default", commit_mode="auto").enqueue(
        run_crud_job,
        str(task.public_id),
        count,
        job_id=task.rq_job_id,
        on_failure=Callback(on_crud_job_failure),
        **options,
    )


def test_the_rq_job_runs_the_task_to_finished(user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    enqueue(task, 50)
    run_queued_jobs()
    task.refresh_from_db()
    assert task.status == "finished"
    assert task.progress == 100
    assert task.result["created"] == 50
    assert task.started <= task.finished
    assert Student.objects.count() == 50


def test_an_exception_in_the_job_fails_the_task_with_a_readable_message(user, caplog):
    old = make_generation(10)
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    # An index that Elasticsearch cannot reach: the real client fails to connect.
    with override_settings(
        ELASTICSEARCH_URL=f"http://127.0.0.1:{free_loopback_port()}", ELASTICSEARCH_DSL={}
    ):
        enqueue(task, 30)
        run_queued_jobs()
    task.refresh_from_db()
    assert task.status == "failed"
    error_id = re.fullmatch(
        r"The job failed: the search engine did not answer\. The previous students are still "
        r"in place \(generation 0, 10 students\); none of the new ones were kept\. "
        r"Error id ([0-9a-f]{12})\.",
        task.message,
    )[1]
    assert "127.0.0.1" not in task.message  # no internal detail for people
    assert f"[error id {error_id}]" in caplog.text  # the detail is in the log under that id
    assert "Traceback" in task.error and "ConnectionError" in task.error  # for staff
    assert "error" not in task_update_message(task)
    assert sorted(Student.objects.values_list("id", flat=True)) == sorted(s.id for s in old)


def test_internal_exception_text_never_reaches_the_message(user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    start_task(task.public_id, message="Working")
    failed = fail_crud_task(
        task.public_id, KeyError("students_student.secret_column"), "Traceback: KeyError ..."
    )
    assert failed.message.startswith("The job failed because of an internal error. ")
    assert "secret_column" not in failed.message
    assert failed.error == "Traceback: KeyError ..."


# The timeout's signal can stop the job in the middle of a PostgreSQL query; the job's own
# transaction is then rolled back as in a real worker, which runs without the test's
# enclosing transaction.
@pytest.mark.django_db(transaction=True)
def test_a_job_timeout_fails_the_task(user):
    make_generation(10)
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    enqueue(task, 100_000, job_timeout=1)
    run_queued_jobs()
    task.refresh_from_db()
    assert task.status == "failed"
    assert "time limit of 1 s" in task.message
    assert Student.objects.count() == 10


def test_a_passed_deadline_stops_the_cycle_and_keeps_the_previous_students():
    """The job's own check of its time limit, for a timeout signal that got lost."""
    make_generation(10)
    with pytest.raises(JobTimeoutException):
        run_crud_cycle(100, batch_size=50, deadline=time.monotonic() - 1)
    assert Student.objects.count() == 10
    assert not Student.every_generation.exclude(generation=0).exists()


def test_a_cancel_just_before_the_switch_keeps_the_previous_students(
    user, monkeypatch, settings, caplog
):
    """The cancel lands while the last batch is written, after the job's last check: the
    switch refuses the generation (its task ended), the job stops quietly and the task stays
    cancelled with the previous students in place."""
    settings.CRUD_JOB_BATCH_SIZE = 10
    old = sorted(student.id for student in make_generation(10))
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)

    class CancelledDuringTheLastBatch(jobs.ThrottledProgress):
        def __call__(self, progress, message):
            if message.endswith("indexed 20 of 30"):
                cancel_task(user=user, task_id=task.public_id)
                return  # as a throttled report: the job does not look at its task now
            super().__call__(progress, message)

    monkeypatch.setattr(jobs, "ThrottledProgress", CancelledDuringTheLastBatch)
    assert run_crud_job(str(task.public_id), 30) is None
    task.refresh_from_db()
    assert task.status == "cancelled"
    assert task.message == (
        "Cancelled by you. The previous students are still in place (generation 0, "
        "10 students); none of the new ones were kept."
    )
    assert sorted(Student.every_generation.values_list("id", flat=True)) == old
    assert "Error id" not in caplog.text


def test_a_generation_taken_from_a_running_job_still_fails_it(user, monkeypatch):
    old = make_generation(10)
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)

    def abandoned(generation):
        raise GenerationAbandoned(f"generation {generation} is not being written any more")

    monkeypatch.setattr(crud_cycle, "switch_to", abandoned)
    enqueue(task, 30)
    run_queued_jobs()  # the exception reaches RQ, whose failure callback ends the task
    task.refresh_from_db()
    assert task.status == "failed"
    assert re.fullmatch(
        r"The job failed because of an internal error\. The previous students are still in "
        r"place \(generation 0, 10 students\); none of the new ones were kept\. "
        r"Error id [0-9a-f]{12}\.",
        task.message,
    ), task.message
    assert "GenerationAbandoned" in task.error
    assert sorted(Student.every_generation.values_list("id", flat=True)) == [s.id for s in old]
