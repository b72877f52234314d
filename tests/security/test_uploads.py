"""Uploads: the stored content type comes from the bytes, never from the client; a
per-user storage quota refuses what does not fit with a clear 413, storing nothing."""

import pytest
from django.urls import reverse

from core.models import Document
from devtools.moto_server import new_bucket, s3_client, s3_storage_for
from devtools.multipart import multipart_body

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def post(client, files, folder="F"):
    """files: [(name, declared content type, bytes)], sent as a browser would."""
    body, content_type = multipart_body([("folder", folder)], [("file", n, b) for n, _, b in files])
    for name, declared, _ in files:
        body = body.replace(
            f'filename="{name}"\r\nContent-Type: application/octet-stream'.encode(),
            f'filename="{name}"\r\nContent-Type: {declared}'.encode(),
        )
    return client.generic("POST", reverse("upload"), body, content_type=content_type, **JSON)


@pytest.fixture
def alice(client, user):
    client.force_login(user)
    return client


@pytest.fixture(params=["local", "s3"])
def storage(request, settings, tmp_path):
    if request.param == "local":
        settings.MEDIA_ROOT = tmp_path
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
        return None
    endpoint_url = request.getfixturevalue("moto_s3")
    bucket = new_bucket(endpoint_url)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_for(endpoint_url, bucket)}
    return endpoint_url, bucket


def test_the_content_type_comes_from_the_bytes(alice, storage):
    response = post(
        alice,
        [
            ("photo.png", "image/png", HTML),  # claims to be an image, is HTML
            ("notes.txt", "text/plain", PNG),  # claims to be text, is a PNG
            ("readme", "application/x-evil", "Grüße, plain text\n".encode()),
            ("blob.png", "image/png", bytes(range(256))),
        ],
    )
    assert response.status_code == 201
    types = {item["name"]: item["content_type"] for item in response.json()["documents"]}
    assert types == {
        "photo.png": "text/html",
        "notes.txt": "image/png",
        "readme": "text/plain",
        "blob.png": "application/octet-stream",
    }
    if storage is not None:  # the object on S3 is served with the same type
        endpoint_url, bucket = storage
        for document in Document.objects.all():
            head = s3_client(endpoint_url).head_object(Bucket=bucket, Key=document.file.name)
            assert head["ContentType"] == document.content_type


def test_the_storage_quota_refuses_what_does_not_fit(alice, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_QUOTA_BYTES = 2_000_000
    assert post(alice, [("a.bin", "x", b"a" * 1_200_000)]).status_code == 201
    refused = post(alice, [("b.bin", "x", b"b" * 900_000)])
    assert refused.status_code == 413
    assert refused.json() == {
        "error": "This upload does not fit in your storage quota of 1.9\xa0MB (you use "
        "1.1\xa0MB); nothing was uploaded."
    }
    assert Document.objects.filter(owner=user).count() == 1
    assert sorted(p.name for p in (tmp_path / "documents" / str(user.pk)).rglob("*.bin")) == [
        "a.bin"
    ]
    assert post(alice, [("c.bin", "x", b"c" * 700_000)]).status_code == 201


def test_the_quota_counts_every_file_of_one_upload_while_it_arrives(
    alice, user, settings, tmp_path
):
    """Three files that each fit, and pass the Content-Length pre-check together, but not
    the quota: the parse stops at the quota and nothing is stored."""
    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_QUOTA_BYTES = 2_000_000
    files = [(f"{n}.bin", "x", bytes([n]) * 900_000) for n in range(3)]
    refused = post(alice, files)
    assert refused.status_code == 413
    assert "storage quota" in refused.json()["error"]
    assert not Document.objects.exists()
    assert not list(tmp_path.rglob("*.bin"))


def test_the_html_form_says_so_too(alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_QUOTA_BYTES = 10
    body, content_type = multipart_body([("folder", "F")], [("file", "a.txt", b"x" * 100)])
    page = alice.generic("POST", reverse("upload"), body, content_type=content_type)
    assert page.status_code == 413
    assert "does not fit in your storage quota of 10\xa0bytes" in page.text
    assert not list(tmp_path.rglob("*.txt"))
