"""Receivers that close the websockets of a session that ended (users.sockets.sessions)."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from users.models import CustomUser
from users.sockets.sessions import close_session_sockets


@receiver(user_logged_out)
def close_sockets_of_logged_out_session(
    sender: Any, request: HttpRequest, user: CustomUser | None, **kwargs: Any
) -> None:
    if user is not None and request.session.session_key:
        close_session_sockets(user.pk, session_key=request.session.session_key)


@receiver(post_save, sender=CustomUser)
def close_sockets_of_deactivated_account(
    sender: type[CustomUser], instance: CustomUser, created: bool, **kwargs: Any
) -> None:
    if not created and not instance.is_active:
        close_session_sockets(instance.pk, session_key=None)
