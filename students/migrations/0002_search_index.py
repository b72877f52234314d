"""Database search backend: an FTS5 table on SQLite, a full-text expression index on PostgreSQL.

The SQLite table is an external-content FTS5 index kept in step by triggers, so every ORM
write (bulk or not) keeps it current. Its content is a view that spells the Turkish dotless
"ı" as "i", the one fold that FTS5's unicode61 tokenizer lacks and students.text applies. On PostgreSQL the GIN index
covers the same expression that students.search queries.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE VIEW students_student_search_text AS
    SELECT id, replace(first_name, 'ı', 'i') AS first_name,
        replace(last_name, 'ı', 'i') AS last_name, replace(email, 'ı', 'i') AS email
    FROM students_student
    """,
    """
    CREATE VIRTUAL TABLE students_student_fts USING fts5(
        first_name, last_name, email,
        content='students_student_search_text', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
    )
    """,
    """
    CREATE TRIGGER students_student_fts_insert AFTER INSERT ON students_student BEGIN
        INSERT INTO students_student_fts(rowid, first_name, last_name, email)
        VALUES (new.id, replace(new.first_name, 'ı', 'i'), replace(new.last_name, 'ı', 'i'),
                replace(new.email, 'ı', 'i'));
    END
    """,
    """
    CREATE TRIGGER students_student_fts_delete AFTER DELETE ON students_student BEGIN
        INSERT INTO students_student_fts(students_student_fts, rowid, first_name, last_name, email)
        VALUES ('delete', old.id, replace(old.first_name, 'ı', 'i'),
                replace(old.last_name, 'ı', 'i'), replace(old.email, 'ı', 'i'));
    END
    """,
    """
    CREATE TRIGGER students_student_fts_update
    AFTER UPDATE OF first_name, last_name, email ON students_student BEGIN
        INSERT INTO students_student_fts(students_student_fts, rowid, first_name, last_name, email)
        VALUES ('delete', old.id, replace(old.first_name, 'ı', 'i'),
                replace(old.last_name, 'ı', 'i'), replace(old.email, 'ı', 'i'));
        INSERT INTO students_student_fts(rowid, first_name, last_name, email)
        VALUES (new.id, replace(new.first_name, 'ı', 'i'), replace(new.last_name, 'ı', 'i'),
                replace(new.email, 'ı', 'i'));
    END
    """,
    "INSERT INTO students_student_fts(students_student_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS students_student_fts_update",
    "DROP TRIGGER IF EXISTS students_student_fts_delete",
    "DROP TRIGGER IF EXISTS students_student_fts_insert",
    "DROP TABLE IF EXISTS students_student_fts",
    "DROP VIEW IF EXISTS students_student_search_text",
]
POSTGRES_FORWARD = [
    """
    CREATE INDEX students_student_search ON students_student USING gin (
        to_tsvector('simple'::regconfig, regexp_replace(
            first_name || ' ' || last_name || ' ' || email, '[^[:alnum:]]+', ' ', 'g'))
    )
    """,
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS students_student_search"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("students", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
