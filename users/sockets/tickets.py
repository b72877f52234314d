"""Short-lived, single-use tickets that open a websocket without a session cookie.

Browsers cannot set headers on a websocket, and API clients have no session cookie: an
API client asks for a ticket (`POST /api/v1/ws-ticket/`) and passes it as the `ticket`
query parameter of the socket's URL. A ticket names one user, lives
WEBSOCKET_TICKET_SECONDS and is consumed by the first connection that presents it (Redis
GETDEL: two sockets racing with one ticket get one user between them).

The socket lives as long as the credential that asked for the ticket: the ticket records
its kind and what identifies it, and the socket's periodic check asks that kind's check
(`register_ticket_credential`) whether it still holds. A session is checked here; the API
app registers its tokens and keys.
"""

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import redis
from django.conf import settings

from users.models import CustomUser
from users.sockets.selectors import active_account, session_is_current
from users.tasks.watchdog import queue_connection

KEY_PREFIX = "app:ws-ticket:"
SESSION = "session"


@dataclass(frozen=True)
class TicketGrant:
    """Who a redeemed ticket lets in, and the credential that asked for it."""

    user_id: int
    credential: str  # a registered kind: "session", "jwt", "api_key"
    detail: dict[str, Any]

    @property
    def session_key(self) -> str | None:
        """The session that asked for the ticket: the socket follows it like a page's."""
        if self.credential != SESSION:
            return None
        return str(self.detail.get("session") or "") or None


# Whether the credential a ticket recorded still lets its user (an active account) in.
CredentialCheck = Callable[[CustomUser, dict[str, Any]], bool]
_credential_checks: dict[str, CredentialCheck] = {
    SESSION: lambda user, detail: session_is_current(detail.get("session"), user.pk),
}


def register_ticket_credential(kind: str, check: CredentialCheck) -> None:
    """Let tickets be asked for with credentials of `kind` (from an AppConfig.ready())."""
    _credential_checks[kind] = check


def issue_websocket_ticket(*, user_id: int, credential: str, detail: dict[str, Any]) -> str:
    """A new ticket for this user, valid for WEBSOCKET_TICKET_SECONDS; `detail` is what
    identifies the credential (JSON)."""
    if credential not in _credential_checks:
        raise ValueError(f"no check is registered for {credential!r} credentials")
    ticket = secrets.token_urlsafe(32)
    grant = json.dumps({"user": user_id, "credential": credential, "detail": detail})
    queue_connection().set(KEY_PREFIX + ticket, grant, ex=settings.WEBSOCKET_TICKET_SECONDS)
    return ticket


def redeem_websocket_ticket(ticket: str) -> TicketGrant | None:
    """What the ticket grants, once; None for an unknown, used or expired ticket, or one
    whose credential no longer holds (or when Redis does not answer: the socket is
    refused, never let in)."""
    if not ticket or len(ticket) > 100:
        return None
    try:
        stored = cast(bytes | None, queue_connection().getdel(KEY_PREFIX + ticket))
    except redis.RedisError:
        return None
    if stored is None:
        return None
    try:
        fields = json.loads(stored)
        grant = TicketGrant(int(fields["user"]), str(fields["credential"]), dict(fields["detail"]))
    except (ValueError, KeyError, TypeError):
        return None  # not a ticket this version wrote
    return grant if grant_still_holds(grant) else None


def grant_still_holds(grant: TicketGrant) -> bool:
    """The account is active and the credential that asked for the ticket still holds."""
    check = _credential_checks.get(grant.credential)
    user = active_account(grant.user_id)
    return check is not None and user is not None and check(user, grant.detail)
