"""The operations page's charts: the last jobs' durations and phases and the queue with its
workers now, assembled from the selectors and drawn by users.tasks.charts."""

from dataclasses import dataclass

from django.conf import settings
from redis.exceptions import RedisError

from users.models import Task
from users.tasks.charts import BarChart, bar_chart
from users.tasks.kinds import TaskKind, registered_task_kinds, task_kind
from users.tasks.selectors import queue_overview, recent_job_runs


@dataclass(frozen=True)
class OperationsCharts:
    runs: list[Task]
    durations: BarChart
    phases: BarChart
    phase_names: list[str]  # the phases chart's legend
    queue: BarChart | None  # None while Redis does not answer


def operations_charts() -> OperationsCharts:
    runs = recent_job_runs()
    kinds = [kind for kind in registered_task_kinds() if kind.phases]
    return OperationsCharts(
        runs=runs,
        durations=_durations(runs),
        phases=_phases(runs, kinds),
        phase_names=list(dict.fromkeys(phase for kind in kinds for phase in kind.phases)),
        queue=_queue(),
    )


def _durations(runs: list[Task]) -> BarChart:
    return bar_chart(
        "Last jobs: how long each ran",
        "One bar per job that ended, oldest first, its length its time from start to end.",
        [
            (
                f"{str(task.public_id)[:8]} {task.status}",
                [(task.status, _seconds(task), f"bar-{task.status}")],
            )
            for task in runs
        ],
        unit="s",
    )


def _phases(runs: list[Task], kinds: list[TaskKind]) -> BarChart:
    """Each finished job's phases, as its kind names them, stacked."""
    finished = [
        (task, task.result, task_kind(task.kind).phases)
        for task in runs
        if task.status == Task.Status.FINISHED and isinstance(task.result, dict)
    ]
    return bar_chart(
        "Last finished jobs: time of each phase",
        " ".join(_phases_description(kind) for kind in kinds),
        [
            (
                f"{str(task.public_id)[:8]} N={result.get('count', '?')}",
                [
                    (phase, float(result.get("seconds", {}).get(phase, 0)), f"bar-{phase}")
                    for phase in phases
                ],
            )
            for task, result, phases in finished
            if phases
        ],
        unit="s",
    )


def _phases_description(kind: TaskKind) -> str:
    """How the phases chart describes a kind's phases: which are stacked, and its note."""
    *first, last = kind.phases
    names = f"{', '.join(first)} and {last}" if first else last
    note = f" ({kind.phases_note})" if kind.phases_note else ""
    return f"{names.capitalize()} stacked{note}."


def _queue() -> BarChart | None:
    try:
        overview = queue_overview(settings.CRUD_JOB_QUEUE)
    except RedisError:
        return None
    return bar_chart(
        "Queue and workers now",
        "Tasks waiting in line, RQ jobs by state, and workers by state.",
        [
            ("tasks in line", [("waiting", overview.waiting_tasks, "bar-queued")]),
            ("jobs queued", [("queued", overview.queued_jobs, "bar-queued")]),
            ("jobs running", [("started", overview.started_jobs, "bar-running")]),
            ("jobs scheduled", [("scheduled", overview.scheduled_jobs, "bar-queued")]),
            ("jobs failed (kept)", [("failed", overview.failed_jobs, "bar-failed")]),
            *(
                (f"workers {state}", [(state, count, "bar-worker")])
                for state, count in sorted(overview.workers.items())
            ),
        ],
        unit="",
    )


def _seconds(task: Task) -> float:
    if task.started is None or task.finished is None:
        return 0.0
    return round((task.finished - task.started).total_seconds(), 3)
