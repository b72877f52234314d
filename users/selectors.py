"""Reads of accounts, sessions and tasks."""

import hashlib
import uuid
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.db.models import QuerySet

from users.models import CustomUser, Task


def task_updates_group(user_id: int) -> str:
    """The channel-layer group every websocket of one user joins."""
    return f"user-{user_id}"


def session_fingerprint(session_key: str) -> str:
    """Names a session in messages to its websockets without carrying the key itself."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def session_is_current(session_key: str | None, user_id: int) -> bool:
    """Whether this session still logs this user in: neither logged out nor expired, the
    account active and its password unchanged since the login (as a request would see it)."""
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    return bool(user.is_authenticated and user.pk == user_id)


def active_account(user_id: int) -> CustomUser | None:
    return CustomUser.objects.filter(pk=user_id, is_active=True).first()


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
        "version": task.version,
    }


def task_for_rq_job(rq_job_id: str) -> Task | None:
    return Task.objects.filter(rq_job_id=rq_job_id).first()


def task_is_active(public_id: uuid.UUID | str) -> bool:
    """Whether the task is still queued or running."""
    return Task.objects.filter(public_id=public_id, status__in=Task.ACTIVE_STATUSES).exists()


def task_is_running(public_id: uuid.UUID | str) -> bool:
    return Task.objects.filter(public_id=public_id, status=Task.Status.RUNNING).exists()
