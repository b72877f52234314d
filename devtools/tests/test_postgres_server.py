"""The throwaway PostgreSQL cluster behind the suite's second run (Debian's postgresql)."""

import os
import subprocess
import sys

import psycopg
import pytest
from django.conf import settings

from devtools.postgres_server import (
    POSTGRES_USER,
    PostgresUnavailable,
    database_answers,
    server_bin_dir,
    start_postgres_server,
)


@pytest.fixture
def server():
    server = start_postgres_server()
    yield server
    server.stop()


def test_a_restart_keeps_the_data_and_the_port(server):
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    port = server.port
    server.restart(down_for=0.2)
    assert server.port == port
    with psycopg.connect(server.url()) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone() == (42,)


def test_starts_answers_and_stops(server):
    url = server.url()
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT current_database(), current_setting('listen_addresses'),"
            " current_setting('fsync'), current_setting('server_encoding'),"
            " current_setting('max_connections')::int"
        ).fetchone()
    assert row[:4] == ("cookbook", "127.0.0.1", "off", "UTF8")
    assert row[4] >= 200  # room for live daphne and RQ workers beside the tests
    if os.geteuid() == 0:  # PostgreSQL refuses root: the cluster belongs to `postgres`
        assert server.workdir.stat().st_uid != 0
        assert (server.workdir / "data").owner() == POSTGRES_USER

    server.stop()
    assert server.process.poll() is not None
    assert not server.workdir.exists()
    assert not database_answers(url)


def test_a_wrong_password_is_refused(server):
    wrong = server.url().replace(server.password, "not-the-password")
    assert database_answers(server.url())
    assert not database_answers(wrong)


def test_empty_bin_dir_is_a_clear_error(tmp_path):
    with pytest.raises(PostgresUnavailable, match="No PostgreSQL server binaries"):
        start_postgres_server(bin_dir=tmp_path)


def test_no_installed_major_is_a_clear_error(tmp_path):
    (tmp_path / "15" / "bin").mkdir(parents=True)  # client tools only: no initdb, no postgres
    with pytest.raises(PostgresUnavailable, match="make postgresql"):
        server_bin_dir(root=tmp_path)


def test_the_newest_major_with_a_server_wins(tmp_path):
    for major, programs in {"13": ["initdb", "postgres"], "15": ["initdb", "postgres"]}.items():
        for program in programs:
            path = tmp_path / major / "bin" / program
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("#!/bin/sh\n")
            path.chmod(0o755)
    (tmp_path / "16" / "bin").mkdir(parents=True)  # only a client installed
    assert server_bin_dir(root=tmp_path) == tmp_path / "15" / "bin"


def test_runner_gives_the_command_a_database_and_its_exit_code():
    probe = (
        "import os, sys, psycopg\n"
        "with psycopg.connect(os.environ['DATABASE_URL']) as conn:\n"
        "    conn.execute('CREATE TABLE probe (n int)')\n"
        "sys.exit(3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "devtools.postgres_server", "--", sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr


def test_runner_without_a_command_says_how_to_use_it():
    result = subprocess.run(
        [sys.executable, "-m", "devtools.postgres_server"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "usage: python -m devtools.postgres_server -- COMMAND" in result.stderr


def test_a_terminated_runner_stops_its_cluster():
    waiter = "import os, time; print(os.environ['DATABASE_URL'], flush=True); time.sleep(60)"
    runner = subprocess.Popen(
        [sys.executable, "-m", "devtools.postgres_server", "--", sys.executable, "-c", waiter],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = runner.stdout.readline().strip()
    assert database_answers(url)
    runner.terminate()
    assert runner.wait(timeout=60) == 128 + 15
    runner.stdout.close()
    assert not database_answers(url)
