"""The live generation: only it is visible, switches are atomic, abandoned ones are removed."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from students.crud_cycle import run_crud_cycle
from students.fakes import FakeStudents
from students.generations import (
    GenerationAbandoned,
    begin_generation,
    remove_abandoned_generations,
    settle_failed_task,
    switch_to,
)
from students.jobs import fail_crud_task
from students.models import LiveGeneration, Student
from students.search import index_students, refresh_index, search_students
from students.selectors import student_page
from users.models import Task
from users.tasks.services import create_task, fail_task, start_task

pytestmark = [pytest.mark.engine, pytest.mark.django_db]

migration = importlib.import_module("students.migrations.0005_live_generation_search_outbox")


def live_number():
    return LiveGeneration.objects.get().number


def write_generation(number, size=5, seed=1):
    return Student.every_generation.bulk_create(
        FakeStudents(seed=seed).batch(size, generation=number)
    )


def running_task(user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    return start_task(task.public_id, message="Working")


def test_a_generation_being_written_is_invisible_to_pages_counts_and_search(search_backend):
    old = Student.objects.bulk_create(FakeStudents(seed=2).batch(4))
    index_students(old)
    refresh_index()
    number = begin_generation(task_id=None)
    filling = write_generation(number, size=6)

    assert Student.objects.count() == 4
    assert Student.every_generation.count() == 10
    assert {s.pk for s in student_page().object_list} == {s.pk for s in old}
    hits = {row["id"] for row in search_students(filling[0].last_name).results}
    assert not hits & {s.pk for s in filling}
    assert old[0].pk in {row["id"] for row in search_students(old[0].last_name).results}


def test_a_new_student_joins_the_live_generation():
    begin_generation(task_id=None)
    with transaction.atomic():
        switch_to(LiveGeneration.objects.get().filling)
    student = Student.objects.create(first_name="Ada", last_name="Byron", email="a@x.org", age=36)
    [bulk] = Student.objects.bulk_create(
        [Student(first_name="B", last_name="C", email="b@x.org", age=3)]
    )
    assert student.generation == bulk.generation == live_number() == 1
    assert Student.objects.count() == 2


def test_the_switch_deletes_every_other_generation_at_once():
    write_generation(0, size=3)
    number = begin_generation(task_id=None)
    write_generation(number, size=4)
    with transaction.atomic():
        deleted = switch_to(number)
    assert deleted == 3
    assert live_number() == number
    assert Student.every_generation.count() == Student.objects.count() == 4
    assert LiveGeneration.objects.get().filling is None


def test_a_generation_whose_task_ended_never_goes_live(user):
    write_generation(0, size=3)
    task = running_task(user)
    number = begin_generation(task_id=task.public_id)
    write_generation(number, size=4)
    fail_task(task.public_id, message="Ended by the maintenance.")
    with pytest.raises(GenerationAbandoned, match="has ended"), transaction.atomic():
        switch_to(number)
    assert live_number() == 0
    assert Student.objects.count() == 3


def test_next_job_start_removes_what_abandoned_jobs_left():
    write_generation(0, size=2)
    write_generation(7, size=5)  # a killed job's rows
    number = begin_generation(task_id=None)
    assert number == 8
    assert set(Student.every_generation.values_list("generation", flat=True)) == {0}


def test_the_maintenance_keeps_a_running_jobs_generation_and_removes_others(user):
    write_generation(0, size=2)
    task = running_task(user)
    number = begin_generation(task_id=task.public_id)
    write_generation(number, size=3)
    write_generation(number + 5, size=4)  # left by some earlier, killed job
    assert remove_abandoned_generations() == 4
    assert Student.every_generation.count() == 5

    fail_task(task.public_id, message="The worker stopped.")
    assert remove_abandoned_generations() == 3
    assert Student.every_generation.count() == Student.objects.count() == 2
    assert LiveGeneration.objects.get().filling is None


def test_a_taskless_cycle_is_trusted_for_its_time_limit_only(settings):
    number = begin_generation(task_id=None)
    write_generation(number, size=3)
    assert remove_abandoned_generations() == 0
    LiveGeneration.objects.update(
        filling_started=timezone.now()
        - timedelta(seconds=settings.CRUD_JOB_TIMEOUT + settings.TASK_TIMEOUT_GRACE_SECONDS + 1)
    )
    assert remove_abandoned_generations() == 3


def test_a_failure_before_the_switch_says_the_previous_students_are_in_place(user):
    write_generation(0, size=3)
    task = running_task(user)
    number = begin_generation(task_id=task.public_id)
    write_generation(number, size=4)
    failed = fail_crud_task(task.public_id, RuntimeError("boom"), "Traceback ...")
    assert failed.status == "failed"
    assert (
        "The previous students are still in place (generation 0, 3 students); none of the new "
        "ones were kept." in failed.message
    )
    assert Student.every_generation.count() == 3


def test_a_failure_after_the_switch_says_the_new_students_are_in_place(user):
    write_generation(0, size=3)
    task = running_task(user)
    number = begin_generation(task_id=task.public_id)
    write_generation(number, size=4)
    with transaction.atomic():
        switch_to(number)
    failed = fail_crud_task(task.public_id, RuntimeError("finish_task failed"), "Traceback ...")
    assert f"Its new students are in place (generation {number}, 4 students)." in failed.message
    assert settle_failed_task(task.public_id).switched_by_task


def test_the_cycle_of_a_task_stops_when_the_task_is_ended_from_outside(user):
    write_generation(0, size=3)
    task = running_task(user)

    def ended_meanwhile(progress, message):
        fail_task(task.public_id, message="Ended by staff.")
        raise RuntimeError("the job's progress report finds its task ended")

    with pytest.raises(RuntimeError, match="task ended"):
        run_crud_cycle(30, batch_size=10, on_progress=ended_meanwhile, task_id=task.public_id)
    assert Student.every_generation.count() == Student.objects.count() == 3


@pytest.mark.parametrize(
    ("rows", "finished_generation", "live", "visible"),
    [
        ({0: 2, 3: 4, 4: 5}, 3, 3, 6),  # a finished job's generation, plus students saved since
        ({0: 2, 1: 5}, None, 0, 2),  # the first job was killed: the demo students stay
        ({2: 4, 5: 3}, None, 2, 4),  # no task on record (accounts deleted): the lowest
        ({}, None, 0, 0),
    ],
)
def test_the_migration_points_at_the_generation_that_was_in_service(
    user, rows, finished_generation, live, visible
):
    for number, size in rows.items():
        write_generation(number, size=size, seed=number)
    if finished_generation is not None:
        Task.objects.create(
            owner=user,
            kind=Task.Kind.STUDENT_CRUD,
            rq_job_id="old",
            status="finished",
            finished=timezone.now(),
            result={"generation": finished_generation},
        )
    LiveGeneration.objects.all().delete()
    migration.point_at_the_live_generation(apps, SimpleNamespace(connection=connection))
    assert live_number() == live
    assert Student.objects.count() == visible
