"""SQLite under concurrent writes: a write that cannot get the write lock within the busy
timeout answers 503 with Retry-After, in HTML and in JSON, never a 500, and saves nothing."""

import json
import sqlite3

import pytest
from django.db import connection

from users.models import Task

pytestmark = [pytest.mark.database("sqlite"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def short_busy_timeout():
    """The site's connection with a busy timeout of 0.2 s instead of seconds."""
    options = connection.settings_dict["OPTIONS"]
    saved = options["timeout"]
    options["timeout"] = 0.2
    connection.close()
    yield
    options["timeout"] = saved
    connection.close()


@pytest.fixture
def write_lock_held_elsewhere():
    """Another process's long write transaction, as a CRUD job batch holds it."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_write_that_cannot_get_the_lock_is_a_503_with_retry_after(
    client, user, short_busy_timeout, accept, request
):
    client.force_login(user)
    request.getfixturevalue("write_lock_held_elsewhere")
    response = client.post("/students/test/", {"count": 10}, headers={"accept": accept})
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert not Task.objects.exists()
    message = "The site is busy saving other changes and saved nothing; try again in a moment."
    if accept == "application/json":
        assert json.loads(response.content) == {"error": message}
    else:
        assert message in response.text
        assert "database is locked" not in response.text


def test_once_the_lock_is_free_the_same_write_succeeds(client, user, short_busy_timeout):
    client.force_login(user)
    response = client.post("/students/test/", {"count": 10}, headers={"accept": "application/json"})
    assert response.status_code == 202
    assert Task.objects.count() == 1


def test_a_lock_timeout_outside_the_view_is_a_503_too(rf):
    """Django turns an exception raised in a middleware (the session saved on the way
    out) into a 500 at that layer; the outer middleware answers 503 instead."""
    from django.contrib.auth.models import AnonymousUser
    from django.core.handlers.exception import convert_exception_to_response
    from django.db import OperationalError

    from core.middleware import DatabaseBusyMiddleware

    def saving_the_session(request):
        raise OperationalError("database is locked")

    def failing_otherwise(request):
        raise OperationalError("no such table: somewhere")

    request = rf.get("/", headers={"accept": "application/json"})
    request.user = AnonymousUser()
    busy = DatabaseBusyMiddleware(convert_exception_to_response(saving_the_session))(request)
    assert busy.status_code == 503
    assert busy["Retry-After"] == "2"
    assert "saved nothing" in json.loads(busy.content)["error"]

    request = rf.get("/")
    request.user = AnonymousUser()
    other = DatabaseBusyMiddleware(convert_exception_to_response(failing_otherwise))(request)
    assert other.status_code == 500
