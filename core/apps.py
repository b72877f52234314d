from django.apps import AppConfig


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        from core import checks  # noqa: F401 - registers the system checks
        from core.health import database_probe, redis_probe, register_probe, storage_probe

        register_probe("database", database_probe)
        register_probe("redis", redis_probe)
        register_probe("storage", storage_probe)

        from django_rq.contrib.prometheus import RQCollector

        from core.health_metrics import collect_health
        from core.metrics import register_collector

        # django-rq's queue and worker metrics, read from Redis at scrape time.
        register_collector("rq", RQCollector().collect)
        register_collector("health", collect_health)
