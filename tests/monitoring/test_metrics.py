"""The metrics the alert rules and the dashboard read, rendered by /metrics in this process with
the metrics token: the health of each backing service, how long ago the running task moved,
the seconds of each phase of finished CRUD jobs, and every metric name the rules and the
dashboard use."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_rq import get_connection
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker

from core.metrics import reset_shared_metrics
from devtools.processes import free_loopback_port
from students.jobs import run_crud_job
from students.search import search_students
from tests.monitoring.monitoring_files import alert_rules, dashboard_expressions, metric_names
from users.models import Task
from users.tasks.progress import report_task_progress
from users.tasks.services import create_task, start_task

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-that-is-long-enough-0123456789"
# Made by Prometheus itself, not read from /metrics.
PROMETHEUS_OWN = {"up"}


@pytest.fixture(autouse=True)
def fresh_metrics(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.HEALTH_CACHE_SECONDS = 0
    reset_shared_metrics()
    yield
    reset_shared_metrics()


def scrape(client):
    """{sample name: {labels as a sorted tuple: value}} of /metrics."""
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_each_backing_service_is_a_gauge(client):
    up = scrape(client)["app_health_component_up"]
    assert up == {
        (("component", name),): 1.0
        for name in ("database", "redis", "search", "search_sync", "storage")
    }

    with override_settings(REDIS_URL=f"redis://127.0.0.1:{free_loopback_port()}/0"):
        up = scrape(client)["app_health_component_up"]  # nothing listens there
    assert up[(("component", "redis"),)] == 0.0
    assert up[(("component", "database"),)] == 1.0


def test_the_running_task_s_last_progress_has_an_age(client, user):
    kind = (("kind", Task.Kind.STUDENT_CRUD.value),)
    assert scrape(client)["app_task_progress_age_seconds"] == {kind: 0.0}  # none runs

    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    start_task(task.public_id, message="go")
    Task.objects.filter(pk=task.pk).update(progressed=timezone.now() - timedelta(minutes=5))
    assert 300 <= scrape(client)["app_task_progress_age_seconds"][kind] < 330

    assert report_task_progress(task.public_id, progress=40, message="moving")
    assert scrape(client)["app_task_progress_age_seconds"][kind] < 30


def test_a_finished_crud_job_records_the_seconds_of_each_phase(client, user):
    task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    result = run_crud_job(str(task.public_id), 20)

    samples = scrape(client)
    for phase, seconds in result["seconds"].items():
        labels = (("phase", phase),)
        assert samples["app_crud_job_phase_seconds_count"][labels] == 1
        assert samples["app_crud_job_phase_seconds_sum"][labels] == pytest.approx(seconds)
    assert set(result["seconds"]) == {"create", "verify", "update", "index", "delete"}


def test_every_metric_the_rules_and_the_dashboard_read_is_on_the_page(
    client, user, django_capture_on_commit_callbacks
):
    # What makes the metrics that only exist once something happened: a finished job (its
    # duration, phases and published updates), requests and recipe cache reads, a search,
    # a registered worker.
    with django_capture_on_commit_callbacks(execute=True):
        task = create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
        run_crud_job(str(task.public_id), 5)
    client.get("/")
    search_students("jo")
    worker = Worker(["default"], connection=get_connection())
    worker.register_birth()
    try:
        on_the_page = set(scrape(client))
    finally:
        worker.register_death()

    expressions = [rule["expr"] for rule in alert_rules()] + dashboard_expressions()
    for expression in expressions:
        used = metric_names(expression)
        assert used, f"no metric found in {expression}"
        assert used <= on_the_page | PROMETHEUS_OWN, (used - on_the_page, expression)


def test_metric_names_are_read_from_promql():
    expression = (
        "histogram_quantile(0.95, sum by (le, backend) (max without (instance, job) "
        '(rate(app_search_duration_seconds_bucket{method="GET", le=~"1.0|+Inf"}[5m]))))'
        ' > 1 and on() count(rq_workers{state!="suspended"} offset 5m) > 0 unless up'
    )
    assert metric_names(expression) == {"app_search_duration_seconds_bucket", "rq_workers", "up"}
