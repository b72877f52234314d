"""Writes of the documents feature: storing uploaded files as documents, deleting them."""

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename

from core.documents.content_types import sniff_content_type
from core.models import FOLDER_MAX_LENGTH, ORIGINAL_NAME_MAX_LENGTH, Document
from core.text import has_control_characters, without_control_characters

if TYPE_CHECKING:
    # django-stubs' name for settings.AUTH_USER_MODEL (see core.http).
    from django.contrib.auth.models import _User

logger = logging.getLogger(__name__)

HASH_CHUNK_SIZE = 1024 * 1024
# Room for "documents/<owner id>/<folder>/<token>/" in front of the stored file name.
STORED_NAME_MAX_LENGTH = 150


class StorageUnavailable(Exception):
    """The file store did not take the upload; nothing was recorded."""


def clean_folder_name(raw: str) -> str:
    """The folder as the user will see it, or a ValidationError saying what is wrong."""
    if has_control_characters(raw):
        raise ValidationError("A folder name cannot contain control characters.")
    folder = unicodedata.normalize("NFC", raw).strip()
    if not folder:
        raise ValidationError("Give the folder a name.")
    if "/" in folder or "\\" in folder:
        raise ValidationError("A folder name cannot contain / or \\ (folders do not nest).")
    if folder in {".", ".."}:
        raise ValidationError("“.” and “..” are not folder names.")
    if len(folder) > FOLDER_MAX_LENGTH:
        raise ValidationError(f"A folder name has at most {FOLDER_MAX_LENGTH} characters.")
    return folder


def clean_original_name(raw: str) -> str:
    """The name shown and put in zips: no path, no control characters, at most 255 characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", without_control_characters(name)).strip()
    if name in {"", ".", ".."}:
        return "unnamed"
    return _shorten(name, ORIGINAL_NAME_MAX_LENGTH)


def _shorten(name: str, max_length: int) -> str:
    if len(name) <= max_length:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        return name[:max_length]
    return f"{stem[: max_length - len(extension) - 1]}.{extension}"


def _safe_segment(text: str, fallback: str) -> str:
    """ASCII-safe path segment: no separators, no dot-only names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    try:
        segment = get_valid_filename(ascii_text)
    except Exception:  # Django's SuspiciousFileOperation for names that end up empty
        segment = ""
    return re.sub(r"_{2,}", "_", segment).strip("._") or fallback


def document_key(owner: "_User", folder: str, original_name: str) -> str:
    """Where the bytes go: under the owner, the folder, a random token and the file name.

    Only the owner's id, sanitised ASCII segments and a random token reach the key, so no
    name can climb out of its place, and two uploads of one name never share an object.
    """
    folder_segment = _safe_segment(folder, "folder")[:60]
    file_segment = _shorten(_safe_segment(original_name, "file"), STORED_NAME_MAX_LENGTH)
    return f"documents/{owner.pk}/{folder_segment}/{secrets.token_hex(8)}/{file_segment}"


def _sha256(uploaded_file: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks(HASH_CHUNK_SIZE):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def store_uploads(*, owner: "_User", folder: str, files: Sequence[UploadedFile]) -> list[Document]:
    """Store every file, then record them all; when anything fails, nothing stays.

    Returns the new documents. Raises StorageUnavailable when the store fails.
    """
    stored_names = []
    documents = []
    try:
        for uploaded_file in files:
            original_name = clean_original_name(uploaded_file.name or "")
            checksum = _sha256(uploaded_file)
            # Stored with the object too (S3's Content-Type), in place of the client's claim.
            uploaded_file.content_type = sniff_content_type(uploaded_file, original_name)
            stored_name = default_storage.save(
                document_key(owner, folder, original_name), uploaded_file
            )
            stored_names.append(stored_name)
            documents.append(
                Document(
                    owner=owner,
                    folder=folder,
                    original_name=original_name,
                    file=stored_name,
                    # Optional in the stubs; Django's upload handlers always set it.
                    size=uploaded_file.size,  # type: ignore[misc]
                    content_type=uploaded_file.content_type[:255],
                    checksum=checksum,
                )
            )
    except Exception as exc:
        logger.exception("storing %d upload(s) for user %s failed", len(files), owner.pk)
        _delete_quietly(stored_names)
        raise StorageUnavailable("The file store did not take the upload.") from exc
    try:
        with transaction.atomic():
            return Document.objects.bulk_create(documents)
    except Exception:
        _delete_quietly(stored_names)
        raise


def delete_documents_of(owner: "_User") -> int:
    """Delete every document of `owner`; once the transaction commits, their stored files go
    too, with anything else left under the owner's prefix (an upload that failed half-way).
    Returns how many documents there were."""
    stored_names = list(Document.objects.filter(owner=owner).values_list("file", flat=True))
    deleted, _ = Document.objects.filter(owner=owner).delete()
    prefix = f"documents/{owner.pk}"
    transaction.on_commit(
        lambda: _delete_quietly(dict.fromkeys([*stored_names, *_stored_under(prefix)]))
    )
    return deleted


def _stored_under(prefix: str) -> list[str]:
    """Every stored name under `prefix`, on the local disk and on S3 alike."""
    try:
        directories, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return []
    except Exception:
        logger.warning("could not list %s in the file store", prefix, exc_info=True)
        return []
    names = [f"{prefix}/{name}" for name in files]
    for directory in directories:
        names.extend(_stored_under(f"{prefix}/{directory}"))
    return names


def _delete_quietly(stored_names: Iterable[str]) -> None:
    for name in stored_names:
        try:
            default_storage.delete(name)
        except Exception:  # the store is often the part that failed
            logger.warning("could not remove %s from the file store", name, exc_info=True)
