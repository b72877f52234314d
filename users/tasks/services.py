"""Writes of tasks: the state machine (queued -> running -> finished | failed | cancelled),
the waiting line (`submit_task`, `dispatch_next`) and the live update each transition
publishes to its owner's websockets (`publish_task_update`). What is done to a task from
outside its job is in users.tasks.controls, a running job's progress in users.tasks.progress."""

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from redis.exceptions import RedisError

from users.models import CustomUser, Task
from users.tasks.exceptions import JobQueueUnavailable, TaskAlreadyActive
from users.tasks.kinds import task_kind
from users.tasks.metrics import TASK_UPDATES_PUBLISHED
from users.tasks.selectors import active_task_of, line_head, task_update_message
from users.tasks.updates import task_updates_group

logger = logging.getLogger(__name__)

# A task's public id, as a UUID or its text (RQ job arguments carry text).
TaskId = UUID | str

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
        task_kind(kind).launch(head)
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


def cancel_queued_task(public_id: TaskId, *, message: str) -> Task | None:
    """End a task cancelled while it still waits in line; None once it started or ended."""
    return _move_task(
        public_id,
        Task.Status.CANCELLED,
        from_statuses=(Task.Status.QUEUED,),
        message=message,
        finished=timezone.now(),
    )


def cancel_running_task(public_id: UUID | str, *, message: str) -> Task | None:
    """End a running (or still queued) task cancelled; for the kinds' `cancel`."""
    return _move_task(
        public_id, Task.Status.CANCELLED, message=message[:255], finished=timezone.now()
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


def publish_task_update(task: Task) -> None:
    """Send the task's state to every open websocket of its owner.

    The database row stays the source of truth (pages catch up from it), so a
    channel layer that is down is logged, not raised.
    """
    channel_layer = get_channel_layer()
    if channel_layer is None:
        raise ImproperlyConfigured("CHANNEL_LAYERS has no default layer to publish task updates.")
    try:
        # The layer's type hints take a plain dict, not the TypedDict.
        message = dict(task_update_message(task))
        async_to_sync(channel_layer.group_send)(task_updates_group(task.owner_id), message)
        TASK_UPDATES_PUBLISHED.inc()
    except (RedisError, OSError):
        # Narrow on purpose: a job timeout raised in here must still stop the job.
        logger.warning("Could not publish the update of task %s", task.public_id, exc_info=True)
