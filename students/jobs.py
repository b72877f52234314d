"""RQ entry points of the student CRUD job and its failure handling.

Every way a job can end badly reaches `fail_task` through RQ's own hooks:
an exception or a job timeout in the job calls the `on_failure` callback; a work
horse killed under a living worker calls the worker's work-horse-killed handler
(see users.rq_worker); a worker killed outright leaves its job in the started-job
registry until its heartbeat expires, and the registry clean-up of the next
worker maintenance calls the same `on_failure` callback with AbandonedJobError.
"""

import logging
import textwrap
import time
import traceback as traceback_module
from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job
from rq.timeouts import JobTimeoutException

from students.crud_cycle import drop_interrupted_connection, run_crud_cycle
from students.search import ENGINE_ERRORS
from users.services import ThrottledProgress, fail_task, finish_task, start_task

logger = logging.getLogger(__name__)

PREVIOUS_INTACT = "The previous students are unchanged."


def run_crud_job(task_id: str, count: int) -> dict[str, Any] | None:
    """Run the full CRUD cycle for the task with this public id."""
    task = start_task(task_id, message=f"Replacing the students with {count} new ones")
    if task is None:
        logger.warning("Task %s is not queued any more; its CRUD job does nothing.", task_id)
        return None
    progress = ThrottledProgress(task_id)
    # RQ's timeout is a signal, and one that lands in a finalizer or weakref callback is
    # swallowed there: the cycle also checks the time limit itself between batches.
    job = get_current_job()
    timeout = job.timeout if job is not None else None
    deadline = time.monotonic() + timeout if timeout is not None and timeout > 0 else None
    result = run_crud_cycle(count, on_progress=progress, deadline=deadline)
    finish_task(
        task_id,
        result=result,
        message=f"Replaced the students with {count} new ones in {result['total_seconds']} s",
    )
    return result


def failure_message(
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    timeout: float | None = None,
) -> str:
    """A sentence the user can read for each way the job can fail."""
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        limit = f" of {timeout} s" if timeout else ""
        return f"The job ran past its time limit{limit} and was stopped. {PREVIOUS_INTACT}"
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        return f"The worker running the job stopped unexpectedly. {PREVIOUS_INTACT}"
    if exc_type is not None and issubclass(exc_type, ENGINE_ERRORS):
        detail = "the search engine did not answer"
    else:
        fallback = exc_type.__name__ if exc_type is not None else "unknown error"
        detail = textwrap.shorten(str(exc_value) or fallback, width=120)
    return f"The job failed: {detail}. {PREVIOUS_INTACT}"


def on_crud_job_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException],
    exc_value: BaseException,
    traceback: TracebackType | None,
) -> None:
    """RQ's on_failure callback: the task ends failed with a readable message."""
    task_id = job.args[0]
    drop_interrupted_connection()
    error = "".join(traceback_module.format_exception(exc_type, exc_value, traceback))
    fail_task(
        task_id, message=failure_message(exc_type, exc_value, job.timeout), error=error.strip()
    )
