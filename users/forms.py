from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    UserChangeForm,
)

from users.models import CustomUser


class SignupForm(BaseUserCreationForm):
    """Email + password twice; Django's password validators apply."""

    class Meta:
        model = CustomUser
        fields = ("email",)

    def clean_email(self) -> str:
        email = CustomUser.objects.normalize_email(self.cleaned_data["email"])
        if CustomUser.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. Log in instead?",
                code="duplicate_email",
            )
        return email


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form; its `username` field carries the email address."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class CustomUserChangeForm(UserChangeForm):
    class Meta:
        model = CustomUser
        fields = ("email",)
