"""Websocket of live task updates: one group per user, every tab joins it."""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from users.selectors import task_updates_group

# Application close code for "not logged in" (4000-4999 are free for applications).
CLOSE_UNAUTHENTICATED = 4401


class TaskUpdatesConsumer(AsyncJsonWebsocketConsumer):
    """Forwards the owner's `task.update` events; it never reads or writes the database."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = task_updates_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        group_name = getattr(self, "group_name", None)
        if group_name is not None:
            await self.channel_layer.group_discard(group_name, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Clients only listen; anything they send (JSON or not) is ignored."""

    async def task_update(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                key: event.get(key)
                for key in ("type", "task_id", "status", "progress", "message", "result")
            }
        )
