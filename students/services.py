"""Writes of the student directory: the demo students and the CRUD job (its full cycle and
its start from a request)."""

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor

import django_rq
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from faker.providers.internet.en_US import Provider as InternetProvider
from faker.providers.person.en_US import Provider as PersonProvider
from psycopg.pq import TransactionStatus
from rq import Callback
from rq.timeouts import JobTimeoutException

from students.models import Student
from students.search import (
    ENGINE_ERRORS,
    generation_index,
    index_students,
    refresh_index,
    sync_index_when_missing,
)
from users.models import Task
from users.services import create_task, fail_task

logger = logging.getLogger(__name__)

MIN_COUNT = 1
MAX_COUNT = 100_000
DEFAULT_COUNT = 10_000

DEMO_STUDENT_COUNT = 200

# Share of the progress bar filled by the batches (create, verify, update, index each);
# deleting the previous generation fills the rest.
BATCHES_SHARE = 85
STUDENT_FIELDS = ("first_name", "last_name", "email", "age")


class FakeStudents:
    """Fake students from Faker's en_US names, drawn with Faker's weights in bulk (one
    Faker call per student costs ten times the database work it feeds). The demo data and
    the CRUD job both use it; the same seed gives the same students."""

    first_names = list(PersonProvider.first_names)
    first_weights = list(PersonProvider.first_names.values())
    last_names = list(PersonProvider.last_names)
    last_weights = list(PersonProvider.last_names.values())
    domains = InternetProvider.free_email_domains

    def __init__(self, seed=None):
        self.random = random.Random(seed)  # noqa: S311 - fake data, not security

    def batch(self, size, *, generation=0, start=0):
        """`size` unsaved students of this generation; `start` numbers them on from a
        previous batch so that every email of a generation is unique."""
        firsts = self.random.choices(self.first_names, self.first_weights, k=size)
        lasts = self.random.choices(self.last_names, self.last_weights, k=size)
        ages = self.random.choices(range(17, 71), k=size)
        students = []
        for number, first, last, age in zip(
            range(start, start + size), firsts, lasts, ages, strict=True
        ):
            domain = self.domains[number % len(self.domains)]
            students.append(
                Student(
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}.{generation}.{number}@{domain}".lower(),
                    age=age,
                    generation=generation,
                )
            )
        return students


def load_demo_students(count=DEMO_STUDENT_COUNT):
    """Create the demo students once (only into an empty table) and make sure search has them.

    Returns how many students were created. The search index is created and filled when it
    is missing; an engine that does not answer is logged, never fatal to the run command.
    """
    created = []
    if not Student.objects.exists():
        created = Student.objects.bulk_create(FakeStudents(seed=2024).batch(count))
    try:
        if not sync_index_when_missing() and created:
            index_students(created)
            refresh_index()
    except ENGINE_ERRORS as exc:
        logger.warning("search index not synced (%s); run manage.py search_index --rebuild", exc)
    return len(created)


class CrudJobError(Exception):
    """The cycle found something wrong (e.g. the read-back differs) and undid its generation."""


