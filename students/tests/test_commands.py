"""The students' own management commands: demo students, the container's index set-up."""

from io import StringIO

import pytest
from django.core.management import call_command

from students.models import Student
from students.search import delete_index, search_students

pytestmark = pytest.mark.django_db


def run(name):
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_load_demo_students_fills_an_empty_table_once(search_backend):
    assert run("load_demo_students") == "Created 200 demo students.\n"
    assert run("load_demo_students") == "Students present.\n"
    assert Student.objects.count() == 200
    someone = Student.objects.order_by("pk").first()
    assert someone.pk in {row["id"] for row in search_students(someone.last_name).results}


def test_ensure_search_index_on_the_database_backend_has_nothing_to_do(settings):
    settings.ELASTICSEARCH_URL = ""
    assert run("ensure_search_index") == (
        "Search runs on the database: no Elasticsearch index to create.\n"
    )


def test_ensure_search_index_creates_and_fills_a_missing_index_once(elasticsearch):
    Student.objects.bulk_create(
        Student(first_name="Grace", last_name=f"Hopper{n}", email=f"g{n}@x.org", age=40)
        for n in range(3)
    )
    delete_index()
    assert search_students("grace").results == []  # no index: nothing found
    assert run("ensure_search_index") == "The search index is in place (3 students indexed now).\n"
    assert len(search_students("grace").results) == 3
    assert run("ensure_search_index") == "The search index is in place (0 students indexed now).\n"
