"""Each way of authenticating, what stops working when it should, the limit, and the error
shape every refusal shares."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.crypto import get_random_string
from rest_framework.request import Request
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from api.models import UserAPIKey
from api.tests.conftest import client_with_key, tokens_for
from api.throttling import SiteRateLimitThrottle
from api.tokens import ENDED

pytestmark = pytest.mark.django_db


def test_a_token_pair_for_email_and_password(user, password):
    tokens = tokens_for(user.email, password)
    assert set(tokens) == {"access", "refresh"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/me/").json()["email"] == user.email


@pytest.mark.parametrize(
    "body",
    [
        {"email": "alice@example.com", "password": "wrong"},
        {"email": "nobody@example.com", "password": "a-Long-enough-passphrase-42"},
    ],
)
def test_wrong_credentials_are_a_401_in_the_error_shape(user, body):
    response = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 401
    assert response.json() == {"error": "No active account has this email and password."}


def test_missing_fields_are_a_400_with_field_errors(db):
    response = APIClient().post("/api/v1/auth/token/", {"email": "a@b.c"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "This field is required."
    assert body["errors"] == {
        "password": [{"message": "This field is required.", "code": "required"}]
    }


def test_an_inactive_account_gets_no_token(make_user, password):
    make_user("gone@example.com", is_active=False)
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": "gone@example.com", "password": password}, format="json"
    )
    assert response.status_code == 401


def test_the_token_endpoint_shares_the_login_lockout(user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    for _ in range(3):
        client.post("/api/v1/auth/token/", {"email": user.email, "password": "x"}, format="json")
    response = client.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": "a-Long-enough-passphrase-42"},
        format="json",
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many failed log-ins" in response.json()["error"]


def test_refresh_rotates_and_the_used_refresh_token_stops_working(user, password):
    tokens = tokens_for(user.email, password)
    client = APIClient()
    first = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]
    again = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert again.status_code == 401
    assert again.json()["error"] == "Token is blacklisted"


def test_logout_blacklists_the_refresh_token(user, password):
    tokens = tokens_for(user.email, password)
    client = APIClient()
    assert client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 204
    refused = client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refused.status_code == 401
    assert client.post("/api/v1/auth/logout/", {"refresh": "forged"}).status_code == 401


def test_an_expired_access_token_is_a_401_with_a_challenge(user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {"error": "Given token not valid for any token type"}


def refreshed(refresh):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)})


def bearer(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_a_password_change_ends_every_token(user, password):
    tokens = tokens_for(user.email, password)
    rotated = refreshed(tokens["refresh"])
    assert bearer(rotated.json()["access"]).get("/api/v1/me/").status_code == 200
    user.set_password("another-Long-passphrase-43")
    user.save()
    for access in (tokens["access"], rotated.json()["access"]):
        refused = bearer(access).get("/api/v1/me/")
        assert refused.status_code == 401
        assert refused.json() == {"error": ENDED}
    refresh = refreshed(rotated.json()["refresh"])
    assert refresh.status_code == 401 and refresh.json() == {"error": ENDED}
    fresh = tokens_for(user.email, "another-Long-passphrase-43")
    assert bearer(fresh["access"]).get("/api/v1/me/").status_code == 200


def test_logging_out_everywhere_ends_every_token_but_not_the_api_keys(user, password):
    tokens = tokens_for(user.email, password)
    keyed = client_with_key(user)
    page = Client()
    page.force_login(user)
    assert page.post(reverse("logout_everywhere")).status_code == 302
    assert bearer(tokens["access"]).get("/api/v1/me/").status_code == 401
    assert refreshed(tokens["refresh"]).status_code == 401
    assert keyed.get("/api/v1/me/").status_code == 200  # revoked one by one, on their page


def test_a_token_without_the_credentials_claim_is_refused(user):
    assert bearer(AccessToken.for_user(user)).get("/api/v1/me/").status_code == 401
    assert refreshed(RefreshToken.for_user(user)).status_code == 401


def test_no_credentials_is_a_401(db):
    response = APIClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"error": "Authentication credentials were not provided."}


def test_an_api_key_is_shown_once_stored_hashed_and_revocable(jwt_client, user):
    created = jwt_client.post("/api/v1/api-keys/", {"name": "nightly export"})
    assert created.status_code == 201
    key = created.json()["key"]
    record = UserAPIKey.objects.get(pk=created.json()["id"])
    assert key not in record.hashed_key and key.split(".")[1] not in record.id
    listed = jwt_client.get("/api/v1/api-keys/").json()
    assert [entry["name"] for entry in listed] == ["nightly export"]
    assert "key" not in listed[0] and listed[0]["last_used"] is None

    with_key = APIClient()
    with_key.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert with_key.get("/api/v1/me/").json()["email"] == user.email
    assert jwt_client.get("/api/v1/api-keys/").json()[0]["last_used"] is not None

    assert jwt_client.delete(f"/api/v1/api-keys/{record.pk}/").status_code == 204
    refused = with_key.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json() == {"error": "This API key is not valid, or it was revoked."}
    assert jwt_client.get("/api/v1/api-keys/").json() == []


@pytest.mark.parametrize("presented", ["nodot", "Xr4bS2Qk.forged-secret", "x" * 500])
def test_a_forged_api_key_is_a_401(db, presented):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {presented}")
    assert client.get("/api/v1/me/").status_code == 401


def test_a_key_of_a_deactivated_account_stops_working(user):
    client = client_with_key(user)
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me/").status_code == 401


def test_another_users_api_key_cannot_be_revoked(jwt_client, other):
    theirs, _ = UserAPIKey.objects.create_key(user=other, name="theirs")
    assert jwt_client.delete(f"/api/v1/api-keys/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.revoked


def test_an_api_key_needs_a_name(jwt_client):
    response = jwt_client.post("/api/v1/api-keys/", {"name": ""})
    assert response.status_code == 400
    assert response.json()["errors"]["name"][0]["code"] == "blank"


def test_the_session_works_and_unsafe_requests_need_the_csrf_header(user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/me/").json()["email"] == user.email
    refused = browser.post("/api/v1/api-keys/", {"name": "k"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("CSRF Failed")
    token = get_random_string(32)
    browser.cookies["csrftoken"] = token
    # A token in the body is not read: only the header counts.
    in_body = browser.post("/api/v1/api-keys/", {"name": "k", "csrfmiddlewaretoken": token})
    assert in_body.status_code == 403
    accepted = browser.post(
        "/api/v1/api-keys/",
        {"name": "k"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201


def test_the_limit_counts_per_user_and_per_key(user, password, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "3/minute"}
    jwt = APIClient()
    jwt.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user.email, password)['access']}")
    for _ in range(3):
        assert jwt.get("/api/v1/me/").status_code == 200
    refused = jwt.get("/api/v1/me/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json() == {"error": "Too many API requests; slow down and try again later."}
    # A key has a budget of its own.
    keyed = client_with_key(user)
    assert keyed.get("/api/v1/me/").status_code == 200


def test_the_limit_is_a_throttle_as_drf_defines_one(rf, settings):
    """Past the limit `allow_request` answers False and `wait()` the seconds to wait, from
    which DRF raises Throttled (the tests above see the 429 the handler makes of it)."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "1/minute"}
    request = Request(rf.get("/api/v1/recipes/"))
    allowed, refused = SiteRateLimitThrottle(), SiteRateLimitThrottle()
    assert allowed.allow_request(request, view=None)
    assert allowed.wait() is None
    assert not refused.allow_request(request, view=None)
    assert 1 <= refused.wait() <= 60


def test_anonymous_reads_are_limited_per_address(db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "2/minute"}
    client = APIClient()
    assert [client.get("/api/v1/recipes/").status_code for _ in range(3)] == [200, 200, 429]
    other_address = APIClient(REMOTE_ADDR="127.0.0.9")
    assert other_address.get("/api/v1/recipes/").status_code == 200


def test_an_unknown_api_path_is_a_json_404(db):
    response = APIClient().get("/api/v1/recipes/999999/")
    assert response.status_code == 404
    assert response.json() == {"error": "No recipe has this id."}


def test_the_last_use_is_written_at_most_once_a_minute(user):
    client = client_with_key(user)
    client.get("/api/v1/me/")
    first = UserAPIKey.objects.get(user=user).last_used
    time.sleep(0.01)
    client.get("/api/v1/me/")
    assert UserAPIKey.objects.get(user=user).last_used == first


def test_an_unknown_api_path_answers_json_whatever_the_client_accepts(db):
    response = APIClient().get("/api/v1/no-such-thing/", HTTP_ACCEPT="*/*")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()
