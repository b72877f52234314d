from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core.forms import UploadForm
from core.health import cached_component_health
from core.http import AuthenticatedHttpRequest, json_error, wants_json
from core.metrics import SiteCollector
from core.selectors import folder_names, folder_summaries
from core.uploads import (
    AdmittedUpload,
    UploadRejected,
    admit_upload,
    document_data,
    store_admitted_upload,
)
from core.zips import folder_zip_response


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Anyone gets the overall status; staff sessions and METRICS_TOKEN get each part."""
    healthy, components = cached_component_health()
    body: dict[str, Any] = {"status": "ok" if healthy else "unavailable"}
    if operator_access(request) == OPERATOR:
        body["components"] = components
    return JsonResponse(body, status=200 if healthy else 503)


OPERATOR, NO_CREDENTIALS, REFUSED = 200, 401, 403


def operator_access(request: HttpRequest) -> int:
    """Whether the request is an operator's: a staff session or the `METRICS_TOKEN` bearer
    token (OPERATOR); otherwise NO_CREDENTIALS (nothing presented) or REFUSED (a wrong
    token, a user who is not staff)."""
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        right = bool(token) and constant_time_compare(presented.strip(), token)
        return OPERATOR if right else REFUSED
    if request.user.is_authenticated:
        return OPERATOR if request.user.is_staff else REFUSED
    return NO_CREDENTIALS


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for staff or the METRICS_TOKEN scraper (core.metrics)."""
    access = operator_access(request)
    if access == NO_CREDENTIALS:
        response = HttpResponse(
            "Send the metrics token (Authorization: Bearer ...) or log in as staff.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if access == REFUSED:
        return HttpResponse(
            "These credentials may not read the metrics.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing else is touched (no database, session or cache)."""
    return JsonResponse({"status": "ok"})


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Clients that ask for /favicon.ico without reading the page's icon link get the icon."""
    return redirect(static("favicon.svg"), permanent=True)


def _upload_page(
    request: AuthenticatedHttpRequest,
    *,
    form: UploadForm | None = None,
    errors: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form or UploadForm(),
        "errors": errors,
        "folders": folder_names(request.user),
        "max_file_size": settings.UPLOAD_MAX_FILE_SIZE,
    }
    return render(request, "core/upload.html", context, status=status)


def _upload_error(
    request: AuthenticatedHttpRequest, status: int, message: str, form: UploadForm | None = None
) -> HttpResponse:
    if wants_json(request):
        return json_error(message, status=status)
    return _upload_page(request, form=form, errors=[message], status=status)


# CSRF is checked by csrf_protect inside, once the size-limiting upload handlers are in
# place: the middleware would read the body with the default handlers first.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _upload_page(request)
    try:
        admitted = admit_upload(request, owner=request.user)
    except UploadRejected as rejected:
        return _upload_error(request, rejected.status, rejected.message)
    return csrf_protect(_store_upload)(request, admitted)


def _store_upload(request: AuthenticatedHttpRequest, admitted: AdmittedUpload) -> HttpResponse:
    # Reading request.FILES parses the body through the handlers admit_upload set.
    try:
        folder, documents = store_admitted_upload(
            request, admitted, owner=request.user, data=request.POST, files=request.FILES
        )
    except UploadRejected as rejected:
        return _upload_error(request, rejected.status, rejected.message, rejected.form)
    if wants_json(request):
        return JsonResponse(
            {"folder": folder, "documents": [document_data(document) for document in documents]},
            status=201,
        )
    messages.success(request, f"Uploaded {len(documents)} file(s) to “{folder}”.")
    return redirect("upload")


@login_required
@require_http_methods(["GET", "POST"])
def download(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if request.method == "GET":
        return _download_page(request)
    response = folder_zip_response(
        request, owner=request.user, raw_folder=request.POST.get("folder_name", "")
    )
    if response is None:
        message = "You have no folder of that name."
        if wants_json(request):
            return json_error(message, status=404)
        return _download_page(request, errors=[message], status=404)
    return response


def _download_page(
    request: AuthenticatedHttpRequest, *, errors: Sequence[str] = (), status: int = 200
) -> HttpResponse:
    context = {"folders": folder_summaries(request.user), "errors": errors}
    return render(request, "core/download.html", context, status=status)
