from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, restore_site


class Command(BaseCommand):
    help = (
        "Restore a backup of backup_site: replace the whole database with the backup's and put "
        "its files back into the storage (core.backups; docs/runbook.md). Stop the app's "
        "servers and workers first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("folder", type=Path, help="a folder written by backup_site")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args: Any, folder: Path, interactive: bool, **options: Any) -> None:
        question = f"This replaces the whole database with the backup in {folder}. Type 'yes': "
        if interactive and input(question) != "yes":
            raise CommandError("Restore cancelled.")
        try:
            summary = restore_site(folder)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the database and {summary.files} files from {folder}.")
        if settings.ELASTICSEARCH_URL:
            self.stdout.write(
                "Search still has the index of before: rebuild it with "
                "`manage.py search_index --rebuild -f`."
            )
