import secrets
import subprocess
import sys

import pytest
from django.conf import global_settings, settings
from django.db import connection
from django.urls import reverse

from users.models import CustomUser


def run_manage(*args, **env):
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_deploy_check_passes_with_production_values():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="cookbook.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://cookbook.example.com",
        EMAIL_URL=f"smtp+tls://mailer:{secrets.token_urlsafe(16)}@smtp.example.com:587",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.engine
@pytest.mark.django_db
def test_the_database_runs_with_its_own_settings():
    """SQLite (the first run of the suite) in WAL mode; PostgreSQL (the second) in UTF-8
    with health-checked connections."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        else:
            assert connection.vendor == "postgresql"
            cursor.execute("SHOW server_encoding")
            assert cursor.fetchone()[0] == "UTF8"
            assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_redis_backs_cache_channel_layer_and_queues(redis_server, settings):
    from django.core.cache import cache
    from django_rq import get_queue

    cache.set("probe", 42)
    assert cache.get("probe") == 42
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] == [redis_server]
    assert get_queue("default").connection.ping()


EMAIL_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, "
    "s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD)"
)


@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        (
            "smtp+tls://mailer:s3cret@mail.example:587",
            "smtp.EmailBackend mail.example 587 True False mailer s3cret",
        ),
        ("smtp+ssl://mail.example:465", "smtp.EmailBackend mail.example 465 False True  "),
        ("smtp://mail.example", "smtp.EmailBackend mail.example 25 False False  "),
        (None, "filebased.EmailBackend localhost 25 False False  "),
    ],
)
def test_mail_goes_where_email_url_says(email_url, expected):
    env = {"EMAIL_URL": email_url} if email_url else {}
    result = run_manage("shell", "-c", EMAIL_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.rstrip("\n").splitlines()[-1]
    assert printed.removeprefix("django.core.mail.backends.") == expected


def test_refuses_an_unknown_email_verification_mode():
    result = run_manage("check", ACCOUNT_EMAIL_VERIFICATION="sometimes")
    assert result.returncode != 0
    assert "ACCOUNT_EMAIL_VERIFICATION must be one of" in result.stderr


def test_production_settings_hash_passwords_with_pbkdf2():
    """The suite's fast hasher (devtools.test_environment) stays out of a deployment's
    settings: without DJANGO_PASSWORD_HASHERS, Django's PBKDF2 hashes new passwords."""
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"


@pytest.mark.django_db
def test_a_password_hashed_by_the_production_hasher_logs_in(client, settings, password):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    user = CustomUser.objects.create_user("strong@example.com", password)
    algorithm, iterations, _salt, _hash = user.password.split("$")
    assert algorithm == "pbkdf2_sha256"
    assert int(iterations) >= 1_000_000
    answer = client.post(reverse("login"), {"username": user.email, "password": password})
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
