"""The search outbox: student changes on their way to the index, never lost on the way.

Every save and delete of a student that the index must hear of (on Elasticsearch, outside
`autosync_suspended()`) writes a `SearchOutbox` row in the transaction of the change itself
(students.signals), so a committed change is always on record. Once the transaction commits,
a worker is asked to drain the outbox (`request_drain`, one job however many changes); the
periodic maintenance drains it too, which also catches what a request could not ask for
(Redis down). `drain_outbox` puts each student in the index as the database has it then (or
removes its document when it is gone or not in the live generation), so entries can be
applied in any order and more than once. An engine that does not answer leaves the entries
for later, each retried after a delay that doubles up to SEARCH_OUTBOX_RETRY_MAX_SECONDS:
the backlog drains by itself once the engine answers again.

Each batch is applied inside a transaction that shares the live generation's lock
(students.generations), so a CRUD job cannot switch generations between reading the students
and writing them to the index behind the alias; on PostgreSQL the batch's rows are locked
(SKIP LOCKED), so two workers never apply the same student at once.
"""

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from redis.exceptions import RedisError

from students.models import LiveGeneration, SearchOutbox, Student
from students.search.autosync import autosync_enabled
from students.search.backends import get_search_backend
from students.search.backends.base import SearchBackend
from students.search.backends.elasticsearch.client import ENGINE_ERRORS

logger = logging.getLogger(__name__)

DRAIN_JOB = "students.search.outbox.drain_outbox"
# Set while a drain job is queued: changes in between do not queue another.
DRAIN_PENDING_KEY = "app:search-outbox:drain-queued"
DRAIN_PENDING_SECONDS = 60
DRAIN_BATCH_SIZE = 500
RETRY_FIRST_SECONDS = 1


@dataclass
class DrainReport:
    applied: int = 0
    retrying: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"applied": self.applied, "retrying": self.retrying}


def record_change(student_id: int) -> None:
    """Put the student on the outbox (inside the change's transaction) when the backend in
    use must hear of each change; a worker drains it once the transaction commits."""
    if not autosync_enabled():
        return
    queue_students([student_id])
    transaction.on_commit(request_drain)


def queue_students(student_ids: Iterable[int]) -> int:
    """Put these students on the outbox (due now); return how many."""
    entries = [SearchOutbox(student_id=pk) for pk in student_ids]
    SearchOutbox.objects.bulk_create(
        entries,
        update_conflicts=True,
        unique_fields=["student_id"],
        update_fields=["attempts", "next_attempt", "last_error"],
    )
    return len(entries)


def request_drain() -> None:
    """Queue a drain job unless one is queued already. A Redis that does not answer is
    logged: the entries are safe in the database and the maintenance drains them."""
    try:
        connection = django_rq.get_connection(settings.CRUD_JOB_QUEUE)
        if connection.set(DRAIN_PENDING_KEY, "1", nx=True, ex=DRAIN_PENDING_SECONDS):
            django_rq.get_queue(settings.CRUD_JOB_QUEUE, commit_mode="auto").enqueue(
                DRAIN_JOB,
                result_ttl=0,
                failure_ttl=86400,
                description="Apply the search outbox",
            )
    except RedisError as exc:
        logger.warning("Could not queue the search outbox drain (%s); the maintenance will", exc)


def drain_outbox(*, batch_size: int = DRAIN_BATCH_SIZE) -> dict[str, int]:
    """Apply every entry that is due, batch by batch; return how many were applied and how
    many wait for a retry. Stops at the first batch the engine does not take."""
    with contextlib.suppress(RedisError):  # a drain runs anyway; the next change queues its own
        django_rq.get_connection(settings.CRUD_JOB_QUEUE).delete(DRAIN_PENDING_KEY)
    backend = get_search_backend()
    report = DrainReport()
    while True:
        batch = _apply_batch(backend, batch_size)
        if batch is None:
            break
        report.applied += batch.applied
        report.retrying += batch.retrying
        if batch.retrying:
            break
    return report.as_dict()


def outbox_backlog() -> dict[str, Any]:
    """What is waiting for the index: for the health detail."""
    summary = SearchOutbox.objects.aggregate(oldest=Min("created"))
    oldest = summary["oldest"]
    return {
        "pending": SearchOutbox.objects.count(),
        "retrying": SearchOutbox.objects.filter(attempts__gt=0).count(),
        "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else None,
    }


def _apply_batch(backend: SearchBackend, batch_size: int) -> DrainReport | None:
    now = timezone.now()
    with transaction.atomic():
        LiveGeneration.objects.locked(shared=True)
        entries = list(
            SearchOutbox.objects.select_for_update(skip_locked=True)
            .filter(next_attempt__lte=now)
            .order_by("next_attempt", "id")[:batch_size]
        )
        if not entries:
            return None
        wanted = {entry.student_id for entry in entries}
        students = list(Student.objects.filter(pk__in=wanted))
        try:
            refused = backend.apply_changes(students, wanted - {s.pk for s in students})
        except ENGINE_ERRORS as exc:
            logger.warning(
                "search outbox: the engine did not take %d changes: %s", len(wanted), exc
            )
            refused = dict.fromkeys(wanted, f"The search engine did not answer: {exc}")
        done = [entry.pk for entry in entries if entry.student_id not in refused]
        SearchOutbox.objects.filter(pk__in=done).delete()
        retry = [entry for entry in entries if entry.student_id in refused]
        for entry in retry:
            entry.attempts += 1
            entry.next_attempt = now + timedelta(seconds=_backoff(entry.attempts))
            entry.last_error = refused[entry.student_id][:255]
        SearchOutbox.objects.bulk_update(retry, ["attempts", "next_attempt", "last_error"])
    return DrainReport(applied=len(done), retrying=len(retry))


def _backoff(attempts: int) -> float:
    """Seconds before the next try: 1, 2, 4... up to SEARCH_OUTBOX_RETRY_MAX_SECONDS."""
    return float(
        min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), settings.SEARCH_OUTBOX_RETRY_MAX_SECONDS)
    )
