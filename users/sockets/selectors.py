"""Reads of the sockets' credentials: whether a session still logs its user in, the account a
ticket names, and how a session is named in messages to its sockets."""

import hashlib
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user

from users.models import CustomUser


def session_fingerprint(session_key: str) -> str:
    """Names a session in messages to its websockets without carrying the key itself."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def session_is_current(session_key: str | None, user_id: int) -> bool:
    """Whether this session still logs this user in: neither logged out nor expired, the
    account active and its password unchanged since the login (as a request would see it)."""
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    return bool(user.is_authenticated and user.pk == user_id)


def active_account(user_id: int) -> CustomUser | None:
    return CustomUser.objects.filter(pk=user_id, is_active=True).first()
