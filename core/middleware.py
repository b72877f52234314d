"""Middleware of the site's HTTP convention (core.http)."""

import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from core.http import RetryLater, ServiceUnavailable, error_response, retry_later_response
from core.text import has_control_characters

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
