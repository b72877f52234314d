"""Reads of the API app: a user's API keys, and the key a request presents."""

from django.db.models import QuerySet
from rest_framework_api_key.crypto import KeyGenerator

from api.models import UserAPIKey
from users.models import CustomUser


def api_keys_of(user: CustomUser) -> QuerySet[UserAPIKey]:
    """The user's keys that still work, newest first."""
    return UserAPIKey.objects.filter(user=user, revoked=False).order_by("-created")


def api_key_of(user: CustomUser, key_id: str) -> UserAPIKey | None:
    """One of the user's working keys by its id, or None (another user's key included)."""
    return api_keys_of(user).filter(pk=key_id).first()


def usable_api_key(key: str) -> UserAPIKey | None:
    """The key a client presented, when it is genuine, neither revoked nor expired, and its
    owner's account is active; None otherwise."""
    prefix, dot, _ = key.partition(".")
    if not dot or len(key) > 200:
        return None
    api_key = (
        UserAPIKey.objects.select_related("user")
        .filter(prefix=prefix, revoked=False, user__is_active=True)
        .first()
    )
    if api_key is None or api_key.has_expired:
        return None
    if not KeyGenerator().verify(key, api_key.hashed_key):
        return None
    return api_key
