"""The chat app's metrics (core.metrics): open task websockets across every daphne. Each
socket is seen at its accept and at each session check; one of a daphne killed outright
stops counting after two missed checks."""

from django.conf import settings

from core.metrics import LiveGauge

OPEN_SOCKETS = LiveGauge(
    "app_open_websockets",
    "Open task websockets (every daphne process)",
    ttl=2.5 * settings.WEBSOCKET_SESSION_CHECK_SECONDS,
)
