"""Back up and restore the site: its PostgreSQL database and its stored files
(`manage.py backup_site DIR`, `manage.py restore_site DIR`; docs/runbook.md).

A backup is a folder:

    database.dump    pg_dump's custom format: compressed, restored by pg_restore, which can
                     drop what is there first (--clean) and restore in one transaction
    files/<name>     every document's stored file, under its stored name
    manifest.json    the format, when it was taken, and each file's name, size and SHA-256

The files are read and written through Django's default storage, so the local disk and S3
are backed up the same way, and a backup of one restores onto the other. The documents whose
files are copied are read in the very snapshot that pg_dump dumps (`pg_export_snapshot`):
every document in the dump has its file in the backup, whatever is uploaded or deleted
meanwhile. Only recorded files are copied: a stored object that no document records serves
nothing. Redis holds nothing to keep (caches, queues, counters) and the search index is
rebuilt from the database (`manage.py search_index --rebuild -f`).

A restore checks the whole backup first (the manifest, every file's size and checksum, the
dump's table of contents) and changes nothing when a part is wrong. Then pg_restore replaces
the database in one transaction, the files go back under their names, and `site_restored`
tells the apps to drop what they derived from the data it replaced (the recipe cache).
"""

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.dispatch import Signal
from django.utils import timezone

from core.models import Document

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE_DUMP = "database.dump"
FILES = "files"
CHUNK_SIZE = 1024 * 1024

# Sent once a restore has replaced the database and the files: receivers drop what they
# derived from the data that was there before (caches).
site_restored = Signal()


class BackupError(Exception):
    """The backup cannot be taken or restored; the message says why."""


@dataclass
class BackupSummary:
    folder: Path
    files: int = 0
    bytes: int = 0
    # Documents whose stored file was already gone when the backup was taken.
    missing: list[str] = field(default_factory=list)


def backup_site(folder: Path) -> BackupSummary:
    """Dump the database and copy every document's file into `folder`, a new or empty one."""
    _require_postgresql()
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: a backup goes into a new folder.")
    (folder / FILES).mkdir(parents=True)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        # pg_dump reads the snapshot this transaction holds open.
        _run_client(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot}", f"--file={folder / DATABASE_DUMP}"],
        )
        names = list(Document.objects.order_by("pk").values_list("file", flat=True))
    summary = BackupSummary(folder)
    entries = []
    for name in names:
        try:
            entry = _copy_out(name, folder / FILES)
        except FileNotFoundError:
            summary.missing.append(name)
            continue
        entries.append(entry)
        summary.files += 1
        summary.bytes += entry["size"]
    manifest = {
        "format": FORMAT,
        "created": timezone.now().isoformat(),
        "database": DATABASE_DUMP,
        "files": entries,
        "missing": summary.missing,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return summary


def restore_site(folder: Path) -> BackupSummary:
    """Replace the database with the backup's and put its files back."""
    _require_postgresql()
    entries = _checked_entries(folder)
    dump = str(folder / DATABASE_DUMP)
    _run([_program("pg_restore"), "--list", dump])  # a dump it cannot read changes nothing
    # "--dbname" last: Django's connection arguments end with the database's name.
    restore = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run_client("pg_restore", [*restore, "--exit-on-error", "--dbname"], dump)
    connection.close()  # its prepared state described tables that were just replaced
    summary = BackupSummary(folder)
    for entry in entries:
        _put_back(entry["name"], folder / FILES / entry["name"])
        summary.files += 1
        summary.bytes += entry["size"]
    site_restored.send(sender=restore_site)
    return summary


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BackupError(
            f"The database is {connection.vendor}: backup_site and restore_site work on "
            "PostgreSQL (DATABASE_URL), with pg_dump and pg_restore."
        )


def _run_client(program: str, options: list[str], *files: str) -> None:
    """Run pg_dump or pg_restore with `options` on the default database (Django's own
    connection arguments, as `manage.py dbshell` has them: the password in the environment,
    never on the command line), then `files`."""
    args, env = DatabaseClient.settings_to_cmd_args_env(connection.settings_dict, options)
    _run([_program(program), *args[1:], *files], env)


def _program(name: str) -> str:
    executable = shutil.which(name)
    if executable is None:
        raise BackupError(f"{name} is missing: install PostgreSQL's client programs.")
    return executable


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(  # noqa: S603 - PostgreSQL's programs, arguments from the settings
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _copy_out(name: str, files: Path) -> dict[str, Any]:
    """Copy one stored file into the backup; its manifest entry."""
    target = _inside(files, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with default_storage.open(name, "rb") as source, target.open("wb") as copy:
        while chunk := source.read(CHUNK_SIZE):
            digest.update(chunk)
            copy.write(chunk)
            size += len(chunk)
    return {"name": name, "size": size, "sha256": digest.hexdigest()}


def _checked_entries(folder: Path) -> list[dict[str, Any]]:
    """The manifest's files, once every one of them is in the folder as it was taken."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} holds no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is not a backup of format {FORMAT}.")
    if not (folder / DATABASE_DUMP).is_file():
        raise BackupError(f"{folder} holds no {DATABASE_DUMP}.")
    entries: list[dict[str, Any]] = manifest["files"]
    for entry in entries:
        path = _inside(folder / FILES, entry["name"])
        if not path.is_file() or path.stat().st_size != entry["size"]:
            raise BackupError(f"{entry['name']} is missing from the backup or has another size.")
        if _sha256(path) != entry["sha256"]:
            raise BackupError(f"{entry['name']} differs from the file that was backed up.")
    return entries


def _put_back(name: str, source: Path) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)
    with source.open("rb") as handle:
        stored = default_storage.save(name, File(handle, name))
    if stored != name:
        raise BackupError(f"The storage kept {name} as {stored}.")


def _inside(files: Path, name: str) -> Path:
    """Where a stored name lives in the backup; never outside its files/ folder."""
    path = (files / name).resolve()
    if not path.is_relative_to(files.resolve()):
        raise BackupError(f"{name!r} is not a stored file's name.")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()
