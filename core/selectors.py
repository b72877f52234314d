"""Reads of the core app: the users' folders and their documents."""

from django.db.models import Count, Sum

from core.models import Document


def folder_summaries(owner):
    """The owner's folders with their file count and total size, by name."""
    return (
        Document.objects.filter(owner=owner)
        .values("folder")
        .annotate(file_count=Count("id"), total_size=Sum("size"))
        .order_by("folder")
    )


def folder_names(owner):
    return list(
        Document.objects.filter(owner=owner)
        .values_list("folder", flat=True)
        .distinct()
        .order_by("folder")
    )


def folder_documents(owner, folder):
    """The owner's documents in one folder (empty for a folder they do not have)."""
    return list(Document.objects.filter(owner=owner, folder=folder).order_by("original_name", "id"))
