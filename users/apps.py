from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        from core.maintenance import register_step
        from users import signals  # noqa: F401 - connects the session receivers
        from users.services import fail_stalled_tasks

        register_step("stalled tasks", lambda: len(fail_stalled_tasks()))
