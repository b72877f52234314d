"""Folder zips written as they are sent: constant memory whatever the folder's size."""

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from core.documents.selectors import folder_documents
from core.documents.services import clean_folder_name
from core.models import Document
from core.ratelimits import ZIP_DOWNLOADS

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

logger = logging.getLogger(__name__)

# Formats that are compressed already: deflating them again costs CPU and saves nothing.
COMPRESSED_EXTENSIONS = frozenset(
    {
        "7z", "aac", "avi", "avif", "br", "bz2", "docx", "epub", "flac", "gif", "gz", "heic",
        "jar", "jpeg", "jpg", "m4a", "m4v", "mkv", "mov", "mp3", "mp4", "odp", "ods", "odt",
        "ogg", "opus", "pdf", "png", "pptx", "rar", "tgz", "webm", "webp", "whl", "xlsx",
        "xz", "zip", "zst",
    }
)  # fmt: skip
COMPRESSED_CONTENT_TYPE_PREFIXES = ("image/", "video/", "audio/")
COMPRESSED_CONTENT_TYPES = frozenset(
    {"application/zip", "application/gzip", "application/x-7z-compressed", "application/pdf"}
)
# Level 1 deflates text about three times faster than the default level for a slightly
# larger archive: the zip is produced while the user waits.
DEFLATE_LEVEL = 1


def is_compressed(document: Document) -> bool:
    extension = PurePosixPath(document.original_name).suffix.lower().lstrip(".")
    content_type = document.content_type.lower()
    return (
        extension in COMPRESSED_EXTENSIONS
        or content_type in COMPRESSED_CONTENT_TYPES
        or (
            content_type.startswith(COMPRESSED_CONTENT_TYPE_PREFIXES)
            and content_type != "image/svg+xml"
        )
    )


def archive_names(documents: Iterable[Document]) -> list[str]:
    """One distinct name in the archive per document: "a.txt", "a (2).txt", ..."""
    taken: set[str] = set()
    names = []
    for document in documents:
        path = PurePosixPath(document.original_name)
        candidate, number = document.original_name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{path.stem} ({number}){path.suffix}"
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


def _file_chunks(document: Document) -> Iterator[bytes]:
    with document.file.storage.open(document.file.name, "rb") as stored:
        yield from stored.chunks(settings.ZIP_DOWNLOAD_CHUNK_SIZE)


def folder_zip_chunks(folder: str, documents: Sequence[Document]) -> Iterator[bytes]:
    """The zip of `documents` as byte chunks; each file is read from storage as it is written.

    ZIP64 records appear when the sizes need them. A storage failure mid-way is logged and
    raised again, so that the server aborts the response instead of ending a broken zip
    as if it were whole.
    """
    archive = ZipStream()
    for document, name in zip(documents, archive_names(documents), strict=True):
        if is_compressed(document):
            method = {"compress_type": ZIP_STORED}
        else:
            method = {"compress_type": ZIP_DEFLATED, "compress_level": DEFLATE_LEVEL}
        archive.add(_file_chunks(document), name, size=document.size, **method)
    try:
        yield from archive
    except Exception:
        logger.exception("zip download of folder %r stopped: reading storage failed", folder)
        raise


async def in_worker_threads(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """Serve a blocking iterator to an ASGI server one chunk at a time.

    Given a plain iterator, Django's ASGI handler reads all of it into a list before
    sending anything; this pulls one chunk per thread hop instead.
    """
    iterator = iter(chunks)
    next_chunk = sync_to_async(_next_or_none, thread_sensitive=False)
    try:
        while (chunk := await next_chunk(iterator)) is not None:
            yield chunk
    finally:
        # A client that goes away mid-download closes this generator: close the files too.
        close = getattr(iterator, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=False)()


def _next_or_none(iterator: Iterator[bytes]) -> bytes | None:
    return next(iterator, None)


def _served_over_asgi(request: HttpRequest) -> bool:
    """Whether an ASGI server serves `request`: Django's ASGI requests carry the connection's
    scope (and DRF's Request hands attributes on to the Django request it wraps)."""
    return hasattr(request, "scope")


def folder_zip_response(
    request: HttpRequest, *, owner: "_User", raw_folder: str
) -> StreamingHttpResponse | None:
    """The owner's folder named `raw_folder` as a streamed `<folder>.zip`, or None when the
    owner has no such folder. Holds one of the owner's ZIP_DOWNLOADS slots while it streams
    (TooManyRequests when none is free). `request` is Django's or DRF's."""
    try:
        folder = clean_folder_name(raw_folder)
    except ValidationError:
        return None
    documents = folder_documents(owner, folder)
    if not documents:
        return None
    lease = ZIP_DOWNLOADS.acquire(request)
    chunks = lease.hold_while(folder_zip_chunks(folder, documents))
    response = StreamingHttpResponse(
        # Under ASGI a plain iterator would be read whole before the first byte is sent.
        in_worker_threads(chunks) if _served_over_asgi(request) else chunks,
        content_type="application/zip",
    )
    # Never None for an attachment (only an inline response without a name has no header).
    disposition = cast(str, content_disposition_header(True, f"{folder}.zip"))
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response
