from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.documents.services import clean_folder_name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files under one field name; each is validated like a single FileField."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        if not any(files):
            raise ValidationError(self.error_messages["required"], code="required")
        clean_one = super().clean
        return [clean_one(file, initial) for file in files]


class UploadForm(forms.Form):
    folder = forms.CharField(strip=False, error_messages={"required": "Give the folder a name."})
    file = MultipleFileField(
        label="Files", error_messages={"required": "Choose at least one file to upload."}
    )

    def clean_folder(self) -> str:
        return clean_folder_name(self.cleaned_data["folder"])
