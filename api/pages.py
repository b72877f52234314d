"""The account page where people create and revoke their API keys (the same services as
`/api/v1/api-keys/`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import ApiKeyForm
from api.selectors import api_key_of, api_keys_of
from api.services import create_api_key, revoke_api_key
from core.http import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: AuthenticatedHttpRequest) -> HttpResponse:
    """GET: the user's keys; POST `name`: a new key, shown on this answer only."""
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _, new_key = create_api_key(user=request.user, name=form.cleaned_data["name"])
            form = ApiKeyForm()
            status = 201
        else:
            status = 400
    context = {"form": form, "keys": api_keys_of(request.user), "new_key": new_key}
    return render(request, "api/api_keys.html", context, status=status)


@login_required
@require_POST
def revoke(request: AuthenticatedHttpRequest, key_id: str) -> HttpResponse:
    api_key = api_key_of(request.user, key_id)
    if api_key is None:
        raise Http404("You have no API key with this id.")
    revoke_api_key(api_key=api_key)
    messages.success(request, f"Revoked the API key “{api_key.name}”: it works no more.")
    return redirect("api_keys")
