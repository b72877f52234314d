"""Search the folded `Student.search_terms` column on both database backends.

The names and email are folded in Python (students.text.fold, as for Elasticsearch), so the
database indexes only split words: SQLite's FTS5 table moves from the three raw columns
(and the view that spelled "ı" as "i") to the new column; PostgreSQL's GIN index, which
could not fold accents, covers the column instead of an expression over the raw ones.
"""

import importlib

from django.db import migrations, models

from students.text import search_tokens

search_index_0002 = importlib.import_module("students.migrations.0002_search_index")

FILL_CHUNK = 2000

# The old search objects go first: SQLite adds the column by copying the table, which a
# view over it would block.
SQLITE_DROP_OLD = search_index_0002.SQLITE_BACKWARD
POSTGRES_DROP_OLD = search_index_0002.POSTGRES_BACKWARD
SQLITE_CREATE = [
    """
    CREATE VIRTUAL TABLE students_student_fts USING fts5(
        search_terms, content='students_student', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0', prefix='1 2 3'
    )
    """,
    """
    CREATE TRIGGER students_student_fts_insert AFTER INSERT ON students_student BEGIN
        INSERT INTO students_student_fts(rowid, search_terms) VALUES (new.id, new.search_terms);
    END
    """,
    """
    CREATE TRIGGER students_student_fts_delete AFTER DELETE ON students_student BEGIN
        INSERT INTO students_student_fts(students_student_fts, rowid, search_terms)
        VALUES ('delete', old.id, old.search_terms);
    END
    """,
    """
    CREATE TRIGGER students_student_fts_update
    AFTER UPDATE OF search_terms ON students_student BEGIN
        INSERT INTO students_student_fts(students_student_fts, rowid, search_terms)
        VALUES ('delete', old.id, old.search_terms);
        INSERT INTO students_student_fts(rowid, search_terms) VALUES (new.id, new.search_terms);
    END
    """,
    "INSERT INTO students_student_fts(students_student_fts) VALUES ('rebuild')",
]
POSTGRES_CREATE = [
    """
    CREATE INDEX students_student_search ON students_student
    USING gin (to_tsvector('simple'::regconfig, search_terms))
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER students_student_fts_update",
    "DROP TRIGGER students_student_fts_delete",
    "DROP TRIGGER students_student_fts_insert",
    "DROP TABLE students_student_fts",
]
POSTGRES_DROP = ["DROP INDEX students_student_search"]


def fill_search_terms(apps, schema_editor):
    # The historical model has none of Student's methods or its queryset: fold here.
    student_model = apps.get_model("students", "Student")
    students = student_model.objects.using(schema_editor.connection.alias).order_by("pk")
    batch = []
    for student in students.only("pk", "first_name", "last_name", "email").iterator(FILL_CHUNK):
        words = search_tokens(f"{student.first_name} {student.last_name} {student.email}")
        student.search_terms = " ".join(words)
        batch.append(student)
        if len(batch) == FILL_CHUNK:
            student_model.objects.bulk_update(batch, ["search_terms"])
            batch = []
    student_model.objects.bulk_update(batch, ["search_terms"])


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("students", "0003_merge_0002_search_index_0002_student_generation"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_DROP_OLD, "postgresql": POSTGRES_DROP_OLD}),
            _run(
                {
                    "sqlite": search_index_0002.SQLITE_FORWARD,
                    "postgresql": search_index_0002.POSTGRES_FORWARD,
                }
            ),
        ),
        migrations.AddField(
            model_name="student",
            name="search_terms",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_search_terms, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
