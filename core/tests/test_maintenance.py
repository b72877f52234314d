"""The periodic maintenance: registered steps, and a chain of runs through RQ's scheduler
that the worker re-seeds whenever it breaks."""

from datetime import timedelta

import django_rq
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rq import SimpleWorker
from rq.job import Job, JobStatus

from core import maintenance
from core.maintenance import (
    NEXT_RUN_KEY,
    ensure_maintenance_scheduled,
    register_step,
    run_maintenance,
    schedule_maintenance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return django_rq.get_queue("default", commit_mode="auto")


@pytest.fixture
def steps(monkeypatch):
    """A registry of the test's own, in place of the apps' steps."""
    registered = {}
    monkeypatch.setattr(maintenance, "_steps", registered)
    return registered


def test_each_app_registers_its_steps_in_the_order_of_installed_apps():
    assert list(maintenance._steps) == [
        "stalled tasks",
        "waiting lines",
        "abandoned student generations",
        "search outbox",
        "search reconciliation",
    ]


def test_a_name_is_registered_once(steps):
    def step():
        return 1

    register_step("one", step)
    register_step("one", step)
    with pytest.raises(ImproperlyConfigured, match="'one'"):
        register_step("one", lambda: 2)


def test_a_failing_step_is_logged_and_the_others_still_run(steps, caplog):
    ran = []
    register_step("first", lambda: ran.append("first") or 1)
    register_step("broken", lambda: 1 / 0)
    register_step("last", lambda: ran.append("last") or 3)
    outcomes = run_maintenance()
    assert ran == ["first", "last"]
    assert outcomes["last"]["outcome"] == 3
    error_id = outcomes["broken"]["outcome"]["error_id"]
    assert f"Maintenance step 'broken' failed [error id {error_id}]" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_the_worker_seeds_the_chain_once(queue, steps):
    first = ensure_maintenance_scheduled(queue)
    assert first is not None and first.get_status() == JobStatus.QUEUED
    assert ensure_maintenance_scheduled(queue) is None  # pending: no second chain
    assert queue.connection.get(NEXT_RUN_KEY).decode() == first.id


def test_each_run_schedules_the_next_through_the_scheduler(queue, steps, settings):
    settings.MAINTENANCE_INTERVAL_SECONDS = 30
    first = ensure_maintenance_scheduled(queue)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert Job.fetch(first.id, connection=queue.connection).get_status() == JobStatus.FINISHED
    next_id = queue.connection.get(NEXT_RUN_KEY).decode()
    assert next_id != first.id
    assert next_id in queue.scheduled_job_registry.get_job_ids()
    assert ensure_maintenance_scheduled(queue) is None  # scheduled, not overdue


def test_a_broken_chain_is_seeded_again(queue, steps):
    lost = ensure_maintenance_scheduled(queue)
    lost.delete()  # a Redis flush, a "delete" in the dashboard, a killed run
    again = ensure_maintenance_scheduled(queue)
    assert again is not None and again.id != lost.id


def test_a_run_that_no_scheduler_enqueues_is_replaced(queue, steps, settings):
    settings.MAINTENANCE_INTERVAL_SECONDS = 1
    stuck = schedule_maintenance(queue, delay=1)
    due_long_ago = (timezone.now() - timedelta(seconds=10)).timestamp()
    queue.connection.zadd(queue.scheduled_job_registry.key, {stuck.id: due_long_ago})
    replacement = ensure_maintenance_scheduled(queue)
    assert replacement is not None and replacement.get_status() == JobStatus.QUEUED


def test_a_stray_run_does_not_start_a_second_chain(queue, steps):
    stray = schedule_maintenance(queue, delay=0)
    current = schedule_maintenance(queue, delay=0)  # the one Redis names now
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    successors = queue.scheduled_job_registry.get_job_ids()
    assert len(successors) == 1  # only `current` scheduled one
    assert stray.id not in successors and current.id not in successors
