"""The S3 storage the app uses: django-storages' backend, reading objects as streams."""

from django.core.files import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class StreamingS3Storage(S3Storage):
    """S3Storage whose read-only files stream the object body.

    django-storages' own S3File downloads the whole object into a temporary file (in memory
    unless `max_memory_size` is set) before the first read; streaming the GET body instead
    keeps a folder zip in constant memory and lets its first bytes leave at once.
    """

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        try:
            body = self.bucket.Object(key).get()["Body"]
        except self.connection.meta.client.exceptions.NoSuchKey:
            raise FileNotFoundError(f"File does not exist: {name}") from None
        return File(body, name)
