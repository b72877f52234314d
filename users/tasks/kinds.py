"""Kinds of tasks: what the engine asks of each one, in one object per kind, registered once
by the app that runs its jobs (students.apps registers the student CRUD job)."""

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

from users.models import Task


@dataclass(frozen=True)
class TaskKind:
    """How the engine runs the tasks of one `Task.Kind`."""

    name: str  # the Task.Kind value
    # Enqueue the job of a task that reached the head of its waiting line; raises
    # redis.RedisError when the queue does not answer.
    launch: Callable[[Task], None]
    # End a running task cancelled, given its public id and who cancelled it (a sentence):
    # its job stops at its next chance and the message says which results are in place.
    # None when the task had already ended.
    cancel: Callable[[UUID, str], Task | None]
    # Fail a task that its job cannot end itself (a killed process, a lost job, staff),
    # given its public id, what stopped it and the detail for staff: clean up and say what
    # is in place. None when the task had already ended.
    fail: Callable[[UUID, BaseException, str], Task | None]
    # The phases of its job that run one after another, in that order: a finished task's
    # result holds each one's seconds under "seconds", and the operations page stacks them.
    phases: tuple[str, ...] = ()
    # What the operations page adds about them (a phase that runs beside them, say).
    phases_note: str = ""


_kinds: dict[str, TaskKind] = {}


def register_task_kind(kind: TaskKind) -> None:
    """Let the engine run tasks of this kind (from the AppConfig.ready() of its app)."""
    _kinds[kind.name] = kind


def task_kind(name: str) -> TaskKind:
    try:
        return _kinds[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"No app registered the task kind {name!r} (users.tasks.kinds.register_task_kind)."
        ) from None


def registered_task_kinds() -> list[TaskKind]:
    return list(_kinds.values())
