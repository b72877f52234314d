"""Websocket of live task updates: one group per user, every tab joins it, and every socket
follows the session it was opened with."""

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from chat.metrics import OPEN_SOCKETS
from users.sockets.selectors import session_fingerprint, session_is_current
from users.sockets.tickets import (
    TicketGrant,
    grant_still_holds,
    redeem_websocket_ticket,
)
from users.tasks.updates import TASK_UPDATE_FIELDS, task_updates_group

logger = logging.getLogger(__name__)

# Application close code for "not logged in" (4000-4999 are free for applications): the
# page stops reconnecting when it sees it.
CLOSE_UNAUTHENTICATED = 4401


class TaskUpdatesConsumer(AsyncJsonWebsocketConsumer):
    """Forwards the owner's `task.update` events; it writes nothing to the database.

    A socket lives as long as its session: logging out (in any tab) or a deactivated
    account closes it at once (a `session.ended` event, users.sockets.sessions), and every
    WEBSOCKET_SESSION_CHECK_SECONDS it checks the session itself (expiry, a password
    change, a message lost while Redis was down). A socket opened with an API client's
    ticket lives as long as the credential that asked for the ticket, checked the same way
    (users.sockets.tickets). At that check it also joins its group
    again: channels_redis forgets a group's members after its group expiry (a day by
    default) and a Redis that restarted has forgotten them all, so a tab open for days, or
    open through a Redis restart, keeps receiving.
    """

    group_name = ""  # set once the socket is accepted
    session_watch: "asyncio.Task[None] | None" = None

    async def connect(self) -> None:
        user: Any = self.scope.get("user")
        self.ticket: TicketGrant | None = None
        if user is not None and user.is_authenticated:
            self.user_id: int = user.pk
            self.session_key: str | None = self.scope["session"].session_key
        else:
            self.ticket = await database_sync_to_async(self.redeem_ticket)()
            if self.ticket is None:
                # Accepted, then closed: a handshake refused outright reaches the browser as
                # an HTTP 403 it cannot tell from a network failure (close code 1006), and the
                # page would reconnect for ever; close code 4401 tells it to stop.
                await self.accept()
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            # A ticket a session asked for makes a socket of that session.
            self.user_id, self.session_key = self.ticket.user_id, self.ticket.session_key
        self.group_name = task_updates_group(self.user_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        # Counted before the client learns it is open, so a scrape after that counts it.
        await sync_to_async(OPEN_SOCKETS.seen, thread_sensitive=False)(self.channel_name)
        await self.accept()
        self.session_watch = asyncio.ensure_future(self.watch_session())

    def redeem_ticket(self) -> TicketGrant | None:
        """What the `ticket` query parameter grants (an API client's single-use ticket),
        or None."""
        tickets = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("ticket")
        return redeem_websocket_ticket(tickets[0]) if tickets else None

    def still_allowed(self) -> bool:
        """A session socket lives as long as its session; a socket of an API token or key
        as long as that credential holds."""
        if self.ticket is not None and self.session_key is None:
            return grant_still_holds(self.ticket)
        return session_is_current(self.session_key, self.user_id)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when the consumer dies of an error (its channel layer's Redis went away):
            # the watch must not outlive the socket.
            if self.session_watch is not None:
                self.session_watch.cancel()

    async def watch_session(self) -> None:
        interval = settings.WEBSOCKET_SESSION_CHECK_SECONDS
        while True:
            await asyncio.sleep(interval)
            try:
                current = await database_sync_to_async(self.still_allowed)()
            except Exception as exc:  # the database is down: keep the socket, ask again later
                logger.warning("Could not check the session of a socket: %s", exc)
                current = True
            if not current:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            await sync_to_async(OPEN_SOCKETS.seen, thread_sensitive=False)(self.channel_name)
            try:
                await self.channel_layer.group_add(self.group_name, self.channel_name)
            except Exception as exc:  # the channel layer's Redis is down: try at the next check
                logger.warning("Could not rejoin %s: %s", self.group_name, exc)

    async def disconnect(self, code: int) -> None:
        if self.session_watch is not None and self.session_watch is not asyncio.current_task():
            self.session_watch.cancel()
        if self.group_name:
            await sync_to_async(OPEN_SOCKETS.gone, thread_sensitive=False)(self.channel_name)
            try:
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
            except Exception as exc:  # it expires by itself
                logger.warning("Could not leave %s: %s", self.group_name, exc)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Clients only listen; anything they send (JSON or not) is ignored."""

    async def task_update(self, event: dict[str, Any]) -> None:
        await self.send_json({key: event.get(key) for key in TASK_UPDATE_FIELDS})

    async def session_ended(self, event: dict[str, Any]) -> None:
        """The session ended (logout) or the account was deactivated (no session named)."""
        ended = event.get("session")
        if ended is None or (self.session_key and ended == session_fingerprint(self.session_key)):
            await self.close(code=CLOSE_UNAUTHENTICATED)
