"""Folder zip download: streamed through the view vs. built whole in memory (the naive way).

Runs on local storage and on a moto S3 server (its own process: only this Django process's
memory is measured). Prints throughput, time to the first byte and the peak RSS increase.

    .venv/bin/python bench/zip_download.py [--files 64] [--file-mib 16]

Targets: streaming peak RSS increase <= 64 MiB, first byte <= 0.5 s, local >= 150 MiB/s.
"""

import argparse
import asyncio
import io
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MIB = 1024 * 1024
BASE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = BASE_DIR / "bench" / "out"
sys.path.insert(0, str(BASE_DIR))


def configure_django(workdir):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DJANGO_DEBUG="true",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def reset_peak_rss():
    # Writing 5 resets VmHWM (the peak resident set) of this process (Linux).
    Path("/proc/self/clear_refs").write_text("5")


def rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


class Measure:
    """Time to first byte, total time and the peak RSS increase of one download."""

    def __enter__(self):
        import gc

        gc.collect()
        self.baseline_kib = rss_kib("VmRSS")
        reset_peak_rss()
        self.started = time.perf_counter()
        self.first_byte = None
        self.size = 0
        return self

    def got(self, chunk):
        if self.first_byte is None:
            self.first_byte = time.perf_counter() - self.started
        self.size += len(chunk)

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self.started
        self.peak_increase_mib = (rss_kib("VmHWM") - self.baseline_kib) / 1024

    def folder_rate(self, folder_bytes):
        return folder_bytes / MIB / self.seconds

    def row(self, label, folder_bytes):
        return (
            f"{label:<48} zip {self.size / MIB:7.1f} MiB in {self.seconds:6.2f} s"
            f" = {self.folder_rate(folder_bytes):6.1f} MiB/s of files"
            f"   first byte {self.first_byte:6.3f} s   peak RSS +{self.peak_increase_mib:7.1f} MiB"
        )


def create_folder(owner, folder, count, file_mib, extension, compressible):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.documents.services import store_uploads

    words = [b"garlic", b"onion", b"simmer", b"stir", b"salt", b"2 cups", b"minced", b"\n"]
    for index in range(count):
        if compressible:
            line = b" ".join(random.choices(words, k=1024 * 1024))
            content = (line * (file_mib * MIB // len(line) + 1))[: file_mib * MIB]
        else:
            content = os.urandom(file_mib * MIB)
        name = f"part-{index:03d}.{extension}"
        store_uploads(owner=owner, folder=folder, files=[SimpleUploadedFile(name, content)])
        del content


def stream_through_view(user, folder):
    from django.test import AsyncClient

    async def download():
        client = AsyncClient()
        await client.aforce_login(user)
        with Measure() as measure:
            response = await client.post("/core/download/", {"folder_name": folder})
            assert response.status_code == 200, response.status_code
            assert response.is_async
            async for chunk in response.streaming_content:
                measure.got(chunk)
        return measure

    return asyncio.run(download())


def naive_zip_response(documents):
    """The approach the view replaces: every file read whole, the zip built in memory."""
    from django.http import HttpResponse

    from core.documents.zips import archive_names, is_compressed

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for document, name in zip(documents, archive_names(documents), strict=True):
            with document.file.storage.open(document.file.name, "rb") as stored:
                data = stored.read()
            compress_type = zipfile.ZIP_STORED if is_compressed(document) else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress_type, compresslevel=1)
    return HttpResponse(buffer.getvalue(), content_type="application/zip")


def naive(user, folder):
    from core.documents.selectors import folder_documents

    with Measure() as measure:
        response = naive_zip_response(folder_documents(user, folder))
        measure.got(response.content)
        del response
    return measure


def run(label, user, folder):
    from core.documents.selectors import folder_documents

    folder_bytes = sum(document.size for document in folder_documents(user, folder))
    streamed = stream_through_view(user, folder)
    print(streamed.row(f"{label}, streamed (view)", folder_bytes), flush=True)
    built = naive(user, folder)
    print(built.row(f"{label}, naive (HttpResponse)", folder_bytes), flush=True)
    streamed.folder_bytes = folder_bytes
    return streamed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--file-mib", type=int, default=16)
    parser.add_argument("--text-files", type=int, default=16, help="deflated text files")
    args = parser.parse_args()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="zip-download-", dir=OUT_DIR))
    moto = None
    try:
        configure_django(workdir)
        from django.test import override_settings

        from devtools.moto_server import new_bucket, s3_storage_for, start_moto_server
        from devtools.processes import stop_process
        from users.models import CustomUser

        user = CustomUser.objects.create_user("bench@example.com", "bench-passphrase-42")
        total_mib = args.files * args.file_mib
        print(f"folder: {args.files} files x {args.file_mib} MiB = {total_mib} MiB of .mp4")

        results = {}
        create_folder(user, "media-local", args.files, args.file_mib, "mp4", compressible=False)
        results["local"] = run("local disk", user, "media-local")
        shutil.rmtree(workdir / "media" / "documents", ignore_errors=True)

        create_folder(user, "text-local", args.text_files, args.file_mib, "txt", compressible=True)
        run("local disk, text (deflated)", user, "text-local")
        shutil.rmtree(workdir / "media" / "documents", ignore_errors=True)

        moto, endpoint_url = start_moto_server(log_path=workdir / "moto.log")
        storages = {
            "default": s3_storage_for(endpoint_url, new_bucket(endpoint_url)),
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(STORAGES=storages):
            create_folder(user, "media-s3", args.files, args.file_mib, "mp4", compressible=False)
            results["s3"] = run("moto S3", user, "media-s3")

        local = results["local"]
        worst_rss = max(result.peak_increase_mib for result in results.values())
        worst_first_byte = max(result.first_byte for result in results.values())
        local_rate = local.folder_rate(local.folder_bytes)
        print()
        print(f"streaming peak RSS increase {worst_rss:.1f} MiB (target <= 64): "
              f"{'met' if worst_rss <= 64 else 'MISSED'}")  # fmt: skip
        print(f"first byte {worst_first_byte:.3f} s (target <= 0.5): "
              f"{'met' if worst_first_byte <= 0.5 else 'MISSED'}")  # fmt: skip
        print(f"local throughput {local_rate:.0f} MiB/s (target >= 150): "
              f"{'met' if local_rate >= 150 else 'MISSED'}")  # fmt: skip
    finally:
        if moto is not None:
            stop_process(moto)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
