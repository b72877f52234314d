"""Settings values built from configuration values, apart from the settings module.

`project/settings.py` assembles them from the environment; tests, benchmarks and tools call
the same builders for servers of their own (a Redis on a free port, a moto S3) instead of
importing the settings module, which only Django loads.
"""

import os
from contextlib import suppress
from pathlib import Path
from typing import Any

from django.conf import global_settings
from django.core.management.utils import get_random_secret_key


def redis_caches(redis_url: str) -> dict[str, Any]:
    """CACHES: Django's Redis cache (one client per pool, core.cache), failing fast when
    Redis is down."""
    return {
        "default": {
            "BACKEND": "core.cache.ReusedClientRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "app",
            "TIMEOUT": 300,
            # Fail fast when Redis is down instead of hanging the request.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def redis_channel_layers(redis_url: str, *, group_expiry: int = 86400) -> dict[str, Any]:
    """CHANNEL_LAYERS: channels_redis on the same Redis (`group_expiry`: seconds before it
    forgets a group's members, its own default)."""
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [redis_url],
                "prefix": "app:channels",
                "group_expiry": group_expiry,
            },
        }
    }


def redis_rq_queues(redis_url: str) -> dict[str, Any]:
    """RQ_QUEUES: the one RQ queue, on the same Redis."""
    return {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 900}}


def redis_backed_settings(redis_url: str) -> dict[str, Any]:
    """Every setting that names the Redis, for `override_settings` with another server."""
    return {
        "REDIS_URL": redis_url,
        "CACHES": redis_caches(redis_url),
        "CHANNEL_LAYERS": redis_channel_layers(redis_url),
        "RQ_QUEUES": redis_rq_queues(redis_url),
    }


def s3_storage(
    *,
    bucket_name: str,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> dict[str, Any]:
    """STORAGES["default"] on S3 (or MinIO...): private objects, signed URLs."""
    from botocore.config import Config

    return {
        "BACKEND": "core.documents.storage.StreamingS3Storage",
        "OPTIONS": {
            "bucket_name": bucket_name,
            "endpoint_url": endpoint_url,
            "region_name": region_name,
            "access_key": access_key,
            "secret_key": secret_key,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            # An unreachable store fails the request in seconds instead of hanging it.
            "client_config": Config(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
            ),
        },
    }


def development_secret_key(key_file: Path) -> str:
    """A random secret key kept in `key_file` (created once, private to its owner), so that
    development sessions survive restarts without a key ever being committed."""
    key_file.parent.mkdir(exist_ok=True)
    with suppress(FileExistsError), open(key_file, "x") as new_key_file:
        os.fchmod(new_key_file.fileno(), 0o600)
        new_key_file.write(get_random_secret_key())
    return key_file.read_text().strip()


# The settings of Django's SMTP backend that EMAIL_URL gives.
SMTP_SETTINGS = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
)


def smtp_settings(config: dict[str, Any]) -> dict[str, Any]:
    """SMTP_SETTINGS from django-environ's parse of EMAIL_URL; a value the URL leaves out is
    Django's default (no port: 25; no user: no log-in)."""
    return {
        name: getattr(global_settings, name) if config.get(name) is None else config[name]
        for name in SMTP_SETTINGS
    }
