"""Error answers never carry internal text: a 500 is a plain sentence with an error id that
is also in the log; 400, 403 (CSRF included) and 404 say what happened in the client's
format."""

import logging
import re

import pytest
from django.test import Client
from django.urls import path

from core.http import json_only

pytestmark = pytest.mark.django_db

SECRET = "password=hunter2 host=db.internal"


def explode(request):
    raise RuntimeError(f"connection to server failed: {SECRET}")


@json_only
def explode_json(request):
    raise RuntimeError(f"connection to server failed: {SECRET}")


urlpatterns = [path("explode/", explode), path("explode.json", explode_json)]
handler500 = "core.error_pages.server_error"


@pytest.fixture
def exploding(settings):
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def test_a_500_page_gives_an_error_id_and_nothing_internal(exploding, caplog):
    with caplog.at_level(logging.ERROR):
        response = exploding.get("/explode/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    error_id = re.search(r"error id ([0-9a-f]{12})", response.text).group(1)
    assert SECRET not in response.text and "RuntimeError" not in response.text
    assert "Something went wrong on our side" in response.text
    logged = [record for record in caplog.records if error_id in record.getMessage()]
    assert logged and SECRET in str(logged[0].exc_info[1])
    # Strict CSP on the error page too.
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_500_in_json_carries_the_id(exploding, caplog):
    with caplog.at_level(logging.ERROR):
        for response in (
            exploding.get("/explode.json"),
            exploding.get("/explode/", HTTP_ACCEPT="application/json"),
        ):
            assert response.status_code == 500
            body = response.json()
            assert set(body) == {"error", "error_id"}
            assert body["error_id"] in body["error"] and SECRET not in response.text
            assert body["error_id"] in caplog.text


def test_a_404_never_repeats_the_path(client):
    response = client.get("/nothing/<b>here</b>/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.text
    assert "<b>here" not in response.text and "&lt;b&gt;here" not in response.text
    as_json = client.get("/nothing/", HTTP_ACCEPT="application/json")
    assert as_json.json() == {"error": "There is nothing at this address."}


def test_a_cross_site_post_with_a_stolen_csrf_cookie_and_no_token_is_refused(user):
    """A page elsewhere can make the browser send the cookie, never the token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/students/test/")
    assert "csrftoken" in client.cookies
    response = client.post(
        "/students/test/",
        {"count": 5},
        HTTP_ORIGIN="https://evil.example",
        HTTP_REFERER="https://evil.example/attack.html",
    )
    assert response.status_code == 403
    assert "without a valid security token" in response.text
    assert "Origin checking failed" not in response.text  # the reason goes to the log only
    from users.models import Task

    assert not Task.objects.exists()
    as_json = client.post("/students/test/", {"count": 5}, HTTP_ACCEPT="application/json")
    assert as_json.status_code == 403
    assert as_json.json()["error"].startswith("This form was sent without a valid security token")


def test_a_spoofed_host_is_a_400_that_does_not_repeat_it(client):
    response = client.get("/", HTTP_HOST="evil.example<script>")
    assert response.status_code == 400
    assert "evil.example" not in response.text
    assert "This request could not be understood." in response.text
