"""docker-entrypoint.sh run for real, and the images' shell scripts through shellcheck."""

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

from devtools.processes import free_loopback_port
from tests.deploy.deployment import ENTRYPOINT, NGINX_UPLOAD_LIMITS

SHELLCHECK = shutil.which("shellcheck")

needs_shellcheck = pytest.mark.skipif(SHELLCHECK is None, reason="no shellcheck: make deploy-tools")


def shellcheck(path):
    return subprocess.run(
        [SHELLCHECK, "--shell=sh", "--severity=style", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_shellcheck
@pytest.mark.parametrize("script", [ENTRYPOINT, NGINX_UPLOAD_LIMITS], ids=lambda path: path.name)
def test_the_script_passes_shellcheck(script):
    result = shellcheck(script)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_shellcheck
def test_shellcheck_reports_a_broken_script(tmp_path):
    broken = tmp_path / "broken.sh"
    broken.write_text("#!/bin/sh\nset -eu\nexec $@\n")
    result = shellcheck(broken)
    assert result.returncode != 0
    assert "SC2068" in result.stdout


def test_the_entrypoint_runs_management_commands_not_code_snippets():
    commands = re.findall(r"python manage\.py (\S+)", ENTRYPOINT.read_text())
    assert commands == ["wait_for_services", "migrate", "ensure_search_index"]
    assert set(commands) <= set(get_commands())


def run_entrypoint(env, *command, timeout=180):
    path = f"{Path(sys.executable).parent}:{env['PATH']}"
    return subprocess.run(
        [str(ENTRYPOINT), *command],
        cwd=settings.BASE_DIR,
        env={**env, "PATH": path},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def fresh_env(live_server_env, tmp_path):
    """The app's environment on a database file that does not exist yet."""
    return {**live_server_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}


def test_setup_migrates_and_creates_the_search_index_then_exits(
    fresh_env, elasticsearch_server, tmp_path
):
    # compose's one-shot `migrate` service: once per deployment, before the app services.
    index = f"entrypoint-{uuid.uuid4().hex}"
    env = {
        **fresh_env,
        "ELASTICSEARCH_URL": elasticsearch_server.url,
        "ELASTICSEARCH_STUDENTS_INDEX": index,
    }
    result = run_entrypoint(env, "setup")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All services answer." in result.stdout

    database = sqlite3.connect(tmp_path / "fresh.sqlite3")
    try:
        applied = database.execute("SELECT COUNT(*) FROM django_migrations").fetchone()[0]
    finally:
        database.close()
    assert applied > 0
    with urllib.request.urlopen(f"{elasticsearch_server.url}/{index}", timeout=10) as answer:
        created = json.load(answer)  # {index name: ...}, also when `index` is an alias
    for name in created:
        request = urllib.request.Request(f"{elasticsearch_server.url}/{name}", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()
    assert created


def test_any_other_command_runs_once_the_services_answer_without_migrating(fresh_env, tmp_path):
    # web, websocket and worker replicas: many at once, none of them migrates.
    result = run_entrypoint(fresh_env, "python", "-c", "print('the command ran')")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All services answer." in result.stdout
    assert result.stdout.rstrip().endswith("the command ran")
    database = sqlite3.connect(tmp_path / "fresh.sqlite3")
    try:
        tables = database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        database.close()
    assert tables == []


def test_the_command_does_not_run_while_a_service_is_down(fresh_env):
    env = {
        **fresh_env,
        "REDIS_URL": f"redis://127.0.0.1:{free_loopback_port()}/0",
        "WAIT_FOR_SERVICES_TIMEOUT": "2",
    }
    result = run_entrypoint(env, "python", "-c", "print('the command ran')")
    assert result.returncode != 0
    assert "the command ran" not in result.stdout
    assert "redis" in result.stderr
