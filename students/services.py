"""Writes of the student directory: the demo students."""

import logging

from faker import Faker

from students.models import Student
from students.search import ENGINE_ERRORS, index_students, refresh_index, sync_index_when_missing

logger = logging.getLogger(__name__)

DEMO_STUDENT_COUNT = 200


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
