"""`manage.py backup_site` and `restore_site` (core.backups) on PostgreSQL, for the local disk
and S3: a site backed up, changed, wiped and restored serves the recipes, students, tasks and
documents it had at the backup, and search answers again once the index is rebuilt."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from cookbook.models import Food, Ingredient, Recipe
from core.documents.services import store_uploads
from core.models import Document
from students.models import Student
from students.search import delete_index, ensure_index, refresh_index, search_students
from users.models import Task
from users.tasks.services import create_task, finish_task, start_task

pytestmark = [pytest.mark.database("postgresql"), pytest.mark.django_db(transaction=True)]


def populate(owner):
    soup = Recipe.objects.create(name="Garlic soup", desc="Warm", instructions="Boil\nServe")
    garlic = Food.objects.create(name="garlic")
    Ingredient.objects.create(
        recipe=soup, food=garlic, amount="0.125", unit_of_measure="cup", desc="minced"
    )
    Recipe.objects.create(name="Toast")
    Student.objects.bulk_create(
        Student(first_name=first, last_name="Lovelace", email=f"{first}@example.org", age=36)
        for first in ("Ada", "Augusta", "Byron")
    )
    task = create_task(owner=owner, kind=Task.Kind.STUDENT_CRUD)
    start_task(task.public_id, message="go")
    finish_task(task.public_id, result={"count": 3, "seconds": {"create": 0.1}}, message="done")
    store_uploads(
        owner=owner,
        folder="reports",
        files=[
            SimpleUploadedFile("a.txt", b"first report\n", content_type="text/plain"),
            SimpleUploadedFile("b.csv", b"x,y\n1,2\n", content_type="text/csv"),
        ],
    )
    store_uploads(
        owner=owner,
        folder="photos",
        files=[SimpleUploadedFile("c.bin", bytes(range(256)) * 64, content_type="image/png")],
    )


def site_as_served(client, owner):
    """What the site serves of each kind of data: the API's JSON, the recipe list page, the
    folders' zips (names and contents)."""
    client.force_login(owner)

    def json_of(path):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        return response.json()

    served = {
        "recipes": json_of("/api/v1/recipes/"),
        "students": json_of("/api/v1/students/?ordering=id"),
        "tasks": json_of("/api/v1/tasks/"),
        "documents": json_of("/api/v1/documents/"),
        "folders": json_of("/api/v1/folders/"),
    }
    for folder in ("reports", "photos"):
        response = client.get(f"/api/v1/folders/{folder}/zip/")
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
            served[f"zip {folder}"] = {name: archive.read(name) for name in archive.namelist()}
    client.logout()
    served["recipe list"] = [
        name for name in ("Garlic soup", "Toast", "Leek soup") if name in client.get("/").text
    ]
    return served


def wipe(stored_names):
    """The database and the files gone: an empty schema, no stored file."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    for name in stored_names:
        default_storage.delete(name)
        assert not default_storage.exists(name)


def test_a_wiped_site_is_restored_as_it_was_backed_up(client, make_user, storage_backend, tmp_path):
    owner = make_user("owner@example.com")
    populate(owner)
    before = site_as_served(client, owner)
    assert before["recipe list"] == ["Garlic soup", "Toast"]
    assert len(before["documents"]) == 3
    stored = list(Document.objects.values_list("file", flat=True))

    call_command("backup_site", str(tmp_path / "backup"), verbosity=0)

    # After the backup, the site moves on: a recipe renamed (and its new name cached), a
    # student added, a document deleted with its file.
    Recipe.objects.filter(name="Garlic soup").update(name="Leek soup")
    Recipe.objects.get(name="Leek soup").save()  # invalidates the cached list
    assert "Leek soup" in client.get("/").text  # and caches the new one
    Student.objects.create(first_name="Late", last_name="Comer", email="l@example.org", age=20)
    wipe(stored)

    call_command("restore_site", str(tmp_path / "backup"), "--no-input", verbosity=0)

    assert site_as_served(client, owner) == before
    assert all(default_storage.exists(name) for name in stored)


def test_the_backup_holds_the_dump_and_each_recorded_file(make_user, storage_backend, tmp_path):
    owner = make_user("owner@example.com")
    populate(owner)
    missing = Document.objects.get(original_name="b.csv")
    default_storage.delete(missing.file.name)  # lost before the backup: reported, not fatal
    folder = tmp_path / "backup"

    out = io.StringIO()
    err = io.StringIO()
    call_command("backup_site", str(folder), stdout=out, stderr=err)

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["missing"] == [missing.file.name]
    kept = Document.objects.exclude(pk=missing.pk)
    assert {entry["name"]: entry["sha256"] for entry in manifest["files"]} == {
        document.file.name: document.checksum for document in kept
    }
    for entry in manifest["files"]:
        assert (folder / "files" / entry["name"]).stat().st_size == entry["size"]
    assert (folder / "database.dump").read_bytes().startswith(b"PGDMP")  # custom format
    assert "Backed up the database and 2 files" in out.getvalue()
    assert missing.file.name in err.getvalue()

    with pytest.raises(CommandError, match="not empty"):
        call_command("backup_site", str(folder), verbosity=0)


def test_a_damaged_backup_changes_nothing(client, make_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = make_user("owner@example.com")
    populate(owner)
    folder = tmp_path / "backup"
    call_command("backup_site", str(folder), verbosity=0)
    Recipe.objects.filter(name="Toast").update(name="French toast")
    [entry, *_] = json.loads((folder / "manifest.json").read_text())["files"]
    damaged = folder / "files" / entry["name"]
    damaged.write_bytes(b"X" + damaged.read_bytes()[1:])

    with pytest.raises(CommandError, match="differs from the file that was backed up"):
        call_command("restore_site", str(folder), "--no-input", verbosity=0)

    assert Recipe.objects.filter(name="French toast").exists()


def test_search_answers_after_a_restore_once_the_index_is_rebuilt(
    make_user, elasticsearch, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    owner = make_user("owner@example.com")
    populate(owner)
    call_command("backup_site", str(tmp_path / "backup"), verbosity=0)
    wipe([])
    delete_index()
    ensure_index()  # an empty index, as on a new search node

    out = io.StringIO()
    call_command("restore_site", str(tmp_path / "backup"), "--no-input", stdout=out)
    assert "search_index --rebuild -f" in out.getvalue()
    refresh_index()
    assert search_students("lovelace").results == []

    call_command("search_index", "--rebuild", "-f", verbosity=0)
    refresh_index()
    answer = search_students("lovelace")
    assert answer.backend == "elasticsearch"
    assert {student["first_name"] for student in answer.results} == {"Ada", "Augusta", "Byron"}


@pytest.mark.database("sqlite")
def test_backups_need_postgresql(tmp_path):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("backup_site", str(tmp_path / "backup"), verbosity=0)


@pytest.mark.database("sqlite")
def test_a_restore_asks_first(tmp_path, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda question: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore_site", str(tmp_path))
