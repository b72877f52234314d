from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


class FileSizeLimitHandler(FileUploadHandler):
    """Stop the upload as soon as one file passes `max_file_size` bytes.

    It runs first in the chain, so no byte past the limit reaches the temporary file.
    The rest of the body is read and dropped so that the client still gets the answer.
    """

    def __init__(self, request: HttpRequest | None = None, *, max_file_size: int) -> None:
        super().__init__(request)
        self.max_file_size = max_file_size
        self.too_large_file_name: str | None = None
        self._received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._received += len(raw_data)
        if self._received > self.max_file_size:
            self.too_large_file_name = self.file_name
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
