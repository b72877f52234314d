"""Writes of tasks: the state machine (queued -> running -> finished | failed | cancelled),
the waiting line (`submit_task`, `dispatch_next`), the live updates each transition publishes
to its owner's websockets, what users may do to their tasks (`cancel_task`, `retry_task`) and
how a task that cannot end by itself is failed (`interrupt_task`, with the failure handler its
kind registered)."""

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
from core.http import ServiceUnavailable
from users.metrics import TASK_UPDATES_PUBLISHED
from users.models import CustomUser, Task
from users.selectors import (
    active_task_of,
    line_head,
    task_update_message,
    task_updates_group,
    visible_task,
)

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


class TaskConflict(Exception):
    """A task cannot move as asked (a 409). The message is written for the task's owner: it
    names their own task only; `task` is that task."""

    def __init__(self, task: Task, message: str) -> None:
        self.task = task
        super().__init__(message)

    @property
    def details(self) -> dict[str, str]:
        """What a JSON answer adds beside the message."""
        return {"task_id": str(self.task.public_id), "status": self.task.status}


class TaskAlreadyActive(TaskConflict):
    """The same user already has a task of this kind queued or running (named: their own)."""

    def __init__(self, task: Task) -> None:
        super().__init__(
            task,
            f"Your {task.get_kind_display()} is already {task.status} (task {task.public_id}, "
            f"{task.progress}%); wait for it to end (or cancel it) before starting another.",
        )


class JobQueueUnavailable(ServiceUnavailable):
    """The job queue did not answer when a task's job was to be enqueued: the task is
    recorded failed (a 503 naming it; the user may start or retry it again later)."""

    def __init__(self, task: Task) -> None:
        super().__init__(f"could not enqueue the job of task {task.public_id}")
        self.task = task
        self.user_message = task.message
        self.details = {"task_id": str(task.public_id), "status": task.status}


class TaskNotFound(Exception):
    """No such task for this user: another user's task or a forged id (a 404)."""


class TaskNotCancellable(TaskConflict):
    """The task already ended."""

    def __init__(self, task: Task) -> None:
        super().__init__(
            task, f"This task already ended ({task.status}); there is nothing to cancel."
        )


class TaskNotRetryable(TaskConflict):
    """Only a failed or cancelled task, with the parameters it was started with, can be
    started again."""

    def __init__(self, task: Task) -> None:
        if task.status in Task.RETRYABLE_STATUSES:
            message = (
                "This task was started before retries existed and did not record its "
                "parameters; start a new job instead."
            )
        else:
            message = (
                f"This task is {task.status}: only a failed or cancelled task can be started again."
            )
        super().__init__(task, message)


# How each kind enqueues its RQ job for a dispatched task (registered from AppConfig.ready());
# raises redis.RedisError when the queue does not answer.
Launcher = Callable[[Task], None]
_launchers: dict[str, Launcher] = {}
# How each kind cancels a running task: called with its public id and who cancelled it (a
# sentence), it ends the task cancelled, saying which results are in place.
CancelHandler = Callable[[UUID, str], Task | None]
_cancel_handlers: dict[str, CancelHandler] = {}


def register_launcher(kind: str, launcher: Launcher) -> None:
    _launchers[kind] = launcher


def register_cancel_handler(kind: str, handler: CancelHandler) -> None:
    _cancel_handlers[kind] = handler


# Statuses only move forward: each target lists the statuses it may come from.
ALLOWED_PREVIOUS: dict[str, tuple[str, ...]] = {
    Task.Status.RUNNING: (Task.Status.QUEUED,),
    Task.Status.FINISHED: (Task.Status.RUNNING,),
    Task.Status.FAILED: (Task.Status.QUEUED, Task.Status.RUNNING),
    Task.Status.CANCELLED: (Task.Status.QUEUED, Task.Status.RUNNING),
}


def create_task(
    *,
    owner: CustomUser,
    kind: str,
    message: str = "",
    params: dict[str, Any] | None = None,
    retry_of: Task | None = None,
) -> Task:
    """Create a queued task at the end of its kind's waiting line; raises TaskAlreadyActive
    when the owner already has one of its kind queued or running."""
    task = Task(owner=owner, kind=kind, message=message, params=params or {}, retry_of=retry_of)
    task.rq_job_id = str(task.public_id)
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        own = active_task_of(owner, kind)
        if own is None:
            raise
        raise TaskAlreadyActive(own) from None
    return task


def submit_task(
    *,
    owner: CustomUser,
    kind: str,
    message: str,
    params: dict[str, Any],
    retry_of: Task | None = None,
) -> Task:
    """Put a task in its kind's waiting line and, when it is the head, enqueue its job once
    committed; returns the queued task. Raises TaskAlreadyActive, and JobQueueUnavailable
    when the queue does not answer (the task is recorded failed: it never blocks the line)."""
    # A read first: a burst of second starts by one user must not queue for the database's
    # write lock (SQLite) only to fail; the insert stays the guard against two at once.
    own = active_task_of(owner, kind)
    if own is not None:
        raise TaskAlreadyActive(own)
    with transaction.atomic():
        task = create_task(
            owner=owner, kind=kind, message=message, params=params, retry_of=retry_of
        )
        transaction.on_commit(lambda: dispatch_next(kind, starting=task))
    task.refresh_from_db()
    if task.status == Task.Status.FAILED:
        raise JobQueueUnavailable(task)
    return task


