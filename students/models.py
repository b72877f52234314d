import zlib
from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from students.text import search_tokens

# What search matches; `search_terms` holds them folded.
SEARCHED_FIELDS = frozenset({"first_name", "last_name", "email"})
SEARCH_TERMS_CHUNK = 1000
# A student saved without a generation joins the one in service (see LiveGeneration); the
# CRUD job numbers its own generations from 1 up.
UNASSIGNED_GENERATION = 0
LIVE_GENERATION_ID = 1


class LiveGenerationManager(models.Manager["LiveGeneration"]):
    def locked(self, *, shared: bool) -> "LiveGeneration":
        """The pointer row (created when missing), locked until the transaction ends.

        A switch locks it exclusively; writers that must not overlap a switch (a new
        student, a batch of index writes) share it. On SQLite every transaction already
        holds the database's write lock (IMMEDIATE), which orders them all the same way.
        Call it inside `transaction.atomic()`.
        """
        row = self._select_locked(shared=shared)
        if row is None:
            self.bulk_create([LiveGeneration(pk=LIVE_GENERATION_ID)], ignore_conflicts=True)
            row = self._select_locked(shared=shared)
        assert row is not None  # noqa: S101 - created just above
        return row

    def _select_locked(self, *, shared: bool) -> "LiveGeneration | None":
        if shared and connection.vendor == "postgresql":
            table = connection.ops.quote_name(self.model._meta.db_table)
            query = f"SELECT * FROM {table} WHERE id = %s FOR SHARE"  # noqa: S608 - constant
            return next(iter(self.raw(query, [LIVE_GENERATION_ID])), None)
        return self.select_for_update().filter(pk=LIVE_GENERATION_ID).first()


class LiveGeneration(models.Model):
    """The one row saying which generation of students is the directory.

    Readers see only the students of `number` (`Student.objects`), so a generation that a
    CRUD job is still writing (`filling`) is invisible until the job moves `number` to it,
    in the transaction that deletes every other generation. Writers lock this row first
    (students.generations), which orders a job's switch against every other write.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=LIVE_GENERATION_ID)
    number = models.PositiveIntegerField(default=0)
    # The task whose job put `number` in service (None: the first students, demo data).
    task = models.UUIDField(null=True, blank=True)
    switched = models.DateTimeField(null=True, blank=True)
    # The generation a CRUD job is writing, its task and when it began.
    filling = models.PositiveIntegerField(null=True, blank=True)
    filling_task = models.UUIDField(null=True, blank=True)
    filling_started = models.DateTimeField(null=True, blank=True)

    objects = LiveGenerationManager()

    def __str__(self) -> str:
        return f"Generation {self.number}"


def live_generation_number() -> Coalesce:
    """The live generation as an SQL expression (0 until a LiveGeneration row exists): each
    statement reads the committed pointer once. The one definition: `Student.objects`
    filters on it, and the database search backend compiles it into its own SQL."""
    return Coalesce(
        models.Subquery(LiveGeneration.objects.filter(pk=LIVE_GENERATION_ID).values("number")[:1]),
        models.Value(0),
        output_field=models.PositiveIntegerField(),
    )


class StudentQuerySet(models.QuerySet["Student"]):
    """Keeps `search_terms` in step through the ORM's bulk writes, which skip save()."""

    def bulk_create(self, objs: Iterable["Student"], *args: Any, **kwargs: Any) -> list["Student"]:
        objs = list(objs)
        for student in objs:
            student.search_terms = student.folded_terms()
        if not any(student.generation == UNASSIGNED_GENERATION for student in objs):
            return super().bulk_create(objs, *args, **kwargs)
        with transaction.atomic(using=self.db):
            live = LiveGeneration.objects.locked(shared=True).number
            for student in objs:
                if student.generation == UNASSIGNED_GENERATION:
                    student.generation = live
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


class LiveStudentManager(models.Manager["Student"]):
    """The directory in service: students of the live generation only."""

    def get_queryset(self) -> StudentQuerySet:
        return StudentQuerySet(self.model, using=self._db).filter(
            generation=live_generation_number()
        )


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

    # Every read of the directory goes through `objects`; `every_generation` also reaches
    # the rows of a generation being written or abandoned (the CRUD job, the clean-up).
    objects = LiveStudentManager.from_queryset(StudentQuerySet)()
    every_generation = StudentQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["last_name", "first_name", "id"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, **kwargs: Any) -> None:
        """Save with the folded search terms; a new student joins the live generation, and
        the search index hears of the change in the same transaction (students.signals)."""
        self.search_terms = self.folded_terms()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCHED_FIELDS.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_terms"}
        with transaction.atomic(using=kwargs.get("using")):
            if self.generation == UNASSIGNED_GENERATION:
                self.generation = LiveGeneration.objects.locked(shared=True).number
            super().save(**kwargs)

    def folded_terms(self) -> str:
        return " ".join(search_tokens(f"{self.first_name} {self.last_name} {self.email}"))

    def index_checksum(self) -> int:
        return document_checksum(self.pk, self.first_name, self.last_name, self.email, self.age)


def document_checksum(pk: int, first_name: str, last_name: str, email: str, age: int) -> int:
    """A checksum of what the search index holds of a student: the reconciliation compares
    sums of them by range of ids (students.search.reconcile)."""
    return zlib.crc32(f"{pk}\x1f{first_name}\x1f{last_name}\x1f{email}\x1f{age}".encode())


class SearchOutbox(models.Model):
    """A student change that the search index has not taken yet (students.search.outbox).

    Written in the transaction of the change itself, so no committed change can miss the
    index; one row per student however often it changes, removed once the index has the
    student as the database has it.
    """

    student_id = models.BigIntegerField(unique=True)
    created = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "search outbox entry"
        verbose_name_plural = "search outbox"

    def __str__(self) -> str:
        return f"Student #{self.student_id} for the search index"


class SearchReconciliation(models.Model):
    """The last comparison of the search index with the database (one row; see
    students.search.reconcile)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    database_count = models.PositiveIntegerField(default=0)
    index_count = models.PositiveIntegerField(default=0)
    ranges_checked = models.PositiveIntegerField(default=0)
    ranges_repaired = models.PositiveIntegerField(default=0)
    students_requeued = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"Search reconciliation of {self.finished}"
