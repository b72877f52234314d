"""The test suite's servers as pytest fixtures, each started once per session on a free
loopback port: Redis, the live daphne and its environment, Elasticsearch, moto S3, an SMTP
server and chromium. The root conftest.py loads this plugin (`pytest_plugins`)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.test import override_settings

from devtools.elasticsearch_server import (
    ElasticsearchNode,
    RestartableNode,
    start_elasticsearch_server,
)
from devtools.lanes import LANES, lane_of, runs_on, uses_the_database
from devtools.live import start_daphne
from devtools.moto_server import start_moto_server
from devtools.processes import free_loopback_port, stop_process
from devtools.redis_server import start_redis_server
from devtools.smtp_server import Mailbox, SMTPServer
from project.settings_helpers import redis_backed_settings

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session", autouse=True)
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server behind the cache, the channel layer and the RQ queues."""
    port = free_loopback_port()
    process = start_redis_server(port=port, workdir=tmp_path_factory.mktemp("redis"))
    url = f"redis://127.0.0.1:{port}/0"
    with override_settings(**redis_backed_settings(url)):
        yield url
    stop_process(process)


@pytest.fixture(autouse=True)
def _empty_redis(redis_server: str) -> Iterator[None]:
    yield
    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the SQLite test database in a file so that a live daphne process can share it
    (each pytest-xdist worker's in its own folder); on PostgreSQL each worker's database
    gets pytest-django's suffix (`_gw0`, ...)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


def _database_url() -> str:
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
def smtp_server() -> Iterator[SMTPServer]:
    """An SMTP server on loopback (aiosmtpd); what it receives lands in its mailbox."""
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server: SMTPServer, settings: Any) -> Mailbox:
    """The site sends its mail over SMTP to the suite's server; the box starts empty."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    smtp_server.mailbox.clear()
    return smtp_server.mailbox


@pytest.fixture(scope="session")
def live_server_env(
    django_db_setup: None,
    redis_server: str,
    smtp_server: SMTPServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """Environment for child processes (daphne, RQ workers) sharing the test database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_server,
        "EMAIL_URL": smtp_server.url,
        "DJANGO_MEDIA_ROOT": str(tmp_path_factory.mktemp("live-media")),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
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


@pytest.fixture(scope="session")
def live_daphne(
    live_server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real daphne serving the ASGI app (HTTP and websockets) on a free loopback port."""
    url, process = start_daphne(live_server_env, tmp_path_factory.mktemp("daphne") / "daphne.log")
    yield url
    stop_process(process)


@pytest.fixture(scope="session")
def elasticsearch_server() -> Iterator[ElasticsearchNode]:
    """A real Elasticsearch node (fetched from Maven Central on the first run), started once."""
    node = start_elasticsearch_server()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def restartable_elasticsearch() -> Iterator[RestartableNode]:
    """A second Elasticsearch node that outage tests stop and start again; each test that
    uses it finds it running (`ensure_running()` when it starts)."""
    node = RestartableNode()
    yield node
    node.shut_down()


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server (its own process, a free loopback port); yields its endpoint URL."""
    log_path: Path = tmp_path_factory.mktemp("moto") / "moto.log"
    process, endpoint_url = start_moto_server(log_path=log_path)
    yield endpoint_url
    stop_process(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
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
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its lane (before `-m` selects lanes), keep the tests of this
    database's pass, and order them by lane, a module's tests together: browser modules
    last, as Playwright's sync API keeps an event loop running in the main thread for the
    rest of the session, which breaks async tests (pytest-asyncio, channels' communicators)
    and async_to_sync calls after it."""
    engine_without_database = [
        item.nodeid
        for item in items
        if item.get_closest_marker("engine") and not uses_the_database(item)
    ]
    if engine_without_database:
        raise pytest.UsageError(
            "marked `engine` but touching no database (they would run on PostgreSQL for "
            "nothing): " + ", ".join(engine_without_database)
        )
    vendor = _database_vendor()
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        item.add_marker(lane_of(item))
        (kept if runs_on(item, vendor) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
    module_rank: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        module_rank[module] = max(LANES.index(lane_of(item)), module_rank.get(module, 0))
    items.sort(key=lambda item: module_rank[item.nodeid.split("::")[0]])


def _database_vendor() -> str:
    """The vendor of the suite's database ("sqlite" or "postgresql"), from the settings."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite"
