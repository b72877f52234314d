"""The Dockerfile, read without an engine: stages, lock, static files, user, health, secrets."""

import re
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings

from tests.deploy.deployment import (
    COMPOSE_FILE,
    ENTRYPOINT,
    build_context,
    dockerfile_stages,
    dockerignore_patterns,
    excluded_from_context,
)

SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|DSN|ACCESS_KEY|PRIVATE", re.I)


@pytest.fixture(scope="module")
def stages():
    return dockerfile_stages()


@pytest.fixture(scope="module")
def app(stages):
    return stages[-1]


def stage_named(stages, name):
    return next(stage for stage in stages if stage.name == name)


def copied_from(stage, source_stage):
    return [
        item.words[-2]
        for item in stage.all("COPY")
        if any(word == f"--from={source_stage}" for word in item.words)
    ]


def test_the_app_is_the_last_stage_of_a_multi_stage_build_on_python_3_11_slim(stages, app):
    assert len(stages) >= 2
    assert app.name == "app"
    python_stages = [stage for stage in stages if stage.image.startswith("python:")]
    assert app in python_stages
    assert {stage.image for stage in python_stages} == {"python:3.11-slim"}


def test_dependencies_come_from_the_runtime_lock_with_hashes(stages, app):
    installs = [
        (stage, item)
        for stage in stages
        for item in stage.all("RUN")
        if re.search(r"pip install\b", item.arguments)
    ]
    assert installs, "no pip install in any stage"
    for stage, item in installs:
        assert "--require-hashes" in item.words
        requirement_file = item.words[item.words.index("-r") + 1]
        copies = {copy.words[-1]: copy.words[-2] for copy in stage.all("COPY")}
        assert copies.get(requirement_file) == "requirements/base.txt"
        assert (settings.BASE_DIR / "requirements" / "base.txt").is_file()
    # The app gets that environment, not one of its own.
    build_stage = installs[0][0].name
    assert "/venv" in copied_from(app, build_stage)


def test_static_files_are_collected_at_build_time_and_shipped_to_the_app_and_nginx(stages, app):
    collecting = [
        stage
        for stage in stages
        if any("manage.py collectstatic" in item.arguments for item in stage.all("RUN"))
    ]
    assert len(collecting) == 1
    static_stage = collecting[0]
    assert "/app/staticfiles" in copied_from(app, static_stage.name)
    nginx = stage_named(stages, "nginx")
    assert nginx.image.startswith("nginx:")
    assert "/app/staticfiles" in copied_from(nginx, static_stage.name)
    # The stage collects with the production storage (hashed names): DEBUG off.
    (collect,) = [item for item in static_stage.all("RUN") if "collectstatic" in item.arguments]
    assert "DJANGO_DEBUG=false" in collect.words


def test_the_app_has_postgresql_s_client_for_backups(app):
    # manage.py backup_site and restore_site run pg_dump and pg_restore (core.backups).
    [install] = [item for item in app.all("RUN") if "postgresql-client" in item.arguments]
    assert "--no-install-recommends" in install.arguments
    assert "rm -rf /var/lib/apt/lists/*" in install.arguments


def test_the_app_runs_as_a_non_root_user_that_the_image_creates(app):
    users = app.all("USER")
    assert users, "the app stage never leaves root"
    user = users[-1].arguments.split(":")[0]
    assert user not in {"root", "0"}
    assert any("useradd" in item.arguments and item.words[-1] == user for item in app.all("RUN")), (
        f"the user {user!r} is not created in the app stage"
    )
    keywords = [item.keyword for item in app.instructions]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_the_image_serves_http_with_gunicorn_and_checks_healthz_on_its_port(app):
    (healthcheck,) = app.all("HEALTHCHECK")
    (command,) = app.all("CMD")
    assert command.words[:3] == ["gunicorn", "--config", "python:project.gunicorn_config"]
    port = command.words[command.words.index("--bind") + 1].rpartition(":")[2]
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck.arguments
    assert re.search(r"--timeout=\d+s", healthcheck.arguments)


def test_the_websocket_service_runs_daphne_on_the_port_the_health_check_asks(app):
    # compose's `websocket` service runs the same image (and so its health check) with daphne.
    (healthcheck,) = app.all("HEALTHCHECK")
    command = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["websocket"]["command"]
    assert command[0] == "daphne"
    assert command[-1] == "project.asgi:application"
    # The app reads X-Forwarded-For itself, from the right; daphne would trust its left.
    assert "--proxy-headers" not in command
    port = command[command.index("--port") + 1]
    assert f"http://127.0.0.1:{port}/healthz" in healthcheck.arguments


