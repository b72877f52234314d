from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.crypto import constant_time_compare
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core.forms import UploadForm
from core.health import cached_component_health
from core.http import AuthenticatedHttpRequest, json_error, wants_json
from core.metrics import SiteCollector
from core.ratelimits import UPLOAD_BYTES, ZIP_DOWNLOADS
from core.selectors import folder_documents, folder_names, folder_summaries, storage_used
from core.services import StorageUnavailable, clean_folder_name, store_uploads
from core.upload_handlers import FileSizeLimitHandler
from core.zips import folder_zip_chunks, in_worker_threads

# Multipart boundaries, headers and the small fields around the files.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


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


def _over_quota_message(used: int) -> str:
    quota = filesizeformat(settings.UPLOAD_QUOTA_BYTES)
    return (
        f"This upload does not fit in your storage quota of {quota} (you use "
        f"{filesizeformat(used)}); nothing was uploaded."
    )


def _too_large_message(file_name: str | None = None) -> str:
    limit = filesizeformat(settings.UPLOAD_MAX_FILE_SIZE)
    if file_name:
        return (
            f"“{file_name}” is too large: each file can be at most {limit}; nothing was uploaded."
        )
    return f"Each file can be at most {limit}; nothing was uploaded."


# CSRF is checked by csrf_protect inside, once the size-limiting upload handlers are in
# place: the middleware would read the body with the default handlers first.
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _upload_page(request)
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _upload_error(request, 400, "The request has an invalid Content-Length.")
    # Everything below is decided before a byte of the body is read.
    max_body = settings.UPLOAD_MAX_FILE_SIZE * settings.UPLOAD_MAX_FILES + MULTIPART_OVERHEAD_BYTES
    if content_length > max_body:
        return _upload_error(request, 413, _too_large_message())
    used = storage_used(request.user)
    room = max(0, settings.UPLOAD_QUOTA_BYTES - used)
    if content_length - MULTIPART_OVERHEAD_BYTES > room:
        return _upload_error(request, 413, _over_quota_message(used))
    UPLOAD_BYTES.check(request, cost=max(1, content_length))
    size_limit = FileSizeLimitHandler(
        request, max_file_size=settings.UPLOAD_MAX_FILE_SIZE, max_total_size=room
    )
    request.upload_handlers = [size_limit, TemporaryFileUploadHandler(request)]
    return csrf_protect(_store_upload)(request, size_limit, used)


def _store_upload(
    request: AuthenticatedHttpRequest, size_limit: FileSizeLimitHandler, used: int
) -> HttpResponse:
    # Reading request.FILES parses the body through the handlers set above.
    form = UploadForm(request.POST, request.FILES)
    if size_limit.too_large_file_name is not None:
        return _upload_error(request, 413, _too_large_message(size_limit.too_large_file_name))
    if size_limit.over_total:
        return _upload_error(request, 413, _over_quota_message(used))
    if not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return _upload_error(request, 400, message, form)
    folder = form.cleaned_data["folder"]
    try:
        documents = store_uploads(
            owner=request.user, folder=folder, files=form.cleaned_data["file"]
        )
    except StorageUnavailable:
        return _upload_error(
            request, 503, "The file store is not answering, so nothing was saved. Try again soon."
        )
    UPLOAD_BYTES.record(request, cost=max(1, sum(document.size for document in documents)))
    if wants_json(request):
        return JsonResponse(
            {
                "folder": folder,
                "documents": [
                    {
                        "id": document.pk,
                        "name": document.original_name,
                        "size": document.size,
                        "content_type": document.content_type,
                        "checksum": document.checksum,
                    }
                    for document in documents
                ],
            },
            status=201,
        )
    messages.success(request, f"Uploaded {len(documents)} file(s) to “{folder}”.")
    return redirect("upload")


@login_required
@require_http_methods(["GET", "POST"])
def download(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    if request.method == "GET":
        return _download_page(request)
    raw_folder = request.POST.get("folder_name", "")
    try:
        folder = clean_folder_name(raw_folder)
    except ValidationError:
        documents = []
    else:
        documents = folder_documents(request.user, folder)
    if not documents:
        message = "You have no folder of that name."
        if wants_json(request):
            return json_error(message, status=404)
        return _download_page(request, errors=[message], status=404)
    lease = ZIP_DOWNLOADS.acquire(request)
    chunks = lease.hold_while(folder_zip_chunks(folder, documents))
    response = StreamingHttpResponse(
        # Under ASGI a plain iterator would be read whole before the first byte is sent.
        in_worker_threads(chunks) if isinstance(request, ASGIRequest) else chunks,
        content_type="application/zip",
    )
    # Never None for an attachment (only an inline response without a name has no header).
    disposition = cast(str, content_disposition_header(True, f"{folder}.zip"))
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = "private, no-store"
    return response


def _download_page(
    request: AuthenticatedHttpRequest, *, errors: Sequence[str] = (), status: int = 200
) -> HttpResponse:
    context = {"folders": folder_summaries(request.user), "errors": errors}
    return render(request, "core/download.html", context, status=status)