def dispatch_next(kind: str, *, starting: Task | None = None) -> Task | None:
    """Enqueue the job of the head of `kind`'s waiting line unless one is already enqueued
    or running; return the dispatched task. Called when a task is submitted, when one ends,
    and by the periodic maintenance (robust to a lost dispatch). A queue that does not
    answer fails the task being started (`starting`), or leaves a waiting one for the
    maintenance to dispatch again."""
    head = line_head(kind)
    if head is None or head.dispatched is not None:
        return None
    try:
        with transaction.atomic():
            won = Task.objects.filter(
                pk=head.pk, status=Task.Status.QUEUED, dispatched__isnull=True
            ).update(dispatched=timezone.now())
    except IntegrityError:
        return None  # another task of the kind is enqueued or running
    if not won:
        return None
    head.refresh_from_db()
    try:
        _launchers[kind](head)
    except RedisError as error:
        logger.exception("Could not enqueue the job of task %s", head.public_id)
        if starting is not None and starting.pk == head.pk:
            fail_task(
                head.public_id,
                message="The job queue is unavailable; nothing was started. Try again later.",
                error=repr(error),
            )
        else:
            Task.objects.filter(pk=head.pk, status=Task.Status.QUEUED).update(dispatched=None)
        return None
    return head


def dispatch_waiting_lines() -> int:
    """The maintenance step: a dispatch lost to a queue that did not answer is made again,
    so the line moves on; returns how many tasks were dispatched."""
    return sum(dispatch_next(kind) is not None for kind in Task.Kind)


def cancel_task(*, user: CustomUser, task_id: UUID | str) -> Task:
    """Cancel a queued or running task (its owner or staff). A queued task is cancelled at
    once; a running one through its kind's cancel handler: its job stops at its next batch
    boundary and what it had written is removed. Raises TaskNotFound, TaskNotCancellable."""
    task = visible_task(user, task_id, staff_too=True)
    if task is None:
        raise TaskNotFound(str(task_id))
    by = "you" if task.owner_id == user.pk else "a staff member"
    cancelled: Task | None = None
    if task.status == Task.Status.QUEUED:
        cancelled = _move_task(
            task.public_id,
            Task.Status.CANCELLED,
            from_statuses=(Task.Status.QUEUED,),
            message=f"Cancelled by {by} before it started; nothing was changed.",
            finished=timezone.now(),
        )
    if cancelled is None and task.status in Task.ACTIVE_STATUSES:
        # Running (or it started meanwhile).
        handler = _cancel_handlers.get(task.kind)
        if handler is not None:
            cancelled = handler(task.public_id, f"Cancelled by {by}.")
        else:
            cancelled = _move_task(
                task.public_id,
                Task.Status.CANCELLED,
                message=f"Cancelled by {by}.",
                finished=timezone.now(),
            )
    if cancelled is None:
        task.refresh_from_db()
        raise TaskNotCancellable(task)
    return cancelled


def cancel_running_task(public_id: UUID | str, *, message: str) -> Task | None:
    """End a running (or still queued) task cancelled; for the kinds' cancel handlers."""
    return _move_task(
        public_id, Task.Status.CANCELLED, message=message[:255], finished=timezone.now()
    )


def retry_task(*, user: CustomUser, task_id: UUID | str) -> Task:
    """Start a failed or cancelled task of the user's again with the same parameters; the
    new task (returned, in the waiting line) links to the old one. Raises TaskNotFound,
    TaskNotRetryable, TaskAlreadyActive, JobQueueUnavailable."""
    task = visible_task(user, task_id, staff_too=False)
    if task is None:
        raise TaskNotFound(str(task_id))
    if task.status not in Task.RETRYABLE_STATUSES or not task.params:
        raise TaskNotRetryable(task)
    return submit_task(
        owner=user,
        kind=task.kind,
        message=f"Waiting to run again (a retry of task {str(task.public_id)[:8]})",
        params=task.params,
        retry_of=task,
    )


def _move_task(
    public_id: TaskId,
    status: str,
    *,
    from_statuses: tuple[str, ...] | None = None,
    **fields: Any,
) -> Task | None:
    """Conditional UPDATE so that a late or repeated transition can never go backwards.

    Returns the updated task, or None when the task was not in an allowed previous status.
    The update is published once the transaction commits; a task leaving the waiting line
    moves everyone behind it up, and a task that ends lets the next one in line run.
    """
    allowed = from_statuses or ALLOWED_PREVIOUS[status]
    updated = Task.objects.filter(public_id=public_id, status__in=allowed).update(
        status=status, version=F("version") + 1, **fields
    )
    if not updated:
        return None
    task = Task.objects.get(public_id=public_id)
    transaction.on_commit(lambda: publish_task_update(task))
    if status != Task.Status.FINISHED:
        _line_moved(task.kind)
    if status in Task.TERMINAL_STATUSES:
        transaction.on_commit(lambda: dispatch_next(task.kind))
    return task


def _line_moved(kind: str) -> None:
    """Every task still waiting in line gets its new position (a newer version) live."""
    waiting = Task.objects.filter(kind=kind, status=Task.Status.QUEUED)
    if not waiting.update(version=F("version") + 1):
        return
    moved = list(waiting)

    def publish() -> None:
        for task in moved:
            publish_task_update(task)

    transaction.on_commit(publish)


def start_task(public_id: TaskId, *, message: str) -> Task | None:
    now = timezone.now()
    return _move_task(
        public_id, Task.Status.RUNNING, progress=0, message=message, started=now, progressed=now
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
        progress=progress,
        message=message[:255],
        progressed=timezone.now(),
        version=F("version") + 1,
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
        TASK_UPDATES_PUBLISHED.inc()
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
