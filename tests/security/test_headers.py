"""The headers every answer carries: a strict Content-Security-Policy (inline code only on
django-rq's staff pages), a Permissions-Policy, COOP, Referrer-Policy, nosniff, no framing;
HSTS preload and includeSubDomains only when asked."""

import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/signup/", "/no/such/page/", "/healthz", "/livez"]
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    assert directives(response["Content-Security-Policy"]) == directives(STRICT_CSP)
    assert response["Permissions-Policy"].startswith("accelerometer=(), camera=()")
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_logged_in_pages_too(client, user):
    client.force_login(user)
    for path in ("/students/", "/result/", "/core/upload/", "/core/download/"):
        response = client.get(path)
        assert response.status_code == 200
        assert directives(response["Content-Security-Policy"]) == directives(STRICT_CSP)


def test_only_the_rq_dashboard_allows_inline_code(client, make_user):
    client.force_login(make_user("staff@example.com", is_staff=True))
    dashboard = directives(client.get("/django-rq/")["Content-Security-Policy"])
    assert dashboard["script-src"] == "'self' 'unsafe-inline'"
    assert dashboard["style-src"] == "'self' 'unsafe-inline'"
    assert dashboard["frame-ancestors"] == "'none'"
    admin = directives(client.get("/admin/")["Content-Security-Policy"])
    assert admin == directives(STRICT_CSP)


@pytest.mark.parametrize(
    ("websocket_url", "connect_src"),
    [
        ("/ws/task/", "'self'"),
        ("wss://ws.example.com/ws/task/", "'self' wss://ws.example.com"),
        # make run's form: another port of the host the page was loaded from.
        (":8001/ws/task/", "'self' ws://testserver:8001"),
    ],
)
def test_the_page_may_connect_to_its_websocket_and_nowhere_else(
    client, user, settings, websocket_url, connect_src
):
    settings.WEBSOCKET_URL = websocket_url
    client.force_login(user)
    policy = directives(client.get("/result/")["Content-Security-Policy"])
    assert policy["connect-src"] == connect_src


def _settings_in_subprocess(code: str, **env: str) -> str:
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WEBSOCKET"))}
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; {code}"],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


PRODUCTION = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "k" * 40 + "abcdefghij" * 2}
HSTS = (
    "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "settings.SECURE_HSTS_PRELOAD)"
)


def test_hsts_preload_and_subdomains_are_off_unless_asked():
    assert _settings_in_subprocess(HSTS, **PRODUCTION) == "31536000 False False"
    asked = _settings_in_subprocess(
        HSTS,
        **PRODUCTION,
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        DJANGO_SECURE_HSTS_PRELOAD="true",
    )
    assert asked == "31536000 True True"


def test_https_answers_carry_hsts_without_preload(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
