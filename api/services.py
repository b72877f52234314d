"""Writes of the API app: API keys (created, revoked, their use noted)."""

from datetime import timedelta
from typing import cast

from django.utils import timezone

from api.models import UserAPIKey
from users.models import CustomUser

# A key's last use is written at most this often: a busy client must not turn every one of
# its requests into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_api_key(*, user: CustomUser, name: str) -> tuple[UserAPIKey, str]:
    """A new key for the user: the stored record and the key itself, which is shown this
    once and never again (only its hash is kept)."""
    api_key, key = UserAPIKey.objects.create_key(user=user, name=name)
    return cast(UserAPIKey, api_key), key


def revoke_api_key(*, api_key: UserAPIKey) -> None:
    """The key stops working at once, for good."""
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])


def note_api_key_use(*, api_key: UserAPIKey) -> None:
    now = timezone.now()
    if api_key.last_used is None or now - api_key.last_used >= LAST_USED_RESOLUTION:
        UserAPIKey.objects.filter(pk=api_key.pk).update(last_used=now)
        api_key.last_used = now
