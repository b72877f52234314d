"""Middleware of the site's HTTP convention (core.http)."""

import logging
from collections.abc import Callable

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
