"""Elasticsearch stopped mid-session: search says so, writes still work, a rebuild catches up."""

import logging

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from devtools.elasticsearch_server import start_elasticsearch_server
from devtools.live import start_daphne
from devtools.processes import stop_process
from students.models import Student
from students.search import ensure_index, refresh_index, search_students
from students.tests.browser import log_in, result_rows, type_query
from students.tests.factories import make_students

# Transactional: a daphne of our own reads the same database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def doomed_node(settings):
    """A second node of our own, so that the session's node keeps serving the other tests."""
    node = start_elasticsearch_server()
    settings.ELASTICSEARCH_URL = node.url
    ensure_index()
    yield node
    node.stop()


@pytest.fixture
def daphne_on_doomed_node(doomed_node, live_server_env, tmp_path):
    env = {**live_server_env, "ELASTICSEARCH_URL": doomed_node.url}
    url, process = start_daphne(env, tmp_path / "daphne.log")
    yield url
    stop_process(process)


def test_engine_outage_and_recovery(
    doomed_node, daphne_on_doomed_node, page, client, user, password, caplog, settings
):
    settings.HEALTH_CACHE_SECONDS = 0  # /healthz checks again on each call
    client.force_login(user)
    make_students()
    assert client.get("/students/search/", {"q": "smith"}).json()["count"] == 2
    log_in(page, daphne_on_doomed_node, user.email, password)
    type_query(page, "smith")
    expect(result_rows(page)).to_have_count(2)
    expect(page.locator("#search-status")).to_contain_text("2 students found")

    doomed_node.stop(keep_data=True)

    type_query(page, "smithe")
    expect(page.locator("#search-status")).to_have_text("Search is unavailable right now.")
    expect(page.locator("#search-results")).to_be_hidden()

    response = client.get("/students/search/", {"q": "smith"})
    assert response.status_code == 503
    assert response.json() == {"error": "Search is unavailable right now; try again in a moment."}
    page = client.get("/students/", {"q": "smith"})
    assert page.status_code == 200
    assert "Search is unavailable" in page.content.decode()
    assert client.get("/healthz").status_code == 503

    with caplog.at_level(logging.ERROR, logger="students.signals"):
        grace = Student.objects.create(
            first_name="Grace", last_name="Hopper", email="g@x.org", age=85
        )
        grace.age = 86
        grace.save()
    assert Student.objects.get(pk=grace.pk).age == 86
    assert "rebuild the index" in caplog.text

    restarted = start_elasticsearch_server(restart=doomed_node)
    try:
        assert search_students("hopper").results == []  # written while the engine was down
        call_command("search_index", "--rebuild", "-f", "--no-parallel", verbosity=0)
        refresh_index()
        assert [row["id"] for row in search_students("hopper").results] == [grace.pk]
        assert len(search_students("smith").results) == 2
        assert client.get("/healthz").status_code == 200
    finally:
        restarted.stop()
