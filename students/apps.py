from django.apps import AppConfig


class StudentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "students"

    def ready(self) -> None:
        from core.health import register_probe
        from students.health import search_probe

        register_probe("search", search_probe)
