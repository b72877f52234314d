"""The task update: the spec's task JSON ("Task status JSON and websocket messages"), defined
once here. `users.tasks.selectors.task_update_message` builds it for /result/<task_id>/, the
API and the websocket; `chat.consumers` sends its fields; `api.serializers` types the OpenAPI
schema's fields from it, and the API's examples are checked against it; static/js/tasks.js
reads it."""

from typing import Annotated, Any, Literal, TypedDict

from users.models import Task


class TaskUpdate(TypedDict):
    type: Literal["task.update"]
    task_id: str
    status: Annotated[str, Task.Status]  # one of the statuses
    progress: int  # 0 to 100
    message: str  # for people
    result: dict[str, Any] | None  # what a finished job reports
    position: int | None  # the place in the waiting line (1: runs next) while queued
    eta_seconds: float | None  # the time left of a running task, from its rate so far
    retry_of: str | None  # the task this one starts again
    version: int  # one more with every change: pages keep the newest they received


# The keys, in the order every answer and message lists them.
TASK_UPDATE_FIELDS: tuple[str, ...] = tuple(TaskUpdate.__annotations__)


def task_updates_group(user_id: int) -> str:
    """The channel-layer group every websocket of one user joins."""
    return f"user-{user_id}"
