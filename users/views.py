from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from redis.exceptions import RedisError

from core.http import AuthenticatedHttpRequest, error_response, json_error, json_only, wants_json
from users.charts import bar_chart
from users.models import Task
from users.selectors import queue_overview, recent_job_runs, task_of, task_update_message, tasks_of
from users.services import (
    TaskConflict,
    TaskNotFound,
    cancel_task,
    retry_task,
)

TASKS_PER_PAGE = 20


@login_required
@require_GET
def task_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's tasks, newest first; static/js/tasks.js keeps the rows live."""
    page = Paginator(tasks_of(request.user), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    # Each row with its live fields (position in line, time left) as the JSON has them.
    rows = [(task, task_update_message(task)) for task in page.object_list]
    return render(request, "users/task_list.html", {"page": page, "rows": rows})


@json_only
@login_required
@require_GET
def task_detail(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """One task as the spec's task JSON; 404 unless it is the user's own."""
    task = task_of(request.user, task_id)
    if task is None:
        return json_error("No such task.", status=404)
    return JsonResponse(task_update_message(task))


def _task_answer(request: HttpRequest, task: Task, text: str) -> HttpResponse:
    """202 with the task JSON, or back to /result/ with a message."""
    if wants_json(request):
        return JsonResponse(task_update_message(task), status=202)
    messages.success(request, text)
    return redirect(reverse("task_list"))


def _task_conflict(request: HttpRequest, conflict: TaskConflict) -> HttpResponse:
    """409 naming the user's own task and its status."""
    return error_response(request, str(conflict), status=409, extra=conflict.details)


@login_required
@require_POST
def task_cancel(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """Cancel a queued or running task (its owner or staff); 409 once it ended."""
    try:
        task = cancel_task(user=request.user, task_id=task_id)
    except TaskNotFound:
        return error_response(request, "No such task.", status=404)
    except TaskConflict as conflict:
        return _task_conflict(request, conflict)
    return _task_answer(request, task, f"Cancelled task {task.public_id}.")


@login_required
@require_POST
def task_retry(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """Start a failed or cancelled task of the user's again; the new task links to it."""
    try:
        task = retry_task(user=request.user, task_id=task_id)
    except TaskNotFound:
        return error_response(request, "No such task.", status=404)
    except TaskConflict as conflict:
        return _task_conflict(request, conflict)
    return _task_answer(request, task, f"Started task {task.public_id} again as a new task.")


PHASES = ("create", "verify", "update", "delete")


@login_required
@require_GET
def operations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff only: the last jobs' durations and phases, the queue and its workers, drawn as
    SVG by the server (users.charts)."""
    if not request.user.is_staff:
        return error_response(request, "This page is for staff only.", status=403)
    runs = recent_job_runs()
    durations = bar_chart(
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
    finished = [
        (task, task.result)
        for task in runs
        if task.status == Task.Status.FINISHED and isinstance(task.result, dict)
    ]
    phases = bar_chart(
        "Last finished jobs: time of each phase",
        "Create, verify, update and delete stacked (indexing runs beside them, so it is not "
        "stacked).",
        [
            (
                f"{str(task.public_id)[:8]} N={result.get('count', '?')}",
                [
                    (phase, float(result.get("seconds", {}).get(phase, 0)), f"bar-{phase}")
                    for phase in PHASES
                ],
            )
            for task, result in finished
        ],
        unit="s",
    )
    try:
        overview = queue_overview(settings.CRUD_JOB_QUEUE)
    except RedisError:
        queue_chart = None
    else:
        queue_chart = bar_chart(
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
    return render(
        request,
        "users/operations.html",
        {"durations": durations, "phases": phases, "queue_chart": queue_chart, "runs": runs},
    )


def _seconds(task: Task) -> float:
    if task.started is None or task.finished is None:
        return 0.0
    return round((task.finished - task.started).total_seconds(), 3)
