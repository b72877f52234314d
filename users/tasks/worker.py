"""The RQ worker class of `manage.py rqworker` (settings.RQ["WORKER_CLASS"])."""

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from resource import struct_rusage
from typing import Any

from django.conf import settings
from django.db import connections
from redis.exceptions import RedisError
from rq import Worker
from rq.executions import Execution
from rq.job import Job

from core.maintenance import ensure_maintenance_scheduled
from users.tasks.controls import interrupt_task
from users.tasks.exceptions import WorkHorseKilled
from users.tasks.selectors import task_for_rq_job

logger = logging.getLogger(__name__)

# prctl(2): deliver a signal to this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def fail_task_of_killed_work_horse(
    job: Job, retpid: int, ret_val: int, rusage: struct_rusage
) -> None:
    """RQ's work-horse-killed hook: the process running the job died (OOM killer, SIGKILL).
    It runs in the worker process, which forks the next work horse: the database
    connections it opened are closed again so that no horse inherits them."""
    try:
        task = task_for_rq_job(job.id)
        if task is None:
            return
        killed_by = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        interrupt_task(
            task,
            WorkHorseKilled(killed_by),
            error=f"Work horse {retpid} ended with status {ret_val} (signal {killed_by}).",
        )
    finally:
        connections.close_all()


def die_with_parent() -> None:
    """In a process the worker just forked (its work horse, its scheduler): have the kernel
    SIGKILL it when the worker dies (Linux)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    parent = os.getppid()
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class TaskWorker(Worker):
    """RQ's forking worker, for tasks that never wedge.

    - A killed work horse fails its task at once (through its task kind's `fail`).
    - A work horse, and the scheduler process, die with their worker: a worker killed
      outright leaves no orphan writing.
    - The worker rides out a Redis outage while a job runs (heartbeats that fail are
      logged), instead of quitting and taking the job down with it.
    - Its maintenance tick runs every RQ_MAINTENANCE_INTERVAL seconds instead of RQ's ten
      minutes: RQ's registry clean-up (which fails abandoned jobs through their on_failure
      callback), and the seeding of the periodic maintenance job (core.maintenance).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", settings.RQ_MAINTENANCE_INTERVAL)
        kwargs.setdefault("job_monitoring_interval", settings.RQ_JOB_MONITORING_INTERVAL)
        kwargs.setdefault("work_horse_killed_handler", fail_task_of_killed_work_horse)
        super().__init__(*args, **kwargs)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        """RQ's work loop, whose forks (the work horse, the scheduler) die with the worker.

        A worker killed outright (SIGKILL) would otherwise leave its work horse writing,
        unwatched, after the maintenance has failed its task, and its scheduler process
        running: that one keeps the scheduler lock from the worker that replaces it and
        holds the dead worker's Redis connection open, so that the blocking dequeue still
        pending on it takes the next job away from the living workers.
        """
        if sys.platform == "linux":
            os.register_at_fork(after_in_child=die_with_parent)
        return bool(super().work(*args, **kwargs))

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker wakes up for each maintenance run instead of blocking for minutes.
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))

    def maintain_heartbeats(self, job: Job, execution: Execution) -> None:
        try:
            super().maintain_heartbeats(job, execution)
        except RedisError as exc:
            logger.warning("Worker %s: heartbeat of job %s failed: %s", self.name, job.id, exc)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]  # RQ leaves it unannotated
        try:
            ensure_maintenance_scheduled(self.queues[0])
        except RedisError as exc:
            logger.warning("Worker %s: could not schedule the maintenance: %s", self.name, exc)
