"""Hand-built multipart bodies: the test client would clean file names before sending them."""

import uuid
from collections.abc import Iterable


def multipart_body(
    fields: Iterable[tuple[str, str]] = (), files: Iterable[tuple[str, str, bytes]] = ()
) -> tuple[bytes, str]:
    """fields: [(name, value)], files: [(field, file name, bytes)] -> (body, content type)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for field, file_name, content in files:
        header = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(header.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
