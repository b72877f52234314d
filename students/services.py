"""Writes of the student directory.

The CRUD job's cycle (students.crud_cycle) and the demo students (students.demo) live in
modules of their own and are reached from here; this module also starts the job from a
request (`start_crud_job`).
"""

import django_rq
from django.conf import settings
from rq import Callback

from students.crud_cycle import run_crud_cycle
from students.demo import load_demo_students
from users.models import CustomUser, Task
from users.tasks.services import submit_task

__all__ = [
    "enqueue_crud_job",
    "load_demo_students",
    "run_crud_cycle",
    "start_crud_job",
]


def start_crud_job(*, owner: CustomUser, count: int) -> Task:
    """Put a CRUD job of `count` students in the waiting line (its job is enqueued once it
    is the head of the line and committed); returns the queued task with its position.

    Raises TaskAlreadyActive when the owner already has a CRUD task queued or running, and
    JobQueueUnavailable when the queue cannot be reached (the task is recorded failed).
    """
    return submit_task(
        owner=owner,
        kind=Task.Kind.STUDENT_CRUD,
        message=f"Waiting to replace the students with {count} new ones",
        params={"count": count},
    )


def enqueue_crud_job(task: Task) -> None:
    """The launcher of the CRUD kind: enqueue the RQ job of a dispatched task."""
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
