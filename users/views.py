from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.http import AuthenticatedHttpRequest, json_error, json_only
from users.selectors import task_of, task_update_message, tasks_of

TASKS_PER_PAGE = 20


@login_required
@require_GET
def task_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's tasks, newest first; static/js/tasks.js keeps the rows live."""
    page = Paginator(tasks_of(request.user), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "users/task_list.html", {"page": page})


@json_only
@login_required
@require_GET
def task_detail(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """One task as the spec's task JSON; 404 unless it is the user's own."""
    task = task_of(request.user, task_id)
    if task is None:
        return json_error("No such task.", status=404)
    return JsonResponse(task_update_message(task))
