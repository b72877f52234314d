"""Middleware of the site's HTTP convention (core.http)."""

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import connection
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from core.http import (
    DatabaseBusy,
    RetryLater,
    ServiceUnavailable,
    error_response,
    is_database_lock_timeout,
    retry_later_response,
)
from core.metrics import record_request
from core.text import has_control_characters

logger = logging.getLogger(__name__)


class RetryLaterMiddleware:
    """Turns a `RetryLater` raised by any view (a service that is down: 503; a limit
    reached: 429) into one answer with `Retry-After`, in the client's format; the detail
    goes to the log only. A database whose write lock did not come in time (SQLite under
    concurrent writes) is a service that is down too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_lock_timeout(exception):
            exception = DatabaseBusy(str(exception))
        if not isinstance(exception, RetryLater):
            return None
        if isinstance(exception, ServiceUnavailable):
            logger.warning(
                "%s %s: service unavailable: %r", request.method, request.path, exception
            )
        else:
            logger.info("%s %s: %d: %s", request.method, request.path, exception.status, exception)
        return retry_later_response(request, exception)


# Set on a request whose handling raised "database is locked" outside any view.
DATABASE_BUSY_FLAG = "_database_busy"


@receiver(got_request_exception, dispatch_uid="core.middleware.note_database_busy")
def note_database_busy(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django sends this signal for every uncaught exception, from a view or from a
    middleware, before it renders the 500; mark the request when the cause is the lock."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_database_lock_timeout(exc):
        setattr(request, DATABASE_BUSY_FLAG, True)


class DatabaseBusyMiddleware:
    """Outside the session middleware: a "database is locked" raised on the way out of a
    view (the session saved after a login, say), where RetryLaterMiddleware cannot see it,
    still answers 503 with Retry-After instead of the 500 Django made of it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, DATABASE_BUSY_FLAG, False):
            exc = DatabaseBusy()
            logger.warning("%s %s: service unavailable: %r", request.method, request.path, exc)
            return retry_later_response(request, exc)
        return response


class ControlCharacterMiddleware:
    """Refuses, with a 400 saying why, a page address whose path or query string carries
    control characters: no page needs them, and a page that shows its address back
    (a search box, a `next` field, the admin's filters) would otherwise carry them into
    its HTML. JSON-only views take them (their answers escape everything)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if getattr(view_func, "json_only", False):
            return None
        texts = [request.path, *(text for item in request.GET.lists() for text in _flat(item))]
        if not any(has_control_characters(text) for text in texts):
            return None
        return error_response(
            request, "This address contains control characters, which no page accepts.", status=400
        )


def _flat(item: tuple[str, list[str]]) -> list[str]:
    key, values = item
    return [key, *values]


class RequestMetricsMiddleware:
    """Counts every answer, its time and the database queries it made (core.metrics): the
    request metrics of /metrics, shared by every worker process."""

    METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = 0

        def count_query(execute: Callable[..., Any], *args: Any) -> Any:
            nonlocal queries
            queries += 1
            return execute(*args)

        started = time.perf_counter()
        with connection.execute_wrapper(count_query):
            response = self.get_response(request)
        method = request.method if request.method in self.METHODS else "other"
        record_request(
            method=method,
            status=response.status_code,
            seconds=time.perf_counter() - started,
            queries=queries,
            vendor=connection.vendor,
        )
        return response
