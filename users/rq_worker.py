"""The RQ worker class of `manage.py rqworker` (settings.RQ["WORKER_CLASS"])."""

import ctypes
import os
import signal
import sys
from resource import struct_rusage
from typing import Any

from django.conf import settings
from rq import Worker
from rq.job import Job

from users.selectors import task_id_for_rq_job
from users.services import fail_task


def fail_task_of_killed_work_horse(
    job: Job, retpid: int, ret_val: int, rusage: struct_rusage
) -> None:
    """RQ's work-horse-killed hook: the process running the job died (OOM killer, SIGKILL)."""
    task_id = task_id_for_rq_job(job.id)
    if task_id is None:
        return
    signal = f" (signal {os.WTERMSIG(ret_val)})" if ret_val and os.WIFSIGNALED(ret_val) else ""
    fail_task(
        task_id,
        message=f"The process running the job was killed{signal}; the job did not finish.",
        error=f"Work horse {retpid} ended with status {ret_val}{signal}.",
    )


# prctl(2) option: the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In a process just forked: be sent SIGTERM when the process that forked it dies."""
    parent_pid = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class TaskWorker(Worker):
    """RQ's forking worker that fails the task of a killed work horse and runs its registry
    maintenance (which fails abandoned jobs through their on_failure callback) every
    RQ_MAINTENANCE_INTERVAL seconds instead of RQ's ten minutes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", settings.RQ_MAINTENANCE_INTERVAL)
        kwargs.setdefault("job_monitoring_interval", settings.RQ_JOB_MONITORING_INTERVAL)
        kwargs.setdefault("work_horse_killed_handler", fail_task_of_killed_work_horse)
        super().__init__(*args, **kwargs)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        """RQ's work loop, whose forks (the scheduler, the work horse) stop with the worker.

        A worker killed outright (SIGKILL) would otherwise leave its scheduler process
        running: it keeps the scheduler lock from the worker that replaces it, outlives
        `make run`, and holds the dead worker's Redis connection open, so that the blocking
        dequeue still pending on it takes the next job away from the living workers.
        """
        if sys.platform == "linux":
            os.register_at_fork(after_in_child=_die_with_parent)
        return bool(super().work(*args, **kwargs))

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker wakes up for each maintenance run instead of blocking for minutes.
        return max(1, min(super().dequeue_timeout, self.maintenance_interval))
