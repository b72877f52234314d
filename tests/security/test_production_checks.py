"""Production refuses the placeholders of .env.example and short secrets at start, with a
sentence saying what to replace (a system check: entrypoint commands, check --deploy)."""

import secrets
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_KEY = secrets.token_urlsafe(50)

# Subprocesses on the development settings: the suite's database pass changes nothing.
pytestmark = pytest.mark.database("sqlite")


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


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"DJANGO_SECRET_KEY": "change-me-to-a-long-random-string"}, "core.E001"),
        ({"DJANGO_SECRET_KEY": "short"}, "core.E002"),
        ({"DJANGO_SECRET_KEY": "a" * 60}, "core.E002"),
        (
            {"DJANGO_SECRET_KEY": GOOD_KEY, "DATABASE_URL": "postgres://app:change-me@db/app"},
            "core.E003",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "DATABASE_URL": "postgres://app:abc@db/app"}, "core.E004"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "REDIS_URL": "redis://:change-me@r:6379/0"}, "core.E003"),
        (
            {
                "DJANGO_SECRET_KEY": GOOD_KEY,
                "AWS_STORAGE_BUCKET_NAME": "uploads",
                "AWS_SECRET_ACCESS_KEY": "change-me-too",
            },
            "core.E003",
        ),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "METRICS_TOKEN": "short"}, "core.E005"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "RATE_LIMIT_SEARCH": "lots"}, "core.E006"),
    ],
)
def test_unsafe_values_stop_every_checked_command(env, complaint):
    for command in (("check",), ("migrate", "--plan")):
        result = manage(*command, **env)
        assert result.returncode != 0, command
        assert complaint in result.stderr


def test_the_deploy_check_names_the_placeholder():
    result = manage("check", "--deploy", DJANGO_SECRET_KEY="change-me-to-a-long-random-string")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is still the placeholder of .env.example" in result.stderr


def test_good_values_pass_and_development_is_not_checked():
    assert manage("check", DJANGO_SECRET_KEY=GOOD_KEY).returncode == 0
    assert manage("check", DJANGO_DEBUG="true", METRICS_TOKEN="short").returncode == 0
