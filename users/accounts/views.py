"""Account pages: log in, sign up, verify the address, reset and change the password, change
the address, log out everywhere, delete the account. Django's auth views do the password
work; the writes are in users.accounts.services. Every page works without JavaScript."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest
from core.ratelimits import PASSWORD_RESET, SIGNUP, VERIFICATION_MAIL, rate_limited
from users.accounts.forms import (
    AccountPasswordResetForm,
    AccountSetPasswordForm,
    DeleteAccountForm,
    EmailAuthenticationForm,
    EmailChangeForm,
    ResendVerificationForm,
    SignupForm,
)
from users.accounts.services import (
    AccountBusy,
    EmailTaken,
    delete_account,
    log_out_everywhere,
    resend_verification_mail,
    send_verification_mail,
    signup_user,
    verification_required,
    verify_email,
)
from users.accounts.verification import InvalidVerificationToken


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # A failed log-in is a client error, not a page that "worked".
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
@rate_limited(SIGNUP)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = signup_user(request=request, form=form)
        if verification_required():
            return render(request, "users/verification_sent.html", {"email": user.email})
        if settings.ACCOUNT_EMAIL_VERIFICATION == "optional":
            messages.info(
                request, f"Welcome! We mailed a link to {user.email}: follow it to confirm it."
            )
        return redirect(_safe_next(request))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


# Account settings: one page of sections (users/templates/users/account.html); each form
# posts to its own view, which shows the page again with that form's errors.
def _account_page(
    request: AuthenticatedHttpRequest, status: int = 200, **forms: Form
) -> HttpResponse:
    context: dict[str, Any] = {
        "email_form": EmailChangeForm(request.user),
        "delete_form": DeleteAccountForm(request.user),
        "verification": settings.ACCOUNT_EMAIL_VERIFICATION,
        **forms,
    }
    return render(request, "users/account.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _account_page(request)


@sensitive_post_parameters("password")
@login_required
@require_POST
@rate_limited(VERIFICATION_MAIL)
def change_email(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _account_page(request, status=400, email_form=form)
    new_email = form.cleaned_data["email"]
    if send_verification_mail(request=request, user=request.user, email=new_email):
        messages.info(
            request,
            f"We mailed a link to {new_email}. Your address changes once you follow it.",
        )
    else:
        messages.error(request, "We could not send the mail just now; try again in a while.")
    return redirect("account")


@require_http_methods(["GET", "POST"])
def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST applies the link: a mail scanner that opens every link
    confirms nothing."""
    if request.method == "GET":
        return render(request, "users/verify_email.html", {"token": token})
    try:
        user = verify_email(token=token)
    except InvalidVerificationToken:
        return render(request, "users/verify_email.html", {"invalid": True}, status=400)
    except EmailTaken:
        return render(request, "users/verify_email.html", {"taken": True}, status=409)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("account")
    return redirect(f"{reverse('login')}?next={reverse('account')}")


@require_http_methods(["GET", "POST"])
@rate_limited(VERIFICATION_MAIL)
def resend_verification(request: HttpRequest) -> HttpResponse:
    """The same answer whether or not an unverified account has this address."""
    initial = {"email": request.user.email} if request.user.is_authenticated else None
    form = ResendVerificationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        resend_verification_mail(request=request, email=form.cleaned_data["email"])
        return render(
            request, "users/verification_sent.html", {"email": form.cleaned_data["email"]}
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "users/resend_verification.html", {"form": form}, status=status)


@login_required
@require_POST
def logout_everywhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    log_out_everywhere(request=request, user=request.user)
    messages.success(request, "You are logged out on every device and browser.")
    return redirect("login")


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return redirect(f"{reverse('account')}#delete")
    form = DeleteAccountForm(request.user, request.POST)
    if not form.is_valid():
        return _account_page(request, status=400, delete_form=form)
    try:
        delete_account(user=request.user)
    except AccountBusy:
        form.add_error(
            None,
            "A task of yours is still queued or running: cancel it on your tasks page (or "
            "wait for it to end), then delete the account. Nothing was deleted.",
        )
        return _account_page(request, status=409, delete_form=form)
    request.session.flush()
    messages.success(request, "Your account and everything in it are deleted. Goodbye!")
    return redirect("/")


@method_decorator(rate_limited(PASSWORD_RESET), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """POST `email`: the same answer whether or not an account has it."""

    form_class = AccountPasswordResetForm
    template_name = "users/password_reset.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "users/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AccountSetPasswordForm
    template_name = "users/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "users/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "users/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed; other sessions are logged out.")
        return response
