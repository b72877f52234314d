"""Writes of the users app, one module per concern: `accounts` (signup, the demo account),
`tasks` (the task state machine, its live updates, failing a task from outside its job),
`watchdog` (heartbeats and failing the tasks that can no longer end by themselves) and
`sessions` (closing the websockets of a session that ended). Other apps import these names
from `users.services`; the modules are where each one lives."""

from users.services.accounts import DEMO_EMAIL, ensure_demo_account, signup_user
from users.services.tasks import (
    TaskAlreadyActive,
    TaskInterrupted,
    TaskNoLongerRunning,
    ThrottledProgress,
    WorkHorseKilled,
    create_task,
    fail_task,
    finish_task,
    interrupt_task,
    publish_task_update,
    register_failure_handler,
    report_task_progress,
    start_task,
)
from users.services.watchdog import end_stuck_task, fail_stalled_tasks, task_heartbeat

__all__ = [
    "DEMO_EMAIL",
    "TaskAlreadyActive",
    "TaskInterrupted",
    "TaskNoLongerRunning",
    "ThrottledProgress",
    "WorkHorseKilled",
    "create_task",
    "end_stuck_task",
    "ensure_demo_account",
    "fail_stalled_tasks",
    "fail_task",
    "finish_task",
    "interrupt_task",
    "publish_task_update",
    "register_failure_handler",
    "report_task_progress",
    "signup_user",
    "start_task",
    "task_heartbeat",
]
