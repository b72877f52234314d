from django.apps import AppConfig


class StudentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "students"

    def ready(self) -> None:
        from core.health import register_probe
        from core.maintenance import register_step
        from students.generations import remove_abandoned_generations
        from students.health import search_probe, search_sync_probe
        from students.jobs import STUDENT_CRUD
        from students.search.outbox import drain_outbox
        from students.search.reconcile import reconcile_when_due
        from users.tasks.kinds import register_task_kind

        register_probe("search", search_probe)
        register_probe("search_sync", search_sync_probe)
        register_task_kind(STUDENT_CRUD)
        register_step("abandoned student generations", remove_abandoned_generations)
        register_step("search outbox", drain_outbox)
        register_step("search reconciliation", reconcile_when_due)

        from core.metrics import register_collector
        from students.metrics import collect_search_outbox

        register_collector("search outbox", collect_search_outbox)
