"""The periodic maintenance: steps that each app registers from its AppConfig.ready()
(users fails stalled tasks, students removes abandoned generations and heals search), run
together by one RQ job every MAINTENANCE_INTERVAL_SECONDS.

The job keeps itself going through RQ's scheduler: each run schedules the next one
(`Queue.enqueue_in`, which the scheduler of `rqworker --with-scheduler` enqueues when it is
due). The worker re-seeds the chain from its own maintenance tick (users.tasks.worker calls
`ensure_maintenance_scheduled`) whenever no run is pending: after a Redis flush or restart,
a run that was killed, or with no scheduler running. Only the run that Redis names as the
next one (`NEXT_RUN_KEY`) schedules a successor, so re-seeding never starts a second chain.
A registry rather than a settings list, as for the health probes: core names no feature app.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from core.errors import report_error

logger = logging.getLogger(__name__)

NEXT_RUN_KEY = "app:maintenance:next-run"
JOB_FUNCTION = "core.maintenance.run_maintenance"
JOB_TIMEOUT_SECONDS = 600
# A scheduled run this late has no scheduler to enqueue it: the next tick enqueues one.
OVERDUE_INTERVALS = 3

Step = Callable[[], Any]

_steps: dict[str, Step] = {}


def register_step(name: str, step: Step) -> None:
    """Run `step` in every maintenance run, after the steps registered before it;
    registering it again is a no-op."""
    registered = _steps.setdefault(name, step)
    if registered is not step:
        raise ImproperlyConfigured(f"Another maintenance step is registered as {name!r}.")


def run_maintenance() -> dict[str, Any]:
    """Run every step in turn (one that fails is logged and does not stop the others),
    then schedule the next run; return each step's outcome and seconds."""
    outcomes: dict[str, Any] = {}
    for name, step in _steps.items():
        started = time.perf_counter()
        try:
            outcome = step()
        except Exception as exc:
            outcome = {"error_id": report_error(f"Maintenance step {name!r} failed", exc=exc)}
        outcomes[name] = {"outcome": outcome, "seconds": round(time.perf_counter() - started, 3)}
    job = get_current_job()
    if job is not None and _next_run_id(job.connection) == job.id:
        schedule_maintenance(Queue(job.origin, connection=job.connection))
    return outcomes


def schedule_maintenance(queue: Queue, *, delay: float | None = None) -> Job:
    """Schedule the next run on `queue` in `delay` seconds (MAINTENANCE_INTERVAL_SECONDS by
    default; 0 enqueues it at once) and name it the next run."""
    delay = settings.MAINTENANCE_INTERVAL_SECONDS if delay is None else delay
    options: dict[str, Any] = {
        "job_timeout": JOB_TIMEOUT_SECONDS,
        "result_ttl": 600,
        "failure_ttl": 86400,
        "description": "Periodic maintenance",
    }
    if delay > 0:
        job = queue.enqueue_in(timedelta(seconds=delay), JOB_FUNCTION, **options)
    else:
        job = queue.enqueue(JOB_FUNCTION, **options)
    queue.connection.set(NEXT_RUN_KEY, job.id)
    return job


def ensure_maintenance_scheduled(queue: Queue) -> Job | None:
    """Start the chain of runs on `queue` when no run is pending; return the new run."""
    job_id = _next_run_id(queue.connection)
    if job_id is not None and _pending(job_id, queue):
        return None
    logger.info("Scheduling the periodic maintenance on queue %s", queue.name)
    return schedule_maintenance(queue, delay=0)


def _next_run_id(connection: Any) -> str | None:
    value = connection.get(NEXT_RUN_KEY)
    return value.decode() if isinstance(value, bytes) else value


def _pending(job_id: str, queue: Queue) -> bool:
    try:
        job = Job.fetch(job_id, connection=queue.connection)
        status = job.get_status()
        if status == JobStatus.SCHEDULED:
            due: datetime = queue.scheduled_job_registry.get_scheduled_time(job)
            overdue = settings.MAINTENANCE_INTERVAL_SECONDS * OVERDUE_INTERVALS
            return timezone.now() - due < timedelta(seconds=overdue)
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED)
