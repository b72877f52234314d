"""Sockets follow the session: when a session ends (logout in any tab) or an account is
deactivated, the websockets it opened are told to close (chat.consumers). Session expiry,
a password change and a message that got lost are caught by the sockets themselves, which
check their session every WEBSOCKET_SESSION_CHECK_SECONDS."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

from users.sockets.selectors import session_fingerprint
from users.tasks.updates import task_updates_group

logger = logging.getLogger(__name__)

SESSION_ENDED = "session.ended"


def close_session_sockets(user_id: int, *, session_key: str | None) -> None:
    """Once the transaction commits, tell every websocket of this user that was opened with
    `session_key` (all of the user's when None) to close. A channel layer that does not
    answer is logged: the sockets' own session check closes them a little later."""
    message = {
        "type": SESSION_ENDED,
        "session": session_fingerprint(session_key) if session_key else None,
    }

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(task_updates_group(user_id), message)
        except (RedisError, OSError):
            logger.warning("Could not tell the sockets of user %s to close", user_id, exc_info=True)

    transaction.on_commit(send)
