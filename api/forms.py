from django import forms


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=50,
        help_text="Says what the key is for, e.g. “nightly export”.",
        error_messages={"required": "Give the key a name."},
    )
