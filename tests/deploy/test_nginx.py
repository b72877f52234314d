"""nginx in front of the two app tiers, with the config rendered from nginx/ like the nginx image
does: `/ws/` to a real daphne, everything else to a real gunicorn.

Debian's nginx (`make deploy-tools`) runs the very template the image renders, from its own
prefix in a temporary folder, on a free loopback port (devtools.nginx_server).
"""

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as websocket_connect

from core.documents.uploads import MULTIPART_OVERHEAD_BYTES
from devtools.live import start_daphne, start_gunicorn
from devtools.multipart import multipart_body
from devtools.nginx_server import (
    NGINX,
    check_config,
    render_template,
    start_nginx,
    write_nginx_config,
)
from devtools.processes import free_loopback_port, stop_process
from tests.deploy.deployment import dockerfile_stages
from users.models import Task
from users.tasks.services import create_task, start_task

# Small limits so that the uploads around them stay quick; nginx derives its own from them.
UPLOAD_MAX_FILE_SIZE = 256 * 1024
UPLOAD_MAX_FILES = 2
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
RECEIVE_TIMEOUT = 10

# nginx's routing and headers, not the database: one pass proves it.
pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="no nginx: make deploy-tools"),
]


def image_environment():
    """The ENV of the Dockerfile's nginx stage (envsubst filter, container defaults)."""
    (stage,) = [stage for stage in dockerfile_stages() if stage.name == "nginx"]
    return dict(word.split("=", 1) for item in stage.all("ENV") for word in item.words)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic as the image's build runs it: production storage, hashed names, .gz files."""
    root = tmp_path_factory.mktemp("staticfiles")
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture(scope="module")
def tier_env(live_server_env):
    return {
        **live_server_env,
        "UPLOAD_MAX_FILE_SIZE": str(UPLOAD_MAX_FILE_SIZE),
        "UPLOAD_MAX_FILES": str(UPLOAD_MAX_FILES),
    }


@pytest.fixture(scope="module")
def gunicorn_log(tmp_path_factory):
    return tmp_path_factory.mktemp("proxied-gunicorn") / "gunicorn.log"


@pytest.fixture(scope="module")
def daphne_log(tmp_path_factory):
    return tmp_path_factory.mktemp("proxied-daphne") / "daphne.log"


@pytest.fixture(scope="module")
def proxied_gunicorn(tier_env, gunicorn_log):
    url, process = start_gunicorn(tier_env, gunicorn_log)
    yield url
    stop_process(process)


@pytest.fixture(scope="module")
def proxied_daphne(tier_env, daphne_log):
    url, process = start_daphne(tier_env, daphne_log)
    yield url
    stop_process(process)


@pytest.fixture(scope="module")
def nginx_environment(proxied_gunicorn, proxied_daphne, static_root):
    return {
        **image_environment(),
        "NGINX_LISTEN_PORT": str(free_loopback_port()),
        "NGINX_HTTP_UPSTREAM": urllib.parse.urlsplit(proxied_gunicorn).netloc,
        "NGINX_WEBSOCKET_UPSTREAM": urllib.parse.urlsplit(proxied_daphne).netloc,
        "NGINX_STATIC_ROOT": str(static_root),
        "UPLOAD_MAX_FILE_SIZE": str(UPLOAD_MAX_FILE_SIZE),
        "UPLOAD_MAX_FILES": str(UPLOAD_MAX_FILES),
    }


@pytest.fixture(scope="module")
def nginx(nginx_environment, tmp_path_factory):
    """nginx running in the foreground; yields its base URL."""
    url, process = start_nginx(tmp_path_factory.mktemp("nginx"), nginx_environment)
    yield url
    stop_process(process)


