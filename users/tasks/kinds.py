"""What the engine asks each kind of task (registered from the AppConfig.ready() of the app
that runs its jobs): how to launch its job, cancel it, and fail it from outside."""

from collections.abc import Callable
from uuid import UUID

from users.models import Task

# Each kind of task may register how a failure is settled (clean-up, a message saying what
# is in place): called with the task's public id, what stopped it and the detail for staff.
FailureHandler = Callable[[UUID, BaseException, str], Task | None]
_failure_handlers: dict[str, FailureHandler] = {}


def register_failure_handler(kind: str, handler: FailureHandler) -> None:
    """Settle the failures of tasks of `kind` with `handler` (from an AppConfig.ready())."""
    _failure_handlers[kind] = handler


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
