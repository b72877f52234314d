"""The API's limit: `core.ratelimits.API`, counted per API key, per user, or per address,
as a DRF throttle."""

from typing import TYPE_CHECKING

from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import UserAPIKey
from core.http import TooManyRequests
from core.ratelimits import API

if TYPE_CHECKING:
    from rest_framework.views import APIView


def api_identity(request: Request) -> str | None:
    """Whom the limit counts: the key a server client presents (each key has its own
    budget), else the user (session or token) or, for anonymous reads, the address."""
    if isinstance(request.auth, UserAPIKey):
        return f"api-key:{request.auth.prefix}"
    return None


class SiteRateLimitThrottle(BaseThrottle):
    """Counts each request; past the limit it refuses it and `wait()` says for how long.
    DRF then raises Throttled, which the exception handler answers as the site's 429
    (`too_many_requests`, api.errors)."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: "APIView") -> bool:
        try:
            API.hit(request, identity=api_identity(request))
        except TooManyRequests as refused:
            self.retry_after = refused.retry_after
            return False
        return True

    def wait(self) -> int | None:
        return self.retry_after


def too_many_requests(throttled: Throttled) -> TooManyRequests:
    """The refusal of SiteRateLimitThrottle (the API's one throttle) as the site's own 429:
    the limit's message, and the seconds to wait as Retry-After."""
    return TooManyRequests(API.message, retry_after=throttled.wait)
