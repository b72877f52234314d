"""/metrics: Prometheus text for staff or the metrics token, parsed with prometheus_client's
own parser; refused to everyone else; the shared counters add up across processes."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import KEY_PREFIX, MetricsBuffer, reset_shared_metrics
from core.redis_client import shared_redis
from devtools.processes import free_loopback_port
from students.search import search_students
from users.models import Task
from users.tasks.services import create_task, fail_task, finish_task, start_task

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def fresh_metrics():
    reset_shared_metrics()
    yield
    reset_shared_metrics()


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, **headers):
    response = client.get(reverse("metrics"), **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def samples(family, name=None, **labels):
    return [
        sample.value
        for sample in family.samples
        if (name is None or sample.name == name)
        and all(sample.labels.get(key) == value for key, value in labels.items())
    ]


@pytest.mark.engine
def test_the_token_scrapes_every_family(
    client, token, user, make_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the updates are published
        running = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
        start_task(running.public_id, message="go")
        finish_task(running.public_id, result={}, message="done")
        failed = create_task(owner=make_user("bob@example.com"), kind=Task.Kind.STUDENT_CRUD)
        fail_task(failed.public_id, message="lost")
    search_students("jo")
    client.get("/")  # a recipe list read: a cache miss, then a hit
    client.get("/")

    families = scrape(client, HTTP_AUTHORIZATION=f"Bearer {token}")

    tasks = families["app_tasks"]
    assert samples(tasks, status="finished", kind="student_crud") == [1]
    assert samples(tasks, status="failed") == [1]
    assert samples(tasks, status="cancelled") == [0]
    durations = families["app_job_duration_seconds"]
    assert samples(durations, "app_job_duration_seconds_count", status="finished") == [1]
    assert samples(durations, "app_job_duration_seconds_bucket", status="finished", le="+Inf")
    assert samples(families["app_task_updates_published"]) == [3]  # start, finish, fail
    search = families["app_search_duration_seconds"]
    assert samples(search, "app_search_duration_seconds_count", backend="database") == [1]
    cache = families["app_recipe_cache_requests"]
    [misses], [hits] = samples(cache, result="miss"), samples(cache, result="hit")
    assert misses >= 1 and hits >= 1  # the second page read what the first built
    assert samples(families["app_search_outbox_pending"]) == [0]
    assert "app_search_outbox_oldest_seconds" in families
    assert samples(families["app_open_websockets"]) == [0]
    requests = families["app_http_requests"]
    assert samples(requests, method="GET", status="200") == [2]
    assert samples(families["app_http_request_duration_seconds"], le="+Inf", method="GET") == [2]
    assert samples(families["app_db_queries"])[0] >= 1
    assert "rq_jobs" in families and "rq_workers" in families


def test_a_staff_session_may_scrape(client, make_user):
    client.force_login(make_user("ops@example.com", is_staff=True))
    assert "app_tasks" in scrape(client)


def test_without_credentials_it_is_a_401(client, token):
    response = client.get(reverse("metrics"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"app_tasks" not in response.content


@pytest.mark.parametrize("authorization", [f"Bearer {TOKEN}x", "Bearer ", "Bearer wrong"])
def test_a_wrong_token_is_a_403(client, token, authorization):
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 403
    assert b"app_tasks" not in response.content


def test_no_token_configured_refuses_every_bearer(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_a_user_who_is_not_staff_is_a_403(logged_in):
    assert logged_in.get(reverse("metrics")).status_code == 403


def test_counters_from_other_processes_add_up(client, token):
    """What another process (a gunicorn worker, an RQ work horse) counts is in the scrape
    answered by this one: written at once, or for the per-request metrics at the latest when
    that process exits."""
    code = (
        "import django; django.setup();"
        "from users.tasks.metrics import TASK_UPDATES_PUBLISHED as m; m.inc(); m.inc(2);"
        "from core.metrics import record_request as r;"
        "r(method='GET', status=200, seconds=0.01, queries=2, vendor='sqlite')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}
    env["REDIS_URL"] = settings.REDIS_URL
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    client.get("/")  # one request of this process, not written yet when the scrape begins
    families = scrape(client, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert samples(families["app_task_updates_published"]) == [3]
    assert samples(families["app_http_requests"], method="GET", status="200") == [2]
    assert samples(families["app_db_queries"], vendor="sqlite")[0] >= 2


# The per-request metrics' buffer

KEY = KEY_PREFIX + "test_buffer"


@pytest.fixture
def stored():
    client = shared_redis(settings.REDIS_URL)
    client.delete(KEY)
    yield lambda: {k.decode(): float(v) for k, v in client.hgetall(KEY).items()}
    client.delete(KEY)


def test_the_buffer_adds_up_in_memory_and_writes_once(stored):
    buffer = MetricsBuffer(interval=3600)
    for _ in range(100):
        buffer.add([(KEY, "count", 1), (KEY, "sum", 0.25)])
    assert stored() == {}  # a hundred requests, no round trip yet
    buffer.flush()
    assert stored() == {"count": 100, "sum": 25.0}
    buffer.flush()  # nothing pending: nothing written twice
    assert stored() == {"count": 100, "sum": 25.0}


def test_the_buffer_writes_by_itself_every_interval(stored):
    buffer = MetricsBuffer(interval=0.05)
    buffer.add([(KEY, "count", 3)])
    deadline = time.monotonic() + 10
    while stored() != {"count": 3} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stored() == {"count": 3}


def test_counts_wait_in_memory_while_redis_does_not_answer(stored, settings):
    buffer = MetricsBuffer(interval=3600)
    buffer.add([(KEY, "count", 2)])
    real_url = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"  # nothing listens
    buffer.flush()
    buffer.add([(KEY, "count", 1)])
    settings.REDIS_URL = real_url
    assert stored() == {}
    buffer.flush()
    assert stored() == {"count": 3}  # nothing lost, nothing counted twice


def test_a_forked_child_does_not_count_its_parents_requests_again(stored):
    buffer = MetricsBuffer(interval=3600)
    buffer.add([(KEY, "count", 5)])
    child = os.fork()
    if child == 0:  # the child (an RQ work horse): writes only what it counts itself
        buffer.add([(KEY, "count", 1)])
        buffer.flush()
        os._exit(0)
    assert os.waitpid(child, 0)[1] == 0
    buffer.flush()
    assert stored() == {"count": 6}


@pytest.mark.parametrize("path", ["/django-rq/metrics", "/admin/django_rq/dashboard/metrics/"])
def test_django_rqs_own_metrics_pages_are_ours(client, token, path):
    for _ in range(2):  # theirs failed on the second scrape after a `name[]` filter
        response = client.get(path, {"name[]": "rq_workers"}, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        assert "app_tasks" in {f.name for f in text_string_to_metric_families(response.text)}
    assert client.get(path).status_code == 401
