"""S3 unreachable mid-upload and mid-download (a proxy in front of moto is cut, then put back,
the store keeping what it held): the upload is refused with a 503 and records nothing, the
download fails rather than ending a truncated zip that looks whole, and both work again as
soon as the store answers, without an operator."""

import io
import os
import time
import urllib.request
import zipfile
from http.client import HTTPException
from urllib.parse import urlsplit

import pytest

from core.models import Document
from devtools.live import start_gunicorn
from devtools.moto_server import ACCESS_KEY, REGION, SECRET_KEY, new_bucket
from devtools.multipart import multipart_body
from devtools.processes import stop_process
from devtools.proxy import CuttableProxy
from students.tests.live import answer_of, csrf_post, session_for
from tests.faults.live import FAST_HEALING

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def store(moto_s3):
    proxy = CuttableProxy(urlsplit(moto_s3).port)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def site(live_server_env, store, moto_s3, tmp_path_factory):
    """The HTTP tier (gunicorn) with its S3 being moto behind the proxy (one for the module)."""
    env = {
        **live_server_env,
        **FAST_HEALING,
        "AWS_STORAGE_BUCKET_NAME": new_bucket(moto_s3),
        "AWS_S3_ENDPOINT_URL": store.url,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    url, process = start_gunicorn(env, tmp_path_factory.mktemp("s3-site") / "gunicorn.log")
    yield url
    stop_process(process)


@pytest.fixture(autouse=True)
def store_answers(store):
    yield
    store.on_upstream = None
    store.restore()


def upload(base_url, session_key, files):
    body, content_type = multipart_body(
        [("folder", "Films")], [("file", name, data) for name, data in files]
    )
    return answer_of(
        csrf_post(base_url, "/core/upload/", body, content_type, session_key), timeout=60
    )


def download(base_url, session_key, timeout=60):
    request = csrf_post(
        base_url,
        "/core/download/",
        b"folder_name=Films",
        "application/x-www-form-urlencoded",
        session_key,
        json_answer=False,
    )
    return urllib.request.urlopen(request, timeout=timeout)


def films(count=2, size=2 * MIB):
    return [(f"film{n}.mp4", os.urandom(size)) for n in range(count)]


def test_s3_unreachable_mid_upload(site, store, user, heal_time):
    session_key = session_for(user)
    first, second = films()

    def cut_once_the_first_file_is_sent(sent):
        if sent > len(first[1]) + MIB // 2:
            store.on_upstream = None
            store.cut()

    store.on_upstream = cut_once_the_first_file_is_sent
    status, answer = upload(site, session_key, [first, second])
    assert status == 503
    assert answer == {
        "error": "The file store is not answering, so nothing was saved. Try again soon."
    }
    assert not Document.objects.exists()  # nothing half-written is visible

    store.restore()
    back = time.monotonic()
    status, answer = upload(site, session_key, [first, second])
    heal_time(time.monotonic() - back)
    assert status == 201
    assert [doc["name"] for doc in answer["documents"]] == ["film0.mp4", "film1.mp4"]
    assert Document.objects.count() == 2


def test_s3_unreachable_mid_download(site, store, user, heal_time):
    session_key = session_for(user)
    files = films(count=3, size=4 * MIB)
    assert upload(site, session_key, files)[0] == 201

    received = io.BytesIO()
    # The stream stops and is never ended as if it were whole, and gunicorn closes the
    # connection then rather than leave the client waiting for its read timeout.
    read_timeout = 30
    with (
        pytest.raises((HTTPException, OSError)),
        download(site, session_key, timeout=read_timeout) as response,
    ):
        received.write(response.read(512 * 1024))
        store.cut()
        cut_at = time.monotonic()
        while chunk := response.read(256 * 1024):
            received.write(chunk)
    assert time.monotonic() - cut_at < read_timeout / 2
    assert len(received.getvalue()) < sum(len(data) for _, data in files)

    store.restore()
    back = time.monotonic()
    with download(site, session_key) as response:
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    heal_time(time.monotonic() - back)
    assert {name: archive.read(name) for name in archive.namelist()} == dict(files)