class Client:
    """A cookie-keeping HTTP client that returns 4xx/5xx answers instead of raising."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name):
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def request(self, path, *, data=None, headers=None, method=None):
        request = urllib.request.Request(
            f"{self.base_url}{path}", data=data, headers=headers or {}, method=method
        )
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.headers, answer.read(), answer.url
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read(), error.url

    def log_in(self, email, password, **headers):
        self.request("/accounts/login/")
        form = urllib.parse.urlencode(
            {
                "username": email,
                "password": password,
                "csrfmiddlewaretoken": self.cookie("csrftoken"),
            }
        ).encode()
        return self.request(
            "/accounts/login/",
            data=form,
            headers={"Origin": self.base_url, "Referer": f"{self.base_url}/", **headers},
        )


def assert_security_headers(headers):
    for name, value in SECURITY_HEADERS.items():
        assert headers.get_all(name) == [value], (name, headers.get_all(name))


def test_the_rendered_config_leaves_no_variable_and_nginx_t_accepts_it(nginx_environment, tmp_path):
    config = write_nginx_config(tmp_path, nginx_environment)
    rendered = (tmp_path / "conf.d" / "default.conf").read_text()
    assert "${" not in rendered
    assert f"server {nginx_environment['NGINX_HTTP_UPSTREAM']};" in rendered
    assert f"server {nginx_environment['NGINX_WEBSOCKET_UPSTREAM']};" in rendered
    body_limit = UPLOAD_MAX_FILE_SIZE * UPLOAD_MAX_FILES + MULTIPART_OVERHEAD_BYTES
    assert f"client_max_body_size {body_limit};" in rendered
    result = check_config(tmp_path, config)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("upstream", ["NGINX_HTTP_UPSTREAM", "NGINX_WEBSOCKET_UPSTREAM"])
def test_nginx_t_rejects_a_config_rendered_without_an_upstream(
    nginx_environment, tmp_path, upstream
):
    environment = {k: v for k, v in nginx_environment.items() if k != upstream}
    result = check_config(tmp_path, write_nginx_config(tmp_path, environment))
    assert result.returncode != 0
    assert upstream in result.stderr


def test_the_image_defaults_fill_every_variable_and_match_the_apps_upload_limits():
    rendered = render_template(image_environment())
    assert "${" not in rendered
    assert "server web:8000;" in rendered
    assert "server websocket:8000;" in rendered
    body_limit = settings.UPLOAD_MAX_FILE_SIZE * settings.UPLOAD_MAX_FILES
    assert f"client_max_body_size {body_limit + MULTIPART_OVERHEAD_BYTES};" in rendered
    assert f"at most {settings.UPLOAD_MAX_FILES} files of 100 MiB each" in rendered


@pytest.mark.django_db(transaction=True)
def test_pages_come_through_nginx_with_its_security_headers_once(nginx, user, password):
    client = Client(nginx)
    status, headers, body, _ = client.request("/accounts/login/")
    assert status == 200
    assert b'name="username"' in body
    assert_security_headers(headers)
    assert headers["Server"] == "nginx"  # no version

    status, headers, body, url = client.log_in(user.email, password)
    assert status == 200
    assert url == f"{nginx}/"
    status, headers, body, url = client.request("/result/")
    assert (status, url) == (200, f"{nginx}/result/")
    assert user.email.encode() in body
    assert_security_headers(headers)


@pytest.mark.django_db(transaction=True)
def test_django_sees_the_clients_host_and_nginxs_scheme(nginx, proxied_gunicorn, user, password):
    # The CSRF origin check compares Origin with the scheme and Host Django sees: it passes
    # only when nginx forwards the port (Host) and its own scheme, whatever the client claims.
    through_nginx = Client(nginx)
    status, _, _, url = through_nginx.log_in(user.email, password, **{"X-Forwarded-Proto": "https"})
    assert (status, url) == (200, f"{nginx}/")
    assert through_nginx.cookie("sessionid")

    # Django does trust the header: sent straight to gunicorn, the same claim breaks the check.
    direct = Client(proxied_gunicorn)
    status, _, _, _ = direct.log_in(user.email, password, **{"X-Forwarded-Proto": "https"})
    assert status == 403
    assert direct.cookie("sessionid") is None

    # And an Origin without nginx's port is refused through nginx.
    other_port = Client(nginx)
    status, _, _, _ = other_port.log_in(user.email, password, Origin="http://127.0.0.1")
    assert status == 403


def test_static_files_are_served_by_nginx_with_their_cache_headers(nginx, static_root):
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["css/app.css"]
    assert hashed != "css/app.css"
    client = Client(nginx)

    status, headers, body, _ = client.request(f"/static/{hashed}")
    assert status == 200
    assert body == (static_root / hashed).read_bytes()
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Type"].startswith("text/css")
    assert_security_headers(headers)

    status, headers, body, _ = client.request(
        f"/static/{hashed}", headers={"Accept-Encoding": "gzip"}
    )
    assert headers["Content-Encoding"] == "gzip"
    assert body == (static_root / f"{hashed}.gz").read_bytes()

    status, headers, _, _ = client.request("/static/css/app.css")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=3600"

    status, headers, _, _ = client.request("/static/css/missing.css")
    assert status == 404
    assert_security_headers(headers)


@pytest.mark.django_db(transaction=True)
def test_a_websocket_through_nginx_receives_the_users_task_updates(nginx, user, password):
    client = Client(nginx)
    client.log_in(user.email, password)
    socket_url = nginx.replace("http://", "ws://") + "/ws/task/"
    cookie = f"sessionid={client.cookie('sessionid')}"

    with websocket_connect(
        socket_url, origin=nginx, additional_headers={"Cookie": cookie}, open_timeout=10
    ) as socket:
        task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
        start_task(task.public_id, message="Working through nginx")
        message = json.loads(socket.recv(timeout=RECEIVE_TIMEOUT))
    assert message["type"] == "task.update"
    assert message["task_id"] == str(task.public_id)
    assert message["status"] == "running"
    assert message["message"] == "Working through nginx"


@pytest.mark.django_db(transaction=True)
def test_nginx_routes_websockets_to_daphne_and_everything_else_to_gunicorn(
    nginx, gunicorn_log, daphne_log, user, password
):
    client = Client(nginx)
    client.log_in(user.email, password)
    marker = uuid.uuid4().hex
    for path in (f"/?probe={marker}", f"/result/?probe={marker}", f"/healthz?probe={marker}"):
        status, _, _, _ = client.request(path)
        assert status == 200, path
    cookie = f"sessionid={client.cookie('sessionid')}"
    socket_url = nginx.replace("http://", "ws://") + "/ws/task/"
    connects_before = daphne_log.read_text().count('"WSCONNECT /ws/task/"')
    with websocket_connect(
        socket_url, origin=nginx, additional_headers={"Cookie": cookie}, open_timeout=10
    ):
        pass

    http_requests = [line for line in gunicorn_log.read_text().splitlines() if marker in line]
    assert len(http_requests) == 3, http_requests
    assert all('" 200 ' in line for line in http_requests)
    # daphne logs the socket (without its query string) and none of those HTTP requests.
    assert daphne_log.read_text().count('"WSCONNECT /ws/task/"') == connects_before + 1
    assert marker not in daphne_log.read_text()
    assert "/ws/" not in gunicorn_log.read_text()


def test_an_anonymous_websocket_through_nginx_is_closed_with_4401(nginx):
    socket_url = nginx.replace("http://", "ws://") + "/ws/task/"
    # Accepted, then closed with the application's code: a refused handshake would reach a
    # browser as an HTTP 403 that it cannot tell from a network failure.
    with (
        websocket_connect(socket_url, origin=nginx, open_timeout=10) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=10)
    assert closed.value.rcvd.code == 4401


def test_a_websocket_from_another_origin_through_nginx_is_refused(nginx):
    socket_url = nginx.replace("http://", "ws://") + "/ws/task/"
    with pytest.raises(InvalidStatus) as refused:
        websocket_connect(socket_url, origin="https://evil.example", open_timeout=10)
    # Refused before the handshake: daphne answers 403, nginx passes it on.
    assert refused.value.response.status_code == 403
    assert_security_headers(refused.value.response.headers)


def upload(client, files, accept="application/json"):
    body, content_type = multipart_body(fields=[("folder", "reports")], files=files)
    return client.request(
        "/core/upload/",
        data=body,
        headers={
            "Content-Type": content_type,
            "Accept": accept,
            "Origin": client.base_url,
            "X-CSRFToken": client.cookie("csrftoken"),
        },
    )


@pytest.mark.django_db(transaction=True)
def test_uploads_up_to_the_limit_pass_and_larger_ones_get_a_clear_413(nginx, user, password):
    client = Client(nginx)
    client.log_in(user.email, password)

    status, _, body, _ = upload(client, [("file", "fits.bin", b"x" * UPLOAD_MAX_FILE_SIZE)])
    assert status == 201, body
    assert json.loads(body)["documents"][0]["size"] == UPLOAD_MAX_FILE_SIZE

    # One byte over the per-file limit: the app answers, naming the file.
    status, _, body, _ = upload(client, [("file", "big.bin", b"x" * (UPLOAD_MAX_FILE_SIZE + 1))])
    assert status == 413
    assert "“big.bin” is too large" in json.loads(body)["error"]

    # Past the app's whole-request limit: nginx answers before the body reaches daphne.
    too_much = UPLOAD_MAX_FILE_SIZE * UPLOAD_MAX_FILES + MULTIPART_OVERHEAD_BYTES
    status, headers, body, _ = upload(client, [("file", "huge.bin", b"x" * too_much)])
    assert status == 413
    assert json.loads(body) == {
        "error": "This upload is too large: a request can carry at most 2 files of 256 KiB "
        "each. Nothing was uploaded."
    }
    assert_security_headers(headers)
    status, headers, body, _ = upload(
        client, [("file", "huge.bin", b"x" * too_much)], accept="text/html"
    )
    assert status == 413
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'role="alert">This upload is too large' in body
