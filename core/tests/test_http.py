"""The site's HTTP convention: negotiation, the JSON error shape, 503 for a service down."""

import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import ResolverMatch

from core.http import ServiceUnavailable, error_response, json_error, json_only, wants_json
from core.middleware import RetryLaterMiddleware


@pytest.fixture
def factory():
    return RequestFactory()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("*/*", False),
        ("", False),
        ("text/html;q=0.5, application/json", True),
    ],
)
def test_wants_json_negotiates(factory, accept, expected):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    assert wants_json(factory.get("/", **headers)) is expected


def test_a_json_only_view_answers_json_whatever_is_accepted(factory):
    @json_only
    def view(request):
        return HttpResponse()

    request = factory.get("/", HTTP_ACCEPT="text/html")
    request.resolver_match = ResolverMatch(view, (), {})
    assert wants_json(request) is True


def test_json_error_shape():
    response = json_error(
        "Bad count.",
        status=400,
        errors={"count": [{"message": "Bad count.", "code": "invalid"}]},
        headers={"Retry-After": "3"},
        extra={"task_id": "t1"},
    )
    assert response.status_code == 400
    assert response["Retry-After"] == "3"
    assert json.loads(response.content) == {
        "error": "Bad count.",
        "task_id": "t1",
        "errors": {"count": [{"message": "Bad count.", "code": "invalid"}]},
    }
    assert json.loads(json_error("Gone.", status=404).content) == {"error": "Gone."}


@pytest.mark.django_db
def test_error_page_escapes_the_message(factory):
    request = factory.get("/", HTTP_ACCEPT="text/html")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = error_response(request, "<script>alert(1)</script>", status=400)
    assert response.status_code == 400
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


class _QueueDown(ServiceUnavailable):
    user_message = "The queue is down."
    retry_after = 7


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_service_unavailable_becomes_a_503_with_retry_after(factory, accept):
    from django.contrib.auth.models import AnonymousUser

    request = factory.get("/anything", HTTP_ACCEPT=accept)
    request.user = AnonymousUser()
    middleware = RetryLaterMiddleware(lambda request: HttpResponse())
    response = middleware.process_exception(request, _QueueDown("redis at 10.0.0.3 refused"))
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert b"The queue is down." in response.content
    assert b"10.0.0.3" not in response.content  # the internal detail stays in the log
    if accept == "application/json":
        assert json.loads(response.content) == {"error": "The queue is down."}
    assert middleware.process_exception(request, ValueError("other")) is None
