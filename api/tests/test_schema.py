"""The OpenAPI document: valid, complete (shapes, errors, examples), served with its docs
page under the site's CSP, and every operation in it exercised here, its answer checked
against what the document says. A new path without a scenario below fails the suite."""

import json
import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openapi_schema_validator import OAS30ReadValidator
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from api.models import UserAPIKey
from api.tests.conftest import client_with_jwt, tokens_for
from cookbook.models import Food
from cookbook.services import create_recipe
from core.documents.services import store_uploads
from students.tests.factories import make_students
from users.models import Task
from users.tasks.services import create_task
from users.tasks.updates import TASK_UPDATE_FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(db):
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema):
    return {
        (method, path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def resolve(node, schema):
    """The schema with every $ref replaced by what it names (ours has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = schema
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, schema)
        return {key: resolve(value, schema) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value, schema) for value in node]
    return node


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_operation_has_shapes_errors_and_an_example(schema):
    for (method, path), operation in operations(schema).items():
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        responses = operation["responses"]
        successes = [status for status in responses if status.startswith("2")]
        assert successes, where
        errors = {status for status in responses if status[0] in "45"}
        assert {"401", "403", "429"} <= errors, where
        examples = 0
        for status, response in responses.items():
            for media in response.get("content", {}).values():
                assert "schema" in media, f"{where} {status}"
                examples += len(media.get("examples", {}))
                if status[0] in "45":
                    assert media["schema"] == {"$ref": "#/components/schemas/Error"}, where
                    assert media.get("examples"), f"{where} {status}"
        assert examples, where
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, media in body.items():
            assert "schema" in media, f"{where} {media_type}"


def test_the_task_json_has_a_type_for_every_field(schema):
    """users.tasks.updates.TaskUpdate types the task JSON's schema, key by key."""
    task = resolve(schema["components"]["schemas"]["Task"], schema)
    assert list(task["properties"]) == list(TASK_UPDATE_FIELDS)
    assert sorted(task["required"]) == sorted(TASK_UPDATE_FIELDS)

    def shape(field):
        declared = field["allOf"][0] if "allOf" in field else field
        return declared.get("enum", declared["type"]), field.get("nullable", False)

    assert {name: shape(field) for name, field in task["properties"].items()} == {
        "type": (["task.update"], False),
        "task_id": ("string", False),
        "status": (list(Task.Status.values), False),
        "progress": ("integer", False),
        "message": ("string", False),
        "result": ("object", True),
        "position": ("integer", True),
        "eta_seconds": ("number", True),
        "retry_of": ("string", True),
        "version": ("integer", False),
    }


def test_every_example_of_a_task_answer_fits_its_schema(schema):
    for (method, path), operation in operations(schema).items():
        if not path.startswith("/api/v1/tasks/"):
            continue
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                validator = OAS30ReadValidator(resolve(media["schema"], schema))
                for name, example in media.get("examples", {}).items():
                    errors = [error.message for error in validator.iter_errors(example["value"])]
                    assert errors == [], f"{method.upper()} {path} {status} {name}"


def test_the_docs_page_is_served_from_our_own_files_under_the_csp(db):
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    assert re.search(r"<script>", html) is None  # every script has a src
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html)).replace("://", "")
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        asset = client.get(url.replace("&amp;", "&"))
        assert asset.status_code == 200, url
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


# Every operation of the schema, exercised once.


@pytest.fixture
def world(user, staff, password, media):
    recipe = create_recipe(name="Toast", ingredients=[{"food": "bread", "amount": "1"}])
    students = make_students()
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD, params={"count": 10})
    store_uploads(owner=user, folder="reports", files=[SimpleUploadedFile("a.txt", b"alpha")])
    key, _ = UserAPIKey.objects.create_key(user=user, name="k")
    return SimpleNamespace(
        user=user,
        password=password,
        anonymous=APIClient(),
        client=client_with_jwt(user, password),
        staff=client_with_jwt(staff, password),
        recipe=recipe.pk,
        food=Food.objects.create(name="salt").pk,
        student=students["John Smith"],
        task=task,
        key=key.pk,
    )


def _finish_task(w):
    w.task.status = Task.Status.FINISHED
    w.task.save()


