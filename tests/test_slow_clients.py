"""Slow clients never block other users' pages: real gunicorn with the production
configuration (gthread), alone and behind nginx rendered from nginx/. While two uploads
arrive at 0.5 MiB/s and a zip download is read slowly, the recipe list keeps answering."""

import json
import os
import secrets
import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest

from devtools.live import start_gunicorn
from devtools.multipart import multipart_body
from devtools.nginx_server import NGINX, start_nginx
from devtools.processes import free_loopback_port, stop_process

pytestmark = pytest.mark.django_db(transaction=True)
# Each slow client holds its connection about 6 s; a page that waited for one would take that
# long, and pages answer in milliseconds: half of it leaves room for a loaded machine.
SLOW_CLIENT_SECONDS = 6
UPLOAD_BYTES = 3 * 1024 * 1024
UPLOAD_BYTES_PER_SECOND = UPLOAD_BYTES / SLOW_CLIENT_SECONDS
DOWNLOAD_BYTES = 8 * 1024 * 1024
CHUNK = 64 * 1024
PAGE_SECONDS = SLOW_CLIENT_SECONDS / 2


@pytest.fixture(scope="module")
def gunicorn(live_server_env, tmp_path_factory):
    """One process of 4 threads: a sync server would be blocked by the first slow client."""
    log = tmp_path_factory.mktemp("slow-gunicorn") / "gunicorn.log"
    url, process = start_gunicorn(live_server_env, log, workers=1, threads=4)
    yield url, log
    stop_process(process)


@pytest.fixture(scope="module")
def nginx(gunicorn, tmp_path_factory):
    if NGINX is None:
        pytest.skip("no nginx: make deploy-tools")
    upstream = urllib.parse.urlsplit(gunicorn[0]).netloc
    environment = {
        "NGINX_LISTEN_PORT": str(free_loopback_port()),
        "NGINX_HTTP_UPSTREAM": upstream,
        "NGINX_WEBSOCKET_UPSTREAM": upstream,  # unused here
        "NGINX_STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
        "NGINX_ENVSUBST_FILTER": "^NGINX_",
        "PATH": os.environ["PATH"],
    }
    # start_nginx waits until nginx serves this file.
    css = tmp_path_factory.getbasetemp() / environment["NGINX_STATIC_ROOT"] / "css"
    css.mkdir()
    (css / "app.css").write_text("body {}\n")
    url, process = start_nginx(tmp_path_factory.mktemp("slow-nginx"), environment)
    yield url
    stop_process(process)


def raw_request(url, method, path, headers, body=b"", *, receive_buffer=None):
    """A socket that has sent the request line and headers (not the body)."""
    parts = urllib.parse.urlsplit(url)
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect((parts.hostname, parts.port))
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_all(sock, *, chunk=CHUNK, pause=0.0):
    received = b""
    while data := sock.recv(chunk):
        received += data
        time.sleep(pause)
    sock.close()
    return received


def session_headers(client, user):
    client.force_login(user)
    csrf = secrets.token_hex(16)
    return {
        "Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
    }


def slow_upload(url, headers, name, outcome):
    body, content_type = multipart_body(
        fields=[("folder", "slow")], files=[("file", name, os.urandom(UPLOAD_BYTES))]
    )
    sock = raw_request(
        url,
        "POST",
        "/core/upload/",
        {**headers, "Content-Type": content_type, "Accept": "application/json"},
        body,
    )
    for start in range(0, len(body), CHUNK):
        sock.sendall(body[start : start + CHUNK])
        time.sleep(CHUNK / UPLOAD_BYTES_PER_SECOND)
    outcome[name] = read_all(sock).split(b"\r\n", 1)[0]


def slow_download(url, headers, outcome):
    form = b"folder_name=big"
    sock = raw_request(
        url,
        "POST",
        "/core/download/",
        {**headers, "Content-Type": "application/x-www-form-urlencoded"},
        form,
        receive_buffer=16 * 1024,
    )
    sock.sendall(form)
    # The whole zip in about SLOW_CLIENT_SECONDS: the server is done writing long before.
    pause = SLOW_CLIENT_SECONDS / (DOWNLOAD_BYTES / 16384)
    outcome["download"] = read_all(sock, chunk=16 * 1024, pause=pause)


def page_latencies_while(url, workers):
    for worker in workers:
        worker.start()
    time.sleep(0.5)  # the slow clients are connected and under way
    latencies = []
    while any(worker.is_alive() for worker in workers):
        started = time.monotonic()
        with urllib.request.urlopen(f"{url}/", timeout=30) as answer:
            assert answer.status == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.1)
    for worker in workers:
        worker.join()
    return latencies


def store_big_folder(url, headers):
    body, content_type = multipart_body(
        fields=[("folder", "big")], files=[("file", "big.bin", os.urandom(DOWNLOAD_BYTES))]
    )
    request = urllib.request.Request(
        f"{url}/core/upload/",
        data=body,
        headers={**headers, "Content-Type": content_type, "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert json.load(answer)["documents"][0]["size"] == DOWNLOAD_BYTES


@pytest.mark.parametrize("front", ["gunicorn", "nginx"])
def test_slow_uploads_and_a_slow_download_do_not_block_the_pages(
    request, gunicorn, client, user, front
):
    url = gunicorn[0] if front == "gunicorn" else request.getfixturevalue("nginx")
    headers = session_headers(client, user)
    store_big_folder(url, headers)
    outcome = {}
    workers = [
        threading.Thread(target=slow_upload, args=(url, headers, "one.bin", outcome)),
        threading.Thread(target=slow_upload, args=(url, headers, "two.bin", outcome)),
        threading.Thread(target=slow_download, args=(url, headers, outcome)),
    ]
    latencies = page_latencies_while(url, workers)

    assert outcome["one.bin"].startswith(b"HTTP/1.1 201"), outcome["one.bin"]
    assert outcome["two.bin"].startswith(b"HTTP/1.1 201"), outcome["two.bin"]
    head, _, zipped = outcome["download"].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    assert len(zipped) > DOWNLOAD_BYTES
    assert len(latencies) >= 10
    assert max(latencies) < PAGE_SECONDS, latencies
