"""Writes of the student directory.

The CRUD job's cycle (students.crud_cycle) and the demo students (students.demo) live in
modules of their own and are reached from here; this module also starts the job from a
request (`start_crud_job`).
"""

import logging

import django_rq
import redis
from django.conf import settings
from django.db import transaction
from rq import Callback

from students.crud_cycle import run_crud_cycle
from students.demo import load_demo_students
from users.models import CustomUser, Task
from users.selectors import active_task
from users.services import TaskAlreadyActive, create_task, fail_task

__all__ = [
    "load_demo_students",
    "run_crud_cycle",
    "start_crud_job",
]

logger = logging.getLogger(__name__)


def start_crud_job(*, owner: CustomUser, count: int) -> Task:
    """Create the task and enqueue its RQ job once the task is committed.

    Raises TaskAlreadyActive when a CRUD job is already queued or running. When the
    queue cannot be reached the task is marked failed and returned as such.
    """
    # A read first: under a burst of starts nearly all of them find a job active, and a
    # write transaction would queue each of them for the database's one write lock (SQLite)
    # only to fail. The insert below stays the guard against two starts at once.
    running = active_task(Task.Kind.STUDENT_CRUD)
    if running is not None:
        raise TaskAlreadyActive(running)
    with transaction.atomic():
        task = create_task(
            owner=owner,
            kind=Task.Kind.STUDENT_CRUD,
            message=f"Waiting for a worker to replace the students with {count} new ones",
        )

        def enqueue() -> None:
            try:
                # Already after the commit: django-rq must not defer it a second time.
                queue = django_rq.get_queue(settings.CRUD_JOB_QUEUE, commit_mode="auto")
                queue.enqueue(
                    "students.jobs.run_crud_job",
                    str(task.public_id),
                    count,
                    job_id=task.rq_job_id,
                    job_timeout=settings.CRUD_JOB_TIMEOUT,
                    on_failure=Callback("students.jobs.on_crud_job_failure"),
                    description=f"Student CRUD job of {count} for task {task.public_id}",
                )
            except redis.RedisError as error:
                logger.exception("Could not enqueue the CRUD job of task %s", task.public_id)
                fail_task(
                    task.public_id,
                    message="The job queue is unavailable; nothing was started. Try again later.",
                    error=repr(error),
                )

        transaction.on_commit(enqueue)
    task.refresh_from_db()
    return task
