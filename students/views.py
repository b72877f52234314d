from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.http import (
    AuthenticatedHttpRequest,
    error_response,
    json_error,
    json_only,
    wants_json,
)
from core.ratelimits import JOB_START, SEARCH, rate_limited
from students.forms import CrudJobForm, StudentSearchForm
from students.search import SearchUnavailable, search_students
from students.selectors import DEFAULT_SORT, student_page
from students.services import start_crud_job
from users.tasks.exceptions import JobQueueUnavailable, TaskAlreadyActive
from users.tasks.selectors import line_position


@login_required
@require_GET
def student_list(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", DEFAULT_SORT)
    try:
        page = student_page(sort=sort, page_number=request.GET.get("page"))
    except ValueError as exc:
        return error_response(request, str(exc), status=400)
    form = StudentSearchForm(request.GET)
    search: dict[str, Any] = {"query": "", "answer": None, "error": ""}
    if not form.is_valid():
        search["error"] = form.errors["q"][0]
    elif query := form.cleaned_data["q"]:
        SEARCH.hit(request)
        search["query"] = query
        try:
            search["answer"] = search_students(query)
        except SearchUnavailable:
            search["error"] = SearchUnavailable.user_message
    context = {"page": page, "sort": sort, "form": form, "search": search}
    return render(request, "students/student_list.html", context)


@json_only
@require_GET
def student_search(request: HttpRequest, query: str | None = None) -> HttpResponse:
    """The spec's search JSON; anonymous callers get a 401 JSON error rather than a redirect.
    An engine that does not answer raises SearchUnavailable: a 503 (core.middleware)."""
    if not request.user.is_authenticated:
        return json_error("Log in to search students.", status=401)
    if query is None:
        query = request.GET.get("q", "")
    form = StudentSearchForm({"q": query})
    if not form.is_valid():
        message = str(form.errors["q"][0])
        return json_error(message, status=400, errors=form.errors.get_json_data())
    SEARCH.hit(request)
    answer = search_students(form.cleaned_data["q"])
    return JsonResponse(answer.as_json(query))


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited(JOB_START)
def crud_job(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: explain the CRUD job; POST `count`: start it (202 JSON or redirect to /result/)."""
    if request.method == "GET":
        return render(request, "students/crud_job.html", {"form": CrudJobForm()})

    form = CrudJobForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            errors = form.errors.get_json_data()
            first = errors["count"][0]["message"]
            return json_error(first, status=400, errors=errors)
        return render(request, "students/crud_job.html", {"form": form}, status=400)

    count = form.cleaned_data["count"]
    try:
        task = start_crud_job(owner=request.user, count=count)
    except TaskAlreadyActive as busy:
        if wants_json(request):
            return json_error(str(busy), status=409, extra=busy.details)
        form.add_error(None, str(busy))
        return render(request, "students/crud_job.html", {"form": form}, status=409)
    except JobQueueUnavailable as down:
        if wants_json(request):
            raise  # core.middleware: the 503 with Retry-After, naming the failed task
        form.add_error(None, down.user_message)
        response = render(request, "students/crud_job.html", {"form": form}, status=503)
        response["Retry-After"] = str(down.retry_after)
        return response

    position = line_position(task)
    if wants_json(request):
        return JsonResponse(
            {"task_id": str(task.public_id), "status": task.status, "position": position},
            status=202,
        )
    line = f"; it is number {position} in the waiting line" if position and position > 1 else ""
    messages.success(
        request, f"Started the CRUD job for {count:,} students (task {task.public_id}){line}."
    )
    return redirect(reverse("task_list"))
