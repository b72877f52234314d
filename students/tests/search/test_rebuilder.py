"""The students index is an alias of one concrete index; whole generations switch it."""

import pytest
from django.core.management import call_command
from django.db import transaction

from students.crud_cycle import run_crud_cycle
from students.fakes import FakeStudents
from students.models import Student
from students.search import (
    delete_index,
    drain_outbox,
    ensure_index,
    generation_index,
    index_alias,
    index_students,
    refresh_index,
    search_students,
    sync_index_when_missing,
)
from students.search.backends.elasticsearch import rebuilder
from students.tests.factories import make_students
from students.tests.search.engine import engine

pytestmark = pytest.mark.django_db


def serving():
    """The concrete indices behind the alias."""
    return sorted(engine().indices.get_alias(name=index_alias()))


def student_indices():
    """Every concrete index of ours: the one in service and any unfinished one."""
    alias = index_alias()
    return sorted(engine().indices.get_alias(index=[alias, f"{alias}-*"], ignore_unavailable=True))


def found(query):
    return {row["id"] for row in search_students(query).results}


def stored_in(index, student_id):
    return engine().exists(index=index, id=student_id).body


def old_generation(size=20):
    students = Student.objects.bulk_create(FakeStudents(seed=5).batch(size))
    index_students(students)
    refresh_index()
    return students


def test_the_first_index_is_created_behind_the_alias(elasticsearch):
    delete_index()
    assert student_indices() == []
    assert ensure_index() is True
    assert serving() == [f"{index_alias()}-initial"]
    assert ensure_index() is False  # known to this process now
    delete_index()  # and forgets that it knew
    assert ensure_index() is True
    assert student_indices() == serving() == [f"{index_alias()}-initial"]


def test_a_first_autosync_write_creates_the_alias_not_an_index_of_its_name(elasticsearch):
    delete_index()
    student = Student.objects.create(first_name="Ada", last_name="Byron", email="a@x.org", age=36)
    drain_outbox()  # as the worker does once the change commits
    [concrete] = serving()
    assert concrete != index_alias()
    assert stored_in(concrete, student.pk)
    assert found("byron") == {student.pk}


def test_sync_when_missing_fills_a_new_aliased_index(elasticsearch):
    ids = make_students()
    delete_index()
    assert sync_index_when_missing() == len(ids)
    assert serving() == [f"{index_alias()}-initial"]
    assert found("smith") == {ids["John Smith"], ids["Johanna Smithers"]}


def test_autosync_writes_land_in_the_aliased_index(elasticsearch):
    [concrete] = serving()
    student = Student.objects.create(
        first_name="Grace", last_name="Hopper", email="g@x.org", age=85
    )
    drain_outbox()
    assert engine().get(index=concrete, id=str(student.pk))["_source"]["age"] == 85
    student.age = 86
    student.save()
    drain_outbox()
    assert engine().get(index=concrete, id=str(student.pk))["_source"]["age"] == 86
    pk = student.pk
    student.delete()
    drain_outbox()
    assert not stored_in(concrete, pk)


def test_the_job_switches_the_alias_and_drops_the_old_index(elasticsearch):
    old = old_generation()
    [before] = serving()

    result = run_crud_cycle(50, batch_size=20)

    [after] = serving()
    assert after != before
    assert student_indices() == [after]  # the previous index is gone, nothing unfinished left
    assert engine().count(index=after)["count"] == 50
    assert result["deleted"] == len(old)
    own = engine().indices.get_settings(index=after)[after]["settings"]["index"]
    assert "refresh_interval" not in own  # the filling settings are gone again
    assert own["number_of_replicas"] == "0"  # ELASTICSEARCH_INDEX_REPLICAS
    newcomer = Student.objects.earliest("id")
    assert newcomer.id in found(newcomer.email.split("@")[0])
    assert not found(old[0].email.split("@")[0]) & {s.id for s in old}

    # Autosync follows the alias to the new index.
    edited = Student.objects.create(first_name="Late", last_name="Comer", email="l@x.org", age=30)
    drain_outbox()
    assert stored_in(after, edited.pk)


