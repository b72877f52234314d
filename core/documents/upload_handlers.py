from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest


class FileSizeLimitHandler(FileUploadHandler):
    """Stop the upload as soon as one file passes `max_file_size` bytes, or all the files of
    the request together pass `max_total_size` (what is left of the user's quota).

    It runs first in the chain, so no byte past a limit reaches the temporary file.
    The rest of the body is read and dropped so that the client still gets the answer.
    """

    def __init__(
        self,
        request: HttpRequest | None = None,
        *,
        max_file_size: int,
        max_total_size: int | None = None,
    ) -> None:
        super().__init__(request)
        self.max_file_size = max_file_size
        self.max_total_size = max_total_size
        self.too_large_file_name: str | None = None
        self.over_total = False
        self._received = 0
        self._received_in_total = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self._received += len(raw_data)
        self._received_in_total += len(raw_data)
        if self._received > self.max_file_size:
            self.too_large_file_name = self.file_name
            raise StopUpload(connection_reset=False)
        if self.max_total_size is not None and self._received_in_total > self.max_total_size:
            self.over_total = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
