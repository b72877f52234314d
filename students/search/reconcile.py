"""The reconciliation: compare the search index with the database and repair what drifted.

The outbox (students.search.outbox) keeps the index in step change by change; this catches
whatever still drifts: writes made while autosync was suspended, an index restored from an
old snapshot, documents edited by hand. Ids are cut in ranges of RANGE_SIZE; for each range
the database and the index give the number of students and the sum of their checksums
(`Student.index_checksum`, stored in every document). Ranges that differ are compared id
by id, and every student that differs (missing, extra, or with other values) goes on the
outbox, which puts it right. The periodic maintenance runs it every
SEARCH_RECONCILE_INTERVAL_SECONDS; staff see the last one in the health detail.
"""

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from students.models import SearchReconciliation, Student, document_checksum
from students.search.backends import get_search_backend
from students.search.backends.base import SearchBackend
from students.search.backends.elasticsearch.client import ENGINE_ERRORS
from students.search.outbox import drain_outbox, queue_students

logger = logging.getLogger(__name__)

RANGE_SIZE = 1000
STUDENT_VALUES = ("pk", "first_name", "last_name", "email", "age")


def reconcile_index() -> SearchReconciliation:
    """Compare the index with the live students, queue every student that drifted and
    drain the outbox; record and return the outcome."""
    record = SearchReconciliation(started=timezone.now())
    backend = get_search_backend()
    if not backend.syncs_each_write:
        record.ok = True
        record.detail = "Search runs on the database, whose index follows every write."
    else:
        try:
            _compare(backend, record)
        except ENGINE_ERRORS as exc:
            record.ok = False
            record.detail = f"The search engine did not answer: {exc}"[:255]
    record.finished = timezone.now()
    outcome = {field.name: getattr(record, field.name) for field in record._meta.concrete_fields}
    record, _ = SearchReconciliation.objects.update_or_create(
        pk=outcome.pop("id"), defaults=outcome
    )
    if record.students_requeued:
        logger.warning("search reconciliation: %s", record.detail)
    return record


def _compare(backend: SearchBackend, record: SearchReconciliation) -> None:
    database = _database_ranges()
    index = backend.range_checksums(RANGE_SIZE)
    ranges = database.keys() | index.keys()
    differing = sorted(number for number in ranges if database.get(number) != index.get(number))
    drifted: set[int] = set()
    for number in differing:
        low, high = number * RANGE_SIZE, (number + 1) * RANGE_SIZE
        in_range = Student.objects.filter(pk__gte=low, pk__lt=high)
        stored = {
            values[0]: document_checksum(*values)
            for values in in_range.values_list(*STUDENT_VALUES)
        }
        indexed = backend.checksums_between(low, high)
        drifted.update(
            pk
            for pk in stored.keys() | indexed.keys()
            if pk not in stored or pk not in indexed or stored[pk] != indexed[pk]
        )
    queue_students(sorted(drifted))
    record.database_count = sum(count for count, _ in database.values())
    record.index_count = sum(count for count, _ in index.values())
    record.ranges_checked = len(ranges)
    record.ranges_repaired = len(differing)
    record.students_requeued = len(drifted)
    if drifted:
        drained = drain_outbox()
        record.ok = drained["retrying"] == 0
        record.detail = f"{len(drifted)} students had drifted; {drained['applied']} repaired."
    else:
        record.ok = True
        record.detail = "The index matches the database."


def reconcile_when_due() -> dict[str, Any] | None:
    """Reconcile when the last run is older than SEARCH_RECONCILE_INTERVAL_SECONDS (the
    maintenance step); return the outcome, or None when it was not due."""
    last = SearchReconciliation.objects.filter(finished__isnull=False).first()
    interval = timedelta(seconds=settings.SEARCH_RECONCILE_INTERVAL_SECONDS)
    if last is not None and last.finished and timezone.now() - last.finished < interval:
        return None
    record = reconcile_index()
    return {"ok": record.ok, "requeued": record.students_requeued}


def last_reconciliation() -> dict[str, Any] | None:
    """The last reconciliation, for the health detail."""
    record = SearchReconciliation.objects.filter(finished__isnull=False).first()
    if record is None or record.finished is None:
        return None
    return {
        "finished": record.finished.isoformat(),
        "ok": record.ok,
        "database_count": record.database_count,
        "index_count": record.index_count,
        "ranges_repaired": record.ranges_repaired,
        "students_requeued": record.students_requeued,
        "detail": record.detail,
    }


def _database_ranges() -> dict[int, tuple[int, int]]:
    """{id // RANGE_SIZE: (students, sum of their checksums)} of the live students."""
    counts: dict[int, int] = defaultdict(int)
    sums: dict[int, int] = defaultdict(int)
    rows = Student.objects.order_by("pk").values_list(*STUDENT_VALUES)
    for values in rows.iterator(chunk_size=2000):
        number = values[0] // RANGE_SIZE
        counts[number] += 1
        sums[number] += document_checksum(*values)
    return {number: (counts[number], sums[number]) for number in counts}
