from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        from core.maintenance import register_step
        from users.sockets import signals  # noqa: F401 - connects the session receivers
        from users.tasks.services import dispatch_waiting_lines
        from users.tasks.watchdog import fail_stalled_tasks

        register_step("stalled tasks", lambda: len(fail_stalled_tasks()))
        register_step("waiting lines", dispatch_waiting_lines)

        from core.metrics import register_collector
        from users.tasks.metrics import collect_tasks

        register_collector("tasks", collect_tasks)
