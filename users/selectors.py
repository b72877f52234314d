"""Reads of accounts and tasks."""

import uuid
from typing import Any

from django.db.models import QuerySet

from users.models import CustomUser, Task


def task_updates_group(user_id: int) -> str:
    """The channel-layer group every websocket of one user joins."""
    return f"user-{user_id}"


def tasks_of(owner: CustomUser) -> QuerySet[Task]:
    return Task.objects.filter(owner=owner)


def task_of(owner: CustomUser, task_id: uuid.UUID | str) -> Task | None:
    """The owner's task with this public id, or None (also for a malformed id)."""
    try:
        public_id = uuid.UUID(str(task_id))
    except ValueError:
        return None
    return Task.objects.filter(owner=owner, public_id=public_id).first()


def active_task(kind: str) -> Task | None:
    """The queued or running task of this kind, if any."""
    return Task.objects.filter(kind=kind, status__in=Task.ACTIVE_STATUSES).first()


def task_update_message(task: Task) -> dict[str, Any]:
    """The spec's task JSON, shared by /result/<task_id>/ and the websocket."""
    return {
        "type": "task.update",
        "task_id": str(task.public_id),
        "status": task.status,
        "progress": task.progress,
        "message": task.message,
        "result": task.result,
    }


def task_id_for_rq_job(rq_job_id: str) -> uuid.UUID | None:
    return Task.objects.filter(rq_job_id=rq_job_id).values_list("public_id", flat=True).first()
