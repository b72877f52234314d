"""Elasticsearch stopped mid-job and during ordinary edits, then started again on its own
data: search says it is unavailable meanwhile, nothing half-written becomes searchable, the
job ends failed with the previous students in place, and every edit made meanwhile is found
once the engine answers, without an operator (no rebuild)."""

import re
import time

import pytest

from devtools.live import rq_worker
from devtools.waiting import wait_until
from students.health import search_sync_probe
from students.models import SearchOutbox, Student
from students.search import SearchUnavailable, delete_index, ensure_index, search_students
from students.tests.live import post_json, receive_until, session_for, task_socket
from tests.faults.live import (
    OLD_GENERATION_SIZE,
    old_generation,
    only_these_are_visible,
)

pytestmark = pytest.mark.django_db(transaction=True)

UPDATE_TIMEOUT = 90


@pytest.fixture
def engine(restartable_elasticsearch):
    restartable_elasticsearch.ensure_running()
    return restartable_elasticsearch


@pytest.fixture
def on_engine(engine, settings, fault_env):
    """This process and the worker search on the module's engine, from an empty index."""
    settings.ELASTICSEARCH_URL = engine.url
    delete_index()
    ensure_index()
    return {**fault_env, "ELASTICSEARCH_URL": engine.url}


def found(query):
    return {row["id"] for row in search_students(query).results}


def is_terminal(update):
    return update["status"] in ("finished", "failed")


def test_elasticsearch_stopped_mid_job(engine, on_engine, live_daphne, user, tmp_path, heal_time):
    old = old_generation()
    session_key = session_for(user)
    with (
        task_socket(live_daphne, session_key) as socket,
        rq_worker(on_engine, tmp_path / "worker.log", "--with-scheduler"),
    ):
        status, body = post_json(live_daphne, "/students/test/", {"count": 20_000}, session_key)
        assert status == 202
        receive_until(
            socket, lambda u: u["status"] == "running" and u["progress"] > 0, UPDATE_TIMEOUT
        )
        engine.stop()
        final = receive_until(socket, is_terminal, UPDATE_TIMEOUT)[-1]
        assert (final["task_id"], final["status"]) == (body["task_id"], "failed")
        assert re.fullmatch(
            r"The job failed: the search engine did not answer\. The previous students are "
            rf"still in place \(generation \d+, {OLD_GENERATION_SIZE} students\); none of the "
            r"new ones were kept\. Error id [0-9a-f]{12}\.",
            final["message"],
        )
        assert Student.every_generation.count() == len(old)  # its rows are gone
        with pytest.raises(SearchUnavailable):
            search_students("anything")

        engine.start()
        back = time.monotonic()
        someone = Student.objects.get(pk=min(old))
        wait_until(lambda: someone.pk in found(someone.email.split("@")[0]))
        heal_time(time.monotonic() - back)
        only_these_are_visible(old)

        # The next job runs on the engine that came back.
        again, next_task = post_json(live_daphne, "/students/test/", {"count": 30}, session_key)
        assert again == 202
        done = receive_until(socket, is_terminal, UPDATE_TIMEOUT)[-1]
        assert (done["task_id"], done["status"]) == (next_task["task_id"], "finished")
    newcomer = Student.objects.earliest("id")
    assert newcomer.pk in found(newcomer.email.split("@")[0])
    assert Student.objects.count() == 30


def test_edits_made_while_elasticsearch_is_down_are_found_once_it_answers(
    engine, on_engine, client, user, tmp_path, heal_time
):
    old = sorted(old_generation())
    client.force_login(user)
    with rq_worker(on_engine, tmp_path / "worker.log", "--with-scheduler"):
        engine.stop()
        # Edits still work: the database is the source of truth, and each one is on record.
        grace = Student.objects.create(
            first_name="Grace", last_name="Hopper", email="grace@navy.example", age=85
        )
        renamed = Student.objects.get(pk=old[0])
        renamed.last_name = "Lovelace"
        renamed.save()
        gone = Student.objects.get(pk=old[1])
        gone.delete()
        assert SearchOutbox.objects.count() == 3

        # What users see meanwhile: search says it is unavailable, the page still answers.
        response = client.get("/students/search/", {"q": "hopper"})
        assert response.status_code == 503
        assert "Search is unavailable" in client.get("/students/", {"q": "hopper"}).text
        wait_until(lambda: search_sync_probe()["outbox"]["retrying"] == 3)

        engine.start()
        back = time.monotonic()
        wait_until(lambda: not SearchOutbox.objects.exists())
        heal_time(time.monotonic() - back)

    assert found("hopper") == {grace.pk}
    assert found("lovelace") == {renamed.pk}
    assert gone.email.split("@")[0] and old[1] not in found(gone.email.split("@")[0])
    assert search_sync_probe()["outbox"]["pending"] == 0
