"""Real servers for the test suite, each started once per session on a free loopback port."""

import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import override_settings

from core.processes import free_loopback_port, stop_process, wait_for_http
from core.redis_server import start_redis_server
from project.settings import BASE_DIR, redis_backed_settings

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session", autouse=True)
def redis_server(tmp_path_factory):
    """A real redis-server behind the cache, the channel layer and the RQ queues."""
    port = free_loopback_port()
    process = start_redis_server(port=port, workdir=tmp_path_factory.mktemp("redis"))
    url = f"redis://127.0.0.1:{port}/0"
    with override_settings(**redis_backed_settings(url)):
        yield url
    stop_process(process)


@pytest.fixture(autouse=True)
def _empty_redis(redis_server):
    yield
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """Keep the SQLite test database in a file so that a live daphne process can share it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


def _database_url():
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    # NAME is pytest-django's test database (test_<name>) by now.
    user, password = (quote(settings_dict[key], safe="") for key in ("USER", "PASSWORD"))
    return (
        f"postgres://{user}:{password}"
        f"@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
    )


@pytest.fixture(scope="session")
def live_server_env(django_db_setup, redis_server, tmp_path_factory):
    """Environment for child processes (daphne, RQ workers) sharing the test database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_server,
        "DJANGO_MEDIA_ROOT": str(tmp_path_factory.mktemp("live-media")),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; on PostgreSQL, other sessions on it end before it is
    dropped: child processes' sessions outlive the processes for a moment, and connections
    that other threads of this process opened (async tests, Playwright) are never closed."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


def start_daphne(env, log_path):
    """A real daphne serving the ASGI app (HTTP and websockets); returns (url, process)."""
    port = free_loopback_port()
    command = [sys.executable, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*command, "project.asgi:application"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", process)
    except Exception:
        stop_process(process)
        raise RuntimeError(f"daphne did not start:\n{log_path.read_text()}") from None
    return url, process


@pytest.fixture(scope="session")
def live_daphne(live_server_env, tmp_path_factory):
    """A real daphne serving the ASGI app (HTTP and websockets) on a free loopback port."""
    url, process = start_daphne(live_server_env, tmp_path_factory.mktemp("daphne") / "daphne.log")
    yield url
    stop_process(process)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (a browser download never works here)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls that
    # tests make around it are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def password():
    return "a-Long-enough-passphrase-42"


@pytest.fixture
def make_user(db, password):
    from users.models import CustomUser

    def make(email="alice@example.com", **extra):
        return CustomUser.objects.create_user(email, password, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture(scope="session")
def elasticsearch_server():
    """A real Elasticsearch node (fetched from Maven Central on the first run), started once."""
    from core.elasticsearch_server import start_elasticsearch_server

    node = start_elasticsearch_server()
    yield node
    node.stop()


@pytest.fixture
def elasticsearch(elasticsearch_server, settings):
    """Search on Elasticsearch for one test, starting from an empty `students` index."""
    from students.search import delete_index, ensure_index

    settings.ELASTICSEARCH_URL = elasticsearch_server.url
    delete_index()
    ensure_index()
    yield elasticsearch_server.url
    delete_index()


def pytest_collection_modifyitems(items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, which breaks the async tests (pytest-asyncio,
    channels' communicators) and async_to_sync calls of any test after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
