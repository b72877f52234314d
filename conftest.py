"""Fixtures that tests of several apps share. The servers they run on (Redis, daphne,
Elasticsearch, moto S3, chromium) come from the devtools plugin."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools.elasticsearch_server import ElasticsearchNode

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
