from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_site


class Command(BaseCommand):
    help = (
        "Back up the site into a new folder: the PostgreSQL database (pg_dump) and every "
        "document's stored file, local disk or S3 alike (core.backups; docs/runbook.md)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder that does not exist yet")

    def handle(self, *args: Any, folder: Path, **options: Any) -> None:
        try:
            summary = backup_site(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for name in summary.missing:
            self.stderr.write(f"No stored file for the document {name}: it is not in the backup.")
        self.stdout.write(
            f"Backed up the database and {summary.files} files ({summary.bytes} bytes) to {folder}."
        )
