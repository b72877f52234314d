"""Fixtures that tests of several apps share. The servers they run on (Redis, daphne,
Elasticsearch, moto S3, chromium) come from the devtools plugin."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.elasticsearch_server import ElasticsearchNode
from devtools.moto_server import new_bucket, s3_storage_for

pytest_plugins = ["devtools.pytest_plugin"]


@pytest.fixture
def password() -> str:
    return "a-Long-enough-passphrase-42"


@pytest.fixture
def make_user(db: None, password: str) -> Callable[..., Any]:
    from users.models import CustomUser

    def make(email: str = "alice@example.com", **extra: Any) -> CustomUser:
        return CustomUser.objects.create_user(email, password, **extra)

    return make


@pytest.fixture
def user(make_user: Callable[..., Any]) -> Any:
    return make_user()


@pytest.fixture
def logged_in(client: Any, user: Any) -> Any:
    """Django's test client, logged in as `user`."""
    client.force_login(user)
    return client


@pytest.fixture
def elasticsearch(elasticsearch_server: ElasticsearchNode, settings: Any) -> Iterator[str]:
    """Search on Elasticsearch for one test, starting from an empty `students` index."""
    from students.search import delete_index, ensure_index

    settings.ELASTICSEARCH_URL = elasticsearch_server.url
    delete_index()
    ensure_index()
    yield elasticsearch_server.url
    delete_index()


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, settings, tmp_path):
    """Run the test once on the local filesystem and once on S3 (moto) through django-storages."""
    if request.param == "local":
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
    else:
        endpoint_url = request.getfixturevalue("moto_s3")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage_for(endpoint_url, new_bucket(endpoint_url)),
        }
    return request.param
