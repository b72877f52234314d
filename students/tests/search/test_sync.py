"""The index follows the database: per-row signals, bulk functions, rebuild, demo data."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from students.demo import load_demo_students
from students.documents import StudentDocument
from students.models import Student
from students.search import (
    autosync_suspended,
    delete_index,
    drain_outbox,
    index_alias,
    index_students,
    refresh_index,
    remove_students,
    search_students,
    student_source,
    sync_index_when_missing,
)
from students.tests.factories import make_students
from students.tests.search.engine import engine

pytestmark = pytest.mark.django_db


def found(query):
    return {row["id"] for row in search_students(query).results}


def test_save_and_delete_keep_the_index_in_step(search_backend):
    student = Student.objects.create(
        first_name="Ada", last_name="Lovelace", email="a@x.org", age=36
    )
    drain_outbox()  # what a worker does once the change commits; visible at once
    assert found("lovelace") == {student.pk}

    student.last_name = "Byron"
    student.save()
    drain_outbox()
    assert found("lovelace") == set()
    assert found("byron") == {student.pk}

    pk = student.pk
    student.delete()
    drain_outbox()
    assert pk not in found("byron")


def test_bulk_writes_are_followed_by_the_bulk_functions(search_backend):
    ids = make_students()  # bulk_create + index_students + refresh_index
    assert found("smith") == {ids["John Smith"], ids["Johanna Smithers"]}

    Student.objects.filter(last_name="Smith").update(last_name="Jones")
    index_students(Student.objects.filter(last_name="Jones"))
    refresh_index()
    assert found("jones") == {ids["John Smith"]}

    doomed = list(Student.objects.filter(first_name__startswith="Jo").values_list("id", flat=True))
    with autosync_suspended():
        Student.objects.filter(id__in=doomed).delete()
    if search_backend == "elasticsearch":
        assert len(found("jo")) == len(doomed)  # suspended: still in the index
    removed = remove_students(iter([*doomed, 10**9]))  # a missing id is fine
    assert removed == (len(doomed) + 1 if search_backend == "elasticsearch" else 0)
    refresh_index()
    assert found("jo") == set()
    assert found("okul") == {ids["İlhan Işık"], ids["Ayşe Yılmaz"]}


def test_index_students_streams_a_generator(elasticsearch):
    Student.objects.bulk_create(
        Student(first_name="Bulk", last_name=f"Row{i}", email=f"b{i}@x.org", age=20)
        for i in range(2500)
    )
    sent = index_students((s for s in Student.objects.iterator()), chunk_size=500)
    refresh_index()
    assert sent == 2500
    assert len(search_students("bulk", limit=50).results) == 50
    assert search_students("row2499").results[0]["last_name"] == "Row2499"  # then typo matches


def test_rebuild_command_and_missing_index(elasticsearch):
    Student.objects.bulk_create(
        Student(first_name="Grace", last_name=f"Hopper{i}", email=f"g{i}@x.org", age=40)
        for i in range(3)
    )
    assert found("grace") == set()  # bulk_create sent no signal and nothing was indexed
    call_command("search_index", "--rebuild", "-f", "--no-parallel", verbosity=0)
    refresh_index()
    assert len(found("grace")) == 3

    delete_index()
    assert search_students("grace").results == []  # a missing index is an empty answer
    assert sync_index_when_missing() == 3
    assert len(found("grace")) == 3
    assert sync_index_when_missing() == 0  # present: left alone


def test_demo_students_are_loaded_once_and_searchable(search_backend):
    assert load_demo_students(count=30) == 30
    assert load_demo_students(count=30) == 0
    assert Student.objects.count() == 30
    someone = Student.objects.earliest("id")
    assert someone.pk in found(someone.last_name)


def test_without_elasticsearch_url_nothing_reaches_for_an_engine(settings):
    settings.ELASTICSEARCH_URL = ""
    student = Student.objects.create(first_name="Quiet", last_name="Db", email="q@x.org", age=30)
    assert index_students([student]) == 0
    assert remove_students([student.pk]) == 0
    refresh_index()
    assert search_students("quiet").backend == "database"


def test_search_index_command_without_elasticsearch_url_says_why(settings):
    settings.ELASTICSEARCH_URL = ""
    with pytest.raises(CommandError, match="ELASTICSEARCH_URL is not set"):
        call_command("search_index", "--rebuild", "-f")


def test_the_bulk_documents_are_what_the_document_class_prepares():
    students = [
        Student(pk=1, first_name="İlhan", last_name="Işık", email="ilhan.isik@okul.tr", age=19),
        Student(pk=2, first_name="José", last_name="O'Neil-Núñez", email="j.o@x.org", age=70),
        Student(pk=3, first_name="A_b", last_name="C", email="a_b+c@x.org", age=17),
    ]
    document = StudentDocument()
    for student in students:
        assert student_source(student) == document.prepare(student)


def test_remove_students_finds_documents_not_yet_refreshed(elasticsearch):
    ids = make_students()
    refresh_index()
    engine().indices.put_settings(
        index=index_alias(), settings={"index": {"refresh_interval": "-1"}}
    )
    with autosync_suspended():
        fresh = Student.objects.create(first_name="Fresh", last_name="Row", email="f@x.org", age=20)
    index_students([fresh])  # written, not yet visible to searches
    assert remove_students([fresh.pk, ids["John Smith"]]) == 2
    refresh_index()
    assert found("fresh") == set()
    assert found("smith") == {ids["Johanna Smithers"]}
