"""The CRUD job's cycle: replace the student directory with a new generation of fake
students, batch by batch, and switch search over to it at once (see `run_crud_cycle`)."""

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from psycopg.pq import TransactionStatus
from rq.timeouts import JobTimeoutException

from students.fakes import FakeStudents
from students.generations import begin_generation, discard_generation, switch_to
from students.models import Student
from students.search import generation_index, index_students
from students.search.backends.base import GenerationTarget

logger = logging.getLogger(__name__)

MIN_COUNT = 1
MAX_COUNT = 100_000
DEFAULT_COUNT = 10_000

# Each phase's seconds go into the result, in this order. Indexing runs in a thread beside
# the others, which run one after another.
PHASES = ("create", "verify", "update", "index", "delete")
SERIAL_PHASES = ("create", "verify", "update", "delete")

# Share of the progress bar filled by the batches (create, verify, update, index each);
# deleting the previous generation fills the rest.
BATCHES_SHARE = 85
STUDENT_FIELDS = ("first_name", "last_name", "email", "age")

# Called with the percentage done and a sentence saying what is done.
ProgressReport = Callable[[int, str], None]


class CrudJobError(Exception):
    """The cycle found something wrong (e.g. the read-back differs) and undid its generation."""


def run_crud_cycle(
    count: int,
    *,
    on_progress: ProgressReport | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
    deadline: float | None = None,
    task_id: UUID | str | None = None,
) -> dict[str, Any]:
    """Replace the student directory with `count` fresh fake students.

    Each batch of the new generation goes through the phases in turn: create it
    (bulk_create), read it back and verify it against what was written, update
    every student of it once (one set-based UPDATE), and index it for search (once,
    with its final values, in a thread beside the next batch's database work) into a
    fresh search index of its own (`generation_index()`). Until the switch, the new
    generation is invisible: pages, counts and database search read the live one only
    (students.generations). Then one transaction moves the live generation to the new one,
    deletes every other generation from the database in one statement and switches the
    search alias to the new index; the previous index is dropped whole. A failure before
    the commit removes the new generation again (database rows and index) and leaves the
    previous one intact and searchable.

    Students that others create or edit while the job runs belong to the previous
    generation: the job replaces them with the rest of it (a student created while the
    switch commits waits for it and joins the new generation).
    `deadline` (a time.monotonic() value) stops the cycle between batches with
    JobTimeoutException, as a job timeout does. `task_id` is the task running the cycle:
    its generation goes into service only while that task is running.
    `on_progress` may raise to stop the cycle (its generation is then discarded).
    Returns the result: counts and seconds of each phase.
    """
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise ValueError(f"count must be between {MIN_COUNT} and {MAX_COUNT}")
    batch_size = batch_size or settings.CRUD_JOB_BATCH_SIZE
    report = on_progress or (lambda progress, message: None)
    timer = PhaseTimer()
    generation = begin_generation(task_id=task_id)
    fakes = FakeStudents(seed)
    done = 0
    with generation_index() as target:
        indexer = BatchIndexer(target, count=count, timer=timer, report=report)
        try:
            while done < count:
                if deadline is not None and time.monotonic() > deadline:
                    raise JobTimeoutException("the CRUD cycle ran past its deadline")
                timer.start()
                batch = fakes.batch(
                    min(batch_size, count - done), generation=generation, start=done
                )
                _write_batch(batch, timer)
                indexer.wait()
                done += len(batch)
                indexer.submit(batch, last=done == count)
            deleted = _go_live(generation, target, indexer, timer)
        except BaseException:
            indexer.stop(cancel=True)
            drop_interrupted_connection()
            _discard_generation(generation)
            raise
        finally:
            indexer.stop()
    timer.lap("delete")  # with dropping the previous index
    report(100, f"Deleted the {deleted} previous students")

    return {
        "count": count,
        "generation": generation,
        "created": done,
        "verified": done,
        "updated": done,
        "deleted": deleted,
        "seconds": timer.rounded(),
        "total_seconds": timer.total(),
    }


