from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from students.text import search_tokens

# What search matches; `search_terms` holds them folded.
SEARCHED_FIELDS = frozenset({"first_name", "last_name", "email"})
SEARCH_TERMS_CHUNK = 1000


class StudentQuerySet(models.QuerySet["Student"]):
    """Keeps `search_terms` in step through the ORM's bulk writes, which skip save()."""

    def bulk_create(self, objs: Iterable["Student"], *args: Any, **kwargs: Any) -> list["Student"]:
        objs = list(objs)
        for student in objs:
            student.search_terms = student.folded_terms()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(
        self, objs: Iterable["Student"], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        if SEARCHED_FIELDS.intersection(fields):
            objs = list(objs)
            for student in objs:
                student.search_terms = student.folded_terms()
            fields = [*fields, "search_terms"]
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def update(self, **kwargs: Any) -> int:
        if not SEARCHED_FIELDS.intersection(kwargs):
            return super().update(**kwargs)
        # The new values may come from expressions: read them back and fold them in Python.
        with transaction.atomic(using=self.db):
            ids = list(self.values_list("pk", flat=True))
            updated = super().update(**kwargs)
            for start in range(0, len(ids), SEARCH_TERMS_CHUNK):
                students = list(
                    self.model._base_manager.using(self.db)
                    .filter(pk__in=ids[start : start + SEARCH_TERMS_CHUNK])
                    .only("pk", *SEARCHED_FIELDS)
                )
                for student in students:
                    student.search_terms = student.folded_terms()
                self.model._base_manager.using(self.db).bulk_update(students, ["search_terms"])
        return updated


class Student(models.Model):
    first_name = models.CharField(max_length=30)
    last_name = models.CharField(max_length=30)
    email = models.EmailField()
    age = models.PositiveSmallIntegerField()
    # Which run of the CRUD job created the row: the job swaps whole generations.
    generation = models.PositiveIntegerField(default=0, db_index=True, editable=False)
    # The names and email folded by students.text (lower case, no accents, letters and
    # digits only), the words that the database search backends index: folding in Python
    # rather than in each database gives SQLite, PostgreSQL and Elasticsearch the very same
    # words, with no database extension (PostgreSQL's unaccent folds "ß", "ø", "æ" that
    # Elasticsearch and SQLite keep, and misses other scripts' accents).
    search_terms = models.TextField(default="", editable=False)

    objects = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["last_name", "first_name", "id"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, **kwargs: Any) -> None:
        self.search_terms = self.folded_terms()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCHED_FIELDS.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_terms"}
        super().save(**kwargs)

    def folded_terms(self) -> str:
        return " ".join(search_tokens(f"{self.first_name} {self.last_name} {self.email}"))
