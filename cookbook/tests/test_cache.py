"""The cache under load and without Redis: one build per cold key, pages from the database."""

import logging
import threading
import time

import pytest
from django.core.cache import cache as django_cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cookbook import cache, selectors
from cookbook.models import Recipe
from devtools.processes import free_loopback_port, stop_process
from devtools.redis_server import start_redis_server
from project.settings_helpers import redis_backed_settings

THREADS = 12


def run_together(target, count=THREADS):
    """Start `count` threads on `target` at the same moment; return their results."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(index):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_concurrent_reads_of_a_cold_key_build_it_once(db):
    builds = []

    def slow_build():
        builds.append(threading.get_ident())
        time.sleep(0.3)  # long enough for every other thread to find the key cold
        return {"built": True}

    results = run_together(lambda: cache.read_through("stampede", "data", slow_build))
    assert results == [{"built": True}] * THREADS
    assert len(builds) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_on_a_cold_list_page_query_the_database_once(make_many_recipes):
    make_many_recipes(200)

    def get_list_page():
        with CaptureQueriesContext(connection) as queries:
            response = Client().get(reverse("recipe_list"))
        recipe_queries = [q for q in queries if "cookbook_recipe" in q["sql"]]
        return response.status_code, response.content, len(recipe_queries)

    results = run_together(get_list_page)
    assert {status for status, _, _ in results} == {200}
    assert len({content for _, content, _ in results}) == 1
    assert b"Recipe 0199" in results[0][1]
    assert sorted(count for _, _, count in results) == [0] * (THREADS - 1) + [1]


def test_a_waiter_reads_the_database_when_the_builder_never_finishes(db, monkeypatch):
    monkeypatch.setattr(cache, "WAIT_SECONDS", 0.2)
    key = cache._value_key("stuck", "data")
    stuck_builder = django_cache._cache.get_client(key, write=True).lock(
        django_cache.make_and_validate_key(f"{key}:lock"), timeout=30
    )
    assert stuck_builder.acquire(blocking=False)
    try:
        assert (
            cache.read_through("stuck", "data", lambda: "from the database") == "from the database"
        )
        # Served, but not cached: the lock holder stays the one to store it.
        assert django_cache.get(key) is None
    finally:
        stuck_builder.release()


@pytest.fixture
def second_redis(tmp_path):
    """A Redis of this test's own, behind the cache, that the test may stop."""
    port = free_loopback_port()
    process = start_redis_server(port=port, workdir=tmp_path)
    with override_settings(**redis_backed_settings(f"redis://127.0.0.1:{port}/0")):
        yield process
    stop_process(process)


@pytest.mark.django_db(transaction=True)
def test_pages_render_from_the_database_when_redis_stops(
    client, second_redis, make_recipe, caplog, django_assert_num_queries
):
    soup = make_recipe()
    detail = reverse("recipe_detail", args=[soup.pk])
    client.get(reverse("recipe_list"))
    with django_assert_num_queries(0):
        assert client.get(reverse("recipe_list")).status_code == 200

    stop_process(second_redis)
    with caplog.at_level(logging.WARNING, logger="cookbook.cache"):
        listing = client.get(reverse("recipe_list"))
        page = client.get(detail)
        # A write while Redis is down succeeds; the next page reads it from the database.
        soup.name = "Soup Without Redis"
        soup.save()
        after_write = client.get(reverse("recipe_list"))

    assert listing.status_code == page.status_code == after_write.status_code == 200
    assert "Tomato Soup" in listing.text
    assert "<h1>Tomato Soup</h1>" in page.text
    assert "Soup Without Redis" in after_write.text
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all("reading" in r.getMessage() for r in warnings)
    assert any(
        r.levelno == logging.ERROR and "not invalidated" in r.getMessage() for r in caplog.records
    )
    assert client.get("/recipes/999/").status_code == 404


def test_selectors_read_the_database_when_redis_never_answered(
    db, make_recipe, django_assert_num_queries, caplog
):
    make_recipe()
    never_started = f"redis://127.0.0.1:{free_loopback_port()}/0"
    with (
        override_settings(**redis_backed_settings(never_started)),
        caplog.at_level(logging.WARNING, logger="cookbook.cache"),
        django_assert_num_queries(2),
    ):
        recipes = selectors.recipe_list()
    assert [recipe["name"] for recipe in recipes] == ["Tomato Soup"]
    assert "Recipe cache unavailable" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_during_a_build_does_not_leave_old_data_cached(make_recipe):
    soup = make_recipe()

    def build_then_a_write_commits():
        recipes = selectors.build_recipe_list()
        Recipe.objects.filter(pk=soup.pk).update(name="Renamed Meanwhile")
        return recipes

    served = cache.read_through(cache.LIST_SCOPE, "data", build_then_a_write_commits)
    assert served[0]["name"] == "Tomato Soup"  # read before the write committed
    assert selectors.recipe_list()[0]["name"] == "Renamed Meanwhile"
