"""Websocket tickets asked for through the API (users.sockets.tickets): what a
ticket records of the credential the request came with, and the checks that keep its socket
open. A JWT's socket closes when that access token expires (the client asks for a new ticket
with its next token) or when the account's credentials change; an API key's when the key is
revoked or expires; a session's with the session."""

import time
from typing import Any

from django.utils.crypto import constant_time_compare
from rest_framework.request import Request
from rest_framework_simplejwt.tokens import Token

from api.models import UserAPIKey
from api.tokens import CREDENTIALS_CLAIM
from users.models import CustomUser
from users.sockets.tickets import SESSION

JWT = "jwt"
API_KEY = "api_key"


def ticket_credential(request: Request) -> tuple[str, dict[str, Any]]:
    """The kind and the identifying detail of the credential that authenticated `request`."""
    if isinstance(request.auth, UserAPIKey):
        return API_KEY, {"key": request.auth.pk}
    if isinstance(request.auth, Token):
        return JWT, {
            "credentials": request.auth.get(CREDENTIALS_CLAIM, ""),
            "until": request.auth["exp"],
        }
    return SESSION, {"session": request.session.session_key}


def jwt_still_holds(user: CustomUser, detail: dict[str, Any]) -> bool:
    return time.time() < float(detail["until"]) and constant_time_compare(
        str(detail["credentials"]), user.credentials_fingerprint()
    )


def api_key_still_holds(user: CustomUser, detail: dict[str, Any]) -> bool:
    api_key = UserAPIKey.objects.filter(pk=detail["key"], user=user, revoked=False).first()
    return api_key is not None and not api_key.has_expired
