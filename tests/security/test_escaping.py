"""Markup and control characters in every GET parameter and path segment of every URL.

The URLconf is walked (admin and the RQ dashboard included); each URL is requested by a
staff user and by an anonymous visitor with the payload in each path segment a converter
takes as text, and in each GET parameter the view reads (found by recording which keys the
view asks the query string for) plus one it does not know. No answer may be a server error,
and no HTML answer may carry the markup or the control characters raw.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from cookbook.models import Recipe
from core.models import Document
from students.models import Student
from users.models import Task

MARKUP = "\"'><script>alert(1)</script><svg onload=alert(2)>"
CONTROLS = "\x00\x01\x08\x0b\x1b\x7f\u202e"
# Sent one at a time: control characters alone are refused before any view runs.
PAYLOADS = (MARKUP, CONTROLS)
RAW_MARKERS = ("<script>alert(1)", "<svg onload=alert(2)")

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    route: str  # the route with its converters, e.g. "recipes/<int:recipe_id>/"
    url: str  # a concrete URL with the payload in every text segment
    payload: str


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, namespaced name, pattern) of every URL pattern."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield prefix + str(entry.pattern), f"{namespace}{entry.name or ''}", entry


def _from_route(route: str, values: dict[str, str], payload: str) -> str:
    """A path() route with each converter replaced: ids for integers, the payload for text."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return values.get(name, "0")
        if converter == "uuid":
            return str(uuid.uuid4())
        return quote(payload, safe="")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _from_regex(name: str, pattern: URLPattern, payload: str) -> str | None:
    r"""A re_path() URL with the payload in every group its regex lets it into, or none at
    all when the regex refuses it (e.g. the RQ dashboard's `[\w]+` token)."""
    groups = list(pattern.pattern.regex.groupindex)
    for kwargs in (dict.fromkeys(groups, payload), {}):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def every_route(ids: dict[str, str]) -> list[Route]:
    routes = []
    for route, name, pattern in _walk(get_resolver().url_patterns):
        for payload in PAYLOADS:
            if isinstance(pattern.pattern, RoutePattern):
                routes.append(Route(route, _from_route(route, ids, payload), payload))
            elif (url := _from_regex(name, pattern, payload)) is not None:
                routes.append(Route(route, url, payload))
    return routes


class KeyRecorder:
    """Which query-string keys a request's view asked for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.keys: set[str] = set()
        recorder = self
        for method in ("get", "__getitem__", "getlist", "__contains__"):
            original = getattr(QueryDict, method)

            def recording(self, key, *args, _original=original, **kwargs):
                if isinstance(key, str):
                    recorder.keys.add(key)
                return _original(self, key, *args, **kwargs)

            monkeypatch.setattr(QueryDict, method, recording)


# Staff-only pages of django-rq that fail whatever they are sent: its scheduler pages need
# rq-scheduler, which this site does not use.
VENDOR_FAILURES = ("schedulers/<int:scheduler_index>/",)


def assert_not_echoed(response, where: str, route: Route) -> None:
    if not route.route.endswith(VENDOR_FAILURES):
        assert response.status_code < 500, f"{where}: {response.status_code}"
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    for marker in RAW_MARKERS:
        assert marker.lower() not in text.lower(), f"{where} echoes markup raw"
    for char in CONTROLS:
        assert char not in text, f"{where} echoes {char!r} raw"


@pytest.fixture
def objects(make_user):
    """One of each thing a URL can name, so that integer ids lead somewhere."""
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    recipe = Recipe.objects.create(name="Soup", desc="Hot.", instructions="Boil.")
    student = Student.objects.create(first_name="Ann", last_name="Lee", email="a@x.io", age=20)
    task = Task.objects.create(owner=staff, kind=Task.Kind.STUDENT_CRUD, rq_job_id="job-1")
    Document.objects.create(
        owner=staff, folder="F", original_name="a.txt", file="documents/x", size=1
    )
    ids = {"recipe_id": str(recipe.pk), "object_id": str(student.pk), "task_id": str(task.pk)}
    return staff, ids


def _requests(client: Client, route: Route, monkeypatch) -> Iterator[tuple[str, object]]:
    recorder = KeyRecorder(monkeypatch)
    first = client.get(route.url, follow=True)
    yield route.url, first
    keys = sorted(recorder.keys)
    monkeypatch.undo()
    for key in [*keys, route.payload]:
        url = f"{route.url}?{urlencode({key: route.payload})}"
        yield url, client.get(url, follow=True)
    if keys:
        url = f"{route.url}?{urlencode(dict.fromkeys(keys, route.payload))}"
        yield url, client.get(url, follow=True)


def test_no_answer_echoes_markup_or_control_characters(objects, monkeypatch):
    staff, ids = objects
    anonymous = Client(raise_request_exception=False)
    logged_in = Client(raise_request_exception=False)
    logged_in.force_login(staff)
    routes = every_route(ids)
    assert len(routes) > 80  # the walk found the admin and the RQ dashboard too
    checked = 0
    for route in routes:
        for client in (anonymous, logged_in):
            for url, response in _requests(client, route, monkeypatch):
                assert_not_echoed(response, url, route)
                checked += 1
    assert checked > len(routes) * 4


def test_the_student_sort_no_longer_reflects_its_value(client, objects):
    staff, _ = objects
    client.force_login(staff)
    response = client.get("/students/", {"sort": "<svg onload=alert(1)>"})
    assert response.status_code == 400
    assert "<svg" not in response.text and "&lt;svg" not in response.text
    assert resolve("/students/").url_name == "student_list"
