"""docker-compose.yml: parsed by Debian's docker-compose (no engine needed) and read as data."""

import re
import shutil
import subprocess
import sys

import pytest
import yaml
from django.conf import settings
from django_rq import get_connection
from rq import Worker

from devtools.elasticsearch_server import ELASTICSEARCH_VERSION
from devtools.live import rq_worker
from devtools.waiting import wait_until
from tests.deploy.deployment import COMPOSE_FILE, ENV_EXAMPLE, dockerfile_stages, env_file_values

DOCKER_COMPOSE = shutil.which("docker-compose")
ONE_SHOT = {"s3-bucket", "migrate"}
LONG_RUNNING = {"nginx", "web", "websocket", "worker", "redis", "db", "search", "s3"}
APP_SERVICES = {"web", "websocket", "worker"}
# The optional `monitoring` profile (tests/monitoring/test_compose_profile.py).
MONITORING = {"prometheus", "grafana"}

needs_docker_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None, reason="no docker-compose: make deploy-tools"
)


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


@pytest.fixture
def project_dir(tmp_path):
    """A project directory holding `.env` as an operator makes it: a copy of .env.example."""
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    return tmp_path


def compose_config(project_dir, compose_file=COMPOSE_FILE, *options):
    """`docker-compose config -q` of the file, with `options` (e.g. a profile) before it."""
    command = [DOCKER_COMPOSE, "--project-directory", str(project_dir), "-f", str(compose_file)]
    return subprocess.run(
        [*command, *options, "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_docker_compose
# The stack, and the stack with its optional `monitoring` profile.
@pytest.mark.parametrize("options", [[], ["--profile", "monitoring"]], ids=["stack", "monitoring"])
def test_docker_compose_validates_the_file_with_the_example_env(project_dir, options):
    result = compose_config(project_dir, COMPOSE_FILE, *options)
    assert result.returncode == 0, result.stderr
    assert "is not set" not in result.stderr, result.stderr


@needs_docker_compose
@pytest.mark.parametrize(
    ("written", "broken_as", "options", "complaint"),
    [
        ("condition: service_healthy", "when: up", [], "depends_on"),
        ("profiles: [monitoring]", "profiles: 3", ["--profile", "monitoring"], "profiles"),
    ],
)
def test_docker_compose_rejects_a_broken_file(project_dir, written, broken_as, options, complaint):
    broken = project_dir / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text().replace(written, broken_as))
    result = compose_config(project_dir, broken, *options)
    assert result.returncode != 0
    assert complaint in result.stderr


@needs_docker_compose
def test_docker_compose_wants_the_env_file(tmp_path):
    result = compose_config(tmp_path)
    assert result.returncode != 0
    assert ".env" in result.stderr


def test_the_stack_has_its_services(services):
    assert set(services) == LONG_RUNNING | ONE_SHOT | MONITORING
    assert {name for name, service in services.items() if "profiles" in service} == MONITORING


def test_only_nginx_publishes_a_port_and_nothing_pins_a_container_name(services):
    # The monitoring profile's services publish on the host's loopback only.
    publishing = {
        name
        for name, service in services.items()
        if any(not port.startswith("127.0.0.1:") for port in service.get("ports", []))
    }
    assert publishing == {"nginx"}
    assert not [name for name, service in services.items() if "container_name" in service]


def healthcheck_of(service):
    """The compose health check, or the one of the Dockerfile stage the service is built from."""
    if "healthcheck" in service:
        return service["healthcheck"]["test"]
    target = service.get("build", {}).get("target")
    for stage in dockerfile_stages():
        if target and stage.name == target and stage.all("HEALTHCHECK"):
            return stage.all("HEALTHCHECK")[0].arguments
    return None


def test_every_long_running_service_has_a_health_check(services):
    for name in LONG_RUNNING:
        assert healthcheck_of(services[name]), f"{name} has no health check"
    # The worker serves no HTTP: the image's /healthz check must not be what it runs. It runs
    # a management command of its own, not code through `manage.py shell`.
    assert services["worker"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "manage.py",
        "rq_worker_health",
    ]


def test_services_start_once_what_they_need_is_healthy(services):
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert rule == {"condition": expected}, (name, dependency, rule)
    backing = {"db", "redis", "search", "s3-bucket"}
    for name in APP_SERVICES:
        assert set(services[name]["depends_on"]) == {"migrate", *backing}
    assert set(services["migrate"]["depends_on"]) == backing
    assert set(services["nginx"]["depends_on"]) == {"web", "websocket"}
    for name in ONE_SHOT:
        assert services[name]["restart"] == "no"


def test_stopping_a_worker_lets_its_job_end(services):
    grace = services["worker"]["stop_grace_period"]
    assert grace.endswith("m")
    assert int(grace[:-1]) * 60 > settings.CRUD_JOB_TIMEOUT + settings.TASK_TIMEOUT_GRACE_SECONDS


def test_every_app_service_runs_the_same_image_with_its_own_command(services):
    app_services = {name: services[name] for name in [*APP_SERVICES, "migrate"]}
    assert {service["image"] for service in app_services.values()} == {"cookbook-students:latest"}
    for service in app_services.values():
        assert service["build"] == {"context": ".", "target": "app"}
        assert service["env_file"] == ".env"
        assert "RUN_SETUP" not in service.get("environment", {})
    assert "command" not in services["web"]  # the image's gunicorn
    assert services["websocket"]["command"][0] == "daphne"
    assert services["worker"]["command"][:3] == ["python", "manage.py", "rqworker"]
    assert "--with-scheduler" in services["worker"]["command"]
    # The entrypoint's set-up (migrations, search index) runs once per deployment, here only.
    assert services["migrate"]["command"] == ["setup"]


def test_each_tier_can_scale(services):
    # Replicas need no fixed container name or host port, and each has its own health check.
    for name in APP_SERVICES:
        service = services[name]
        assert "ports" not in service
        assert "container_name" not in service
        assert healthcheck_of(service)
    # HTTP and websockets are separate services: nginx routes to both (see test_nginx.py).
    assert "daphne" not in str(services["web"].get("command", ""))


def test_data_lives_in_named_volumes(services):
    declared = set(yaml.safe_load(COMPOSE_FILE.read_text())["volumes"])
    for name, data_dir in {
        "db": "/var/lib/postgresql/data",
        "redis": "/data",
        "search": "/usr/share/elasticsearch/data",
        "s3": "/data",
    }.items():
        volume, _, target = services[name]["volumes"][0].partition(":")
        assert target == data_dir
        assert volume in declared


def test_elasticsearch_is_the_version_the_tests_run(services):
    image = services["search"]["image"]
    assert image.endswith(f":{ELASTICSEARCH_VERSION}")


def test_images_are_pinned(services):
    for name, service in services.items():
        if "build" not in service:
            assert not service["image"].endswith(":latest"), name
            assert ":" in service["image"], name


def test_every_variable_the_file_uses_is_in_the_example_env(services):
    used = set(re.findall(r"(?<!\$)\$\{(\w+)(?::?-[^}]*)?\}", COMPOSE_FILE.read_text()))
    example = env_file_values()
    assert used <= set(example), used - set(example)
    assert "change-me" in example["DJANGO_SECRET_KEY"]  # a placeholder, never a real secret
    assert example["POSTGRES_PASSWORD"] in example["DATABASE_URL"]


def run_worker_healthcheck(services, env):
    """The worker's compose health check, run here as the container would run it."""
    command = services["worker"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "manage.py"]
    return subprocess.run(
        [sys.executable, *command[2:]],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_worker_health_check_follows_the_rq_worker_of_its_host(
    services, live_server_env, tmp_path
):
    without_worker = run_worker_healthcheck(services, live_server_env)
    assert without_worker.returncode != 0
    assert "no RQ worker of this container is registered" in without_worker.stderr

    with rq_worker(live_server_env, tmp_path / "worker.log") as worker:
        # Once the worker has registered (or died), the check runs once.
        wait_until(lambda: worker.poll() is not None or Worker.all(connection=get_connection()))
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        result = run_worker_healthcheck(services, live_server_env)
        assert result.returncode == 0, result.stderr