def run_crud_cycle(count, *, on_progress=None, batch_size=None, seed=None, deadline=None):
    """Replace the student directory with `count` fresh fake students.

    Each batch of the new generation goes through the phases in turn: create it
    (bulk_create), read it back and verify it against what was written, update
    every student of it once (one set-based UPDATE), and index it for search (once,
    with its final values, in a thread beside the next batch's database work) into a
    fresh search index of its own (`generation_index()`). Then one transaction deletes
    the previous generation from the database in one statement and switches the search
    alias to the new index; the previous index is dropped whole. A failure before the
    commit removes the new generation again (database rows and index) and leaves the
    previous one intact and searchable.

    Students that others create or edit while the job runs belong to the previous
    generation: the job replaces them with the rest of it.
    `deadline` (a time.monotonic() value) stops the cycle between batches with
    JobTimeoutException, as a job timeout does.
    Returns the result: counts and seconds of each phase.
    """
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise ValueError(f"count must be between {MIN_COUNT} and {MAX_COUNT}")
    batch_size = batch_size or settings.CRUD_JOB_BATCH_SIZE
    report = on_progress or (lambda progress, message: None)
    seconds = dict.fromkeys(("create", "verify", "update", "index", "delete"), 0.0)
    generation = (Student.objects.aggregate(top=Max("generation"))["top"] or 0) + 1
    cycle_started = time.perf_counter()
    fakes = FakeStudents(seed)
    done = indexed = 0
    # Indexing a batch (Python work for the document, then Elasticsearch's) runs in a
    # thread beside the database work of the next batch; at most one batch is in flight.
    indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crud-index")
    in_flight = None

    def wait_for_index():
        nonlocal in_flight, indexed
        if in_flight is not None:
            size, spent = in_flight.result()
            seconds["index"] += spent
            indexed += size
            in_flight = None
            report(
                BATCHES_SHARE * indexed // count,
                f"Created, verified, updated, indexed {indexed} of {count}",
            )

    with generation_index() as target:
        try:
            while done < count:
                if deadline is not None and time.monotonic() > deadline:
                    raise JobTimeoutException("the CRUD cycle ran past its deadline")
                clock = time.perf_counter()
                batch = fakes.batch(
                    min(batch_size, count - done), generation=generation, start=done
                )
                with transaction.atomic():
                    Student.objects.bulk_create(batch)
                ids = [student.id for student in batch]
                clock = _add_time(seconds, "create", clock)

                stored = Student.objects.filter(id__in=ids).order_by("id")
                if list(stored.values_list(*STUDENT_FIELDS)) != [
                    tuple(getattr(student, field) for field in STUDENT_FIELDS) for student in batch
                ]:
                    raise CrudJobError(
                        f"Read-back check failed: students {ids[0]}..{ids[-1]} differ from what "
                        "was written."
                    )
                clock = _add_time(seconds, "verify", clock)

                with transaction.atomic():
                    # Every new student gets a year older.
                    Student.objects.filter(id__in=ids).update(age=F("age") + 1)
                for student in batch:
                    # The same in memory: the rows were just verified equal to `batch`.
                    student.age += 1
                _add_time(seconds, "update", clock)

                wait_for_index()
                done += len(batch)
                in_flight = indexer.submit(_timed_index, batch, target, last=done == count)

            with transaction.atomic():
                # The previous generation goes all at once or not at all, in the database
                # and in search together: a failed commit moves the alias back. Its SQL
                # runs while the last batch is indexed.
                clock = time.perf_counter()
                deleted = _delete_generations("generation < %s", generation)
                _add_time(seconds, "delete", clock)
                wait_for_index()
                clock = time.perf_counter()
                target.switch()
        except BaseException:
            indexer.shutdown(wait=True, cancel_futures=True)
            drop_interrupted_connection()
            _discard_generation(generation)
            raise
        finally:
            indexer.shutdown(wait=True)
    _add_time(seconds, "delete", clock)  # with dropping the previous index
    report(100, f"Deleted the {deleted} previous students")

    return {
        "count": count,
        "generation": generation,
        "created": done,
        "verified": done,
        "updated": done,
        "deleted": deleted,
        "seconds": {phase: round(value, 3) for phase, value in seconds.items()},
        "total_seconds": round(time.perf_counter() - cycle_started, 3),
    }


def _timed_index(students, target, *, last):
    """Index a batch into the generation's index; after the last one make that index
    ready to serve."""
    started = time.perf_counter()
    index_students(students, index=target.name)
    if last:
        target.finish_filling()
    return len(students), time.perf_counter() - started


def _add_time(seconds, phase, since):
    now = time.perf_counter()
    seconds[phase] += now - since
    return now


def _delete_generations(condition, generation):
    """DELETE in one SQL statement, without signals.

    QuerySet.delete() would load every row to send the search autosync's per-row
    signals (one index request per student); the job drops its search index whole.
    """
    table = connection.ops.quote_name(Student._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {condition}", [generation])  # noqa: S608
        return cursor.rowcount


def drop_interrupted_connection():
    """Close the database connection when it is stuck in the middle of a query.

    A job timeout is a signal: it can stop the job while a PostgreSQL query is in flight,
    and that connection then refuses every other query ("another command is already in
    progress"). Django opens a fresh connection for the next query.
    """
    raw = connection.connection
    if (
        connection.vendor == "postgresql"
        and raw is not None
        and raw.info.transaction_status == TransactionStatus.ACTIVE
    ):
        connection.close()


def _discard_generation(generation):
    """Undo a half-done generation in the database (`generation_index()` drops its index);
    the error that brought us here is the one to report."""
    try:
        with transaction.atomic():
            _delete_generations("generation = %s", generation)
    except Exception:
        logger.exception("Could not discard the unfinished student generation")


def start_crud_job(*, owner, count):
    """Create the task and enqueue its RQ job once the task is committed.

    Raises TaskAlreadyActive when a CRUD job is already queued or running. When the
    queue cannot be reached the task is marked failed and returned as such.
    """
    with transaction.atomic():
        task = create_task(
            owner=owner,
            kind=Task.Kind.STUDENT_CRUD,
            message=f"Waiting for a worker to replace the students with {count} new ones",
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
