"""Middleware of the site's HTTP convention (core.http)."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.http import RetryLater, ServiceUnavailable, retry_later_response

logger = logging.getLogger(__name__)


class RetryLaterMiddleware:
    """Turns a `RetryLater` raised by any view (a service that is down: 503; a limit
    reached: 429) into one answer with `Retry-After`, in the client's format; the detail
    goes to the log only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RetryLater):
            return None
        if isinstance(exception, ServiceUnavailable):
            logger.warning(
                "%s %s: service unavailable: %r", request.method, request.path, exception
            )
        else:
            logger.info("%s %s: %d: %s", request.method, request.path, exception.status, exception)
        return retry_later_response(request, exception)
