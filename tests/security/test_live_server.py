"""Hostile requests against the real server process (daphne, serving HTTP and websockets):
a websocket from a foreign origin, oversized and malformed headers, a spoofed Host. Each
is refused with a 4xx or a closed connection, never a 500, and the server keeps serving."""

import socket
from contextlib import suppress
from urllib.parse import urlsplit

import pytest
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.django_db(transaction=True)


def raw_request(base_url: str, request: bytes) -> bytes:
    """Send bytes as they are; return what the server answered before closing (or 5 s)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/"):
        return None
    return int(answer.split(b" ", 2)[1])


def assert_still_serving(base_url: str) -> None:
    answer = raw_request(
        base_url, b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    assert status_of(answer) == 200


def test_a_websocket_from_a_foreign_origin_is_refused(live_daphne, user):
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    ws_url = live_daphne.replace("http://", "ws://") + "/ws/task/"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin="https://evil.example", additional_headers={"Cookie": cookie})
    assert refused.value.response.status_code == 403
    # The same session from the site's own origin is let in.
    with connect(ws_url, origin=live_daphne, additional_headers={"Cookie": cookie}) as socket_:
        assert socket_.protocol.state.name == "OPEN"


# Served as ordinary requests: raw bytes in a header value are read as Latin-1 text, and
# daphne takes a folded line as part of the header before it (no header is injected).
HARMLESS = {"non-ascii", "folded-line"}


@pytest.mark.parametrize(
    "request_bytes",
    [
        # One header of 1 MiB, and a thousand headers.
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (1024 * 1024) + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + b"".join(b"X-H%d: v\r\n" % n for n in range(1000))
        + b"\r\n",
        # A header line without a colon, a space in a name, NUL and raw bytes.
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nul: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bytes: \xff\xfe\x80\r\n\r\n",
        # A request line that is no request line, and a broken Content-Length.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1, 2\r\n\r\n",
        # Header injection through a folded line.
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n Set-Cookie: sessionid=evil\r\n\r\n",
    ],
    ids=[
        "1-MiB-header",
        "1000-headers",
        "no-colon",
        "space-in-name",
        "nul",
        "non-ascii",
        "tls-to-http",
        "negative-length",
        "double-length",
        "folded-line",
    ],
)
def test_oversized_and_malformed_headers_are_refused(live_daphne, request_bytes, request):
    request_id = request.node.callspec.id
    answer = raw_request(live_daphne, request_bytes)
    status = status_of(answer)
    if request_id in HARMLESS:
        assert status == 200, answer[:200]
    else:
        assert status is None or 400 <= status < 500, answer[:200]
    assert b"Set-Cookie: sessionid=evil" not in answer
    assert_still_serving(live_daphne)


def test_a_spoofed_host_is_refused(live_daphne):
    for host in (b"evil.example", b"127.0.0.1.evil.example", b"evil.example:80@127.0.0.1"):
        answer = raw_request(
            live_daphne, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        )
        assert status_of(answer) == 400, answer[:200]
    assert_still_serving(live_daphne)
