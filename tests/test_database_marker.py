"""The `database` marker: a test runs only in its database's pass of the suite."""

import pytest
from django.db import connection


@pytest.mark.database("postgresql")
def test_runs_only_on_postgresql() -> None:
    assert connection.vendor == "postgresql"


@pytest.mark.database("sqlite")
def test_runs_only_on_sqlite() -> None:
    assert connection.vendor == "sqlite"