class PhaseTimer:
    """The seconds of each phase of one cycle, measured back to back: `lap(phase)` gives the
    phase the time since the last `start()` or `lap()`; `add()` counts time measured elsewhere
    (the indexing thread's)."""

    def __init__(self) -> None:
        self.started = self.since = time.perf_counter()
        self.seconds = dict.fromkeys(PHASES, 0.0)

    def start(self) -> None:
        self.since = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] += now - self.since
        self.since = now

    def add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] += seconds

    def rounded(self) -> dict[str, float]:
        return {phase: round(value, 3) for phase, value in self.seconds.items()}

    def total(self) -> float:
        """Seconds since the cycle started, rounded as the phases are."""
        return round(time.perf_counter() - self.started, 3)


class BatchIndexer:
    """Indexes each batch (Python work for the document, then Elasticsearch's) in a thread
    beside the database work of the next batch, at most one batch in flight, into the new
    generation's index; reports progress as each batch is indexed."""

    def __init__(
        self, target: GenerationTarget, *, count: int, timer: PhaseTimer, report: ProgressReport
    ) -> None:
        self.target = target
        self.count = count
        self.timer = timer
        self.report = report
        self.indexed = 0
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crud-index")
        self.in_flight: Future[tuple[int, float]] | None = None

    def submit(self, batch: list[Student], *, last: bool) -> None:
        self.in_flight = self.pool.submit(_timed_index, batch, self.target, last=last)

    def wait(self) -> None:
        """Wait for the batch in flight, if any, and report it."""
        if self.in_flight is None:
            return
        size, spent = self.in_flight.result()
        self.in_flight = None
        self.timer.add("index", spent)
        self.indexed += size
        self.report(
            BATCHES_SHARE * self.indexed // self.count,
            f"Created, verified, updated, indexed {self.indexed} of {self.count}",
        )

    def stop(self, *, cancel: bool = False) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


def _write_batch(batch: list[Student], timer: PhaseTimer) -> None:
    """A batch's database phases: create it, read it back and verify it, update it."""
    with transaction.atomic():
        Student.every_generation.bulk_create(batch)
    ids = [student.id for student in batch]
    timer.lap("create")

    stored = Student.every_generation.filter(id__in=ids).order_by("id")
    if list(stored.values_list(*STUDENT_FIELDS)) != [
        tuple(getattr(student, field) for field in STUDENT_FIELDS) for student in batch
    ]:
        raise CrudJobError(
            f"Read-back check failed: students {ids[0]}..{ids[-1]} differ from what was written."
        )
    timer.lap("verify")

    with transaction.atomic():
        # Every new student gets a year older.
        Student.every_generation.filter(id__in=ids).update(age=F("age") + 1)
    for student in batch:
        # The same in memory: the rows were just verified equal to `batch`.
        student.age += 1
    timer.lap("update")


def _go_live(
    generation: int, target: GenerationTarget, indexer: BatchIndexer, timer: PhaseTimer
) -> int:
    """Put the generation in service and delete the previous one; return how many rows went.
    The previous generation goes all at once or not at all, in the database and in search
    together: a failed commit moves the alias back. Its SQL runs while the last batch is
    indexed. The timer's last start is the alias switch: the caller's last lap counts it,
    the commit and dropping the previous index as deleting."""
    with transaction.atomic():
        timer.start()
        deleted = switch_to(generation)
        timer.lap("delete")
        indexer.wait()
        timer.start()
        target.switch()
    return deleted


def _timed_index(
    students: list[Student], target: GenerationTarget, *, last: bool
) -> tuple[int, float]:
    """Index a batch into the generation's index; after the last one make that index
    ready to serve."""
    started = time.perf_counter()
    index_students(students, index=target.name)
    if last:
        target.finish_filling()
    return len(students), time.perf_counter() - started


def drop_interrupted_connection() -> None:
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


def _discard_generation(generation: int) -> None:
    """Undo a half-done generation in the database (`generation_index()` drops its index);
    the error that brought us here is the one to report."""
    try:
        discard_generation(generation)
    except Exception:
        logger.exception("Could not discard the unfinished student generation %s", generation)
