"""Tasks never wedge: a heartbeat from the process running a task, and the maintenance step
that fails every task that can no longer end by itself.

A queued task whose RQ job no longer exists (a Redis flush, a "delete" in the dashboard) or
ended without running it will never start. A running task whose heartbeat stopped has lost
the process running it: a worker killed outright takes its work horse with it (see
users.tasks.worker), and the heartbeat also stops once the job is past its time limit plus
TASK_TIMEOUT_GRACE_SECONDS. `fail_stalled_tasks` (a step of the periodic maintenance,
core.maintenance) fails them through their kind's `fail`, which publishes the update and
frees the slot; it also asks RQ to stop the job, should any process still run it.
Staff can end a stuck task from the admin (`end_stuck_task`).
"""

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID

import django_rq
from django.conf import settings
from django.utils import timezone
from redis import Redis
from redis.exceptions import RedisError
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from users.models import Task
from users.tasks.controls import interrupt_task
from users.tasks.exceptions import TaskEndedByStaff, TaskStalled

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "app:task-heartbeat:{}"
# A heartbeat lives for this many beats; a missing one is looked at again after
# CONFIRM_BEATS beats (a Redis that restarted or was flushed gets it back within one).
HEARTBEAT_LIFETIME_BEATS = 3
CONFIRM_BEATS = 2
# RQ states of a job that will never run its task.
ENDED_STATUSES = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED)


def queue_connection() -> Redis:
    """The Redis of the task queue, where heartbeats live beside RQ's own records."""
    connection: Redis = django_rq.get_connection(settings.CRUD_JOB_QUEUE)
    return connection


def heartbeat_key(public_id: UUID | str) -> str:
    return HEARTBEAT_KEY.format(public_id)


@contextmanager
def task_heartbeat(public_id: UUID | str, *, deadline: float | None = None) -> Iterator[None]:
    """While the block runs, a thread tells the maintenance every TASK_HEARTBEAT_SECONDS
    that the task's process is alive. Past `deadline` (a time.monotonic() value) plus
    TASK_TIMEOUT_GRACE_SECONDS it stops, so that a job stuck past its time limit is failed
    too. The last beat is left to expire rather than deleted: the job's own failure
    handling, which runs after the block, gets to say what happened first."""
    interval = settings.TASK_HEARTBEAT_SECONDS
    key = heartbeat_key(public_id)
    connection = queue_connection()
    stop = threading.Event()

    def beat() -> bool:
        if (
            deadline is not None
            and time.monotonic() > deadline + settings.TASK_TIMEOUT_GRACE_SECONDS
        ):
            logger.warning("Task %s is past its time limit: its heartbeat stops", public_id)
            return False
        try:
            connection.set(key, "1", ex=max(1, round(interval * HEARTBEAT_LIFETIME_BEATS)))
        except RedisError as exc:
            logger.warning("Could not send the heartbeat of task %s: %s", public_id, exc)
        return True

    def keep_beating() -> None:
        while not stop.wait(interval) and beat():
            pass

    beat()
    thread = threading.Thread(target=keep_beating, name=f"heartbeat-{public_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stalled_tasks() -> list[Task]:
    """Fail every queued or running task that can no longer end by itself; return them."""
    connection = queue_connection()
    beat = settings.TASK_HEARTBEAT_SECONDS
    patience = timedelta(seconds=beat * HEARTBEAT_LIFETIME_BEATS)
    now = timezone.now()
    # Tasks waiting in line have no RQ job yet: only the dispatched head is looked at.
    candidates = list(
        Task.objects.filter(status__in=Task.ACTIVE_STATUSES, dispatched__lt=now - patience)
    )
    silent = []
    failed = []
    for task in candidates:
        if task.status == Task.Status.QUEUED:
            cause = _lost_job(task, connection)
            if cause is not None:
                failed += _interrupt(task, cause, connection)
        elif (
            task.started is not None
            and now - task.started >= patience
            and not connection.exists(heartbeat_key(task.public_id))
        ):
            silent.append(task)
    if silent:
        time.sleep(beat * CONFIRM_BEATS)
        for task in silent:
            if not connection.exists(heartbeat_key(task.public_id)):
                failed += _interrupt(task, _silence_cause(task, connection), connection)
    return failed


def end_stuck_task(task: Task) -> Task | None:
    """Staff end a task that is stuck (the admin's action): it fails at once through its
    kind's `fail` and its job, if any process still runs it, is stopped."""
    ended = interrupt_task(task, TaskEndedByStaff())
    if ended is not None:
        try:
            _stop_job(task.rq_job_id, queue_connection())
        except RedisError as exc:
            logger.warning("Could not ask RQ to stop the job of task %s: %s", task.public_id, exc)
    return ended


def _lost_job(task: Task, connection: Redis) -> TaskStalled | None:
    try:
        job = Job.fetch(task.rq_job_id, connection=connection)
    except NoSuchJobError:
        return TaskStalled("The job was lost from the queue before it started.")
    if job.get_status() in ENDED_STATUSES:
        return TaskStalled("The job ended in the queue before it started.")
    return None


def _silence_cause(task: Task, connection: Redis) -> TaskStalled:
    try:
        timeout = Job.fetch(task.rq_job_id, connection=connection).timeout
    except NoSuchJobError:
        timeout = None
    if timeout and task.started and timezone.now() - task.started > timedelta(seconds=timeout):
        return TaskStalled(f"The job ran past its time limit of {timeout} s and was stopped.")
    return TaskStalled("The worker running the job stopped unexpectedly.")


def _interrupt(task: Task, cause: TaskStalled, connection: Redis) -> list[Task]:
    """Fail one stalled task; a failure here is logged and leaves the others to go on."""
    logger.warning("Task %s is stalled: %s", task.public_id, cause)
    try:
        ended = interrupt_task(task, cause)
        if ended is not None:
            _stop_job(task.rq_job_id, connection)
    except Exception:
        logger.exception("Could not fail the stalled task %s", task.public_id)
        return []
    return [ended] if ended is not None else []


def _stop_job(job_id: str, connection: Redis) -> None:
    """Ask the worker running this job, if any, to kill its work horse."""
    with contextlib.suppress(InvalidJobOperation, NoSuchJobError):  # not running anywhere
        send_stop_job_command(connection, job_id)
