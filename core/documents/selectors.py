"""Reads of the documents feature: the users' folders and their documents."""

from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet, Sum

from core.models import Document

if TYPE_CHECKING:
    from django.contrib.auth.models import _User


def folder_summaries(owner: "_User") -> QuerySet[Document, dict[str, Any]]:
    """The owner's folders with their file count and total size, by name."""
    return (
        Document.objects.filter(owner=owner)
        .values("folder")
        .annotate(file_count=Count("id"), total_size=Sum("size"))
        .order_by("folder")
    )


def folder_names(owner: "_User") -> list[str]:
    return list(
        Document.objects.filter(owner=owner)
        .values_list("folder", flat=True)
        .distinct()
        .order_by("folder")
    )


def folder_documents(owner: "_User", folder: str) -> list[Document]:
    """The owner's documents in one folder (empty for a folder they do not have)."""
    return list(Document.objects.filter(owner=owner, folder=folder).order_by("original_name", "id"))


def documents_of(owner: "_User", *, folder: str | None = None) -> QuerySet[Document]:
    """The owner's documents (of one folder when given), by folder and name."""
    documents = Document.objects.filter(owner=owner)
    if folder is not None:
        documents = documents.filter(folder=folder)
    return documents.order_by("folder", "original_name", "id")


def storage_used(owner: "_User") -> int:
    """Bytes the owner's documents take, for the storage quota."""
    total: int | None = Document.objects.filter(owner=owner).aggregate(total=Sum("size"))["total"]
    return total or 0
