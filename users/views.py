from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from core.http import AuthenticatedHttpRequest, json_error, json_only
from core.ratelimits import SIGNUP, rate_limited
from users.forms import EmailAuthenticationForm, SignupForm
from users.selectors import task_of, task_update_message, tasks_of
from users.services import signup_user

TASKS_PER_PAGE = 20


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
        signup_user(request=request, form=form)
        return redirect(_safe_next(request))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


@login_required
@require_GET
def task_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's tasks, newest first; static/js/tasks.js keeps the rows live."""
    page = Paginator(tasks_of(request.user), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "users/task_list.html", {"page": page})


@json_only
@login_required
@require_GET
def task_detail(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """One task as the spec's task JSON; 404 unless it is the user's own."""
    task = task_of(request.user, task_id)
    if task is None:
        return json_error("No such task.", status=404)
    return JsonResponse(task_update_message(task))
