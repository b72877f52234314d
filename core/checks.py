"""System checks that refuse an unsafe production configuration.

They run with every management command that checks the project (the container
entrypoint's `wait_for_services` and `migrate`, workers' `rqworker`, `check --deploy`), so a
deployment with the placeholders of `.env.example` or a short secret stops at start with
a sentence saying which value to replace. With DEBUG on (development) they say nothing.
"""

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from limits import parse

from core.ratelimits import CONCURRENCY_LIMITS, RATE_LIMITS

PLACEHOLDER = "change-me"
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5
MIN_PASSWORD_LENGTH = 12
MIN_METRICS_TOKEN_LENGTH = 32


def _url_password(url: str) -> str:
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def _passwords() -> Iterator[tuple[str, str]]:
    """(where it is configured, the password) for each password the app is given."""
    yield "DATABASE_URL", str(settings.DATABASES["default"].get("PASSWORD") or "")
    yield "REDIS_URL", _url_password(settings.REDIS_URL)
    yield "ELASTICSEARCH_URL", _url_password(settings.ELASTICSEARCH_URL)
    options: dict[str, Any] = settings.STORAGES["default"].get("OPTIONS", {})  # type: ignore[assignment]
    yield "AWS_SECRET_ACCESS_KEY", str(options.get("secret_key") or "")
    yield "EMAIL_URL", str(getattr(settings, "EMAIL_HOST_PASSWORD", "") or "")


@register(Tags.security)
def check_production_secrets(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[CheckMessage] = []
    key = settings.SECRET_KEY
    if PLACEHOLDER in key.lower():
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is still the placeholder of .env.example.",
                hint="Set it to a long random string, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
                id="core.E001",
            )
        )
    elif len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS:
        errors.append(
            Error(
                f"DJANGO_SECRET_KEY is too short or too plain: it needs at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, {MIN_SECRET_KEY_UNIQUE_CHARACTERS} "
                "of them different.",
                hint="Set it to a long random string.",
                id="core.E002",
            )
        )
    for where, password in _passwords():
        if not password:
            continue
        if PLACEHOLDER in password.lower():
            errors.append(
                Error(
                    f"The password in {where} is still the placeholder of .env.example.",
                    hint="Replace every change-me value of .env with a long random one.",
                    id="core.E003",
                )
            )
        elif len(password) < MIN_PASSWORD_LENGTH:
            errors.append(
                Error(
                    f"The password in {where} is shorter than {MIN_PASSWORD_LENGTH} characters.",
                    hint="Use a long random password.",
                    id="core.E004",
                )
            )
    token = settings.METRICS_TOKEN
    if token and (PLACEHOLDER in token.lower() or len(token) < MIN_METRICS_TOKEN_LENGTH):
        errors.append(
            Error(
                f"METRICS_TOKEN is a placeholder or shorter than {MIN_METRICS_TOKEN_LENGTH} "
                "characters.",
                hint="Set it to a long random string, or leave it empty.",
                id="core.E005",
            )
        )
    return errors


@register()
def check_limits(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Every declared limit has a value that parses."""
    errors: list[CheckMessage] = []
    for limit in RATE_LIMITS:
        rate = settings.RATE_LIMITS.get(limit.name)
        try:
            parse(str(rate))
        except ValueError:
            errors.append(
                Error(
                    f"RATE_LIMIT_{limit.name.upper()} is {rate!r}, not a rate.",
                    hint='Write it as "<count>/<second|minute|hour|day>", e.g. "600/minute".',
                    id="core.E006",
                )
            )
    for concurrency in CONCURRENCY_LIMITS:
        maximum = settings.CONCURRENCY_LIMITS.get(concurrency.name)
        if not isinstance(maximum, int) or maximum < 1:
            errors.append(
                Error(
                    f"The concurrency limit {concurrency.name} is {maximum!r}.",
                    hint="Set it to a whole number of at least 1.",
                    id="core.E007",
                )
            )
    return errors


FILE_MAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


@register()
def check_production_mail(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Without EMAIL_URL account mail lands in files: nobody could reset a password, and with
    mandatory verification nobody new could log in."""
    if settings.DEBUG or settings.EMAIL_BACKEND != FILE_MAIL_BACKEND:
        return []
    if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory":
        return [
            Error(
                "EMAIL_URL is unset but ACCOUNT_EMAIL_VERIFICATION is mandatory: no new "
                "account could ever log in.",
                hint="Set EMAIL_URL to your SMTP server (smtp+tls://USER:PASSWORD@HOST:587).",
                id="core.E008",
            )
        ]
    return [
        Warning(
            f"EMAIL_URL is unset: account mail (password reset, verification) is written to "
            f"files under {settings.EMAIL_FILE_PATH}, not sent.",
            hint="Set EMAIL_URL to your SMTP server (smtp+tls://USER:PASSWORD@HOST:587).",
            id="core.W001",
        )
    ]


# Hashers that make a stolen password table cheap to crack: fine for a test run, never for
# accounts people hold.
WEAK_PASSWORD_HASHERS = frozenset(
    {
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
        "django.contrib.auth.hashers.SHA1PasswordHasher",
    }
)


@register(Tags.security)
def check_password_hasher(
    app_configs: Iterable[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """New passwords are hashed with the first hasher: in production, a strong one."""
    if settings.DEBUG or settings.PASSWORD_HASHERS[0] not in WEAK_PASSWORD_HASHERS:
        return []
    return [
        Error(
            f"DJANGO_PASSWORD_HASHERS puts {settings.PASSWORD_HASHERS[0]} first: passwords "
            "would be stored with a hash that is cheap to crack.",
            hint="Unset DJANGO_PASSWORD_HASHERS (Django's PBKDF2 is first) or name a strong "
            "hasher first (Argon2, scrypt, PBKDF2).",
            id="core.E009",
        )
    ]
