"""The account page for API keys: create (shown once), list, revoke."""

import re

import pytest
from rest_framework.test import APIClient

from api.models import UserAPIKey

pytestmark = pytest.mark.django_db


def test_a_key_made_on_the_page_is_shown_once_and_works(logged_in, user):
    created = logged_in.post("/accounts/api-keys/", {"name": "laptop <script>"})
    assert created.status_code == 201
    html = created.content.decode()
    key = re.search(r'<code id="new-key-value">([^<]+)</code>', html).group(1)
    assert "laptop &lt;script&gt;" in html
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/v1/me/").json()["email"] == user.email
    listed = logged_in.get("/accounts/api-keys/").content.decode()
    assert key not in listed
    assert UserAPIKey.objects.get().prefix in listed


def test_revoking_on_the_page(logged_in, user):
    api_key, key = UserAPIKey.objects.create_key(user=user, name="old")
    response = logged_in.post(f"/accounts/api-keys/{api_key.pk}/revoke/", follow=True)
    assert "Revoked the API key “old”" in response.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api.get("/api/v1/me/").status_code == 401


def test_a_key_needs_a_name_and_others_keys_are_out_of_reach(logged_in, make_user):
    refused = logged_in.post("/accounts/api-keys/", {"name": ""})
    assert refused.status_code == 400
    assert "Give the key a name." in refused.content.decode()
    theirs, _ = UserAPIKey.objects.create_key(user=make_user("bob@example.com"), name="bob's")
    assert logged_in.post(f"/accounts/api-keys/{theirs.pk}/revoke/").status_code == 404
    assert "bob&#x27;s" not in logged_in.get("/accounts/api-keys/").content.decode()
    theirs.refresh_from_db()
    assert not theirs.revoked


def test_the_page_needs_a_login(client):
    response = client.get("/accounts/api-keys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
