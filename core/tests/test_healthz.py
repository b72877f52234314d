import pytest
from django.db import connection

from devtools.processes import free_loopback_port

pytestmark = pytest.mark.django_db


def test_all_parts_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "redis", "search", "search_sync", "storage"}
    assert all(part["ok"] for part in body["components"].values())
    assert body["components"]["database"]["backend"] == connection.vendor
    assert body["components"]["search"]["backend"] == "database"
    assert response["Cache-Control"].startswith("max-age=0")


def test_redis_down_is_a_503(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_loopback_port()}/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["components"]["redis"]["ok"] is False
    assert body["components"]["database"]["ok"] is True


def test_unreachable_search_engine_is_a_503(client, settings):
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{free_loopback_port()}"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["search"]["ok"] is False


def test_only_get(client):
    assert client.post("/healthz").status_code == 405
