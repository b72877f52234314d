"""The search outbox: changes recorded in their own transaction, applied by a worker, retried
with backoff while the engine does not answer, and the drift the reconciliation repairs."""

from datetime import timedelta

import django_rq
import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from devtools.processes import free_loopback_port
from students.fakes import FakeStudents
from students.health import search_sync_probe
from students.models import SearchOutbox, SearchReconciliation, Student
from students.search import (
    drain_outbox,
    index_alias,
    index_students,
    refresh_index,
    search_students,
)
from students.search.outbox import DRAIN_JOB
from students.search.reconcile import reconcile_index, reconcile_when_due
from students.tests.factories import make_students
from students.tests.search.engine import engine

pytestmark = [pytest.mark.engine, pytest.mark.django_db]

UNREACHABLE = f"http://127.0.0.1:{free_loopback_port()}"


def found(query):
    return {row["id"] for row in search_students(query).results}


def engine_down():
    """Search on an engine that does not answer (connection refused), for a while."""
    return override_settings(
        ELASTICSEARCH_URL=UNREACHABLE,
        ELASTICSEARCH_DSL={"default": {"hosts": UNREACHABLE, "max_retries": 0}},
    )


def make_due():
    SearchOutbox.objects.update(next_attempt=timezone.now())


def test_a_change_is_recorded_in_its_own_transaction(elasticsearch):
    with transaction.atomic():
        kept = Student.objects.create(first_name="Kept", last_name="Row", email="k@x.org", age=20)
    with pytest.raises(RuntimeError), transaction.atomic():
        Student.objects.create(first_name="Lost", last_name="Row", email="l@x.org", age=20)
        raise RuntimeError("rolled back")
    assert list(SearchOutbox.objects.values_list("student_id", flat=True)) == [kept.pk]


def test_many_changes_queue_one_drain_job(elasticsearch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            Student.objects.create(
                first_name="Many", last_name=f"Row{n}", email=f"m{n}@x.org", age=2
            )
    queue = django_rq.get_queue("default")
    assert [job.func_name for job in queue.jobs] == [DRAIN_JOB]
    assert SearchOutbox.objects.count() == 3


def test_the_database_backend_needs_no_outbox():
    Student.objects.create(first_name="Db", last_name="Only", email="d@x.org", age=20)
    assert not SearchOutbox.objects.exists()
    assert found("only")


def test_changes_made_while_the_engine_is_down_reach_it_once_it_answers(elasticsearch):
    kept, gone = Student.objects.bulk_create(FakeStudents(seed=3).batch(2))
    index_students([kept, gone])
    with engine_down():
        grace = Student.objects.create(
            first_name="Grace", last_name="Hopper", email="g@x.org", age=85
        )
        kept.last_name = "Renamed"
        kept.save()
        gone.delete()

        assert drain_outbox() == {"applied": 0, "retrying": 3}
        entry = SearchOutbox.objects.get(student_id=grace.pk)
        assert entry.attempts == 1 and "did not answer" in entry.last_error
        assert entry.next_attempt > timezone.now()  # backing off: not due yet
        assert drain_outbox() == {"applied": 0, "retrying": 0}
        make_due()
        before = timezone.now()
        drain_outbox()
        after = timezone.now()
        entry.refresh_from_db()
        assert entry.attempts == 2
        # 1 s after the first try, 2 s after the second, counted from the drain.
        assert before + timedelta(seconds=2) <= entry.next_attempt <= after + timedelta(seconds=2)
        assert search_sync_probe()["outbox"]["retrying"] == 3

    make_due()
    assert drain_outbox() == {"applied": 3, "retrying": 0}
    assert found("hopper") == {grace.pk}
    assert found("renamed") == {kept.pk}
    assert gone.pk not in found(gone.last_name)
    assert search_sync_probe()["outbox"] == {"pending": 0, "retrying": 0, "oldest_seconds": None}


def test_backoff_is_capped(elasticsearch, settings):
    settings.SEARCH_OUTBOX_RETRY_MAX_SECONDS = 3
    student = Student.objects.create(first_name="Cap", last_name="Ped", email="c@x.org", age=1)
    with engine_down():
        for _ in range(6):
            make_due()
            before = timezone.now()
            drain_outbox()
            after = timezone.now()
    entry = SearchOutbox.objects.get(student_id=student.pk)
    assert entry.attempts == 6
    # 1, 2, 4, 8, 16 and 32 s uncapped: 3 s from the last drain.
    assert before + timedelta(seconds=3) <= entry.next_attempt <= after + timedelta(seconds=3)


def test_a_student_outside_the_live_generation_is_removed_from_the_index(elasticsearch):
    student = Student.objects.create(first_name="Ghost", last_name="Row", email="g@x.org", age=1)
    drain_outbox()
    assert found("ghost") == {student.pk}
    Student.every_generation.filter(pk=student.pk).update(generation=99)  # no longer live
    SearchOutbox.objects.create(student_id=student.pk)
    drain_outbox()
    assert found("ghost") == set()


def test_the_reconciliation_finds_and_repairs_drift(elasticsearch):
    ids = make_students()
    alias = index_alias()
    extra = Student.every_generation.order_by("-pk").first().pk + 1
    # Drift of every kind, made behind the app's back.
    engine().delete(index=alias, id=ids["John Smith"], refresh=True)
    engine().update(index=alias, id=ids["Jon Snow"], doc={"age": 99, "checksum": 1}, refresh=True)
    engine().index(
        index=alias,
        id=extra,
        document={
            "id": extra,
            "first_name": "Nobody",
            "last_name": "Here",
            "email": "n@x.org",
            "age": 1,
            "terms": "nobody here n x org",
        },
        refresh=True,
    )
    assert found("nobody") == {extra}

    record = reconcile_index()
    assert record.ok
    assert record.students_requeued == 3
    assert record.database_count == len(ids) and record.index_count == len(ids)  # 8 - 1 + 1
    refresh_index()
    assert found("smith") == {ids["John Smith"], ids["Johanna Smithers"]}
    assert engine().get(index=alias, id=ids["Jon Snow"])["_source"]["age"] == 19
    assert found("nobody") == set()
    assert reconcile_index().students_requeued == 0
    last = search_sync_probe()["last_reconciliation"]
    assert last["ok"] and last["detail"] == "The index matches the database."


def test_the_reconciliation_runs_when_due(elasticsearch, settings):
    settings.SEARCH_RECONCILE_INTERVAL_SECONDS = 3600
    make_students()
    assert reconcile_when_due() == {"ok": True, "requeued": 0}
    assert reconcile_when_due() is None
    SearchReconciliation.objects.update(finished=timezone.now() - timedelta(hours=2))
    assert reconcile_when_due() is not None


def test_a_reconciliation_while_the_engine_is_down_is_recorded_as_failed(elasticsearch):
    with engine_down():
        record = reconcile_index()
    assert not record.ok
    assert record.detail.startswith("The search engine did not answer")


def test_on_the_database_backend_there_is_nothing_to_reconcile():
    record = reconcile_index()
    assert record.ok and "database" in record.detail
