"""The student CRUD job as a kind of task (`STUDENT_CRUD`, which StudentsConfig registers
with the task engine): enqueuing it, its RQ entry points, cancelling it and its failure
handling.

Every way a job can end badly reaches `fail_crud_task`: an exception or a job timeout in
the job calls the `on_failure` callback; a work horse killed under a living worker calls
the worker's work-horse-killed handler (users.tasks.worker); a job that RQ lost, a worker that
stopped sending heartbeats and a job past its time limit are found by the periodic
maintenance (users.tasks.watchdog); staff can end a stuck task from the admin. All but the
first go through the kind's `fail` (users.tasks.controls.interrupt_task).

People read the task's message: what happened in plain words, which students are in place,
and an error id; the detail (the traceback) is logged under that id and kept in the task's
`error` field, which only staff see.
"""

import logging
import time
import traceback as traceback_module
from types import TracebackType
from typing import Any
from uuid import UUID

import django_rq
from django.conf import settings
from django.db import DatabaseError, transaction
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from core.errors import report_error
from students.crud_cycle import SERIAL_PHASES, drop_interrupted_connection, run_crud_cycle
from students.generations import Directory, GenerationAbandoned, settle_failed_task
from students.metrics import record_crud_job_phases
from students.search import ENGINE_ERRORS, SearchUnavailable
from users.models import Task
from users.tasks.exceptions import TaskInterrupted, TaskNoLongerRunning
from users.tasks.kinds import TaskKind
from users.tasks.progress import ThrottledProgress
from users.tasks.selectors import task_is_running
from users.tasks.services import cancel_running_task, fail_task, finish_task, start_task
from users.tasks.watchdog import task_heartbeat

logger = logging.getLogger(__name__)


def enqueue_crud_job(task: Task) -> None:
    """Enqueue the RQ job of a dispatched CRUD task (the kind's `launch`)."""
    # Already after the commit: django-rq must not defer it a second time.
    queue = django_rq.get_queue(settings.CRUD_JOB_QUEUE, commit_mode="auto")
    count = task.params["count"]
    queue.enqueue(
        "students.jobs.run_crud_job",
        str(task.public_id),
        count,
        job_id=task.rq_job_id,
        job_timeout=settings.CRUD_JOB_TIMEOUT,
        result_ttl=settings.CRUD_JOB_RESULT_TTL,
        failure_ttl=settings.CRUD_JOB_FAILURE_TTL,
        on_failure=Callback("students.jobs.on_crud_job_failure"),
        description=f"Student CRUD job of {count} for task {task.public_id}",
    )


def run_crud_job(task_id: str, count: int) -> dict[str, Any] | None:
    """Run the full CRUD cycle for the task with this public id."""
    task = start_task(task_id, message=f"Replacing the students with {count} new ones")
    if task is None:
        logger.warning("Task %s is not queued any more; its CRUD job does nothing.", task_id)
        return None
    # RQ's timeout is a signal, and one that lands in a finalizer or weakref callback is
    # swallowed there: the cycle also checks the time limit itself between batches.
    job = get_current_job()
    timeout = job.timeout if job is not None else None
    deadline = time.monotonic() + timeout if timeout is not None and timeout > 0 else None
    try:
        with task_heartbeat(task_id, deadline=deadline):
            result = run_crud_cycle(
                count, on_progress=ThrottledProgress(task_id), deadline=deadline, task_id=task_id
            )
    except (TaskNoLongerRunning, GenerationAbandoned):
        if task_is_running(task_id):
            raise  # the generation was taken from a running job: its task fails
        # Cancelled (or ended by the maintenance or staff) before its switch: the cycle
        # stopped at a batch boundary and removed what it had written; the task says so.
        logger.info("Task %s ended from outside; its CRUD job stopped.", task_id)
        return None
    finished = finish_task(
        task_id,
        result=result,
        message=f"Replaced the students with {count} new ones in {result['total_seconds']} s",
    )
    if finished is not None:
        record_crud_job_phases(result["seconds"])
    return result


def what_happened(cause: BaseException | None, timeout: float | None = None) -> str:
    """The first sentence of a failure message: what stopped the job, in plain words."""
    if isinstance(cause, JobTimeoutException):
        limit = f" of {timeout:g} s" if timeout else ""
        return f"The job ran past its time limit{limit} and was stopped."
    if isinstance(cause, AbandonedJobError):
        return "The worker running the job stopped unexpectedly."
    if isinstance(cause, TaskInterrupted):
        return str(cause)
    if isinstance(cause, (*ENGINE_ERRORS, SearchUnavailable)):
        return "The job failed: the search engine did not answer."
    if isinstance(cause, DatabaseError):
        return "The job failed: the database did not answer."
    if isinstance(cause, RedisError):
        return "The job failed: the job queue did not answer."
    return "The job failed because of an internal error."


def failure_message(
    cause: BaseException | None, directory: Directory, error_id: str, timeout: float | None = None
) -> str:
    """What stopped the job, which students are in place (truthfully: a job can fail after
    its new students went into service) and the error id to quote to support."""
    return f"{what_happened(cause, timeout)} {in_place(directory)} Error id {error_id}."


def in_place(directory: Directory) -> str:
    """Which students are in service, for the message of a task that did not finish."""
    if directory.switched_by_task:
        return (
            f"Its new students are in place (generation {directory.generation}, "
            f"{directory.students} students)."
        )
    return (
        f"The previous students are still in place (generation {directory.generation}, "
        f"{directory.students} students); none of the new ones were kept."
    )


def cancel_crud_task(task_id: UUID | str, by: str) -> Task | None:
    """The kind's `cancel`: the task ends cancelled at once, in the
    transaction that removes the generation its job was writing (under the live generation's
    lock, so its switch either happened before, and the message says so, or never will);
    the job stops at its next batch boundary, when its progress report finds it cancelled."""
    with transaction.atomic():
        directory = settle_failed_task(task_id)
        return cancel_running_task(task_id, message=f"{by} {in_place(directory)}")


def fail_crud_task(
    task_id: UUID | str, cause: BaseException | None, error: str, timeout: float | None = None
) -> Task | None:
    """Fail the task: remove the generation its job was writing, say what is in place.

    The failure, the clean-up and the message are one transaction that holds the live
    generation's lock, so a switch by the same job either happened before (and the message
    says the new students are in place) or never will (it finds the task failed).
    """
    drop_interrupted_connection()
    error_id = report_error(f"The CRUD job of task {task_id} failed:\n{error}")
    with transaction.atomic():
        directory = settle_failed_task(task_id)
        return fail_task(
            task_id, message=failure_message(cause, directory, error_id, timeout), error=error
        )


def on_crud_job_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException],
    exc_value: BaseException,
    traceback: TracebackType | None,
) -> None:
    """RQ's on_failure callback: the task ends failed with a readable message."""
    error = "".join(traceback_module.format_exception(exc_type, exc_value, traceback)).strip()
    fail_crud_task(job.args[0], exc_value, error, timeout=job.timeout)


STUDENT_CRUD = TaskKind(
    name=Task.Kind.STUDENT_CRUD,
    launch=enqueue_crud_job,
    cancel=cancel_crud_task,
    fail=fail_crud_task,
    phases=SERIAL_PHASES,
    phases_note="indexing runs beside them, so it is not stacked",
)
