from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest, error_response, json_error, json_only, wants_json
from users.models import Task
from users.operations import operations_charts
from users.selectors import task_of, task_update_message, tasks_of
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


@login_required
@require_GET
def operations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff only: the last jobs' durations and phases, the queue and its workers, drawn as
    SVG by the server (users.operations)."""
    if not request.user.is_staff:
        return error_response(request, "This page is for staff only.", status=403)
    charts = operations_charts()
    return render(
        request,
        "users/operations.html",
        {
            "durations": charts.durations,
            "phases": charts.phases,
            "queue_chart": charts.queue,
            "runs": charts.runs,
        },
    )
