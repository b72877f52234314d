"""Writes of accounts: signup and the local demo account."""

import secrets

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest

from users.forms import SignupForm
from users.models import CustomUser

DEMO_EMAIL = "demo@example.com"


@transaction.atomic
def signup_user(*, request: HttpRequest, form: SignupForm) -> CustomUser:
    """Create the account from a valid signup form and log the new user in."""
    user: CustomUser = form.save()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


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
