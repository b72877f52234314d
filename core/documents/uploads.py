"""Receiving an upload from a request, shared by the upload page and the REST API.

Everything that can be decided before a byte of the body is read is decided first
(`admit_upload`: the declared size, the owner's quota, the hourly byte limit), and the
size-limiting upload handlers are put in place; then the parsed form is checked and stored
(`store_admitted_upload`, through `core.documents.services.store_uploads`). Every refusal is an
`UploadRejected` with the status and the sentence the client reads; nothing is stored then.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from core.documents.forms import UploadForm
from core.documents.selectors import storage_used
from core.documents.services import StorageUnavailable, store_uploads
from core.documents.upload_handlers import FileSizeLimitHandler
from core.models import Document
from core.ratelimits import UPLOAD_BYTES

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

# Multipart boundaries, headers and the small fields around the files.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


class UploadRejected(Exception):
    """The upload was refused with `status`; `message` is what the client reads, and
    `form` (when the body was parsed) holds the fields as sent."""

    def __init__(self, message: str, *, status: int, form: UploadForm | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.form = form


@dataclass(frozen=True)
class AdmittedUpload:
    """An upload whose body may now be read: the handlers that watch its size, and the
    bytes the owner used before it."""

    size_limit: FileSizeLimitHandler
    used: int


def over_quota_message(used: int) -> str:
    quota = filesizeformat(settings.UPLOAD_QUOTA_BYTES)
    return (
        f"This upload does not fit in your storage quota of {quota} (you use "
        f"{filesizeformat(used)}); nothing was uploaded."
    )


def too_large_message(file_name: str | None = None) -> str:
    limit = filesizeformat(settings.UPLOAD_MAX_FILE_SIZE)
    if file_name:
        return (
            f"“{file_name}” is too large: each file can be at most {limit}; nothing was uploaded."
        )
    return f"Each file can be at most {limit}; nothing was uploaded."


def admit_upload(request: HttpRequest, *, owner: "_User") -> AdmittedUpload:
    """Refuse what the declared size already rules out, and install the size-limiting
    handlers on `request` (Django's, or DRF's, whose parsers take them from it; call it
    before anything reads the body).
    Raises UploadRejected, or TooManyRequests past the hourly byte limit."""
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise UploadRejected("The request has an invalid Content-Length.", status=400) from None
    max_body = settings.UPLOAD_MAX_FILE_SIZE * settings.UPLOAD_MAX_FILES + MULTIPART_OVERHEAD_BYTES
    if content_length > max_body:
        raise UploadRejected(too_large_message(), status=413)
    used = storage_used(owner)
    room = max(0, settings.UPLOAD_QUOTA_BYTES - used)
    if content_length - MULTIPART_OVERHEAD_BYTES > room:
        raise UploadRejected(over_quota_message(used), status=413)
    UPLOAD_BYTES.check(request, cost=max(1, content_length))
    size_limit = FileSizeLimitHandler(
        request, max_file_size=settings.UPLOAD_MAX_FILE_SIZE, max_total_size=room
    )
    request.upload_handlers = [size_limit, TemporaryFileUploadHandler(request)]
    return AdmittedUpload(size_limit=size_limit, used=used)


def store_admitted_upload(
    request: HttpRequest,
    admitted: AdmittedUpload,
    *,
    owner: "_User",
    data: Mapping[str, Any],
    files: Any,
) -> tuple[str, list[Document]]:
    """Check the parsed body (`data` and `files`, read through the handlers of
    `admit_upload`) and store it: the folder and its new documents."""
    form = UploadForm(data, files)
    size_limit = admitted.size_limit
    if size_limit.too_large_file_name is not None:
        raise UploadRejected(too_large_message(size_limit.too_large_file_name), status=413)
    if size_limit.over_total:
        raise UploadRejected(over_quota_message(admitted.used), status=413)
    if not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        raise UploadRejected(message, status=400, form=form)
    folder = form.cleaned_data["folder"]
    try:
        documents = store_uploads(owner=owner, folder=folder, files=form.cleaned_data["file"])
    except StorageUnavailable:
        raise UploadRejected(
            "The file store is not answering, so nothing was saved. Try again soon.", status=503
        ) from None
    UPLOAD_BYTES.record(request, cost=max(1, sum(document.size for document in documents)))
    return folder, documents


def document_data(document: Document) -> dict[str, Any]:
    """A stored document as the JSON answers show it."""
    return {
        "id": document.pk,
        "name": document.original_name,
        "size": document.size,
        "content_type": document.content_type,
        "checksum": document.checksum,
    }
