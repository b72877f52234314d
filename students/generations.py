"""Generations of the student directory: the one in service, the one a CRUD job is writing,
and the clean-up of those that no job will finish.

`LiveGeneration` (one row) names the live generation; `Student.objects` reads only its
students, so a generation being written stays invisible to pages, counts and the database
search backend until `switch_to()` moves the pointer in the same transaction that deletes
every other generation (Elasticsearch's alias moves inside that transaction too, see
students.crud_cycle). Whatever stops a job, its rows are removed by whoever finds them
first: the job's own clean-up, its failure handler (`settle_failed_task`), the next job's
`begin_generation()` or the periodic maintenance (`remove_abandoned_generations`).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from students.models import LiveGeneration, Student
from users.tasks.selectors import task_is_active, task_is_running

logger = logging.getLogger(__name__)


class GenerationAbandoned(Exception):
    """The generation may not go into service: its task ended (failed by the maintenance,
    ended by staff) or the clean-up removed it."""


@dataclass(frozen=True)
class Directory:
    """What is in service: the live generation, its size, and whether the task asked about
    put it there."""

    generation: int
    students: int
    switched_by_task: bool


def begin_generation(*, task_id: UUID | str | None) -> int:
    """Number a new generation and record that it is being written (by `task_id`'s job).

    What abandoned jobs left is removed first: only the live generation stays.
    """
    with transaction.atomic():
        pointer = LiveGeneration.objects.locked(shared=False)
        top = Student.every_generation.aggregate(top=Max("generation"))["top"] or 0
        number = max(top, pointer.number, pointer.filling or 0) + 1
        removed = _delete_rows_except({pointer.number})
        if removed:
            logger.info("Removed %d students of abandoned generations", removed)
        pointer.filling = number
        pointer.filling_task = UUID(str(task_id)) if task_id is not None else None
        pointer.filling_started = timezone.now()
        pointer.save(update_fields=["filling", "filling_task", "filling_started"])
    return number


def switch_to(generation: int) -> int:
    """Put `generation` in service and delete every other one; return how many rows went.

    Call it inside the transaction that also switches search over, so that both happen
    or neither. Raises GenerationAbandoned when the generation is not the one being
    written any more, or when the task writing it is no longer running.
    """
    pointer = LiveGeneration.objects.locked(shared=False)
    if pointer.filling != generation:
        raise GenerationAbandoned(f"generation {generation} is not being written any more")
    if pointer.filling_task is not None and not task_is_running(pointer.filling_task):
        raise GenerationAbandoned(f"the task writing generation {generation} has ended")
    deleted = _delete_rows_except({generation})
    pointer.number = generation
    pointer.task = pointer.filling_task
    pointer.switched = timezone.now()
    pointer.filling = pointer.filling_task = pointer.filling_started = None
    pointer.save()
    return deleted


def discard_generation(generation: int) -> int:
    """Delete the rows of a generation that will not go into service; return how many.
    The live generation is never touched."""
    with transaction.atomic():
        pointer = LiveGeneration.objects.locked(shared=False)
        if generation == pointer.number:
            return 0
        deleted = _delete_rows_of(generation)
        if pointer.filling == generation:
            _forget_filling(pointer)
    return deleted


def settle_failed_task(task_id: UUID | str) -> Directory:
    """For a task that is failing: remove the generation its job was writing, and say what
    is in service. Call it inside the transaction that fails the task: the pointer stays
    locked until then, so a switch cannot slip in between."""
    task_id = UUID(str(task_id))
    pointer = LiveGeneration.objects.locked(shared=False)
    if pointer.filling is not None and pointer.filling_task == task_id:
        _delete_rows_of(pointer.filling)
        _forget_filling(pointer)
    return Directory(
        generation=pointer.number,
        students=Student.objects.count(),
        switched_by_task=pointer.task == task_id,
    )


def remove_abandoned_generations() -> int:
    """Delete the rows of every generation that is neither live nor being written by a job
    that is still queued or running (the periodic maintenance); return how many."""
    with transaction.atomic():
        pointer = LiveGeneration.objects.locked(shared=False)
        keep = {pointer.number}
        if pointer.filling is not None:
            if _still_filling(pointer):
                keep.add(pointer.filling)
            else:
                _forget_filling(pointer)
        deleted = _delete_rows_except(keep)
    if deleted:
        logger.info("Removed %d students of abandoned generations", deleted)
    return deleted


def _still_filling(pointer: LiveGeneration) -> bool:
    if pointer.filling_task is not None:
        return task_is_active(pointer.filling_task)
    # A cycle run without a task (a script, a benchmark): trust it for its time limit.
    limit = timedelta(seconds=settings.CRUD_JOB_TIMEOUT + settings.TASK_TIMEOUT_GRACE_SECONDS)
    started = pointer.filling_started
    return started is not None and timezone.now() - started < limit


def _forget_filling(pointer: LiveGeneration) -> None:
    pointer.filling = pointer.filling_task = pointer.filling_started = None
    pointer.save(update_fields=["filling", "filling_task", "filling_started"])


def _delete_rows_of(generation: int) -> int:
    return _delete("generation = %s", [generation])


def _delete_rows_except(generations: set[int]) -> int:
    placeholders = ", ".join(["%s"] * len(generations))
    return _delete(f"generation NOT IN ({placeholders})", sorted(generations))


def _delete(condition: str, params: list[int]) -> int:
    """DELETE in one SQL statement, without signals.

    QuerySet.delete() would load every row to send per-row signals (one search index
    change each); these rows were never in the index in service.
    """
    table = connection.ops.quote_name(Student._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {condition}", params)  # noqa: S608
        deleted: int = cursor.rowcount
        return deleted
