"""Every API error in the site's JSON shape (`core.http.error_body`):

    {"error": "a sentence for people", "errors": {field: [{"message", "code"}]}}

`errors` appears for invalid input only, keyed like Django's `form.errors.get_json_data()`.
"""

import logging
from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.throttling import too_many_requests
from core.http import RetryLater, ServiceUnavailable, error_body

logger = logging.getLogger(__name__)


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's handler, reshaped; a `RetryLater` (a service down: 503, a limit reached: 429,
    the API's own limit included) answers its message with Retry-After. Anything else is
    left to Django (a 500)."""
    if isinstance(exc, exceptions.Throttled):
        exc = too_many_requests(exc)
    if isinstance(exc, RetryLater):
        if isinstance(exc, ServiceUnavailable):
            logger.warning("API: service unavailable: %r", exc)
        headers = {"Retry-After": str(exc.retry_after)}
        body = error_body(exc.user_message, extra=exc.details)
        return Response(body, status=exc.status, headers=headers)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc)
        response.data = error_body(first_message(errors), errors=errors)
    else:
        response.data = error_body(_detail_message(response.data))
    return response


def field_errors(exc: exceptions.ValidationError) -> dict[str, Any]:
    details = exc.get_full_details()
    if isinstance(details, list):
        return {"__all__": details}
    return details


def first_message(errors: Any) -> str:
    """The first message in DRF's nested details (dicts and lists of {message, code})."""
    return _first(errors) or "The request is not valid."


def _first(errors: Any) -> str | None:
    if isinstance(errors, dict):
        if isinstance(errors.get("message"), str):
            return str(errors["message"])
        values = list(errors.values())
    elif isinstance(errors, list):
        values = errors
    else:
        return None
    return next((message for value in values if (message := _first(value))), None)


def _detail_message(data: Any) -> str:
    # DRF answers {"detail": ...}; simplejwt's token errors add "code" and "messages".
    if isinstance(data, dict):
        data = data.get("detail", data)
    return str(data)
