"""Clients of the API as each kind of caller: anonymous, with a JWT, with an API key, with
the browser's session."""

import pytest
from rest_framework.test import APIClient

from api.services import create_api_key


@pytest.fixture
def media(settings, tmp_path):
    """Uploads on the local filesystem, in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def anonymous():
    return APIClient()


def tokens_for(email: str, password: str) -> dict[str, str]:
    response = APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def client_with_jwt(user, password) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user.email, password)['access']}")
    return client


def client_with_key(user) -> APIClient:
    _, key = create_api_key(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def jwt_client(user, password):
    return client_with_jwt(user, password)


@pytest.fixture
def key_client(user):
    return client_with_key(user)


@pytest.fixture
def staff(make_user):
    return make_user("staff@example.com", is_staff=True)


@pytest.fixture
def staff_client(staff, password):
    return client_with_jwt(staff, password)


@pytest.fixture
def other(make_user):
    return make_user("bob@example.com")


@pytest.fixture
def other_client(other, password):
    return client_with_jwt(other, password)
