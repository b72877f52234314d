"""The limits of core.ratelimits, through the views that apply them: 429 with Retry-After
and a clear message in HTML and JSON; other users and addresses are not affected."""

import time

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse

from core.http import TooManyRequests
from core.models import Document
from core.ratelimits import API, PASSWORD_RESET, ZIP_DOWNLOADS
from devtools.processes import free_loopback_port
from users.models import Task

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def rates(settings):
    """Set some limits low for one test: rates(job_start="2/hour")."""

    def set_rates(**rates):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}

    return set_rates


@pytest.fixture
def alice(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def bob(make_user):
    client = Client()
    client.force_login(make_user("bob@example.com"))
    return client


def assert_limited(response, message, *, as_json=False):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    if as_json:
        assert response.json() == {"error": message}
    else:
        assert response["Content-Type"].startswith("text/html")
        assert message.replace("'", "&#x27;") in response.text


def signup(client, n, address="198.51.100.20"):
    return client.post(
        reverse("signup"),
        {"email": f"new{n}@example.com", "password1": "x-Long-pass-42!", "password2": "x"},
        REMOTE_ADDR=address,
    )


def test_signups_per_address(client, rates, settings):
    settings.TRUSTED_PROXIES = []
    rates(signup="3/hour")
    assert [signup(client, n).status_code for n in range(3)] == [400, 400, 400]
    assert_limited(
        signup(client, 3), "Too many accounts were created from your network; try again later."
    )
    assert signup(client, 4, address="198.51.100.21").status_code == 400
    assert client.get(reverse("signup"), REMOTE_ADDR="198.51.100.20").status_code == 200


def test_password_reset_requests_per_address(rf, rates, settings):
    """Declared for the reset view (issue 15) to apply with PASSWORD_RESET.hit(request)."""
    settings.TRUSTED_PROXIES = []
    rates(password_reset="2/hour")
    request = rf.post("/accounts/password/reset/", REMOTE_ADDR="198.51.100.30")
    PASSWORD_RESET.hit(request)
    PASSWORD_RESET.hit(request)
    with pytest.raises(TooManyRequests) as refused:
        PASSWORD_RESET.hit(request)
    assert refused.value.status == 429 and refused.value.retry_after >= 1
    PASSWORD_RESET.hit(rf.post("/", REMOTE_ADDR="198.51.100.31"))


def test_job_starts_per_user(alice, bob, rates, django_capture_on_commit_callbacks):
    rates(job_start="2/hour")
    message = "You have started the CRUD job too often; wait before starting it again."
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            Task.objects.all().delete()
            assert alice.post(reverse("crud_job"), {"count": 5}, **JSON).status_code == 202
        Task.objects.all().delete()
        assert_limited(alice.post(reverse("crud_job"), {"count": 5}, **JSON), message, as_json=True)
        assert_limited(alice.post(reverse("crud_job"), {"count": 5}), message)
        assert not Task.objects.exists()
        assert bob.post(reverse("crud_job"), {"count": 5}, **JSON).status_code == 202
    assert alice.get(reverse("crud_job")).status_code == 200
    django_rq.get_queue("default").empty()


def test_fast_typing_never_reaches_the_search_limit(alice):
    """Three minutes of typing at the box's pace (one request per 200 ms keystroke pause)
    is 900 requests; a burst of 300 in a row stays far below the default limit too."""
    for n in range(300):
        response = alice.get(reverse("student_search"), {"q": f"jo{n}"})
        assert response.status_code == 200


def test_search_past_its_limit_is_a_429(alice, bob, rates):
    rates(search="5/minute")
    message = "You are searching faster than the site allows; wait a moment."
    for _ in range(5):
        assert alice.get(reverse("student_search"), {"q": "jo"}).status_code == 200
    assert_limited(alice.get(reverse("student_search"), {"q": "jo"}), message, as_json=True)
    assert_limited(alice.get(reverse("student_list"), {"q": "jo"}), message)
    # Queries too short to search cost nothing; the page without a query still shows.
    assert alice.get(reverse("student_list")).status_code == 200
    assert bob.get(reverse("student_search"), {"q": "jo"}).status_code == 200


def upload(client, *files, **extra):
    return client.post(
        reverse("upload"),
        {"folder": "F", "file": [SimpleUploadedFile(name, data) for name, data in files]},
        **extra,
    )


def test_upload_bytes_per_user_per_hour(alice, bob, user, rates):
    rates(upload_bytes="3000000/hour")
    assert upload(alice, ("a.bin", b"a" * 1_000_000), **JSON).status_code == 201
    assert upload(alice, ("b.bin", b"b" * 1_000_000), **JSON).status_code == 201
    refused = upload(alice, ("c.bin", b"c" * 1_500_000), **JSON)
    assert_limited(
        refused,
        "You have uploaded as much as the site allows in an hour; nothing was uploaded. "
        "Try again later.",
        as_json=True,
    )
    assert Document.objects.filter(owner=user).count() == 2
    assert upload(bob, ("c.bin", b"c" * 1_500_000), **JSON).status_code == 201


def test_concurrent_zip_downloads_per_user(alice, bob, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert upload(alice, ("a.txt", b"hello"), **JSON).status_code == 201
    maximum = settings.CONCURRENCY_LIMITS["zip_downloads"]
    open_downloads = [alice.post(reverse("download"), {"folder_name": "F"}) for _ in range(maximum)]
    assert all(response.status_code == 200 for response in open_downloads)
    refused = alice.post(reverse("download"), {"folder_name": "F"}, **JSON)
    assert_limited(
        refused,
        "You are already downloading as many folders at once as the site allows; "
        "wait for one to finish.",
        as_json=True,
    )
    # Bob has slots of his own (and no folder F: a 404, not a 429).
    assert bob.post(reverse("download"), {"folder_name": "F"}).status_code == 404
    # A finished download frees its slot; so does one the client drops.
    assert b"".join(open_downloads[0].streaming_content).startswith(b"PK")
    # What the server does when the client goes away before the first byte (the test
    # database must not close with it, as the test client arranges for its own requests).
    request_finished.disconnect(close_old_connections)
    try:
        open_downloads[1].close()
    finally:
        request_finished.connect(close_old_connections)
    for _ in range(maximum):
        response = alice.post(reverse("download"), {"folder_name": "F"})
        assert response.status_code == 200
    assert alice.post(reverse("download"), {"folder_name": "F"}).status_code == 429


def test_a_lease_of_a_dead_process_expires(rf, user, settings, monkeypatch):
    request = rf.get("/")
    request.user = user
    leases = [
        ZIP_DOWNLOADS.acquire(request) for _ in range(settings.CONCURRENCY_LIMITS["zip_downloads"])
    ]
    with pytest.raises(TooManyRequests, match="already downloading"):
        ZIP_DOWNLOADS.acquire(request)
    # Nobody releases them (the process died): they expire.
    later = time.time() + ZIP_DOWNLOADS.lease_seconds + 1
    monkeypatch.setattr(time, "time", lambda: later)
    ZIP_DOWNLOADS.acquire(request).release()
    assert len(leases) == settings.CONCURRENCY_LIMITS["zip_downloads"]


def test_api_calls_per_user_or_key(rf, user, rates):
    """Declared for the REST API (issue 17): per user, or per API key given as identity."""
    rates(api="2/minute")
    request = rf.get("/api/v1/me/")
    request.user = user
    API.hit(request)
    API.hit(request)
    with pytest.raises(TooManyRequests, match="Too many API requests"):
        API.hit(request)
    API.hit(request, identity="api-key:42")


def test_limits_let_requests_through_while_redis_is_down(alice, settings, rates):
    rates(search="1/minute")
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    for _ in range(3):
        assert alice.get(reverse("student_search"), {"q": "jo"}).status_code == 200
