"""The demo students that `make run` loads."""

import logging

from students.fakes import FakeStudents
from students.models import Student
from students.search import ENGINE_ERRORS, index_students, refresh_index, sync_index_when_missing

logger = logging.getLogger(__name__)

DEMO_STUDENT_COUNT = 200


def load_demo_students(count: int = DEMO_STUDENT_COUNT) -> int:
    """Create the demo students once (only into an empty table) and make sure search has them.

    Returns how many students were created. The search index is created and filled when it
    is missing; an engine that does not answer is logged, never fatal to the run command.
    """
    created: list[Student] = []
    if not Student.objects.exists():
        created = Student.objects.bulk_create(FakeStudents(seed=2024).batch(count))
    try:
        if not sync_index_when_missing() and created:
            index_students(created)
            refresh_index()
    except ENGINE_ERRORS as exc:
        logger.warning("search index not synced (%s); run manage.py search_index --rebuild", exc)
    return len(created)
