"""Progress of a running task, reported by its job: each report is published live, and one
that finds the task ended from outside (cancelled, failed by the maintenance or staff) tells
the job to stop."""

import time

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from users.models import Task
from users.tasks.exceptions import TaskNoLongerRunning
from users.tasks.services import TaskId, publish_task_update


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
