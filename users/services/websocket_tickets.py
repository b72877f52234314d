"""Short-lived, single-use tickets that open a websocket without a session.

Browsers cannot set headers on a websocket, and API clients have no session cookie: an
API client asks for a ticket (`POST /api/v1/ws-ticket/`) and passes it as the `ticket`
query parameter of the socket's URL. A ticket names one user, lives
WEBSOCKET_TICKET_SECONDS and is consumed by the first connection that presents it (Redis
GETDEL: two sockets racing with one ticket get one user between them).
"""

import secrets
from typing import cast

import redis
from django.conf import settings

from users.services.watchdog import queue_connection

KEY_PREFIX = "app:ws-ticket:"


def issue_websocket_ticket(*, user_id: int) -> str:
    """A new ticket for this user, valid for WEBSOCKET_TICKET_SECONDS."""
    ticket = secrets.token_urlsafe(32)
    queue_connection().set(KEY_PREFIX + ticket, str(user_id), ex=settings.WEBSOCKET_TICKET_SECONDS)
    return ticket


def redeem_websocket_ticket(ticket: str) -> int | None:
    """The user id the ticket was issued to, once; None for an unknown, used or expired
    ticket (or when Redis does not answer: the socket is refused, never let in)."""
    if not ticket or len(ticket) > 100:
        return None
    try:
        user_id = cast(bytes | None, queue_connection().getdel(KEY_PREFIX + ticket))
    except redis.RedisError:
        return None
    return int(user_id) if user_id is not None else None
