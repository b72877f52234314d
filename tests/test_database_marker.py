"""Which tests run on which database (README, "The test suite"): the SQLite pass runs every
test; the PostgreSQL pass the tests whose outcome depends on the engine (`engine`) and those
marked `database("postgresql")`."""

import importlib

import pytest
from django.db import connection

# The parts of the site whose behaviour depends on the database engine: constraints, locking
# and conditional updates (tasks, the waiting line, accounts' models), the CRUD job and its
# generations (raw SQL, PostgreSQL's row locks), the database search backend (SQLite FTS5 or
# PostgreSQL's full text), the search outbox (SKIP LOCKED), worker faults. Each of these
# modules runs on PostgreSQL as a whole.
ENGINE_MODULES = [
    "users.tests.test_models",
    "users.tests.tasks.test_tasks",
    "users.tests.tasks.test_task_control",
    "users.tests.tasks.test_watchdog",
    "students.tests.test_models",
    "students.tests.test_generations",
    "students.tests.test_crud_job",
    "students.tests.test_job_control_live",
    "students.tests.test_live_job",
    "students.tests.search.test_backends",
    "students.tests.search.test_outbox",
    "tests.faults.test_worker_faults",
]
POSTGRESQL_ONLY_MODULES = [
    "tests.faults.test_postgres_restart",
    "tests.test_scale_out",
    "tests.test_backups",
]


def marks_of(target: object) -> list[pytest.Mark]:
    marks = getattr(target, "pytestmark", [])
    return marks if isinstance(marks, list) else [marks]


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_what_depends_on_the_engine_runs_on_postgresql_too(module):
    assert "engine" in {mark.name for mark in marks_of(importlib.import_module(module))}


def test_the_database_search_backend_runs_on_postgresql_too():
    from students.tests.search.test_database import TestDatabaseBackend

    assert "engine" in {mark.name for mark in marks_of(TestDatabaseBackend)}


@pytest.mark.parametrize("module", POSTGRESQL_ONLY_MODULES)
def test_postgresql_faults_and_scale_out_run_on_postgresql(module):
    marks = [mark for mark in marks_of(importlib.import_module(module)) if mark.name == "database"]
    assert [mark.args for mark in marks] == [("postgresql",)]


@pytest.mark.database("postgresql")
def test_runs_only_on_postgresql() -> None:
    assert connection.vendor == "postgresql"


@pytest.mark.database("sqlite")
def test_runs_only_on_sqlite() -> None:
    assert connection.vendor == "sqlite"
