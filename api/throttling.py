"""The API's limit: `core.ratelimits.API`, counted per API key, per user, or per address."""

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import UserAPIKey
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
    """Counts each request; past the limit `API.hit` raises TooManyRequests, which the
    exception handler answers with 429 and Retry-After (api.errors)."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        API.hit(request._request, identity=api_identity(request))
        return True
