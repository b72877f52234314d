"""What the task engine raises: why a task's job must stop, why a task is ended from outside
its job, and why a task cannot move as asked (each a sentence its owner reads)."""

from core.http import ServiceUnavailable
from users.models import Task


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
    """The maintenance found the task wedged (see users.tasks.watchdog)."""


class TaskEndedByStaff(TaskInterrupted):
    def __init__(self) -> None:
        super().__init__("A staff member ended the job.")


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
