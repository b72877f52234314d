"""Template context every page gets."""

from django.http import HttpRequest

from core.websocket_url import websocket_url_for


def websocket_url(request: HttpRequest) -> dict[str, str]:
    """Where the page opens its websocket (base.html names it in a <meta> for tasks.js)."""
    return {"websocket_url": websocket_url_for(request)}
