import asyncio
import io
import logging
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, Client

from core.documents.services import store_uploads
from core.models import Document
from devtools.moto_server import new_bucket, s3_storage_for, start_moto_server
from devtools.processes import stop_process

pytestmark = pytest.mark.django_db

DOWNLOAD_URL = "/core/download/"
TEXT = b"The quick brown fox jumps over the lazy dog.\n" * 2000
PNG = bytes(range(256)) * 64


def put(owner, folder, *named_contents):
    files = [SimpleUploadedFile(name, content) for name, content in named_contents]
    return store_uploads(owner=owner, folder=folder, files=files)


def zip_entries(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {info.filename: (info, archive.read(info)) for info in archive.infolist()}


@pytest.fixture
def alice_client(client, user):
    client.force_login(user)
    return client


def test_download_page_lists_only_my_folders(alice_client, user, make_user, storage_backend):
    put(user, "Holidays", ("a.txt", b"12345"), ("b.png", b"678"))
    put(user, "Work", ("c.txt", b"x"))
    put(make_user("bob@example.com"), "Bobs secrets", ("d.txt", b"secret"))
    response = alice_client.get(DOWNLOAD_URL)
    assert response.status_code == 200
    folders = {row["folder"]: row for row in response.context["folders"]}
    assert folders == {
        "Holidays": {"folder": "Holidays", "file_count": 2, "total_size": 8},
        "Work": {"folder": "Work", "file_count": 1, "total_size": 1},
    }
    page = response.content.decode()
    assert "Bobs secrets" not in page
    assert 'aria-label="Download Holidays.zip"' in page


def test_download_page_without_folders_points_to_upload(alice_client):
    response = alice_client.get(DOWNLOAD_URL)
    assert "No folders yet." in response.content.decode()


def test_folder_zip_holds_every_file_byte_for_byte(alice_client, user, storage_backend):
    put(user, "Holidays", ("notes.txt", TEXT), ("photo.png", PNG), ("notes.txt", b"second"))
    put(user, "Other", ("elsewhere.txt", b"not in the zip"))
    response = alice_client.post(DOWNLOAD_URL, {"folder_name": "Holidays"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="Holidays.zip"'
    entries = zip_entries(b"".join(response.streaming_content))
    assert {name: data for name, (_, data) in entries.items()} == {
        "notes.txt": TEXT,
        "notes (2).txt": b"second",
        "photo.png": PNG,
    }
    assert entries["notes.txt"][0].compress_type == zipfile.ZIP_DEFLATED
    assert entries["notes.txt"][0].compress_size < len(TEXT) / 10
    assert entries["photo.png"][0].compress_type == zipfile.ZIP_STORED


@pytest.mark.parametrize(
    ("folder", "disposition"),
    [
        ('Say "hi"; ok', 'attachment; filename="Say \\"hi\\"; ok.zip"'),
        ("Été 🌞", "attachment; filename*=utf-8''%C3%89t%C3%A9%20%F0%9F%8C%9E.zip"),
    ],
)
def test_any_folder_name_gets_a_safe_content_disposition(
    alice_client, user, storage_backend, folder, disposition
):
    put(user, folder, ("a.txt", b"a"))
    response = alice_client.post(DOWNLOAD_URL, {"folder_name": folder})
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert "a.txt" in zip_entries(b"".join(response.streaming_content))


@pytest.mark.parametrize("folder_name", ["Bobs secrets", "Nowhere", "", "bad\x00name", "../x"])
def test_a_folder_i_do_not_have_is_a_404(alice_client, make_user, storage_backend, folder_name):
    put(make_user("bob@example.com"), "Bobs secrets", ("d.txt", b"secret"))
    response = alice_client.post(DOWNLOAD_URL, {"folder_name": folder_name})
    assert response.status_code == 404
    assert "You have no folder of that name." in response.content.decode()
    json_response = alice_client.post(
        DOWNLOAD_URL, {"folder_name": folder_name}, headers={"accept": "application/json"}
    )
    assert json_response.status_code == 404
    assert json_response.json() == {"error": "You have no folder of that name."}


def test_download_needs_a_login(client):
    response = client.post(DOWNLOAD_URL, {"folder_name": "Holidays"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_download_without_csrf_token_is_a_403(user, storage_backend):
    put(user, "Holidays", ("a.txt", b"a"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(DOWNLOAD_URL, {"folder_name": "Holidays"}).status_code == 403


def in_fresh_event_loop(coroutine):
    """Run a coroutine on its own loop in its own thread.

    The session's Playwright (sync API) keeps an event loop running in the main thread,
    where pytest-asyncio could not start another one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_zip_streams_from_an_async_iterator(user, storage_backend):
    put(user, "Holidays", ("notes.txt", TEXT), ("photo.png", PNG))

    async def download():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.post(DOWNLOAD_URL, {"folder_name": "Holidays"})
        assert response.status_code == 200
        assert response.is_async
        return [chunk async for chunk in response.streaming_content]

    chunks = in_fresh_event_loop(download())
    assert len(chunks) > 1
    entries = zip_entries(b"".join(chunks))
    assert entries["notes.txt"][1] == TEXT
    assert entries["photo.png"][1] == PNG


def test_a_local_file_lost_mid_download_ends_the_stream_with_a_logged_error(
    alice_client, user, settings, tmp_path, caplog
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    _, second = put(user, "Holidays", ("a.png", PNG), ("b.png", PNG))
    response = alice_client.post(DOWNLOAD_URL, {"folder_name": "Holidays"})
    chunks = iter(response.streaming_content)
    next(chunks)
    default_storage.delete(second.file.name)
    with caplog.at_level(logging.ERROR), pytest.raises(FileNotFoundError):
        list(chunks)
    assert "zip download of folder 'Holidays' stopped" in caplog.text
    assert Document.objects.count() == 2


def test_s3_gone_mid_download_ends_the_stream_with_a_logged_error(
    alice_client, user, settings, tmp_path, caplog
):
    process, endpoint_url = start_moto_server(log_path=tmp_path / "moto.log")
    try:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage_for(endpoint_url, new_bucket(endpoint_url)),
        }
        put(user, "Holidays", ("a.png", PNG), ("b.png", PNG))
        response = alice_client.post(DOWNLOAD_URL, {"folder_name": "Holidays"})
        chunks = iter(response.streaming_content)
        first_chunk = next(chunks)
        assert first_chunk.startswith(b"PK")
    finally:
        stop_process(process)
    with caplog.at_level(logging.ERROR), pytest.raises(Exception) as raised:
        list(chunks)
    assert "botocore" in type(raised.value).__module__ or isinstance(raised.value, OSError)
    assert "zip download of folder 'Holidays' stopped" in caplog.text
    assert Document.objects.count() == 2


def test_an_abandoned_async_download_closes_the_zip_and_its_files():
    from core.documents.zips import in_worker_threads

    closed = []

    def chunks():
        try:
            yield b"first"
            yield b"second"
        finally:
            closed.append(True)

    source = chunks()

    async def read_one_chunk_and_leave():
        stream = in_worker_threads(source)
        first = await anext(stream)
        await stream.aclose()
        return first

    assert in_fresh_event_loop(read_one_chunk_and_leave()) == b"first"
    assert closed == [True]
    assert source.gi_frame is None
