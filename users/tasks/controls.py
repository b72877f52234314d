"""What is done to a task from outside its job: its owner or staff cancel it, its owner
starts it again (`cancel_task`, `retry_task`), and a task its job can no longer end (a killed
process, a lost job, staff) is failed through its kind (`interrupt_task`)."""

from uuid import UUID

from users.models import CustomUser, Task
from users.tasks.exceptions import TaskNotCancellable, TaskNotFound, TaskNotRetryable
from users.tasks.kinds import task_kind
from users.tasks.selectors import visible_task
from users.tasks.services import cancel_queued_task, submit_task


def cancel_task(*, user: CustomUser, task_id: UUID | str) -> Task:
    """Cancel a queued or running task (its owner or staff). A queued task is cancelled at
    once; a running one through its kind's `cancel`: its job stops at its next batch
    boundary and what it had written is removed. Raises TaskNotFound, TaskNotCancellable."""
    task = visible_task(user, task_id, staff_too=True)
    if task is None:
        raise TaskNotFound(str(task_id))
    by = "you" if task.owner_id == user.pk else "a staff member"
    cancelled: Task | None = None
    if task.status == Task.Status.QUEUED:
        cancelled = cancel_queued_task(
            task.public_id, message=f"Cancelled by {by} before it started; nothing was changed."
        )
    if cancelled is None and task.status in Task.ACTIVE_STATUSES:
        # Running (or it started meanwhile).
        cancelled = task_kind(task.kind).cancel(task.public_id, f"Cancelled by {by}.")
    if cancelled is None:
        task.refresh_from_db()
        raise TaskNotCancellable(task)
    return cancelled


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


def interrupt_task(task: Task, cause: BaseException, *, error: str = "") -> Task | None:
    """Fail a queued or running task that its job cannot end itself (a killed process, a
    lost job, staff): through its kind's `fail`. Returns the failed task, or None when it
    had already ended."""
    return task_kind(task.kind).fail(task.public_id, cause, error or str(cause))
