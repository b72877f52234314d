"""Writes of the student directory: the demo students and the CRUD job (its full cycle and
its start from a request)."""

import hashlib
import logging
import random
import time
from dataclasses import dataclass

import django_rq
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from faker import Faker
from faker.providers.internet.en_US import Provider as InternetProvider
from faker.providers.person.en_US import Provider as PersonProvider
from rq import Callback

from students.models import Student
from students.search import (
    ENGINE_ERRORS,
    index_students,
    refresh_index,
    remove_students,
    sync_index_when_missing,
)
from users.models import Task
from users.services import create_task, fail_task

logger = logging.getLogger(__name__)

MIN_COUNT = 1
MAX_COUNT = 100_000
DEFAULT_COUNT = 10_000

DEMO_STUDENT_COUNT = 200

# Share of the progress bar each phase fills, in order.
PHASE_WEIGHTS = {"create": 40, "verify": 15, "update": 30, "delete": 15}


def fake_students(count, *, seed=None):
    """`count` unsaved fake students, generated lazily."""
    faker = Faker()
    if seed is not None:
        faker.seed_instance(seed)
    for _ in range(count):
        first_name, last_name = faker.first_name()[:30], faker.last_name()[:30]
        yield Student(
            first_name=first_name,
            last_name=last_name,
            email=f"{first_name}.{last_name}{faker.random_int(1, 999)}@example.com".lower(),
            age=faker.random_int(17, 65),
        )


def load_demo_students(count=DEMO_STUDENT_COUNT):
    """Create the demo students once (only into an empty table) and make sure search has them.

    Returns how many students were created. The search index is created and filled when it
    is missing; an engine that does not answer is logged, never fatal to the run command.
    """
    created = []
    if not Student.objects.exists():
        created = Student.objects.bulk_create(fake_students(count, seed=2024))
    try:
        if not sync_index_when_missing() and created:
            index_students(created)
            refresh_index()
    except ENGINE_ERRORS as exc:
        logger.warning("search index not synced (%s); run manage.py search_index --rebuild", exc)
    return len(created)


class CrudJobError(Exception):
    """The cycle found something wrong (e.g. the read-back differs) and undid its generation."""


@dataclass
class Phase:
    name: str
    start: int
    weight: int

    def percent(self, done, total):
        return self.start + (self.weight * done // total if total else self.weight)


def _phases():
    start, phases = 0, {}
    for name, weight in PHASE_WEIGHTS.items():
        phases[name] = Phase(name, start, weight)
        start += weight
    return phases


class FakeStudents:
    """Faker's en_US names, drawn with their weights in bulk (one Faker call per student is
    ten times slower than the database work it feeds)."""

    first_names = list(PersonProvider.first_names)
    first_weights = list(PersonProvider.first_names.values())
    last_names = list(PersonProvider.last_names)
    last_weights = list(PersonProvider.last_names.values())
    domains = InternetProvider.free_email_domains

    def __init__(self, seed=None):
        self.random = random.Random(seed)  # noqa: S311 - fake data, not security

    def batch(self, *, generation, start, size):
        firsts = self.random.choices(self.first_names, self.first_weights, k=size)
        lasts = self.random.choices(self.last_names, self.last_weights, k=size)
        students = []
        for offset, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
            number = start + offset
            domain = self.domains[number % len(self.domains)]
            students.append(
                Student(
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}.{generation}.{number}@{domain}".lower(),
                    age=self.random.randint(17, 70),
                    generation=generation,
                )
            )
        return students


def _digest_rows(digest, rows):
    for first_name, last_name, email, age in rows:
        digest.update(f"{first_name}\t{last_name}\t{email}\t{age}\n".encode())


