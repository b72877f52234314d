"""The API through the real HTTP tier: gunicorn (gthread, the production configuration) for
HTTP, daphne for the websocket, an RQ worker for the job; each way of authenticating, from
a client that only speaks HTTP."""

import io
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from contextlib import ExitStack

import pytest
from django.test import Client
from django.utils.crypto import get_random_string
from websockets.sync.client import connect as websocket_connect

from devtools.live import rq_worker, start_daphne, start_gunicorn
from devtools.multipart import multipart_body
from devtools.processes import stop_process
from students.tests.factories import make_students

pytestmark = pytest.mark.django_db(transaction=True)
JOB_SECONDS = 60


@pytest.fixture(scope="module")
def servers(live_server_env, tmp_path_factory):
    """Started once for the module: the tests share the processes, not their data."""
    tmp_path = tmp_path_factory.mktemp("api-live")
    with ExitStack() as stack:
        http_url, process = start_gunicorn(
            live_server_env, tmp_path / "gunicorn.log", workers=1, threads=4
        )
        stack.callback(stop_process, process)
        ws_url, process = start_daphne(live_server_env, tmp_path / "daphne.log")
        stack.callback(stop_process, process)
        stack.enter_context(rq_worker(live_server_env, tmp_path / "worker.log"))
        yield http_url, ws_url.replace("http://", "ws://")


def call(base, method, path, *, headers=None, body=None, json_body=None):
    """(status, headers, body bytes) of one request; errors are answers too."""
    headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def poll_until_finished(base, location, auth):
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        status, _, body = call(base, "GET", location, headers=auth)
        assert status == 200
        task = json.loads(body)
        if task["status"] in ("finished", "failed"):
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.3)


def test_a_jwt_client_runs_the_whole_session(servers, user, password):
    base, ws_base = servers
    status, _, body = call(
        base, "POST", "/api/v1/auth/token/", json_body={"email": user.email, "password": password}
    )
    assert status == 200
    tokens = json.loads(body)
    auth = {"Authorization": f"Bearer {tokens['access']}"}

    status, _, body = call(base, "POST", "/api/v1/ws-ticket/", headers=auth)
    assert status == 201
    ticket_url = urllib.parse.urlsplit(json.loads(body)["url"])
    assert ticket_url.scheme == "ws"
    socket_url = f"{ws_base}{ticket_url.path}?{ticket_url.query}"
    with websocket_connect(socket_url, origin=base, open_timeout=10) as socket:
        status, headers, body = call(
            base, "POST", "/api/v1/tasks/", headers=auth, json_body={"count": 30}
        )
        assert status == 202
        location = headers["Location"]
        assert location.startswith(f"{base}/api/v1/tasks/")
        task = poll_until_finished(base, location.removeprefix(base), auth)
        assert task["status"] == "finished", task
        updates = []
        while not updates or updates[-1]["status"] != "finished":
            updates.append(json.loads(socket.recv(timeout=JOB_SECONDS)))
        assert {update["task_id"] for update in updates} == {task["task_id"]}

    status, _, body = call(base, "GET", "/api/v1/students/?page_size=50", headers=auth)
    assert status == 200
    page = json.loads(body)
    assert len(page["results"]) == 30 and page["next"] is None
    last_name = page["results"][0]["last_name"]
    status, _, body = call(
        base, "GET", f"/api/v1/students/search/?q={urllib.parse.quote(last_name)}", headers=auth
    )
    assert status == 200
    assert last_name in {row["last_name"] for row in json.loads(body)["results"]}

    upload, content_type = multipart_body([("folder", "reports")], [("file", "a.txt", b"alpha")])
    status, _, body = call(
        base,
        "POST",
        "/api/v1/documents/",
        headers={**auth, "Content-Type": content_type},
        body=upload,
    )
    assert status == 201, body
    status, headers, body = call(base, "GET", "/api/v1/folders/reports/zip/", headers=auth)
    assert status == 200
    assert zipfile.ZipFile(io.BytesIO(body)).read("a.txt") == b"alpha"

    status, _, body = call(
        base, "POST", "/api/v1/auth/token/refresh/", json_body={"refresh": tokens["refresh"]}
    )
    assert status == 200
    rotated = json.loads(body)["refresh"]
    status, _, _ = call(base, "POST", "/api/v1/auth/logout/", json_body={"refresh": rotated})
    assert status == 204
    status, _, body = call(
        base, "POST", "/api/v1/auth/token/refresh/", json_body={"refresh": rotated}
    )
    assert status == 401
    assert json.loads(body) == {"error": "Token is blacklisted"}


def test_an_api_key_client_and_its_revocation(servers, user, password):
    base, _ = servers
    make_students()
    _, _, body = call(
        base, "POST", "/api/v1/auth/token/", json_body={"email": user.email, "password": password}
    )
    jwt = {"Authorization": f"Bearer {json.loads(body)['access']}"}
    status, _, body = call(base, "POST", "/api/v1/api-keys/", headers=jwt, json_body={"name": "ci"})
    assert status == 201
    created = json.loads(body)
    key = {"Authorization": f"Api-Key {created['key']}"}
    status, _, body = call(base, "GET", "/api/v1/students/?name=smith", headers=key)
    assert status == 200
    assert {s["last_name"] for s in json.loads(body)["results"]} == {"Smith", "Smithers"}
    status, _, _ = call(base, "DELETE", f"/api/v1/api-keys/{created['id']}/", headers=jwt)
    assert status == 204
    status, headers, body = call(base, "GET", "/api/v1/me/", headers=key)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(body) == {"error": "This API key is not valid, or it was revoked."}


def test_a_browser_session_with_its_csrf_header(servers, user):
    base, _ = servers
    browser = Client()
    browser.force_login(user)
    token = get_random_string(32)
    cookie = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}; csrftoken={token}"}
    status, _, body = call(base, "GET", "/api/v1/me/", headers=cookie)
    assert status == 200 and json.loads(body)["email"] == user.email
    status, _, body = call(
        base, "POST", "/api/v1/api-keys/", headers=cookie, json_body={"name": "x"}
    )
    assert status == 403
    assert json.loads(body)["error"].startswith("CSRF Failed")
    with_header = {**cookie, "X-CSRFToken": token, "Origin": base, "Referer": f"{base}/"}
    status, _, _ = call(
        base, "POST", "/api/v1/api-keys/", headers=with_header, json_body={"name": "x"}
    )
    assert status == 201


def test_the_schema_and_docs_are_served(servers):
    base, _ = servers
    status, headers, body = call(base, "GET", "/api/schema/?format=json")
    assert status == 200
    assert json.loads(body)["openapi"].startswith("3.")
    status, headers, body = call(base, "GET", "/api/docs/")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, _, _ = call(
        base, "GET", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"
    )
    assert status == 200
