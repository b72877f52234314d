"""The site's one HTTP convention: content negotiation, the JSON error shape, and the
exception every "a backing service is down" error derives from.

Views answer JSON when the client asks for it (`Accept: application/json`) and HTML
otherwise. Every JSON error has the same shape:

    {"error": "a sentence for people", "errors": {field: [{"message", "code"}]}}

where `errors` appears only for form errors (Django's `form.errors.get_json_data()`),
and any extra keys a view documents (e.g. the task a 409 names, the id of a 500) sit
beside them. A view that cannot answer now raises a `RetryLater` error: a backing service
that is down (`ServiceUnavailable`, 503) or a limit the client reached (`TooManyRequests`,
429), both with `Retry-After`.
"""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

if TYPE_CHECKING:
    # django-stubs' name for settings.AUTH_USER_MODEL (its mypy plugin resolves it), so
    # that core types the user without importing the app that defines the model.
    from django.contrib.auth.models import _User

JSON = "application/json"
HTML = "text/html"
# Seconds a client should wait before retrying when a backing service is down.
DEFAULT_RETRY_AFTER_SECONDS = 5


class RetryLater(Exception):
    """An error the client may retry after `retry_after` seconds. Raised out of a view it
    becomes `status` with `Retry-After`, in the client's format
    (core.middleware.RetryLaterMiddleware); `user_message` is what people read, never the
    internal detail in `str(exc)`; `details` are keys a JSON answer adds beside it."""

    status = 503
    user_message = "A service this page needs is not answering; try again in a moment."
    retry_after = DEFAULT_RETRY_AFTER_SECONDS
    details: Mapping[str, Any] = {}


class ServiceUnavailable(RetryLater):
    """A backing service (search engine, file store, job queue, database lock...) did not
    answer: a 503."""


class DatabaseBusy(ServiceUnavailable):
    """SQLite's one write lock stayed taken for the whole busy timeout (a long write
    elsewhere, e.g. a CRUD job's batch): the request's transaction was rolled back."""

    user_message = "The site is busy saving other changes and saved nothing; try again in a moment."
    retry_after = 2


def is_database_lock_timeout(exc: BaseException) -> bool:
    """True for SQLite's "database is locked" (the busy timeout ran out)."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


class TooManyRequests(RetryLater):
    """The client went past one of the limits of core.ratelimits: a 429."""

    status = 429

    def __init__(self, user_message: str, *, retry_after: int) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.retry_after = retry_after


class AuthenticatedHttpRequest(HttpRequest):
    """The request a `login_required` view receives, for type checking: its `user` is an
    account, never AnonymousUser (the decorator is what makes it so at run time)."""

    user: "_User"


ViewFunction = TypeVar("ViewFunction", bound=Callable[..., HttpResponse])


def json_only(view: ViewFunction) -> ViewFunction:
    """Mark a view that answers JSON whatever the client accepts (e.g. the search
    endpoint), so that errors raised out of it are JSON too."""
    view.json_only = True  # type: ignore[attr-defined]
    return view


def wants_json(request: HttpRequest) -> bool:
    """True when the view is `json_only`, the path is under one of JSON_ONLY_PATH_PREFIXES
    (the REST API: also where no view matched), or the client prefers JSON to HTML (HTML
    wins a tie, e.g. `*/*`)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and getattr(match.func, "json_only", False):
        return True
    if request.path.startswith(tuple(settings.JSON_ONLY_PATH_PREFIXES)):
        return True
    return request.get_preferred_type([HTML, JSON]) == JSON


def error_body(
    message: str,
    *,
    errors: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON error shape above (the pages' answers and the REST API's share it)."""
    body: dict[str, Any] = {"error": message, **(extra or {})}
    if errors:
        body["errors"] = errors
    return body


def json_error(
    message: str,
    *,
    status: int,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JsonResponse:
    """The site's JSON error answer; `extra` holds the keys a view documents beside it."""
    body = error_body(message, errors=errors, extra=extra)
    return JsonResponse(body, status=status, headers=headers)


def error_response(
    request: HttpRequest,
    message: str,
    *,
    status: int,
    template: str = "error.html",
    context: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """An error in the client's format: the JSON shape above, or `template` rendered with
    `message` and `context` (auto-escaped: never build an error page from raw input)."""
    if wants_json(request):
        return json_error(message, status=status, errors=errors, headers=headers, extra=extra)
    page_context = {"error_message": message, "status": status, **(context or {})}
    response = render(request, template, page_context, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def retry_later_response(request: HttpRequest, exc: RetryLater) -> HttpResponse:
    """The answer to a `RetryLater` error: its status, its message and `Retry-After`."""
    return error_response(
        request,
        exc.user_message,
        status=exc.status,
        headers={"Retry-After": str(exc.retry_after)},
        extra=exc.details,
    )
