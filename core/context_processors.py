"""Template context every page gets."""

from django.conf import settings
from django.http import HttpRequest


def websocket_url(request: HttpRequest) -> dict[str, str]:
    """Where the page opens its websocket (base.html names it in a <meta> for tasks.js)."""
    return {"websocket_url": settings.WEBSOCKET_URL}
