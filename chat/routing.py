"""Websocket routes; the task consumer joins them with its issue."""

websocket_urlpatterns = []