SCENARIOS = {
    ("get", "/api/v1/recipes/"): lambda w: w.anonymous.get("/api/v1/recipes/"),
    ("post", "/api/v1/recipes/"): lambda w: w.staff.post(
        "/api/v1/recipes/", {"name": "Soup", "ingredients": [{"food": "leek"}]}, format="json"
    ),
    ("get", "/api/v1/recipes/{id}/"): lambda w: w.anonymous.get(f"/api/v1/recipes/{w.recipe}/"),
    ("put", "/api/v1/recipes/{id}/"): lambda w: w.staff.put(
        f"/api/v1/recipes/{w.recipe}/", {"name": "Rye toast"}, format="json"
    ),
    ("patch", "/api/v1/recipes/{id}/"): lambda w: w.staff.patch(
        f"/api/v1/recipes/{w.recipe}/", {"desc": "Crisp."}, format="json"
    ),
    ("delete", "/api/v1/recipes/{id}/"): lambda w: w.staff.delete(f"/api/v1/recipes/{w.recipe}/"),
    ("get", "/api/v1/foods/"): lambda w: w.anonymous.get("/api/v1/foods/"),
    ("post", "/api/v1/foods/"): lambda w: w.staff.post("/api/v1/foods/", {"name": "leek"}),
    ("get", "/api/v1/foods/{id}/"): lambda w: w.anonymous.get(f"/api/v1/foods/{w.food}/"),
    ("put", "/api/v1/foods/{id}/"): lambda w: w.staff.put(
        f"/api/v1/foods/{w.food}/", {"name": "sea salt"}
    ),
    ("patch", "/api/v1/foods/{id}/"): lambda w: w.staff.patch(
        f"/api/v1/foods/{w.food}/", {"name": "rock salt"}
    ),
    ("delete", "/api/v1/foods/{id}/"): lambda w: w.staff.delete(f"/api/v1/foods/{w.food}/"),
    ("get", "/api/v1/students/"): lambda w: w.client.get("/api/v1/students/", {"max_age": 30}),
    ("get", "/api/v1/students/{id}/"): lambda w: w.client.get(f"/api/v1/students/{w.student}/"),
    ("get", "/api/v1/students/search/"): lambda w: w.client.get(
        "/api/v1/students/search/", {"q": "smith"}
    ),
    ("get", "/api/v1/tasks/"): lambda w: w.client.get("/api/v1/tasks/"),
    ("post", "/api/v1/tasks/"): lambda w: (
        _finish_task(w),
        w.client.post("/api/v1/tasks/", {"count": 10}, format="json"),
    )[1],
    ("get", "/api/v1/tasks/{task_id}/"): lambda w: w.client.get(
        f"/api/v1/tasks/{w.task.public_id}/"
    ),
    ("post", "/api/v1/tasks/{task_id}/cancel/"): lambda w: w.client.post(
        f"/api/v1/tasks/{w.task.public_id}/cancel/"
    ),
    ("post", "/api/v1/tasks/{task_id}/retry/"): lambda w: (
        w.client.post(f"/api/v1/tasks/{w.task.public_id}/cancel/"),
        w.client.post(f"/api/v1/tasks/{w.task.public_id}/retry/"),
    )[1],
    ("get", "/api/v1/documents/"): lambda w: w.client.get("/api/v1/documents/"),
    ("post", "/api/v1/documents/"): lambda w: w.client.post(
        "/api/v1/documents/",
        {"folder": "more", "file": [SimpleUploadedFile("b.txt", b"beta")]},
        format="multipart",
    ),
    ("get", "/api/v1/folders/"): lambda w: w.client.get("/api/v1/folders/"),
    ("get", "/api/v1/folders/{folder}/zip/"): lambda w: w.client.get(
        "/api/v1/folders/reports/zip/"
    ),
    ("get", "/api/v1/me/"): lambda w: w.client.get("/api/v1/me/"),
    ("post", "/api/v1/auth/token/"): lambda w: w.anonymous.post(
        "/api/v1/auth/token/", {"email": w.user.email, "password": w.password}, format="json"
    ),
    ("post", "/api/v1/auth/token/refresh/"): lambda w: w.anonymous.post(
        "/api/v1/auth/token/refresh/",
        {"refresh": tokens_for(w.user.email, w.password)["refresh"]},
        format="json",
    ),
    ("post", "/api/v1/auth/logout/"): lambda w: w.anonymous.post(
        "/api/v1/auth/logout/",
        {"refresh": tokens_for(w.user.email, w.password)["refresh"]},
        format="json",
    ),
    ("get", "/api/v1/api-keys/"): lambda w: w.client.get("/api/v1/api-keys/"),
    ("post", "/api/v1/api-keys/"): lambda w: w.client.post("/api/v1/api-keys/", {"name": "ci"}),
    ("delete", "/api/v1/api-keys/{id}/"): lambda w: w.client.delete(f"/api/v1/api-keys/{w.key}/"),
    ("post", "/api/v1/ws-ticket/"): lambda w: w.client.post("/api/v1/ws-ticket/"),
}


def test_every_operation_of_the_schema_has_a_scenario(schema):
    documented = set(operations(schema))
    assert documented - set(SCENARIOS) == set(), "operations without a test"
    assert set(SCENARIOS) - documented == set(), "scenarios of operations that are gone"


@pytest.mark.parametrize("operation", sorted(SCENARIOS), ids=" ".join)
def test_each_operation_answers_as_documented(operation, world, schema):
    response = SCENARIOS[operation](world)
    documented = operations(schema)[operation]["responses"]
    status = str(response.status_code)
    assert status.startswith("2"), getattr(response, "content", b"")[:500]
    assert status in documented
    content = documented[status].get("content", {})
    if "application/json" in content:
        body_schema = resolve(content["application/json"]["schema"], schema)
        OAS30ReadValidator(body_schema).validate(response.json())
    elif "application/zip" in content:
        assert b"".join(response.streaming_content).startswith(b"PK")
    else:
        assert not response.content
