"""The live-generation pointer (students.generations), the search outbox and the record of
the last reconciliation (students.search)."""

import django.utils.timezone
from django.db import migrations, models


def point_at_the_live_generation(apps, schema_editor):
    """Until now every row was visible. The directory is the generation that the last
    finished CRUD job put in place (its task's result names it), with the students saved
    after that job (they kept generation 0); a higher generation was left by a job that
    never finished and is now invisible, removed by the next maintenance run. Without a
    finished job, it is generation 0 when it has students, else the lowest one."""
    db = schema_editor.connection.alias
    student_model = apps.get_model("students", "Student")
    students = student_model._base_manager.using(db)
    task_model = apps.get_model("users", "Task")
    finished = (
        task_model.objects.using(db)
        .filter(kind="student_crud", status="finished")
        .order_by("-finished")
        .values_list("result", flat=True)
    )
    live = None
    for result in finished.iterator():
        number = (result or {}).get("generation")
        if isinstance(number, int) and students.filter(generation=number).exists():
            live = number
            break
    if live is None:
        present = students.order_by("generation").values_list("generation", flat=True)
        live = 0 if students.filter(generation=0).exists() else (present.first() or 0)
    students.filter(generation__lt=live).update(generation=live)
    apps.get_model("students", "LiveGeneration").objects.using(db).update_or_create(
        pk=1, defaults={"number": live}
    )


class Migration(migrations.Migration):

    dependencies = [
        ('students', '0004_search_terms'),
        ('users', '0002_task'),
    ]

    operations = [
        migrations.CreateModel(
            name='LiveGeneration',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('number', models.PositiveIntegerField(default=0)),
                ('task', models.UUIDField(blank=True, null=True)),
                ('switched', models.DateTimeField(blank=True, null=True)),
                ('filling', models.PositiveIntegerField(blank=True, null=True)),
                ('filling_task', models.UUIDField(blank=True, null=True)),
                ('filling_started', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='SearchOutbox',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('student_id', models.BigIntegerField(unique=True)),
                ('created', models.DateTimeField(default=django.utils.timezone.now)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('last_error', models.CharField(blank=True, max_length=255)),
            ],
            options={
                'verbose_name': 'search outbox entry',
                'verbose_name_plural': 'search outbox',
            },
        ),
        migrations.CreateModel(
            name='SearchReconciliation',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('started', models.DateTimeField(blank=True, null=True)),
                ('finished', models.DateTimeField(blank=True, null=True)),
                ('ok', models.BooleanField(default=False)),
                ('database_count', models.PositiveIntegerField(default=0)),
                ('index_count', models.PositiveIntegerField(default=0)),
                ('ranges_checked', models.PositiveIntegerField(default=0)),
                ('ranges_repaired', models.PositiveIntegerField(default=0)),
                ('students_requeued', models.PositiveIntegerField(default=0)),
                ('detail', models.CharField(blank=True, max_length=255)),
            ],
        ),
        migrations.RunPython(point_at_the_live_generation, migrations.RunPython.noop),
    ]