def test_a_failure_mid_job_leaves_the_alias_on_the_old_index(elasticsearch):
    old = old_generation()
    [before] = serving()
    reports = []

    def fail_on_second_report(progress, message):
        reports.append(progress)
        if len(reports) == 2:
            assert len(student_indices()) == 2  # the new generation's index is being filled
            raise RuntimeError("broken mid-job")

    with pytest.raises(RuntimeError, match="broken mid-job"):
        run_crud_cycle(60, batch_size=20, on_progress=fail_on_second_report)

    assert serving() == [before]
    assert student_indices() == [before]  # no orphan index
    assert sorted(Student.objects.values_list("id", flat=True)) == sorted(s.id for s in old)
    assert old[3].id in found(old[3].email.split("@")[0])


def test_a_failed_commit_after_the_switch_moves_the_alias_back(elasticsearch):
    old = old_generation()
    [before] = serving()
    with pytest.raises(RuntimeError, match="commit failed"), generation_index() as target:
        index_students(Student.objects.filter(id=old[0].id), index=target.name)
        with transaction.atomic():
            target.switch()
            assert serving() == [target.name]
            raise RuntimeError("commit failed")
    assert serving() == [before]
    assert student_indices() == [before]
    assert old[5].id in found(old[5].email.split("@")[0])


def test_an_unfinished_index_of_a_killed_job_is_dropped_by_the_next(elasticsearch, monkeypatch):
    old_generation(5)
    orphan = f"{index_alias()}-20200101000000-deadbeef"
    engine().indices.create(index=orphan)
    monkeypatch.setattr(rebuilder, "UNFINISHED_INDEX_AGE_SECONDS", 0)  # as if it were old
    run_crud_cycle(10)
    assert student_indices() == serving()
    assert orphan not in serving()


def test_a_young_unaliased_index_may_still_be_filling_and_is_kept(elasticsearch):
    old_generation(5)
    filling = f"{index_alias()}-20200101000000-stillrun"  # e.g. a rebuild running beside
    engine().indices.create(index=filling)
    run_crud_cycle(10)
    assert student_indices() == sorted([filling, *serving()])


def test_students_saved_during_the_job_are_replaced_with_their_generation(elasticsearch):
    old_generation(5)
    during: list[Student] = []

    def someone_edits(progress, message):
        if not during:
            during.append(
                Student.objects.create(first_name="Zed", last_name="Quux", email="z@x.org", age=20)
            )

    run_crud_cycle(30, batch_size=10, on_progress=someone_edits)
    assert not Student.objects.filter(pk=during[0].pk).exists()
    assert found("quux") == set()


def test_search_index_commands_manage_the_alias(elasticsearch):
    ids = make_students()
    [before] = serving()

    call_command("search_index", "--rebuild", "-f", verbosity=0)
    [after] = serving()
    assert after != before
    assert student_indices() == [after]
    assert found("smith") == {ids["John Smith"], ids["Johanna Smithers"]}

    call_command("search_index", "--delete", "-f", verbosity=0)
    assert student_indices() == []
    assert search_students("smith").results == []

    call_command("search_index", "--create", verbosity=0)
    assert serving() == [f"{index_alias()}-initial"]
    call_command("search_index", "--populate", verbosity=0)
    refresh_index()
    assert found("smith") == {ids["John Smith"], ids["Johanna Smithers"]}


def test_rebuild_replaces_a_concrete_index_named_like_the_alias(elasticsearch):
    """An index created by an older version under the alias's own name."""
    ids = make_students()
    delete_index()
    engine().indices.create(index=index_alias())
    assert ensure_index() is False  # used as it is until the switch
    call_command("search_index", "--rebuild", "-f", verbosity=0)
    [concrete] = serving()
    assert concrete != index_alias()
    assert student_indices() == [concrete]
    assert found("smith") == {ids["John Smith"], ids["Johanna Smithers"]}


def test_healthz_answers_with_the_alias_and_without_any_index(
    client, make_user, settings, elasticsearch
):
    settings.HEALTH_CACHE_SECONDS = 0  # each call checks again
    client.force_login(make_user("ops@example.com", is_staff=True))
    old_generation(5)
    run_crud_cycle(10)
    assert client.get("/healthz").status_code == 200
    delete_index()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["components"]["search"]["ok"] is True
