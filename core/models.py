"""The core app's one model, the documents feature's (core.documents): it stays here, where
Django and the app's migrations find the models of the app labelled `core`."""

from django.conf import settings
from django.db import models

FOLDER_MAX_LENGTH = 100
ORIGINAL_NAME_MAX_LENGTH = 255
STORED_KEY_MAX_LENGTH = 500


class Document(models.Model):
    """One uploaded file in one of its owner's folders."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents"
    )
    folder = models.CharField(max_length=FOLDER_MAX_LENGTH)
    original_name = models.CharField(max_length=ORIGINAL_NAME_MAX_LENGTH)
    file = models.FileField(max_length=STORED_KEY_MAX_LENGTH)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=255)
    checksum = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["folder", "original_name", "id"]
        indexes = [models.Index(fields=["owner", "folder"])]

    def __str__(self) -> str:
        return f"{self.folder}/{self.original_name}"
