import pytest
from django.db import connection

from core import health
from devtools.processes import free_loopback_port
from project.settings_helpers import redis_caches

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def _fresh_health():
    health.forget_cached_health()
    yield
    health.forget_cached_health()


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("ops@example.com", is_staff=True))
    return client


def test_anonymous_callers_get_only_the_status(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_logged_in_user_who_is_not_staff_gets_only_the_status(client, user):
    client.force_login(user)
    assert client.get("/healthz").json() == {"status": "ok"}


def test_staff_get_every_component(staff_client):
    response = staff_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "redis", "search", "search_sync", "storage"}
    assert all(part["ok"] for part in body["components"].values())
    assert body["components"]["database"]["backend"] == connection.vendor
    assert body["components"]["search"]["backend"] == "database"


def test_the_metrics_token_gets_every_component(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert set(response.json()["components"]) == {
        "database",
        "redis",
        "search",
        "search_sync",
        "storage",
    }


@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer ", "", TOKEN]
)
def test_a_wrong_or_missing_token_gets_only_the_status(client, settings, authorization):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)
    assert response.json() == {"status": "ok"}


def test_no_token_is_configured_so_none_is_accepted(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer ")
    assert response.json() == {"status": "ok"}


def test_redis_down_is_a_503(staff_client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    response = staff_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["redis"]["ok"] is False
    assert body["components"]["database"]["ok"] is True


def test_an_anonymous_503_names_no_part(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_unreachable_search_engine_is_a_503(staff_client, settings):
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{free_loopback_port()}"
    response = staff_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["search"]["ok"] is False


def test_checks_are_cached_for_a_few_seconds(client, settings, monkeypatch):
    calls = []
    monkeypatch.setitem(health._probes, "counted", lambda: calls.append(1) or {})
    settings.HEALTH_CACHE_SECONDS = 60
    health.forget_cached_health()
    for _ in range(20):
        assert client.get("/healthz").status_code == 200
    assert len(calls) == 1
    settings.HEALTH_CACHE_SECONDS = 0
    client.get("/healthz")
    assert len(calls) == 2


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_livez_touches_nothing(client, settings, django_assert_num_queries):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    settings.CACHES = redis_caches(settings.REDIS_URL)
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
