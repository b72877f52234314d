import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError

from users.models import CustomUser

pytestmark = [pytest.mark.engine, pytest.mark.django_db]


def test_create_user_uses_email_as_login_name(password):
    user = CustomUser.objects.create_user("Bob@Example.COM", password)
    assert user.email == "Bob@example.com"
    assert user.check_password(password)
    assert not user.is_staff and not user.is_superuser
    assert not hasattr(user, "username")
    assert CustomUser.USERNAME_FIELD == "email"


def test_create_superuser_is_staff(password):
    admin = CustomUser.objects.create_superuser("root@example.com", password)
    assert admin.is_staff and admin.is_superuser


def test_superuser_must_be_staff(password):
    with pytest.raises(ValueError, match="is_staff"):
        CustomUser.objects.create_superuser("root@example.com", password, is_staff=False)


def test_email_is_required(password):
    with pytest.raises(ValueError, match="email"):
        CustomUser.objects.create_user("", password)


def test_email_is_unique_whatever_its_case(password):
    CustomUser.objects.create_user("carol@example.com", password)
    with pytest.raises(IntegrityError):
        CustomUser.objects.create_user("CAROL@example.com", password)


def test_authenticate_ignores_email_case(user, password, rf):
    request = rf.post("/accounts/login/")
    assert authenticate(request, username="ALICE@example.com", password=password) == user
    assert authenticate(request, username="alice@example.com", password="wrong") is None


def test_sessions_from_before_the_session_epoch_stay_valid_until_it_moves(user):
    from django.contrib.auth.base_user import AbstractBaseUser

    assert user.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(user)
    user.session_epoch = 1
    moved = user.get_session_auth_hash()
    assert moved != AbstractBaseUser.get_session_auth_hash(user)
    user.session_epoch = 2
    assert user.get_session_auth_hash() != moved


def test_superusers_made_on_the_server_need_no_verification_mail(db):
    admin = CustomUser.objects.create_superuser("root@example.com", "x-Long-enough-42")
    assert admin.email_verified
    assert not CustomUser.objects.create_user("someone@example.com", "x").email_verified
