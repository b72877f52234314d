"""project.wsgi's application, telling in a response header how many bytes of the request
body it read before answering: what the upload-limit test measures under a real gunicorn."""

from collections.abc import Callable, Iterable
from typing import Any

from project.wsgi import application as django_application

BYTES_READ_HEADER = "X-Test-Body-Bytes-Read"


class CountingInput:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.count = 0

    def read(self, *args: Any) -> bytes:
        data: bytes = self.stream.read(*args)
        self.count += len(data)
        return data

    def readline(self, *args: Any) -> bytes:
        data: bytes = self.stream.readline(*args)
        self.count += len(data)
        return data


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    counting = CountingInput(environ["wsgi.input"])
    environ["wsgi.input"] = counting

    def counted_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        return start_response(status, [*headers, (BYTES_READ_HEADER, str(counting.count))], *args)

    return django_application(environ, counted_start_response)
