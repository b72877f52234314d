"""Writes of the users app, one module per concern: `accounts` (signup, the demo account)
and `tasks` (the task state machine and its live updates). Other apps import these names
from `users.services`; the modules are where each one lives."""

from users.services.accounts import DEMO_EMAIL, ensure_demo_account, signup_user
from users.services.tasks import (
    TaskAlreadyActive,
    ThrottledProgress,
    create_task,
    fail_task,
    finish_task,
    publish_task_update,
    report_task_progress,
    start_task,
)

__all__ = [
    "DEMO_EMAIL",
    "TaskAlreadyActive",
    "ThrottledProgress",
    "create_task",
    "ensure_demo_account",
    "fail_task",
    "finish_task",
    "publish_task_update",
    "report_task_progress",
    "signup_user",
    "start_task",
]
