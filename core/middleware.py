"""Middleware of the site's HTTP convention (core.http)."""

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from core.http import (
    DatabaseBusy,
    ServiceUnavailable,
    is_database_lock_timeout,
    service_unavailable_response,
)

logger = logging.getLogger(__name__)


class ServiceUnavailableMiddleware:
    """Turns a `ServiceUnavailable` raised by any view into one 503 answer with
    `Retry-After`, in the client's format; the detail goes to the log only. A database
    whose write lock did not come in time (SQLite under concurrent writes) is one too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_lock_timeout(exception):
            exception = DatabaseBusy(str(exception))
        if not isinstance(exception, ServiceUnavailable):
            return None
        logger.warning("%s %s: service unavailable: %r", request.method, request.path, exception)
        return service_unavailable_response(request, exception)


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
    view (the session saved after a login, say), where ServiceUnavailableMiddleware cannot
    see it, still answers 503 with Retry-After instead of the 500 Django made of it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, DATABASE_BUSY_FLAG, False):
            exc = DatabaseBusy()
            logger.warning("%s %s: service unavailable: %r", request.method, request.path, exc)
            return service_unavailable_response(request, exc)
        return response
