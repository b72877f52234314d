"""The site's error pages (handler400/403/404/500 and CSRF_FAILURE_VIEW, named in
project/urls.py and the settings): fixed sentences in the client's format that never repeat
the request or any internal detail."""

import sys

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from core.errors import report_error
from core.http import error_response, json_error, wants_json


def server_error(request: HttpRequest) -> HttpResponse:
    """A plain sentence and an error id; the exception goes to the log under that id."""
    error_id = report_error(
        f"unhandled exception on {request.method} {request.path}", exc=sys.exc_info()[1]
    )
    message = (
        "Something went wrong on our side and this request was not completed. "
        f"If it keeps happening, tell us the error id {error_id}."
    )
    return _plain_error(request, 500, message, error_id=error_id)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A malformed request, a Host the site does not serve..."""
    return _plain_error(request, 400, "This request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(request, "You are not allowed to do this.", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_response(request, "There is nothing at this address.", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The reason goes to the log (Django logs it), not to the page."""
    return error_response(
        request,
        "This form was sent without a valid security token, so nothing was done. "
        "Reload the page and try again.",
        status=403,
    )


def _plain_error(
    request: HttpRequest, status: int, message: str, *, error_id: str | None = None
) -> HttpResponse:
    """An error page rendered without the site's layout and context processors, which may
    need the very database or cache that failed, or a Host the site refused."""
    if wants_json(request):
        return json_error(
            message, status=status, extra={"error_id": error_id} if error_id else None
        )
    context = {"error_message": message, "error_id": error_id, "status": status}
    return HttpResponse(render_to_string("error_plain.html", context), status=status)
