from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.http import AuthenticatedHttpRequest, error_response, json_error, json_only, wants_json
from users.models import Task
from users.tasks.controls import cancel_task, retry_task
from users.tasks.exceptions import TaskConflict, TaskNotFound
from users.tasks.operations import operations_charts
from users.tasks.selectors import task_of, task_update_message, tasks_of

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


# A task control: the service that moves the task (cancel_task, retry_task) and what the
# page says once it did.
TaskControl = Callable[..., Task]


def _control_task(
    request: AuthenticatedHttpRequest, control: TaskControl, task_id: str, done: str
) -> HttpResponse:
    """202 with the task JSON (or back to /result/ with `done`); 404 for anyone else's task
    or a forged id; 409 naming the user's own task when it cannot move."""
    try:
        task = control(user=request.user, task_id=task_id)
    except TaskNotFound:
        return error_response(request, "No such task.", status=404)
    except TaskConflict as conflict:
        return error_response(request, str(conflict), status=409, extra=conflict.details)
    if wants_json(request):
        return JsonResponse(task_update_message(task), status=202)
    messages.success(request, done.format(task_id=task.public_id))
    return redirect(reverse("task_list"))


@login_required
@require_POST
def task_cancel(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """Cancel a queued or running task (its owner or staff); 409 once it ended."""
    return _control_task(request, cancel_task, task_id, "Cancelled task {task_id}.")


@login_required
@require_POST
def task_retry(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """Start a failed or cancelled task of the user's again; the new task links to it."""
    return _control_task(
        request, retry_task, task_id, "Started task {task_id} again as a new task."
    )


@login_required
@require_GET
def operations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff only: the last jobs' durations and phases, the queue and its workers, drawn as
    SVG by the server (users.tasks.operations)."""
    if not request.user.is_staff:
        return error_response(request, "This page is for staff only.", status=403)
    charts = operations_charts()
    return render(
        request,
        "users/operations.html",
        {
            "durations": charts.durations,
            "phases": charts.phases,
            "phase_names": charts.phase_names,
            "queue_chart": charts.queue,
            "runs": charts.runs,
        },
    )
