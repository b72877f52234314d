"""The upload and download pages (`/core/upload/`, `/core/download/`): thin views over
`core.documents.uploads` and `core.documents.zips`, answering HTML or JSON as asked."""

from collections.abc import Sequence

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.documents.forms import UploadForm
from core.documents.selectors import folder_names, folder_summaries
from core.documents.uploads import (
    AdmittedUpload,
    UploadRejected,
    admit_upload,
    document_data,
    store_admitted_upload,
)
from core.documents.zips import folder_zip_response
from core.http import AuthenticatedHttpRequest, json_error, wants_json


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
