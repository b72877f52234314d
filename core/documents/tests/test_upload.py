import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.models import Document
from devtools.moto_server import s3_storage_for
from devtools.multipart import multipart_body
from devtools.processes import free_loopback_port

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/core/upload/"


@pytest.fixture
def alice_client(client, user):
    client.force_login(user)
    return client


def post_raw(client, fields, files, **headers):
    body, content_type = multipart_body(fields, files)
    return client.generic("POST", UPLOAD_URL, body, content_type=content_type, headers=headers)


def stored_bytes(document):
    with default_storage.open(document.file.name, "rb") as stored:
        return b"".join(stored.chunks())


def test_upload_page_needs_a_login(client):
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_upload_page_offers_only_my_folders(alice_client, user, make_user):
    other = make_user("bob@example.com")
    Document.objects.create(owner=user, folder="Mine", original_name="a", file="x", size=1,
                            content_type="text/plain", checksum="0" * 64)  # fmt: skip
    Document.objects.create(owner=other, folder="Bobs secrets", original_name="b", file="y",
                            size=1, content_type="text/plain", checksum="0" * 64)  # fmt: skip
    response = alice_client.get(UPLOAD_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="Mine">' in page
    assert "Bobs secrets" not in page
    assert 'for="id_folder"' in page and 'role="status"' in page and "<progress" in page


def test_form_upload_stores_two_files_and_redirects(alice_client, user, storage_backend):
    first, second = b"first file\n" * 100, bytes(range(256)) * 50
    response = alice_client.post(
        UPLOAD_URL,
        {
            "folder": "Holidays",
            "file": [
                SimpleUploadedFile("notes.txt", first),
                SimpleUploadedFile("photo.png", second),
            ],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == UPLOAD_URL
    documents = {d.original_name: d for d in Document.objects.filter(owner=user)}
    assert set(documents) == {"notes.txt", "photo.png"}
    for name, content in (("notes.txt", first), ("photo.png", second)):
        document = documents[name]
        assert document.folder == "Holidays"
        assert document.size == len(content)
        assert document.checksum == hashlib.sha256(content).hexdigest()
        assert document.file.name.startswith(f"documents/{user.pk}/Holidays/")
        assert stored_bytes(document) == content
    # Named .png, but its bytes are no PNG: the type comes from the content.
    assert documents["photo.png"].content_type == "application/octet-stream"
    assert documents["notes.txt"].content_type == "text/plain"
    assert "Uploaded 2 file(s)" in alice_client.get(UPLOAD_URL).content.decode()


def test_json_upload_answers_201_with_the_documents(alice_client, user, storage_backend):
    response = alice_client.post(
        UPLOAD_URL,
        {"folder": "Reports", "file": SimpleUploadedFile("q1.csv", b"a,b\n1,2\n")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["folder"] == "Reports"
    [document] = body["documents"]
    assert document["name"] == "q1.csv"
    assert document["size"] == 8
    assert document["checksum"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert Document.objects.get(pk=document["id"]).owner == user


def test_same_name_twice_keeps_both_files(alice_client, user, storage_backend):
    for content in (b"version one", b"version two"):
        alice_client.post(
            UPLOAD_URL, {"folder": "Drafts", "file": SimpleUploadedFile("draft.txt", content)}
        )
    documents = list(Document.objects.filter(owner=user).order_by("id"))
    assert len(documents) == 2
    assert documents[0].file.name != documents[1].file.name
    assert [stored_bytes(d) for d in documents] == [b"version one", b"version two"]


@pytest.mark.parametrize(
    ("sent_name", "expected_name"),
    [
        ("../../../etc/passwd", "passwd"),
        ("/absolute/path/report.txt", "report.txt"),
        ("C:\\Users\\eve\\..\\secret.txt", "secret.txt"),
        ("résumé 📄.txt", "résumé 📄.txt"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        ("x" * 300 + ".txt", "x" * 251 + ".txt"),
    ],
)
def test_file_names_cannot_escape_their_place(
    alice_client, user, storage_backend, sent_name, expected_name
):
    response = post_raw(
        alice_client, [("folder", "Inbox")], [("file", sent_name, b"payload")],
        accept="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    document = Document.objects.get(owner=user)
    assert document.original_name == expected_name
    key = document.file.name
    assert key.startswith(f"documents/{user.pk}/Inbox/")
    segments = key.split("/")
    assert ".." not in segments and "" not in segments and "\\" not in key and "\x00" not in key
    assert len(key) <= 500
    assert stored_bytes(document) == b"payload"


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("", "Give the folder a name."),
        ("   ", "Give the folder a name."),
        ("../etc", "cannot contain / or \\"),
        ("a/b", "cannot contain / or \\"),
        ("..\\windows", "cannot contain / or \\"),
        ("..", "are not folder names"),
        ("tab\there", "control characters"),
        ("x" * 101, "at most 100 characters"),
    ],
)
def test_bad_folder_names_are_a_400(alice_client, storage_backend, folder, message):
    response = alice_client.post(
        UPLOAD_URL,
        {"folder": folder, "file": SimpleUploadedFile("a.txt", b"data")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Document.objects.exists()


def test_nul_in_the_folder_name_is_a_400(alice_client, storage_backend):
    response = post_raw(
        alice_client, [("folder", "bad\x00folder")], [("file", "a.txt", b"data")],
        accept="application/json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "ull characters" in response.json()["error"]
    assert not Document.objects.exists()


def test_unicode_and_emoji_folder_names_are_kept(alice_client, user, storage_backend):
    response = alice_client.post(
        UPLOAD_URL,
        {"folder": "  Été 🌞 2026 ", "file": SimpleUploadedFile("a.txt", b"sun")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 201
    document = Document.objects.get(owner=user)
    assert document.folder == "Été 🌞 2026"
    assert document.file.name.startswith(f"documents/{user.pk}/Ete_2026/")


def test_form_errors_render_the_page_with_a_400(alice_client, storage_backend):
    response = alice_client.post(UPLOAD_URL, {"folder": "", "file": SimpleUploadedFile("a", b"1")})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert "Give the folder a name." in response.content.decode()


def test_an_empty_file_is_a_400(alice_client, storage_backend):
    response = alice_client.post(
        UPLOAD_URL,
        {"folder": "Inbox", "file": SimpleUploadedFile("empty.txt", b"")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    assert "empty" in response.json()["error"]
    assert not Document.objects.exists()


def test_no_file_is_a_400(alice_client, storage_backend):
    response = alice_client.post(
        UPLOAD_URL, {"folder": "Inbox"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "Choose at least one file to upload."


def test_a_file_over_the_limit_is_a_413_and_nothing_is_stored(
    alice_client, settings, storage_backend
):
    settings.UPLOAD_MAX_FILE_SIZE = 1000
    response = alice_client.post(
        UPLOAD_URL,
        {
            "folder": "Inbox",
            "file": [
                SimpleUploadedFile("small.txt", b"s" * 1000),
                SimpleUploadedFile("big.txt", b"b" * 1001),
            ],
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 413
    assert (
        response.json()["error"]
        == "“big.txt” is too large: each file can be at most 1000\xa0bytes; nothing was uploaded."
    )
    assert not Document.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(alice_client, settings, storage_backend):
    settings.UPLOAD_MAX_FILE_SIZE = 100
    settings.UPLOAD_MAX_FILES = 1
    response = post_raw(
        alice_client, [("folder", "Inbox")], [("file", "huge.bin", b"h" * (2 * 1024 * 1024))]
    )
    assert response.status_code == 413
    assert "at most 100\xa0bytes" in response.content.decode()
    assert not Document.objects.exists()


def test_a_missing_csrf_token_is_a_403_and_nothing_is_stored(user, storage_backend):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        UPLOAD_URL, {"folder": "Inbox", "file": SimpleUploadedFile("a.txt", b"data")}
    )
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_the_csrf_header_of_the_page_script_is_accepted(user, storage_backend):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(UPLOAD_URL)
    response = client.post(
        UPLOAD_URL,
        {"folder": "Inbox", "file": SimpleUploadedFile("a.txt", b"data")},
        headers={"accept": "application/json", "x-csrftoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 201


def test_unreachable_s3_is_a_503_and_leaves_no_row(alice_client, settings, caplog):
    closed_port_endpoint = f"http://127.0.0.1:{free_loopback_port()}"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_for(closed_port_endpoint, "unreachable"),
    }
    response = alice_client.post(
        UPLOAD_URL,
        {"folder": "Inbox", "file": SimpleUploadedFile("a.txt", b"data")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["error"]
    assert not Document.objects.exists()
    assert "storing 1 upload(s)" in caplog.text


def test_a_failed_local_store_leaves_no_row(alice_client, user, settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    # The folder's place is taken by a plain file, so the store cannot write there.
    owner_dir = tmp_path / "media" / "documents" / str(user.pk)
    owner_dir.mkdir(parents=True)
    (owner_dir / "Blocked").write_text("not a directory")
    response = alice_client.post(
        UPLOAD_URL,
        {"folder": "Blocked", "file": SimpleUploadedFile("b.txt", b"b")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 503
    assert not Document.objects.exists()
    assert "storing 1 upload(s)" in caplog.text
