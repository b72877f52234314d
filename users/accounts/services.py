"""Writes of accounts: signup, email verification and change, logging out everywhere,
deleting an account with everything it owns, and the local demo account."""

import logging
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse

from core.documents.services import delete_documents_of
from users.accounts.forms import SignupForm
from users.accounts.mail import send_account_mail, send_account_mail_later
from users.accounts.verification import (
    InvalidVerificationToken,
    make_verification_token,
    read_verification_token,
)
from users.models import CustomUser, Task
from users.sockets.sessions import close_session_sockets

logger = logging.getLogger(__name__)

DEMO_EMAIL = "demo@example.com"


class EmailTaken(Exception):
    """Another account took the address before this one proved it."""


class AccountBusy(Exception):
    """The account still has a task queued or running."""


def verification_required() -> bool:
    return bool(settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory")


def signup_user(*, request: HttpRequest, form: SignupForm) -> CustomUser:
    """Create the account from a valid signup form and mail the link that proves its address
    (unless verification is "none"); log the new user in unless verification is mandatory."""
    user: CustomUser = form.save()
    if settings.ACCOUNT_EMAIL_VERIFICATION != "none":
        send_verification_mail(request=request, user=user)
    if not verification_required():
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def send_verification_mail(
    *, request: HttpRequest, user: CustomUser, email: str | None = None
) -> bool:
    """Mail the link that proves `email` (the account's own address when None; a new address
    to change to otherwise) to that address. False when the mail server refused it."""
    return send_account_mail(**_verification_mail(request=request, user=user, email=email))


def resend_verification_mail(*, request: HttpRequest, email: str) -> None:
    """Mail a new link to an account with this address that is not verified yet; nothing
    otherwise. The mail leaves after the answer, which is the same either way."""
    user = CustomUser.objects.filter(
        email__iexact=email, email_verified=False, is_active=True
    ).first()
    if user is not None:
        send_account_mail_later(**_verification_mail(request=request, user=user, email=None))


def _verification_mail(
    *, request: HttpRequest, user: CustomUser, email: str | None
) -> dict[str, Any]:
    changing = email is not None and email != user.email
    address = email if changing and email is not None else user.email
    token = make_verification_token(user_id=user.pk, email=address, previous_email=user.email)
    link = request.build_absolute_uri(reverse("verify_email", args=[token]))
    return {
        "to": address,
        "name": "email_change" if changing else "verify_email",
        "context": {
            "link": link,
            "email": address,
            "expiry_days": settings.ACCOUNT_EMAIL_VERIFICATION_SECONDS // 86400,
        },
    }


def verify_email(*, token: str) -> CustomUser:
    """Apply a verification link: mark the address verified, or replace the account's
    address with the new one it proves. Raises InvalidVerificationToken for a link that is
    altered, expired or spent, EmailTaken when another account has the new address."""
    claim = read_verification_token(token)
    with transaction.atomic():
        user = (
            CustomUser.objects.select_for_update()
            .filter(pk=claim.user_id, is_active=True, email=claim.previous_email)
            .first()
        )
        if user is None:
            raise InvalidVerificationToken
        if claim.email == user.email:
            if user.email_verified:
                raise InvalidVerificationToken
            user.email_verified = True
            user.save(update_fields=["email_verified"])
            return user
        if CustomUser.objects.filter(email__iexact=claim.email).exclude(pk=user.pk).exists():
            raise EmailTaken
        user.email = claim.email
        user.email_verified = True
        try:
            with transaction.atomic():
                user.save(update_fields=["email", "email_verified"])
        except IntegrityError as exc:  # taken between the check and the write
            raise EmailTaken from exc
    logger.info("user %s changed their email address", user.pk)
    return user


def log_out_everywhere(*, request: HttpRequest, user: CustomUser) -> None:
    """End every session of the user (this one too) and close all of their websockets."""
    CustomUser.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    close_session_sockets(user.pk, session_key=None)
    logout(request)


def delete_account(*, user: CustomUser) -> None:
    """Delete the account with its tasks, its documents and their stored files (on whichever
    storage holds them, once the deletion is committed); its websockets close. Raises
    AccountBusy while one of its tasks is queued or running."""
    with transaction.atomic():
        if Task.objects.filter(owner=user, status__in=Task.ACTIVE_STATUSES).exists():
            raise AccountBusy
        delete_documents_of(user)
        close_session_sockets(user.pk, session_key=None)
        user_id = user.pk
        user.delete()
    logger.info("user %s deleted their account", user_id)


def ensure_demo_account(*, password: str | None = None) -> tuple[CustomUser, str | None]:
    """Create the local demo account (staff, so it reaches the admin and RQ dashboard) once.

    Returns (user, password) where password is the new one, or None when the
    account already existed and kept its password.
    """
    user = CustomUser.objects.filter(email=DEMO_EMAIL).first()
    if user is not None:
        return user, None
    password = password or secrets.token_urlsafe(12)
    user = CustomUser.objects.create_superuser(DEMO_EMAIL, password)
    return user, password
