from socket import gethostname
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_rq import get_connection
from rq import Worker


class Command(BaseCommand):
    help = (
        "Succeed while an RQ worker of this host (this container) is registered: the worker "
        "container's health check (its heartbeat keeps the registration alive)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        host = gethostname()
        if not any(worker.hostname == host for worker in Worker.all(connection=get_connection())):
            raise CommandError("no RQ worker of this container is registered")
        self.stdout.write("An RQ worker of this container is registered.")
