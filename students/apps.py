from django.apps import AppConfig


class StudentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "students"

    def ready(self) -> None:
        from core.health import register_probe
        from core.maintenance import register_step
        from students.generations import remove_abandoned_generations
        from students.health import search_probe, search_sync_probe
        from students.jobs import cancel_crud_task, fail_crud_task
        from students.search.outbox import drain_outbox
        from students.search.reconcile import reconcile_when_due
        from students.services import enqueue_crud_job
        from users.models import Task
        from users.tasks.kinds import (
            register_cancel_handler,
            register_failure_handler,
            register_launcher,
        )

        register_probe("search", search_probe)
        register_probe("search_sync", search_sync_probe)
        register_failure_handler(Task.Kind.STUDENT_CRUD, fail_crud_task)
        register_cancel_handler(Task.Kind.STUDENT_CRUD, cancel_crud_task)
        register_launcher(Task.Kind.STUDENT_CRUD, enqueue_crud_job)
        register_step("abandoned student generations", remove_abandoned_generations)
        register_step("search outbox", drain_outbox)
        register_step("search reconciliation", reconcile_when_due)

        from core.metrics import register_collector
        from students.metrics import collect_search_outbox

        register_collector("search outbox", collect_search_outbox)