def _id_batches(queryset, batch_size):
    """Primary keys of queryset in ascending batches, by keyset pagination (constant memory)."""
    last_id = 0
    while True:
        ids = list(
            queryset.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last_id = ids[-1]


def run_crud_cycle(count, *, on_progress=None, batch_size=None, seed=None):
    """Replace the student directory with `count` fresh fake students.

    Phases: create the new generation, read it back and verify it, update every
    new student once, delete the previous generation. The search index follows
    each batch. A failure before the delete phase removes the new generation
    again (database and index) and leaves the previous one intact and searchable.
    Returns the result: counts and seconds of each phase.
    """
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise ValueError(f"count must be between {MIN_COUNT} and {MAX_COUNT}")
    batch_size = batch_size or settings.CRUD_JOB_BATCH_SIZE
    report = on_progress or (lambda progress, message: None)
    phases = _phases()
    timings = {}
    generation = (Student.objects.aggregate(top=Max("generation"))["top"] or 0) + 1
    new_students = Student.objects.filter(generation=generation)
    cycle_started = time.perf_counter()

    try:
        phase_started = time.perf_counter()
        fakes = FakeStudents(seed)
        written = hashlib.sha256()
        created = 0
        while created < count:
            batch = fakes.batch(
                generation=generation, start=created, size=min(batch_size, count - created)
            )
            with transaction.atomic():
                Student.objects.bulk_create(batch, batch_size=batch_size)
            index_students(batch)
            _digest_rows(written, ((s.first_name, s.last_name, s.email, s.age) for s in batch))
            created += len(batch)
            report(phases["create"].percent(created, count), f"Created {created} of {count}")
        timings["create"] = time.perf_counter() - phase_started

        phase_started = time.perf_counter()
        read_back = hashlib.sha256()
        verified = 0
        for ids in _id_batches(new_students, batch_size):
            rows = Student.objects.filter(id__in=ids).order_by("id")
            _digest_rows(read_back, rows.values_list("first_name", "last_name", "email", "age"))
            verified += len(ids)
            report(phases["verify"].percent(verified, count), f"Verified {verified} of {count}")
        if verified != count or read_back.digest() != written.digest():
            raise CrudJobError(
                f"Read-back check failed: {verified} of {count} students match what was written."
            )
        timings["verify"] = time.perf_counter() - phase_started

        phase_started = time.perf_counter()
        updated = 0
        for ids in _id_batches(new_students, batch_size):
            with transaction.atomic():
                # One set-based UPDATE per batch: every new student gets a year older.
                Student.objects.filter(id__in=ids).update(age=F("age") + 1)
            index_students(Student.objects.filter(id__in=ids).order_by("id"))
            updated += len(ids)
            report(phases["update"].percent(updated, count), f"Updated {updated} of {count}")
        timings["update"] = time.perf_counter() - phase_started
    except BaseException:
        _discard_generation(generation)
        raise

    phase_started = time.perf_counter()
    previous = Student.objects.filter(generation__lt=generation)
    with transaction.atomic():
        # The previous generation goes all at once or not at all.
        previous_ids = list(previous.order_by("id").values_list("id", flat=True))
        deleted = _delete_generations("generation < %s", generation)
    for start in range(0, len(previous_ids), batch_size):
        remove_students(previous_ids[start : start + batch_size])
        done = min(start + batch_size, len(previous_ids))
        report(phases["delete"].percent(done, len(previous_ids)), f"Deleted {done} old students")
    refresh_index()
    timings["delete"] = time.perf_counter() - phase_started

    total = time.perf_counter() - cycle_started
    return {
        "count": count,
        "generation": generation,
        "created": created,
        "verified": verified,
        "updated": updated,
        "deleted": deleted,
        "seconds": {name: round(seconds, 3) for name, seconds in timings.items()},
        "total_seconds": round(total, 3),
    }


def _delete_generations(condition, generation):
    """DELETE in one SQL statement, without signals.

    QuerySet.delete() would load every row to send the search autosync's per-row
    signals (one index request per student); the job removes documents in bulk itself.
    """
    table = connection.ops.quote_name(Student._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {condition}", [generation])  # noqa: S608
        return cursor.rowcount


def _discard_generation(generation):
    """Undo a half-done generation; the error that brought us here is the one to report."""
    try:
        with transaction.atomic():
            ids = list(Student.objects.filter(generation=generation).values_list("id", flat=True))
            _delete_generations("generation = %s", generation)
        remove_students(ids)
        refresh_index()
    except Exception:
        logger.exception("Could not fully discard the unfinished student generation")


def start_crud_job(*, owner, count):
    """Create the task and enqueue its RQ job once the task is committed.

    Raises TaskAlreadyActive when a CRUD job is already queued or running. When the
    queue cannot be reached the task is marked failed and returned as such.
    """
    with transaction.atomic():
        task = create_task(
            owner=owner, kind=Task.Kind.STUDENT_CRUD, message=f"Waiting for a worker ({count})"
        )

        def enqueue():
            try:
                # Already after the commit: django-rq must not defer it a second time.
                queue = django_rq.get_queue(settings.CRUD_JOB_QUEUE, commit_mode="auto")
                queue.enqueue(
                    "students.jobs.run_crud_job",
                    str(task.public_id),
                    count,
                    job_id=task.rq_job_id,
                    job_timeout=settings.CRUD_JOB_TIMEOUT,
                    on_failure=Callback("students.jobs.on_crud_job_failure"),
                    description=f"Student CRUD job of {count} for task {task.public_id}",
                )
            except redis.RedisError as error:
                logger.exception("Could not enqueue the CRUD job of task %s", task.public_id)
                fail_task(
                    task.public_id,
                    message="The job queue is unavailable; nothing was started. Try again later.",
                    error=repr(error),
                )

        transaction.on_commit(enqueue)
    task.refresh_from_db()
    return task