def test_the_entrypoint_is_the_committed_executable_script(app):
    (entrypoint,) = app.all("ENTRYPOINT")
    (workdir,) = app.all("WORKDIR")
    assert entrypoint.words == [f"{workdir.arguments}/{ENTRYPOINT.name}"]
    assert ENTRYPOINT.stat().st_mode & 0o111


def test_no_secret_is_baked_into_the_image(stages, app):
    for stage in stages:
        for item in stage.all("ENV") + stage.all("ARG"):
            names = re.findall(r"(\w+)=", item.arguments) or [item.words[0]]
            assert not any(SECRET_NAME.search(name) for name in names), item
    # The throwaway collectstatic key exists only inside one RUN of a stage that is not shipped.
    assert "SECRET" not in " ".join(item.arguments for item in app.instructions)


@pytest.fixture(scope="module")
def context():
    return build_context()


def test_the_build_context_holds_the_app(context):
    our_apps = [
        Path(config.path).name
        for config in apps.get_app_configs()
        if Path(config.path).parent == settings.BASE_DIR
    ]
    assert "core" in our_apps
    needed = {"manage.py", "docker-entrypoint.sh", "requirements/base.txt", ".env.example"}
    needed |= {"project/settings.py", "project/settings_helpers.py", "project/asgi.py"}
    needed |= {"project/wsgi.py", "project/gunicorn_config.py"}
    needed |= {f"{app}/apps.py" for app in our_apps}
    needed |= {"templates/base.html", "static/js/app.js", "nginx/templates/default.conf.template"}
    assert needed <= context, needed - context
    assert any(path.startswith("students/migrations/") for path in context)


def test_the_build_context_holds_no_development_tooling_tests_or_local_state(context):
    leaks = [
        path
        for path in context
        if path.split("/")[0]
        in {"devtools", "bench", "tests", "docs", "monitoring", ".git", ".venv", ".run"}
        or "tests" in path.split("/")
        or path.endswith((".md", "conftest.py", ".sqlite3", ".pyc"))
        or path in {".env", "Makefile"}
    ]
    assert not leaks, f"sent to the build and copied into the image: {sorted(leaks)[:20]}"
    # Whether or not this checkout has them now.
    patterns = dockerignore_patterns()
    for path in [
        ".env",
        ".env.production",
        ".run/demo-account.txt",
        "db.sqlite3",
        "media/documents/1/x.pdf",
        "devtools/run.py",
        "bench/out/result.json",
        "tests/deploy/test_dockerfile.py",
        "users/tests/test_views.py",
        "conftest.py",
        "docs/architecture.md",
        "monitoring/prometheus/alerts.yml",
        "README.md",
    ]:
        assert excluded_from_context(path, patterns), path


def test_the_context_is_computed_as_docker_reads_dockerignore():
    patterns = dockerignore_patterns(
        "# comment\n\n*.md\n**/tests\n/media\nstatic/**/*.map\n.env*\n!.env.example\n"
    )
    for path, excluded in {
        "README.md": True,
        "docs/guide.md": False,  # `*` stays in the context's root folder
        "tests/deploy/test_x.py": True,  # `**/` matches no folder as well
        "core/tests/test_x.py": True,
        "core/tests.py": False,
        "media/a/b.pdf": True,  # a leading / is the context's root
        "static/js/app.js.map": True,
        "static/app.js.map": True,
        "static/js/app.js": False,
        ".env.local": True,
        ".env.example": False,  # the last matching pattern decides
    }.items():
        assert excluded_from_context(path, patterns) is excluded, path


def test_every_file_the_build_copies_is_in_the_context(stages, context):
    for stage in stages:
        for item in stage.all("COPY"):
            if any(word.startswith("--from=") for word in item.words):
                continue
            for source in [word for word in item.words[:-1] if not word.startswith("--")]:
                folder = source.rstrip("/") + "/"
                assert (
                    source in context
                    or source == "."
                    or any(path.startswith(folder) for path in context)
                ), f"COPY {source}: not in the build context"


def test_the_parser_reads_continuations_and_stages():
    stages = dockerfile_stages(
        "# comment\nFROM python:3.11-slim AS build\nRUN a \\\n    && b\nFROM build\nUSER app\n"
    )
    assert [(stage.image, stage.name) for stage in stages] == [
        ("python:3.11-slim", "build"),
        ("build", None),
    ]
    assert stages[0].instructions[0].arguments == "a && b"
