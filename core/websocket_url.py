"""Where a page opens its websocket, from WEBSOCKET_URL and the request that loads the page.

The template context (core.context_processors) names it to tasks.js, and the
Content-Security-Policy (core.csp) lets the page connect to it when it is on another origin.
"""

import re

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port

# WEBSOCKET_URL naming only a port and a path (":8001/ws/task/"): the websocket server runs
# on that port of whatever host the page came from (`make run`: daphne beside gunicorn).
PORT_AND_PATH = re.compile(r":(?P<port>[0-9]{1,5})(?P<path>/\S*)")


def websocket_url_for(request: HttpRequest) -> str:
    """WEBSOCKET_URL as it is (a path on the page's origin, or a ws:// or wss:// URL), or,
    when it names only a port and a path, that port on the host the browser asked for.
    Cookies are per host, not per port, so the socket carries the session cookie only on
    the very host name the page used (`localhost` and `127.0.0.1` are two hosts); that host
    already passed ALLOWED_HOSTS, which the websocket's origin check applies too."""
    configured: str = settings.WEBSOCKET_URL
    match = PORT_AND_PATH.fullmatch(configured)
    if match is None:
        return configured
    domain, _ = split_domain_port(request.get_host())
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{domain}:{match['port']}{match['path']}"


def websocket_origin_for(request: HttpRequest) -> str | None:
    """The origin of the page's websocket ("wss://ws.example.com"), or None when the
    socket is on the page's own origin (a path)."""
    url = websocket_url_for(request)
    if not url.startswith(("ws://", "wss://")):
        return None
    return "/".join(url.split("/", 3)[:3])
