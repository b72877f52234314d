"""Failed logins, counted by django-axes in Redis (the settings name these functions).

Each failure counts against the account (its email, folded to lower case) and against the
client's address (core.client_address). At `AXES_FAILURE_LIMIT` failures either is locked
out for `LOGIN_LOCKOUT_SECONDS`; every attempt during a lockout counts too and starts it
again, and each further `AXES_FAILURE_LIMIT` failures double it, up to
`LOGIN_LOCKOUT_MAX_SECONDS`. A locked-out login is refused before its password is checked,
so a thousand guesses cost one lookup each and the right password gets no further.
"""

import logging
from datetime import timedelta
from typing import Any

import redis
from axes.handlers.cache import AxesCacheHandler
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse

from core.http import error_response

logger = logging.getLogger(__name__)

LOGIN_FIELD = "username"
# The longest email address a form accepts; anything longer is cut before it is a key.
MAX_LOGIN_LENGTH = 254


def login_name(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login names, the way it is counted: trimmed and in lower case, so that
    "Alice@Example.com" and "alice@example.com" share one counter."""
    raw = (credentials or {}).get(LOGIN_FIELD)
    if raw is None:
        raw = request.POST.get(LOGIN_FIELD)
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip().lower()[:MAX_LOGIN_LENGTH]


def _failures_so_far(request: HttpRequest) -> int:
    credentials = getattr(request, "axes_credentials", None)
    return FailOpenCacheHandler().get_failures(request, credentials)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long a lockout lasts: LOGIN_LOCKOUT_SECONDS, doubled for every further
    AXES_FAILURE_LIMIT failures, at most LOGIN_LOCKOUT_MAX_SECONDS."""
    base = settings.LOGIN_LOCKOUT_SECONDS
    if request is None:
        return timedelta(seconds=base)
    limit = settings.AXES_FAILURE_LIMIT
    doublings = max(0, _failures_so_far(request) + 1 - limit) // limit
    seconds = min(settings.LOGIN_LOCKOUT_MAX_SECONDS, base * 2 ** min(doublings, 32))
    return timedelta(seconds=seconds)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """429 with Retry-After, in the client's format, saying when to try again."""
    seconds = int(cool_off(request).total_seconds())
    minutes = max(1, round(seconds / 60))
    message = (
        "Too many failed log-ins for this account or from your network. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )
    return error_response(request, message, status=429, headers={"Retry-After": str(seconds)})


class FailOpenCacheHandler(AxesCacheHandler):  # type: ignore[misc]  # axes ships no types
    """Axes' cache handler, letting logins through (with a warning) while Redis is down:
    an outage of the counters must not lock everyone out."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        try:
            failures: int = super().get_failures(request, credentials)
        except redis.RedisError:
            logger.warning("login failures not counted: Redis did not answer")
            return 0
        return failures

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        except redis.RedisError:
            logger.warning("a failed login was not counted: Redis did not answer")

    def user_logged_in(
        self, sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any
    ) -> None:
        try:
            super().user_logged_in(sender, request, user, **kwargs)
        except redis.RedisError:
            logger.warning("failed logins not reset: Redis did not answer")
