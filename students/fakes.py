"""Fake students for the CRUD job, the demo data, tests and benchmarks."""

import random

from faker.providers.internet.en_US import Provider as InternetProvider
from faker.providers.person.en_US import Provider as PersonProvider

from students.models import Student


class FakeStudents:
    """Fake students from Faker's en_US names, drawn with Faker's weights in bulk (one
    Faker call per student costs ten times the database work it feeds). The demo data and
    the CRUD job both use it; the same seed gives the same students."""

    first_names = list(PersonProvider.first_names)
    first_weights = list(PersonProvider.first_names.values())
    last_names = list(PersonProvider.last_names)
    last_weights = list(PersonProvider.last_names.values())
    domains = tuple(InternetProvider.free_email_domains)

    def __init__(self, seed: int | None = None) -> None:
        self.random = random.Random(seed)  # noqa: S311 - fake data, not security

    def batch(self, size: int, *, generation: int = 0, start: int = 0) -> list[Student]:
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
