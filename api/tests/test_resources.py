"""Recipes, foods, students, tasks, documents and `me` through the API: the same rules as
the pages, and nobody sees another user's things."""

import asyncio
import io
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from rest_framework.test import APIClient

from api.tests.conftest import tokens_for
from cookbook.models import Food, Recipe
from cookbook.services import create_recipe
from core.models import Document
from devtools.processes import free_loopback_port
from students.models import Student
from students.tests.factories import make_students
from users.models import Task
from users.tasks.services import create_task

pytestmark = pytest.mark.django_db

RECIPE = {
    "name": "Garlic soup",
    "desc": "Warming.",
    "instructions": "Peel.\nSimmer.",
    "ingredients": [{"food": "garlic", "amount": "0.125", "unit_of_measure": "cup"}],
}


# Recipes and foods


def test_anyone_reads_recipes(anonymous):
    recipe = create_recipe(name="Toast", ingredients=[{"food": "bread", "amount": "1"}])
    listed = anonymous.get("/api/v1/recipes/")
    assert listed.status_code == 200
    assert listed.json()[0]["name"] == "Toast"
    detail = anonymous.get(f"/api/v1/recipes/{recipe.pk}/").json()
    assert detail["ingredients"][0]["food"] == "bread"
    assert anonymous.get("/api/v1/recipes/abc/").status_code == 404


def test_a_recipe_write_needs_staff(anonymous, jwt_client):
    assert anonymous.post("/api/v1/recipes/", RECIPE, format="json").status_code == 401
    refused = jwt_client.post("/api/v1/recipes/", RECIPE, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"error": "You do not have permission to perform this action."}
    recipe = create_recipe(name="Toast")
    assert jwt_client.delete(f"/api/v1/recipes/{recipe.pk}/").status_code == 403
    assert Recipe.objects.count() == 1


