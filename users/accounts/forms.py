from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordResetForm,
    SetPasswordForm,
    UserChangeForm,
)
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse

from users.accounts.mail import send_account_mail_later
from users.models import CustomUser


def _email_field(label: str = "Email", **attrs: Any) -> forms.EmailField:
    return forms.EmailField(
        label=label,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", **attrs}),
    )


def _password_field(label: str, autocomplete: str = "current-password") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def _address_taken(email: str, *, other_than: CustomUser | None = None) -> bool:
    others = CustomUser.objects.filter(email__iexact=email)
    if other_than is not None:
        others = others.exclude(pk=other_than.pk)
    return others.exists()


def _current_password(form: "EmailChangeForm | DeleteAccountForm", wrong: str) -> str:
    """The `password` field of a form that confirms an action with the user's password."""
    password: str = form.cleaned_data["password"]
    if not form.user.check_password(password):
        raise forms.ValidationError(wrong, code="password")
    return password


class SignupForm(BaseUserCreationForm):
    """Email + password twice; Django's password validators apply."""

    class Meta:
        model = CustomUser
        fields = ("email",)

    def clean_email(self) -> str:
        email = CustomUser.objects.normalize_email(self.cleaned_data["email"])
        if _address_taken(email):
            raise forms.ValidationError(
                "An account with this email address already exists. Log in instead?",
                code="duplicate_email",
            )
        return email


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form; its `username` field carries the email address. With
    ACCOUNT_EMAIL_VERIFICATION = "mandatory", an address not yet proven cannot log in."""

    username = _email_field(autofocus=True)

    error_messages = {
        **AuthenticationForm.error_messages,
        "unverified": "Confirm your email address first: follow the link we mailed to you. "
        "No mail? Send it again below.",
    }

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not user.email_verified:
            raise forms.ValidationError(self.error_messages["unverified"], code="unverified")

    @property
    def unverified(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "unverified")


class AccountPasswordResetForm(PasswordResetForm):
    """Django's reset form (the same answer for any address); the mail is the site's."""

    email = _email_field(autofocus=True)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        path = reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        send_account_mail_later(
            to=to_email,
            name="password_reset",
            context={
                "link": f"{context['protocol']}://{context['domain']}{path}",
                "expiry_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
            },
        )


class AccountSetPasswordForm(SetPasswordForm):
    """A reset through the mailed link also proves the address."""

    def save(self, commit: bool = True) -> Any:
        self.user.email_verified = True
        return super().save(commit=commit)


class ResendVerificationForm(forms.Form):
    email = _email_field()


class EmailChangeForm(forms.Form):
    """A new address, confirmed with the current password; it replaces the old one only
    once the link mailed to it is followed."""

    email = _email_field("New email address")
    password = _password_field("Current password")

    def __init__(self, user: CustomUser, *args: Any, **kwargs: Any) -> None:
        self.user = user
        # Ids of its own: the account page shows this form beside another `password` field.
        kwargs.setdefault("auto_id", "id_email_change_%s")
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = CustomUser.objects.normalize_email(self.cleaned_data["email"])
        if email.lower() == self.user.email.lower():
            raise forms.ValidationError("This is already your email address.", code="same_email")
        if _address_taken(email, other_than=self.user):
            raise forms.ValidationError(
                "This email address belongs to another account.", code="duplicate_email"
            )
        return email

    def clean_password(self) -> str:
        return _current_password(self, "Your password was entered incorrectly.")


class DeleteAccountForm(forms.Form):
    password = _password_field("Your password")

    def __init__(self, user: CustomUser, *args: Any, **kwargs: Any) -> None:
        self.user = user
        kwargs.setdefault("auto_id", "id_delete_%s")
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        return _current_password(
            self, "Your password was entered incorrectly; nothing was deleted."
        )


class CustomUserChangeForm(UserChangeForm):
    class Meta:
        model = CustomUser
        fields = ("email",)
