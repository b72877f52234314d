"""The user's own folders and documents: list them, upload (the upload page's limits,
quota and key rules: `core.documents.uploads`, `core.documents.services`), and a folder as a
streamed zip."""

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import error_response
from api.serializers import (
    DocumentListItemSerializer,
    FolderSerializer,
    UploadAnswerSerializer,
    UploadSerializer,
)
from core.documents.selectors import documents_of, folder_summaries
from core.documents.uploads import (
    UploadRejected,
    admit_upload,
    document_data,
    store_admitted_upload,
)
from core.documents.zips import folder_zip_response
from core.http import error_body

DOCUMENT_EXAMPLE = {
    "id": 12,
    "name": "notes.txt",
    "size": 2048,
    "content_type": "text/plain",
    "checksum": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}


class FolderListView(APIView):
    @extend_schema(
        summary="Your folders with their file count and total size",
        responses=FolderSerializer(many=True),
        examples=[
            OpenApiExample(
                "Folders",
                value=[{"folder": "reports", "file_count": 2, "total_size": 4096}],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(FolderSerializer(folder_summaries(request.user), many=True).data)


class FolderZipView(APIView):
    @extend_schema(
        summary="A folder of yours as a zip, streamed while it is written",
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="`<folder>.zip`, as an attachment."
            ),
            404: error_response(
                "You have no folder of that name.", {"error": "You have no folder of that name."}
            ),
            429: error_response(
                "As many of your zips are streaming as the site allows at once.",
                {
                    "error": "You are already downloading as many folders at once as the site "
                    "allows; wait for one to finish."
                },
            ),
        },
        examples=[OpenApiExample("Zip", value="PK\u0003\u0004…", response_only=True)],
    )
    def get(self, request: Request, folder: str) -> StreamingHttpResponse:
        response = folder_zip_response(request, owner=request.user, raw_folder=folder)
        if response is None:
            raise NotFound("You have no folder of that name.")
        return response


class DocumentListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Your documents, by folder and name",
        parameters=[OpenApiParameter("folder", str, description="Only this folder's.")],
        responses=DocumentListItemSerializer(many=True),
        examples=[
            OpenApiExample(
                "Documents",
                value=[
                    {**DOCUMENT_EXAMPLE, "folder": "reports", "uploaded_at": "2026-01-02T10:00:00Z"}
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        folder = request.query_params.get("folder")
        documents = documents_of(request.user, folder=folder)
        return Response(
            [
                {
                    **document_data(document),
                    "folder": document.folder,
                    "uploaded_at": document.uploaded_at,
                }
                for document in documents
            ]
        )

    @extend_schema(
        summary="Upload one or more files into a folder (multipart, as the upload page)",
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: UploadAnswerSerializer,
            413: error_response(
                "Too large: a file over the size limit, or over your quota.",
                {"error": "Each file can be at most 50.0 MB; nothing was uploaded."},
            ),
            503: error_response(
                "The file store is not answering; nothing was saved.",
                {"error": "The file store is not answering, so nothing was saved. Try again soon."},
            ),
        },
        examples=[
            OpenApiExample(
                "Uploaded",
                value={"folder": "reports", "documents": [DOCUMENT_EXAMPLE]},
                response_only=True,
                status_codes=["201"],
            )
        ],
    )
    def post(self, request: Request) -> Response:
        try:
            # The limits go on the body before anything reads it (request.data below).
            admitted = admit_upload(request, owner=request.user)
            folder, documents = store_admitted_upload(
                request,
                admitted,
                owner=request.user,
                data=request.POST,
                files=request.FILES,
            )
        except UploadRejected as rejected:
            errors = rejected.form.errors.get_json_data() if rejected.form is not None else None
            return Response(error_body(rejected.message, errors=errors), status=rejected.status)
        return Response(
            {"folder": folder, "documents": [document_data(document) for document in documents]},
            status=status.HTTP_201_CREATED,
        )
