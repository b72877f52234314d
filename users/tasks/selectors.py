"""Reads of tasks."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import django_rq
from django.db.models import Q, QuerySet
from django.utils import timezone
from rq import Worker

from users.models import CustomUser, Task
from users.tasks.updates import TaskUpdate


def tasks_of(owner: CustomUser) -> QuerySet[Task]:
    return Task.objects.filter(owner=owner).select_related("retry_of")


def task_of(owner: CustomUser, task_id: uuid.UUID | str) -> Task | None:
    """The owner's task with this public id, or None (also for a malformed id)."""
    try:
        public_id = uuid.UUID(str(task_id))
    except ValueError:
        return None
    return Task.objects.filter(owner=owner, public_id=public_id).first()


def visible_task(user: CustomUser, task_id: uuid.UUID | str, *, staff_too: bool) -> Task | None:
    """The user's task with this public id (any user's for staff when `staff_too`), or None
    (also for a malformed id)."""
    if not (staff_too and user.is_staff):
        return task_of(user, task_id)
    try:
        public_id = uuid.UUID(str(task_id))
    except ValueError:
        return None
    return Task.objects.filter(public_id=public_id).first()


def active_task_of(owner: CustomUser, kind: str) -> Task | None:
    """The owner's queued or running task of this kind, if any."""
    return Task.objects.filter(owner=owner, kind=kind, status__in=Task.ACTIVE_STATUSES).first()


def waiting_line(kind: str) -> QuerySet[Task]:
    """The queued tasks of a kind, first come first served."""
    return Task.objects.filter(kind=kind, status=Task.Status.QUEUED).order_by("created", "id")


def line_head(kind: str) -> Task | None:
    return waiting_line(kind).first()


def line_position(task: Task) -> int | None:
    """The task's place in its kind's waiting line (1: runs next), None unless queued."""
    if task.status != Task.Status.QUEUED or task.pk is None:
        return None
    ahead = waiting_line(task.kind).filter(
        Q(created__lt=task.created) | Q(created=task.created, id__lt=task.id)
    )
    return ahead.count() + 1


def eta_seconds(task: Task, *, now: datetime | None = None) -> float | None:
    """Time left of a running task from its measured rate (progress per second so far)."""
    if task.status != Task.Status.RUNNING or task.started is None or not 0 < task.progress < 100:
        return None
    elapsed = ((now or timezone.now()) - task.started).total_seconds()
    return round(max(0.0, elapsed * (100 - task.progress) / task.progress), 1)


def task_update_message(task: Task) -> TaskUpdate:
    """The spec's task JSON, shared by /result/<task_id>/, the websocket and the API."""
    return {
        "type": "task.update",
        "task_id": str(task.public_id),
        "status": task.status,
        "progress": task.progress,
        "message": task.message,
        "result": task.result,
        "position": line_position(task),
        "eta_seconds": eta_seconds(task),
        "retry_of": str(task.retry_of.public_id) if task.retry_of is not None else None,
        "version": task.version,
    }


def task_for_rq_job(rq_job_id: str) -> Task | None:
    return Task.objects.filter(rq_job_id=rq_job_id).first()


def task_is_active(public_id: uuid.UUID | str) -> bool:
    """Whether the task is still queued or running."""
    return Task.objects.filter(public_id=public_id, status__in=Task.ACTIVE_STATUSES).exists()


def task_is_running(public_id: uuid.UUID | str) -> bool:
    return Task.objects.filter(public_id=public_id, status=Task.Status.RUNNING).exists()


def recent_job_runs(limit: int = 20) -> list[Task]:
    """The last jobs that ran and ended, oldest first (the operations page's chart)."""
    ended = Task.objects.filter(
        status__in=Task.TERMINAL_STATUSES, started__isnull=False, finished__isnull=False
    ).order_by("-finished", "-id")[:limit]
    return list(reversed(ended))


@dataclass(frozen=True)
class QueueOverview:
    waiting_tasks: int
    queued_jobs: int
    started_jobs: int
    failed_jobs: int
    scheduled_jobs: int
    workers: dict[str, int]  # by state: busy, idle, suspended...


def queue_overview(queue_name: str) -> QueueOverview:
    """The job queue as RQ sees it, and the tasks waiting in line (may raise RedisError)."""
    queue = django_rq.get_queue(queue_name)
    workers: dict[str, int] = {}
    for worker in Worker.all(queue=queue):
        state = str(worker.get_state())
        workers[state] = workers.get(state, 0) + 1
    return QueueOverview(
        waiting_tasks=Task.objects.filter(status=Task.Status.QUEUED).count(),
        queued_jobs=queue.count,
        started_jobs=queue.started_job_registry.count,
        failed_jobs=queue.failed_job_registry.count,
        scheduled_jobs=queue.scheduled_job_registry.count,
        workers=workers,
    )
