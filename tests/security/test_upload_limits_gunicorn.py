"""How much of a too-large upload a real gunicorn (gthread workers, the HTTP tier of
production) reads before the 413, and that nothing past the limit is stored.

gunicorn hands Django the socket as the body arrives; the upload view decides from
Content-Length before reading a byte, and its handler stops the parse the moment a file
passes the per-file limit (or the quota): no byte past it reaches a temporary file. The
rest of the body is then read and dropped, so that the client, still sending, gets the
413 instead of a reset connection.
"""

import http.client
from contextlib import suppress

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from core.models import Document
from devtools.live import start_gunicorn
from devtools.multipart import multipart_body
from devtools.processes import stop_process
from tests.security.counting_wsgi import BYTES_READ_HEADER

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024
FILE_LIMIT = 1 * MIB
MAX_FILES = 4
# The app's whole-request limit: UPLOAD_MAX_FILE_SIZE x UPLOAD_MAX_FILES + 1 MiB.
BODY_LIMIT = FILE_LIMIT * MAX_FILES + MIB


@pytest.fixture
def gunicorn(live_server_env, tmp_path):
    media = tmp_path / "media"
    env = {
        **live_server_env,
        "UPLOAD_MAX_FILE_SIZE": str(FILE_LIMIT),
        "UPLOAD_MAX_FILES": str(MAX_FILES),
        "DJANGO_MEDIA_ROOT": str(media),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    url, process = start_gunicorn(
        env,
        tmp_path / "gunicorn.log",
        workers=1,
        threads=2,
        application="tests.security.counting_wsgi:application",
    )
    port = int(url.rpartition(":")[2])
    yield port, media, tmp_path / "tmp"
    stop_process(process)


def upload(port, user, body, content_type, content_length=None):
    client = Client()
    client.force_login(user)
    token = get_random_string(32)
    cookies = f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("POST", "/core/upload/")
    for name, value in (
        ("Cookie", cookies),
        ("X-CSRFToken", token),
        ("Accept", "application/json"),
        ("Content-Type", content_type),
        ("Content-Length", str(content_length if content_length is not None else len(body))),
    ):
        connection.putheader(name, value)
    connection.endheaders()
    with suppress(BrokenPipeError, ConnectionResetError):
        connection.send(body)
    response = connection.getresponse()
    answer = (response.status, int(response.getheader(BYTES_READ_HEADER)), response.read())
    connection.close()
    return answer


def test_a_body_declared_too_large_is_refused_before_a_byte_is_read(gunicorn, user):
    port, _, _ = gunicorn
    body, content_type = multipart_body([("folder", "F")], [("file", "big.bin", b"x" * MIB)])
    status, read, answer = upload(port, user, body, content_type, content_length=BODY_LIMIT + 1)
    assert status == 413
    assert read == 0
    assert b"nothing was uploaded" in answer


def test_a_file_past_its_limit_stops_before_anything_is_stored(gunicorn, user):
    port, media, temporary = gunicorn
    size = 3 * MIB  # within the whole-request limit, past the per-file one
    body, content_type = multipart_body([("folder", "F")], [("file", "big.bin", b"x" * size)])
    status, read, answer = upload(port, user, body, content_type)
    assert status == 413
    assert b"big.bin" in answer and b"nothing was uploaded" in answer
    assert not Document.objects.exists()
    assert not media.exists() or not list(media.rglob("*"))
    assert not list(temporary.iterdir())  # its temporary file is gone too
    # The parse stopped at the limit (README: 1 MiB + one 64 KiB chunk reach the handlers);
    # the rest is read and dropped so that the client gets the answer, never more than that.
    assert read == len(body)
