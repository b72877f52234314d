"""The lanes and passes of devtools.lanes, decided from a test's markers and fixtures."""

from dataclasses import dataclass, field

import pytest

from devtools.lanes import lane_of, runs_on, uses_the_database


@dataclass
class FakeItem:
    """What devtools.lanes reads of a collected test."""

    nodeid: str = "students/tests/test_views.py::test_one"
    fixturenames: list[str] = field(default_factory=list)
    marks: list[pytest.Mark] = field(default_factory=list)

    def get_closest_marker(self, name):
        return next((mark for mark in self.marks if mark.name == name), None)


def mark(name, *args):
    return getattr(pytest.mark, name)(*args).mark


@pytest.mark.parametrize(
    ("item", "lane"),
    [
        (FakeItem(fixturenames=["db", "client"]), "unit"),
        (FakeItem(fixturenames=["live_daphne", "live_server_env"]), "live"),
        (FakeItem(fixturenames=["elasticsearch", "elasticsearch_server"]), "live"),
        (FakeItem(marks=[mark("live")]), "live"),
        (FakeItem(nodeid="tests/faults/test_x.py::test_y", fixturenames=["fault_env"]), "faults"),
        (FakeItem(fixturenames=["page", "browser", "live_server_env"]), "browser"),
        (FakeItem(marks=[mark("live"), mark("browser")]), "browser"),
    ],
)
def test_each_test_gets_one_lane_from_what_it_uses(item, lane):
    assert lane_of(item) == lane


@pytest.mark.parametrize(
    ("marks", "passes"),
    [
        ([], {"sqlite"}),
        ([mark("engine")], {"sqlite", "postgresql"}),
        ([mark("database", "postgresql")], {"postgresql"}),
        ([mark("database", "sqlite")], {"sqlite"}),
    ],
)
def test_sqlite_runs_everything_and_postgresql_what_depends_on_the_engine(marks, passes):
    item = FakeItem(marks=marks)
    assert {vendor for vendor in ("sqlite", "postgresql") if runs_on(item, vendor)} == passes


def test_a_test_uses_the_database_through_its_marker_or_its_fixtures():
    assert uses_the_database(FakeItem(marks=[mark("django_db")]))
    assert uses_the_database(FakeItem(fixturenames=["transactional_db"]))
    assert uses_the_database(FakeItem(fixturenames=["live_server_env", "django_db_setup"]))
    assert not uses_the_database(FakeItem(fixturenames=["settings", "redis_server"]))
