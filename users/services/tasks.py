"""Writes of tasks: the state machine (queued -> running -> finished | failed), the live
updates each transition publishes to its owner's websockets, and how a task that cannot end
by itself is failed (`interrupt_task`, with the failure handler its kind registered)."""

import logging
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from core.errors import report_error
from users.models import CustomUser, Task
from users.selectors import active_task, task_update_message, task_updates_group

logger = logging.getLogger(__name__)

# A task's public id, as a UUID or its text (RQ job arguments carry text).
TaskId = UUID | str


class TaskNoLongerRunning(Exception):
    """The task was ended from outside (the maintenance, staff) while its job still ran:
    the job must stop writing."""


class TaskInterrupted(Exception):
    """Why a task is ended from outside its job; the message is a sentence people read."""


class WorkHorseKilled(TaskInterrupted):
    def __init__(self, signal_number: int | None = None) -> None:
        self.signal_number = signal_number
        signal = f" (signal {signal_number})" if signal_number else ""
        super().__init__(f"The process running the job was killed{signal}.")


class TaskStalled(TaskInterrupted):
    """The maintenance found the task wedged (see users.services.watchdog)."""


class TaskEndedByStaff(TaskInterrupted):
    def __init__(self) -> None:
        super().__init__("A staff member ended the job.")


# Each kind of task may register how a failure is settled (clean-up, a message saying what
# is in place): called with the task's public id, what stopped it and the detail for staff.
FailureHandler = Callable[[UUID, BaseException, str], Task | None]
_failure_handlers: dict[str, FailureHandler] = {}


def register_failure_handler(kind: str, handler: FailureHandler) -> None:
    """Settle the failures of tasks of `kind` with `handler` (from an AppConfig.ready())."""
    _failure_handlers[kind] = handler


def interrupt_task(task: Task, cause: BaseException, *, error: str = "") -> Task | None:
    """Fail a queued or running task that its job cannot end itself (a killed process, a
    lost job, staff): through its kind's failure handler when there is one. Returns the
    failed task, or None when it had already ended."""
    handler = _failure_handlers.get(task.kind)
    if handler is not None:
        return handler(task.public_id, cause, error or str(cause))
    error_id = report_error(f"Task {task.public_id} interrupted: {cause}")
    return fail_task(
        task.public_id,
        message=f"{cause} The task did not finish. Error id {error_id}.",
        error=error or str(cause),
    )


class TaskAlreadyActive(Exception):
    """Another task of the same kind is queued or running."""

    def __init__(self, task: Task) -> None:
        self.task = task
        super().__init__(f"Task {task.public_id} is already {task.status}.")


# Statuses only move forward: each target lists the statuses it may come from.
ALLOWED_PREVIOUS: dict[str, tuple[str, ...]] = {
    Task.Status.RUNNING: (Task.Status.QUEUED,),
    Task.Status.FINISHED: (Task.Status.RUNNING,),
    Task.Status.FAILED: (Task.Status.QUEUED, Task.Status.RUNNING),
}


def create_task(*, owner: CustomUser, kind: str, message: str = "") -> Task:
    """Create a queued task; raises TaskAlreadyActive when one of its kind is queued or running."""
    task = Task(owner=owner, kind=kind, message=message)
    task.rq_job_id = str(task.public_id)
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        running = active_task(kind)
        if running is None:
            raise
        raise TaskAlreadyActive(running) from None
    return task


def _move_task(public_id: TaskId, status: str, **fields: Any) -> Task | None:
    """Conditional UPDATE so that a late or repeated transition can never go backwards.

    Returns the updated task, or None when the task was not in an allowed previous status.
    The update is published once the transaction commits.
    """
    updated = Task.objects.filter(public_id=public_id, status__in=ALLOWED_PREVIOUS[status]).update(
        status=status, version=F("version") + 1, **fields
    )
    if not updated:
        return None
    task = Task.objects.get(public_id=public_id)
    transaction.on_commit(lambda: publish_task_update(task))
    return task


def start_task(public_id: TaskId, *, message: str) -> Task | None:
    return _move_task(
        public_id, Task.Status.RUNNING, progress=0, message=message, started=timezone.now()
    )


def finish_task(public_id: TaskId, *, result: dict[str, Any], message: str) -> Task | None:
    return _move_task(
        public_id,
        Task.Status.FINISHED,
        progress=100,
        message=message,
        result=result,
        finished=timezone.now(),
    )


def fail_task(public_id: TaskId, *, message: str, error: str = "") -> Task | None:
    return _move_task(
        public_id,
        Task.Status.FAILED,
        message=message[:255],
        error=error,
        finished=timezone.now(),
    )


def report_task_progress(public_id: TaskId, *, progress: float, message: str) -> bool:
    """Record the progress of a running task; False when it is no longer running."""
    progress = max(0, min(100, int(progress)))
    updated = Task.objects.filter(public_id=public_id, status=Task.Status.RUNNING).update(
        progress=progress, message=message[:255], version=F("version") + 1
    )
    if updated:
        task = Task.objects.get(public_id=public_id)
        transaction.on_commit(lambda: publish_task_update(task))
    return bool(updated)


def publish_task_update(task: Task) -> None:
    """Send the task's state to every open websocket of its owner.

    The database row stays the source of truth (pages catch up from it), so a
    channel layer that is down is logged, not raised.
    """
    channel_layer = get_channel_layer()
    if channel_layer is None:
        raise ImproperlyConfigured("CHANNEL_LAYERS has no default layer to publish task updates.")
    try:
        async_to_sync(channel_layer.group_send)(
            task_updates_group(task.owner_id), task_update_message(task)
        )
    except (RedisError, OSError):
        # Narrow on purpose: a job timeout raised in here must still stop the job.
        logger.warning("Could not publish the update of task %s", task.public_id, exc_info=True)


class ThrottledProgress:
    """Report progress at most once per `interval` seconds; raise TaskNoLongerRunning when
    the task was ended meanwhile, so that its job stops.

    Reports in between are dropped: the next one carries newer figures, and the
    terminal state is always sent by finish_task or fail_task.
    """

    def __init__(self, public_id: TaskId, *, interval: float = 0.1) -> None:
        self.public_id = public_id
        self.interval = interval
        self.last_sent: float | None = None

    def __call__(self, progress: float, message: str) -> None:
        now = time.monotonic()
        if self.last_sent is not None and now - self.last_sent < self.interval:
            return
        self.last_sent = now
        if not report_task_progress(self.public_id, progress=progress, message=message):
            raise TaskNoLongerRunning(f"Task {self.public_id} is not running any more.")
