"""Websocket routes (project/asgi.py wraps them in origin and session checks)."""

from django.urls import path

from chat.consumers import TaskUpdatesConsumer

websocket_urlpatterns = [
    # Channels routes with Django's path(), whose stubs only know views.
    path("ws/task/", TaskUpdatesConsumer.as_asgi()),  # type: ignore[arg-type]
]
