"""Production refuses the placeholders of .env.example and short secrets at start, with a
sentence saying what to replace (a system check: entrypoint commands, check --deploy)."""

import secrets
import subprocess
import sys

import pytest
from django.conf import global_settings, settings
from django.core.checks import run_checks

from project.settings_helpers import s3_storage

GOOD_KEY = secrets.token_urlsafe(50)


def errors_with(django_settings, **values) -> set[str]:
    django_settings.DEBUG = False
    django_settings.SECRET_KEY = GOOD_KEY
    django_settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    for name, value in values.items():
        setattr(django_settings, name, value)
    return {message.id for message in run_checks() if message.id.startswith("core.")}


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "core.E001"),
        ({"SECRET_KEY": "short"}, "core.E002"),
        ({"SECRET_KEY": "a" * 60}, "core.E002"),
        ({"REDIS_URL": "redis://:change-me@redis:6379/0"}, "core.E003"),
        ({"ELASTICSEARCH_URL": "https://elastic:short@search:9243"}, "core.E004"),
        (
            {
                "STORAGES": {
                    **settings.STORAGES,
                    "default": s3_storage(bucket_name="b", secret_key="change-me-too"),
                }
            },
            "core.E003",
        ),
        ({"METRICS_TOKEN": "short"}, "core.E005"),
        ({"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}, "core.E009"),
        ({"RATE_LIMITS": {**settings.RATE_LIMITS, "search": "lots"}}, "core.E006"),
        ({"CONCURRENCY_LIMITS": {"zip_downloads": 0}}, "core.E007"),
        ({"EMAIL_HOST_PASSWORD": "change-me"}, "core.E003"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "core.W001"),
        (
            {
                "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "ACCOUNT_EMAIL_VERIFICATION": "mandatory",
            },
            "core.E008",
        ),
    ],
)
def test_each_unsafe_value_is_an_error(settings, values, complaint):
    assert errors_with(settings, **values) == {complaint}


@pytest.mark.parametrize(
    ("password", "complaint"), [("change-me", "core.E003"), ("abc", "core.E004")]
)
def test_the_database_password_is_checked(settings, monkeypatch, password, complaint):
    # In place (the connection is open already): overriding DATABASES would warn.
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", password)
    assert errors_with(settings) == {complaint}


def test_good_values_pass_and_development_is_not_checked(settings):
    assert errors_with(settings, METRICS_TOKEN=secrets.token_urlsafe(32)) == set()
    settings.DEBUG = True
    settings.SECRET_KEY = "change-me"
    assert not [m for m in run_checks() if m.id.startswith("core.")]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "example.com", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_placeholder_stops_the_commands_that_start_a_deployment():
    for command in (("migrate", "--plan"), ("check", "--deploy")):
        result = manage(*command, DJANGO_SECRET_KEY="change-me-to-a-long-random-string")
        assert result.returncode != 0, command
        assert "DJANGO_SECRET_KEY is still the placeholder of .env.example" in result.stderr
