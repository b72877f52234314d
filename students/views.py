import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from students.search import MAX_QUERY_LENGTH, SearchUnavailable, search_students
from students.selectors import DEFAULT_SORT, student_page

logger = logging.getLogger(__name__)

SEARCH_UNAVAILABLE = "Search is unavailable right now; try again in a moment."
QUERY_TOO_LONG = f"The search text is limited to {MAX_QUERY_LENGTH} characters."


@login_required
@require_GET
def student_list(request):
    sort = request.GET.get("sort", DEFAULT_SORT)
    try:
        page = student_page(sort=sort, page_number=request.GET.get("page"))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    query = request.GET.get("q", "")
    search = {"query": query, "answer": None, "error": ""}
    if len(query) > MAX_QUERY_LENGTH:
        search["error"] = QUERY_TOO_LONG
    elif query:
        try:
            search["answer"] = search_students(query)
        except SearchUnavailable:
            search["error"] = SEARCH_UNAVAILABLE
    context = {"page": page, "sort": sort, "search": search}
    return render(request, "students/student_list.html", context)


@require_GET
def student_search(request, query=None):
    """The spec's search JSON; anonymous callers get a 401 JSON error rather than a redirect."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in to search students."}, status=401)
    if query is None:
        query = request.GET.get("q", "")
    if len(query) > MAX_QUERY_LENGTH:
        return JsonResponse({"error": QUERY_TOO_LONG}, status=400)
    try:
        answer = search_students(query)
    except SearchUnavailable as exc:
        logger.warning("student search failed: %s", exc)
        return JsonResponse({"error": SEARCH_UNAVAILABLE}, status=503)
    return JsonResponse(
        {
            "query": query,
            "backend": answer.backend,
            "count": len(answer.results),
            "took_ms": answer.took_ms,
            "results": answer.results,
        }
    )
