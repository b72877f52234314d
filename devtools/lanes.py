"""The suite's lanes and passes: which lane a test runs in, and on which databases."""

import pytest

# Each test runs in one lane (README, "The test suite"): `unit` tests need no process of
# their own beyond the per-session Redis, SMTP and S3 servers and run in parallel
# (pytest-xdist); `live` ones start app servers or use the shared Elasticsearch node, `faults`
# ones break them, `browser` ones drive chromium: those run one at a time, in that order.
LANES = ("unit", "live", "faults", "browser")
# Fixtures that start app servers (daphne, gunicorn, RQ workers, nginx) or Elasticsearch.
LIVE_FIXTURES = frozenset({"live_server_env", "elasticsearch_server", "restartable_elasticsearch"})
# What a test that touches the database requests (live servers share the test database).
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_setup"}
)
FAULTS_DIRECTORY = "tests/faults/"


def lane_of(item: pytest.Item) -> str:
    fixtures = set(getattr(item, "fixturenames", ()))
    if "browser" in fixtures or item.get_closest_marker("browser"):
        return "browser"
    if item.nodeid.startswith(FAULTS_DIRECTORY):
        return "faults"
    if fixtures & LIVE_FIXTURES or item.get_closest_marker("live"):
        return "live"
    return "unit"


def runs_on(item: pytest.Item, vendor: str) -> bool:
    """Whether the test runs in `vendor`'s pass: SQLite runs every test; PostgreSQL those
    whose outcome depends on the engine (`engine`), and `database(...)` names its passes."""
    marker = item.get_closest_marker("database")
    if marker is not None:
        return vendor in marker.args
    return vendor == "sqlite" or item.get_closest_marker("engine") is not None


def uses_the_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)