# The cache is invalidated once a write commits: these tests commit.
@pytest.mark.django_db(transaction=True)
def test_staff_writes_keep_the_cached_recipes_fresh(staff_client, anonymous):
    assert anonymous.get("/api/v1/recipes/").json() == []  # warms the cache
    created = staff_client.post("/api/v1/recipes/", RECIPE, format="json")
    assert created.status_code == 201
    recipe_id = created.json()["id"]
    assert created.json()["steps"] == ["Peel.", "Simmer."]
    assert [r["name"] for r in anonymous.get("/api/v1/recipes/").json()] == ["Garlic soup"]
    assert anonymous.get(f"/api/v1/recipes/{recipe_id}/").json()["ingredients"][0]["amount"]

    renamed = staff_client.patch(f"/api/v1/recipes/{recipe_id}/", {"name": "Broth"}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["ingredients"][0]["food"] == "garlic"  # kept when not sent
    assert anonymous.get(f"/api/v1/recipes/{recipe_id}/").json()["name"] == "Broth"

    replaced = staff_client.put(
        f"/api/v1/recipes/{recipe_id}/",
        {**RECIPE, "ingredients": [{"food": "onion"}]},
        format="json",
    )
    assert replaced.status_code == 200
    foods = [
        i["food"] for i in anonymous.get(f"/api/v1/recipes/{recipe_id}/").json()["ingredients"]
    ]
    assert foods == ["onion"]

    assert staff_client.delete(f"/api/v1/recipes/{recipe_id}/").status_code == 204
    assert anonymous.get("/api/v1/recipes/").json() == []
    assert anonymous.get(f"/api/v1/recipes/{recipe_id}/").status_code == 404


def test_a_bad_recipe_is_a_400_naming_the_field(staff_client):
    bad = {**RECIPE, "ingredients": [{"food": "garlic", "amount": "-1"}]}
    response = staff_client.post("/api/v1/recipes/", bad, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["ingredients"]["0"]["amount"][0]["code"] == "min_value"
    assert Recipe.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_foods_crud_and_a_rename_shows_in_cached_recipes(staff_client, anonymous, jwt_client):
    recipe = create_recipe(name="Toast", ingredients=[{"food": "bread"}])
    anonymous.get(f"/api/v1/recipes/{recipe.pk}/")  # warms the cache
    bread = Food.objects.get(name="bread")
    assert jwt_client.put(f"/api/v1/foods/{bread.pk}/", {"name": "x"}).status_code == 403
    renamed = staff_client.put(f"/api/v1/foods/{bread.pk}/", {"name": "rye bread"})
    assert renamed.json() == {"id": bread.pk, "name": "rye bread"}
    ingredient = anonymous.get(f"/api/v1/recipes/{recipe.pk}/").json()["ingredients"][0]
    assert ingredient["food"] == "rye bread"

    in_use = staff_client.delete(f"/api/v1/foods/{bread.pk}/")
    assert in_use.status_code == 409
    assert "rye bread" in in_use.json()["error"]

    created = staff_client.post("/api/v1/foods/", {"name": "salt"})
    assert created.status_code == 201
    duplicate = staff_client.post("/api/v1/foods/", {"name": "salt"})
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"]["name"][0]["code"] == "unique"
    salt_id = created.json()["id"]
    assert anonymous.get(f"/api/v1/foods/{salt_id}/").json()["name"] == "salt"
    assert staff_client.patch(f"/api/v1/foods/{salt_id}/", {"name": "sea salt"}).status_code == 200
    assert [f["name"] for f in anonymous.get("/api/v1/foods/").json()] == ["rye bread", "sea salt"]
    assert staff_client.delete(f"/api/v1/foods/{salt_id}/").status_code == 204
    assert anonymous.get(f"/api/v1/foods/{salt_id}/").status_code == 404


# Students


@pytest.mark.engine
def test_students_come_in_pages_of_50_with_a_cursor(jwt_client):
    Student.objects.bulk_create(
        Student(first_name=f"F{n:03}", last_name=f"L{n:03}", email=f"s{n}@x.org", age=20)
        for n in range(60)
    )
    first = jwt_client.get("/api/v1/students/").json()
    assert len(first["results"]) == 50
    assert first["results"][0]["last_name"] == "L000"
    second = jwt_client.get(first["next"]).json()
    assert [s["last_name"] for s in second["results"]] == [f"L{n:03}" for n in range(50, 60)]
    assert second["next"] is None


@pytest.mark.engine
def test_students_filter_by_name_prefix_and_age_and_order(jwt_client):
    make_students()
    by_name = jwt_client.get("/api/v1/students/", {"name": "smith"}).json()["results"]
    assert {s["last_name"] for s in by_name} == {"Smith", "Smithers"}
    by_first = jwt_client.get("/api/v1/students/", {"name": "Jo"}).json()["results"]
    assert {s["first_name"] for s in by_first} == {"John", "Johanna", "Jon", "José"}
    aged = jwt_client.get("/api/v1/students/", {"min_age": 24, "max_age": 31}).json()["results"]
    assert sorted(s["age"] for s in aged) == [24, 28, 31]
    oldest = jwt_client.get("/api/v1/students/", {"ordering": "-age"}).json()["results"]
    assert [s["age"] for s in oldest][:2] == [55, 42]
    bad = jwt_client.get("/api/v1/students/", {"min_age": "old"})
    assert bad.status_code == 400
    assert bad.json()["errors"]["min_age"][0]["message"] == "Enter a number."


def test_one_student_and_anonymous_is_refused(jwt_client, anonymous):
    ids = make_students()
    john = jwt_client.get(f"/api/v1/students/{ids['John Smith']}/").json()
    assert john["email"] == "john.smith@example.com"
    assert anonymous.get("/api/v1/students/").status_code == 401
    assert jwt_client.get("/api/v1/students/999999/").status_code == 404


def test_search_answers_the_pages_search_json(jwt_client):
    make_students()
    answer = jwt_client.get("/api/v1/students/search/", {"q": "smith"}).json()
    assert answer["query"] == "smith"
    assert answer["backend"] == "database"
    assert answer["count"] == 2
    assert {r["last_name"] for r in answer["results"]} == {"Smith", "Smithers"}
    assert jwt_client.get("/api/v1/students/search/", {"q": "s"}).json()["count"] == 0
    too_long = jwt_client.get("/api/v1/students/search/", {"q": "x" * 101})
    assert too_long.status_code == 400
    assert too_long.json()["errors"]["q"][0]["code"] == "max_length"


# Tasks


def test_starting_a_job_is_a_202_with_its_location(jwt_client, user):
    started = jwt_client.post("/api/v1/tasks/", {"count": 20}, format="json")
    assert started.status_code == 202
    task = Task.objects.get(owner=user)
    assert started["Location"] == f"http://testserver/api/v1/tasks/{task.public_id}/"
    assert started.json()["status"] == "queued"
    polled = jwt_client.get(started["Location"]).json()
    assert polled["task_id"] == str(task.public_id)
    assert [t["task_id"] for t in jwt_client.get("/api/v1/tasks/").json()["results"]] == [
        str(task.public_id)
    ]
    again = jwt_client.post("/api/v1/tasks/", {"count": 20}, format="json")
    assert again.status_code == 409
    assert again.json()["task_id"] == str(task.public_id)


def test_a_start_waits_in_line_behind_another_users_job_and_never_names_it(jwt_client, other):
    theirs = create_task(owner=other, kind=Task.Kind.STUDENT_CRUD, params={"count": 20})
    started = jwt_client.post("/api/v1/tasks/", {"count": 20}, format="json")
    assert started.status_code == 202
    assert started.json()["status"] == "queued"
    assert started.json()["position"] == 2
    assert str(theirs.public_id) not in started.content.decode()


def test_cancel_then_retry_through_the_api(jwt_client, user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD, params={"count": 20})
    cancelled = jwt_client.post(f"/api/v1/tasks/{task.public_id}/cancel/")
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled["Location"].endswith(f"/api/v1/tasks/{task.public_id}/")
    again = jwt_client.post(f"/api/v1/tasks/{task.public_id}/cancel/")
    assert again.status_code == 409
    assert again.json()["status"] == "cancelled"
    assert again.json()["task_id"] == str(task.public_id)

    retried = jwt_client.post(f"/api/v1/tasks/{task.public_id}/retry/")
    assert retried.status_code == 202
    new = Task.objects.get(public_id=retried.json()["task_id"])
    assert (new.retry_of, new.params, new.status) == (task, {"count": 20}, Task.Status.QUEUED)
    assert retried.json()["retry_of"] == str(task.public_id)
    # The retry is active now: another retry (or a start) is the user's own 409.
    busy = jwt_client.post(f"/api/v1/tasks/{task.public_id}/retry/")
    assert busy.status_code == 409
    assert busy.json()["task_id"] == str(new.public_id)


@pytest.mark.django_db(transaction=True)  # the enqueue runs when the start really commits
def test_a_queue_that_is_down_is_a_503_on_start_and_retry(jwt_client, user, settings):
    settings.RQ_QUEUES = {
        "default": {"URL": f"redis://127.0.0.1:{free_loopback_port()}/0", "DEFAULT_TIMEOUT": 60}
    }
    started = jwt_client.post("/api/v1/tasks/", {"count": 20}, format="json")
    retried = jwt_client.post(f"/api/v1/tasks/{started.json().get('task_id')}/retry/")
    for response in (started, retried):
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        body = response.json()
        assert body["status"] == "failed"
        assert "queue is unavailable" in body["error"]
    first, second = Task.objects.order_by("created")
    assert (first.status, second.status, second.retry_of) == ("failed", "failed", first)
    assert str(first.public_id) == started.json()["task_id"]
    assert str(second.public_id) == retried.json()["task_id"]


def test_a_finished_task_cannot_be_cancelled_or_retried(jwt_client, user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD, params={"count": 20})
    Task.objects.filter(pk=task.pk).update(status=Task.Status.FINISHED)
    for verb in ("cancel", "retry"):
        response = jwt_client.post(f"/api/v1/tasks/{task.public_id}/{verb}/")
        assert response.status_code == 409, verb
        assert response.json()["status"] == "finished"


def test_another_users_or_a_forged_task_cannot_be_cancelled_or_retried(jwt_client, other):
    theirs = create_task(owner=other, kind=Task.Kind.STUDENT_CRUD, params={"count": 20})
    for task_id in (theirs.public_id, uuid.uuid4(), "not-a-uuid"):
        for verb in ("cancel", "retry"):
            response = jwt_client.post(f"/api/v1/tasks/{task_id}/{verb}/")
            assert response.status_code == 404, (task_id, verb)
            assert response.json() == {"error": "No such task."}
    theirs.refresh_from_db()
    assert theirs.status == Task.Status.QUEUED
    assert not Task.objects.filter(retry_of=theirs).exists()


def test_cancel_needs_credentials(user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    response = APIClient().post(f"/api/v1/tasks/{task.public_id}/cancel/")
    assert response.status_code == 401
    task.refresh_from_db()
    assert task.status == Task.Status.QUEUED


@pytest.mark.parametrize("count", [0, 100_001, "many"])
def test_a_bad_count_is_a_400(jwt_client, count):
    response = jwt_client.post("/api/v1/tasks/", {"count": count}, format="json")
    assert response.status_code == 400
    assert "count" in response.json()["errors"]
    assert not Task.objects.exists()


def test_another_users_task_is_a_404(jwt_client, other):
    theirs = create_task(owner=other, kind=Task.Kind.STUDENT_CRUD)
    for task_id in (theirs.public_id, uuid.uuid4(), "not-a-uuid"):
        response = jwt_client.get(f"/api/v1/tasks/{task_id}/")
        assert response.status_code == 404
        assert response.json() == {"error": "No such task."}
    assert jwt_client.get("/api/v1/tasks/").json()["results"] == []


def test_the_task_json_is_the_pages_task_json(jwt_client, user, logged_in):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    from_api = jwt_client.get(f"/api/v1/tasks/{task.public_id}/").json()
    from_page = logged_in.get(f"/result/{task.public_id}/").json()
    assert from_api == from_page


# Documents


def upload(client, folder, *files):
    return client.post(
        "/api/v1/documents/",
        {"folder": folder, "file": [SimpleUploadedFile(name, data) for name, data in files]},
        format="multipart",
    )


def test_upload_list_and_download_a_folder(jwt_client, media):
    created = upload(jwt_client, "reports", ("a.txt", b"alpha"), ("b.txt", b"beta"))
    assert created.status_code == 201
    assert created.json()["folder"] == "reports"
    assert [d["name"] for d in created.json()["documents"]] == ["a.txt", "b.txt"]
    folders = jwt_client.get("/api/v1/folders/").json()
    assert folders == [{"folder": "reports", "file_count": 2, "total_size": 9}]
    listed = jwt_client.get("/api/v1/documents/", {"folder": "reports"}).json()
    assert [(d["name"], d["folder"], d["size"]) for d in listed] == [
        ("a.txt", "reports", 5),
        ("b.txt", "reports", 4),
    ]
    assert jwt_client.get("/api/v1/documents/", {"folder": "other"}).json() == []
    response = jwt_client.get("/api/v1/folders/reports/zip/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reports.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {name: archive.read(name) for name in archive.namelist()} == {
        "a.txt": b"alpha",
        "b.txt": b"beta",
    }


@pytest.mark.django_db(transaction=True)
def test_under_asgi_a_folder_zip_streams_from_an_async_iterator(jwt_client, user, password, media):
    upload(jwt_client, "reports", ("a.txt", b"alpha"))
    access = tokens_for(user.email, password)["access"]

    async def download():
        response = await AsyncClient().get(
            "/api/v1/folders/reports/zip/", headers={"Authorization": f"Bearer {access}"}
        )
        assert response.status_code == 200, response.content
        assert response.is_async  # read one chunk at a time, not whole before the first byte
        return b"".join([chunk async for chunk in response.streaming_content])

    # Its own loop in its own thread: the session's Playwright keeps one in the main thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        body = pool.submit(asyncio.run, download()).result()
    assert zipfile.ZipFile(io.BytesIO(body)).read("a.txt") == b"alpha"


def test_another_users_folder_is_a_404(jwt_client, other_client, media):
    upload(other_client, "secret", ("s.txt", b"theirs"))
    response = jwt_client.get("/api/v1/folders/secret/zip/")
    assert response.status_code == 404
    assert response.json() == {"error": "You have no folder of that name."}
    assert jwt_client.get("/api/v1/documents/").json() == []
    assert jwt_client.get("/api/v1/folders/").json() == []


def test_uploads_keep_the_pages_limits_and_rules(jwt_client, media, settings):
    settings.UPLOAD_MAX_FILE_SIZE = 10
    too_large = upload(jwt_client, "f", ("big.bin", b"x" * 11))
    assert too_large.status_code == 413
    assert "“big.bin” is too large" in too_large.json()["error"]
    no_folder = upload(jwt_client, "../etc", ("a.txt", b"a"))
    assert no_folder.status_code == 400
    assert "cannot contain /" in no_folder.json()["error"]
    assert no_folder.json()["errors"]["folder"][0]["message"].startswith("A folder name")
    no_file = jwt_client.post("/api/v1/documents/", {"folder": "f"}, format="multipart")
    assert no_file.status_code == 400
    as_json = jwt_client.post("/api/v1/documents/", {"folder": "f"}, format="json")
    assert as_json.status_code == 415
    settings.UPLOAD_QUOTA_BYTES = 3
    over_quota = upload(jwt_client, "f", ("a.txt", b"abcd"))
    assert over_quota.status_code == 413
    assert "quota" in over_quota.json()["error"]
    assert not Document.objects.exists()


def test_uploads_are_stored_under_the_pages_keys(jwt_client, media, user):
    upload(jwt_client, "Reports 2026", ("../../evil name.txt", b"x"))
    document = Document.objects.get()
    assert document.original_name == "evil name.txt"
    assert document.owner == user
    assert document.file.name.startswith(f"documents/{user.pk}/")


def test_me(jwt_client, user):
    assert jwt_client.get("/api/v1/me/").json() == {
        "id": user.pk,
        "email": user.email,
        "is_staff": False,
        "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
    }
