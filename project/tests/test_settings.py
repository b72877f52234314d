import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


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
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


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
